/**
 * A cursor serves only the caller it was given to. Generated over pairs of callers who read the
 * same list — two carriers, one person under two purposes or two sets of roles, a third party
 * under two grants, two customers — each pair's second caller, handed the first one's cursor,
 * gets exactly the answer a forged cursor gets: one BAD_USER_INPUT, no rows. And the first caller
 * itself, once its roles change, is refused its own cursor alike.
 */
import { randomBytes } from 'node:crypto';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import type { Purpose, StaffRole } from '../../src/policy/vocabulary';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const INVALID = 'after: not a cursor this list gave this caller; pass the endCursor of the previous page';

describe('a cursor serves only the caller it was given to', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let otherGrant: string;
  let otherCustomer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    // A second grant of the demo customer to the same third party, on the same terms.
    [{ id: otherGrant }] = await db.dataSource.query(
      `INSERT INTO consent_grant (customer_id, grantee_partner_id, categories, purpose, granted_at, expires_at)
       SELECT customer_id, grantee_partner_id, categories, purpose, now(), expires_at FROM consent_grant WHERE id = $1 RETURNING id`,
      [DEMO_IDS.consentGrant],
    );
    [{ customer_id: otherCustomer }] = await db.dataSource.query(`SELECT customer_id FROM "order" WHERE customer_id <> $1 GROUP BY customer_id HAVING count(*) > 2 ORDER BY customer_id LIMIT 1`, [DEMO_IDS.demoCustomer]);
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  const headersOf = async (options: DevTokenOptions, purpose?: string) => ({ authorization: `Bearer ${await mintDevToken(options, gw.authConfig)}`, ...(purpose ? { 'x-purpose': purpose } : {}) });
  const ORDERS = `query($after: String) { orders(first: 1, after: $after) { nodes { id } pageInfo { endCursor } } }`;
  const SHIPMENTS = `query($after: String) { shipments(first: 1, after: $after) { nodes { id } pageInfo { endCursor } } }`;
  const customerOrders = (id: () => string) => `query($after: String) { customer(id: "${id()}") { orders(first: 1, after: $after) { nodes { id } pageInfo { endCursor } } } }`;
  const cursorIn = (data: any): string | undefined => data?.orders?.pageInfo?.endCursor ?? data?.shipments?.pageInfo?.endCursor ?? data?.customer?.orders?.pageInfo?.endCursor;

  type Pair = [label: string, query: () => string, first: () => Promise<Record<string, string>>, second: () => Promise<Record<string, string>>];
  const staff = (subject: string, roles: StaffRole[], purposes: Purpose[], purpose: string) => headersOf({ kind: 'staff', subject, roles, purposes }, purpose);
  const pairs: Pair[] = [
    [
      'another carrier',
      () => SHIPMENTS,
      () => headersOf({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }),
      () => headersOf({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[1], purposes: ['fulfillment'] }),
    ],
    ['the same person under another purpose', () => ORDERS, () => staff('agent-c', ['customer_service'], ['after_sales', 'fulfillment'], 'after_sales'), () => staff('agent-c', ['customer_service'], ['after_sales', 'fulfillment'], 'fulfillment')],
    ['the same person under other roles', () => ORDERS, () => staff('agent-r', ['customer_service'], ['after_sales'], 'after_sales'), () => staff('agent-r', ['customer_service', 'fulfillment'], ['after_sales'], 'after_sales')],
    ['another person under the same role', () => ORDERS, () => staff('agent-1', ['customer_service'], ['after_sales'], 'after_sales'), () => staff('agent-2', ['customer_service'], ['after_sales'], 'after_sales')],
    [
      'the same third party under another grant',
      () => customerOrders(() => DEMO_IDS.demoCustomer),
      () => headersOf({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: DEMO_IDS.consentGrant, purposes: ['authorized_sharing'] }),
      () => headersOf({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: otherGrant, purposes: ['authorized_sharing'] }),
    ],
    [
      'customer service, handed a customer’s own cursor',
      () => customerOrders(() => DEMO_IDS.demoCustomer),
      () => headersOf({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales'] }),
      () => staff('agent-x', ['customer_service'], ['after_sales'], 'after_sales'),
    ],
    [
      'another customer, on its own list',
      () => ORDERS,
      () => headersOf({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales'] }),
      () => headersOf({ kind: 'customer', customerId: otherCustomer, purposes: ['after_sales'] }),
    ],
  ];

  it.each(pairs)('%s: refused as a forged cursor is, with no rows', async (_label, query, first, second) => {
    const page = await gw.post({ query: query() }, await first());
    expect([page.status, page.json.errors]).toEqual([200, undefined]);
    const cursor = cursorIn(page.json.data);
    expect(cursor).toEqual(expect.any(String));
    // The cursor still serves its own caller.
    const own = await gw.post({ query: query(), variables: { after: cursor } }, await first());
    expect([own.status, own.json.errors]).toEqual([200, undefined]);
    const b = await second();
    const handed = await gw.post({ query: query(), variables: { after: cursor } }, b);
    const forged = await gw.post({ query: query(), variables: { after: Buffer.concat([Buffer.from([1]), randomBytes(60)]).toString('base64url') } }, b);
    expect({ status: handed.status, body: handed.json }).toEqual({ status: forged.status, body: forged.json });
    expect(handed.json.errors.map((e: any) => [e.extensions.code, e.message])).toEqual([['BAD_USER_INPUT', INVALID]]);
    expect(JSON.stringify(handed.json.data ?? null)).not.toMatch(/"nodes":\[\{/);
  });

  describe('a cursor serves only the filter it was given under', () => {
    const FILTERED = `query($after: String, $filter: OrderFilter) { orders(first: 1, after: $after, filter: $filter) { nodes { id } pageInfo { endCursor } } }`;
    const FILTERS: Array<[string, Record<string, unknown> | null]> = [
      ['no filter', null],
      ['completed orders', { statuses: ['COMPLETED'] }],
      ['shipped orders', { statuses: ['SHIPPED'] }],
      ['completed orders placed since 2020', { statuses: ['COMPLETED'], placedFrom: '2020-01-01T00:00:00.000Z' }],
    ];
    const pairs = FILTERS.flatMap(([a, fa]) => FILTERS.filter(([b]) => b !== a).map(([b, fb]) => [a, b, fa, fb] as const));

    it.each(pairs)('minted under %s, used under %s: refused as a forged cursor is', async (_a, _b, minted, used) => {
      const headers = await staff('agent-f', ['customer_service'], ['after_sales'], 'after_sales');
      const page = await gw.post({ query: FILTERED, variables: { filter: minted } }, headers);
      expect([page.status, page.json.errors]).toEqual([200, undefined]);
      const cursor = page.json.data.orders.pageInfo.endCursor;
      expect((await gw.post({ query: FILTERED, variables: { filter: minted, after: cursor } }, headers)).json.errors).toBeUndefined();
      const handed = await gw.post({ query: FILTERED, variables: { filter: used, after: cursor } }, headers);
      const forged = await gw.post({ query: FILTERED, variables: { filter: used, after: Buffer.concat([Buffer.from([1]), randomBytes(60)]).toString('base64url') } }, headers);
      expect({ status: handed.status, body: handed.json }).toEqual({ status: forged.status, body: forged.json });
      expect(handed.json.errors.map((e: any) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    });

    it('the same filter written in the document, or with its members in another order, is the same filter', async () => {
      const headers = await staff('agent-g', ['customer_service'], ['after_sales'], 'after_sales');
      const page = await gw.post({ query: FILTERED, variables: { filter: { statuses: ['COMPLETED'], placedFrom: '2020-01-01T00:00:00.000Z' } } }, headers);
      const cursor = page.json.data.orders.pageInfo.endCursor;
      const reordered = await gw.post({ query: FILTERED, variables: { filter: { placedFrom: '2020-01-01T00:00:00Z', statuses: ['COMPLETED'] }, after: cursor } }, headers);
      const literal = await gw.post(
        { query: `query($after: String) { orders(first: 1, after: $after, filter: { statuses: [COMPLETED], placedFrom: "2020-01-01T00:00:00.000Z" }) { nodes { id } } }`, variables: { after: cursor } },
        headers,
      );
      expect([reordered.json.errors, literal.json.errors]).toEqual([undefined, undefined]);
      expect(literal.json.data.orders.nodes).toEqual(reordered.json.data.orders.nodes);
    });
  });
});
