/**
 * `npm run bench:allocations`: what the gateway allocates per request, by where — bytes per
 * request from V8's sampling heap profiler with freed objects kept in the profile
 * (bench/allocation-sampler.ts, loaded into the gateway), and garbage collections per 10,000
 * requests by kind. Counts, not times: they repeat on a shared machine.
 *
 * The gateway (bench/gateway-server.js of this build or of `--gateway DIR`) runs under node with
 * `--node-flags` (e.g. `--max-semi-space-size=16`, to see what the young generation's size does
 * to scavenges). Per scenario: `--warmup` requests, then sampling on over `--requests` requests
 * sent over `--connections` keep-alive connections (every answer checked), sampling off. Printed:
 * bytes per request, collections per 10,000 requests, and the `--top` allocation
 * sites by bytes, each with its owner — the nearest frame on its stack that is JavaScript of a
 * package (`graphql`, `pg`, `@apollo/server`) or of this project (`src/audit/audit-record.js`),
 * so that allocations inside node's own code are charged to whoever called it. Each row also
 * gives its number of samples (one per ~4 KB allocated): a row of few samples is a rough figure. Audit events are
 * written: point DATABASE_URL at a copy of the benchmark data of your own.
 *
 *   DATABASE_URL=postgres://... npm run bench:allocations -- --scenarios 4 --gateway /work/before
 */
import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAuthConfig } from '../src/auth/auth-config';
import { mintDevToken } from '../src/auth/dev-token';
import { openBenchDatabase } from './bench-database';
import { countOption, gatewayScriptOption, readScenariosOption, send } from './counted-requests';
import { problemWith } from './load';
import type { Scenario } from './scenarios';
import { forkServer, type ForkedServer } from './servers';

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLING_INTERVAL = 4096;

const USAGE = `usage: DATABASE_URL=postgres://... npm run bench:allocations -- [options]

  --scenarios LIST   e.g. 3,4 (default 4); read scenarios only (audit events are written)
  --warmup N         requests before sampling, per scenario (default 4000)
  --requests N       requests sampled, per scenario (default 5000)
  --connections N    concurrent keep-alive connections (default 4)
  --mode on|off      the gateway's protections (default on)
  --gateway DIR      a built checkout whose dist/bench/gateway-server.js runs (default this one)
  --node-flags=TEXT  flags for the gateway's node, space-separated, after "=" (default none)
  --top N            allocation sites listed (default 25)
  --survivors        only what outlived a scavenge (still live, or freed by a full collection):
                     what the young generation's collections copy and promote
  --gc-only          no profile: collections only (the profiler adds to their cost)`;

interface Options {
  scenarios: Scenario[];
  warmup: number;
  requests: number;
  connections: number;
  mode: 'on' | 'off';
  gateway: string;
  nodeFlags: string[];
  top: number;
  survivors: boolean;
  gcOnly: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '4000' },
      requests: { type: 'string', default: '5000' },
      connections: { type: 'string', default: '4' },
      mode: { type: 'string', default: 'on' },
      gateway: { type: 'string' },
      'node-flags': { type: 'string', default: '' },
      top: { type: 'string', default: '25' },
      survivors: { type: 'boolean', default: false },
      'gc-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.mode !== 'on' && values.mode !== 'off') throw new Error(`--mode: expected on or off, got ${JSON.stringify(values.mode)}`);
  return {
    scenarios: readScenariosOption(values.scenarios),
    warmup: countOption('warmup', values.warmup, 0),
    requests: countOption('requests', values.requests, 1),
    connections: countOption('connections', values.connections, 1),
    mode: values.mode,
    gateway: gatewayScriptOption(values.gateway, ROOT),
    nodeFlags: values['node-flags'].split(/\s+/).filter((f) => f !== ''),
    top: countOption('top', values.top, 1),
    survivors: values.survivors,
    gcOnly: values['gc-only'],
  };
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: ProfileNode[];
}
interface Sampled {
  profile: { head: ProfileNode; samples: { size: number; nodeId: number }[] } | null;
  gc: Record<string, { count: number; ms: number }>;
}

/** Whose code a frame is: a package's name, a project file (`src/…`, `bench/…`), or undefined for node's own and V8's. */
export function ownerOf(url: string): string | undefined {
  if (url === '' || url.startsWith('node:')) return undefined;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : first;
  }
  const dist = /\/dist\/((?:src|bench)\/.*)$/.exec(url.replace(/^file:\/\//, ''));
  return dist ? dist[1] : url;
}

const frameName = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();

interface Site {
  bytes: number;
  samples: number;
}

/** Bytes and samples by allocating function (with its owner) and by owner. */
export function sitesOf(sampled: NonNullable<Sampled['profile']>): { bySite: Map<string, Site>; byOwner: Map<string, Site>; total: Site } {
  const ownerByNode = new Map<number, { site: string; owner: string }>();
  const walk = (node: ProfileNode, owner: string | undefined) => {
    const own = ownerOf(node.callFrame.url) ?? owner;
    ownerByNode.set(node.id, { site: frameName(node.callFrame), owner: own ?? '(node, V8)' });
    for (const child of node.children) walk(child, own);
  };
  walk(sampled.head, undefined);
  const bySite = new Map<string, Site>();
  const byOwner = new Map<string, Site>();
  const total: Site = { bytes: 0, samples: 0 };
  const add = (map: Map<string, Site>, key: string, bytes: number) => {
    const s = map.get(key) ?? { bytes: 0, samples: 0 };
    s.bytes += bytes;
    s.samples += 1;
    map.set(key, s);
  };
  for (const sample of sampled.samples) {
    // Reported already scaled by V8 (size × the number of allocations the sample stands for).
    const bytes = sample.size;
    const at = ownerByNode.get(sample.nodeId);
    if (!at) continue;
    add(bySite, `${at.site} [${at.owner}]`, bytes);
    add(byOwner, at.owner, bytes);
    total.bytes += bytes;
    total.samples += 1;
  }
  return { bySite, byOwner, total };
}

async function waitForFile(file: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > until) throw new Error(`no allocation profile at ${file} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = fs.readFileSync(file, 'utf8');
  fs.rmSync(file);
  return text;
}

function table(map: Map<string, Site>, requests: number, top: number, total: Site): string {
  return [...map.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, top)
    .map(([key, s]) => `| ${key} | ${Math.round(s.bytes / requests).toLocaleString('en')} | ${s.samples} | ${((s.bytes / total.bytes) * 100).toFixed(1)} % |`)
    .join('\n');
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL: a database of your own holding the benchmark data set');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const db = await openBenchDatabase({ databaseUrl, dataDir: '', port: 0, log });
  const out = path.join(ROOT, '.data', `allocations-${process.pid}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  let server: ForkedServer | undefined;
  try {
    server = await forkServer('allocations', opts.gateway, [db.url, opts.mode], {
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ALLOCATION_PROFILE_OUT: out, ALLOCATION_SAMPLING_INTERVAL: String(SAMPLING_INTERVAL), ALLOCATION_SAMPLED: opts.gcOnly ? 'none' : opts.survivors ? 'survivors' : 'all' },
      execArgv: ['--require', path.join(__dirname, 'allocation-sampler.js'), ...opts.nodeFlags],
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
    const authConfig = loadAuthConfig(process.env);
    const report: string[] = [`gateway: ${opts.gateway} (protections ${opts.mode}; node flags: ${opts.nodeFlags.join(' ') || 'none'})`, `${opts.connections} connections, ${opts.warmup} warm-up requests, ${opts.requests} sampled; ${opts.gcOnly ? 'collections only' : opts.survivors ? 'only what outlived a scavenge' : 'everything allocated'}`];
    for (const scenario of opts.scenarios) {
      const token = await mintDevToken({ ...scenario.token(db.fixtures), ttlSeconds: 6 * 3600 }, authConfig);
      const headers = { authorization: `Bearer ${token}`, 'x-purpose': scenario.purpose, 'content-type': 'application/json' };
      const body = (i: number) => JSON.stringify({ query: scenario.query, variables: scenario.variables(db.fixtures, i) });
      const check = (i: number, status: number, text: string) => problemWith(scenario, db.fixtures, i, status, text);
      log(`scenario ${scenario.number}: warm-up, ${opts.warmup} requests`);
      await server.idleStats();
      await send(server, agent, headers, body, check, 0, opts.warmup, opts.connections);
      await server.idleStats();
      process.kill(server.pid, 'SIGUSR2');
      log(`scenario ${scenario.number}: sampling ${opts.requests} requests`);
      const retried = await send(server, agent, headers, body, check, opts.warmup, opts.requests, opts.connections);
      await server.idleStats();
      process.kill(server.pid, 'SIGUSR2');
      const sampled = JSON.parse(await waitForFile(out, 60_000)) as Sampled;
      const gc = Object.entries(sampled.gc)
        .map(([kind, t]) => `${kind} ${((t.count / opts.requests) * 10_000).toFixed(0)} (${((t.ms / opts.requests) * 1000).toFixed(1)} µs a request)`)
        .join(', ');
      const collections = `collections per 10,000 requests: ${gc || 'none'}` + (retried > 0 ? ` (${retried} answered 503 and sent again, counted too)` : '');
      if (!sampled.profile) {
        report.push('', `## scenario ${scenario.number} ${scenario.key}`, collections);
        continue;
      }
      const { bySite, byOwner, total } = sitesOf(sampled.profile);
      report.push(
        '',
        `## scenario ${scenario.number} ${scenario.key}: ${Math.round(total.bytes / opts.requests).toLocaleString('en')} bytes per request (${total.samples} samples)`,
        collections,
        '',
        '| owner | bytes per request | samples | share |',
        '|---|---|---|---|',
        table(byOwner, opts.requests, opts.top, total),
        '',
        '| allocating function [owner] | bytes per request | samples | share |',
        '|---|---|---|---|',
        table(bySite, opts.requests, opts.top, total),
      );
    }
    agent.destroy();
    process.stdout.write(`${report.join('\n')}\n`);
  } finally {
    await server?.stop();
    await db.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
