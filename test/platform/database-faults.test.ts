/**
 * The data source under database faults: a session the server ends while a holder has no
 * listener of its own, a server that stops answering, a server that is gone, a pool with no free
 * connection. Each fails the work in hand with an error that says "unavailable" (so the caller
 * gets 503), never ends the process, and the next statement after the fault works without
 * anything being restarted.
 */
import type { Pool, PoolClient } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { createDataSource } from '../../src/data-source';
import { NO_ANSWER_MESSAGE } from '../../src/platform/database';
import { isDatabaseUnavailable } from '../../src/platform/db-errors';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { TcpProxy } from '../harness/tcp-proxy';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function unavailableError(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the work to fail');
}

describe('the data source under database faults', () => {
  let db: TestDatabase;
  const sources: DataSource[] = [];
  const open = async (url: string, options: { poolSize?: number; statementTimeoutMs?: number; connectTimeoutMs?: number } = {}) => {
    const ds = createDataSource({ url, applicationName: 'fault-test', ...options });
    await ds.initialize();
    sources.push(ds);
    return ds;
  };
  const terminate = async (pid: number) => {
    await db.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    // Until the server has ended it (the client hears of it when the message arrives).
    while ((await db.dataSource.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length > 0) await sleep(20);
    await sleep(100);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const ds of sources) if (ds.isInitialized) await ds.destroy();
    await db.drop();
  });

  it('a checked-out connection ended by the server while its holder does not listen: the process lives, the pool replaces it', async () => {
    const ds = await open(db.url);
    const pool = (ds.driver as unknown as { master: Pool }).master;
    const client: PoolClient = await pool.connect();
    const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
    await terminate(pid);
    const error = await unavailableError(() => client.query('SELECT 1'));
    expect(isDatabaseUnavailable(error)).toBe(true);
    client.release();
    expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it("a TypeORM query runner's connection ended between two statements (TypeORM releases the runner: its next statement fails, unavailable)", async () => {
    const ds = await open(db.url);
    const runner = ds.createQueryRunner();
    await runner.connect();
    const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
    await terminate(pid);
    expect(isDatabaseUnavailable(await unavailableError(() => runner.query('SELECT 1')))).toBe(true);
    await runner.release();
    expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('a server that stops answering: the statement fails once its timeout and grace are over, the connection is closed, a new one is used after', async () => {
    const proxy = await TcpProxy.start(db.url);
    try {
      const ds = await open(proxy.url(db.url), { poolSize: 1, statementTimeoutMs: 200, connectTimeoutMs: 500 });
      const runner = ds.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await runner.query('SELECT 1');
      proxy.freeze();
      const error = await unavailableError(() => runner.query('SELECT 1'));
      expect((error as Error).message).toContain(NO_ANSWER_MESSAGE);
      expect(isDatabaseUnavailable(error)).toBe(true);
      await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
      // No connection can be opened while it hangs: the wait for one is bounded too.
      expect(isDatabaseUnavailable(await unavailableError(() => ds.query('SELECT 1')))).toBe(true);
      await proxy.restore();
      // The connection that was in a transaction was closed, not reused: this one is fresh.
      expect(await ds.query(`SELECT 1 AS ok, now() = statement_timestamp() AS outside_a_transaction`)).toEqual([{ ok: 1, outside_a_transaction: true }]);
    } finally {
      await proxy.stop();
    }
  });

  it('a server that is gone: connections reset and refused, then it is back', async () => {
    const proxy = await TcpProxy.start(db.url);
    try {
      const ds = await open(proxy.url(db.url), { poolSize: 2, connectTimeoutMs: 1000 });
      const runner = ds.createQueryRunner();
      await runner.connect();
      await proxy.cut();
      expect(isDatabaseUnavailable(await unavailableError(() => runner.query('SELECT 1')))).toBe(true);
      await runner.release();
      expect(isDatabaseUnavailable(await unavailableError(() => ds.query('SELECT 1')))).toBe(true);
      await proxy.restore();
      expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await proxy.stop();
    }
  });

  it('a pool with no free connection: the wait for one is bounded and says unavailable', async () => {
    const ds = await open(db.url, { poolSize: 1, connectTimeoutMs: 300 });
    // The bound also covers opening a connection, which a loaded machine can take longer than
    // 300 ms to do: what is under test is the wait for a taken one, so opening is tried again.
    let runner: QueryRunner;
    for (let attempt = 1; ; attempt += 1) {
      runner = ds.createQueryRunner();
      try {
        await runner.connect();
        await runner.query('SELECT 1');
        break;
      } catch (error) {
        if (attempt >= 10 || !isDatabaseUnavailable(error)) throw error;
        await runner.release().catch(() => undefined);
      }
    }
    const error = await unavailableError(() => ds.query('SELECT 1'));
    expect(isDatabaseUnavailable(error)).toBe(true);
    await runner.release();
    expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
