import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An after-sales case's order is an order of the case's own customer: the database refuses a case
 * that names another customer's order, and an order whose customer changes under a case of
 * someone else.
 *
 * Why: the data subject of everything a case brings is its customer, and of everything an order
 * brings, the order's customer. The write path already holds a case to its customer's orders
 * (openAfterSalesCase finds the order and compares its customer); held here, a case's `order` and
 * an order's `afterSalesCases` stay inside one customer's rows, as an order's shipments do, so a
 * compiled read records the root row's subject for them exactly as graphql-js records the
 * objects it returns (execution/read-plans.ts).
 *
 * Rows already stored are checked first: a migration that meets a case naming another customer's
 * order stops and names how many, rather than leave the rule unenforced.
 */
export class CaseOrderOfCustomer1795000013500 implements MigrationInterface {
  name = 'CaseOrderOfCustomer1795000013500';

  public async up(q: QueryRunner): Promise<void> {
    const [{ n }] = (await q.query(
      `SELECT count(*)::int AS n FROM after_sales_case k JOIN "order" o ON o.id = k.order_id WHERE o.customer_id <> k.customer_id`,
    )) as Array<{ n: number }>;
    if (n > 0) throw new Error(`${n} after-sales case(s) name an order of another customer: correct them before this migration`);
    await q.query(`
      CREATE FUNCTION case_order_of_customer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM "order" o WHERE o.id = NEW.order_id AND o.customer_id = NEW.customer_id) THEN
          RAISE EXCEPTION 'an after-sales case names an order of another customer' USING ERRCODE = 'check_violation', CONSTRAINT = 'case_order_of_customer';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER case_order_of_customer AFTER INSERT OR UPDATE OF order_id, customer_id ON after_sales_case FOR EACH ROW WHEN (NEW.order_id IS NOT NULL) EXECUTE FUNCTION case_order_of_customer()`,
    );
    await q.query(`
      CREATE FUNCTION order_customer_of_cases() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM after_sales_case k WHERE k.order_id = NEW.id AND k.customer_id <> NEW.customer_id) THEN
          RAISE EXCEPTION 'an order''s customer would differ from its after-sales cases''' USING ERRCODE = 'check_violation', CONSTRAINT = 'case_order_of_customer';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER order_customer_of_cases AFTER UPDATE OF customer_id ON "order" FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id) EXECUTE FUNCTION order_customer_of_cases()`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER order_customer_of_cases ON "order"`);
    await q.query(`DROP FUNCTION order_customer_of_cases()`);
    await q.query(`DROP TRIGGER case_order_of_customer ON after_sales_case`);
    await q.query(`DROP FUNCTION case_order_of_customer()`);
  }
}
