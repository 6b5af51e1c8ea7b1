import type { MigrationInterface, QueryRunner } from 'typeorm';

const BEFORE = `("scope" = 'customer' AND "customer_id" IS NOT NULL AND "order_id" IS NULL) OR ("scope" = 'order' AND "order_id" IS NOT NULL)`;
/** As domains/legal-holds/legal-hold.entity.ts declares it. */
const AFTER = `("scope" = 'customer' AND "customer_id" IS NOT NULL AND "order_id" IS NULL) OR ("scope" = 'order' AND "order_id" IS NOT NULL AND "customer_id" IS NULL)`;

/**
 * A hold on an order names no customer, as a hold on a customer names no order: the CHECK
 * `legal_hold_scope_target` now says both (placeLegalHold already writes them so).
 *
 * Why: an order hold's data subject is its order's customer (policy/tables.ts reads a hold's
 * customer first, then its order's). Were an order hold to name a customer too, the hold and
 * its order could be about two customers; held here, a hold's order is always the hold's
 * subject's, so a compiled read of a hold with its order records the hold's subject alone, as
 * graphql-js records the objects it returns (execution/read-plans.ts).
 *
 * Rows already stored are checked first: a migration that meets an order hold naming a customer
 * stops and names how many.
 */
export class OrderHoldNamesNoCustomer1795000013501 implements MigrationInterface {
  name = 'OrderHoldNamesNoCustomer1795000013501';

  public async up(q: QueryRunner): Promise<void> {
    const [{ n }] = (await q.query(`SELECT count(*)::int AS n FROM legal_hold WHERE scope = 'order' AND customer_id IS NOT NULL`)) as Array<{ n: number }>;
    if (n > 0) throw new Error(`${n} order hold(s) name a customer too: correct them before this migration`);
    await q.query(`ALTER TABLE "legal_hold" DROP CONSTRAINT "legal_hold_scope_target", ADD CONSTRAINT "legal_hold_scope_target" CHECK (${AFTER})`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "legal_hold" DROP CONSTRAINT "legal_hold_scope_target", ADD CONSTRAINT "legal_hold_scope_target" CHECK (${BEFORE})`);
  }
}
