/**
 * `retention run` as an operator runs it (the compiled dist/): the report on stdout, a second
 * instance told that one is running and exiting 0, and bad options refused with exit code 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../../src/platform/logger';
import { RETENTION_LOCK } from '../../src/retention/retention-job';
import { scheduleRetention } from '../../src/retention/retention-schedule';
import { verifyAuditLog } from '../../src/audit/verify';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertCustomer, insertOrder, referenceRows } from './retention-fixtures';

const MAIN = path.resolve('dist/src/main.js');

function cli(args: string[], databaseUrl: string, env: Record<string, string> = {}, started?: (child: ChildProcess) => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, ...env } });
    started?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('retention run on the command line', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('prints the report per table, the same for a dry run and a real run', async () => {
    const dry = await cli(['retention', 'run', '--dry-run'], db.url);
    const real = await cli(['retention', 'run'], db.url);
    expect([dry.status, real.status]).toEqual([0, 0]);
    const table = (out: string) => out.slice(out.indexOf('orders completed'), out.lastIndexOf('\n('));
    expect(table(dry.stdout)).toMatch(/^orders completed: 0\ntable\s+found\s+anonymized\s+deleted\s+held\norder\s+0\s+0\s+0\s+0\n/);
    expect(table(dry.stdout)).toBe(table(real.stdout));
    expect(dry.stdout).toMatch(/\(dry run: nothing was changed; [\d.]+ s\)\n$/);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM retention_run WHERE finished_at IS NOT NULL`)).toEqual([{ n: 1 }]);
  }, 90_000);

  it('prints the newest seal as an anchor, which audit verify then accepts', async () => {
    const anchor = await cli(['audit', 'anchor'], db.url);
    expect(anchor.status).toBe(0);
    expect(anchor.stdout).toMatch(/^\d+:[0-9a-f]{64}\n$/);
    const [{ id, hash }] = await db.dataSource.query(`SELECT id::text AS id, hash FROM audit_seal ORDER BY id DESC LIMIT 1`);
    expect(anchor.stdout).toBe(`${id}:${hash}\n`);
    const verified = await cli(['audit', 'verify', '--anchor', anchor.stdout.trim()], db.url);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/^audit log intact: /);
  }, 90_000);

  it('says another run holds the lock and exits 0 without doing anything', async () => {
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(${RETENTION_LOCK})`);
      const r = await cli(['retention', 'run'], db.url);
      expect(r).toEqual({ status: 0, stdout: '', stderr: 'retention: another retention run holds the lock (one instance at a time); nothing done\n' });
    } finally {
      await other.end();
    }
  }, 90_000);

  it('runs in the serving process when scheduled, once per interval, and stops', async () => {
    const finished = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM retention_run WHERE finished_at IS NOT NULL`))[0].n as number;
    const before = await finished();
    const schedule = scheduleRetention(db.dataSource, { afterSalesWindowDays: 30, behaviorEventMonths: 13, batchSize: 100, intervalMinutes: 0.001 }, createLogger('silent'));
    const deadline = Date.now() + 10_000;
    while ((await finished()) < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await schedule.stop();
    const after = await finished();
    expect(after).toBeGreaterThanOrEqual(before + 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(await finished()).toBe(after);
  }, 20_000);

  it.each([
    [['retention', 'run', '--limit', '0'], /--limit: expected a whole number of 1 or more, got "0"/],
    [['retention', 'sweep'], /retention: expected the subcommand run, got "sweep"/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const r = await cli(args, db.url);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('retention run killed mid-batch (SIGKILL)', () => {
  it('leaves the killed batch wholly undone and the ones before it done; the next run resumes and finishes, and the log verifies', async () => {
    const db = await createTestDatabase();
    const ds = db.dataSource;
    const customer = '5ec0d000-0000-4000-8000-000000000001';
    const [first, second] = ['5ec0d000-0000-4000-8000-00000000000a', '5ec0d000-0000-4000-8000-00000000000b'];
    const holder = new Client({ connectionString: db.url });
    try {
      await referenceRows(ds);
      await insertCustomer(ds, customer, new Date('2020-01-01T00:00:00Z'));
      const old = { customerId: customer, status: 'completed' as const, placedAt: new Date('2021-01-01T00:00:00Z'), deliveredAt: new Date('2021-01-05T00:00:00Z') };
      await insertOrder(ds, { id: first, ...old, completedAt: new Date('2021-02-01T00:00:00Z'), caseClosedAt: new Date('2021-01-20T00:00:00Z') });
      await insertOrder(ds, { id: second, ...old, completedAt: new Date('2021-03-01T00:00:00Z'), caseClosedAt: new Date('2021-01-20T00:00:00Z') });
      const rowsOf = async (order: string) =>
        (
          await ds.query(
            `SELECT (SELECT count(*) FROM shipment_event e JOIN shipment s ON s.id = e.shipment_id WHERE s.order_id = $1)::int AS scans,
                    (SELECT count(*) FROM case_message m JOIN after_sales_case c ON c.id = m.case_id WHERE c.order_id = $1)::int AS messages,
                    (SELECT ship_recipient_name FROM "order" WHERE id = $1) AS recipient,
                    (SELECT retention_applied_at IS NOT NULL FROM "order" WHERE id = $1) AS applied`,
            [order],
          )
        )[0];
      // Another writer holds the second order's shipment: the run, one order per batch, stops there.
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM shipment WHERE order_id = $1 FOR UPDATE`, [second]);
      let child!: ChildProcess;
      let ended: { status: number | null; stderr: string } | undefined;
      const killed = cli(['retention', 'run'], db.url, { RETENTION_BATCH_SIZE: '1' }, (c) => (child = c)).then((r) => (ended = r));
      for (let i = 0; ; i++) {
        // Not on the holder: inside its transaction it would see one snapshot of the activity.
        const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (n > 0) break;
        if (ended || i > 3000) throw new Error(`the run never reached the held shipment: ${JSON.stringify(ended)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      expect((await killed).status).toBeNull();
      await holder.query('ROLLBACK');
      expect(await rowsOf(first)).toEqual({ scans: 0, messages: 0, recipient: 'erased', applied: true });
      expect(await rowsOf(second)).toEqual({ scans: 2, messages: 2, recipient: 'Ada Recipient', applied: false });
      expect(await ds.query(`SELECT count(*)::int AS n FROM retention_run WHERE finished_at IS NULL`)).toEqual([{ n: 1 }]);

      const next = await cli(['retention', 'run'], db.url, { RETENTION_BATCH_SIZE: '1' });
      expect(next.status).toBe(0);
      expect(next.stdout).toMatch(/, resumed; /);
      expect(next.stdout).toMatch(/^order\s+2\s+2\s+0\s+0$/m);
      expect(await rowsOf(second)).toEqual({ scans: 0, messages: 0, recipient: 'erased', applied: true });
      expect(await ds.query(`SELECT count(*)::int AS n FROM retention_run WHERE finished_at IS NULL`)).toEqual([{ n: 0 }]);
      expect((await verifyAuditLog(ds)).intact).toBe(true);
    } finally {
      await holder.end().catch(() => undefined);
      await db.drop();
    }
  }, 90_000);
});
