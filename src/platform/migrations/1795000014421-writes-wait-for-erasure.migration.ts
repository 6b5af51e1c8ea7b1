import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose new rows are about the customer in their `customer_id`. */
const BY_CUSTOMER = ['after_sales_case', 'consent_grant', 'preference_consent', 'address'];
/** Tables whose new rows are about the customer of the after-sales case in their `case_id`. */
const BY_CASE = ['case_message', 'case_record', 'case_attachment', 'attachment_upload'];

/**
 * A new row about a customer needs the customer active when it is written, not only when the
 * write looked them up.
 *
 * Why: erasure (privacy/handlers/erasure.ts) locks the customer's row, then erases table by
 * table in one transaction. A write that had found the customer active before that commit, and
 * inserts after it, added a case, a message, a consent grant or an address about an erased
 * customer: left unerased, unrestricted, and a grant in force. (The foreign key check waits for
 * the erasure's lock on the customer row only in some tables; a message on a case the erasure keeps
 * restricted did not wait at all.)
 *
 * How: before each such row, the customer's row is taken FOR SHARE — which waits for an erasure
 * holding it, and makes an erasure that comes later wait for this write — and then read again: a
 * customer no longer active (or a case no longer there) refuses the row with
 * `write_needs_active_customer`, which the request answers as NOT_FOUND
 * (platform/request-transaction.ts). Row triggers, BEFORE the row: the customer is locked before
 * the foreign key checks lock the case, in the order erasure takes them, so the two cannot deadlock.
 */
export class WritesWaitForErasure1795000014421 implements MigrationInterface {
  name = 'WritesWaitForErasure1795000014421';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION write_needs_active_customer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.customer_id IS NOT NULL THEN
          PERFORM 1 FROM customer WHERE id = NEW.customer_id FOR SHARE;
          IF NOT EXISTS (SELECT 1 FROM customer WHERE id = NEW.customer_id AND status = 'active') THEN
            RAISE EXCEPTION 'a row about a customer who is not active' USING ERRCODE = 'check_violation', CONSTRAINT = 'write_needs_active_customer';
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE FUNCTION write_needs_active_case_customer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM customer u JOIN after_sales_case c ON c.customer_id = u.id WHERE c.id = NEW.case_id FOR SHARE OF u;
        IF NOT EXISTS (SELECT 1 FROM after_sales_case c JOIN customer u ON u.id = c.customer_id WHERE c.id = NEW.case_id AND u.status = 'active') THEN
          RAISE EXCEPTION 'a row about a customer who is not active' USING ERRCODE = 'check_violation', CONSTRAINT = 'write_needs_active_customer';
        END IF;
        RETURN NEW;
      END $$`);
    for (const table of BY_CUSTOMER) {
      await q.query(`CREATE TRIGGER ${table}_needs_active_customer BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION write_needs_active_customer()`);
    }
    for (const table of BY_CASE) {
      await q.query(`CREATE TRIGGER ${table}_needs_active_customer BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION write_needs_active_case_customer()`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of [...BY_CUSTOMER, ...BY_CASE]) await q.query(`DROP TRIGGER ${table}_needs_active_customer ON "${table}"`);
    await q.query(`DROP FUNCTION write_needs_active_case_customer()`);
    await q.query(`DROP FUNCTION write_needs_active_customer()`);
  }
}
