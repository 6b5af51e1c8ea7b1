import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The disclosure audit log (design §5): `audit_event` rows sealed in batches by `audit_seal`.
 * The CREATE TABLEs are what TypeORM generates from src/audit/*.entity.ts; the indexes, the
 * append-only trigger and the privileges are written by hand.
 *
 * Append-only. A trigger refuses UPDATE and DELETE of any row and TRUNCATE of either table, and
 * UPDATE, DELETE and TRUNCATE are revoked from PUBLIC and from the role running the migration
 * (the owner). In production the gateway must connect as a role that does not own these tables
 * and holds only SELECT and INSERT on them: an owner can disable triggers and grant itself
 * privileges back, and a superuser bypasses both walls (tests tamper that way on purpose). Even
 * then `audit verify` detects the change: every row hash, every batch's Merkle root and the seal
 * chain are recomputed.
 *
 * Partitioning. The primary key is (id, at), so the table can become
 * `PARTITION BY RANGE (at)` with one partition per month without changing any key:
 *   1. CREATE TABLE audit_event_partitioned (LIKE audit_event INCLUDING ALL) PARTITION BY RANGE (at);
 *   2. ADD a CHECK (at < '<first day of next month>') to audit_event, rename it, and ATTACH it as
 *      the partition FROM (MINVALUE) TO ('<first day of next month>') (the check spares the scan);
 *   3. create the next months' partitions ahead of time (a monthly job under an advisory lock);
 *   4. re-create the row-level trigger on the parent (PostgreSQL clones it to every partition)
 *      and the TRUNCATE trigger on every partition (statement triggers are not cloned).
 * Indexes on the parent cascade to partitions; queries filtered on `at` prune partitions.
 *
 * Retention of the log itself: an event is kept for 3 years after the end of the month it was
 * written in (the privacy policy's 3-year period, counted from the disclosure), longer while a
 * legal hold covers it. Expiry removes whole monthly partitions (DETACH, then DROP), never rows,
 * so the append-only trigger never needs to be lifted. Seals hold only random ids and hashes and
 * are kept for ever; `audit verify` will then need the retention job to record which months it
 * dropped (not built yet: the table is not partitioned yet).
 */
export class AuditLog1795000000005 implements MigrationInterface {
  name = 'AuditLog1795000000005';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit_event" ("id" uuid NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "request_id" character varying(64) NOT NULL, "principal_kind" character varying(32) NOT NULL, "principal_id" character varying(200) NOT NULL, "roles" character varying(40) array NOT NULL, "partner_id" uuid, "customer_id" uuid, "grant_id" uuid, "purpose" character varying(40), "operation_type" character varying(16), "operation_name" character varying(200), "operation_hash" character(64), "subject_ids" uuid array NOT NULL, "disclosed" text array NOT NULL, "masked" text array NOT NULL, "denied" text array NOT NULL, "outcome" character varying(16) NOT NULL, "error_codes" character varying(40) array NOT NULL, "legal_case_reference" character varying(100), "flagged" boolean NOT NULL, "detail" jsonb, "seal_id" bigint NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "audit_event_hash_hex" CHECK ("hash" ~ '^[0-9a-f]{64}$'), CONSTRAINT "audit_event_operation_type" CHECK ("operation_type" IS NULL OR "operation_type" IN ('query', 'mutation', 'subscription', 'job')), CONSTRAINT "audit_event_outcome" CHECK ("outcome" IN ('ok', 'partial', 'denied', 'error')), CONSTRAINT "PK_5e17158fec0039930c5870f0e4e" PRIMARY KEY ("id", "at"))`);
    await q.query(`CREATE TABLE "audit_seal" ("id" bigint NOT NULL, "sealed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "event_count" integer NOT NULL, "event_ids" uuid array NOT NULL, "merkle_root" character(64) NOT NULL, "previous_hash" character(64) NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "audit_seal_hashes_hex" CHECK ("merkle_root" ~ '^[0-9a-f]{64}$' AND "previous_hash" ~ '^[0-9a-f]{64}$' AND "hash" ~ '^[0-9a-f]{64}$'), CONSTRAINT "audit_seal_count" CHECK ("event_count" = cardinality("event_ids") AND "event_count" > 0), CONSTRAINT "PK_76ca1ee53d31e4b396fafc72a43" PRIMARY KEY ("id"))`);

    // The compliance queries: newest first over a time range, by subject, by principal, by partner, by purpose, flagged reads.
    await q.query(`CREATE INDEX "audit_event_at" ON "audit_event" ("at", "id")`);
    await q.query(`CREATE INDEX "audit_event_subject_ids" ON "audit_event" USING gin ("subject_ids")`);
    await q.query(`CREATE INDEX "audit_event_principal" ON "audit_event" ("principal_kind", "principal_id", "at")`);
    await q.query(`CREATE INDEX "audit_event_partner" ON "audit_event" ("partner_id", "at") WHERE "partner_id" IS NOT NULL`);
    await q.query(`CREATE INDEX "audit_event_purpose" ON "audit_event" ("purpose", "at")`);
    await q.query(`CREATE INDEX "audit_event_flagged" ON "audit_event" ("at") WHERE "flagged"`);
    // `audit verify` reads the events of a range of seals.
    await q.query(`CREATE INDEX "audit_event_seal" ON "audit_event" ("seal_id")`);

    await q.query(`
      CREATE FUNCTION "audit_log_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'audit rows are never changed or removed; retention drops whole monthly partitions';
      END
      $$`);
    for (const table of ['audit_event', 'audit_seal']) {
      await q.query(`CREATE TRIGGER "${table}_append_only" BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"()`);
      await q.query(`CREATE TRIGGER "${table}_no_truncate" BEFORE TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"()`);
      await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "${table}" FROM PUBLIC`);
      await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "${table}" FROM CURRENT_USER`);
    }
    await q.query(`COMMENT ON TABLE "audit_event" IS 'Disclosure audit log: append-only (trigger + revoked privileges), sealed in batches by audit_seal; check with "need-to-know audit verify".'`);
    await q.query(`COMMENT ON TABLE "audit_seal" IS 'Merkle seals over audit_event batches, each chained to the previous one; append-only.'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_seal"`);
    await q.query(`DROP TABLE "audit_event"`);
    await q.query(`DROP FUNCTION "audit_log_refuse_change"()`);
  }
}
