/**
 * `npm run bench:process`: where a gateway process's CPU goes per request, by what the kernel
 * counts for it — CPU time split by thread (the main thread, V8's workers: GC helpers and
 * background compilers, libuv's pool, the rest) and into user and system time, context switches
 * (voluntary: the thread waited; involuntary: it was preempted), read- and write-family system
 * calls, and with `--strace` every system call by name. Counts rather than timings where the
 * kernel keeps them, so a busy machine shifts them little; the CPU times are the kernel's too.
 *
 * The gateways (bench/gateway-server.js, protections on and off, and with `--gateway DIR` the
 * protected gateway of another build as `before`) run side by side; after `--warmup` requests
 * each, `--rounds` rounds send `--requests` requests to each in turn (ABBA order within a round)
 * over `--connections` keep-alive connections, every answer checked, with /proc/<pid>/task/*
 * read before and after. `--strace` then traces one more batch per gateway with `strace -c -f`
 * (strace slows the gateway several times over: its counts are counts, its times are not).
 * Audit events are written: point DATABASE_URL at a copy of the benchmark data of your own.
 *
 *   DATABASE_URL=postgres://... npm run bench:process -- --scenarios 4 --gateway /work/before
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAuthConfig } from '../src/auth/auth-config';
import { mintDevToken } from '../src/auth/dev-token';
import { openBenchDatabase } from './bench-database';
import { countOption, readScenariosOption, send } from './counted-requests';
import { problemWith } from './load';
import type { Scenario } from './scenarios';
import { forkServer, type ForkedServer } from './servers';

const USAGE = `usage: DATABASE_URL=postgres://... npm run bench:process -- [options]

  --scenarios LIST   e.g. 3,4 (default 4); read scenarios only (audit events are written)
  --warmup N         requests before counting, per scenario and gateway (default 3000)
  --requests N       requests per gateway and round (default 3000)
  --rounds N         rounds (default 3)
  --connections N    concurrent keep-alive connections (default 20)
  --gateway DIR      also run the protected gateway of this built checkout, as "before"
  --strace           then one batch per gateway under strace -c -f: system calls by name
  --perf DIR         then one batch per gateway under perf record (cpu-clock samples of every
                     thread, the gateways run with --perf-basic-prof so that JavaScript has names):
                     DIR/<gateway>.perf.data for perf report`;

/** clock ticks per second of /proc's utime and stime (USER_HZ; 100 on Linux). */
const TICKS = 100;

interface ThreadCounts {
  name: string;
  userTicks: number;
  systemTicks: number;
  /** schedstat: nanoseconds on a CPU, and the times it was put on one. */
  runNs: number;
  slices: number;
  voluntary: number;
  involuntary: number;
}

interface ProcessCounts {
  threads: Map<number, ThreadCounts>;
  syscr: number;
  syscw: number;
}

const numberAfter = (text: string, key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? NaN);

/** Fields of /proc/.../stat after the command's closing parenthesis, numbered as proc(5) numbers them. */
function statFields(text: string): (n: number) => number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (n) => Number(rest[n - 3]);
}

/** Per thread of `pid`: its name, CPU times and switches; for the process, its read and write calls. */
export function readProcess(pid: number): ProcessCounts {
  const threads = new Map<number, ThreadCounts>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`).map(Number)) {
    const dir = `/proc/${pid}/task/${tid}`;
    try {
      const stat = statFields(fs.readFileSync(`${dir}/stat`, 'utf8'));
      const status = fs.readFileSync(`${dir}/status`, 'utf8');
      const [runNs, , slices] = fs.readFileSync(`${dir}/schedstat`, 'utf8').trim().split(' ').map(Number);
      threads.set(tid, {
        name: fs.readFileSync(`${dir}/comm`, 'utf8').trim(),
        userTicks: stat(14),
        systemTicks: stat(15),
        runNs: runNs!,
        slices: slices!,
        voluntary: numberAfter(status, 'voluntary_ctxt_switches'),
        involuntary: numberAfter(status, 'nonvoluntary_ctxt_switches'),
      });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
  return { threads, syscr: numberAfter(io, 'syscr'), syscw: numberAfter(io, 'syscw') };
}

/** A thread's group: the main thread, or its name (V8's workers, libuv's pool, node's own). */
const groupOf = (pid: number, tid: number, name: string) => (tid === pid ? 'main' : name.replace(/\d+$/, '').trim());

type Totals = Record<'userMs' | 'systemMs' | 'runMs' | 'slices' | 'voluntary' | 'involuntary', number>;

/** What happened between two reads, per group of threads and in all, and the process's read and write calls. */
export function difference(pid: number, before: ProcessCounts, after: ProcessCounts): { groups: Map<string, Totals>; syscr: number; syscw: number } {
  const groups = new Map<string, Totals>();
  for (const [tid, a] of after.threads) {
    const b = before.threads.get(tid) ?? { ...a, userTicks: 0, systemTicks: 0, runNs: 0, slices: 0, voluntary: 0, involuntary: 0 };
    for (const key of [groupOf(pid, tid, a.name), 'all']) {
      const g = groups.get(key) ?? { userMs: 0, systemMs: 0, runMs: 0, slices: 0, voluntary: 0, involuntary: 0 };
      g.userMs += ((a.userTicks - b.userTicks) * 1000) / TICKS;
      g.systemMs += ((a.systemTicks - b.systemTicks) * 1000) / TICKS;
      g.runMs += (a.runNs - b.runNs) / 1e6;
      g.slices += a.slices - b.slices;
      g.voluntary += a.voluntary - b.voluntary;
      g.involuntary += a.involuntary - b.involuntary;
      groups.set(key, g);
    }
  }
  return { groups, syscr: after.syscr - before.syscr, syscw: after.syscw - before.syscw };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const spread = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

/** `strace -c -f` over every thread of `pid` while `work` runs: system calls by name and their counts. */
async function traced(pid: number, work: () => Promise<unknown>): Promise<Map<string, number>> {
  const out = `/tmp/strace-${pid}-${Date.now()}.txt`;
  const tids = fs.readdirSync(`/proc/${pid}/task`);
  const strace = spawn('strace', ['-c', '-f', '-o', out, ...tids.flatMap((t) => ['-p', t])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  strace.stderr.on('data', (c: Buffer) => (err += c.toString()));
  // Attached once strace has said so for every thread.
  const until = Date.now() + 10_000;
  while ((err.match(/attached/g) ?? []).length < tids.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await work();
  const exited = new Promise<void>((resolve) => strace.once('exit', () => resolve()));
  strace.kill('SIGINT');
  await exited;
  const calls = straceCounts(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out);
  return calls;
}

/** The calls of `strace -c`'s table by name (its "total" line left out). */
export function straceCounts(table: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of table.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== 'total') calls.set(m[2]!, Number(m[1]));
  }
  return calls;
}

/** `perf record` of every thread of `pid` (cpu-clock samples, call graphs) while `work` runs. */
async function recorded(pid: number, out: string, work: () => Promise<unknown>): Promise<void> {
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '4000', '-g', '-p', String(pid), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((r) => setTimeout(r, 500));
  await work();
  const exited = new Promise<void>((resolve) => perf.once('exit', () => resolve()));
  perf.kill('SIGINT');
  await exited;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      scenarios: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '3000' },
      requests: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '20' },
      gateway: { type: 'string' },
      strace: { type: 'boolean', default: false },
      perf: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scenarios: Scenario[] = readScenariosOption(values.scenarios);
  const warmup = countOption('warmup', values.warmup, 0);
  const requests = countOption('requests', values.requests, 1);
  const rounds = countOption('rounds', values.rounds, 1);
  const connections = countOption('connections', values.connections, 1);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL: a database of your own holding the benchmark data set');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const db = await openBenchDatabase({ databaseUrl, dataDir: '', port: 0, log });
  const own = path.resolve(__dirname, 'gateway-server.js');
  const plan: [string, string, 'on' | 'off'][] = [
    ['protected', own, 'on'],
    ['unprotected', own, 'off'],
    ...(values.gateway ? [['before', path.resolve(values.gateway, 'dist', 'bench', 'gateway-server.js'), 'on'] as [string, string, 'on']] : []),
  ];
  const servers: [string, ForkedServer][] = [];
  const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  const perfDir = values.perf === undefined ? undefined : path.resolve(values.perf);
  try {
    for (const [name, script, mode] of plan) servers.push([name, await forkServer(name, script, [db.url, mode], { env, execArgv: perfDir ? ['--perf-basic-prof'] : [] })]);
    const agents = new Map(servers.map(([name]) => [name, new http.Agent({ keepAlive: true, maxSockets: connections })]));
    const authConfig = loadAuthConfig(process.env);
    const report: string[] = [`${connections} connections, ${warmup} warm-up requests, ${rounds} rounds of ${requests} per gateway`];
    for (const scenario of scenarios) {
      const token = await mintDevToken({ ...scenario.token(db.fixtures), ttlSeconds: 6 * 3600 }, authConfig);
      const headers = { authorization: `Bearer ${token}`, 'x-purpose': scenario.purpose, 'content-type': 'application/json' };
      const body = (i: number) => JSON.stringify({ query: scenario.query, variables: scenario.variables(db.fixtures, i) });
      const check = (i: number, status: number, text: string) => problemWith(scenario, db.fixtures, i, status, text);
      let first = 0;
      const batch = async (name: string, server: ForkedServer) => {
        await send(server, agents.get(name)!, headers, body, check, first, requests, connections);
        first += requests;
        return server.idleStats();
      };
      for (const [name, server] of servers) {
        log(`scenario ${scenario.number}: ${name}: warm-up, ${warmup} requests`);
        await send(server, agents.get(name)!, headers, body, check, 100_000_000, warmup, connections);
        await server.idleStats();
      }
      const rows = new Map<string, { per: Map<string, Totals[]>; syscr: number[]; syscw: number[]; auditSql: number[] }>();
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const [name, server] of order) {
          const s0 = await server.idleStats();
          const p0 = readProcess(server.pid);
          const s1 = await batch(name, server);
          const d = difference(server.pid, p0, readProcess(server.pid));
          const row = rows.get(name) ?? { per: new Map<string, Totals[]>(), syscr: [] as number[], syscw: [] as number[], auditSql: [] as number[] };
          for (const [group, t] of d.groups) row.per.set(group, [...(row.per.get(group) ?? []), t]);
          row.syscr.push(d.syscr / requests);
          row.syscw.push(d.syscw / requests);
          row.auditSql.push((s1.auditSql - s0.auditSql) / requests);
          rows.set(name, row);
          log(`scenario ${scenario.number}: round ${round + 1}: ${name}: ${((d.groups.get('all')!.runMs * 1000) / requests).toFixed(0)} µs a request`);
        }
      }
      report.push('', `## scenario ${scenario.number} ${scenario.key}: per request, median (min–max) of ${rounds} rounds`, '');
      report.push('| gateway | threads | CPU µs (schedstat) | user µs | system µs | on-CPU slices | voluntary switches | involuntary |', '|---|---|---|---|---|---|---|---|');
      for (const [name, row] of rows) {
        const groups = [...row.per.keys()].sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b)));
        for (const group of groups) {
          const ts = row.per.get(group)!;
          const per = (f: (t: Totals) => number, scale: number, digits: number) => spread(ts.map((t) => (f(t) * scale) / requests), digits);
          report.push(`| ${name} | ${group} | ${per((t) => t.runMs, 1000, 0)} | ${per((t) => t.userMs, 1000, 0)} | ${per((t) => t.systemMs, 1000, 0)} | ${per((t) => t.slices, 1, 2)} | ${per((t) => t.voluntary, 1, 2)} | ${per((t) => t.involuntary, 1, 2)} |`);
        }
        report.push(`| ${name} | read, write calls (/proc/io); audit statements | ${spread(row.syscr, 2)} reads, ${spread(row.syscw, 2)} writes; ${spread(row.auditSql, 3)} audit statements | | | | | |`);
      }
      if (values.strace) {
        const byServer = new Map<string, Map<string, number>>();
        for (const [name, server] of servers) {
          log(`scenario ${scenario.number}: ${name}: ${requests} requests under strace`);
          byServer.set(name, await traced(server.pid, () => batch(name, server)));
        }
        const names = [...new Set([...byServer.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => (byServer.get('protected')?.get(b) ?? 0) - (byServer.get('protected')?.get(a) ?? 0));
        report.push('', `system calls per request under strace -c -f (one batch of ${requests}):`, '', `| call | ${servers.map(([n]) => n).join(' | ')} |`, `|---|${servers.map(() => '---|').join('')}`);
        for (const call of names) report.push(`| ${call} | ${servers.map(([n]) => ((byServer.get(n)!.get(call) ?? 0) / requests).toFixed(3)).join(' | ')} |`);
        report.push(`| all | ${servers.map(([n]) => ([...byServer.get(n)!.values()].reduce((a, b) => a + b, 0) / requests).toFixed(3)).join(' | ')} |`);
      }
      if (perfDir) {
        fs.mkdirSync(perfDir, { recursive: true });
        for (const [name, server] of servers) {
          log(`scenario ${scenario.number}: ${name}: ${requests} requests under perf record`);
          await recorded(server.pid, path.join(perfDir, `${name}.perf.data`), () => batch(name, server));
        }
        report.push('', `perf record of one batch of ${requests} per gateway: ${perfDir}/<gateway>.perf.data`);
      }
    }
    for (const agent of agents.values()) agent.destroy();
    process.stdout.write(`${report.join('\n')}\n`);
  } finally {
    for (const [, server] of servers) await server.stop();
    await db.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
