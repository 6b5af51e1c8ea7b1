import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subject sets: an audit event's subject ids move to `audit_subject_set`, one row per distinct
 * set, and the event names its set by `subject_set` (sha256 of the sorted ids, as
 * `subjectSetHash` in src/audit/audit-record.ts computes it).
 *
 * Why: a partner polling its manifest discloses the same 50 customers on every call, and a
 * payment provider's settlement page the same 100. Stored in every event, the ids were most of
 * the audit write's cost (the uuid array, its GIN entries, TOAST) and of ANALYZE on the table.
 *
 * Existing events are moved, not rewritten: their content, and so their hashes and seals, stay
 * as they were; only where the ids are kept changes. The move is the one UPDATE the append-only
 * table ever sees, made by the owner inside this migration's transaction with the trigger off
 * and the privilege granted for the length of it; both are back before the transaction commits.
 * `down` moves the ids back the same way.
 */
export class AuditSubjectSets1795000000006 implements MigrationInterface {
  name = 'AuditSubjectSets1795000000006';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit_subject_set" ("hash" character(64) NOT NULL, "subject_ids" uuid array NOT NULL, CONSTRAINT "audit_subject_set_not_empty" CHECK (cardinality("subject_ids") > 0), CONSTRAINT "audit_subject_set_hash_hex" CHECK ("hash" ~ '^[0-9a-f]{64}$'), CONSTRAINT "PK_audit_subject_set" PRIMARY KEY ("hash"))`);
    await q.query(`CREATE INDEX "audit_subject_set_subject_ids" ON "audit_subject_set" USING gin ("subject_ids")`);
    await q.query(`ALTER TABLE "audit_event" ADD "subject_set" character(64)`);

    // The key in SQL: the stored arrays are already sorted and de-duplicated, and array_to_json
    // writes a uuid[] exactly as canonicalJson writes the list of strings.
    const key = `encode(sha256(convert_to(array_to_json("subject_ids")::text, 'UTF8')), 'hex')`;
    await q.query(`INSERT INTO "audit_subject_set" ("hash", "subject_ids") SELECT DISTINCT ${key}, "subject_ids" FROM "audit_event" WHERE cardinality("subject_ids") > 0`);
    await this.rewriteEvents(q, `UPDATE "audit_event" SET "subject_set" = ${key} WHERE cardinality("subject_ids") > 0`);

    await q.query(`DROP INDEX "audit_event_subject_ids"`);
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "subject_ids"`);
    await q.query(`ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_subject_set_fkey" FOREIGN KEY ("subject_set") REFERENCES "audit_subject_set"("hash") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    // "Which events concern this customer": the sets holding the id (GIN), then their events.
    await q.query(`CREATE INDEX "audit_event_subject_set" ON "audit_event" ("subject_set") WHERE "subject_set" IS NOT NULL`);

    await q.query(`CREATE TRIGGER "audit_subject_set_append_only" BEFORE UPDATE OR DELETE ON "audit_subject_set" FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"()`);
    await q.query(`CREATE TRIGGER "audit_subject_set_no_truncate" BEFORE TRUNCATE ON "audit_subject_set" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_subject_set" FROM PUBLIC`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_subject_set" FROM CURRENT_USER`);
    await q.query(`COMMENT ON TABLE "audit_subject_set" IS 'The subject lists of audit events, each stored once and named by its sha256; append-only.'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" ADD "subject_ids" uuid array NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "audit_event" ALTER COLUMN "subject_ids" DROP DEFAULT`);
    await this.rewriteEvents(q, `UPDATE "audit_event" e SET "subject_ids" = s."subject_ids" FROM "audit_subject_set" s WHERE s."hash" = e."subject_set"`);
    await q.query(`CREATE INDEX "audit_event_subject_ids" ON "audit_event" USING gin ("subject_ids")`);
    await q.query(`DROP INDEX "audit_event_subject_set"`);
    await q.query(`ALTER TABLE "audit_event" DROP CONSTRAINT "audit_event_subject_set_fkey"`);
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "subject_set"`);
    await q.query(`DROP TABLE "audit_subject_set"`);
  }

  /** The one sanctioned change to stored events: where their subject ids are kept. */
  private async rewriteEvents(q: QueryRunner, update: string): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" DISABLE TRIGGER "audit_event_append_only"`);
    await q.query(`GRANT UPDATE ON "audit_event" TO CURRENT_USER`);
    await q.query(update);
    await q.query(`REVOKE UPDATE ON "audit_event" FROM CURRENT_USER`);
    await q.query(`ALTER TABLE "audit_event" ENABLE TRIGGER "audit_event_append_only"`);
  }
}
