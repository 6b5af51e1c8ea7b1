import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retention schedule on the UTC calendar (policy §4, design §7). Migration 1795000005000
 * added 3 years to a `timestamptz`, which PostgreSQL does in the session's time zone: under a
 * database or server `timezone` other than UTC, an order completed at 03:00 UTC on 29 February
 * 2024 (the evening of the 28th in Los Angeles) was scheduled for 1 March 2027 instead of
 * 28 February, and one completed on a daylight-saving day an hour off; two sessions in two
 * zones gave the same order two schedules. The 3 years are now added to the UTC wall-clock
 * time (a third anniversary that falls on a missing 29 February is the 28th), whatever the
 * session's zone, and the schedules already written are recomputed so.
 */
const ORDER_RETAIN_UNTIL = (threeYearsAfter: (at: string) => string) => `
      CREATE OR REPLACE FUNCTION "retention_order_retain_until"(p_order_id uuid, p_completed_at timestamptz) RETURNS timestamptz
      LANGUAGE sql STABLE AS $$
        SELECT CASE
          WHEN p_completed_at IS NULL OR bool_or(c.closed_at IS NULL) THEN NULL
          ELSE ${threeYearsAfter('greatest(p_completed_at, max(c.closed_at))')}
        END
        FROM "after_sales_case" c WHERE c.order_id = p_order_id
      $$`;

const CASE_SCHEDULE = (threeYearsAfter: (at: string) => string) => `
      CREATE OR REPLACE FUNCTION "retention_case_schedule"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.retain_until := ${threeYearsAfter('NEW.closed_at')};
        RETURN NEW;
      END
      $$`;

const UTC = (at: string) => `((${at}) AT TIME ZONE 'UTC' + interval '3 years') AT TIME ZONE 'UTC'`;
const SESSION = (at: string) => `${at} + interval '3 years'`;

export class RetentionScheduleUtc1795000014430 implements MigrationInterface {
  name = 'RetentionScheduleUtc1795000014430';

  public async up(q: QueryRunner): Promise<void> {
    await this.schedule(q, UTC);
  }

  public async down(q: QueryRunner): Promise<void> {
    await this.schedule(q, SESSION);
  }

  private async schedule(q: QueryRunner, threeYearsAfter: (at: string) => string): Promise<void> {
    await q.query(ORDER_RETAIN_UNTIL(threeYearsAfter));
    await q.query(CASE_SCHEDULE(threeYearsAfter));
    await q.query(
      `UPDATE "after_sales_case" SET "retain_until" = ${threeYearsAfter('"closed_at"')} WHERE "closed_at" IS NOT NULL AND "retain_until" IS DISTINCT FROM ${threeYearsAfter('"closed_at"')}`,
    );
    await q.query(
      `UPDATE "order" SET "retain_until" = "retention_order_retain_until"("id", "completed_at")
        WHERE "completed_at" IS NOT NULL AND "retain_until" IS DISTINCT FROM "retention_order_retain_until"("id", "completed_at")`,
    );
  }
}
