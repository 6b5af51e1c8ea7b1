/**
 * `npm run bench:callgrind`: the gateway process's CPU instructions per request, counted by
 * valgrind's callgrind — a count, not a time, so it repeats on a machine other processes share
 * (wall-clock and CPU time there are noise).
 *
 * The gateway (bench/gateway-server.js of this build, or of `--gateway DIR`) runs under
 * `valgrind --tool=callgrind --instr-atstart=no`: start-up and the warm-up (JIT tiering, caches)
 * run uninstrumented. Per scenario: `--warmup` requests, then instrumentation on, and `--batches`
 * times: counters zeroed, `--requests` requests sent over `--connections` keep-alive
 * connections (every response checked as bench/load.ts checks them), counters dumped. The dump
 * of each batch is kept (`--out`, default .data/callgrind) for
 * `callgrind_annotate --inclusive=yes <file>`; the table gives instructions per request, per
 * batch and their median, for the main thread (with and without its garbage collection and
 * compilers past the interpreter, read from the dump's call graph: see callgrind-dump.ts) and all threads. Audit events are written, so point DATABASE_URL at a database of your
 * own holding the benchmark data set (e.g. `CREATE DATABASE mine TEMPLATE <bench database>`),
 * not at a shared one others measure on. JIT-compiled JavaScript has no symbol for callgrind: the
 * gateway runs with --perf-basic-prof, and each dump is also written as `<dump>.js` with V8's
 * names for that code (`JS:*serveGraphQL_/…/http-transport.js:213:32`), so that
 * `callgrind_annotate --inclusive=yes <dump>.js` splits a request by JavaScript function too.
 *
 *   DATABASE_URL=postgres://... npm run bench:callgrind -- --scenarios 3,4
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAuthConfig } from '../src/auth/auth-config';
import { mintDevToken } from '../src/auth/dev-token';
import { openBenchDatabase } from './bench-database';
import { runtimeOfDumpFile } from './callgrind-dump';
import { countOption, gatewayScriptOption, readScenariosOption, send } from './counted-requests';
import { problemWith } from './load';
import type { Scenario } from './scenarios';
import { forkServer, type ForkedServer } from './servers';

const ROOT = path.resolve(__dirname, '..', '..');
/** Start-up under valgrind is slow: schema, policy and Apollo are built at tens of times the usual cost. */
const READY_TIMEOUT_MS = 15 * 60_000;

const USAGE = `usage: DATABASE_URL=postgres://... npm run bench:callgrind -- [options]

  --scenarios LIST   e.g. 3,4 (default 4); read scenarios only (audit events are written)
  --warmup N         requests before counting, per scenario (default 4000)
  --requests N       requests per counted batch (default 300)
  --batches N        counted batches per scenario (default 5)
  --connections N    concurrent keep-alive connections (default 4)
  --mode on|off      the gateway's protections (default on)
  --gateway DIR      a built checkout whose dist/bench/gateway-server.js runs (default this one)
  --out DIR          where the dumps go (default .data/callgrind)`;

interface Options {
  scenarios: Scenario[];
  warmup: number;
  requests: number;
  batches: number;
  connections: number;
  mode: 'on' | 'off';
  gateway: string;
  out: string;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '4000' },
      requests: { type: 'string', default: '300' },
      batches: { type: 'string', default: '5' },
      connections: { type: 'string', default: '4' },
      mode: { type: 'string', default: 'on' },
      gateway: { type: 'string' },
      out: { type: 'string', default: path.join(ROOT, '.data', 'callgrind') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.mode !== 'on' && values.mode !== 'off') throw new Error('--mode: on or off');
  return {
    scenarios: readScenariosOption(values.scenarios),
    warmup: countOption('warmup', values.warmup, 0),
    requests: countOption('requests', values.requests, 1),
    batches: countOption('batches', values.batches, 1),
    connections: countOption('connections', values.connections, 1),
    mode: values.mode,
    gateway: gatewayScriptOption(values.gateway, ROOT),
    out: path.resolve(values.out),
  };
}

function callgrindControl(pid: number, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 10 * 60_000 });
}

/** The instruction total of a dump (its `totals:` or `summary:` line). */
function totalOf(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  const line = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!line) throw new Error(`${file}: no totals line`);
  return Number(line[1]);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Names the JIT-compiled JavaScript in a dump: callgrind calls code without a symbol by its
 * address (`0x000000000d2eb240`); V8's perf map (--perf-basic-prof) says which function's code
 * holds it. Written next to the dump as `<dump>.js`, for callgrind_annotate.
 */
function nameJs(file: string, pid: number): void {
  const map = `/tmp/perf-${pid}.map`;
  if (!fs.existsSync(map)) return;
  const entries = fs
    .readFileSync(map, 'utf8')
    .split('\n')
    .map((line) => /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ start: parseInt(m[1]!, 16), end: parseInt(m[1]!, 16) + parseInt(m[2]!, 16), name: m[3]! }))
    .sort((a, b) => a.start - b.start);
  const lookup = (address: number): string | undefined => {
    let lo = 0;
    let hi = entries.length - 1;
    let found: (typeof entries)[number] | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]!.start <= address) {
        found = entries[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found && address < found.end ? found.name : undefined;
  };
  const text = fs.readFileSync(file, 'utf8').replace(/^((?:c?fn)=\(\d+\)) 0x([0-9a-f]+)$/gm, (line, head: string, hex: string) => {
    const name = lookup(parseInt(hex, 16));
    return name ? `${head} ${name.replace(/\s+/g, '_')} 0x${hex}` : line;
  });
  fs.writeFileSync(`${file}.js`, text);
}

/** Per-batch figures in thousands, their median and spread (max − min over the median). */
function figures(perRequest: readonly number[]): string {
  const k = (n: number) => Math.round(n / 1000).toLocaleString('en');
  const m = median(perRequest);
  return `${perRequest.map(k).join(' / ')} | ${k(m)} | ${(((Math.max(...perRequest) - Math.min(...perRequest)) / m) * 100).toFixed(1)} % |`;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL: a database of your own holding the benchmark data set');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  fs.mkdirSync(opts.out, { recursive: true });
  const db = await openBenchDatabase({ databaseUrl, dataDir: '', port: 0, log });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const prefix = path.join(opts.out, `${stamp}-${opts.mode}`);
  let server: ForkedServer | undefined;
  try {
    log(`starting the gateway (${opts.gateway}, protections ${opts.mode}) under callgrind; start-up takes minutes`);
    server = await forkServer('callgrind', opts.gateway, [db.url, opts.mode], {
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      execPath: 'valgrind',
      // --perf-basic-prof: V8 writes where each function it compiles lies (/tmp/perf-<pid>.map),
      // which names the JIT-compiled JavaScript in the dumps (nameJs). --single-threaded: V8
      // compiles and collects on the main thread, so that when a function is optimized depends on
      // how often it ran, not on when a starved background thread got to it (under load, code
      // otherwise runs unoptimized for longer and the counts drift with the machine's load).
      execArgv: ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${prefix}.%p`, process.execPath, '--perf-basic-prof', '--single-threaded'],
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
    const authConfig = loadAuthConfig(process.env);
    const rows: string[] = [];
    const retries: string[] = [];
    for (const scenario of opts.scenarios) {
      const token = await mintDevToken({ ...scenario.token(db.fixtures), ttlSeconds: 6 * 3600 }, authConfig);
      const headers = { authorization: `Bearer ${token}`, 'x-purpose': scenario.purpose, 'content-type': 'application/json' };
      const body = (i: number) => JSON.stringify({ query: scenario.query, variables: scenario.variables(db.fixtures, i) });
      const check = (i: number, status: number, text: string) => problemWith(scenario, db.fixtures, i, status, text);
      log(`scenario ${scenario.number}: warm-up, ${opts.warmup} requests`);
      // The statistics a batch ends with, asked once before the warm-up: the gateway's first answer
      // to them deoptimizes the compiled read's `run` (V8: "code dependencies"), and a function that
      // large takes thousands of requests to be optimized again. Asked first at the end of the first
      // batch, they left the later batches counting it in V8's baseline tier (docs/performance.md,
      // "Issue 23: the compiled read's tiers").
      await server.idleStats();
      await send(server, agent, headers, body, check, 0, opts.warmup, opts.connections);
      callgrindControl(server.pid, '--instr=on');
      const perRequest: number[] = [];
      const mainPerRequest: number[] = [];
      const gcPerRequest: number[] = [];
      const compilePerRequest: number[] = [];
      const eitherPerRequest: number[] = [];
      for (let b = 0; b < opts.batches; b += 1) {
        callgrindControl(server.pid, '--zero');
        const retried = await send(server, agent, headers, body, check, opts.warmup + b * opts.requests, opts.requests, opts.connections);
        await server.idleStats();
        const before = new Set(fs.readdirSync(opts.out));
        callgrindControl(server.pid, `--dump=scenario-${scenario.number}-batch-${b + 1}`);
        // One file per thread: -01 is the main thread (the event loop: the requests' own work and
        // the scavenges it triggers), the others V8's and libuv's workers (the optimizing
        // compiler, concurrent marking, the thread pool).
        const dumped = fs.readdirSync(opts.out).filter((f) => !before.has(f) && f.startsWith(path.basename(prefix))).sort();
        const main = dumped.find((f) => f.endsWith('-01'));
        if (!main) throw new Error(`no dump of the main thread among ${JSON.stringify(dumped)}`);
        for (const f of dumped) nameJs(path.join(opts.out, f), server.pid);
        const all = dumped.reduce((n, f) => n + totalOf(path.join(opts.out, f)), 0);
        perRequest.push(all / opts.requests);
        mainPerRequest.push(totalOf(path.join(opts.out, main)) / opts.requests);
        const runtime = runtimeOfDumpFile(path.join(opts.out, main));
        gcPerRequest.push(runtime.gc / opts.requests);
        compilePerRequest.push(runtime.compile / opts.requests);
        eitherPerRequest.push(runtime.either / opts.requests);
        const k = (n: number) => Math.round(n).toLocaleString('en');
        log(
          `  batch ${b + 1}: ${k(mainPerRequest.at(-1)!)} instructions per request on the main thread (${k(gcPerRequest.at(-1)!)} of them ` +
            `collecting garbage, ${k(compilePerRequest.at(-1)!)} compiling), ${k(perRequest.at(-1)!)} on all (${main})` +
            (retried > 0 ? `; ${retried} answered 503 and sent again, their refusals counted too` : ''),
        );
        if (retried > 0) retries.push(`scenario ${scenario.number} batch ${b + 1}: ${retried} requests answered 503 and sent again (their refusals are in its count)`);
      }
      callgrindControl(server.pid, '--instr=off');
      rows.push(`| ${scenario.number} ${scenario.key} | ${opts.mode} | main thread | ${figures(mainPerRequest)}`);
      rows.push(`| ${scenario.number} ${scenario.key} | ${opts.mode} | main, less GC and compiling | ${figures(mainPerRequest.map((n, i) => n - eitherPerRequest[i]!))}`);
      rows.push(`| ${scenario.number} ${scenario.key} | ${opts.mode} | main, GC | ${figures(gcPerRequest)}`);
      rows.push(`| ${scenario.number} ${scenario.key} | ${opts.mode} | main, compiling | ${figures(compilePerRequest)}`);
      rows.push(`| ${scenario.number} ${scenario.key} | ${opts.mode} | all threads | ${figures(perRequest)}`);
    }
    agent.destroy();
    process.stdout.write(
      `gateway: ${opts.gateway}\n${opts.connections} connections, ${opts.warmup} warm-up requests, batches of ${opts.requests}; dumps in ${opts.out}\n\n` +
        `| scenario | protections | threads | k instructions per request, per batch | median | spread |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n${retries.map((r) => `\n${r}`).join('')}`,
    );
  } finally {
    await server?.stop();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
