/**
 * The fault suite: the gateway, as deployed (`node dist/src/main.js serve`), under a mixed load,
 * against a PostgreSQL and a Redis the suite owns, while they fail. What it proves, per fault,
 * from the answers and from the database afterwards:
 *
 * - every answer that carried data has its audit event (matched by `x-request-id`);
 * - every write that committed has its audit event (matched by the write's marker);
 * - every error is masked and coded, a database that cannot be reached answers 503 with
 *   Retry-After (never 500, never a reset connection), and nothing hangs past the request timeout;
 * - the gateway recovers by itself: the time from the fault's end to the first good answer of
 *   each kind of request (partner read, staff read, write), with no restart;
 * - `/readyz` says false while the database is gone and true after;
 * - and at the end `audit verify` finds the chain intact.
 *
 * Then two replicas on the same database and Redis: one audit chain, one rate-limit budget per
 * principal; and SIGTERM: a stopping gateway answers what it has in flight, with audit events,
 * and exits 0. (Webhook deliveries are not checked: the gateway has no webhook outbox yet.)
 *
 * `runFaultSuite` returns every figure; `failures` lists what did not hold. `npm run faults`
 * prints them (faults/run.ts); test/faults/faults.test.ts runs the short mode in `npm test`.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import type { Pool } from 'pg';
import { loadAuthConfig } from '../src/auth/auth-config';
import { mintDevToken } from '../src/auth/dev-token';
import { ErrorCode } from '../src/platform/errors';
import { Environment, MISSES_PER_MINUTE } from './environment';
import { builtMain, type GatewayProcess, type OutputTally } from './gateway-process';
import { count, GROUP_OF, LoadDriver, outcomeKey, ReadyProbe, WRITE_PREFIX, type KindGroup, type Sample } from './load';
import { sleep } from './processes';

export const FAULT_NAMES = ['pg-fast-shutdown', 'pg-terminate-backends', 'pg-kill-hard', 'pg-hang', 'redis-stop', 'pool-exhaustion', 'audit-refused'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

const DESCRIPTIONS: Record<FaultName, string> = {
  'pg-fast-shutdown': 'PostgreSQL stopped (fast shutdown), then started',
  'pg-terminate-backends': "the gateway's backends killed (pg_terminate_backend), repeatedly",
  'pg-kill-hard': 'the postmaster and all its processes killed (SIGKILL), then started (crash recovery)',
  'pg-hang': 'PostgreSQL hung (SIGSTOP of every process), then resumed (SIGCONT)',
  'redis-stop': 'Redis stopped while REDIS_URL is set, then started',
  'pool-exhaustion': "the gateway's pool exhausted: its statements wait on locks another session holds",
  'audit-refused': 'the audit log refuses every insert (a trigger), the rest of the database works',
};

/** Faults during which the database cannot be reached: errors must be 503 and /readyz false. */
const DATABASE_GONE: ReadonlySet<FaultName> = new Set(['pg-fast-shutdown', 'pg-kill-hard', 'pg-hang']);

/** The gateway's application_name (database.ts default): its sessions are the ones terminated. */
const GATEWAY_APPLICATION_NAME = 'need-to-know';
/** A request must never wait longer (the HTTP server's request timeout). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The short mode fails a fault whose recovery takes longer. */
export const RECOVERY_LIMIT_MS = 10_000;

export interface SuiteOptions {
  /** short: 5 s outages and 6 workers (CI); full: 10 s outages and 10 workers. */
  mode: 'short' | 'full';
  faults?: readonly FaultName[];
  replicas?: boolean;
  log(line: string): void;
}

interface Settings {
  outageMs: number;
  beforeMs: number;
  afterMs: number;
  concurrency: number;
  terminations: number;
  env: Record<string, string>;
}

function settingsOf(mode: 'short' | 'full'): Settings {
  // The pool is small (4) so that blocked statements exhaust it under the load's workers. The
  // short mode shortens the gateway's timeouts so that a 5 s outage outlasts them.
  return mode === 'short'
    ? { outageMs: 5000, beforeMs: 1500, afterMs: 1500, concurrency: 6, terminations: 3, env: { DB_POOL_SIZE: '4', STATEMENT_TIMEOUT_MS: '2000', DB_CONNECT_TIMEOUT_MS: '2000' } }
    : { outageMs: 10_000, beforeMs: 3000, afterMs: 3000, concurrency: 10, terminations: 5, env: { DB_POOL_SIZE: '4' } };
}

export interface FaultResult {
  name: string;
  description: string;
  /** Requests sent from the phase's start to its end. */
  sent: number;
  dataResponses: number;
  /** Data responses whose audit event was found. */
  auditRows: number;
  /** Request ids of data responses without an audit event. */
  missingAudit: string[];
  writesSent: number;
  writesCommitted: number;
  /** Markers of writes that committed without an audit event. */
  writesWithoutEvent: string[];
  /** Answers by `status code` (e.g. `503 SERVICE_UNAVAILABLE`, `reset ECONNRESET`). */
  outcomes: Record<string, number>;
  unmasked: string[];
  /** Longest answer sent while the fault lasted, ms. */
  longestMs: number;
  /** Requests per second answered before the fault and while it lasted. */
  throughputBefore: number;
  throughputDuring: number;
  /** From the fault's end to the first good answer of each group (requests sent after the end). */
  recoveryMs: Partial<Record<KindGroup, number>>;
  /** The largest of them; null if a group never answered well again. */
  recoveredMs: number | null;
  /** /readyz: whether it said false while the fault lasted, and when it said true again. */
  readyFalseDuring: boolean;
  readyAgainMs: number | null;
  gatewayAlive: boolean;
  failures: string[];
}

export interface ReplicaResult {
  sent: number;
  byReplica: [number, number];
  dataResponses: number;
  auditRows: number;
  missingAudit: string[];
  /** Sequential by-id misses alternating between the replicas, with one budget of MISSES_PER_MINUTE. */
  sharedLimit: { lookups: number; answered: number; refused: number; budget: number };
  failures: string[];
}

export interface DrainResult {
  /** Slow requests in flight when SIGTERM came. */
  inFlight: number;
  answered: number;
  audited: number;
  exitCode: number | null;
  exitMs: number;
  failures: string[];
}

export interface SuiteResult {
  mode: 'short' | 'full';
  faults: FaultResult[];
  replicas?: ReplicaResult;
  drain?: DrainResult;
  auditVerify: { exitCode: number | null; output: string };
  /** Output of each gateway process. */
  output: Record<string, OutputTally>;
  /** Everything that did not hold: the faults', the replicas', the drain's, audit verify's and `other`. */
  failures: string[];
  /** What failed outside the faults, the replicas, the drain and audit verify: between faults, output, stop. */
  other: string[];
  seconds: number;
}

interface Phase {
  name: FaultName;
  start: number;
  faultBegin: number;
  faultEnd: number;
  end: number;
  gatewayAlive: boolean;
}

export async function runFaultSuite(options: SuiteOptions): Promise<SuiteResult> {
  const started = performance.now();
  const settings = settingsOf(options.mode);
  const { log } = options;
  const env = await Environment.start(log);
  try {
    const a = await env.startGateway({ name: 'A', env: settings.env });
    log(`gateway A (pid ${a.pid}) serving on ${a.url}`);
    const targets: string[] = [a.url];
    const load = new LoadDriver({ targets: () => targets, tokens: env.tokens, fixtures: env.fixtures, concurrency: settings.concurrency, timeoutMs: REQUEST_TIMEOUT_MS + 5000 });
    const probe = new ReadyProbe(() => targets);
    load.start();
    probe.start();
    const phases: Phase[] = [];
    let replicaWindow: { start: number; end: number } | undefined;
    let sharedLimit: ReplicaResult['sharedLimit'] | undefined;
    let drain: DrainRun | undefined;
    try {
      await waitForGoodAnswers(load, performance.now() - 1, 30_000);
      for (const name of options.faults ?? FAULT_NAMES) {
        phases.push(await runFault(name, { env, load, settings, log, gateway: a }));
        if (!a.running) break;
      }
      if ((options.replicas ?? true) && a.running) {
        log('replicas: starting gateway B on the same database and Redis; the load goes to both');
        const b = await env.startGateway({ name: 'B', env: settings.env });
        const start = performance.now();
        targets.push(b.url);
        await sleep(settings.beforeMs * 2);
        sharedLimit = await checkSharedLimit([a.url, b.url]);
        await sleep(settings.beforeMs);
        replicaWindow = { start, end: performance.now() };
        log('drain: SIGTERM to gateway B with slow requests in flight');
        targets.pop();
        drain = await drainUnderLoad(b, env);
      }
    } finally {
      probe.stop();
      await load.stop();
    }

    log('checking the answers against the database');
    const audited = await auditedRequestIds(env.admin, load.samples.filter((s) => s.carriedData && s.requestId).map((s) => s.requestId!));
    const committed = await committedWrites(env.admin);
    const eventsOfWrites = await writeEvents(env.admin);
    const results = phases.map((p) => faultResult(p, load.samples, probe, audited, committed, eventsOfWrites));
    const failures = results.flatMap((f) => f.failures.map((m) => `${f.name}: ${m}`));
    const other: string[] = [];
    const steady = outsidePhases(phases, replicaWindow, load.samples);
    const steadyMissing = steady.filter((s) => s.carriedData && !audited.has(s.requestId ?? ''));
    if (steadyMissing.length > 0) other.push(`between faults: ${steadyMissing.length} data responses without an audit event`);
    const steadyUnaudited = steady.filter((s) => s.marker && committed.has(s.marker) && !eventsOfWrites.has(s.marker));
    if (steadyUnaudited.length > 0) other.push(`between faults: ${steadyUnaudited.length} committed writes without an audit event`);

    let replicas: ReplicaResult | undefined;
    if (replicaWindow && sharedLimit) {
      replicas = replicaResult(load.samples, replicaWindow, audited, sharedLimit);
      failures.push(...replicas.failures.map((m) => `replicas: ${m}`));
    }
    let drainResult: DrainResult | undefined;
    if (drain) {
      drainResult = drainVerdict(drain, (await auditedRequestIds(env.admin, drain.requestIds)).size);
      failures.push(...drainResult.failures.map((m) => `drain: ${m}`));
    }

    log('audit verify');
    const auditVerify = await runAuditVerify(env.databaseUrl);
    if (auditVerify.exitCode !== 0) failures.push(`audit verify failed (exit ${auditVerify.exitCode}): ${auditVerify.output.trim().split('\n')[0]}`);

    const stop = await a.terminate();
    if (stop.code !== 0) other.push(`gateway A did not stop cleanly on SIGTERM (code ${stop.code}, signal ${stop.signal})`);
    const output = Object.fromEntries(env.gateways.map((g) => [g.name, g.output]));
    for (const g of env.gateways) {
      if (g.output.unstructuredCount > 0) other.push(`gateway ${g.name} wrote ${g.output.unstructuredCount} lines that are not JSON log lines, e.g. ${JSON.stringify(g.output.unstructured[0])}`);
    }
    failures.push(...other);
    return { mode: options.mode, faults: results, replicas, drain: drainResult, auditVerify, output, failures, other, seconds: Math.round((performance.now() - started) / 1000) };
  } finally {
    await env.release();
  }
}

/** Waits until every group has answered well since `since`; throws after `timeoutMs`. */
async function waitForGoodAnswers(load: LoadDriver, since: number, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (Object.keys(firstGood(load.samples, since)).length < 3) {
    if (performance.now() > until) throw new Error(`the gateway did not answer every kind of request well within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The first good answer of each group among requests sent at or after `since`: ms from `since` to its end. */
function firstGood(samples: readonly Sample[], since: number, before = Infinity): Partial<Record<KindGroup, number>> {
  const found: Partial<Record<KindGroup, number>> = {};
  for (const s of samples) {
    if (!s.good || s.start < since || s.start >= before) continue;
    const group = GROUP_OF[s.kind];
    const ms = s.end - since;
    if (found[group] === undefined || ms < found[group]!) found[group] = ms;
  }
  return found;
}

interface FaultContext {
  env: Environment;
  load: LoadDriver;
  settings: Settings;
  gateway: GatewayProcess;
  log(line: string): void;
}

async function runFault(name: FaultName, c: FaultContext): Promise<Phase> {
  const { cluster, redis } = c.env;
  const { settings } = c;
  c.log(`fault ${name}: ${DESCRIPTIONS[name]}`);
  const start = performance.now();
  await sleep(settings.beforeMs);
  const faultBegin = performance.now();
  switch (name) {
    case 'pg-fast-shutdown':
      await cluster.stopFast();
      await sleep(settings.outageMs);
      await cluster.start();
      break;
    case 'pg-kill-hard':
      await cluster.killHard();
      await sleep(settings.outageMs);
      await cluster.start();
      break;
    case 'pg-hang':
      cluster.pause();
      await sleep(settings.outageMs);
      cluster.resume();
      break;
    case 'pg-terminate-backends':
      for (let i = 0; i < settings.terminations; i++) {
        if (i > 0) await sleep(1000);
        await cluster.terminateBackends(GATEWAY_APPLICATION_NAME);
      }
      break;
    case 'redis-stop':
      await redis.stop();
      await sleep(settings.outageMs);
      await redis.start();
      break;
    case 'pool-exhaustion':
      await holdLocks(c.env.admin, settings.outageMs);
      break;
    case 'audit-refused':
      await refuseAuditInserts(c.env.admin, settings.outageMs);
      break;
  }
  const faultEnd = performance.now();
  // Recovered once every group has answered well again; then a little more load.
  const until = faultEnd + 20_000;
  while (performance.now() < until && Object.keys(firstGood(c.load.samples, faultEnd)).length < 3 && c.gateway.running) await sleep(100);
  await sleep(settings.afterMs);
  return { name, start, faultBegin, faultEnd, end: performance.now(), gatewayAlive: c.gateway.running };
}

/**
 * Another session locks the tables every request reads, for `ms`: the gateway's statements queue
 * behind it. Taking the locks can deadlock with a gateway transaction that holds one of them and
 * waits for another; when PostgreSQL picks this session as the victim, it tries again.
 */
async function holdLocks(admin: Pool, ms: number): Promise<void> {
  const client = await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      await client.query('BEGIN');
      try {
        await client.query('LOCK TABLE shipment, payment_verification, customer, after_sales_case IN ACCESS EXCLUSIVE MODE');
        break;
      } catch (error) {
        await client.query('ROLLBACK');
        if ((error as { code?: string }).code !== '40P01' || attempt === 10) throw error;
      }
    }
    await sleep(ms);
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
}

/**
 * The audit log refuses inserts for `ms` while everything else works: the failure the audit
 * writer meets between a mutation's own commit and its event, made certain instead of a race.
 * Answers are withheld (fail closed); a write must not stand without its event.
 */
async function refuseAuditInserts(admin: Pool, ms: number): Promise<void> {
  await untilNoDeadlock(admin, `
    CREATE FUNCTION fault_suite_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit storage refused (fault suite)'; END $$;
    CREATE TRIGGER fault_suite_refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION fault_suite_refuse_audit()`);
  await sleep(ms);
  await untilNoDeadlock(admin, 'DROP TRIGGER fault_suite_refuse_audit ON audit_event; DROP FUNCTION fault_suite_refuse_audit()');
}

/**
 * audit_event is partitioned by month: a trigger on it is created and dropped on every
 * partition, which takes their locks one by one and can deadlock with the audit writer's inserts.
 * The statements run as one implicit transaction, so a deadlock victim changed nothing and is
 * sent again.
 */
async function untilNoDeadlock(admin: Pool, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt === 10) throw error;
      await sleep(20 * attempt);
    }
  }
}

/** Which of `ids` (request ids) have an audit event. */
async function auditedRequestIds(admin: Pool, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 5000) {
    const { rows } = await admin.query<{ request_id: string }>('SELECT request_id FROM audit_event WHERE request_id = ANY($1::varchar[])', [ids.slice(i, i + 5000)]);
    for (const row of rows) found.add(row.request_id);
  }
  return found;
}

/** Markers of the load's writes that are in the database. */
async function committedWrites(admin: Pool): Promise<Set<string>> {
  const like = (prefix: string) => `${prefix.replace(/_/g, '\\_')}%`;
  const { rows } = await admin.query<{ marker: string }>(
    `SELECT description AS marker FROM shipment_event WHERE description LIKE $1
     UNION ALL SELECT provider_reference FROM payment_verification WHERE provider_reference LIKE $2
     UNION ALL SELECT body FROM case_message WHERE body LIKE $3`,
    [like(WRITE_PREFIX['write-scan']), like(WRITE_PREFIX['write-payment']), like(WRITE_PREFIX['write-message'])],
  );
  return new Set(rows.map((row) => row.marker));
}

/** Markers (operation names) of the load's writes that have an audit event. */
async function writeEvents(admin: Pool): Promise<Set<string>> {
  const { rows } = await admin.query<{ operation_name: string }>(`SELECT DISTINCT operation_name FROM audit_event WHERE operation_type = 'mutation' AND operation_name LIKE 'Fault%'`);
  return new Set(rows.map((row) => row.operation_name));
}


function perSecond(samples: readonly Sample[], from: number, to: number): number {
  const n = samples.filter((s) => s.end >= from && s.end < to).length;
  return to > from ? Math.round((n * 1000) / (to - from)) : 0;
}

function faultResult(p: Phase, all: readonly Sample[], probe: ReadyProbe, audited: Set<string>, committed: Set<string>, writeEventsFound: Set<string>): FaultResult {
  const samples = all.filter((s) => s.start >= p.start && s.start < p.end);
  const data = samples.filter((s) => s.carriedData);
  const missingAudit = data.filter((s) => !s.requestId || !audited.has(s.requestId)).map((s) => s.requestId ?? '(no request id)');
  const writes = samples.filter((s) => s.marker);
  const writesCommitted = writes.filter((s) => committed.has(s.marker!));
  const writesWithoutEvent = writesCommitted.filter((s) => !writeEventsFound.has(s.marker!)).map((s) => s.marker!);
  const during = samples.filter((s) => s.end >= p.faultBegin && s.start <= p.faultEnd);
  const recoveryMs = firstGood(samples, p.faultEnd);
  const groups: KindGroup[] = ['partner read', 'staff read', 'write'];
  const recoveredMs = groups.every((g) => recoveryMs[g] !== undefined) ? Math.max(...groups.map((g) => recoveryMs[g]!)) : null;
  const ready = probe.answers.filter((a) => a.target === 0);
  const readyFalseDuring = ready.some((a) => !a.ready && a.at >= p.faultBegin && a.at <= p.faultEnd);
  const readyAgain = ready.find((a) => a.ready && a.at >= p.faultEnd);
  const failures: string[] = [];
  const errors = samples.filter((s) => !s.good);
  const unmasked = [...new Set(errors.filter((s) => s.unmasked).map((s) => s.unmasked!))];
  const noAnswer = samples.filter((s) => s.status === 0);
  const longestMs = Math.round(Math.max(0, ...during.map((s) => s.end - s.start)));

  if (!p.gatewayAlive) failures.push('the gateway process died');
  if (missingAudit.length > 0) failures.push(`${missingAudit.length} of ${data.length} data responses have no audit event`);
  if (writesWithoutEvent.length > 0) failures.push(`${writesWithoutEvent.length} committed writes have no audit event (${writesWithoutEvent.slice(0, 3).join(', ')})`);
  if (unmasked.length > 0) failures.push(`errors not masked and coded: ${unmasked.slice(0, 3).join('; ')}`);
  if (noAnswer.length > 0) failures.push(`${noAnswer.length} requests got no answer (${Object.keys(count(noAnswer, outcomeKey)).join(', ')})`);
  if (longestMs > REQUEST_TIMEOUT_MS) failures.push(`an answer took ${longestMs} ms, past the ${REQUEST_TIMEOUT_MS} ms request timeout`);
  if (recoveredMs === null) failures.push(`no recovery: ${groups.filter((g) => recoveryMs[g] === undefined).join(', ')} never answered well after the fault`);
  else if (recoveredMs > RECOVERY_LIMIT_MS) failures.push(`recovery took ${Math.round(recoveredMs)} ms (limit ${RECOVERY_LIMIT_MS})`);
  if (DATABASE_GONE.has(p.name)) {
    const internal = errors.filter((s) => s.codes.includes(ErrorCode.INTERNAL_SERVER_ERROR));
    if (internal.length > 0) failures.push(`${internal.length} answers were 500 INTERNAL_SERVER_ERROR while the database was unreachable (503 expected)`);
    if (!readyFalseDuring) failures.push('/readyz never said false while the database was unreachable');
  }
  if (!readyAgain) failures.push('/readyz did not say true again after the fault');

  return {
    name: p.name,
    description: DESCRIPTIONS[p.name],
    sent: samples.length,
    dataResponses: data.length,
    auditRows: data.length - missingAudit.length,
    missingAudit,
    writesSent: writes.length,
    writesCommitted: writesCommitted.length,
    writesWithoutEvent,
    outcomes: count(samples, outcomeKey),
    unmasked,
    longestMs,
    throughputBefore: perSecond(all, p.start, p.faultBegin),
    throughputDuring: perSecond(all, p.faultBegin, p.faultEnd),
    recoveryMs: Object.fromEntries(Object.entries(recoveryMs).map(([g, ms]) => [g, Math.round(ms!)])),
    recoveredMs: recoveredMs === null ? null : Math.round(recoveredMs),
    readyFalseDuring,
    readyAgainMs: readyAgain ? Math.round(readyAgain.at - p.faultEnd) : null,
    gatewayAlive: p.gatewayAlive,
    failures,
  };
}

function outsidePhases(phases: readonly Phase[], replicas: { start: number; end: number } | undefined, samples: readonly Sample[]): Sample[] {
  const windows = [...phases, ...(replicas ? [replicas] : [])];
  return samples.filter((s) => !windows.some((w) => s.start >= w.start && s.start < w.end));
}

/**
 * By-id look-ups of orders that do not exist, one at a time, alternating between the replicas,
 * as one member of staff. With one shared budget of MISSES_PER_MINUTE misses the look-ups past
 * it are refused; with a budget per replica none would be.
 */
async function checkSharedLimit(urls: readonly string[]): Promise<ReplicaResult['sharedLimit']> {
  const config = loadAuthConfig({}, 'test');
  // A principal of its own (a subject no other request uses) so nothing else spends its budget.
  const token = await mintDevToken({ kind: 'staff', subject: `fault-suite-${Date.now()}`, roles: ['customer_service'], purposes: ['after_sales'] }, config);
  const lookups = MISSES_PER_MINUTE + 10;
  let answered = 0;
  let refused = 0;
  for (let i = 0; i < lookups; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const response = await fetch(`${urls[i % urls.length]}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'query Missing($id: ID!) { order(id: $id) { id } }', variables: { id } }),
    });
    const body = (await response.json()) as { data?: { order: unknown } | null; errors?: Array<{ extensions?: { code?: string } }> };
    if (body.errors?.some((e) => e.extensions?.code === ErrorCode.RATE_LIMITED)) refused += 1;
    else if (body.data && body.data.order === null) answered += 1;
  }
  return { lookups, answered, refused, budget: MISSES_PER_MINUTE };
}

function replicaResult(all: readonly Sample[], window: { start: number; end: number }, audited: Set<string>, sharedLimit: ReplicaResult['sharedLimit']): ReplicaResult {
  const samples = all.filter((s) => s.start >= window.start && s.start < window.end);
  const data = samples.filter((s) => s.carriedData);
  const missingAudit = data.filter((s) => !s.requestId || !audited.has(s.requestId)).map((s) => s.requestId ?? '(no request id)');
  const failures: string[] = [];
  const byReplica: [number, number] = [samples.filter((s) => s.target === 0).length, samples.filter((s) => s.target === 1).length];
  if (byReplica[1] === 0) failures.push('replica B answered nothing');
  if (missingAudit.length > 0) failures.push(`${missingAudit.length} data responses have no audit event`);
  const bad = samples.filter((s) => !s.good);
  if (bad.length > 0) failures.push(`${bad.length} answers were not good: ${JSON.stringify(count(bad, outcomeKey))}`);
  if (sharedLimit.answered !== sharedLimit.budget || sharedLimit.refused !== sharedLimit.lookups - sharedLimit.budget) {
    failures.push(`rate limits not shared: of ${sharedLimit.lookups} misses alternating between the replicas with a budget of ${sharedLimit.budget}, ${sharedLimit.answered} were answered and ${sharedLimit.refused} refused`);
  }
  return { sent: samples.length, byReplica, dataResponses: data.length, auditRows: data.length - missingAudit.length, missingAudit, sharedLimit, failures };
}

/**
 * Requests made slow by a lock another session holds are in flight at gateway B when it gets
 * SIGTERM; the lock is released a moment later. A drained stop answers all of them, with audit
 * events, and exits 0.
 */
type DrainRun = Omit<DrainResult, 'failures' | 'audited'> & { requestIds: string[] };

async function drainUnderLoad(b: GatewayProcess, env: Environment): Promise<DrainRun> {
  const client = await env.admin.connect();
  const slow = 5;
  let answers: Array<{ status: number; requestId: string | null; data: boolean }>;
  let exit: { code: number | null; ms: number };
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE shipment IN ACCESS EXCLUSIVE MODE');
    const requests = Array.from({ length: slow }, () =>
      fetch(`${b.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.tokens.carrier}` },
        body: JSON.stringify({ query: 'query Manifest { shipments(first: 5) { nodes { id trackingNumber } } }' }),
      }).then(
        async (r) => {
          const body = (await r.json()) as { data?: { shipments?: { nodes: unknown[] } } };
          return { status: r.status, requestId: r.headers.get('x-request-id'), data: (body.data?.shipments?.nodes.length ?? 0) > 0 };
        },
        () => ({ status: 0, requestId: null, data: false }),
      ),
    );
    await sleep(500);
    const stopped = b.terminate();
    await sleep(500);
    await client.query('ROLLBACK');
    answers = await Promise.all(requests);
    const ended = await stopped;
    exit = { code: ended.code, ms: ended.ms };
  } finally {
    client.release();
  }
  return {
    inFlight: slow,
    answered: answers.filter((a) => a.status === 200 && a.data).length,
    exitCode: exit.code,
    exitMs: exit.ms,
    requestIds: answers.filter((a) => a.requestId).map((a) => a.requestId!),
  };
}

function drainVerdict(d: DrainRun, audited: number): DrainResult {
  const failures: string[] = [];
  if (d.answered !== d.inFlight) failures.push(`${d.inFlight - d.answered} of ${d.inFlight} requests in flight were not answered with data`);
  if (audited !== d.answered) failures.push(`${d.answered - audited} answered requests have no audit event`);
  if (d.exitCode !== 0) failures.push(`exit code ${d.exitCode}`);
  return { inFlight: d.inFlight, answered: d.answered, audited, exitCode: d.exitCode, exitMs: d.exitMs, failures };
}

function runAuditVerify(databaseUrl: string): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtMain(), 'audit', 'verify'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The verdict is on stdout when intact and on stderr when not; progress lines go to stderr.
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ exitCode: code, output: code === 0 ? stdout : stderr.replace(/^audit verify: \d+\/\d+ seals\n/gm, '') }));
  });
}
