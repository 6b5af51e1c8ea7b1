/**
 * Fail closed: when the audit event cannot be made durable, the caller gets one masked
 * INTERNAL_SERVER_ERROR, HTTP 500, and no data — whether the insert is refused, the seal cannot
 * be written, or the audit database is gone. The next request, once the log works, is answered.
 */
import { mintDevToken } from '../../src/auth/dev-token';
import { AuditLog } from '../../src/audit/audit-log';
import { createDataSource } from '../../src/data-source';
import { createLogger } from '../../src/platform/logger';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { INTERNAL_ERROR_MESSAGE } from '../../src/platform/error-format';
import { createGateway, type Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { TEST_SECRETS } from '../harness/gateway';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { callers, eventCount, run } from './audit-harness';

const WITHHELD = { status: 500, errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
const MANIFEST = `{ shipments(first: 5) { nodes { trackingNumber order { orderNumber shippingAddress { recipientName line1 city phone } } } } }`;
const carrier = () => callers.logistics(DEMO_IDS.logisticsPartners[0]);

async function withFailingInsert<T>(db: TestDatabase, table: 'audit_event' | 'audit_seal', work: () => Promise<T>): Promise<T> {
  await db.dataSource.query(`
    CREATE FUNCTION test_refuse_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit storage unavailable (test)'; END $$;
    CREATE TRIGGER test_refuse_audit_insert BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_refuse_audit_insert()`);
  try {
    return await work();
  } finally {
    await db.dataSource.query(`DROP TRIGGER test_refuse_audit_insert ON ${table}; DROP FUNCTION test_refuse_audit_insert()`);
  }
}

describe('fail closed', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let http: HttpGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gateway = await createGateway({
      dataSource: db.dataSource,
      logger: createLogger('silent'),
      secrets: TEST_SECRETS,
      authenticate: async () => {
        throw new Error('in-process only');
      },
      development: false,
    });
    http = await startHttpGateway(db);
  });
  afterAll(async () => {
    await gateway.stop();
    await http.close();
    await db.drop();
  });

  it('answers normally while the log works', async () => {
    const r = await run(gateway, MANIFEST, carrier());
    expect(r.status).toBe(200);
    expect(r.data!.shipments.nodes.length).toBeGreaterThan(0);
  });

  it.each(['audit_event', 'audit_seal'] as const)('withholds the data when the insert into %s fails, and writes nothing', async (table) => {
    const before = await eventCount(db.dataSource);
    const r = await withFailingInsert(db, table, () => run(gateway, MANIFEST, carrier()));
    expect(r).toEqual(WITHHELD);
    expect(await eventCount(db.dataSource)).toBe(before);
    // The failure was a moment's: the next request is audited and answered.
    const next = await run(gateway, MANIFEST, carrier());
    expect(next.status).toBe(200);
    expect(await eventCount(db.dataSource)).toBe(before + 1);
  });

  it('withholds partial results and errors alike: nothing of the response leaves', async () => {
    const r = await withFailingInsert(db, 'audit_event', () =>
      run(gateway, `{ orders(first: 2) { nodes { orderNumber customer { email phone } } } }`, callers.staff(['fraud_analyst'], 'fraud_prevention')),
    );
    expect(r).toEqual(WITHHELD);
  });

  it('withholds the answer of every request in a batch that fails', async () => {
    const responses = await withFailingInsert(db, 'audit_event', () => Promise.all(Array.from({ length: 10 }, () => run(gateway, MANIFEST, carrier()))));
    expect(responses).toEqual(responses.map(() => WITHHELD));
  });

  it('withholds the data when the audit database cannot be reached', async () => {
    const auditDs = createDataSource({ url: db.url, poolSize: 2 });
    await auditDs.initialize();
    const auditLog = new AuditLog(auditDs);
    const isolated = await createGateway({
      dataSource: db.dataSource,
      logger: createLogger('silent'),
      secrets: TEST_SECRETS,
      authenticate: async () => {
        throw new Error('in-process only');
      },
      development: false,
      auditLog,
    });
    try {
      expect((await run(isolated, MANIFEST, carrier())).status).toBe(200);
      await auditDs.destroy(); // the pool is gone: every audit write now fails to connect
      expect(await run(isolated, MANIFEST, carrier())).toEqual(WITHHELD);
    } finally {
      await isolated.stop();
    }
  });

  it('over HTTP: status 500, the masked error only, no data and nothing else from the response', async () => {
    const token = await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, http.authConfig);
    const r = await withFailingInsert(db, 'audit_event', () => http.post({ query: MANIFEST }, { authorization: `Bearer ${token}` }));
    expect({ status: r.status, body: r.json }).toEqual({
      status: 500,
      body: { errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
    });
    expect(r.text).not.toMatch(/audit|storage|trigger|NTK-|shipments/i);
  });
});
