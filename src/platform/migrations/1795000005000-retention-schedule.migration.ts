import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retention schedule (design §7, policy §4): personal data is kept 3 years after an order
 * is completed and its after-sales service ended, then anonymized or deleted.
 *
 * - `order.retain_until = max(completed_at, last after-sales case closed) + 3 years`, NULL while
 *   the order is not completed or any of its cases is still open (`closed_at` NULL: a case
 *   resolved or closed has ended). Kept current by triggers, whichever code writes the order or
 *   a case (a resolver, the order lifecycle job, the seed, a hand-written fix): the order's own
 *   trigger when `completed_at` is written, the cases' trigger when a case of the order is
 *   opened, closed, reopened, moved or deleted.
 * - `after_sales_case.retain_until = closed_at + 3 years`: what decides a case that belongs to
 *   no order (a case on an order is kept as long as its order).
 * - `order.retention_applied_at`: when the retention job anonymized the order and removed what
 *   hung on it; the job's idempotence rests on it. The partial index holds only the orders the
 *   job has still to look at, ordered as it reads them.
 * - `legal_hold.released_by`: who released a hold (the placement has `placed_by`).
 * - `policy_version.effective_at`: when a published version takes effect (it can be published
 *   ahead of that); the version in force at a moment is the latest one effective by then.
 *   Existing versions take effect when they were published. An order inserted without a
 *   version gets the one in force when it was placed (trigger), so an order always records it.
 * - `retention_run`: one row per real run of the retention job, its report updated in the
 *   transaction of each batch, so a run killed mid-way is resumed with its own cut-off time
 *   and finishes with the report of a run that was never interrupted.
 */
export class RetentionSchedule1795000005000 implements MigrationInterface {
  name = 'RetentionSchedule1795000005000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "order" ADD "retain_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "order" ADD "retention_applied_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "after_sales_case" ADD "retain_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "legal_hold" ADD "released_by" character varying(200)`);
    await q.query(`ALTER TABLE "policy_version" ADD "effective_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`UPDATE "policy_version" SET "effective_at" = "published_at"`);
    await q.query(`ALTER TABLE "policy_version" ALTER COLUMN "effective_at" SET NOT NULL`);
    await q.query(`CREATE INDEX "IDX_policy_version_effective_at" ON "policy_version" ("effective_at")`);

    await q.query(`
      CREATE FUNCTION "retention_order_retain_until"(p_order_id uuid, p_completed_at timestamptz) RETURNS timestamptz
      LANGUAGE sql STABLE AS $$
        SELECT CASE
          WHEN p_completed_at IS NULL OR bool_or(c.closed_at IS NULL) THEN NULL
          ELSE greatest(p_completed_at, max(c.closed_at)) + interval '3 years'
        END
        FROM "after_sales_case" c WHERE c.order_id = p_order_id
      $$`);
    await q.query(`
      CREATE FUNCTION "retention_order_schedule"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.retain_until := "retention_order_retain_until"(NEW.id, NEW.completed_at);
        RETURN NEW;
      END
      $$`);
    await q.query(`CREATE TRIGGER "order_retention_schedule" BEFORE INSERT OR UPDATE OF "completed_at" ON "order" FOR EACH ROW EXECUTE FUNCTION "retention_order_schedule"()`);
    await q.query(`
      CREATE FUNCTION "retention_case_schedule"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.retain_until := NEW.closed_at + interval '3 years';
        RETURN NEW;
      END
      $$`);
    await q.query(`CREATE TRIGGER "case_retention_schedule" BEFORE INSERT OR UPDATE OF "closed_at" ON "after_sales_case" FOR EACH ROW EXECUTE FUNCTION "retention_case_schedule"()`);
    await q.query(`
      CREATE FUNCTION "retention_case_moves_order"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        orders uuid[] := '{}';
      BEGIN
        IF TG_OP <> 'DELETE' THEN orders := orders || NEW.order_id; END IF;
        IF TG_OP <> 'INSERT' THEN orders := orders || OLD.order_id; END IF;
        UPDATE "order" o SET retain_until = "retention_order_retain_until"(o.id, o.completed_at)
         WHERE o.id = ANY(orders)
           AND o.retain_until IS DISTINCT FROM "retention_order_retain_until"(o.id, o.completed_at);
        RETURN NULL;
      END
      $$`);
    await q.query(
      `CREATE TRIGGER "case_retention_moves_order" AFTER INSERT OR DELETE OR UPDATE OF "closed_at", "order_id" ON "after_sales_case" FOR EACH ROW EXECUTE FUNCTION "retention_case_moves_order"()`,
    );

    await q.query(`
      CREATE FUNCTION "order_policy_version_in_force"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.policy_version_id IS NULL THEN
          SELECT v.id INTO NEW.policy_version_id FROM "policy_version" v
           WHERE v.effective_at <= NEW.placed_at ORDER BY v.effective_at DESC, v.id DESC LIMIT 1;
        END IF;
        RETURN NEW;
      END
      $$`);
    await q.query(`CREATE TRIGGER "order_policy_version_in_force" BEFORE INSERT ON "order" FOR EACH ROW EXECUTE FUNCTION "order_policy_version_in_force"()`);

    // The schedule of what exists already.
    await q.query(`UPDATE "after_sales_case" SET "retain_until" = "closed_at" + interval '3 years' WHERE "closed_at" IS NOT NULL`);
    await q.query(`UPDATE "order" SET "retain_until" = "retention_order_retain_until"("id", "completed_at") WHERE "completed_at" IS NOT NULL`);
    await q.query(`CREATE INDEX "order_retention_due" ON "order" ("retain_until", "id") WHERE "retention_applied_at" IS NULL AND "retain_until" IS NOT NULL`);
    await q.query(`CREATE INDEX "case_retention_due" ON "after_sales_case" ("retain_until", "id") WHERE "order_id" IS NULL AND "retain_until" IS NOT NULL`);

    await q.query(
      `CREATE TABLE "retention_run" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "as_of" TIMESTAMP WITH TIME ZONE NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "finished_at" TIMESTAMP WITH TIME ZONE, "batches" integer NOT NULL DEFAULT 0, "report" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "PK_retention_run" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "retention_run_unfinished" ON "retention_run" ("started_at") WHERE "finished_at" IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "retention_run"`);
    await q.query(`DROP TRIGGER "order_policy_version_in_force" ON "order"`);
    await q.query(`DROP FUNCTION "order_policy_version_in_force"()`);
    await q.query(`DROP TRIGGER "case_retention_moves_order" ON "after_sales_case"`);
    await q.query(`DROP FUNCTION "retention_case_moves_order"()`);
    await q.query(`DROP TRIGGER "case_retention_schedule" ON "after_sales_case"`);
    await q.query(`DROP FUNCTION "retention_case_schedule"()`);
    await q.query(`DROP TRIGGER "order_retention_schedule" ON "order"`);
    await q.query(`DROP FUNCTION "retention_order_schedule"()`);
    await q.query(`DROP FUNCTION "retention_order_retain_until"(uuid, timestamptz)`);
    await q.query(`DROP INDEX "IDX_policy_version_effective_at"`);
    await q.query(`ALTER TABLE "policy_version" DROP COLUMN "effective_at"`);
    await q.query(`ALTER TABLE "legal_hold" DROP COLUMN "released_by"`);
    await q.query(`ALTER TABLE "after_sales_case" DROP COLUMN "retain_until"`);
    await q.query(`ALTER TABLE "order" DROP COLUMN "retention_applied_at"`);
    await q.query(`ALTER TABLE "order" DROP COLUMN "retain_until"`);
  }
}
