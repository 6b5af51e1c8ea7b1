import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An event with exactly one subject keeps it in its own row, `audit_event.subject_id`, instead
 * of naming a one-id set in audit_subject_set.
 *
 * Why: most such events are point reads of one customer, mostly one not read before, so each
 * stored a new set — a row, its primary key entry and its GIN entry — besides the event's own
 * entry in the subject-set index; measured with the writer's statement, an event naming a new set
 * cost PostgreSQL about 30 % more than one naming a stored set (docs/performance.md, "Issue 23:
 * the audit event's storage"). The inline subject costs one entry in a partial index.
 *
 * The event's hash is unchanged: it covers the subject ids, wherever they are stored, so `audit
 * verify` checks old and new events alike, and an inline subject changed, removed, or stored
 * beside a set breaks the event's hash. Events written before keep their one-id sets; every
 * reader reads both forms (`EVENT_SETS` in audit-record.ts, the `auditEvents` subject filter, the
 * data-subject export, the legal-hold check of partition retention).
 */
export class AuditInlineSubject1795000012000 implements MigrationInterface {
  name = 'AuditInlineSubject1795000012000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" ADD "subject_id" uuid`);
    await q.query(`CREATE INDEX "audit_event_subject_id" ON "audit_event" ("subject_id") WHERE "subject_id" IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // Each inline subject goes into a one-id set, keyed as the writer keys it (subjectSetHash, as
    // migration 1795000000006 computes it), and its event names that set: the one change to stored
    // events this revert makes, with the trigger off and the privilege granted for the length of it.
    const key = `encode(sha256(convert_to(array_to_json(ARRAY["subject_id"])::text, 'UTF8')), 'hex')`;
    await q.query(
      `INSERT INTO "audit_subject_set" ("hash", "subject_ids") SELECT DISTINCT ${key}, ARRAY["subject_id"] FROM "audit_event" WHERE "subject_id" IS NOT NULL ON CONFLICT ("hash") DO NOTHING`,
    );
    await q.query(`ALTER TABLE "audit_event" DISABLE TRIGGER "audit_event_append_only"`);
    await q.query(`GRANT UPDATE ON "audit_event" TO CURRENT_USER`);
    await q.query(`UPDATE "audit_event" SET "subject_set" = ${key} WHERE "subject_id" IS NOT NULL`);
    await q.query(`REVOKE UPDATE ON "audit_event" FROM CURRENT_USER`);
    await q.query(`ALTER TABLE "audit_event" ENABLE TRIGGER "audit_event_append_only"`);
    await q.query(`DROP INDEX "audit_event_subject_id"`);
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "subject_id"`);
  }
}
