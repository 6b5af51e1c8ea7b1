/**
 * Policy versions: publishing records the text's sha256 and when it takes effect (never in the
 * past, never before a later version), with an audit event; an order records the version in
 * force when it was placed; a customer reads the version they ordered under.
 */
import { createHash } from 'node:crypto';
import { publishPolicyVersion } from '../../src/domains/policy-versions/policy-publish';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { as } from '../harness/principals';

const NOW = new Date('2026-12-05T12:00:00Z');
const EFFECTIVE = new Date('2027-01-01T00:00:00Z');
const TEXT = Buffer.from('need-to-know privacy policy, version 2027-01\n');

describe('policy versions', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
  });
  afterAll(() => db.drop());

  it('publishes a version: the sha256 of its text, when it takes effect, and an audit event written with it', async () => {
    const published = await publishPolicyVersion(db.dataSource, { text: TEXT, version: '2027-01', effectiveAt: EFFECTIVE, now: NOW });
    const sha256 = createHash('sha256').update(TEXT).digest('hex');
    expect(published).toEqual({ id: expect.any(String), version: '2027-01', sha256, effectiveAt: EFFECTIVE, created: true });
    expect(await db.dataSource.query(`SELECT version, sha256, published_at, effective_at FROM policy_version WHERE id = $1`, [published.id])).toEqual([
      { version: '2027-01', sha256, published_at: NOW, effective_at: EFFECTIVE },
    ]);
    const [event] = await db.dataSource.query(`SELECT operation_type, detail FROM audit_event WHERE operation_name = 'policy.publish'`);
    expect(event).toEqual({ operation_type: 'job', detail: { version: '2027-01', sha256, effectiveAt: EFFECTIVE.toISOString() } });
  });

  it('changes nothing when the same version is published again with the same text and date', async () => {
    const again = await publishPolicyVersion(db.dataSource, { text: TEXT, version: '2027-01', effectiveAt: EFFECTIVE, now: NOW });
    expect(again.created).toBe(false);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM policy_version WHERE version = '2027-01'`)).toEqual([{ n: 1 }]);
  });

  it.each([
    ['the same version with another text', { text: Buffer.from('changed'), version: '2027-01', effectiveAt: EFFECTIVE }, /already published with another text/],
    ['a date in the past', { text: TEXT, version: '2026-11', effectiveAt: new Date('2026-11-01T00:00:00Z') }, /is in the past/],
    ['a date before a later version takes effect', { text: TEXT, version: '2026-12b', effectiveAt: new Date('2026-12-20T00:00:00Z') }, /version 2027-01 takes effect later/],
    ['a version name with spaces', { text: TEXT, version: 'new one', effectiveAt: EFFECTIVE }, /--version: expected/],
    ['an empty text', { text: Buffer.alloc(0), version: '2027-02', effectiveAt: EFFECTIVE }, /the policy text is empty/],
  ])('refuses %s and writes nothing', async (_label, request, message) => {
    const count = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM policy_version`))[0].n;
    const before = await count();
    await expect(publishPolicyVersion(db.dataSource, { ...request, now: NOW })).rejects.toThrow(message);
    expect(await count()).toBe(before);
  });

  it('gives an order the version in force when it was placed', async () => {
    const [{ id: newVersion }] = await db.dataSource.query(`SELECT id FROM policy_version WHERE version = '2027-01'`);
    const place = async (number: string, placedAt: string) =>
      (
        await db.dataSource.query(
          `INSERT INTO "order" (order_number, customer_id, channel, status, currency, total_amount, placed_at, ship_recipient_name, ship_line1, ship_city, ship_postal_code, ship_country, ship_phone)
           VALUES ($1, $2, 'own_store', 'placed', 'GBP', 10, $3, 'R', 'L1', 'C', 'P', 'GB', '+44') RETURNING policy_version_id`,
          [number, DEMO_IDS.demoCustomer, placedAt],
        )
      )[0].policy_version_id;
    expect(await place('PV-1', '2026-12-31T23:59:59Z')).toBe(DEMO_IDS.policyVersion);
    expect(await place('PV-2', '2027-01-01T00:00:00Z')).toBe(newVersion);
    expect(await place('PV-3', '2024-01-01T00:00:00Z')).toBe(DEMO_IDS.previousPolicyVersion);
  });

  it('lets a customer read the version they ordered under', async () => {
    const { gateway, execute } = await createTestGateway(db);
    try {
      const r = await execute(`{ orders(first: 100, filter: { customerId: "${DEMO_IDS.demoCustomer}" }) { nodes { orderNumber policyVersion { version sha256 effectiveAt } } } }`, as.customer(DEMO_IDS.demoCustomer, 'data_subject_request'));
      expect(r.errors).toBeUndefined();
      const pv2 = r.data!.orders.nodes.find((n: { orderNumber: string }) => n.orderNumber === 'PV-2');
      expect(pv2.policyVersion).toEqual({ version: '2027-01', sha256: createHash('sha256').update(TEXT).digest('hex'), effectiveAt: EFFECTIVE.toISOString() });
    } finally {
      await gateway.stop();
    }
  });
});
