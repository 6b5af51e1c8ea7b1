/**
 * The writer and the table: group commit (concurrent requests share one INSERT), one linear seal
 * chain across several writers, events checked before they are written, and a table that
 * refuses UPDATE, DELETE and TRUNCATE — to the application role by privilege, to everyone by
 * trigger.
 */
import { randomBytes } from 'node:crypto';
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import type { AuditEventInput } from '../../src/audit/audit-record';
import { verifyAuditLog } from '../../src/audit/verify';
import { createDataSource } from '../../src/platform/database';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { callers, eventCount, run } from './audit-harness';

const job = (n: number, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  requestId: `retention-run-${n}`,
  principal: { kind: 'system', id: 'retention-job' },
  purpose: null,
  operationType: AuditOperationType.JOB,
  operationName: 'retention.run',
  outcome: AuditOutcome.OK,
  subjectIds: [DEMO_IDS.demoCustomer],
  detail: { anonymized: n, orders: [n, n + 1] },
  ...extra,
});

const sealCount = async (db: TestDatabase): Promise<number> => (await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_seal`))[0].n;

describe('the audit log writer', () => {
  let db: TestDatabase;
  let gateway: Gateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('group commit', () => {
    it('writes 50 concurrent operations as 50 events in fewer batches, and the log verifies', async () => {
      const eventsBefore = await eventCount(db.dataSource);
      const sealsBefore = await sealCount(db);
      const manifest = `{ shipments(first: 50) { nodes { trackingNumber status order { orderNumber shippingAddress { recipientName line1 city postalCode country phone } items { productName quantity } } } } }`;
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => run(gateway, manifest, callers.logistics(DEMO_IDS.logisticsPartners[i % 2]!))),
      );
      expect(responses.map((r) => [r.status, r.errors])).toEqual(responses.map(() => [200, undefined]));
      const seals = (await sealCount(db)) - sealsBefore;
      expect((await eventCount(db.dataSource)) - eventsBefore).toBe(50);
      expect(seals).toBeLessThan(50);
      expect(seals).toBeGreaterThanOrEqual(1);
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    });

    it('writes a full batch at once, without waiting for the window', async () => {
      const log = new AuditLog(db.dataSource, { windowMs: 50, maxBatchSize: 10 });
      const records = await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(job(i))));
      // Without the size bound all 25 would have waited for the window and shared one INSERT.
      expect(log.batches.map((b) => b.events)).toEqual([10, 10, 5]);
      expect(new Set(records.map((r) => r.id)).size).toBe(25);
      await log.close();
    });

    it('lets events that arrive within the window share a batch', async () => {
      const log = new AuditLog(db.dataSource, { windowMs: 50, maxBatchSize: 10 });
      const appended: Array<Promise<unknown>> = [];
      for (let i = 0; i < 3; i++) {
        appended.push(log.append(job(i)));
        await new Promise((resolve) => setImmediate(resolve)); // separate turns of the event loop
      }
      await Promise.all(appended);
      expect(log.batches.map((b) => b.events)).toEqual([3]);
      await log.close();
    });

    it('keeps one linear seal chain when several gateway replicas write at once', async () => {
      const replicas = await Promise.all(
        [1, 2, 3].map(async () => {
          const ds = createDataSource({ url: db.url, poolSize: 3 });
          await ds.initialize();
          return { ds, log: new AuditLog(ds, { windowMs: 1, maxBatchSize: 7 }) };
        }),
      );
      const sealsBefore = await sealCount(db);
      await Promise.all(replicas.flatMap(({ log }, r) => Array.from({ length: 40 }, (_, i) => log.append(job(r * 100 + i)))));
      const written = replicas.reduce((n, { log }) => n + log.batches.length, 0);
      const ids: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM audit_seal WHERE id > $1 ORDER BY id`, [sealsBefore]);
      expect(ids.map((r) => Number(r.id))).toEqual(Array.from({ length: written }, (_, i) => sealsBefore + 1 + i));
      const result = await verifyAuditLog(db.dataSource);
      expect({ intact: result.intact, problems: result.problems }).toEqual({ intact: true, problems: [] });
      for (const { ds, log } of replicas) {
        await log.close();
        await ds.destroy();
      }
    });
  });

  describe('AuditLog.append for jobs', () => {
    it('stores a job event with its detail, normalized, and returns it once durable', async () => {
      const log = new AuditLog(db.dataSource);
      const record = await log.append(job(7, { subjectIds: [DEMO_IDS.demoCustomer.toUpperCase(), DEMO_IDS.demoCustomer], denied: ['B.b', 'A.a', 'B.b'] }));
      await log.close();
      const [row] = await db.dataSource.query(`SELECT operation_type, principal_kind, subject_ids, denied, detail, flagged, hash FROM audit_event WHERE id = $1`, [record.id]);
      expect(row).toEqual({
        operation_type: 'job',
        principal_kind: 'system',
        subject_ids: [DEMO_IDS.demoCustomer],
        denied: ['A.a', 'B.b'],
        detail: { anonymized: 7, orders: [7, 8] },
        flagged: false,
        hash: record.hash,
      });
    });

    it.each([
      ['a subject that is not a UUID', { subjectIds: ['customer-1'] }, /subjectIds\[0\]: expected a UUID, got "customer-1"/],
      ['an unknown outcome', { outcome: 'fine' as AuditOutcome }, /outcome: expected ok \| partial \| denied \| error, got "fine"/],
      ['a purpose that is not a word', { purpose: 'Legal Compliance' }, /purpose: expected a string of 1 to 40 characters/],
      ['a detail over 8 KiB', { detail: { blob: 'x'.repeat(9000) } }, /detail: expected at most 8192 bytes of JSON/],
    ])('refuses %s before anything is written', async (_label, extra, message) => {
      const log = new AuditLog(db.dataSource);
      const before = await eventCount(db.dataSource);
      await expect(log.append(job(1, extra as Partial<AuditEventInput>))).rejects.toThrow(message);
      await log.close();
      expect(await eventCount(db.dataSource)).toBe(before);
    });

    it('refuses events once closed', async () => {
      const log = new AuditLog(db.dataSource);
      await log.close();
      await expect(log.append(job(1))).rejects.toThrow(/closed/);
    });

    it.each([
      [{ windowMs: -1 }, /windowMs: expected an integer from 0 to 50, got -1/],
      [{ maxBatchSize: 0 }, /maxBatchSize: expected an integer from 1 to 1000, got 0/],
    ])('refuses options %j', (options, message) => {
      expect(() => new AuditLog(db.dataSource, options)).toThrow(message);
    });
  });

  describe('append-only', () => {
    it.each([
      ['UPDATE an event', `UPDATE audit_event SET principal_id = 'someone-else'`, /append-only: UPDATE on audit_event refused/],
      ['DELETE an event', `DELETE FROM audit_event`, /append-only: DELETE on audit_event refused/],
      ['TRUNCATE the events', `TRUNCATE audit_event`, /append-only: TRUNCATE on audit_event refused/],
      ['UPDATE a seal', `UPDATE audit_seal SET merkle_root = repeat('0', 64)`, /append-only: UPDATE on audit_seal refused/],
      ['DELETE a seal', `DELETE FROM audit_seal`, /append-only: DELETE on audit_seal refused/],
      ['TRUNCATE the seals', `TRUNCATE audit_seal`, /append-only: TRUNCATE on audit_seal refused/],
    ])('refuses to %s, even to the table owner', async (_label, sql, message) => {
      const before = await eventCount(db.dataSource);
      await expect(db.dataSource.query(sql)).rejects.toThrow(message);
      expect(await eventCount(db.dataSource)).toBe(before);
    });

    it('grants UPDATE, DELETE and TRUNCATE to nobody, the owner included', async () => {
      const rows: Array<{ table: string; privilege: string }> = await db.dataSource.query(
        `SELECT c.relname AS table, a.privilege_type AS privilege
         FROM pg_class c, aclexplode(c.relacl) a WHERE c.relname IN ('audit_event', 'audit_seal') ORDER BY 1, 2`,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => ['UPDATE', 'DELETE', 'TRUNCATE'].includes(r.privilege))).toEqual([]);
    });

    it('leaves an application role with SELECT and INSERT unable to change a row', async () => {
      const role = `ntk_audit_app_${randomBytes(4).toString('hex')}`;
      await db.dataSource.query(`CREATE ROLE ${role} NOLOGIN`);
      try {
        await db.dataSource.query(`GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT, INSERT ON audit_event, audit_seal TO ${role}`);
        await db.dataSource.transaction(async (em) => {
          await em.query(`SET LOCAL ROLE ${role}`);
          await expect(em.query(`UPDATE audit_event SET principal_id = 'x'`)).rejects.toThrow(/permission denied for table audit_event/);
        });
        await db.dataSource.transaction(async (em) => {
          await em.query(`SET LOCAL ROLE ${role}`);
          await expect(em.query(`DELETE FROM audit_seal`)).rejects.toThrow(/permission denied for table audit_seal/);
        });
      } finally {
        await db.dataSource.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });
  });
});
