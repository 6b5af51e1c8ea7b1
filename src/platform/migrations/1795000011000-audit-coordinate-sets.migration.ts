import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Coordinate sets: an audit event's coordinate lists (disclosed, masked, denied) are stored once
 * per distinct triple in `audit_coordinate_set`, and the event names its set by
 * `coordinate_set` (sha256 of the canonical JSON of the three sorted lists, as
 * `coordinateSetHash` in src/audit/audit-record.ts computes it), as subject sets already are
 * (migration 1795000000006).
 *
 * Why: every request of one shape repeats the same lists (the manifest's 14 coordinates), and
 * PostgreSQL parsed, stored and wrote WAL for three text arrays in every event. Measured on a
 * scratch copy of the schema, the event costs the backend about 5 % less CPU and takes about
 * 30 % fewer bytes (docs/performance.md, "Issue 23: the audit event's storage").
 *
 * Existing events are not touched: they keep their lists in their own row and name no set, and
 * every reader takes the lists from the row when it names no set and from the set when it does
 * (`EVENT_SETS` in audit-record.ts). Their hashes and seals stay as they were. Moving them would
 * be an UPDATE of every event in three years of monthly partitions — a new version of each row,
 * its index entries and WAL, with the append-only trigger lifted for the length of it — to save
 * the storage of rows that expire anyway. Adding a nullable column and dropping NOT NULL change
 * the catalog only: no partition is rewritten or scanned.
 *
 * No foreign key from the event to its set: its check locked the set's row per event, and the
 * writer stores a set in the same statement as the first event naming it (sets are never
 * removed: append-only, trigger and revoked privileges). `audit verify` reports an event whose
 * set is missing, as for subject sets. No index on `coordinate_set` either: the auditor's
 * coordinate filter was never indexed (it filters the time-ordered scan), and finds the sets
 * holding the coordinate in this small table first.
 */
export class AuditCoordinateSets1795000011000 implements MigrationInterface {
  name = 'AuditCoordinateSets1795000011000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "audit_coordinate_set" ("hash" character(64) NOT NULL, "disclosed" text array NOT NULL, "masked" text array NOT NULL, "denied" text array NOT NULL, CONSTRAINT "audit_coordinate_set_hash_hex" CHECK ("hash" ~ '^[0-9a-f]{64}$'), CONSTRAINT "PK_audit_coordinate_set" PRIMARY KEY ("hash"))`,
    );
    await q.query(`CREATE TRIGGER "audit_coordinate_set_append_only" BEFORE UPDATE OR DELETE ON "audit_coordinate_set" FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"()`);
    await q.query(`CREATE TRIGGER "audit_coordinate_set_no_truncate" BEFORE TRUNCATE ON "audit_coordinate_set" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_coordinate_set" FROM PUBLIC`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_coordinate_set" FROM CURRENT_USER`);
    await q.query(`COMMENT ON TABLE "audit_coordinate_set" IS 'The coordinate lists of audit events, each distinct triple stored once and named by its sha256; append-only.'`);

    await q.query(`ALTER TABLE "audit_event" ADD "coordinate_set" character(64)`);
    await q.query(`ALTER TABLE "audit_event" ALTER COLUMN "disclosed" DROP NOT NULL, ALTER COLUMN "masked" DROP NOT NULL, ALTER COLUMN "denied" DROP NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // The lists go back into the rows of the events that named a set: the one change to stored
    // events this migration's revert makes, with the trigger off and the privilege granted for
    // the length of it (as migration 1795000000006 does).
    await q.query(`ALTER TABLE "audit_event" DISABLE TRIGGER "audit_event_append_only"`);
    await q.query(`GRANT UPDATE ON "audit_event" TO CURRENT_USER`);
    await q.query(
      `UPDATE "audit_event" e SET "disclosed" = c."disclosed", "masked" = c."masked", "denied" = c."denied" FROM "audit_coordinate_set" c WHERE c."hash" = e."coordinate_set"`,
    );
    await q.query(`REVOKE UPDATE ON "audit_event" FROM CURRENT_USER`);
    await q.query(`ALTER TABLE "audit_event" ENABLE TRIGGER "audit_event_append_only"`);
    await q.query(`ALTER TABLE "audit_event" ALTER COLUMN "disclosed" SET NOT NULL, ALTER COLUMN "masked" SET NOT NULL, ALTER COLUMN "denied" SET NOT NULL`);
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "coordinate_set"`);
    await q.query(`DROP TABLE "audit_coordinate_set"`);
  }
}
