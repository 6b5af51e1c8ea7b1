import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_event.subject_set` is no longer checked by a foreign key on every insert.
 *
 * Why: the check runs per event and locks the named set's row (`FOR KEY SHARE`), and the events
 * of one batch mostly name the same few sets. Measured on a scratch copy of the schema, with the
 * writer's statement, without the key an event cost the backend about a tenth less CPU
 * (docs/performance.md, "Issue 23: the audit event's storage").
 *
 * What the key guarded is kept otherwise:
 * - The writer stores a set in the same statement as the first event naming it, so the two
 *   commit or fail together; it remembers a set as stored only once that statement committed,
 *   and forgets every set whenever the chain is not where it left it (a restore, a failover) or a
 *   batch failed (src/audit/audit-log.ts). Sets are never removed: a trigger refuses UPDATE,
 *   DELETE and TRUNCATE, the privileges are revoked, and retention drops event partitions only.
 * - Against tampering it never held: whoever can switch the append-only triggers off (as
 *   `session_replication_role = replica` does) switches the key's triggers off with them. `audit
 *   verify` reports an event whose set is missing (event-altered, "its subject set … is
 *   missing"), and `auditEvents` refuses to show one.
 * Coordinate sets (migration 1795000011000) are named the same way, without a key.
 */
export class AuditSubjectSetUnchecked1795000011001 implements MigrationInterface {
  name = 'AuditSubjectSetUnchecked1795000011001';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" DROP CONSTRAINT "audit_event_subject_set_fkey"`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_subject_set_fkey" FOREIGN KEY ("subject_set") REFERENCES "audit_subject_set"("hash") ON DELETE NO ACTION ON UPDATE NO ACTION`);
  }
}
