/**
 * The benchmark's database: DATABASE_URL when set, otherwise an embedded PostgreSQL of its own
 * (data directory `.data/bench`, port 54349: neither the server's 54329 nor the tests' 54339),
 * migrated, holding BENCH_SEED (seeded on first use, reused afterwards), analyzed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/data-source';
import { POSTGRES_GLIBC_TUNABLES, startEmbeddedPostgres } from '../src/platform/embedded-postgres';
import { DEMO_IDS } from '../src/seed/demo-ids';
import { BENCH_SEED, isSeeded, seedDatabase } from '../src/seed/seed';
import { procStats } from '../faults/processes';
import { BENCH_SCAN_LOCATION, type Fixtures } from './scenarios';

export const BENCH_DATABASE_NAME = 'need_to_know_bench';
export const DEFAULT_BENCH_PG_PORT = 54349;

export interface BenchDatabaseOptions {
  /** Used as is when set; nothing is started. */
  databaseUrl?: string;
  dataDir: string;
  port: number;
  log(line: string): void;
}

export interface PostgresSettings {
  version: string;
  /** What `postgresUsage` sums. */
  cpuSource: string;
  /** Where it runs: `embedded <dir>:<port>` or the DATABASE_URL host. */
  server: string;
  /** GLIBC_TUNABLES of the running postmaster as read from /proc, when it can be read. */
  glibcTunables: string | null;
  /**
   * Whether the postmaster runs with malloc thresholds of its own (POSTGRES_GLIBC_TUNABLES'
   * two), false when it runs with glibc's dynamic ones, null when that cannot be read.
   */
  fixedMallocThresholds: boolean | null;
  /** A few settings that move the numbers. */
  settings: Record<string, string>;
}

export interface BenchDatabase {
  url: string;
  dataSource: DataSource;
  postgres: PostgresSettings;
  counts: Record<string, number>;
  /** How long seeding took, when this run seeded. */
  seededMs: number | null;
  fixtures: Fixtures;
  /**
   * CPU time and page faults PostgreSQL has used so far for the benchmark: with the embedded
   * PostgreSQL, the postmaster and every backend and worker it started; with DATABASE_URL on this
   * host, the backends connected to the benchmark's database (other databases of a shared server
   * are left out, and so are its WAL writer and checkpointer); null where /proc cannot be read.
   * Backends that exit take their figures with them, so read it around stretches in which
   * connections stay open.
   */
  postgresUsage(): Promise<PostgresUsage | null>;
  /** Deletes the scans the mutation scenario recorded; returns how many. */
  deleteBenchScans(): Promise<number>;
  close(): Promise<void>;
}

/**
 * What PostgreSQL used: CPU time (ms, from the scheduler's nanosecond count, so a stretch of a
 * second is not rounded to clock ticks backend by backend) and minor page faults. A statement
 * whose memory glibc hands back to the kernel after each execution (dynamic malloc thresholds)
 * faults the same pages in again every time, at a cost that depends on the machine (~17 µs a
 * fault on the virtual machine of issue 23's measurements, well under 1 µs on bare metal).
 */
export interface PostgresUsage {
  cpuMs: number;
  minorFaults: number;
}

export class BenchSetupError extends Error {
  override name = 'BenchSetupError';
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function postmasterPid(clusterDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The GLIBC_TUNABLES a running process was started with, or null (not set, or unreadable). */
function tunablesOf(pid: number | undefined): string | null {
  if (pid === undefined) return null;
  try {
    const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const at = environ.findIndex((e) => e.startsWith('GLIBC_TUNABLES='));
    if (at < 0) return '(not set)';
    // glibc parses the variable in place and leaves a NUL where each ':' was.
    const parts = [environ[at]!.slice('GLIBC_TUNABLES='.length)];
    for (let i = at + 1; i < environ.length && environ[i]!.startsWith('glibc.'); i++) parts.push(environ[i]!);
    return parts.join(':');
  } catch {
    return null;
  }
}

const SETTINGS = ['shared_buffers', 'work_mem', 'max_connections', 'fsync', 'synchronous_commit', 'jit', 'effective_cache_size'];

async function settingsOf(ds: DataSource): Promise<Record<string, string>> {
  const rows: Array<{ name: string; setting: string; unit: string | null }> = await ds.query(
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
    [SETTINGS],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} (${r.unit})` : r.setting]));
}

async function tableCounts(ds: DataSource): Promise<Record<string, number>> {
  const [row] = await ds.query(`SELECT
    (SELECT count(*) FROM customer)::int AS customers,
    (SELECT count(*) FROM "order")::int AS orders,
    (SELECT count(*) FROM order_item)::int AS order_items,
    (SELECT count(*) FROM shipment)::int AS shipments,
    (SELECT count(*) FROM payment_verification)::int AS payment_verifications,
    (SELECT count(*) FROM after_sales_case)::int AS after_sales_cases,
    (SELECT count(*) FROM case_message)::int AS case_messages`);
  return row;
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Nanoseconds a process has run on a CPU (the scheduler's count), or null when unreadable. */
function runNs(pid: number): number | null {
  try {
    const ns = Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}

/** CPU time (ms) and minor faults of one process from its /proc stat fields: the scheduler's count when readable, else utime + stime. */
function usageOf(pid: number, fields: readonly string[]): PostgresUsage {
  const ns = runNs(pid);
  return {
    cpuMs: ns !== null ? ns / 1e6 : ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond(),
    minorFaults: Number(fields[7]),
  };
}

/**
 * CPU time and minor faults of `root` and all its children, from /proc; null when unreadable:
 * those of each live one, plus `root`'s cutime + cstime and cminflt, where the figures of the
 * children it has reaped go (PostgreSQL's postmaster reaps every backend), so the sums never go back.
 */
function processTreeUsage(root: number): PostgresUsage | null {
  const total: PostgresUsage = { cpuMs: 0, minorFaults: 0 };
  let found = false;
  const stats = procStats();
  if (!stats) return null;
  for (const { pid, fields } of stats) {
    if (pid !== root && Number(fields[1]) !== root) continue;
    found = true;
    const own = usageOf(pid, fields);
    total.cpuMs += own.cpuMs;
    total.minorFaults += own.minorFaults;
    if (pid === root) {
      total.cpuMs += ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond();
      total.minorFaults += Number(fields[8]);
    }
  }
  return found ? total : null;
}

/** CPU time and minor faults of the given processes, from /proc; null when none can be read. */
function processesUsage(pids: ReadonlySet<number>): PostgresUsage | null {
  const total: PostgresUsage = { cpuMs: 0, minorFaults: 0 };
  let found = false;
  for (const { pid, fields } of procStats() ?? []) {
    if (!pids.has(pid)) continue;
    found = true;
    const own = usageOf(pid, fields);
    total.cpuMs += own.cpuMs;
    total.minorFaults += own.minorFaults;
  }
  return found ? total : null;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '']);

/**
 * CPU time and minor faults of the client backends connected to the benchmark's database, other
 * than the one asking; null when the server is not on this host or /proc cannot be read.
 */
async function databaseBackendsUsage(ds: DataSource, url: string): Promise<PostgresUsage | null> {
  if (!LOCAL_HOSTS.has(new URL(url).hostname)) return null;
  const rows: Array<{ pid: number }> = await ds.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  return processesUsage(new Set(rows.map((r) => r.pid)));
}

/** The postmaster of a server on this host: the parent of the backend asking; undefined when /proc cannot tell. */
async function postmasterOfBackend(ds: DataSource, url: string): Promise<number | undefined> {
  if (!LOCAL_HOSTS.has(new URL(url).hostname)) return undefined;
  const [{ pid }]: Array<{ pid: number }> = await ds.query('SELECT pg_backend_pid() AS pid');
  const parent = procStats()?.find((p) => p.pid === pid)?.fields[1];
  return parent === undefined ? undefined : Number(parent);
}

/** Whether GLIBC_TUNABLES (as tunablesOf read it) fixes both malloc thresholds; null when unknown. */
export function fixesMallocThresholds(tunables: string | null): boolean | null {
  if (tunables === null) return null;
  const set = new Set(tunables.split(':').map((t) => t.split('=')[0]));
  return set.has('glibc.malloc.mmap_threshold') && set.has('glibc.malloc.trim_threshold');
}

async function deleteScans(ds: DataSource): Promise<number> {
  const [{ n }] = await ds.query('WITH d AS (DELETE FROM shipment_event WHERE location = $1 RETURNING 1) SELECT count(*)::int AS n FROM d', [
    BENCH_SCAN_LOCATION,
  ]);
  return n;
}

export async function openBenchDatabase(options: BenchDatabaseOptions): Promise<BenchDatabase> {
  const { log } = options;
  let url: string;
  let stopEmbedded: () => Promise<void> = async () => undefined;
  let server: string;
  let tunables: string | null = null;
  let postmaster: number | undefined;
  if (options.databaseUrl) {
    url = options.databaseUrl;
    server = `DATABASE_URL ${new URL(url).host}${new URL(url).pathname}`;
    log(`database: DATABASE_URL (${server})`);
  } else {
    const clusterDir = path.join(options.dataDir, 'pg');
    if (!(await portIsFree(options.port))) {
      const pid = postmasterPid(clusterDir);
      throw new BenchSetupError(
        `port ${options.port} on 127.0.0.1 is in use` +
          (pid ? ` (the benchmark's PostgreSQL in ${clusterDir} may still be running as pid ${pid}: stop it)` : '') +
          `: free it, pass --pg-port <another port>, or set DATABASE_URL`,
      );
    }
    const fresh = !fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
    log(`database: embedded PostgreSQL in ${path.relative(process.cwd(), options.dataDir) || '.'} on 127.0.0.1:${options.port}${fresh ? ' (new cluster: initdb)' : ''}`);
    // startEmbeddedPostgres sets it too; set here so the report and the postmaster agree.
    process.env.GLIBC_TUNABLES ??= POSTGRES_GLIBC_TUNABLES;
    const handle = await startEmbeddedPostgres({ dataDir: options.dataDir, port: options.port, database: BENCH_DATABASE_NAME });
    url = handle.url(BENCH_DATABASE_NAME);
    stopEmbedded = () => handle.stop();
    server = `embedded ${options.dataDir} 127.0.0.1:${options.port}`;
    postmaster = postmasterPid(clusterDir);
    tunables = tunablesOf(postmaster);
  }

  const dataSource = createDataSource({ url, poolSize: 2, statementTimeoutMs: 600_000, applicationName: 'need-to-know-bench-driver' });
  const close = async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await stopEmbedded();
  };
  try {
    await dataSource.initialize();
    // A server on this host: its postmaster's environment can be read too (as its user or root).
    if (options.databaseUrl) tunables = tunablesOf(await postmasterOfBackend(dataSource, url));
    const fixedMallocThresholds = fixesMallocThresholds(tunables);
    if (fixedMallocThresholds === false) {
      log(
        `warning: PostgreSQL runs with glibc's dynamic malloc thresholds (GLIBC_TUNABLES ${tunables}): statements that build large ` +
          'JSON values (the raw-SQL baseline above all) fault their memory in again on every execution, at a cost that depends on ' +
          `the machine, so the multiples are not comparable with runs on a server started with GLIBC_TUNABLES=${POSTGRES_GLIBC_TUNABLES}; ` +
          'see pg faults/req',
      );
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) log(`migrations applied: ${applied.map((m) => m.name).join(', ')}`);

    let seededMs: number | null = null;
    if (await isSeeded(dataSource)) {
      const counts = await tableCounts(dataSource);
      const expected = BENCH_SEED.customers;
      if (counts.customers !== expected) {
        throw new BenchSetupError(
          `the database holds a different data set (${counts.customers} customers, the benchmark's has ${expected}): ` +
            'point DATABASE_URL at an empty database, or delete the benchmark data directory',
        );
      }
      log('data: benchmark data set present, reused');
    } else {
      log(`data: seeding the benchmark data set (${BENCH_SEED.customers} customers, ~${BENCH_SEED.customers * BENCH_SEED.ordersPerCustomer} orders); once per data directory`);
      const tty = Boolean(process.stderr.isTTY);
      const report = await seedDatabase(dataSource, {
        ...BENCH_SEED,
        progress: tty,
        onProgress: tty ? undefined : (done, total, stage) => done === total && log(`  seeded ${stage} (${total})`),
      });
      seededMs = report.ms;
      log(`data: seeded in ${(report.ms / 1000).toFixed(1)} s; VACUUM ANALYZE`);
      await dataSource.query('VACUUM ANALYZE');
    }
    const leftover = await deleteScans(dataSource);
    if (leftover > 0) log(`data: deleted ${leftover} scans left by an earlier run`);
    await dataSource.query('ANALYZE');

    const fixtures: Fixtures = {
      logisticsPartner: DEMO_IDS.logisticsPartners[0],
      paymentProvider: DEMO_IDS.paymentProviders[0],
      demoCustomer: DEMO_IDS.demoCustomer,
      orderIds: (await dataSource.query(`SELECT id FROM "order" ORDER BY md5(id::text) LIMIT 1000`)).map((r: { id: string }) => r.id),
      shipmentIds: (
        await dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY md5(id::text) LIMIT 1000`, [DEMO_IDS.logisticsPartners[0]])
      ).map((r: { id: string }) => r.id),
    };
    const [{ server_version: version }] = await dataSource.query('SHOW server_version');
    return {
      url,
      dataSource,
      postgres: {
        version,
        server,
        cpuSource: postmaster === undefined ? 'client backends of the benchmark database (/proc)' : 'the embedded postmaster and all its processes (/proc)',
        glibcTunables: tunables,
        fixedMallocThresholds,
        settings: await settingsOf(dataSource),
      },
      counts: await tableCounts(dataSource),
      seededMs,
      fixtures,
      postgresUsage: async () => (postmaster === undefined ? databaseBackendsUsage(dataSource, url) : processTreeUsage(postmaster)),
      deleteBenchScans: () => deleteScans(dataSource),
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
