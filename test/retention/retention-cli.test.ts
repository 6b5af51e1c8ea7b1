/**
 * `retention run` as an operator runs it (the compiled dist/): the report on stdout, a second
 * instance told that one is running and exiting 0, and bad options refused with exit code 2.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../../src/platform/logger';
import { RETENTION_LOCK } from '../../src/retention/retention-job';
import { scheduleRetention } from '../../src/retention/retention-schedule';
import { createTestDatabase, type TestDatabase } from '../harness/database';

const MAIN = path.resolve('dist/src/main.js');

function cli(args: string[], databaseUrl: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl } });
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
