/**
 * No writer starves. A writer sealing under the seal lock reads the latest seal and then writes
 * the next one; if another writer could seal between that read and that write, a slow writer
 * (a replica under valgrind, on a loaded host, far from the database) could lose every try to
 * faster ones and fail closed. Here the slow writer is made deterministic: each time it has read
 * the latest seal, a fast writer that knows the latest seal writes a batch before the slow writer
 * goes on — unless the fast writer waits for the seal lock, which is what must happen.
 */
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { AUDIT_SEAL_LOCK, AuditLog } from '../../src/audit/audit-log';
import type { Logger } from '../../src/platform/logger';
import { verifyAuditLog } from '../../src/audit/verify';
import { createDataSource } from '../../src/data-source';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { jobEvent as job } from './audit-harness';

/** How long the test waits for the competing batch to commit or to queue for the lock; generous for a loaded host. */
const COMPETITOR_WAIT_MS = 60_000;

/**
 * A data source for an AuditLog whose connections run `afterRead` each time the writer has read
 * the latest seal, before the writer sees the result and goes on.
 */
function slowedDataSource(pool: Pool, afterRead: () => Promise<void>): DataSource {
  const slowed = {
    async connect(): Promise<PoolClient> {
      const client = await pool.connect();
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      const patched = async (...args: unknown[]): Promise<unknown> => {
        const result = await query(...args);
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
        if (text?.includes('FROM audit_seal ORDER BY id DESC LIMIT 1')) await afterRead();
        return result;
      };
      const release = client.release.bind(client);
      Object.assign(client, {
        query: patched,
        release: (error?: Error | boolean) => {
          delete (client as { query?: unknown }).query;
          delete (client as { release?: unknown }).release;
          release(error);
        },
      });
      return client;
    },
  };
  return { isInitialized: true, driver: { master: slowed } } as unknown as DataSource;
}

describe('the seal lock', () => {
  let db: TestDatabase;
  let fastSource: DataSource;
  let slowSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    fastSource = createDataSource({ url: db.url, poolSize: 2 });
    slowSource = createDataSource({ url: db.url, poolSize: 2 });
    await Promise.all([fastSource.initialize(), slowSource.initialize()]);
  });
  afterAll(async () => {
    await fastSource.destroy();
    await slowSource.destroy();
    await db.drop();
  });

  /** Whether some session waits for the seal lock in this database. */
  async function someoneWaitsForTheLock(): Promise<boolean> {
    const key = BigInt(AUDIT_SEAL_LOCK);
    const [row] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = $1::bigint::oid AND objid = $2::bigint::oid`,
      [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
    );
    return row.n > 0;
  }

  it('lets a slow writer seal under the lock although a fast writer keeps writing batches meanwhile', async () => {
    const fast = new AuditLog(fastSource, { windowMs: 0 });
    await fast.append(job(0)); // the fast writer now knows the latest seal: it seals without a lock
    const competing: Array<Promise<unknown>> = [];
    let reads = 0;
    const afterRead = async (): Promise<void> => {
      // Bounded so that a writer that cannot win gives up instead of looping.
      if (++reads > 20) return;
      let settled = false;
      const batch = fast.append(job(reads)).finally(() => (settled = true));
      competing.push(batch);
      const deadline = Date.now() + COMPETITOR_WAIT_MS;
      while (!settled && !(await someoneWaitsForTheLock())) {
        if (Date.now() > deadline) throw new Error('the competing batch neither committed nor waited for the seal lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const slowPool = (slowSource.driver as unknown as { master: Pool }).master;
    const slow = new AuditLog(slowedDataSource(slowPool, afterRead), { windowMs: 0 });

    const sealed = await slow.append(job(100)).then(
      () => 'sealed',
      (error: Error) => `failed: ${error.message}`,
    );
    await Promise.allSettled(competing);

    expect(sealed).toBe('sealed');
    expect(reads).toBe(1); // it read the latest seal once and sealed the next
    expect(slow.batches.map((b) => b.locked)).toEqual([true]);
    // The competing batch waited for the lock, lost its seal id to the slow writer, and sealed the one after.
    await expect(Promise.all(competing)).resolves.toHaveLength(1);
    expect(fast.batches.map((b) => Number(b.sealId))).toEqual([1, 3]);
    expect(slow.batches.map((b) => Number(b.sealId))).toEqual([2]);
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, problems: result.problems, seals: result.seals }).toEqual({ intact: true, problems: [], seals: 3 });

    await fast.close();
    await slow.close();
  });

  it('holds no lock on the audit tables while it waits for the seal lock, so DDL under the seal lock cannot deadlock with it', async () => {
    const warnings: string[] = [];
    const logger = { debug: () => undefined, error: () => undefined, warn: (_: unknown, message: string) => warnings.push(message) } as unknown as Logger;
    const writer = new AuditLog(fastSource, { windowMs: 0, logger });
    await writer.append(job(200)); // it knows the latest seal: the next batch tries without waiting
    const maintenance = (await (db.dataSource.driver as unknown as { master: Pool }).master.connect()) as PoolClient;
    try {
      // As partition maintenance does: the seal lock first, then locks on the tables it changes.
      await maintenance.query(`BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_SEAL_LOCK})`);
      let settled = false;
      const batch = writer.append(job(201)).finally(() => (settled = true));
      const deadline = Date.now() + COMPETITOR_WAIT_MS;
      while (!(await someoneWaitsForTheLock())) {
        if (settled || Date.now() > deadline) throw new Error('the batch did not wait for the seal lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const held: Array<{ relation: string }> = await db.dataSource.query(
        `SELECT l.relation::regclass::text AS relation FROM pg_locks l
          WHERE l.granted AND l.locktype = 'relation' AND l.pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)
            AND l.relation::regclass::text LIKE 'audit%'`,
      );
      expect(held).toEqual([]);
      await maintenance.query(`SET LOCAL lock_timeout = '${COMPETITOR_WAIT_MS}ms'; LOCK TABLE audit_event, audit_seal, audit_subject_set IN ACCESS EXCLUSIVE MODE`);
      await maintenance.query('COMMIT');
      await batch;
      // A busy lock is not a lost chain: the writer queued for the lock without forgetting what it knew.
      expect(writer.batches.map((b) => b.locked)).toEqual([true, true]);
      expect(warnings).toEqual([]);
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    } finally {
      await maintenance.query('ROLLBACK').catch(() => undefined);
      maintenance.release();
      await writer.close();
    }
  });
});
