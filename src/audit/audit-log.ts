/**
 * The audit log writer: `append(event)` resolves once the event is durable, sealed and chained.
 *
 * Group commit. Events of concurrent requests wait together for a short window (`windowMs`,
 * default 2 ms) or until `maxBatchSize` (default 100) are waiting, whichever comes first, and
 * are then written by ONE multi-row INSERT. At most one batch per process is being written at
 * a time; events that arrive meanwhile form the next batch, which starts as soon as the current
 * one commits. Batches therefore grow with load instead of queueing on the database.
 *
 * Sealing. Each batch's transaction takes a transaction-scoped advisory lock, reads the latest
 * seal, and inserts the events together with seal n + 1: the ids of the events in order, the
 * Merkle root over their hashes, and the hash of seal n. So the seals form a single chain even
 * with many gateway replicas, and the lock is held for two statements and the commit, never
 * while requests execute. The commit forces `synchronous_commit = on`: "durable" means flushed
 * to the primary's WAL whatever the session default.
 *
 * A batch that fails rejects every event in it; the callers fail closed (audit-plugin.ts).
 */
import { AsyncResource } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../platform/logger';
import { recordSqlStatement } from '../platform/sql-counter';
import { rowJsonOf, sealHash, toAuditRecord, type AuditEventInput, type AuditRecord } from './audit-record';
import { merkleRoot, ZERO_HASH } from './merkle';

export interface AuditLogOptions {
  /** How long the first event of a batch waits for company, in ms (0 to 50). Default 2. */
  windowMs?: number;
  /** Events per INSERT (1 to 1000). Default 100. */
  maxBatchSize?: number;
  logger?: Logger;
}

/** What one written batch was; for tests and metrics. */
export interface WrittenBatch {
  sealId: string;
  events: number;
  ms: number;
}

/** The advisory lock that serializes sealing across every process writing to this database ('NTK-AUDT'). */
export const AUDIT_SEAL_LOCK = '5643803393587742036';

const INSERT_BATCH = `
  WITH written AS (
    INSERT INTO audit_event (id, at, request_id, principal_kind, principal_id, roles, partner_id, customer_id, grant_id,
      purpose, operation_type, operation_name, operation_hash, subject_ids, disclosed, masked, denied, outcome,
      error_codes, legal_case_reference, flagged, detail, seal_id, hash)
    SELECT id, at, request_id, principal_kind, principal_id, roles, partner_id, customer_id, grant_id,
      purpose, operation_type, operation_name, operation_hash, subject_ids, disclosed, masked, denied, outcome,
      error_codes, legal_case_reference, flagged, detail, seal_id, hash
    FROM json_populate_recordset(NULL::audit_event, $1::json)
    RETURNING 1
  )
  INSERT INTO audit_seal (id, sealed_at, event_count, event_ids, merkle_root, previous_hash, hash)
  VALUES ($2, $3, $4, $5::uuid[], $6, $7, $8)`;

function checkedInteger(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`AuditLog ${name}: expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

interface Waiting {
  record: AuditRecord;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

export class AuditLog {
  readonly windowMs: number;
  readonly maxBatchSize: number;
  /** Batches written since this log was created (most recent last, at most 1000 kept). */
  readonly batches: WrittenBatch[] = [];
  private readonly pool: Pool;
  private readonly logger?: Logger;
  /**
   * Audit work runs in the async context this log was created in, not in the request's: a batch
   * serves many requests, so its statements belong to none of them (per-operation SQL tallies
   * such as the N+1 guards count only what the operation itself runs).
   */
  private readonly scope = new AsyncResource('need-to-know.AuditLog');
  private pending: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(dataSource: DataSource, options: AuditLogOptions = {}) {
    this.windowMs = checkedInteger('windowMs', options.windowMs, 2, 0, 50);
    this.maxBatchSize = checkedInteger('maxBatchSize', options.maxBatchSize, 100, 1, 1000);
    this.logger = options.logger;
    const driver = dataSource.driver as unknown as { master?: Pool };
    if (!dataSource.isInitialized || !driver.master) throw new Error('AuditLog: expected an initialized PostgreSQL data source');
    this.pool = driver.master;
  }

  /**
   * Appends one event; resolves with the stored record once its batch has committed, rejects
   * if the event is malformed (AuditEventError) or its batch could not be written.
   * For non-GraphQL writers (retention runs, data-subject actions) use operationType 'job'.
   */
  append(event: AuditEventInput): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new Error('AuditLog: closed; no more events are accepted'));
    let record: AuditRecord;
    try {
      record = toAuditRecord(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      this.schedule();
    });
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
    this.writing = this.scope
      .runInAsyncScope(() => this.write(batch.map((w) => w.record)))
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
    try {
      recordSqlStatement('BEGIN; lock; latest seal', 'audit');
      const results = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit = on; SELECT pg_advisory_xact_lock(${AUDIT_SEAL_LOCK}); SELECT id, hash FROM audit_seal ORDER BY id DESC LIMIT 1`,
      )) as unknown as Array<{ rows: Array<{ id: string; hash: string }> }>;
      const latest = results[3]?.rows[0];
      const sealId = latest ? (BigInt(latest.id) + 1n).toString() : '1';
      const seal = {
        id: sealId,
        sealedAt: new Date(),
        eventCount: records.length,
        eventIds: records.map((r) => r.id),
        merkleRoot: root,
        previousHash: latest ? latest.hash : ZERO_HASH,
      };
      recordSqlStatement(INSERT_BATCH, 'audit');
      await client.query({
        name: 'need-to-know.audit-insert-batch',
        text: INSERT_BATCH,
        values: [
          JSON.stringify(records.map((r) => rowJsonOf(r, sealId))),
          seal.id,
          seal.sealedAt,
          seal.eventCount,
          seal.eventIds,
          seal.merkleRoot,
          seal.previousHash,
          sealHash(seal),
        ],
      });
      recordSqlStatement('COMMIT', 'audit');
      await client.query('COMMIT');
      this.batches.push({ sealId, events: records.length, ms: performance.now() - started });
      if (this.batches.length > 1000) this.batches.splice(0, this.batches.length - 1000);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      client.release(failure);
    }
  }
}
