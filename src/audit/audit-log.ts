/**
 * The audit log writer: `append(event)` resolves once the event is durable, sealed and chained.
 *
 * Group commit. Events of concurrent requests wait together for a short window (`windowMs`,
 * default 2 ms) or until `maxBatchSize` (default 100) are waiting, whichever comes first, and
 * are then written by ONE multi-row INSERT. At most one batch per process is being written at
 * a time; events that arrive meanwhile form the next batch, which starts as soon as the current
 * one commits. Batches therefore grow with load instead of queueing on the database.
 *
 * Events on their way. The window is for company, and the writer knows when none is coming: a
 * caller that will append an event says so first (`expect`; the HTTP transport, when a GraphQL
 * request arrives, before it is admitted and its body read; the audit plugin, when a request runs
 * in process) and settles that once it has appended the event or ended without one (`append(event,
 * expected)`, `ExpectedEvent.settle`, on every path). A window holding an announced event ends as
 * soon as no event is expected any more: a lone request's event is written at once instead of
 * after `windowMs`, and events of concurrent requests still share a batch (the window ends when
 * the last of them arrives, or after `windowMs`). Events appended unannounced (jobs, refusals
 * outside GraphQL) wait the whole window unless an announced one waits with them. An expectation
 * never settled (a bug) only makes windows last `windowMs` again, never holds an event longer.
 * (A wait after each commit for the events still expected made batches ~15 % larger at 20
 * connections but CPU per request did not move outside the noise: docs/performance.md, "Issue 23:
 * audit batches and the events on their way".)
 *
 * Sealing. Each batch is sealed by seal n + 1: the ids of its events in order, the Merkle root
 * over their hashes, and the hash of seal n, so the seals form one chain however many gateway
 * replicas write. Every seal is written by a transaction that holds the seal lock (a
 * transaction-scoped advisory lock), so no writer can take the seal id another one read under
 * the lock: a slow writer is never starved by faster ones.
 *
 * The fast path: the writer remembers the last seal it wrote or read and writes the events,
 * their new subject and coordinate sets and seal n + 1 in ONE statement, without a transaction block, which
 * TRIES the seal lock first and writes nothing without it. It does not wait for the lock: a
 * statement holds its locks on the audit tables from its start, and one that then waited for
 * the seal lock would deadlock with whoever holds the seal lock and wants those tables
 * (partition maintenance, audit-partitions.ts, takes the seal lock before its DDL). The
 * statement also writes nothing unless seal n, with the hash remembered, is in the database:
 * after a restore from a backup or a failover to a replica that was behind, the seal remembered
 * may be gone, and chaining to it would fork the chain (`audit verify` would report the seals
 * missing and a later batch would name subject sets that are gone too). The writer then forgets
 * what it remembered and seals on the locked path. It seals there too when the lock was busy,
 * and when another writer took n + 1 first (the seal id is the primary key, so the statement
 * fails as a whole). The fast path costs one statement and one round trip. While other writers
 * seal between this writer's batches (several replicas under load), that try would only fail:
 * a batch that finds, under the lock, that another writer sealed since this one's previous
 * batch sends the next batch to the locked path at once, and one that finds none sends it to
 * the fast path again.
 *
 * The locked path: BEGIN, wait for the seal lock, read the latest seal, write the same statement
 * with every set of the batch, COMMIT. Nothing touches the audit tables before the lock
 * is granted, and PostgreSQL grants a waited-for lock in the order it was asked for. Since every
 * writer seals under the lock, the id read is still free when the statement runs; should a
 * writer of an older version (one that sealed without the lock) take it meanwhile, the try is
 * undone to a savepoint and made again (up to 10 times). The locked path also serves the first
 * batch, the batch after any failure, and connections whose `synchronous_commit` is not `on`
 * (read once per connection): it forces `synchronous_commit = on` for its commit. Either way
 * "durable" means flushed to the primary's WAL whatever the session default, and the lock is
 * never held while requests execute.
 *
 * Writes. A request that writes appends its event with `appendWithin`, in its own transaction,
 * as the last statement before its COMMIT: sealed alone under the lock, so the event and the
 * write commit together or not at all. The lock is held from that statement to the COMMIT.
 *
 * Subject and coordinate sets. An event's subject ids are stored once per distinct set in
 * audit_subject_set (audit-subject-set.entity.ts), its coordinate lists once per distinct triple
 * in audit_coordinate_set (audit-coordinate-set.entity.ts); the writer sends a set only when it
 * has not stored it before (it remembers up to 10,000), and ON CONFLICT DO NOTHING covers the
 * sets other replicas wrote. A set goes in the statement that writes the first event naming it.
 * Sets are removed only by the retention job, once no kept event names them (audit-sets.ts),
 * under the seal lock and with a seal of its own: a writer's next try without the lock then
 * fails, and under the lock it reads the sequence `audit_set_removal` and forgets every set it
 * remembers when the sequence moved, so every set an event names is there when the event is.
 *
 * A batch that fails rejects every event in it; the callers fail closed (audit-plugin.ts).
 */
import { AsyncResource } from 'node:async_hooks';
import type { SpanContext } from '@opentelemetry/api';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { BoundedCache } from '../platform/bounded-cache';
import { isoTime } from '../platform/iso-time';
import type { Logger } from '../platform/logger';
import { integerOption } from '../platform/options';
import { recordSqlStatement } from '../platform/sql-counter';
import { activeSpanContext, inSpanFor } from '../platform/tracing';
import { CheckedLists, rowJsonOf, sealHash, toAuditRecord, type AuditEventInput, type AuditRecord } from './audit-record';
import { merkleRoot, ZERO_HASH } from './merkle';

export interface AuditLogOptions {
  /** How long the first event of a batch waits for company, in ms (0 to 50). Default 2. */
  windowMs?: number;
  /** Events per INSERT (1 to 1000). Default 100. */
  maxBatchSize?: number;
  logger?: Logger;
  /** Told of every batch written, a mutation's own event included: for metrics. */
  onBatch?: (batch: WrittenBatch) => void;
}

/** What one written batch was; for tests and metrics. */
export interface WrittenBatch {
  sealId: string;
  events: number;
  /** Subject sets the batch stored (or found stored by another writer). */
  subjectSets: number;
  /** Coordinate sets the batch stored (or found stored by another writer). */
  coordinateSets: number;
  /** Sealed on the locked path (first batch, after a failure, a lost race or a busy lock, or sync commit off). */
  locked: boolean;
  ms: number;
}

/** The advisory lock that serializes sealing across every process writing to this database ('NTK-AUDT'). */
export const AUDIT_SEAL_LOCK = '5643803393587742036';

/**
 * The events, their new subject and coordinate sets (when `withSets`) and their seal, in one
 * statement that writes anything only when it got the seal lock (`sealing`, tried before anything
 * is written: every write waits for `previous`, which joins it) and the previous seal it names
 * ($9, $7) is in the database (`chain_end`): a writer whose remembered seal is gone (the database
 * was restored from a backup, or failed over to a replica that was behind) writes nothing instead
 * of forking the chain, and reads the chain again. Seal 1 names seal 0, which is there when no
 * seal is. Any write added here must wait for `previous` too. Reports which of the three happened.
 *
 * A batch that stores no set (the point reads' batches mostly: one subject held in the row, a
 * coordinate set stored before) runs the statement without the two set inserts, whose start-up
 * alone cost PostgreSQL a few percent of such a batch (docs/performance.md, "Issue 23: the audit
 * event's checks").
 */
function insertBatch(withSets: boolean): string {
  const sets = `, subject_sets AS (
    INSERT INTO audit_subject_set (hash, subject_ids)
    SELECT hash, subject_ids FROM json_populate_recordset(NULL::audit_subject_set, $10::json) WHERE EXISTS (SELECT 1 FROM previous)
    ON CONFLICT (hash) DO NOTHING
  ), coordinate_sets AS (
    INSERT INTO audit_coordinate_set (hash, disclosed, masked, denied)
    SELECT hash, disclosed, masked, denied FROM json_populate_recordset(NULL::audit_coordinate_set, $11::json) WHERE EXISTS (SELECT 1 FROM previous)
    ON CONFLICT (hash) DO NOTHING
  )`;
  return `
  WITH sealing AS MATERIALIZED (
    SELECT pg_try_advisory_xact_lock(${AUDIT_SEAL_LOCK}) AS locked
  ), chain_end AS MATERIALIZED (
    SELECT 1 FROM audit_seal WHERE id = $9::bigint AND hash = $7
    UNION ALL
    SELECT 1 WHERE $9::bigint = 0 AND NOT EXISTS (SELECT 1 FROM audit_seal)
  ), previous AS (
    SELECT 1 FROM sealing, chain_end WHERE sealing.locked
  )${withSets ? sets : ''}, written AS (
    INSERT INTO audit_event (id, at, request_id, principal_kind, principal_id, roles, partner_id, customer_id, grant_id,
      purpose, operation_type, operation_name, operation_hash, subject_set, subject_id, coordinate_set, outcome,
      error_codes, legal_case_reference, privacy_request_reference, flagged, detail, trace_id, seal_id, hash)
    SELECT id, at, request_id, principal_kind, principal_id, roles, partner_id, customer_id, grant_id,
      purpose, operation_type, operation_name, operation_hash, subject_set, subject_id, coordinate_set, outcome,
      error_codes, legal_case_reference, privacy_request_reference, flagged, detail, trace_id, seal_id, hash
    FROM json_populate_recordset(NULL::audit_event, $1::json) WHERE EXISTS (SELECT 1 FROM previous)
    RETURNING 1
  ), sealed AS (
    INSERT INTO audit_seal (id, sealed_at, event_count, event_ids, merkle_root, previous_hash, hash)
    SELECT $2::bigint, $3::timestamptz, $4::int, $5::uuid[], $6, $7, $8 WHERE EXISTS (SELECT 1 FROM previous)
    RETURNING 1
  )
  SELECT (SELECT locked FROM sealing) AS locked, EXISTS (SELECT 1 FROM chain_end) AS chained, EXISTS (SELECT 1 FROM sealed) AS sealed`;
}

/** The batch statements, prepared once per connection under their names: with the sets' inserts, and without. */
const INSERT_BATCH = { name: 'need-to-know.audit-insert-batch', text: insertBatch(true) };
const INSERT_BATCH_NO_SETS = { name: 'need-to-know.audit-insert-batch-no-sets', text: insertBatch(false) };

/** Takes the seal lock for the rest of the transaction and makes its COMMIT durable whatever the session default. */
const LOCK_FOR_SEALING = `SET LOCAL synchronous_commit = on; SELECT pg_advisory_xact_lock(${AUDIT_SEAL_LOCK})`;

/**
 * The latest seal, and how far set removals have gone (audit-sets.ts): read under the lock.
 * (`to_regclass`: a schema reverted below migration 1795000014200 has no sequence, and no removals.)
 */
const LATEST_SEAL = `SELECT id, hash, pg_sequence_last_value(to_regclass('audit_set_removal'))::text AS removals FROM audit_seal ORDER BY id DESC LIMIT 1`;

/** Subject and coordinate sets the writer remembers having stored (forgotten when sets were removed). */
const STORED_SETS_REMEMBERED = 10_000;

/** Tries on the locked path before a batch fails: each lost try means a writer sealing without the lock (an older version) sealed a batch. */
const SEAL_ATTEMPTS = 10;

/** Why the sealing statement wrote nothing. */
type NotSealed = 'seal lock busy' | 'previous seal missing';

export interface SealLink {
  id: string;
  hash: string;
}

/** Another writer sealed the id this one tried: the statement failed whole and wrote nothing. */
function isSealTaken(error: unknown): boolean {
  const e = error as { code?: string; table?: string };
  return e.code === '23505' && e.table === 'audit_seal';
}

/** The subject and coordinate sets a batch sends, by hash (a coordinate set as an event holding its lists). */
interface BatchSets {
  subjects: Map<string, readonly string[]>;
  coordinates: Map<string, AuditRecord>;
}

/** The key under which a writer remembers having stored a set: the two tables' keys kept apart. */
const storedKey = (table: 'subject' | 'coordinate', hash: string) => `${table}:${hash}`;

/** The distinct subject and coordinate sets of `records` that `include` keeps, by hash. */
function setsOf(records: readonly AuditRecord[], include: (key: string) => boolean): BatchSets {
  const sets: BatchSets = { subjects: new Map(), coordinates: new Map() };
  for (const r of records) {
    if (r.subjectSet !== null && !sets.subjects.has(r.subjectSet) && include(storedKey('subject', r.subjectSet))) sets.subjects.set(r.subjectSet, r.subjectIds);
    if (!sets.coordinates.has(r.coordinateSet) && include(storedKey('coordinate', r.coordinateSet))) sets.coordinates.set(r.coordinateSet, r);
  }
  return sets;
}

function rememberStored(stored: BoundedCache<true>, sets: BatchSets): void {
  for (const hash of sets.subjects.keys()) stored.set(storedKey('subject', hash), true);
  for (const hash of sets.coordinates.keys()) stored.set(storedKey('coordinate', hash), true);
}

/** An event a caller will append, or end without: see `AuditLog.expect`. */
export interface ExpectedEvent {
  /** The event was appended, or will not be; idempotent. */
  settle(): void;
}

/**
 * A GraphQL request's audit event as the HTTP transport sees it (http-transport.ts): announced
 * when the request arrived, so that a window does not end while it is still on its way to
 * Apollo; and, once the audit plugin appended it to a batch, the wait for it to be durable, which
 * the transport awaits before any byte of the response leaves. The request's state (Apollo's
 * request, its context, the result) is then released while the batch is written; only the
 * serialized response waits. Without a handoff (in-process runs) the plugin announces the event
 * and waits for it itself.
 */
export interface AuditHandoff {
  readonly expected: ExpectedEvent;
  /**
   * Set by the audit plugin when it leaves the wait to the transport: resolves once the event is
   * durable, with undefined, or with what withholds the response (the event could not be written).
   * Unset when the plugin waited itself (an event written in the request's transaction) or appended none.
   */
  durable?: Promise<{ withheld: unknown } | undefined>;
}

interface Waiting {
  record: AuditRecord;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
  /** The span of whoever appended it (tracing on): the batch's span is tied to it. */
  span?: SpanContext;
}

/** How many written batches `AuditLog.batches` keeps at least. */
const BATCHES_KEPT = 1000;

export class AuditLog {
  readonly windowMs: number;
  readonly maxBatchSize: number;
  /** Batches written since this log was created (most recent last; the last 1000 at least, at most 1100 kept). */
  readonly batches: WrittenBatch[] = [];
  /** When this writer last committed a batch, and last failed to (for /readyz). */
  readonly health: { lastSuccessAt?: Date; lastFailureAt?: Date; lastFailure?: string } = {};
  private readonly pool: Pool;
  private readonly logger?: Logger;
  private readonly onBatch?: AuditLogOptions['onBatch'];
  /**
   * Audit work runs in the async context this log was created in, not in the request's: a batch
   * serves many requests, so its statements belong to none of them (per-operation SQL tallies
   * such as the N+1 guards count only what the operation itself runs).
   */
  private readonly scope = new AsyncResource('need-to-know.AuditLog');
  /** Lists this writer has checked already (audit-record.ts). */
  private readonly checkedLists = new CheckedLists();
  private pending: Waiting[] = [];
  /** The newest seal this writer wrote or read; forgotten after any failure. */
  private latest: SealLink | undefined;
  /**
   * Another writer sealed since this writer's previous batch, as its last batch found under the
   * lock: the fast path would only fail (the seal remembered is not the latest, or the lock is
   * busy), so the next batch goes to the locked path at once.
   */
  private contended = false;
  private readonly storedSets = new BoundedCache<true>(STORED_SETS_REMEMBERED);
  /** `audit_set_removal` as last read under the lock: when it moved, sets this writer remembers may be gone. */
  private setRemovals: string | null | undefined;
  /** Whether a pooled connection's own `synchronous_commit` makes a commit durable. */
  private readonly durableByDefault = new WeakMap<PoolClient, boolean>();
  private timer: NodeJS.Timeout | undefined;
  /** An event waiting for the next batch was announced (`expect`): its window ends once nothing more is expected. */
  private announcedWaiting = false;
  /** Events announced by `expect` and not yet settled. */
  private expected = 0;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(dataSource: DataSource, options: AuditLogOptions = {}) {
    this.windowMs = integerOption('AuditLog', 'windowMs', options.windowMs, 2, 0, 50);
    this.maxBatchSize = integerOption('AuditLog', 'maxBatchSize', options.maxBatchSize, 100, 1, 1000);
    this.logger = options.logger;
    this.onBatch = options.onBatch;
    const driver = dataSource.driver as unknown as { master?: Pool };
    if (!dataSource.isInitialized || !driver.master) throw new Error('AuditLog: expected an initialized PostgreSQL data source');
    this.pool = driver.master;
  }

  /**
   * Appends one event; resolves with the stored record once its batch has committed, rejects
   * if the event is malformed (AuditEventError) or its batch could not be written.
   * For non-GraphQL writers (retention runs, data-subject actions) use operationType 'job'.
   * `expected`: the announcement of this event (`expect`), settled once the event is waiting.
   */
  append(event: AuditEventInput, expected?: ExpectedEvent): Promise<AuditRecord> {
    try {
      if (this.closed) return Promise.reject(new Error('AuditLog: closed; no more events are accepted'));
      let record: AuditRecord;
      try {
        record = toAuditRecord(event, this.checkedLists);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<AuditRecord>((resolve, reject) => {
        this.pending.push({ record, resolve, reject, span: activeSpanContext() });
        if (expected) this.announcedWaiting = true;
        this.schedule();
      });
    } finally {
      expected?.settle();
    }
  }

  /**
   * Announces an event the caller will append to a batch (`append(event, expected)`) or end
   * without (`settle`, on every other path: a write's own event, a failure): until then, a window
   * holding an announced event waits for it (up to `windowMs`); once nothing is expected, it ends.
   */
  expect(): ExpectedEvent {
    this.expected++;
    let settled = false;
    return {
      settle: () => {
        if (settled) return;
        settled = true;
        this.expected--;
        // Nothing more on its way: a batch waiting for company starts now (a lone request is not held).
        if (this.expected === 0 && this.timer && this.announcedWaiting) this.startBatch();
      },
    };
  }

  /** Events announced and not yet settled; for tests. */
  get eventsExpected(): number {
    return this.expected;
  }

  /** An event could not be written, here or on its way here (its subjects could not be read, say): for /readyz. */
  noteFailure(error: unknown): void {
    this.health.lastFailureAt = new Date();
    this.health.lastFailure = (error as { code?: unknown } | undefined)?.code?.toString() ?? (error instanceof Error ? error.name : 'Error');
  }

  /** Runs `work` outside the calling request's async context (see `scope`). */
  detached<T>(work: () => Promise<T>): Promise<T> {
    return this.scope.runInAsyncScope(work);
  }

  /** Resolves when every event appended so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      if (!this.writing) this.startBatch();
      await this.writing?.catch(() => undefined);
    }
  }

  /** Writes what is waiting and refuses further events. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(): void {
    if (this.writing) return; // the batch being written starts the next one when it commits
    if (this.pending.length >= this.maxBatchSize) {
      this.startBatch();
      return;
    }
    this.timer ??= this.scope.runInAsyncScope(() => setTimeout(() => this.startBatch(), this.windowMs));
  }

  private startBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxBatchSize);
    if (this.pending.length === 0) this.announcedWaiting = false;
    const on = batch.flatMap((w) => (w.span ? [w.span] : []));
    this.writing = this.scope
      .runInAsyncScope(() =>
        inSpanFor('audit.write_batch', on, (span) => {
          span.setAttribute('audit.events', batch.length);
          return this.write(batch.map((w) => w.record));
        }),
      )
      .then(
        () => batch.forEach((w) => w.resolve(w.record)),
        (error: unknown) => {
          this.logger?.error({ err: error, events: batch.length }, 'audit batch could not be written');
          batch.forEach((w) => w.reject(error));
        },
      )
      .finally(() => {
        this.writing = undefined;
        if (this.pending.length > 0) this.scope.runInAsyncScope(() => this.startBatch());
      });
  }

  private async write(records: AuditRecord[]): Promise<void> {
    const started = performance.now();
    const root = merkleRoot(records.map((r) => r.hash));
    const client: PoolClient = await this.pool.connect();
    let failure: Error | undefined;
    let inTransaction = false;
    try {
      let sealed: SealLink | undefined;
      let newSets = 0;
      let newCoordinateSets = 0;
      const remembered = this.latest;
      if (remembered && !this.contended && (await this.commitsDurably(client))) {
        const unstored = setsOf(records, (key) => this.storedSets.get(key) === undefined);
        try {
          const outcome = await this.insert(client, remembered, records, root, unstored);
          if (outcome === 'previous seal missing') this.forgetChain('the seal this writer chained to is not in the database (restored, or failed over): reading the chain again');
          else if (outcome === 'seal lock busy') this.logger?.debug({ sealId: remembered.id }, 'audit seal lock held by another writer; queueing for it');
          else {
            sealed = outcome;
            newSets = unstored.subjects.size;
            newCoordinateSets = unstored.coordinates.size;
            rememberStored(this.storedSets, unstored);
          }
        } catch (error) {
          if (!isSealTaken(error)) throw error;
          this.logger?.debug({ sealId: (BigInt(remembered.id) + 1n).toString() }, 'audit seal taken by another writer; sealing under the lock');
        }
      }
      const locked = sealed === undefined;
      if (!sealed) {
        // Under the lock every set of the batch is sent: what this writer remembers storing may
        // be gone with the seals it no longer finds.
        const every = setsOf(records, () => true);
        inTransaction = true;
        sealed = await this.sealUnderLock(client, records, root, every, 'BEGIN');
        recordSqlStatement('COMMIT', 'audit');
        await client.query('COMMIT');
        inTransaction = false;
        newSets = every.subjects.size;
        newCoordinateSets = every.coordinates.size;
        rememberStored(this.storedSets, every);
        // Sealed right after the seal remembered: no other writer sealed in between, try without waiting next time.
        this.contended = this.latest !== undefined && BigInt(sealed.id) !== BigInt(this.latest.id) + 1n;
      }
      this.latest = sealed;
      const written = { sealId: sealed.id, events: records.length, subjectSets: newSets, coordinateSets: newCoordinateSets, locked, ms: performance.now() - started };
      this.batches.push(written);
      this.health.lastSuccessAt = new Date();
      this.onBatch?.(written);
      // A hundred out at a time: dropping one a batch copied the other 999 (~15 k instructions a batch, `shift` as `splice`).
      if (this.batches.length > BATCHES_KEPT + 100) this.batches.splice(0, this.batches.length - BATCHES_KEPT);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      this.noteFailure(failure);
      // Whether the batch committed is unknown: read the chain again, and send every set again.
      this.forgetChain();
      if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      client.release(failure);
    }
  }

  /**
   * Appends one event inside the caller's open transaction on `client`, sealed by a seal of its
   * own, so that it commits or rolls back with the caller's writes (a mutation's: see
   * platform/request-transaction.ts). It takes the seal lock, held until that transaction ends
   * (so call it last, just before COMMIT), and makes the COMMIT durable. Resolves with the seal,
   * to hand to `learnCommitted` once the transaction committed.
   */
  async appendWithin(client: PoolClient, event: AuditEventInput): Promise<SealLink> {
    if (this.closed) throw new Error('AuditLog: closed; no more events are accepted');
    const record = toAuditRecord(event, this.checkedLists);
    const started = performance.now();
    const seal = await this.sealUnderLock(client, [record], merkleRoot([record.hash]), setsOf([record], () => true));
    this.onBatch?.({ sealId: seal.id, events: 1, subjectSets: 0, coordinateSets: 0, locked: true, ms: performance.now() - started });
    return seal;
  }

  /**
   * A seal written by `appendWithin` was committed: the next batch can chain to it without a lock.
   * `setsRemoved`: that transaction removed sets (audit-sets.ts), which this writer may remember.
   */
  learnCommitted(seal: SealLink, options: { setsRemoved?: boolean } = {}): void {
    if (options.setsRemoved) this.storedSets.clear();
    if (!this.latest || BigInt(seal.id) > BigInt(this.latest.id)) this.latest = seal;
  }

  /**
   * Seals `records` as the seal after the latest one, in the transaction on `client` (begun by
   * `begin`, when given), under the seal lock, which it waits for before it touches an audit
   * table. Only a writer sealing without the lock (an older version) can take the id read: each
   * try runs in a savepoint, undone when the id was taken, and the latest seal is read again. The
   * first try takes the lock and reads in one round trip; the savepoint is released by the COMMIT.
   */
  private async sealUnderLock(client: PoolClient, records: AuditRecord[], root: string, sets: BatchSets, begin?: 'BEGIN'): Promise<SealLink> {
    for (let attempt = 1; ; attempt++) {
      const read = `SAVEPOINT audit_seal_attempt; ${LATEST_SEAL}`;
      const text = attempt === 1 ? `${begin ? `${begin}; ` : ''}${LOCK_FOR_SEALING}; ${read}` : read;
      recordSqlStatement(text, 'audit');
      const results = (await client.query(text)) as unknown as Array<{ rows: Array<SealLink & { removals: string | null }> }>;
      const latest = results.at(-1)?.rows[0] ?? { id: '0', hash: ZERO_HASH, removals: null };
      // Sets were removed since this writer last looked (or it never did): what it remembers may be gone.
      if (latest.removals !== this.setRemovals) this.storedSets.clear();
      this.setRemovals = latest.removals;
      try {
        const sealed = await this.insert(client, { id: String(latest.id), hash: latest.hash }, records, root, sets);
        // Read under the lock, which this transaction holds: a seal that is not there now never was.
        if (typeof sealed === 'string') throw new Error(`AuditLog: sealing after seal ${latest.id}, read under the lock, found the ${sealed}`);
        return sealed;
      } catch (error) {
        if (!isSealTaken(error) || attempt === SEAL_ATTEMPTS) throw error;
        recordSqlStatement('ROLLBACK TO SAVEPOINT', 'audit');
        await client.query('ROLLBACK TO SAVEPOINT audit_seal_attempt');
      }
    }
  }

  /** Forgets the latest seal and the sets stored: the next batch reads the chain under the lock and sends every set. */
  private forgetChain(reason?: string): void {
    if (reason) this.logger?.warn({ sealId: this.latest?.id }, reason);
    this.latest = undefined;
    this.storedSets.clear();
  }

  /**
   * Writes the batch as seal `previous.id + 1`, linked to `previous`, with the subject and
   * coordinate sets `sets`; writes nothing, and says why, when `previous` is not in the database
   * or another transaction holds the seal lock.
   */
  private async insert(client: PoolClient, previous: SealLink, records: AuditRecord[], root: string, sets: BatchSets): Promise<SealLink | NotSealed> {
    const sealId = (BigInt(previous.id) + 1n).toString();
    const seal = {
      id: sealId,
      sealedAt: new Date(),
      eventCount: records.length,
      eventIds: records.map((r) => r.id),
      merkleRoot: root,
      previousHash: previous.hash,
    };
    const hash = sealHash(seal);
    const values: unknown[] = [
      `[${records.map((r) => rowJsonOf(r, sealId)).join(',')}]`,
      seal.id,
      // As text: node-postgres would write a Date in local time through its own formatter.
      isoTime(seal.sealedAt),
      seal.eventCount,
      // A uuid[] literal: the ids are checked UUIDs, nothing in them to quote.
      `{${seal.eventIds.join(',')}}`,
      seal.merkleRoot,
      seal.previousHash,
      hash,
      previous.id,
    ];
    const withSets = sets.subjects.size + sets.coordinates.size > 0;
    if (withSets) {
      values.push(
        JSON.stringify([...sets.subjects].map(([setHash, ids]) => ({ hash: setHash, subject_ids: ids }))),
        JSON.stringify([...sets.coordinates].map(([setHash, r]) => ({ hash: setHash, disclosed: r.disclosed, masked: r.masked, denied: r.denied }))),
      );
    }
    const statement = withSets ? INSERT_BATCH : INSERT_BATCH_NO_SETS;
    recordSqlStatement(statement.text, 'audit');
    // Its one row as an array (locked, chained, sealed): pg then builds no object row for it (platform/database.ts).
    const result = await client.query<[locked: boolean, chained: boolean, sealed: boolean]>({ ...statement, values, rowMode: 'array' });
    const [locked, chained, sealed] = result.rows[0] ?? [];
    if (sealed) return { id: sealId, hash };
    if (!chained) return 'previous seal missing';
    if (!locked) return 'seal lock busy';
    throw new Error(`AuditLog: seal ${sealId} was neither written nor refused`);
  }

  /** Whether a commit on this connection, outside a transaction block, is flushed to WAL before it returns. */
  private async commitsDurably(client: PoolClient): Promise<boolean> {
    let durable = this.durableByDefault.get(client);
    if (durable === undefined) {
      recordSqlStatement('SHOW synchronous_commit', 'audit');
      const { rows } = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      durable = rows[0]?.synchronous_commit === 'on' || rows[0]?.synchronous_commit === 'remote_apply';
      this.durableByDefault.set(client, durable);
    }
    return durable;
  }
}
