/**
 * The benchmark's measurement-only gateways (bench/audit-floor.ts) leave out what their names say
 * and nothing else: the figures of "what each guarantee costs the point read" mean only that.
 * The unsent and async-commit writers in process; the gateway without its audit as the benchmark
 * runs it, a process of its own from the compiled dist/ (which `npm test` builds first), beside
 * the protected one as the control.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AuditLog } from '../../src/audit/audit-log';
import { verifyAuditLog } from '../../src/audit/verify';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { mintDevToken } from '../../src/auth/dev-token';
import { createDataSource } from '../../src/data-source';
import { totalSqlStatements } from '../../src/platform/sql-counter';
import { pointReadEvent } from '../../bench/audit-bench-events';
import { asyncCommitAuditLog, unsentAuditLog } from '../../bench/audit-floor-gateways';
import { forkServer } from '../../bench/servers';
import { createTestDatabase, type TestDatabase } from '../harness/database';

const GATEWAY_SERVER = path.resolve(__dirname, '../../dist/bench/gateway-server.js');

const count = async (db: TestDatabase, table: 'audit_event' | 'audit_seal') => Number((await db.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

describe('bench --audit-floor: the measurement-only writers and gateway', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('audit-unsent: records and seals every event, counts each batch, and writes nothing', async () => {
    const log = unsentAuditLog(db.dataSource, { windowMs: 0 });
    try {
      const before = totalSqlStatements('audit');
      // Two batches: the first sealed on the locked path (the chain's end read under the lock), the second on the fast path.
      const first = await Promise.all([log.append(pointReadEvent()), log.append(pointReadEvent())]);
      const second = await log.append(pointReadEvent());
      for (const record of [...first, second]) expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(log.batches.map((b) => [b.sealId, b.events, b.locked])).toEqual([
        ['1', 2, true],
        ['2', 1, false],
      ]);
      // First batch: the lock-and-read, the (unsent) batch statement, COMMIT; second: the session's
      // synchronous_commit read once, the (unsent) batch statement.
      expect(totalSqlStatements('audit') - before).toBe(5);
      expect(await count(db, 'audit_event')).toBe(0);
      expect(await count(db, 'audit_seal')).toBe(0);
    } finally {
      await log.close();
    }
  });

  it('audit-async-commit: writes every event, verifiably, on sessions whose commits do not wait for the WAL flush', async () => {
    const measured = async (make: (ds: typeof db.dataSource) => AuditLog) => {
      // One connection: the writer's session is the one the setting is read on.
      const dataSource = createDataSource({ url: db.url, poolSize: 1 });
      await dataSource.initialize();
      const log = make(dataSource);
      try {
        await log.append(pointReadEvent());
        await log.append(pointReadEvent());
        const [{ synchronous_commit }] = await dataSource.query('SHOW synchronous_commit');
        return { setting: synchronous_commit as string, fastPath: log.batches.at(-1)!.locked === false };
      } finally {
        await log.close();
        await dataSource.destroy();
      }
    };
    const events = await count(db, 'audit_event');
    expect(await measured((ds) => asyncCommitAuditLog(ds, { windowMs: 0 }))).toEqual({ setting: 'off', fastPath: true });
    // The real writer, as the control: its session keeps the server's default.
    expect(await measured((ds) => new AuditLog(ds, { windowMs: 0 }))).toEqual({ setting: 'on', fastPath: true });
    expect(await count(db, 'audit_event')).toBe(events + 4);
    const verified = await verifyAuditLog(db.dataSource);
    expect(verified.problems).toEqual([]);
    expect(verified.intact).toBe(true);
  });

  it('no-audit: the gateway answers as the protected one does and writes no audit event; the protected one writes one', async () => {
    const token = await mintDevToken({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'], subject: 'bench-agent' }, loadAuthConfig(process.env));
    const ask = async (mode: 'on' | 'no-audit') => {
      const server = await forkServer(mode, GATEWAY_SERVER, [db.url, mode], { env: { ...process.env, LOG_LEVEL: 'warn' } });
      try {
        const events = await count(db, 'audit_event');
        const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'after_sales' },
          body: JSON.stringify({ query: 'query OrderById($id: ID!) { order(id: $id) { orderNumber shippingAddress { recipientName } } }', variables: { id: randomUUID() } }),
        });
        const stats = await server.idleStats();
        return { status: response.status, body: await response.json(), written: (await count(db, 'audit_event')) - events, auditSql: stats.auditSql, mode: server.detail.mode };
      } finally {
        await server.stop();
      }
    };
    const expected = { status: 200, body: { data: { order: null } } };
    expect(await ask('on')).toEqual({ ...expected, written: 1, auditSql: expect.any(Number), mode: 'on' });
    expect(await ask('no-audit')).toEqual({ ...expected, written: 0, auditSql: 0, mode: 'no-audit' });
  }, 120_000);
});
