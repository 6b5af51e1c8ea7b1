/**
 * N+1 guards: every list field is read through a batching loader, so the number of SQL
 * statements an operation issues does not grow with the number of rows it returns. Each query
 * is run on graphql-js with a page of 20 and a page of 100 rows; the larger must issue the pinned
 * number of statements (one per relation the query touches), and the smaller no more; a gateway
 * with compiled reads answers the same with no more.
 */
import { DEFAULT_LIMITS } from '../../src/hardening/operation-limits';
import { countSql } from '../../src/platform/sql-counter';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';

const compliance = as.staff(['compliance_officer'], 'legal_compliance');

const CASES: Array<{ name: string; statements: number; query: string; rows: (data: any) => number; pages?: [number, number] }> = [
  {
    name: 'orders with customer, items, shipments, events, carriers, payments, cases and their children',
    statements: 15,
    query: `query($n: Int!) { orders(first: $n) { nodes {
      orderNumber status totalAmount shippingAddress { city } customs { hsCodes }
      customer { accountName addresses { city } }
      items { sku quantity attributes { name value } }
      shipments { trackingNumber carrier { name } events { location } }
      paymentVerifications { status provider { name } }
      afterSalesCases { subject messages { body } attachments { sha256 } records { action } }
      platformPartner { name } policyVersion { version }
    } } }`,
    rows: (d) => d.orders.nodes.length,
  },
  {
    name: 'customers with addresses, a page of orders with items, cases with messages, consents, requests, holds',
    statements: 11,
    query: `query($n: Int!) { customers(first: $n, orderBy: CREATED_AT_ASC) { nodes {
      accountName addresses { city }
      orders(first: 5) { nodes { orderNumber items { sku } } pageInfo { hasNextPage } }
      afterSalesCases(first: 5) { nodes { subject messages { body } } }
      consentGrants { purpose grantee { name } } preferenceConsents { category granted }
      privacyRequests { type } legalHolds { caseReference }
    } } }`,
    rows: (d) => d.customers.nodes.length,
  },
  {
    name: "a carrier's manifest: shipments with order, recipient, items and events",
    statements: 5,
    query: `query($n: Int!) { shipments(first: $n) { nodes {
      trackingNumber status carrier { name } events { description }
      order { orderNumber shippingAddress { recipientName line1 city postalCode country phone } items { sku productName quantity } }
    } } }`,
    rows: (d) => d.shipments.nodes.length,
  },
  {
    name: 'payment verifications with order and provider',
    statements: 3,
    query: `query($n: Int!) { paymentVerifications(first: $n) { nodes { amount status order { orderNumber totalAmount } provider { name } } } }`,
    rows: (d) => d.paymentVerifications.nodes.length,
  },
  {
    name: 'after-sales cases with customer, order, messages, attachments and records',
    statements: 6,
    query: `query($n: Int!) { afterSalesCases(first: $n) { nodes { subject customer { email } order { orderNumber } messages { body } attachments { kind } records { action } } } }`,
    rows: (d) => d.afterSalesCases.nodes.length,
  },
  {
    name: 'privacy requests with customer',
    statements: 2,
    query: `query($n: Int!) { privacyRequests(first: $n) { nodes { type status customer { accountName } } } }`,
    rows: (d) => d.privacyRequests.nodes.length,
    pages: [2, 100],
  },
];

describe('N+1 guards: SQL statements per operation do not grow with the page size', () => {
  let db: TestDatabase;
  let execute: (q: string, c: typeof compliance, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  let executePlain: typeof execute;
  let gateways: Gateway[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, customers: 400, progress: false });
    // These operations are deliberately large (pages of 100 with every relation): the cost limit
    // is raised so what is measured is the loaders, not the limit.
    const compiled = await createTestGateway(db, { limits: { ...DEFAULT_LIMITS, maxCost: 1_000_000 } });
    const plain = await createTestGateway(db, { limits: { ...DEFAULT_LIMITS, maxCost: 1_000_000 }, compiledReads: false });
    ({ execute } = compiled);
    executePlain = plain.execute;
    gateways = [compiled.gateway, plain.gateway];
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.stop();
    await db.drop();
  });

  it.each(CASES)('$name', async ({ query, statements, rows, pages = [20, 100] }) => {
    // The loaders, on graphql-js (a compiled read, where there is one, reads the operation in fewer).
    const small = await countSql(() => executePlain(query, compliance, { n: pages[0] }));
    const large = await countSql(() => executePlain(query, compliance, { n: pages[1] }));
    expect(small.result.errors).toBeUndefined();
    expect(large.result.errors).toBeUndefined();
    expect(rows(large.result.data)).toBeGreaterThan(rows(small.result.data));
    // One statement per relation touched: the page of 100 touches every relation; the page of 20
    // may skip one whose parents all happen to be empty, but never needs more.
    expect(large.sql.count).toBe(statements);
    expect(small.sql.count).toBeLessThanOrEqual(statements);
    const compiled = await countSql(() => execute(query, compliance, { n: pages[1] }));
    expect(compiled.result).toEqual(large.result);
    expect(compiled.sql.count).toBeLessThanOrEqual(statements);
  });

  it("the demo customer's 20 orders with items, shipments and cases is a fixed handful of statements", async () => {
    const query = `query($id: ID!) { customer(id: $id) { accountName
      orders(first: 20) { nodes { orderNumber items { sku } shipments { trackingNumber events { location } } paymentVerifications { status } } }
      afterSalesCases(first: 20) { nodes { subject messages { body } } } } }`;
    // On graphql-js, one statement per relation; compiled (scans included), one for the root field.
    const { result, sql } = await countSql(() => executePlain(query, compliance, { id: DEMO_IDS.demoCustomer }));
    expect(result.errors).toBeUndefined();
    expect(result.data!.customer.orders.nodes).toHaveLength(20);
    expect(sql.count).toBe(8);
    const compiled = await countSql(() => execute(query, compliance, { id: DEMO_IDS.demoCustomer }));
    expect(compiled.result).toEqual(result);
    expect(compiled.sql.count).toBe(1);
  });
});
