/**
 * The transaction of one request that writes: the request's writes, the reads it makes once it
 * has written, its idempotency record and its audit event commit together, or none of them does
 * (design §4 step 8: the audit log is written together with a write).
 *
 * It is opened lazily, on a pooled connection of its own, by the first statement that needs it —
 * a resolver's write (`write`) or an idempotency claim — so a query never opens one. Once it is
 * open every statement of the request runs on that connection: loaders read through it (a
 * mutation reads what it wrote, and a request never holds one pooled connection while waiting
 * for a second), the audit plugin appends the event through it last, and the server ends it
 * after the response is built and before a byte of it is sent: COMMIT when the event was
 * written (`recorded`), ROLLBACK otherwise. If the COMMIT fails the caller gets the masked 500.
 *
 * Each `write` runs in a savepoint: a write that fails undoes its own statements only, so a
 * mutation field that answers with an error leaves the transaction usable for the next field
 * and for the audit event. A statement that fails outside a savepoint aborts the transaction;
 * the audit event then cannot be written and the whole request rolls back (fail closed).
 */
import type { PoolClient, QueryConfig, QueryResult } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { customerGoneError } from './db-errors';

export class RequestTransaction {
  private runner: QueryRunner | undefined;
  private opening: Promise<QueryRunner> | undefined;
  private ended = false;
  private recordedWith: (() => void) | undefined;
  private committedHooks: Array<() => void> = [];
  /** Statements sent with `query`, one after the other: a connection runs one statement at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** Whether the transaction has begun (and not ended): statements of the request must run on `client`. */
  get isOpen(): boolean {
    return this.runner !== undefined && !this.ended;
  }

  /** The open transaction's connection, for statements sent without TypeORM (loaders, the audit writer). */
  get client(): PoolClient {
    if (!this.isOpen) throw new Error('RequestTransaction: not open');
    return (this.runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
  }

  /** The open transaction's entity manager. */
  get manager(): EntityManager {
    if (!this.isOpen) throw new Error('RequestTransaction: not open');
    return this.runner!.manager;
  }

  /** Whether the request's audit event is written in this transaction (set by the audit plugin). */
  get recorded(): boolean {
    return this.recordedWith !== undefined;
  }

  /**
   * Runs one statement in the open transaction, after the ones sent before it (loaders of one
   * request may ask at the same moment). For statements sent without TypeORM.
   */
  query(config: QueryConfig): Promise<QueryResult> {
    const client = this.client;
    const result = this.queue.then(() => client.query(config));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Begins the transaction if it has not begun; idempotent. */
  async open(): Promise<void> {
    if (this.ended) throw new Error('RequestTransaction: already ended; a request writes in one transaction');
    if (this.runner) return;
    this.opening ??= (async () => {
      const runner = this.dataSource.createQueryRunner('master');
      try {
        await runner.startTransaction();
        if (this.ended) throw new Error('RequestTransaction: the request ended while its transaction began');
      } catch (error) {
        await runner.release().catch(() => undefined);
        throw error;
      }
      this.runner = runner;
      return runner;
    })();
    try {
      await this.opening;
    } finally {
      this.opening = undefined;
    }
  }

  /** Runs `work` in a savepoint of the transaction (begun if need be): all of its statements stand, or none. */
  async write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    await this.open();
    try {
      return await this.manager.transaction(work);
    } catch (error) {
      throw customerGoneError(error) ?? error;
    }
  }

  /**
   * The audit event is in the transaction: it may commit. `afterCommit` runs once it has
   * (the audit writer learns the seal the transaction wrote).
   */
  markRecorded(afterCommit: () => void = () => undefined): void {
    this.recordedWith = afterCommit;
  }

  /**
   * Runs `hook` once the transaction has committed, never when it rolls back: work outside the
   * database that must follow what committed (deleting the blobs of rows an erasure deleted).
   * Register it after the `write` it follows has succeeded. A hook must not throw.
   */
  afterCommit(hook: () => void): void {
    this.committedHooks.push(hook);
  }

  /**
   * Ends the transaction: COMMIT when `commit` is true (and throws if it fails), ROLLBACK
   * otherwise; the connection goes back to the pool either way. Nothing happens when it never began.
   */
  async end(commit: boolean): Promise<void> {
    const runner = this.runner;
    const endedBefore = this.ended;
    // Ended from here on, also for a transaction still beginning (open() then gives its connection back).
    this.ended = true;
    if (!runner || endedBefore) return;
    let failure: unknown;
    try {
      if (commit) {
        await runner.commitTransaction();
        this.recordedWith?.();
      } else {
        await runner.rollbackTransaction();
      }
    } catch (error) {
      failure = error;
      if (commit) await runner.rollbackTransaction().catch(() => undefined);
    }
    // A connection whose COMMIT or ROLLBACK failed is discarded rather than pooled again.
    const discard = (runner as unknown as { releasePostgresConnection?: (error?: unknown) => Promise<void> }).releasePostgresConnection;
    if (failure !== undefined && discard) await discard.call(runner, failure).catch(() => undefined);
    else await runner.release().catch(() => undefined);
    if (failure !== undefined) throw failure;
    if (commit) for (const hook of this.committedHooks) hook();
  }
}
