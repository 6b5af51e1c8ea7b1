/**
 * The retention job (design §7, policy §4): `runRetention(dataSource, options)`.
 *
 * In order, each in batches of `batchSize` records, each batch one transaction that ends with
 * its audit event (written with the write: both commit or neither):
 *   1. completes the orders that are due (order-lifecycle.ts), which schedules them;
 *   2. applies the registry's retention plans (retention-plan.ts) to every order whose
 *      `retain_until` has passed by `asOf` and to what hangs on it, its after-sales cases
 *      included, and marks it `retention_applied_at`; an order under a legal hold (on it or on
 *      its customer) is skipped and counted as held;
 *   3. the same for after-sales cases that belong to no order (`after_sales_case.retain_until`);
 *   4. deletes page views of the days before the last `behaviorEventMonths` months, whole days only;
 *   5. the audit log's monthly partitions (audit-partitions.ts): prepares the coming months and
 *      drops those past their 3 years, unless a legal hold covers an event in them;
 *   6. the subject and coordinate sets the dropped months named (audit-sets.ts): removes those
 *      no kept event names and, a subject set, no legal hold covers.
 *
 * One at a time: the job holds a PostgreSQL advisory lock for its whole run; a second one
 * finds it taken and returns `{ ran: false }` at once (the CLI says so and exits 0).
 *
 * Holds placed during a run: each batch takes the holds' fence (legal-hold.service.ts) before it
 * reads a hold, so a hold is either committed before the batch reads it or waits for its COMMIT.
 *
 * Idempotent and resumable: what a batch did is committed with the run's report and its
 * cursor (`retention_run`), so a run killed mid-batch loses only that batch's uncommitted work,
 * and the next run resumes it with the same cut-off `asOf`: the end state and the report are
 * those of an uninterrupted run. An order once applied is never looked at again.
 *
 * Dry run: the same statements in one transaction that is rolled back, so its report is the
 * real run's by construction (rows locked meanwhile wait for it; nothing stays). It writes one
 * audit event, after the rollback, saying a dry run was made and what it found.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { AuditOperationType, AuditOutcome } from '../audit/audit-event.entity';
import { AuditLog, type SealLink } from '../audit/audit-log';
import { maintainAuditPartitions } from '../audit/audit-partitions';
import { countSetCandidates, expireAuditSets, type AuditSetCursor } from '../audit/audit-sets';
import { pageViewsKeptFrom, utcDayOf } from '../domains/behavior/behavior.service';
import { customerIsHeld, fenceNewHolds, orderIsHeld } from '../domains/legal-holds/legal-hold.service';
import { completeDueOrders } from '../domains/orders/order-lifecycle';
import type { RetentionSettings } from '../platform/config';
import type { Logger } from '../platform/logger';
import { emptyReport, type RetentionReport, type TableCounts } from './retention-report';
import { assignments, retentionSteps, type RetentionAnchor, type RetentionStep } from './retention-plan';

/** The advisory lock held for a whole run, by whichever process runs it ('NTK-RETN'). */
export const RETENTION_LOCK = '5643803393588020302';

/** Who the audit log names for what the job does. */
const JOB_PRINCIPAL = { kind: 'system', id: 'retention-job' } as const;

export type RetentionPhase = 'completing orders' | 'expired orders' | 'expired cases' | 'page views' | 'audit partitions' | 'audit sets';

export interface RetentionOptions extends Partial<RetentionSettings> {
  /** The clock: records expired at this moment are due. Default: now (a resumed run keeps its own). */
  asOf?: Date;
  dryRun?: boolean;
  /**
   * At most this many expired orders and cases are anonymized or deleted by this run. Held ones
   * are counted as held and do not use it up: a run would otherwise stop at the same held ones
   * every time and never reach the due ones behind them.
   */
  limit?: number;
  /** Appends the job's events; default: a log of its own, closed at the end. */
  auditLog?: AuditLog;
  logger?: Logger;
  /** After each batch: the phase, how many of its records are done, and how many there are. */
  onProgress?(phase: RetentionPhase, done: number, total: number): void;
  /**
   * Tests: called inside each batch's transaction just before its COMMIT (with the batch's
   * number); throwing there rolls the batch back and stops the run, as a crash would.
   */
  beforeCommit?(batch: number): void;
}

export type RetentionResult =
  | { ran: false; reason: string }
  | { ran: true; runId: string | null; resumed: boolean; dryRun: boolean; report: RetentionReport; ms: number };

interface Cursor {
  at: string;
  id: string;
}

/** What a run carries from batch to batch (and, for a real run, in `retention_run`). */
interface RunState {
  report: RetentionReport;
  cursors: { orders?: Cursor; cases?: Cursor; sets?: AuditSetCursor };
  batches: number;
  /** Expired orders and cases anonymized or deleted so far, against `limit`. */
  handled: number;
}

/** The settings of a run when neither the caller nor the configuration says otherwise (config.ts has the same defaults). */
export const RETENTION_DEFAULTS: RetentionSettings = { afterSalesWindowDays: 30, behaviorEventMonths: 13, batchSize: 500, intervalMinutes: 0 };

export async function runRetention(dataSource: DataSource, options: RetentionOptions = {}): Promise<RetentionResult> {
  const started = performance.now();
  const settings = { ...RETENTION_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([k, v]) => k in RETENTION_DEFAULTS && v !== undefined)) } as RetentionSettings;
  const steps = retentionSteps();
  const driver = dataSource.driver as unknown as { master: { connect(): Promise<PoolClient> } };
  const lockClient = await driver.master.connect();
  let failure: unknown;
  try {
    const { rows } = await lockClient.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${RETENTION_LOCK}) AS locked`);
    if (!rows[0]!.locked) return { ran: false, reason: 'another retention run holds the lock (one instance at a time); nothing done' };
    const auditLog = options.auditLog ?? new AuditLog(dataSource, { logger: options.logger });
    try {
      const job = new RetentionJob(lockClient, auditLog, steps, settings, options);
      const result = await job.run();
      return { ...result, ms: Math.round(performance.now() - started) };
    } finally {
      if (!options.auditLog) await auditLog.close();
      await lockClient.query(`SELECT pg_advisory_unlock(${RETENTION_LOCK})`).catch(() => undefined);
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    lockClient.release(failure instanceof Error ? failure : undefined);
  }
}

class RetentionJob {
  private readonly dryRun: boolean;
  private runId: string | null = null;
  private asOf!: Date;
  private state!: RunState;

  constructor(
    /** The connection holding the lock; every statement of the run goes through it. */
    private readonly client: PoolClient,
    private readonly auditLog: AuditLog,
    private readonly steps: RetentionStep[],
    private readonly settings: RetentionSettings,
    private readonly options: RetentionOptions,
  ) {
    this.dryRun = options.dryRun === true;
  }

  async run(): Promise<Omit<Extract<RetentionResult, { ran: true }>, 'ms'>> {
    const resumed = this.dryRun ? false : await this.resumeOrStart();
    if (this.dryRun) {
      this.asOf = this.options.asOf ?? new Date();
      this.state = { report: emptyReport(this.asOf), cursors: {}, batches: 0, handled: 0 };
      await this.client.query('BEGIN');
    }
    try {
      await this.completeOrders();
      await this.expire('order');
      await this.expire('after_sales_case');
      await this.deleteOldPageViews();
      await this.batch('audit partitions', async () => {
        const partitions = await maintainAuditPartitions(this.client, this.asOf, { dryRun: this.dryRun });
        const report = this.state.report;
        report.auditPartitions = {
          created: [...report.auditPartitions.created, ...partitions.created],
          dropped: [...report.auditPartitions.dropped, ...partitions.dropped],
          held: partitions.held,
        };
        const counts = report.tables.audit_event!;
        counts.found += partitions.droppedEvents + partitions.heldEvents;
        counts.deleted += partitions.droppedEvents;
        counts.held += partitions.heldEvents;
        return { operationName: 'retention.audit-partitions', subjects: [], detail: { ...partitions } };
      });
      await this.expireAuditSets();
    } finally {
      if (this.dryRun) await this.client.query('ROLLBACK');
    }
    if (this.dryRun) {
      await this.auditLog.append(this.event('retention.dry-run', [], { asOf: this.asOf.toISOString(), report: this.state.report }));
    } else {
      await this.client.query(`UPDATE retention_run SET finished_at = now() WHERE id = $1`, [this.runId]);
      await this.auditLog.append(this.event('retention.run', [], { runId: this.runId, asOf: this.asOf.toISOString(), resumed, report: this.state.report }));
    }
    return { ran: true, runId: this.runId, resumed, dryRun: this.dryRun, report: this.state.report };
  }

  /** Resumes the unfinished run, if any (with its cut-off and report), or records a new one. */
  private async resumeOrStart(): Promise<boolean> {
    const { rows } = await this.client.query<{ id: string; as_of: Date; batches: number; report: { report: RetentionReport; cursors: RunState['cursors']; handled: number } }>(
      `SELECT id, as_of, batches, report FROM retention_run WHERE finished_at IS NULL ORDER BY started_at LIMIT 1`,
    );
    const unfinished = rows[0];
    if (unfinished && unfinished.report.report) {
      this.runId = unfinished.id;
      this.asOf = unfinished.as_of;
      this.state = { report: unfinished.report.report, cursors: unfinished.report.cursors ?? {}, batches: unfinished.batches, handled: unfinished.report.handled ?? 0 };
      this.options.logger?.info({ runId: this.runId, asOf: this.asOf, batches: this.state.batches }, 'resuming the unfinished retention run');
      return true;
    }
    this.asOf = this.options.asOf ?? new Date();
    this.state = { report: emptyReport(this.asOf), cursors: {}, batches: 0, handled: 0 };
    const inserted = await this.client.query<{ id: string }>(`INSERT INTO retention_run (as_of, started_at, report) VALUES ($1, now(), $2) RETURNING id`, [
      this.asOf,
      JSON.stringify(this.savedState()),
    ]);
    this.runId = inserted.rows[0]!.id;
    return false;
  }

  private savedState() {
    return { report: this.state.report, cursors: this.state.cursors, handled: this.state.handled };
  }

  private event(operationName: string, subjects: readonly string[], detail: Record<string, unknown>) {
    return {
      requestId: randomUUID(),
      principal: JOB_PRINCIPAL,
      purpose: null,
      operationType: AuditOperationType.JOB,
      operationName,
      subjectIds: subjects,
      outcome: AuditOutcome.OK,
      detail,
    };
  }

  /**
   * One batch: `work` in a transaction, then (real runs) the run's state and the batch's audit
   * event in the same transaction, then COMMIT. A dry run's batches share its one transaction.
   * Returns what `work` returned.
   */
  private async batch<T extends { operationName: string; subjects: readonly string[]; detail: Record<string, unknown>; setsRemoved?: boolean }>(phase: RetentionPhase, work: () => Promise<T>): Promise<T> {
    if (this.dryRun) return work();
    await this.client.query('BEGIN');
    let seal: SealLink;
    let result: T;
    try {
      // Before it reads a hold: a hold being placed commits first, one placed from now on after it.
      await fenceNewHolds(this.client);
      result = await work();
      this.state.batches += 1;
      await this.client.query(`UPDATE retention_run SET batches = $2, report = $3 WHERE id = $1`, [this.runId, this.state.batches, JSON.stringify(this.savedState())]);
      seal = await this.auditLog.appendWithin(this.client, this.event(result.operationName, result.subjects, { runId: this.runId, phase, ...result.detail }));
      this.options.beforeCommit?.(this.state.batches);
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    this.auditLog.learnCommitted(seal, { setsRemoved: result.setsRemoved === true });
    return result;
  }

  private remaining(): number {
    return this.options.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.options.limit - this.state.handled);
  }

  private async completeOrders(): Promise<void> {
    let done = 0;
    for (;;) {
      const completed = await this.batch('completing orders', async () => {
        const orders = await completeDueOrders(this.client, this.asOf, this.settings.afterSalesWindowDays, this.settings.batchSize);
        this.state.report.ordersCompleted += orders.length;
        return { operationName: 'retention.complete-orders', subjects: [...new Set(orders.map((o) => o.customerId))], detail: { completed: orders.length }, orders };
      });
      done += completed.orders.length;
      this.options.onProgress?.('completing orders', done, done);
      if (completed.orders.length < this.settings.batchSize) return;
    }
  }

  /** Applies the plans to expired orders (or cases of no order), batch by batch, skipping held ones. */
  private async expire(anchor: RetentionAnchor): Promise<void> {
    const phase: RetentionPhase = anchor === 'order' ? 'expired orders' : 'expired cases';
    const from = anchor === 'order' ? `"order" o WHERE o.retention_applied_at IS NULL` : `after_sales_case o WHERE o.order_id IS NULL`;
    const held = anchor === 'order' ? orderIsHeld('o') : customerIsHeld('o.customer_id');
    const key = anchor === 'order' ? 'orders' : 'cases';
    const [{ total }] = (
      await this.client.query<{ total: number }>(
        `SELECT count(*)::int AS total FROM ${from} AND o.retain_until <= $1 AND (o.retain_until, o.id) > ($2::timestamptz, $3::uuid)`,
        [this.asOf, this.state.cursors[key]?.at ?? '-infinity', this.state.cursors[key]?.id ?? '00000000-0000-0000-0000-000000000000'],
      )
    ).rows;
    let done = 0;
    for (;;) {
      const take = Math.min(this.settings.batchSize, this.remaining());
      if (take === 0) return;
      const cursor = this.state.cursors[key];
      const batch = await this.batch(phase, async () => {
        const { rows } = await this.client.query<{ id: string; customer_id: string; retain_until: Date; held: boolean }>(
          `SELECT o.id, o.customer_id, o.retain_until, ${held} AS held FROM ${from}
              AND o.retain_until <= $1 AND (o.retain_until, o.id) > ($2::timestamptz, $3::uuid)
            ORDER BY o.retain_until, o.id LIMIT $4 FOR UPDATE OF o`,
          [this.asOf, cursor?.at ?? '-infinity', cursor?.id ?? '00000000-0000-0000-0000-000000000000', take],
        );
        const due = rows.filter((r) => !r.held).map((r) => r.id);
        const kept = rows.filter((r) => r.held).map((r) => r.id);
        const counts = await this.applyPlans(anchor, due, kept);
        if (anchor === 'order' && due.length > 0) {
          await this.client.query(`UPDATE "order" SET retention_applied_at = $2 WHERE id = ANY($1::uuid[])`, [due, this.asOf]);
        }
        const last = rows.at(-1);
        if (last) this.state.cursors[key] = { at: last.retain_until.toISOString(), id: last.id };
        this.state.handled += due.length;
        return {
          operationName: anchor === 'order' ? 'retention.expire-orders' : 'retention.expire-cases',
          subjects: [...new Set(rows.filter((r) => !r.held).map((r) => r.customer_id))],
          detail: { expired: due.length, held: kept.length, tables: counts },
          found: rows.length,
        };
      });
      done += batch.found;
      this.options.onProgress?.(phase, done, total);
      if (batch.found < take) return;
    }
  }

  /** Runs every step on the rows hanging on `due` anchors, counts those hanging on `held` ones. Returns this batch's counts. */
  private async applyPlans(anchor: RetentionAnchor, due: string[], held: string[]): Promise<Record<string, TableCounts>> {
    const casesOf = async (ids: string[]) =>
      anchor === 'after_sales_case'
        ? ids
        : ids.length === 0
          ? []
          : (await this.client.query<{ id: string }>(`SELECT id FROM after_sales_case WHERE order_id = ANY($1::uuid[])`, [ids])).rows.map((r) => r.id);
    const ids: Record<RetentionAnchor, { due: string[]; held: string[] }> = {
      order: anchor === 'order' ? { due, held } : { due: [], held: [] },
      after_sales_case: { due: await casesOf(due), held: await casesOf(held) },
    };
    const counts: Record<string, TableCounts> = {};
    for (const step of this.steps) {
      const c: TableCounts = { found: 0, anonymized: 0, deleted: 0, held: 0 };
      const { due: dueIds, held: heldIds } = ids[step.anchor];
      if (heldIds.length > 0) {
        const { rows } = await this.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${step.table}" t WHERE ${step.rowsOf('$1::uuid[]')}`, [heldIds]);
        c.held = rows[0]!.n;
      }
      if (dueIds.length > 0) {
        if (step.plan.action === 'delete') {
          c.deleted = (await this.client.query(`DELETE FROM "${step.table}" t WHERE ${step.rowsOf('$1::uuid[]')}`, [dueIds])).rowCount ?? 0;
        } else {
          const set = assignments(step.plan.columns, 2);
          c.anonymized = (await this.client.query(`UPDATE "${step.table}" t SET ${set.sql} WHERE ${step.rowsOf('$1::uuid[]')}`, [dueIds, ...set.values])).rowCount ?? 0;
        }
      }
      c.found = c.held + c.anonymized + c.deleted;
      counts[step.table] = c;
      const total = this.state.report.tables[step.table]!;
      for (const k of ['found', 'anonymized', 'deleted', 'held'] as const) total[k] += c[k];
    }
    return counts;
  }

  /**
   * Removes the sets of dropped months that nothing needs any more, batch by batch in key order
   * (audit-sets.ts). A dry run, which dropped nothing, counts the months it would drop as gone.
   */
  private async expireAuditSets(): Promise<void> {
    const excluding = this.dryRun ? this.state.report.auditPartitions.dropped : [];
    const total = await countSetCandidates(this.client, this.state.cursors.sets);
    let done = 0;
    for (;;) {
      const batch = await this.batch('audit sets', async () => {
        const sets = await expireAuditSets(this.client, { after: this.state.cursors.sets, limit: this.settings.batchSize, excluding, dryRun: this.dryRun });
        if (sets.last) this.state.cursors.sets = sets.last;
        for (const kind of ['subject', 'coordinate'] as const) {
          const counts = (this.state.report.tables[`audit_${kind}_set`] ??= { found: 0, anonymized: 0, deleted: 0, held: 0 });
          counts.found += sets.removed[kind] + sets.held[kind];
          counts.deleted += sets.removed[kind];
          counts.held += sets.held[kind];
        }
        const detail = { examined: sets.examined, removed: sets.removed, held: sets.held };
        return { operationName: 'retention.audit-sets', subjects: [], detail, examined: sets.examined, setsRemoved: sets.removed.subject + sets.removed.coordinate > 0 };
      });
      done += batch.examined;
      this.options.onProgress?.('audit sets', done, total);
      if (batch.examined < this.settings.batchSize) return;
    }
  }

  /**
   * Deletes the page views of the days before the last `behaviorEventMonths` months, one whole UTC
   * day per batch (a batch's size is that day's page views, not batchSize): a day is read by
   * analytics with all its views or none, never half deleted, so no answer before, during or
   * after a run differs from another by the views of a few hours.
   */
  private async deleteOldPageViews(): Promise<void> {
    const cutoff = pageViewsKeptFrom(this.asOf, this.settings.behaviorEventMonths);
    let done = 0;
    for (;;) {
      const { rows } = await this.client.query<{ day: string | null }>(
        `SELECT to_char(min(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM behavior_event WHERE occurred_at < $1`,
        [cutoff],
      );
      const day = rows[0].day;
      if (day === null) {
        // Every phase reports its progress, one with nothing due too (0 of 0).
        if (done === 0) this.options.onProgress?.('page views', 0, 0);
        return;
      }
      const { start, end } = utcDayOf(new Date(`${day}T00:00:00Z`));
      const batch = await this.batch('page views', async () => {
        const deleted =
          (await this.client.query(`DELETE FROM behavior_event WHERE occurred_at >= $1 AND occurred_at < $2`, [start, end])).rowCount ?? 0;
        const counts = this.state.report.tables.behavior_event!;
        counts.found += deleted;
        counts.deleted += deleted;
        return { operationName: 'retention.page-views', subjects: [], detail: { olderThan: cutoff.toISOString(), day, deleted }, deleted };
      });
      done += batch.deleted;
      this.options.onProgress?.('page views', done, done);
    }
  }
}
