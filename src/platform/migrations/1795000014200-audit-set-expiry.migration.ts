import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subject and coordinate sets expire with the events that name them (src/audit/audit-sets.ts).
 *
 * Why: a subject set names customers. Once the monthly partitions whose events named a set are
 * dropped after their 3 years, the set said who was disclosed to whom, with no event left to
 * say it for: it must go too, unless a remaining event or a legal hold still needs it.
 *
 * - `audit_set_candidate`: the sets named by a month as it was dropped, waiting to be checked
 *   (in batches, resumable: a candidate leaves only once decided).
 * - `audit_set_removal`: a sequence the job advances in each transaction that removes sets.
 *   Writers remember which sets they stored and do not send them again (src/audit/audit-log.ts);
 *   under the seal lock they read this sequence, and forget what they remember when it moved.
 *
 * The sets stay append-only for everyone else: the trigger and the revoked privileges stay; the
 * job lifts them inside its own transaction, for its DELETE alone, as migration 1795000000006
 * did for its one UPDATE.
 */
export class AuditSetExpiry1795000014200 implements MigrationInterface {
  name = 'AuditSetExpiry1795000014200';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "audit_set_candidate" ("kind" character varying(10) NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "audit_set_candidate_kind" CHECK ("kind" IN ('subject', 'coordinate')), CONSTRAINT "PK_audit_set_candidate" PRIMARY KEY ("kind", "hash"))`,
    );
    await q.query(`COMMENT ON TABLE "audit_set_candidate" IS 'Subject and coordinate sets named by dropped audit months, to be removed once no event or legal hold needs them.'`);
    await q.query(`CREATE SEQUENCE "audit_set_removal"`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SEQUENCE "audit_set_removal"`);
    await q.query(`DROP TABLE "audit_set_candidate"`);
  }
}
