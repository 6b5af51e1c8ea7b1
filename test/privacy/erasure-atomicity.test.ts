/**
 * Erasure is all or nothing: a process killed part-way through (SIGKILL, no chance to roll back)
 * leaves every table as it was, and a run that finishes changes them. The erasure runs in a
 * process of its own (dist/test/privacy/erasure-child.js, which `npm test` compiles first).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { eraseCustomer, erasureOrder } from '../../src/privacy/handlers/erasure';
import { PRIVACY_HANDLERS } from '../../src/privacy/handlers/registry';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createErasureFixture, dataDigest, type ErasureFixture } from '../harness/erasure-fixture';

const CHILD = path.resolve('dist/test/privacy/erasure-child.js');

describe('erasure, all or nothing', () => {
  let db: TestDatabase;
  let fixture: ErasureFixture;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    fixture = await createErasureFixture(db.dataSource);
  });
  afterAll(() => db.drop());

  /** Locks other sessions hold on this database's customer table, polled until none or `ms` pass. */
  async function locksOnCustomerWithin(ms: number): Promise<number> {
    const until = Date.now() + ms;
    for (;;) {
      const [{ n }] = await db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
          WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND c.relname = 'customer' AND l.pid <> pg_backend_pid()`,
      );
      if (n === 0 || Date.now() > until) return n;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts the erasure in a child process; resolves once it reports it stopped after `table`. */
  function eraseUntil(table: string): Promise<{ kill(): Promise<void> }> {
    const child = spawn(process.execPath, [CHILD, db.url, fixture.customerId, table], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes(`stopped after ${table}`)) {
          resolve({
            kill: () =>
              new Promise<void>((done) => {
                child.once('exit', () => done());
                child.kill('SIGKILL');
              }),
          });
        }
      });
      child.once('exit', (code) => reject(new Error(`the erasure process exited (${code}) before stopping after ${table}: ${out}${err}`)));
    });
  }

  it.each(['case_message', 'order', 'address'])('a process killed after erasing %s leaves nothing changed', async (table) => {
    // The table is part-way: tables before it in the order were erased, some after it were not.
    const order = erasureOrder(PRIVACY_HANDLERS).map((h) => h.table);
    expect(order.indexOf(table)).toBeGreaterThan(0);
    expect(order.indexOf(table)).toBeLessThan(order.length - 1);
    const before = await dataDigest(db.dataSource);
    const running = await eraseUntil(table);
    await running.kill();
    expect(await dataDigest(db.dataSource)).toEqual(before);
    // The killed transaction's locks go with its connection (once the server sees it closed): the customer can be erased now.
    expect(await locksOnCustomerWithin(5000)).toBe(0);
  });

  it('a run that finishes changes what the killed ones did not', async () => {
    const before = await dataDigest(db.dataSource);
    await db.dataSource.transaction((em) => eraseCustomer(em, fixture.customerId, new Date()));
    const after = await dataDigest(db.dataSource);
    expect(after.customer).not.toEqual(before.customer);
    expect(after.address).not.toEqual(before.address);
    expect(after.case_message).not.toEqual(before.case_message);
    const [customer] = await db.dataSource.query(`SELECT status, account_name FROM customer WHERE id = $1`, [fixture.customerId]);
    expect(customer).toEqual({ status: 'erased', account_name: 'erased' });
  });
});
