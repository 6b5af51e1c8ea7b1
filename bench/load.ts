/**
 * Driving one server with autocannon and reading what it cost: throughput, latency (every
 * response's, so runs split into parts combine exactly), errors (status, and a sample of bodies
 * checked like the scenario's first answer), SQL statements, and CPU time of the server process
 * and of PostgreSQL per request.
 */
import autocannon from 'autocannon';
import type { AuditFloorVariant } from './audit-floor';
import type { PostgresUsage } from './bench-database';
import type { ForkedServer } from './servers';
import type { Fixtures, Scenario } from './scenarios';

/**
 * The servers: the gateway with and without its protections, the plain `pg` baseline,
 * (`--before DIR`) the protected gateway of another build, and (`--peers`) PostGraphile plain and
 * PostGraphile with row-level security, and (`--audit-floor`) the protected gateway with part of
 * its audit taken away, for measurement only (bench/audit-floor.ts), measured in the same rounds.
 */
export type Mode = 'protected' | 'unprotected' | 'baseline' | 'before' | 'postgraphile' | 'postgraphile-rls' | AuditFloorVariant;

/** The gateways whose audit statements are counted (`no-audit`'s, none, as a check). */
const AUDITING: ReadonlySet<Mode> = new Set<Mode>(['protected', 'before', 'audit-async-commit', 'audit-unsent', 'no-audit']);

/** How to send the i-th request of a scenario to one server. */
export interface Target {
  mode: Mode;
  server: ForkedServer;
  path: string;
  headers: Record<string, string>;
  body(i: number): string;
  /** Same body for every request: autocannon can skip its per-request hook. */
  constant: boolean;
  /** A peer's `data` rewritten into the gateway's shape, for the scenario's check (absent: already the gateway's). */
  gatewayData?: (data: unknown) => unknown;
}

/** One measured stretch of load. */
export interface Part {
  requests: number;
  seconds: number;
  latencies: number[];
  non2xx: number;
  /** Connection errors and timeouts. */
  failures: number;
  sampled: number;
  sampledProblems: number;
  firstProblem: string | null;
  answered: number;
  sql: number;
  auditSql: number;
  serverCpuMs: number;
  postgresCpuMs: number | null;
  postgresMinorFaults: number | null;
}

export interface LoadRun {
  mode: Mode;
  requestsPerSecond: number;
  requests: number;
  durationSeconds: number;
  latencyMs: { p50: number; p90: number; p95: number; p99: number; mean: number; max: number };
  /** Non-2xx responses, connection errors and timeouts. */
  errors: number;
  /** Bodies checked (every SAMPLE_EVERY-th response) and how many of them were wrong. */
  sampled: number;
  sampledProblems: number;
  firstProblem: string | null;
  /** Data statements of one request issued alone (the gateway's N+1 measure). */
  sqlPerRequest: number | null;
  /** Data statements per request averaged over the measured run. */
  sqlPerRequestUnderLoad: number | null;
  /** The audit log's statements per request under load (group commit shares them). */
  auditSqlPerRequestUnderLoad: number | null;
  /** CPU time per request of the server process, and of all PostgreSQL processes. */
  serverCpuMsPerRequest: number | null;
  postgresCpuMsPerRequest: number | null;
  /** PostgreSQL's minor page faults per request (see PostgresUsage). */
  postgresFaultsPerRequest: number | null;
}

/** Every SAMPLE_EVERY-th response body is parsed and checked. */
const SAMPLE_EVERY = 25;

/** A problem with one response, or undefined when it is a correct answer. */
export function problemWith(
  scenario: Scenario,
  fixtures: Fixtures,
  i: number,
  status: number,
  text: string,
  gatewayData: (data: unknown) => unknown = (data) => data,
): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 300)}`;
  let body: { data?: unknown; errors?: Array<{ message: string; path?: unknown; extensions?: { code?: string } }> };
  try {
    body = JSON.parse(text);
  } catch {
    return `the body is not JSON: ${text.slice(0, 200)}`;
  }
  if (body.errors?.length) {
    const e = body.errors[0]!;
    return `${body.errors.length} GraphQL error(s), first: ${e.extensions?.code ?? ''} ${e.message}${e.path ? ` at ${JSON.stringify(e.path)}` : ''}`;
  }
  let data: unknown;
  try {
    data = gatewayData(body.data);
  } catch (error) {
    return `the data does not have the shape asked for: ${(error as Error).message}`;
  }
  return scenario.check(data, scenario.variables(fixtures, i));
}

export async function sendOnce(target: Target, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${target.server.port}${target.path}`, { method: 'POST', headers: target.headers, body });
  return { status: response.status, text: await response.text() };
}

/**
 * Runs the target for `seconds` with `connections` connections. `first` numbers the requests
 * (rotating ids continue where the previous part stopped); returns the part and the next number.
 */
export async function drive(
  target: Target,
  scenario: Scenario,
  fixtures: Fixtures,
  options: { seconds: number; connections: number; first: number; postgresUsage: () => Promise<PostgresUsage | null> },
): Promise<{ part: Part; next: number }> {
  let issued = options.first;
  let received = 0;
  let sampled = 0;
  let sampledProblems = 0;
  let firstProblem: string | null = null;
  const latencies: number[] = [];
  const request: autocannon.Request = {
    method: 'POST',
    path: target.path,
    headers: target.headers,
    body: target.body(options.first),
    onResponse(status, body, context) {
      received += 1;
      if (received % SAMPLE_EVERY !== 1) return;
      sampled += 1;
      const problem = problemWith(scenario, fixtures, (context.i as number | undefined) ?? options.first, status, body, target.gatewayData);
      if (problem) {
        sampledProblems += 1;
        firstProblem ??= problem;
      }
    },
  };
  if (!target.constant) {
    request.setupRequest = (req, context) => {
      const i = issued++;
      context.i = i;
      return { ...req, body: target.body(i) };
    };
  }
  const before = await target.server.idleStats();
  const pgBefore = await options.postgresUsage();
  const run = autocannon({
    url: `http://127.0.0.1:${target.server.port}`,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    requests: [request],
  });
  run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  const result = await run;
  const after = await target.server.idleStats();
  const pgAfter = await options.postgresUsage();
  return {
    part: {
      requests: result.requests.total,
      seconds: result.duration,
      latencies,
      non2xx: result.non2xx,
      failures: result.errors + result.timeouts,
      sampled,
      sampledProblems,
      firstProblem,
      answered: after.requests - before.requests,
      sql: after.sql - before.sql,
      auditSql: after.auditSql - before.auditSql,
      serverCpuMs: (after.cpuMicros - before.cpuMicros) / 1000,
      postgresCpuMs: pgBefore === null || pgAfter === null ? null : pgAfter.cpuMs - pgBefore.cpuMs,
      postgresMinorFaults: pgBefore === null || pgAfter === null ? null : pgAfter.minorFaults - pgBefore.minorFaults,
    },
    next: target.constant ? options.first : issued,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The parts of one server's measurement as one run. */
export function combine(mode: Mode, parts: readonly Part[], sqlPerRequest: number | null): LoadRun {
  const sum = (f: (p: Part) => number) => parts.reduce((n, p) => n + f(p), 0);
  const requests = sum((p) => p.requests);
  const seconds = sum((p) => p.seconds);
  const answered = sum((p) => p.answered);
  const latencies = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const per = (total: number) => (answered > 0 ? total / answered : null);
  const pg = parts.every((p) => p.postgresCpuMs !== null) ? sum((p) => p.postgresCpuMs!) : null;
  const faults = parts.every((p) => p.postgresMinorFaults !== null) ? sum((p) => p.postgresMinorFaults!) : null;
  return {
    mode,
    requestsPerSecond: requests / seconds,
    requests,
    durationSeconds: seconds,
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
      max: latencies[latencies.length - 1] ?? NaN,
    },
    errors: sum((p) => p.non2xx + p.failures),
    sampled: sum((p) => p.sampled),
    sampledProblems: sum((p) => p.sampledProblems),
    firstProblem: parts.find((p) => p.firstProblem)?.firstProblem ?? null,
    sqlPerRequest,
    sqlPerRequestUnderLoad: per(sum((p) => p.sql)),
    auditSqlPerRequestUnderLoad: AUDITING.has(mode) ? per(sum((p) => p.auditSql)) : null,
    serverCpuMsPerRequest: per(sum((p) => p.serverCpuMs)),
    postgresCpuMsPerRequest: pg === null ? null : per(pg),
    postgresFaultsPerRequest: faults === null ? null : per(faults),
  };
}
