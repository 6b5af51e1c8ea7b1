import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An after-sales case written on an order the retention job has already anonymized puts the
 * order back on the job's list (policy §4: nothing is stored indefinitely). The job looks only
 * at orders without `retention_applied_at`, and removes an order's cases when it applies it, so
 * a case opened on the order afterwards (a customer writing about a four-year-old order) was
 * never looked at again: its messages, attachments and records were kept for ever. Now a case
 * inserted on an order, moved onto it or closed clears the order's `retention_applied_at`; the
 * order's `retain_until` then follows the case (NULL while it is open, 3 years after it
 * closed), and the job applies the plans again when that passes. Orders that already have such
 * a case are put back on the list.
 */
const MOVES_ORDER = (onto: string) => `
      CREATE OR REPLACE FUNCTION "retention_case_moves_order"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        orders uuid[] := '{}';
      BEGIN
        IF TG_OP <> 'DELETE' THEN orders := orders || NEW.order_id; END IF;
        IF TG_OP <> 'INSERT' THEN orders := orders || OLD.order_id; END IF;
        ${onto}
        UPDATE "order" o SET retain_until = "retention_order_retain_until"(o.id, o.completed_at)
         WHERE o.id = ANY(orders)
           AND o.retain_until IS DISTINCT FROM "retention_order_retain_until"(o.id, o.completed_at);
        RETURN NULL;
      END
      $$`;

export class RetentionCaseAfterApplied1795000014431 implements MigrationInterface {
  name = 'RetentionCaseAfterApplied1795000014431';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      MOVES_ORDER(`IF TG_OP <> 'DELETE' AND NEW.order_id IS NOT NULL THEN
          UPDATE "order" SET retention_applied_at = NULL WHERE id = NEW.order_id AND retention_applied_at IS NOT NULL;
        END IF;`),
    );
    await q.query(`UPDATE "order" o SET retention_applied_at = NULL WHERE o.retention_applied_at IS NOT NULL AND EXISTS (SELECT 1 FROM "after_sales_case" c WHERE c.order_id = o.id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(MOVES_ORDER(''));
  }
}
