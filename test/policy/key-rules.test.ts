/**
 * The rules that matter most, written out by hand: what a carrier, a payment provider, a
 * platform, a customer, a third party and staff see — rows and fields — and that a row outside
 * the caller's scope cannot be told from a row that does not exist.
 */
import type { Caller } from '../../src/policy/principal';
import { countSql } from '../../src/platform/sql-counter';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';

const [carrierA, carrierB] = DEMO_IDS.logisticsPartners;
const [providerA] = DEMO_IDS.paymentProviders;
const RANDOM_ID = '5b0c4a1e-9d7f-4c2b-8e3a-1f2d3c4b5a69';

const thirdParty: Caller = as.thirdParty();

/** Not disclosed: FORBIDDEN naming the coordinate, or (partners) a validation error for the whole operation. */
function expectNotDisclosed(r: ExecuteResult, coordinate: string): void {
  const codes = (r.errors ?? []).map((e) => e.extensions?.code);
  if (codes.includes('GRAPHQL_VALIDATION_FAILED')) {
    expect(r.data ?? null).toBeNull();
    return;
  }
  expect(r.errors?.some((e) => e.extensions?.code === 'FORBIDDEN' && e.message.endsWith(coordinate))).toBe(true);
}

describe('key disclosure rules', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  const q = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('a logistics partner', () => {
    const carrier = as.logistics(carrierA);

    it("lists exactly its own shipments, with the recipient's name, address and phone from the shipping snapshot", async () => {
      const r = await execute(
        `{ shipments(first: 100) { nodes { id order { id shippingAddress { recipientName line1 city postalCode country phone } } } } }`,
        carrier,
      );
      expect(r.errors).toBeUndefined();
      const own = await q<{ id: string }>(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, [carrierA]);
      expect(r.data!.shipments.nodes.map((n: any) => n.id)).toEqual(own.map((s) => s.id));
      const first = r.data!.shipments.nodes[0];
      const [snapshot] = await q(`SELECT ship_recipient_name, ship_line1, ship_city, ship_postal_code, ship_country, ship_phone FROM "order" WHERE id = $1`, [first.order.id]);
      expect(first.order.shippingAddress).toEqual({
        recipientName: snapshot.ship_recipient_name,
        line1: snapshot.ship_line1,
        city: snapshot.ship_city,
        postalCode: snapshot.ship_postal_code,
        country: snapshot.ship_country,
        phone: snapshot.ship_phone,
      });
    });

    it('sees only its own shipment of an order split across two carriers', async () => {
      const [split] = await q<{ order_id: string }>(
        `SELECT order_id FROM shipment GROUP BY order_id HAVING bool_or(logistics_partner_id = $1) AND bool_or(logistics_partner_id = $2) LIMIT 1`,
        [carrierA, carrierB],
      );
      const r = await execute(`query($id: ID!) { order(id: $id) { shipments { carrier { id } } } }`, carrier, { id: split.order_id });
      expect(r.data!.order.shipments.map((s: any) => s.carrier.id)).toEqual([carrierA]);
    });

    it.each([
      ['the account holder', '{ shipments(first: 1) { nodes { order { customer { email } } } } }', 'Order.customer'],
      ['the order total', '{ shipments(first: 1) { nodes { order { totalAmount } } } }', 'Order.totalAmount'],
      ['unit prices', '{ shipments(first: 1) { nodes { order { items { unitPrice } } } } }', 'OrderItem.unitPrice'],
      ['payments', '{ shipments(first: 1) { nodes { order { paymentVerifications { status } } } } }', 'Order.paymentVerifications'],
      ['after-sales cases', '{ shipments(first: 1) { nodes { order { afterSalesCases { subject } } } } }', 'Order.afterSalesCases'],
    ])('is not shown %s', async (_label, query, coordinate) => {
      expectNotDisclosed(await execute(query, carrier), coordinate);
    });
  });

  it('a filter is refused when it would reveal a field the caller may not see: unknown to a partner, refused to staff', async () => {
    const byStatus = `{ orders(first: 5, filter: { statuses: [SHIPPED] }) { nodes { orderNumber } } }`;
    const carrier = await execute(byStatus, as.logistics(carrierA));
    expect(carrier.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['GRAPHQL_VALIDATION_FAILED', 'Unknown argument "filter" on field "Query.orders".']]);
    const fulfillment = await execute(byStatus, as.staff(['fulfillment'], 'fulfillment'));
    expect(fulfillment.errors?.map((e) => [e.extensions?.code, e.message, e.path])).toEqual([
      ['FORBIDDEN', 'filter.statuses: not available to this caller for this purpose', ['orders']],
    ]);
    expect(fulfillment.data).toBeNull();
    const service = await execute(byStatus, as.staff(['customer_service'], 'after_sales'));
    expect(service.errors).toBeUndefined();
    expect(service.data!.orders.nodes.length).toBeGreaterThan(0);
  });

  it('a list sorted by a field the caller may not see comes in id order instead', async () => {
    const r = await execute(`{ orders(first: 100) { nodes { id } } }`, as.logistics(carrierA));
    const own = await q<{ id: string }>(
      `SELECT id FROM "order" o WHERE EXISTS (SELECT 1 FROM shipment s WHERE s.order_id = o.id AND s.logistics_partner_id = $1) ORDER BY id LIMIT 100`,
      [carrierA],
    );
    expect(r.data!.orders.nodes.map((n: any) => n.id)).toEqual(own.map((o) => o.id));
  });

  describe('a payment provider', () => {
    const psp = as.payment(providerA);

    it('lists exactly its own verifications, with settlement data', async () => {
      const r = await execute(`{ paymentVerifications(first: 100) { nodes { id providerReference settlementBatchRef amount order { orderNumber } } } }`, psp);
      expect(r.errors).toBeUndefined();
      const own = await q<{ id: string }>(`SELECT id FROM payment_verification WHERE provider_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, [providerA]);
      expect(r.data!.paymentVerifications.nodes.map((n: any) => n.id)).toEqual(own.map((p) => p.id));
      expect(r.data!.paymentVerifications.nodes.every((n: any) => typeof n.providerReference === 'string' && n.order.orderNumber)).toBe(true);
    });

    it.each([
      ['the shipping address', '{ paymentVerifications(first: 1) { nodes { order { shippingAddress { line1 } } } } }', 'Order.shippingAddress'],
      ['what was bought', '{ paymentVerifications(first: 1) { nodes { order { items { sku } } } } }', 'Order.items'],
      ['the customer', '{ paymentVerifications(first: 1) { nodes { order { customer { accountName } } } } }', 'Order.customer'],
    ])('is not shown %s', async (_label, query, coordinate) => {
      expectNotDisclosed(await execute(query, psp), coordinate);
    });
  });

  it('a platform operator sees only the orders sold through it', async () => {
    const r = await execute(`{ orders(first: 100) { nodes { id status totalAmount } } }`, as.platform(DEMO_IDS.platformOperator));
    const own = await q<{ id: string }>(`SELECT id FROM "order" WHERE platform_partner_id = $1 ORDER BY placed_at DESC, id DESC LIMIT 100`, [DEMO_IDS.platformOperator]);
    expect(own.length).toBeGreaterThan(0);
    expect(r.data!.orders.nodes.map((n: any) => n.id)).toEqual(own.map((o) => o.id));
  });

  it('staff in fulfillment see only orders that are paid and not yet delivered', async () => {
    const r = await execute(`{ orders(first: 100) { nodes { orderNumber shippingAddress { city } } } }`, as.staff(['fulfillment'], 'fulfillment'));
    const numbers = r.data!.orders.nodes.map((n: any) => n.orderNumber);
    const statuses = await q<{ status: string }>(`SELECT DISTINCT status FROM "order" WHERE order_number = ANY($1)`, [numbers]);
    expect(statuses.map((s) => s.status).sort()).toEqual(['packed', 'paid', 'shipped']);
  });

  it("a fraud analyst sees the customer's email masked, and nothing else of the customer", async () => {
    const r = await execute(`query($id: ID!) { customer(id: $id) { email accountName phone } }`, as.staff(['fraud_analyst'], 'fraud_prevention'), { id: DEMO_IDS.demoCustomer });
    expect(r.data!.customer).toEqual({ email: 'j•••@example.com', accountName: null, phone: null });
    expect(r.errors!.map((e) => e.path!.join('.')).sort()).toEqual(['customer.accountName', 'customer.phone']);
  });

  it('customer service may not see the emergency contact when working on fulfillment, but may for after-sales', async () => {
    const query = `query($id: ID!) { customer(id: $id) { emergencyContactName } }`;
    const fulfillment = await execute(query, as.staff(['customer_service'], 'fulfillment'), { id: DEMO_IDS.demoCustomer });
    expectNotDisclosed(fulfillment, 'Customer.emergencyContactName');
    const afterSales = await execute(query, as.staff(['customer_service'], 'after_sales'), { id: DEMO_IDS.demoCustomer });
    expect(afterSales.errors).toBeUndefined();
  });

  it('a customer sees their own orders only', async () => {
    const r = await execute(`{ orders(first: 100) { nodes { id } } }`, as.customer(DEMO_IDS.demoCustomer));
    const own = await q<{ id: string }>(`SELECT id FROM "order" WHERE customer_id = $1 ORDER BY placed_at DESC, id DESC`, [DEMO_IDS.demoCustomer]);
    expect(r.data!.orders.nodes.map((n: any) => n.id)).toEqual(own.map((o) => o.id));
  });

  it("a third party sees what the grant names about the granting customer, and nothing else", async () => {
    const r = await execute(`query($id: ID!) { customer(id: $id) { accountName orders(first: 2) { nodes { orderNumber status } } } }`, thirdParty, { id: DEMO_IDS.demoCustomer });
    expect(r.errors).toBeUndefined();
    expect(r.data!.customer.accountName).toBe('Jordan Demo');
    expectNotDisclosed(await execute(`query($id: ID!) { customer(id: $id) { email } }`, thirdParty, { id: DEMO_IDS.demoCustomer }), 'Customer.email');
    expectNotDisclosed(await execute(`{ orders(first: 1) { nodes { totalAmount } } }`, thirdParty), 'Order.totalAmount');
    const others = await execute(`{ customers(first: 100) { nodes { id } } }`, thirdParty);
    expect(others.data!.customers.nodes.map((n: any) => n.id)).toEqual([DEMO_IDS.demoCustomer]);
  });

  describe('a row outside the scope is indistinguishable from one that does not exist', () => {
    const BY_ID: Array<[string, string, string]> = [
      ['customer', 'customer', 'SELECT id FROM customer WHERE id <> $1 LIMIT 1'],
      ['order', 'order', `SELECT id FROM "order" WHERE customer_id <> $1 AND (platform_partner_id IS NULL OR platform_partner_id <> '${DEMO_IDS.platformOperator}') AND NOT EXISTS (SELECT 1 FROM shipment s WHERE s.order_id = "order".id AND s.logistics_partner_id = '${carrierA}') AND NOT EXISTS (SELECT 1 FROM payment_verification p WHERE p.order_id = "order".id AND p.provider_id = '${providerA}') AND "order".payment_provider_id IS DISTINCT FROM '${providerA}' LIMIT 1`],
      ['shipment', 'shipment', `SELECT s.id FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE s.logistics_partner_id <> '${carrierA}' AND o.customer_id <> $1 LIMIT 1`],
      ['paymentVerification', 'paymentVerification', `SELECT p.id FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE p.provider_id <> '${providerA}' AND o.customer_id <> $1 AND (o.platform_partner_id IS NULL) LIMIT 1`],
      ['afterSalesCase', 'afterSalesCase', 'SELECT id FROM after_sales_case WHERE customer_id <> $1 LIMIT 1'],
    ];
    const CALLERS: Array<[string, Caller]> = [
      ['logistics partner', as.logistics(carrierA)],
      ['payment provider', as.payment(providerA)],
      ['platform operator', as.platform(DEMO_IDS.platformOperator)],
      ['customer', as.customer(DEMO_IDS.demoCustomer)],
      ['third party', thirdParty],
    ];
    const cases = CALLERS.flatMap(([who, caller]) => BY_ID.map(([field, label, sql]) => ({ who, caller, field, label, sql })));

    it.each(cases)('$who asking $label(id) of a foreign row', async ({ caller, field, sql }) => {
      const [row] = await q<{ id: string }>(sql, [DEMO_IDS.demoCustomer]);
      expect(row).toBeDefined();
      const query = `query($id: ID!) { ${field}(id: $id) { id } }`;
      const foreign = await countSql(() => execute(query, caller, { id: row.id }));
      const missing = await countSql(() => execute(query, caller, { id: RANDOM_ID }));
      expect(JSON.stringify(foreign.result)).toBe(JSON.stringify(missing.result));
      expect(foreign.sql.statements).toEqual(missing.sql.statements);
    });
  });

  describe('the same field gets the same decision whatever the path', () => {
    const carrier = as.logistics(carrierA);
    it('a carrier reading the recipient phone: root by id, connection, nested, aliased, fragment, inline fragment', async () => {
      const [{ id: shipmentId, order_id: orderId }] = await q(`SELECT id, order_id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [carrierA]);
      const [{ ship_phone: phone }] = await q(`SELECT ship_phone FROM "order" WHERE id = $1`, [orderId]);
      const reads: Array<[string, (d: any) => unknown]> = [
        [`{ order(id: "${orderId}") { shippingAddress { phone } } }`, (d) => d.order.shippingAddress.phone],
        [`{ shipment(id: "${shipmentId}") { order { shippingAddress { phone } } } }`, (d) => d.shipment.order.shippingAddress.phone],
        [`{ shipments(first: 100) { nodes { id order { shippingAddress { phone } } } } }`, (d) => d.shipments.nodes.find((n: any) => n.id === shipmentId).order.shippingAddress.phone],
        [`{ a: order(id: "${orderId}") { s: shippingAddress { p: phone } } }`, (d) => d.a.s.p],
        [`{ order(id: "${orderId}") { ...O } } fragment O on Order { shippingAddress { ...A } } fragment A on ShippingAddress { phone }`, (d) => d.order.shippingAddress.phone],
        [`{ order(id: "${orderId}") { ... on Order { shippingAddress { ... on ShippingAddress { phone } } } } }`, (d) => d.order.shippingAddress.phone],
      ];
      for (const [query, read] of reads) {
        const r = await execute(query, carrier);
        expect(r.errors).toBeUndefined();
        expect(read(r.data)).toBe(phone);
      }
    });

    it('a fraud analyst reading an email: masked by every path', async () => {
      const fraud = as.staff(['fraud_analyst'], 'fraud_prevention');
      const [{ id: orderId }] = await q(`SELECT id FROM "order" WHERE customer_id = $1 LIMIT 1`, [DEMO_IDS.demoCustomer]);
      const reads: Array<[string, (d: any) => unknown]> = [
        [`{ customer(id: "${DEMO_IDS.demoCustomer}") { email } }`, (d) => d.customer.email],
        [`{ order(id: "${orderId}") { customer { email } } }`, (d) => d.order.customer.email],
        [`{ x: order(id: "${orderId}") { y: customer { z: email } } }`, (d) => d.x.y.z],
        [`{ order(id: "${orderId}") { customer { ...C } } } fragment C on Customer { email }`, (d) => d.order.customer.email],
        [`{ order(id: "${orderId}") { ... on Order { customer { ... on Customer { email } } } } }`, (d) => d.order.customer.email],
      ];
      for (const [query, read] of reads) {
        expect(read((await execute(query, fraud)).data)).toBe('j•••@example.com');
      }
    });

    it('customer service on fulfillment: the emergency contact is denied by every path', async () => {
      const cs = as.staff(['customer_service'], 'fulfillment');
      const [{ id: orderId }] = await q(`SELECT id FROM "order" WHERE customer_id = $1 LIMIT 1`, [DEMO_IDS.demoCustomer]);
      for (const query of [
        `{ customer(id: "${DEMO_IDS.demoCustomer}") { emergencyContactPhone } }`,
        `{ order(id: "${orderId}") { customer { emergencyContactPhone } } }`,
        `{ customers(first: 3) { nodes { e: emergencyContactPhone } } }`,
        `{ order(id: "${orderId}") { customer { ...C } } } fragment C on Customer { emergencyContactPhone }`,
        `{ order(id: "${orderId}") { customer { ... on Customer { emergencyContactPhone } } } }`,
      ]) {
        const r = await execute(query, cs);
        expect(JSON.stringify(r.data)).not.toMatch(/\+\d/);
        expectNotDisclosed(r, 'Customer.emergencyContactPhone');
      }
    });
  });
});

describe('operations the field rules would not change', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('answer exactly as they do alongside a denied field that sends them through the rules', async () => {
    const allowed = 'shipments(first: 20) { nodes { id trackingNumber order { orderNumber shippingAddress { recipientName phone } items { productName quantity } } } }';
    const service = as.staff(['customer_service'], 'fulfillment');
    const fast = await execute(`{ ${allowed} }`, service);
    const ruled = await execute(`{ ${allowed} customer(id: "${DEMO_IDS.demoCustomer}") { emergencyContactName } }`, service);
    expect(fast.errors).toBeUndefined();
    expect(ruled.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(ruled.data!.shipments).toEqual(fast.data!.shipments);
  });
});
