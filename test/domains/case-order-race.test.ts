/**
 * A case may not name another customer's order, and an order's customer may not change under
 * someone else's case — also when the two writes race in two transactions (migration
 * 1795000014201): whichever comes second waits for the first and is refused once it commits.
 * Two real connections, READ COMMITTED, as the gateway writes.
 */
import { Client } from 'pg';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';

/** Settles with the outcome of `work`, never rejects. */
const outcome = (work: Promise<unknown>) =>
  work.then(
    () => ({ ok: true as const }),
    (error: Error) => ({ ok: false as const, message: error.message }),
  );

/** Resolves once `pending` settled or the backend `pid` waits for a lock, whichever comes first. */
async function settledOrWaiting(observer: Client, pid: number, pending: Promise<unknown>): Promise<void> {
  let settled = false;
  void pending.then(() => (settled = true));
  for (;;) {
    if (settled) return;
    const { rows } = await observer.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
    if (rows[0]?.wait_event_type === 'Lock') return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('cases and their order’s customer under concurrent writes', () => {
  let db: TestDatabase;
  let first: Client;
  let second: Client;
  let observer: Client;
  let orderNo = 0;
  /** Orders with no case yet, each with its customer and a customer of another order. */
  let orders: Array<{ id: string; customer: string; other: string }>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    orders = await db.dataSource.query(
      `SELECT o.id, o.customer_id AS customer, (SELECT min(p.customer_id::text) FROM "order" p WHERE p.customer_id <> o.customer_id) AS other
         FROM "order" o WHERE NOT EXISTS (SELECT 1 FROM after_sales_case k WHERE k.order_id = o.id) ORDER BY o.id LIMIT 3`,
    );
    [first, second, observer] = [new Client(db.url), new Client(db.url), new Client(db.url)];
    await Promise.all([first.connect(), second.connect(), observer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([first.end(), second.end(), observer.end()]);
    await db.drop();
  });

  /** An order with no case yet, of its own customer: a test's alone. */
  function freshOrder(): { id: string; customer: string; other: string } {
    return orders[orderNo++]!;
  }

  /** A case of the order's customer, on the order. */
  const openCase = (c: Client, order: { id: string; customer: string }) =>
    c.query(`INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at) VALUES ($1, $2, 'complaint', 'open', 'Wrong size', now())`, [order.customer, order.id]);
  /** The order moves to another customer. */
  const reassign = (c: Client, order: { id: string; other: string }) => c.query(`UPDATE "order" SET customer_id = $2 WHERE id = $1`, [order.id, order.other]);

  async function casesNamingAnotherCustomersOrder(): Promise<number> {
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM after_sales_case k JOIN "order" o ON o.id = k.order_id WHERE o.customer_id <> k.customer_id`);
    return n;
  }

  async function race(earlier: (c: Client) => Promise<unknown>, later: (c: Client) => Promise<unknown>) {
    await first.query('BEGIN');
    await second.query('BEGIN');
    try {
      await earlier(first);
      const pid = ((await second.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
      const pending = outcome(later(second));
      await settledOrWaiting(observer, pid, pending);
      await first.query('COMMIT');
      const result = await pending;
      await second.query(result.ok ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      await first.query('ROLLBACK').catch(() => undefined);
      await second.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  it('refuses a case naming an order whose customer another transaction is changing, once that one commits', async () => {
    const order = freshOrder();
    const later = await race((c) => reassign(c, order), (c) => openCase(c, order));
    expect(later).toEqual({ ok: false, message: 'an after-sales case names an order of another customer' });
    expect(await casesNamingAnotherCustomersOrder()).toBe(0);
  });

  it('refuses to change the customer of an order another transaction is opening a case on, once that one commits', async () => {
    const order = freshOrder();
    const later = await race((c) => openCase(c, order), (c) => reassign(c, order));
    expect(later).toEqual({ ok: false, message: "an order's customer would differ from its after-sales cases'" });
    expect(await casesNamingAnotherCustomersOrder()).toBe(0);
  });

  it('lets the second go through when the first rolls back', async () => {
    const order = freshOrder();
    await first.query('BEGIN');
    await second.query('BEGIN');
    await reassign(first, order);
    const pid = ((await second.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
    const pending = outcome(openCase(second, order));
    await settledOrWaiting(observer, pid, pending);
    await first.query('ROLLBACK');
    expect(await pending).toEqual({ ok: true });
    await second.query('COMMIT');
    expect(await casesNamingAnotherCustomersOrder()).toBe(0);
  });
});
