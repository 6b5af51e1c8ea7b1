/**
 * `npm run bench`: throughput, latency, SQL statements and CPU per request of the gateway, with
 * and without its protections, next to a plain `pg` baseline (issue 7).
 *
 * 1. The database: DATABASE_URL, or an embedded PostgreSQL of the benchmark's own (see
 *    bench-database.ts), seeded with BENCH_SEED once and analyzed.
 * 2. Three servers, each forked into a process of its own on a random port of 127.0.0.1, so the
 *    load generator (this process) never shares their event loop: the gateway with its
 *    protections, the gateway with `protections: false` (no field policy, no audit log; row
 *    scope stays), and the plain `pg` baseline; with `--peers postgraphile`, PostGraphile plain too
 *    (bench/peers/: installed on first use, on Node 22, its answers required to be the gateway's data).
 * 3. Every scenario is first run once against each server (status, GraphQL errors, expected data;
 *    the baseline must return exactly the protected gateway's `data`), and its data statements
 *    are counted on a single request, with full and with short lists.
 * 4. autocannon then drives the servers over loopback: every server warms up, then all run in
 *    rounds, each round the servers in order and then in reverse (protected, unprotected,
 *    baseline, baseline, unprotected, protected: ABBA; 2 rounds by default, so each server runs
 *    four stretches of a quarter of the duration), so that a drift or a burst in what else the
 *    machine does (autovacuum, the neighbours of a virtual machine) falls on all alike. Each
 *    round's figures per server (requests per second, CPU per request of the server and of
 *    PostgreSQL) are kept; the report gives their median and spread, which is how far one run's
 *    figure can be trusted. `--before DIR` adds the protected gateway of another build (a
 *    checkout of another commit, built) to the same rounds: before and after in one run;
 *    `--audit-floor` adds the protected gateway with part of its audit taken away (measurement
 *    only, bench/audit-floor.ts) to them, to split what each guarantee costs.
 * 5. A table on stdout; JSON to bench/results/<timestamp>.json and bench/results/latest.json.
 *
 * Exits 1 when something is wrong (a setup failure, a failed check, an error under load), after
 * writing what it measured; 2 on a usage error.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { loadAuthConfig } from '../src/auth/auth-config';
import { mintDevToken } from '../src/auth/dev-token';
import { BENCH_SEED } from '../src/seed/seed';
import { AUDIT_FLOOR_VARIANTS, isAuditFloorVariant, type AuditFloorVariant } from './audit-floor';
import { BenchSetupError, DEFAULT_BENCH_PG_PORT, openBenchDatabase, type BenchDatabase } from './bench-database';
import { combine, drive, problemWith, sendOnce, type Mode, type Part, type Target } from './load';
import { auditFloorTable, checkTargets, roundsTable, runsTable, summaryTable, targetLines, type RoundFigures, type ScenarioResult } from './report';
import { SCENARIOS, type Fixtures, type Scenario } from './scenarios';
import { forkServer, type ForkedServer } from './servers';
import { installPeer, type InstalledPeer } from './peers/install';
import { POSTGRAPHILE_QUERIES, firstDifference, rlsHeaders, type PeerQuery } from './peers/postgraphile-queries';
import { peersTable } from './peers/report';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const PROFILE_DIR = path.join(ROOT, '.data', 'bench-profiles');

const USAGE = `usage: npm run bench -- [options]

  --duration S       measured seconds per scenario and server (default 10)
  --warmup S         warm-up seconds per scenario and server (default 2; 0 for none)
  --connections N    concurrent connections (default 20)
  --rounds N         ABBA rounds the measured time of the two gateways is split into (default 2)
  --scenarios LIST   e.g. 1,3 (default all: 1..${SCENARIOS.length})
  --no-baseline      skip the plain pg baseline
  --before DIR       also run the protected gateway built in DIR (DIR/dist/bench/gateway-server.js,
                     e.g. another commit's checkout after npm run build) in the same rounds
  --peers LIST       postgraphile, postgraphile-rls or both (comma-separated): also run PostGraphile 5
                     plain (no RLS) and/or with row-level security enforcing the partner scopes
                     (bench/peers/postgraphile/rls.sql, applied to the database: use a scratch copy)
                     over the same database, on Node 22, both installed on first use into
                     .data/bench-peers/ (bench/peers/postgraphile/ pins the versions), with scenarios
                     1-4 as PostGraphile queries that must return the gateway's data, in the same
                     rounds; prints the gateway / PostGraphile ratios
  --audit-floor LIST MEASUREMENT ONLY: also run the protected gateway with part of its audit taken
                     away, each in the same rounds (bench/audit-floor.ts): audit-async-commit (the
                     writer's sessions with synchronous_commit = off), audit-unsent (every event
                     recorded and sealed, the batch's statement never sent), no-audit (no audit
                     at all, every other protection on), or all; prints what the protected gateway
                     spends beyond each. These break the audit's guarantee: no gateway outside the
                     benchmark can run so
  --profile          write V8 CPU profiles of both gateways to .data/bench-profiles/
  --pg-port N        port of the embedded PostgreSQL (default ${DEFAULT_BENCH_PG_PORT}; unused with DATABASE_URL)
  --data-dir DIR     data directory of the embedded PostgreSQL (default .data/bench)

Environment: DATABASE_URL (use that database instead of the embedded one; it must be empty or
hold the benchmark data set), DB_POOL_SIZE (the servers' pools, default 10), LOG_LEVEL (the
servers', default warn).`;

class UsageError extends Error {}

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  scenarios: Scenario[];
  baseline: boolean;
  /** gateway-server.js of another build, run as the `before` server. */
  before: string | null;
  /** PostGraphile plain, and PostGraphile with row-level security, as peers in the same rounds. */
  postgraphile: boolean;
  postgraphileRls: boolean;
  /** The protected gateway with part of its audit taken away (measurement only), in the same rounds. */
  auditFloor: AuditFloorVariant[];
  profile: boolean;
  pgPort: number;
  dataDir: string;
}

function positiveNumber(name: string, raw: string | undefined, fallback: number, integer: boolean, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || (value === 0 && !allowZero) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name}: expected a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function parseOptions(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        rounds: { type: 'string' },
        scenarios: { type: 'string' },
        'no-baseline': { type: 'boolean' },
        before: { type: 'string' },
        peers: { type: 'string' },
        'audit-floor': { type: 'string' },
        profile: { type: 'boolean' },
        'pg-port': { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  const wanted = (values.scenarios ?? SCENARIOS.map((s) => s.number).join(',')).split(',').map((n) => n.trim());
  const scenarios = wanted.map((n) => {
    const found = SCENARIOS.find((s) => String(s.number) === n);
    if (!found) throw new UsageError(`--scenarios: expected numbers from 1 to ${SCENARIOS.length} separated by commas, got ${JSON.stringify(values.scenarios)}`);
    return found;
  });
  let before: string | null = null;
  if (values.before !== undefined) {
    before = path.resolve(values.before, 'dist', 'bench', 'gateway-server.js');
    if (!fs.existsSync(before)) throw new UsageError(`--before: expected a built checkout holding dist/bench/gateway-server.js, got ${JSON.stringify(values.before)}`);
  }
  const peers = values.peers === undefined ? [] : values.peers.split(',').map((p) => p.trim());
  if (values.peers !== undefined && (peers.length === 0 || peers.some((p) => p !== 'postgraphile' && p !== 'postgraphile-rls'))) {
    throw new UsageError(`--peers: expected postgraphile, postgraphile-rls or both separated by a comma, got ${JSON.stringify(values.peers)}`);
  }
  const floor = values['audit-floor'] === undefined ? [] : values['audit-floor'].trim() === 'all' ? [...AUDIT_FLOOR_VARIANTS] : values['audit-floor'].split(',').map((v) => v.trim());
  if (values['audit-floor'] !== undefined && (floor.length === 0 || !floor.every(isAuditFloorVariant))) {
    throw new UsageError(`--audit-floor: expected all, or ${AUDIT_FLOOR_VARIANTS.join(', ')} separated by commas, got ${JSON.stringify(values['audit-floor'])}`);
  }
  const pgPort = positiveNumber('pg-port', values['pg-port'], DEFAULT_BENCH_PG_PORT, true);
  if (pgPort < 1024 || pgPort > 65535) throw new UsageError(`--pg-port: expected 1024 to 65535, got ${pgPort}`);
  return {
    duration: positiveNumber('duration', values.duration, 10, false),
    warmup: positiveNumber('warmup', values.warmup, 2, false, true),
    connections: positiveNumber('connections', values.connections, 20, true),
    rounds: positiveNumber('rounds', values.rounds, 2, true),
    scenarios: [...new Set(scenarios)],
    baseline: !values['no-baseline'],
    before,
    postgraphile: peers.includes('postgraphile'),
    postgraphileRls: peers.includes('postgraphile-rls'),
    auditFloor: AUDIT_FLOOR_VARIANTS.filter((v) => (floor as string[]).includes(v)),
    profile: Boolean(values.profile),
    pgPort,
    dataDir: path.resolve(ROOT, values['data-dir'] ?? '.data/bench'),
  };
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

function targetsFor(scenario: Scenario, fixtures: Fixtures, token: string, servers: Partial<Record<Mode, ForkedServer>>): Target[] {
  const constant = isDeepStrictEqual(scenario.variables(fixtures, 0), scenario.variables(fixtures, 1));
  const graphql = (mode: Mode, server: ForkedServer): Target => ({
    mode,
    server,
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': scenario.purpose },
    body: (i) => JSON.stringify({ query: scenario.query, variables: scenario.variables(fixtures, i) }),
    constant,
  });
  const targets: Target[] = [];
  if (servers.protected) targets.push(graphql('protected', servers.protected));
  if (servers.unprotected) targets.push(graphql('unprotected', servers.unprotected));
  if (servers.before) targets.push(graphql('before', servers.before));
  for (const variant of AUDIT_FLOOR_VARIANTS) {
    const server = servers[variant];
    if (server) targets.push(graphql(variant, server));
  }
  const peer = POSTGRAPHILE_QUERIES[scenario.number];
  const postgraphile = (mode: 'postgraphile' | 'postgraphile-rls', server: ForkedServer, p: PeerQuery): Target => {
    const { query, variables } = mode === 'postgraphile-rls' ? (p.rls ?? p) : p;
    return {
      mode,
      server,
      path: '/graphql',
      headers: { 'content-type': 'application/json', ...(mode === 'postgraphile-rls' ? rlsHeaders(scenario.token(fixtures)) : {}) },
      body: (i) => JSON.stringify({ query, variables: variables(fixtures, scenario.variables(fixtures, i)) }),
      constant,
      gatewayData: p.toGateway,
    };
  };
  if (servers['postgraphile-rls'] && peer) targets.push(postgraphile('postgraphile-rls', servers['postgraphile-rls'], peer));
  if (servers.postgraphile && peer) targets.push(postgraphile('postgraphile', servers.postgraphile, peer));
  if (servers.baseline && scenario.baseline) {
    const baseline = scenario.baseline;
    targets.push({
      mode: 'baseline',
      server: servers.baseline,
      path: `/${scenario.key}`,
      headers: { 'content-type': 'application/json' },
      body: (i) => JSON.stringify(baseline.params(fixtures, scenario.variables(fixtures, i))),
      constant,
    });
  }
  return targets;
}

/** Data statements one request issues, counted in the server process while nothing else runs. */
async function statementsOfOneRequest(
  target: Target,
  scenario: Scenario,
  fixtures: Fixtures,
  overrides: Record<string, unknown> = {},
  body = JSON.stringify({ query: scenario.query, variables: { ...scenario.variables(fixtures, 0), ...overrides } }),
): Promise<number> {
  // One request first, so per-caller caches (the principal look-up) are as warm as under load.
  await sendOnce(target, body);
  const before = await target.server.idleStats();
  const { status, text } = await sendOnce(target, body);
  const after = await target.server.idleStats();
  if (status !== 200 || JSON.parse(text).errors) {
    throw new BenchSetupError(`scenario ${scenario.number} (${target.mode}) failed while its statements were counted: HTTP ${status} ${text.slice(0, 300)}`);
  }
  return after.sql - before.sql;
}

/** Checks every server's first answer and counts statements; throws BenchSetupError when an answer is wrong. */
async function check(scenario: Scenario, targets: Target[], fixtures: Fixtures): Promise<ScenarioResult> {
  const answers = new Map<Mode, unknown>();
  for (const target of targets) {
    const { status, text } = await sendOnce(target, target.body(0));
    const problem = problemWith(scenario, fixtures, 0, status, text, target.gatewayData);
    if (problem) throw new BenchSetupError(`scenario ${scenario.number} ${scenario.key} (${target.mode}): ${problem}`);
    const data = JSON.parse(text).data;
    answers.set(target.mode, target.gatewayData ? target.gatewayData(data) : data);
  }
  // A peer measured on other data would compare nothing: it must answer exactly what the gateway does.
  for (const mode of ['postgraphile', 'postgraphile-rls'] as const) {
    if (!answers.has(mode)) continue;
    const difference = firstDifference(answers.get(mode), answers.get('protected'));
    if (difference) throw new BenchSetupError(`scenario ${scenario.number} ${scenario.key}: ${mode}'s data, in the gateway's shape, differs from the protected gateway's at ${difference}`);
  }
  let baselineMatchesGateway: boolean | null = null;
  if (answers.has('baseline') && answers.has('protected')) {
    baselineMatchesGateway = isDeepStrictEqual(answers.get('baseline'), answers.get('protected'));
    if (!baselineMatchesGateway) log(`warning: scenario ${scenario.number}: the pg baseline's data differs from the gateway's, so they are not compared like for like`);
  }
  const protectedTarget = targets.find((t) => t.mode === 'protected');
  const unprotectedTarget = targets.find((t) => t.mode === 'unprotected');
  const full = protectedTarget ? await statementsOfOneRequest(protectedTarget, scenario, fixtures) : NaN;
  const short = protectedTarget && scenario.shortLists ? await statementsOfOneRequest(protectedTarget, scenario, fixtures, scenario.shortLists) : null;
  const unprotected = unprotectedTarget ? await statementsOfOneRequest(unprotectedTarget, scenario, fixtures) : null;
  const beforeTarget = targets.find((t) => t.mode === 'before');
  const before = beforeTarget ? await statementsOfOneRequest(beforeTarget, scenario, fixtures) : null;
  const peerStatements = async (mode: Mode) => {
    const target = targets.find((t) => t.mode === mode);
    return target ? await statementsOfOneRequest(target, scenario, fixtures, {}, target.body(0)) : null;
  };
  const postgraphile = await peerStatements('postgraphile');
  const postgraphileRls = await peerStatements('postgraphile-rls');
  const auditFloor: Partial<Record<Mode, number>> = {};
  for (const target of targets) {
    if (isAuditFloorVariant(target.mode)) auditFloor[target.mode] = await statementsOfOneRequest(target, scenario, fixtures);
  }
  return {
    number: scenario.number,
    key: scenario.key,
    title: scenario.title,
    caller: scenario.caller,
    sql: { full, short, flat: short === null ? null : short === full, unprotected, before, postgraphile, postgraphileRls, ...(targets.some((t) => isAuditFloorVariant(t.mode)) ? { auditFloor } : {}) },
    baselineMatchesGateway,
    runs: {},
    rounds: {},
    protectionsCost: null,
    protectionsCostByRound: null,
    protectionsCpuCost: null,
    gatewayToBaseline: null,
  };
}

/** One server's figures in one round (its two stretches together). */
function roundFigures(parts: readonly Part[]): RoundFigures {
  const sum = (f: (p: Part) => number) => parts.reduce((n, p) => n + f(p), 0);
  const answered = sum((p) => p.answered);
  const pg = parts.every((p) => p.postgresCpuMs !== null) ? sum((p) => p.postgresCpuMs!) : null;
  return {
    requestsPerSecond: sum((p) => p.requests) / sum((p) => p.seconds),
    serverCpuMsPerRequest: answered > 0 ? sum((p) => p.serverCpuMs) / answered : null,
    postgresCpuMsPerRequest: answered > 0 && pg !== null ? pg / answered : null,
  };
}

async function measure(scenario: Scenario, targets: Target[], result: ScenarioResult, db: BenchDatabase, options: Options): Promise<void> {
  const next = new Map<Mode, number>(targets.map((t) => [t.mode, 0]));
  const parts = new Map<Mode, Part[]>(targets.map((t) => [t.mode, []]));
  const run = async (target: Target, seconds: number): Promise<Part> => {
    const { part, next: following } = await drive(target, scenario, db.fixtures, {
      seconds,
      connections: options.connections,
      first: next.get(target.mode)!,
      postgresUsage: db.postgresUsage,
    });
    next.set(target.mode, following);
    return part;
  };
  if (options.warmup > 0) for (const t of targets) await run(t, options.warmup);
  const order = [...targets, ...[...targets].reverse()];
  const rounds: Array<Map<Mode, Part[]>> = [];
  for (let r = 0; r < options.rounds; r++) {
    const round = new Map<Mode, Part[]>();
    for (const t of order) {
      const part = await run(t, options.duration / (2 * options.rounds));
      round.set(t.mode, [...(round.get(t.mode) ?? []), part]);
      parts.get(t.mode)!.push(part);
    }
    rounds.push(round);
  }
  for (const target of targets) result.rounds[target.mode] = rounds.map((round) => roundFigures(round.get(target.mode)!));
  for (const target of targets) {
    const sql = isAuditFloorVariant(target.mode)
      ? (result.sql.auditFloor?.[target.mode] ?? null)
      : {
          baseline: 1,
          protected: result.sql.full,
          unprotected: result.sql.unprotected,
          before: result.sql.before,
          postgraphile: result.sql.postgraphile ?? null,
          'postgraphile-rls': result.sql.postgraphileRls ?? null,
        }[target.mode];
    const combined = combine(target.mode, parts.get(target.mode)!, sql);
    result.runs[target.mode] = combined;
    const problems = combined.errors + combined.sampledProblems;
    log(
      `#${scenario.number} ${scenario.key} ${target.mode}: ${combined.requestsPerSecond.toFixed(0)} req/s, p50 ${combined.latencyMs.p50.toFixed(1)} ms, ` +
        `p99 ${combined.latencyMs.p99.toFixed(1)} ms` +
        (problems > 0 ? `; ${combined.errors} errors, ${combined.sampledProblems}/${combined.sampled} sampled bodies wrong: ${combined.firstProblem ?? ''}` : ''),
    );
  }
  const p = result.runs.protected;
  const u = result.runs.unprotected;
  const b = result.runs.baseline;
  result.protectionsCost = p && u ? 1 - p.requestsPerSecond / u.requestsPerSecond : null;
  const rate = (ps: readonly Part[] | undefined) => (ps ? ps.reduce((n, x) => n + x.requests, 0) / ps.reduce((n, x) => n + x.seconds, 0) : NaN);
  result.protectionsCostByRound = p && u ? rounds.map((round) => 1 - rate(round.get('protected')) / rate(round.get('unprotected'))) : null;
  result.protectionsCpuCost = p?.serverCpuMsPerRequest && u?.serverCpuMsPerRequest ? 1 - u.serverCpuMsPerRequest / p.serverCpuMsPerRequest : null;
  result.gatewayToBaseline = p && b ? p.requestsPerSecond / b.requestsPerSecond : null;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed;
  const startedAt = new Date();
  const started = performance.now();
  // The servers get the environment this process was started with (GLIBC_TUNABLES is PostgreSQL's).
  const serverEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  const cores = os.cpus().length;
  const loadAtStart = os.loadavg()[0]!;
  if (loadAtStart > cores * 0.5) log(`warning: the machine is busy (load average ${loadAtStart.toFixed(2)} on ${cores} cores): expect low, noisy numbers`);

  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((e: unknown) => log(`clean-up: ${(e as Error).message}`));
  };
  const interrupted = (signal: string) => {
    log(`${signal}: stopping the servers and the database`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupted('SIGINT'));
  process.once('SIGTERM', () => interrupted('SIGTERM'));

  let db: BenchDatabase;
  try {
    db = await openBenchDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: options.dataDir, port: options.pgPort, log });
  } catch (error) {
    if (error instanceof BenchSetupError) throw error;
    throw new BenchSetupError(`could not prepare the benchmark database: ${(error as Error).message}`, { cause: error });
  }
  cleanups.push(() => db.close());
  log(`PostgreSQL ${db.postgres.version}; GLIBC_TUNABLES of the postmaster: ${db.postgres.glibcTunables ?? 'unknown'}`);

  const results: ScenarioResult[] = [];
  let failed = false;
  let servers: Partial<Record<Mode, ForkedServer>> = {};
  let postgraphile: InstalledPeer | undefined;
  try {
    const execArgv = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
    const start = async (mode: Mode, script: string, args: string[], flags: string[] = [], peer?: InstalledPeer) => {
      const server = await forkServer(mode, script, args, {
        env: peer ? { ...serverEnv, GRAPHILE_ENV: 'production' } : serverEnv,
        execArgv: flags,
        ...(peer ? { execPath: peer.node } : {}),
      });
      cleanups.push(() => server.stop());
      return [mode, server] as const;
    };
    const wantBaseline = options.baseline && options.scenarios.some((s) => s.baseline);
    if (options.postgraphile || options.postgraphileRls) postgraphile = installPeer('postgraphile', log);
    if (options.postgraphileRls) await db.dataSource.query(fs.readFileSync(path.join(ROOT, 'bench', 'peers', 'postgraphile', 'rls.sql'), 'utf8'));
    log(`starting the servers: protected gateway, unprotected gateway${wantBaseline ? ', pg baseline' : ''}${options.before ? `, the protected gateway of ${options.before}` : ''}${options.auditFloor.map((v) => `, ${v} (measurement only)`).join('')}${options.postgraphile ? ', PostGraphile plain' : ''}${options.postgraphileRls ? ', PostGraphile + RLS' : ''}`);
    servers = Object.fromEntries(
      await Promise.all([
        start('protected', 'gateway-server.js', [db.url, 'on'], execArgv),
        start('unprotected', 'gateway-server.js', [db.url, 'off'], execArgv),
        ...(wantBaseline ? [start('baseline', 'pg-baseline-server.js', [db.url])] : []),
        ...(options.before ? [start('before', options.before, [db.url, 'on'])] : []),
        ...options.auditFloor.map((variant) => start(variant, 'gateway-server.js', [db.url, variant], execArgv)),
        ...(postgraphile && options.postgraphile ? [start('postgraphile', 'peers/postgraphile-server.js', [db.url, postgraphile.dir], execArgv, postgraphile)] : []),
        ...(postgraphile && options.postgraphileRls ? [start('postgraphile-rls', 'peers/postgraphile-server.js', [db.url, postgraphile.dir, 'rls'], execArgv, postgraphile)] : []),
      ]),
    );

    const authConfig = loadAuthConfig(process.env);
    const prepared: Array<{ scenario: Scenario; targets: Target[]; result: ScenarioResult }> = [];
    for (const scenario of options.scenarios) {
      const token = await mintDevToken({ ...scenario.token(db.fixtures), ttlSeconds: 6 * 3600 }, authConfig);
      const targets = targetsFor(scenario, db.fixtures, token, servers);
      prepared.push({ scenario, targets, result: await check(scenario, targets, db.fixtures) });
    }
    const seconds = prepared.reduce((n, p) => n + p.targets.length * (options.warmup + options.duration), 0);
    log(`checks passed; measuring ${prepared.length} scenarios, ${options.connections} connections, about ${Math.ceil(seconds / 60)} min`);
    for (const { scenario, targets, result } of prepared) {
      await measure(scenario, targets, result, db, options);
      results.push(result);
      const r = Object.values(result.runs);
      if (r.some((run) => run.errors + run.sampledProblems > 0)) failed = true;
    }
    const deleted = await db.deleteBenchScans();
    if (deleted > 0) log(`deleted the ${deleted} scans the mutation scenario recorded`);
  } catch (error) {
    if (!(error instanceof BenchSetupError)) throw error;
    failed = true;
    log(`error: ${error.message}`);
  } finally {
    await cleanUp();
  }

  if (results.length === 0) return 1;
  const targets = checkTargets(results);
  const report = {
    startedAt: startedAt.toISOString(),
    elapsedSeconds: Math.round((performance.now() - started) / 1000),
    commit: gitCommit(),
    node: process.version,
    postgres: db.postgres,
    machine: {
      cores,
      cpu: os.cpus()[0]?.model ?? null,
      memoryMiB: Math.round(os.totalmem() / 2 ** 20),
      platform: `${os.platform()} ${os.release()}`,
      loadAverageAtStart: Number(loadAtStart.toFixed(2)),
      loadAverageAtEnd: Number(os.loadavg()[0]!.toFixed(2)),
    },
    settings: {
      durationSeconds: options.duration,
      warmupSeconds: options.warmup,
      connections: options.connections,
      pipelining: 1,
      order: `per scenario: warm-up each server, then ${options.rounds} rounds of every server in order and in reverse (ABBA), a stretch of duration / (2 x rounds) each`,
      rounds: options.rounds,
      before: options.before,
      auditFloor: options.auditFloor.length > 0 ? options.auditFloor : null,
      peers: postgraphile ? { postgraphile: { ...postgraphile.versions, ...servers.postgraphile?.detail } } : null,
      serverPoolSize: servers.protected?.detail.poolSize ?? null,
      serverLogLevel: serverEnv.LOG_LEVEL,
      serverNodeEnv: servers.protected?.detail.nodeEnv ?? null,
      profiled: options.profile,
      seed: BENCH_SEED,
    },
    dataset: { counts: db.counts, seededThisRunSeconds: db.seededMs === null ? null : Math.round(db.seededMs / 1000) },
    scenarios: results,
    targets,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  fs.writeFileSync(file, text);
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), text);

  const out = process.stdout;
  out.write(`\nneed-to-know benchmark: commit ${report.commit?.slice(0, 12) ?? 'unknown'}, Node ${report.node}, PostgreSQL ${db.postgres.version}, ${cores} cores\n`);
  out.write(
    `${options.connections} connections over loopback, ${options.warmup} s warm-up + ${options.duration} s per server and scenario; ` +
      `PostgreSQL GLIBC_TUNABLES=${db.postgres.glibcTunables ?? 'unknown'}; load average ${report.machine.loadAverageAtStart} -> ${report.machine.loadAverageAtEnd}\n\n`,
  );
  if (db.postgres.fixedMallocThresholds === false) {
    out.write(
      "PostgreSQL runs with glibc's dynamic malloc thresholds: the page faults its statements take again on every execution " +
        "(pg faults/req) cost what this machine charges for them, so x baseline is not comparable with other machines' runs.\n\n",
    );
  }
  out.write(`${runsTable(results)}\n\n${roundsTable(results)}\n\n${summaryTable(results)}\n\n${targetLines(targets)}\n\n`);
  if (results.some((r) => r.rounds.postgraphile || r.rounds['postgraphile-rls'])) out.write(`${peersTable(results)}\n\n`);
  if (options.auditFloor.length > 0) out.write(`${auditFloorTable(results)}\n\n`);
  out.write(`results: ${path.relative(ROOT, file)} and bench/results/latest.json; ${report.elapsedSeconds} s in all\n`);
  if (options.profile) out.write(`CPU profiles: ${path.relative(ROOT, PROFILE_DIR)}/ (Chrome DevTools or speedscope)\n`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof BenchSetupError;
    process.stderr.write(`bench: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
