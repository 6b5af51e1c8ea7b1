/**
 * The gateway's Prometheus metrics (prom-client), in a registry of its own per gateway so that
 * several gateways in one process (tests, benchmarks) never share or clash; only Node's process
 * metrics, which are the process's, are collected once and scraped with each gateway's own.
 *
 * Every label has a bounded set of values: principal kinds, purposes and outcomes are
 * vocabularies; a denial's coordinate is one of the schema's classified fields (anything else is
 * counted as `other`); job names are the gateway's own. Nothing here carries an id, a name, a
 * token or a value: metrics leave the gateway without an audit event, so they must disclose
 * nothing about anyone.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** What became of a request, as the audit log says (ok, partial, denied, error) or as it was refused before execution. */
export type RequestOutcome = 'ok' | 'partial' | 'denied' | 'error' | 'unauthenticated' | 'refused' | 'withheld';

/** The outbox's backlog as mail/outbox.ts counts it. */
export interface OutboxCounts {
  pending: number;
  due: number;
  oldestDueSeconds: number;
  failedLastDay: number;
}

export interface MetricsOptions {
  /** Whether to add Node's process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Whether a denial's coordinate is a known one (a classified schema field); others count as `other`. */
  isKnownCoordinate?: (coordinate: string) => boolean;
}

/** Latency buckets from 2.5 ms to 10 s: the gateway's answers are mostly between 5 and 100 ms. */
const LATENCY_BUCKETS = [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/**
 * Node's process metrics (CPU, memory, event loop lag, GC), collected once per process and shared
 * by its gateways: what collects them (an event-loop-delay monitor, a GC observer) can never be
 * stopped, so a gateway that made its own would leave them behind when it stops.
 */
let processRegistry: Registry | undefined;
function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'ntk_' });
  }
  return processRegistry;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'principal_kind' | 'purpose' | 'outcome'>;
  private readonly latency: Histogram<'principal_kind' | 'purpose'>;
  private readonly denials: Counter<'coordinate'>;
  private readonly rateLimited: Counter<'principal_kind'>;
  private readonly auditBatchSize: Histogram;
  private readonly auditWrite: Histogram<'path'>;
  private readonly auditFailures: Counter;
  private readonly jobs: Counter<'job' | 'result'>;
  private readonly jobItems: Counter<'job'>;
  private readonly isKnownCoordinate: (coordinate: string) => boolean;
  private readonly processMetrics: Registry | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.isKnownCoordinate = options.isKnownCoordinate ?? (() => true);
    this.processMetrics = (options.processMetrics ?? true) ? processMetricsRegistry() : undefined;
    this.requests = new Counter({
      name: 'ntk_graphql_requests_total',
      help: 'GraphQL requests answered, by principal kind, declared purpose and outcome',
      labelNames: ['principal_kind', 'purpose', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'ntk_graphql_request_duration_seconds',
      help: 'Time from the request to the last byte of its answer, audit write included',
      labelNames: ['principal_kind', 'purpose'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.denials = new Counter({
      name: 'ntk_field_denials_total',
      help: 'Fields refused (FORBIDDEN or withheld) by the disclosure policy, by schema coordinate',
      labelNames: ['coordinate'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'ntk_rate_limit_refusals_total',
      help: 'Requests refused with RATE_LIMITED, by principal kind',
      labelNames: ['principal_kind'],
      registers,
    });
    this.auditBatchSize = new Histogram({
      name: 'ntk_audit_batch_events',
      help: 'Audit events written per sealed batch',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.auditWrite = new Histogram({
      name: 'ntk_audit_write_duration_seconds',
      help: 'Time to write and seal one audit batch; path: unlocked (chained to the known seal) or locked',
      labelNames: ['path'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.auditFailures = new Counter({
      name: 'ntk_audit_withheld_responses_total',
      help: 'Responses withheld because their audit event could not be written (answered 503 or 500, without data)',
      registers,
    });
    this.jobs = new Counter({
      name: 'ntk_job_runs_total',
      help: 'Background job runs by job and result (ok, failed, skipped: another instance held the lock)',
      labelNames: ['job', 'result'],
      registers,
    });
    this.jobItems = new Counter({
      name: 'ntk_job_items_total',
      help: 'Rows a background job processed (deleted, sent, expired), by job',
      labelNames: ['job'],
      registers,
    });
  }

  /** Pool gauges read at scrape time: connections in use, idle, and requests waiting for one. */
  watchPool(dataSource: DataSource): void {
    const driver = dataSource.driver as unknown as { master?: Pool };
    const pool = () => driver.master;
    new Gauge({
      name: 'ntk_db_pool_connections',
      help: 'Database pool connections by state: in_use, idle',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const p = pool();
        this.set({ state: 'in_use' }, p ? p.totalCount - p.idleCount : 0);
        this.set({ state: 'idle' }, p ? p.idleCount : 0);
      },
    });
    new Gauge({
      name: 'ntk_db_pool_waiting',
      help: 'Requests waiting for a database connection',
      registers: [this.registry],
      collect() {
        this.set(pool()?.waitingCount ?? 0);
      },
    });
  }

  /**
   * The mail outbox read at scrape time (`read` is mail/outbox.ts's backlog; platform/ imports no
   * domain): mails waiting, due now, given up in the last day, and the oldest due one's wait. One
   * read per scrape; when the database cannot answer, the gauges keep their last values and the
   * scrape still answers (the pool's gauges matter most then).
   */
  watchOutbox(read: () => Promise<OutboxCounts>): void {
    let reading: Promise<OutboxCounts | undefined> | undefined;
    const once = () =>
      (reading ??= read()
        .catch(() => undefined)
        .finally(() => {
          reading = undefined;
        }));
    new Gauge({
      name: 'ntk_mail_outbox_mails',
      help: 'Mails in the outbox by state: pending (not yet sent), due (pending and due now), failed_last_day (given up in the last 24 hours)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const backlog = await once();
        if (!backlog) return;
        this.set({ state: 'pending' }, backlog.pending);
        this.set({ state: 'due' }, backlog.due);
        this.set({ state: 'failed_last_day' }, backlog.failedLastDay);
      },
    });
    new Gauge({
      name: 'ntk_mail_outbox_oldest_due_seconds',
      help: 'How long the oldest due mail has waited to be sent; 0 when none is due',
      registers: [this.registry],
      async collect() {
        const backlog = await once();
        if (backlog) this.set(backlog.oldestDueSeconds);
      },
    });
  }

  request(principalKind: string, purpose: string, outcome: RequestOutcome, seconds?: number): void {
    this.requests.inc({ principal_kind: principalKind, purpose, outcome });
    if (seconds !== undefined) this.latency.observe({ principal_kind: principalKind, purpose }, seconds);
  }

  /** What an audited request's event says: its denials and whether it was rate limited. */
  audited(principalKind: string, denied: readonly string[], errorCodes: readonly string[]): void {
    for (const coordinate of denied) this.denials.inc({ coordinate: this.isKnownCoordinate(coordinate) ? coordinate : 'other' });
    if (errorCodes.includes('RATE_LIMITED')) this.rateLimitRefused(principalKind);
  }

  /** A request answered RATE_LIMITED; `none` as the kind when its caller was never established (its address spent its budget). */
  rateLimitRefused(principalKind: string): void {
    this.rateLimited.inc({ principal_kind: principalKind });
  }

  auditBatch(events: number, ms: number, locked: boolean): void {
    this.auditBatchSize.observe(events);
    this.auditWrite.observe({ path: locked ? 'locked' : 'unlocked' }, ms / 1000);
  }

  auditFailure(): void {
    this.auditFailures.inc();
  }

  job(job: string, result: 'ok' | 'failed' | 'skipped', items = 0): void {
    this.jobs.inc({ job, result });
    if (items > 0) this.jobItems.inc({ job }, items);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    const registry = this.processMetrics ? Registry.merge([this.processMetrics, this.registry]) : this.registry;
    return { contentType: registry.contentType, text: await registry.metrics() };
  }
}
