/**
 * `npm run bench:pg-split`: where a PostgreSQL server's CPU goes while a command runs, split by
 * process kind — client backends by application name (the benchmark's servers name theirs:
 * need-to-know-bench-on, -off, …), WAL writer, checkpointer, background writer, autovacuum
 * workers by database and launcher, the postmaster — and by statement (pg_stat_statements, when the server
 * loads it: calls, execution time, rows, WAL bytes, reset at the start).
 *
 * Every process whose parent is the postmaster is sampled from /proc/<pid>/schedstat (the
 * scheduler's nanoseconds) every `--interval` ms and named from pg_stat_activity; a process that
 * starts during the run counts from zero, one that exits (an autovacuum worker, say) counts to
 * its last sample. What exited processes ran after their last sample is the difference between
 * the postmaster's reaped children's time (cutime + cstime, in clock ticks) and their sampled
 * share: printed as "exited, unsampled". So PostgreSQL must run on this machine, and the sampler
 * must be allowed to read its processes' /proc files.
 *
 *   DATABASE_URL=postgres://…/db npm run bench:pg-split -- [--interval 200] -- <command> [args…]
 *
 * e.g. `-- node dist/bench/run.js --scenarios 4 --no-baseline` (DATABASE_URL is passed on).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { procStats } from '../faults/processes';

const log = (line: string) => process.stderr.write(`bench:pg-split: ${line}\n`);

interface Seen {
  kind: string;
  /** CPU ns at the first sample; 0 for a process started since, which counts from its start. */
  first: number;
  last: number;
  gone: boolean;
}

/** CPU ns of a process so far, or null when it is gone or unreadable. */
function runNs(pid: number): number | null {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** Linux reports cutime and cstime in USER_HZ ticks, 100 a second on every architecture the project runs on. */
const TICKS_PER_SECOND = 100;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { interval: { type: 'string', default: '200' } }, allowPositionals: true, strict: true });
  const interval = Number(values.interval);
  if (!Number.isInteger(interval) || interval < 20) throw new Error(`--interval: expected an integer of ms ≥ 20, got ${values.interval}`);
  if (positionals.length === 0) throw new Error('usage: bench:pg-split [--interval MS] -- <command> [args…]');
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const client = new Client({ connectionString: url, application_name: 'need-to-know-bench-pg-split' });
  await client.connect();
  const { rows: [{ pid: own }] } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = Number(procStats()?.find((p) => p.pid === own)?.fields[1]);
  if (!Number.isInteger(postmaster)) throw new Error('the postmaster of this server cannot be read from /proc: PostgreSQL must run on this machine');
  const pgss = (await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`)).rowCount === 1;
  if (pgss) await client.query('SELECT pg_stat_statements_reset()');
  else log('pg_stat_statements is not installed in this database: no split by statement');

  const seen = new Map<number, Seen>();
  const reaped = () => {
    const fields = procStats()?.find((p) => p.pid === postmaster)?.fields;
    return fields ? ((Number(fields[13]) + Number(fields[14])) * 1e9) / TICKS_PER_SECOND : 0;
  };
  const reapedAtStart = reaped();
  let first = true;
  const sample = async () => {
    const { rows } = await client.query<{ pid: number; backend_type: string; application_name: string; datname: string | null }>(
      'SELECT pid, backend_type, application_name, datname FROM pg_stat_activity',
    );
    const kindOf = (r: (typeof rows)[number]) =>
      r.backend_type === 'client backend'
        ? `client: ${r.application_name || '(none)'}`
        : r.backend_type === 'autovacuum worker' && r.datname
          ? `autovacuum worker: ${r.datname}`
          : r.backend_type;
    const named = new Map(rows.map((r) => [r.pid, kindOf(r)]));
    const live = new Set<number>();
    for (const { pid, fields } of procStats() ?? []) {
      if (pid !== postmaster && Number(fields[1]) !== postmaster) continue;
      live.add(pid);
      const ns = runNs(pid);
      if (ns === null) continue;
      // Named by pg_stat_activity as soon as it lists the process (a backend starting up is not listed yet).
      const kind = pid === postmaster ? 'postmaster' : pid === own ? 'this sampler' : named.get(pid);
      const entry = seen.get(pid);
      if (entry) {
        entry.last = ns;
        if (kind) entry.kind = kind;
      } else {
        seen.set(pid, { kind: kind ?? `unnamed: ${cmdline(pid).replace(/^postgres: (\S+: )?/, '').replace(/\s.*$/, '')}`, first: first ? ns : 0, last: ns, gone: false });
      }
    }
    for (const [pid, entry] of seen) if (!live.has(pid)) entry.gone = true;
    first = false;
  };
  await sample();
  const started = process.hrtime.bigint();
  const child = spawn(positionals[0]!, positionals.slice(1), { stdio: 'inherit', env: process.env });
  let running = true;
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  void exited.then(() => (running = false));
  while (running) {
    await new Promise((r) => setTimeout(r, interval));
    await sample();
  }
  const code = await exited;
  await sample();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const byKind = new Map<string, { ms: number; processes: number }>();
  let sampledExited = 0;
  for (const entry of seen.values()) {
    const ms = (entry.last - entry.first) / 1e6;
    const k = byKind.get(entry.kind) ?? { ms: 0, processes: 0 };
    k.ms += ms;
    k.processes += 1;
    byKind.set(entry.kind, k);
    if (entry.gone) sampledExited += entry.last - entry.first;
  }
  const unsampled = (reaped() - reapedAtStart - sampledExited) / 1e6;
  const total = [...byKind.values()].reduce((n, k) => n + k.ms, 0) + Math.max(0, unsampled);
  const lines = [`PostgreSQL CPU by process kind over ${seconds.toFixed(1)} s (command exited ${code}); ms, share`];
  for (const [kind, k] of [...byKind].sort((a, b) => b[1].ms - a[1].ms)) {
    lines.push(`  ${kind.padEnd(48)} ${k.ms.toFixed(0).padStart(8)}  ${((100 * k.ms) / total).toFixed(1).padStart(5)} %  (${k.processes} processes)`);
  }
  lines.push(`  ${'exited, unsampled (reaped ticks less sampled)'.padEnd(48)} ${unsampled.toFixed(0).padStart(8)}`);
  lines.push(`  ${'total'.padEnd(48)} ${total.toFixed(0).padStart(8)}`);
  if (pgss) {
    const { rows } = await client.query<{ query: string; calls: string; exec_ms: number; plan_ms: number; rows: string; wal_bytes: string }>(
      `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query, calls, total_exec_time AS exec_ms, total_plan_time AS plan_ms, rows, wal_bytes
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 15`,
    );
    lines.push('statements of this database (pg_stat_statements): calls, execution ms (wall) total and µs per call, rows, WAL bytes per call');
    for (const r of rows) {
      const calls = Number(r.calls);
      lines.push(
        `  ${String(calls).padStart(8)} ${r.exec_ms.toFixed(0).padStart(7)} ${((1000 * r.exec_ms) / calls).toFixed(1).padStart(8)} µs ${String(r.rows).padStart(8)} ${(Number(r.wal_bytes) / calls).toFixed(0).padStart(6)} B  ${r.query}`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  await client.end();
  process.exitCode = code;
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
