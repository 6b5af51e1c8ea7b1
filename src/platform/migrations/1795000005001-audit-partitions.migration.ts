import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_COLUMNS_WITHOUT_STATISTICS } from './1795000000007-audit-statistics.migration';

/**
 * `audit_event` becomes range-partitioned by month of `at` (design §5, §9), so the log can
 * expire a month at a time: dropping a partition removes its events without touching a row, and
 * the append-only trigger never has to be lifted.
 *
 * - The table is rebuilt as `PARTITION BY RANGE (at)` with the same columns, keys, checks, foreign
 *   key and indexes (indexes on the parent cascade to every partition). One partition per UTC
 *   month from the month of the oldest event to 12 months ahead, and `audit_event_default` for an
 *   event outside every prepared month (a clock far off), so writing an event never fails for
 *   want of a partition. Existing events are copied over and the old table dropped.
 * - `audit_event_ensure_partition(month)` creates a month's partition with its protections: the
 *   TRUNCATE trigger (statement triggers are not cloned to partitions), the revoked privileges and
 *   the statistics settings of migration 7. The row trigger is on the parent, which clones it.
 *   The retention job creates the coming months with it (audit-partitions.ts).
 * - `audit_expiry` records each month the retention job dropped: its range, how many events,
 *   and which seals listed them. `audit_expired_leaf` keeps, for a seal that listed events of
 *   both a dropped month and a kept one, the hashes of the dropped ones, so the seal's Merkle
 *   root can still be checked. `audit verify` reads both to tell expiry from removal. Both are
 *   append-only, like the log.
 */
export class AuditPartitions1795000005001 implements MigrationInterface {
  name = 'AuditPartitions1795000005001';

  public async up(q: QueryRunner): Promise<void> {
    // The old table and its indexes step aside under other names.
    await this.renameIndexes(q, 'audit_event', '_unpartitioned');
    await q.query(`ALTER TABLE "audit_event" RENAME CONSTRAINT "audit_event_subject_set_fkey" TO "audit_event_unpartitioned_subject_set_fkey"`);
    await q.query(`ALTER TABLE "audit_event" RENAME TO "audit_event_unpartitioned"`);

    await q.query(`CREATE TABLE "audit_event" ("id" uuid NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "request_id" character varying(64) NOT NULL, "principal_kind" character varying(32) NOT NULL, "principal_id" character varying(200) NOT NULL, "roles" character varying(40) array NOT NULL, "partner_id" uuid, "customer_id" uuid, "grant_id" uuid, "purpose" character varying(40), "operation_type" character varying(16), "operation_name" character varying(200), "operation_hash" character(64), "disclosed" text array NOT NULL, "masked" text array NOT NULL, "denied" text array NOT NULL, "outcome" character varying(16) NOT NULL, "error_codes" character varying(40) array NOT NULL, "legal_case_reference" character varying(100), "flagged" boolean NOT NULL, "detail" jsonb, "seal_id" bigint NOT NULL, "hash" character(64) NOT NULL, "subject_set" character(64), "privacy_request_reference" character varying(100), CONSTRAINT "audit_event_hash_hex" CHECK ("hash" ~ '^[0-9a-f]{64}$'), CONSTRAINT "audit_event_operation_type" CHECK ("operation_type" IS NULL OR "operation_type" IN ('query', 'mutation', 'subscription', 'job')), CONSTRAINT "audit_event_outcome" CHECK ("outcome" IN ('ok', 'partial', 'denied', 'error')), CONSTRAINT "PK_5e17158fec0039930c5870f0e4e" PRIMARY KEY ("id", "at")) PARTITION BY RANGE ("at")`);
    await q.query(`ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_subject_set_fkey" FOREIGN KEY ("subject_set") REFERENCES "audit_subject_set"("hash") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    await this.createIndexes(q);
    await q.query(`ALTER TABLE "audit_event" ${AUDIT_COLUMNS_WITHOUT_STATISTICS.audit_event!.map((c) => `ALTER COLUMN "${c}" SET STATISTICS 0`).join(', ')}`);

    // Named after the parent whatever partition the row is in, as the messages always were.
    await q.query(`
      CREATE FUNCTION "audit_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only: % on audit_event refused', TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'audit rows are never changed or removed; retention drops whole monthly partitions';
      END
      $$`);
    await q.query(protectPartitionFunction());
    await q.query(`
      CREATE FUNCTION "audit_event_ensure_partition"(p_month date) RETURNS text LANGUAGE plpgsql AS $$
      DECLARE
        first_day timestamp := date_trunc('month', p_month::timestamp);
        p_name text := 'audit_event_y' || to_char(first_day, 'YYYY') || 'm' || to_char(first_day, 'MM');
      BEGIN
        IF to_regclass(p_name) IS NOT NULL THEN RETURN NULL; END IF;
        EXECUTE format('CREATE TABLE %I PARTITION OF "audit_event" FOR VALUES FROM (%L) TO (%L)', p_name,
          first_day AT TIME ZONE 'UTC', (first_day + interval '1 month') AT TIME ZONE 'UTC');
        PERFORM "audit_event_protect_partition"(p_name);
        RETURN p_name;
      END
      $$`);
    await q.query(`CREATE TABLE "audit_event_default" PARTITION OF "audit_event" DEFAULT`);
    await q.query(`SELECT "audit_event_protect_partition"('audit_event_default')`);
    await q.query(`
      SELECT "audit_event_ensure_partition"(m::date)
        FROM generate_series(
          date_trunc('month', least((SELECT min("at") FROM "audit_event_unpartitioned"), now()) AT TIME ZONE 'UTC'),
          date_trunc('month', now() AT TIME ZONE 'UTC') + interval '12 months', interval '1 month') AS m`);

    await q.query(`INSERT INTO "audit_event" SELECT ${COLUMNS} FROM "audit_event_unpartitioned"`);
    await q.query(`DROP TABLE "audit_event_unpartitioned"`);

    await q.query(`CREATE TRIGGER "audit_event_append_only" BEFORE UPDATE OR DELETE ON "audit_event" FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"()`);
    await q.query(`CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event" FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_event" FROM PUBLIC`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_event" FROM CURRENT_USER`);
    await q.query(`COMMENT ON TABLE "audit_event" IS 'Disclosure audit log: append-only (trigger + revoked privileges), sealed in batches by audit_seal; check with "need-to-know audit verify".'`);

    await q.query(
      `CREATE TABLE "audit_expiry" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partition" character varying(63) NOT NULL, "from_at" TIMESTAMP WITH TIME ZONE NOT NULL, "to_at" TIMESTAMP WITH TIME ZONE NOT NULL, "events" integer NOT NULL, "first_seal" bigint, "last_seal" bigint, "expired_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_audit_expiry" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "audit_expired_leaf" ("seal_id" bigint NOT NULL, "position" integer NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "PK_audit_expired_leaf" PRIMARY KEY ("seal_id", "position"))`,
    );
    for (const table of ['audit_expiry', 'audit_expired_leaf']) {
      await q.query(`CREATE TRIGGER "${table}_append_only" BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"()`);
      await q.query(`CREATE TRIGGER "${table}_no_truncate" BEFORE TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"()`);
      await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "${table}" FROM PUBLIC`);
      await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "${table}" FROM CURRENT_USER`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_expired_leaf"`);
    await q.query(`DROP TABLE "audit_expiry"`);
    await this.renameIndexes(q, 'audit_event', '_partitioned');
    await q.query(`ALTER TABLE "audit_event" RENAME CONSTRAINT "audit_event_subject_set_fkey" TO "audit_event_partitioned_subject_set_fkey"`);
    await q.query(`ALTER TABLE "audit_event" RENAME TO "audit_event_partitioned"`);
    await q.query(`CREATE TABLE "audit_event" (LIKE "audit_event_partitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await q.query(`ALTER TABLE "audit_event" ADD CONSTRAINT "PK_5e17158fec0039930c5870f0e4e" PRIMARY KEY ("id", "at")`);
    await q.query(`INSERT INTO "audit_event" SELECT ${COLUMNS} FROM "audit_event_partitioned"`);
    await q.query(`DROP TABLE "audit_event_partitioned"`);
    await q.query(`DROP FUNCTION "audit_event_ensure_partition"(date)`);
    await q.query(`DROP FUNCTION "audit_event_protect_partition"(text)`);
    await q.query(`DROP FUNCTION "audit_event_refuse_change"()`);
    await q.query(`ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_subject_set_fkey" FOREIGN KEY ("subject_set") REFERENCES "audit_subject_set"("hash") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    await this.createIndexes(q);
    await q.query(`ALTER TABLE "audit_event" ${AUDIT_COLUMNS_WITHOUT_STATISTICS.audit_event!.map((c) => `ALTER COLUMN "${c}" SET STATISTICS 0`).join(', ')}`);
    await q.query(`CREATE TRIGGER "audit_event_append_only" BEFORE UPDATE OR DELETE ON "audit_event" FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"()`);
    await q.query(`CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_event" FROM PUBLIC`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_event" FROM CURRENT_USER`);
    await q.query(`COMMENT ON TABLE "audit_event" IS 'Disclosure audit log: append-only (trigger + revoked privileges), sealed in batches by audit_seal; check with "need-to-know audit verify".'`);
  }

  /** Renames every index of `table` (its primary key's included) by appending `suffix`. */
  private async renameIndexes(q: QueryRunner, table: string, suffix: string): Promise<void> {
    const indexes: Array<{ name: string; constraint: boolean }> = await q.query(
      `SELECT i.relname AS name, EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.conrelid = t.oid) AS constraint
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = $1 AND t.relnamespace = 'public'::regnamespace`,
      [table],
    );
    for (const { name, constraint } of indexes) {
      if (constraint) await q.query(`ALTER TABLE "${table}" RENAME CONSTRAINT "${name}" TO "${name.slice(0, 63 - suffix.length)}${suffix}"`);
      else await q.query(`ALTER INDEX "${name}" RENAME TO "${name.slice(0, 63 - suffix.length)}${suffix}"`);
    }
  }

  /** The indexes of migrations 5 and 6, on the table now called audit_event. */
  private async createIndexes(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "audit_event_at" ON "audit_event" ("at", "id")`);
    await q.query(`CREATE INDEX "audit_event_principal" ON "audit_event" ("principal_kind", "principal_id", "at")`);
    await q.query(`CREATE INDEX "audit_event_partner" ON "audit_event" ("partner_id", "at") WHERE "partner_id" IS NOT NULL`);
    await q.query(`CREATE INDEX "audit_event_purpose" ON "audit_event" ("purpose", "at")`);
    await q.query(`CREATE INDEX "audit_event_flagged" ON "audit_event" ("at") WHERE "flagged"`);
    await q.query(`CREATE INDEX "audit_event_seal" ON "audit_event" ("seal_id")`);
    await q.query(`CREATE INDEX "audit_event_subject_set" ON "audit_event" ("subject_set") WHERE "subject_set" IS NOT NULL`);
  }
}

/**
 * `audit_event_protect_partition(p_name)`, which gives a new partition of audit_event what the
 * parent cannot hand down: the TRUNCATE trigger, the revoked privileges, the statistics settings
 * of migration 7, and `storageParameters` (reloptions, `name = value, …`) when given (migration
 * 1795000014100's).
 */
export function protectPartitionFunction(storageParameters?: string): string {
  return `
      CREATE OR REPLACE FUNCTION "audit_event_protect_partition"(p_name text) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        col record;
      BEGIN
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"()', p_name || '_no_truncate', p_name);
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM PUBLIC', p_name);
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM CURRENT_USER', p_name);
        FOR col IN SELECT attname FROM pg_attribute WHERE attrelid = 'audit_event'::regclass AND attnum > 0 AND NOT attisdropped AND attstattarget = 0 LOOP
          EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET STATISTICS 0', p_name, col.attname);
        END LOOP;${storageParameters ? `\n        EXECUTE format('ALTER TABLE %I SET (${storageParameters})', p_name);` : ''}
      END
      $$`;
}

const COLUMNS = `"id", "at", "request_id", "principal_kind", "principal_id", "roles", "partner_id", "customer_id", "grant_id", "purpose", "operation_type", "operation_name", "operation_hash", "disclosed", "masked", "denied", "outcome", "error_codes", "legal_case_reference", "flagged", "detail", "seal_id", "hash", "subject_set", "privacy_request_reference"`;
