import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_event.trace_id`: the OpenTelemetry trace of the request an event records, so an
 * operator can go from an audit event to the request's spans and log lines (and back).
 *
 * Existing events are not touched: the column is null for them, and an event's hash covers the
 * trace id only when it is set (audit-record.ts), so every existing hash and seal still holds.
 * No query filters on it, so it carries no planner statistics (as migration 7 does for the others).
 */
export class AuditTraceId1795000008001 implements MigrationInterface {
  name = 'AuditTraceId1795000008001';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" ADD "trace_id" character(32)`);
    await q.query(`ALTER TABLE "audit_event" ALTER COLUMN "trace_id" SET STATISTICS 0`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "trace_id"`);
  }
}
