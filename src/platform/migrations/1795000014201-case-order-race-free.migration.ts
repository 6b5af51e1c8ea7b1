import type { MigrationInterface, QueryRunner } from 'typeorm';

/** As migration 1795000013500 wrote it: reads the order without locking it. */
const BEFORE = `
      CREATE OR REPLACE FUNCTION case_order_of_customer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM "order" o WHERE o.id = NEW.order_id AND o.customer_id = NEW.customer_id) THEN
          RAISE EXCEPTION 'an after-sales case names an order of another customer' USING ERRCODE = 'check_violation', CONSTRAINT = 'case_order_of_customer';
        END IF;
        RETURN NULL;
      END $$`;

const AFTER = `
      CREATE OR REPLACE FUNCTION case_order_of_customer() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        owner uuid;
      BEGIN
        -- FOR SHARE: waits for a transaction changing the order's customer, then reads its outcome;
        -- and makes such a change wait for this one (see migration 1795000014201).
        SELECT o.customer_id INTO owner FROM "order" o WHERE o.id = NEW.order_id FOR SHARE;
        IF owner IS DISTINCT FROM NEW.customer_id THEN
          RAISE EXCEPTION 'an after-sales case names an order of another customer' USING ERRCODE = 'check_violation', CONSTRAINT = 'case_order_of_customer';
        END IF;
        RETURN NULL;
      END $$`;

/**
 * The case/order rule of migration 1795000013500 holds under concurrent writes.
 *
 * Why: each trigger read the other table as its statement saw it. Under READ COMMITTED, one
 * transaction changing an order's customer and another inserting a case (of the old customer)
 * naming that order each saw nothing wrong in what the other had not committed yet, and both
 * committed: a case naming another customer's order. The foreign key's own lock on the order
 * (FOR KEY SHARE) does not conflict with an UPDATE that changes no key.
 *
 * Now the case's trigger locks the order row it names FOR SHARE, which conflicts with any
 * UPDATE of that row; both triggers thus meet on the order row, the one lock they share:
 * - the order's customer changed first: the case's trigger waits for that transaction and, once
 *   it committed, reads the order's new customer (READ COMMITTED reads the newest version of a
 *   row it locked) and refuses the case;
 * - the case first: the order's UPDATE waits for the case's transaction, and its trigger, whose
 *   query takes a new snapshot after the wait, sees the committed case and refuses the change.
 * The order's trigger needs no lock of its own: its UPDATE holds the order row already.
 * Only the order row is ever locked by both, so the two cannot wait for each other in a cycle.
 *
 * Under REPEATABLE READ the second case is not covered (the order's trigger reads its
 * transaction's snapshot); the gateway writes under READ COMMITTED, and SERIALIZABLE catches it.
 */
export class CaseOrderRaceFree1795000014201 implements MigrationInterface {
  name = 'CaseOrderRaceFree1795000014201';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(AFTER);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(BEFORE);
  }
}
