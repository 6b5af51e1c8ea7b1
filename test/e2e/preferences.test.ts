/**
 * Cookie and preference choices: kept as a history (who chose what, when, through what, under
 * which policy version), the latest per category in force; the storefront records a visitor's
 * under that day's pseudonym — never the cookie id — and a signed-in customer's against the
 * customer; a customer reads and changes their own.
 */
import { createHmac } from 'node:crypto';
import type { Caller } from '../../src/policy/principal';
import { countSql } from '../../src/platform/sql-counter';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, TEST_SECRETS, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';

const RECORD = `mutation($input: RecordPreferenceChoicesInput!) { recordPreferenceChoices(input: $input) { accepted } }`;
const RECORD_OWN = `mutation($input: RecordPreferenceChoicesInput!) { recordPreferenceChoices(input: $input) { accepted current { category granted recordedVia policyVersion { version } } } }`;
const MINE = `query($id: ID!) { customer(id: $id) {
  preferenceConsents { category granted recordedVia }
  preferenceHistory(first: 100) { nodes { category granted recordedAt recordedVia policyVersion { version } } } } }`;

/** The visitor's pseudonym of the day, computed here from the design's words: HMAC under an HMAC of the UTC date. */
function pseudonymOf(visitorId: string, at = new Date()): string {
  const dayKey = createHmac('sha256', TEST_SECRETS.behaviorPseudonymKey).update(at.toISOString().slice(0, 10)).digest();
  return createHmac('sha256', dayKey).update(visitorId).digest('base64url');
}

describe('cookie and preference choices', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  const storefront = as.staff(['storefront'], 'analytics');
  const me = as.customer(DEMO_IDS.demoCustomer, 'data_subject_request');

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('lets a customer change their choices, keeping every earlier one, under the policy version in force', async () => {
    const before = (await execute(MINE, me, { id: DEMO_IDS.demoCustomer })).data!.customer;
    const r = await execute(RECORD_OWN, me, { input: { choices: [{ category: 'ANALYTICS', granted: false }, { category: 'PREFERENCES', granted: true }] } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPreferenceChoices).toEqual({
      accepted: 2,
      current: [
        { category: 'NECESSARY', granted: true, recordedVia: 'STOREFRONT', policyVersion: { version: expect.any(String) } },
        { category: 'PREFERENCES', granted: true, recordedVia: 'CUSTOMER', policyVersion: { version: '2025-07' } },
        { category: 'ANALYTICS', granted: false, recordedVia: 'CUSTOMER', policyVersion: { version: '2025-07' } },
      ],
    });
    await execute(RECORD_OWN, me, { input: { choices: [{ category: 'ANALYTICS', granted: true }] } });
    const after = (await execute(MINE, me, { id: DEMO_IDS.demoCustomer })).data!.customer;
    expect(after.preferenceConsents.find((c: { category: string }) => c.category === 'ANALYTICS')).toEqual({ category: 'ANALYTICS', granted: true, recordedVia: 'CUSTOMER' });
    // The history holds the seeded choices and all three new ones, newest first.
    expect(after.preferenceHistory.nodes).toHaveLength(before.preferenceHistory.nodes.length + 3);
    expect(after.preferenceHistory.nodes.slice(0, 3).map((n: { category: string; granted: boolean }) => [n.category, n.granted])).toEqual([
      ['ANALYTICS', true],
      expect.anything(),
      expect.anything(),
    ]);
    const times = after.preferenceHistory.nodes.map((n: { recordedAt: string }) => n.recordedAt);
    expect([...times].sort().reverse()).toEqual(times);
    const rows = await db.dataSource.query(
      `SELECT p.category::text, p.granted, p.recorded_via::text, v.version FROM preference_consent p JOIN policy_version v ON v.id = p.policy_version_id
        WHERE p.customer_id = $1 AND p.recorded_via = 'customer' ORDER BY p.recorded_at, p.category`,
      [DEMO_IDS.demoCustomer],
    );
    expect(rows).toEqual([
      { category: 'preferences', granted: true, recorded_via: 'customer', version: '2025-07' },
      { category: 'analytics', granted: false, recorded_via: 'customer', version: '2025-07' },
      { category: 'analytics', granted: true, recorded_via: 'customer', version: '2025-07' },
    ]);
  });

  it("records a visitor's choice under that day's pseudonym, and never the cookie id", async () => {
    const r = await execute(RECORD, storefront, { input: { visitorId: 'cookie-visitor-77', choices: [{ category: 'ANALYTICS', granted: false }] } });
    expect(r).toEqual({ data: { recordPreferenceChoices: { accepted: 1 } } });
    const rows = await db.dataSource.query(`SELECT customer_id, category::text, granted, recorded_via::text FROM preference_consent WHERE visitor_pseudonym = $1`, [pseudonymOf('cookie-visitor-77')]);
    expect(rows).toEqual([{ customer_id: null, category: 'analytics', granted: false, recorded_via: 'storefront' }]);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM preference_consent p WHERE row_to_json(p)::text LIKE '%cookie-visitor-77%'`);
    expect(n).toBe(0);
  });

  it("records a signed-in customer's choice against the customer, and answers a customer that does not exist alike, writing nothing", async () => {
    const [{ id: other }] = await db.dataSource.query(`SELECT id FROM customer WHERE id <> $1 AND status = 'active' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    const count = async () => Number((await db.dataSource.query(`SELECT count(*) AS n FROM preference_consent`))[0].n);
    const before = await count();
    const known = await countSql(() => execute(RECORD, storefront, { input: { customerId: other, choices: [{ category: 'PREFERENCES', granted: false }] } }));
    expect(await count()).toBe(before + 1);
    const unknown = await countSql(() => execute(RECORD, storefront, { input: { customerId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', choices: [{ category: 'PREFERENCES', granted: false }] } }));
    expect(await count()).toBe(before + 1);
    expect(unknown.result).toEqual(known.result);
    expect(unknown.sql.statements).toEqual(known.sql.statements);
    const [row] = await db.dataSource.query(`SELECT category::text, granted, recorded_via::text FROM preference_consent WHERE customer_id = $1 ORDER BY recorded_at DESC LIMIT 1`, [other]);
    expect(row).toEqual({ category: 'preferences', granted: false, recorded_via: 'storefront' });
  });

  it('shows the storefront nothing it recorded', async () => {
    const r = await execute(RECORD_OWN, storefront, { input: { customerId: DEMO_IDS.demoCustomer, choices: [{ category: 'PREFERENCES', granted: true }] } });
    expect(r.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['recordPreferenceChoices', 'current']]]);
  });

  it.each([
    ['a customer naming a visitor', () => me, { visitorId: 'v', choices: [{ category: 'ANALYTICS', granted: true }] }],
    ['the storefront naming nobody', () => storefront, { choices: [{ category: 'ANALYTICS', granted: true }] }],
    ['the storefront naming a visitor and a customer (never linked)', () => storefront, { visitorId: 'v', customerId: DEMO_IDS.demoCustomer, choices: [{ category: 'ANALYTICS', granted: true }] }],
    ['a category chosen twice', () => me, { choices: [{ category: 'ANALYTICS', granted: true }, { category: 'ANALYTICS', granted: false }] }],
    ['necessary cookies refused', () => me, { choices: [{ category: 'NECESSARY', granted: false }] }],
    ['no choice at all', () => me, { choices: [] }],
  ])('refuses %s with BAD_USER_INPUT and records nothing', async (_label, caller, input) => {
    const before = Number((await db.dataSource.query(`SELECT count(*) AS n FROM preference_consent`))[0].n);
    const r = await execute(RECORD, caller(), { input });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM preference_consent`))[0].n)).toBe(before);
  });

  it('is not for a customer under after_sales, nor for the data analyst', async () => {
    for (const caller of [as.customer(DEMO_IDS.demoCustomer, 'after_sales'), as.staff(['data_analyst'], 'analytics')]) {
      const r = await execute(RECORD, caller, { input: { choices: [{ category: 'ANALYTICS', granted: true }] } });
      expect(r.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['recordPreferenceChoices']]]);
    }
  });
});
