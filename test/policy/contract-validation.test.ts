/**
 * An external audience's operations are validated against its contract: a field outside it is a
 * GRAPHQL_VALIDATION_FAILED error (HTTP 400) that is byte-for-byte the error for a field that
 * exists nowhere — so a partner cannot learn what the full schema holds.
 */
import type { Caller } from '../../src/policy/principal';
import { AuthenticationError } from '../../src/auth/authentication-error';
import { createLogger } from '../../src/platform/logger';
import { BoundedCache } from '../../src/platform/bounded-cache';
import { MIXED_INTROSPECTION_MESSAGE } from '../../src/enforcement/contract-plugin';
import { buildContract } from '../../src/policy/contracts';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createGateway, type Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, TEST_SECRETS, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';

const [carrierA] = DEMO_IDS.logisticsPartners;
const [providerA] = DEMO_IDS.paymentProviders;
const carrier = as.logistics(carrierA);

type Execute = (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;

function executor(gateway: Gateway): (q: string, c: Caller, v?: Record<string, unknown>) => Promise<{ status: number | undefined; body: ExecuteResult }> {
  return async (query, caller, variables) => {
    const response = await gateway.execute(query, caller, variables);
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { status: response.http.status, body: JSON.parse(JSON.stringify(response.body.singleResult)) };
  };
}

/** The response as bytes, with the one name the caller chose replaced, so two responses can be compared whole. */
const bytesWith = (body: ExecuteResult, name: string, stand: string) => JSON.stringify(body).split(name).join(stand);

const validationError = (message: string, line: number, column: number) => ({
  message,
  locations: [{ line, column }],
  extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
});

describe('contract validation', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: Execute;
  let run: ReturnType<typeof executor>;
  let shipmentId: string;
  let orderId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
    run = executor(gateway);
    [{ id: shipmentId, order_id: orderId }] = await db.dataSource.query(
      `SELECT id, order_id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`,
      [carrierA],
    );
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('a logistics partner', () => {
    it.each([
      ['Order.customer', `query($id: ID!) { order(id: $id) { customer { id } } }`, 'customer', 'Order'],
      ['Order.customer through a shipment', `query($id: ID!) { shipment(id: $id) { order { customer { email } } } }`, 'customer', 'Order'],
      ['Customer.email through the root', `query($id: ID!) { customer(id: $id) { email } }`, 'customer', 'Query'],
      ['PaymentVerification through an order', `query($id: ID!) { order(id: $id) { paymentVerifications { id settlementBatchRef } } }`, 'paymentVerifications', 'Order'],
      ['PaymentVerification through the root', `query($id: ID!) { paymentVerification(id: $id) { id } }`, 'paymentVerification', 'Query'],
      ['PaymentVerification list', `query { paymentVerifications(first: 1) { nodes { amount } } }`, 'paymentVerifications', 'Query'],
      ['Order.totalAmount', `query($id: ID!) { order(id: $id) { totalAmount } }`, 'totalAmount', 'Order'],
    ])('asking for %s gets a validation error, HTTP 400, identical to one for a field that exists nowhere', async (_label, query, hidden, parent) => {
      const variables = query.includes('$id') ? { id: orderId } : undefined;
      const stand = 'zzzNoSuchFieldzzz';
      const real = await run(query, carrier, variables);
      const fake = await run(query.replace(hidden, stand), carrier, variables);
      expect(real.status).toBe(400);
      expect(fake.status).toBe(400);
      expect(real.body.data).toBeUndefined();
      expect(real.body.errors).toHaveLength(1);
      expect(real.body.errors![0].message).toBe(`Cannot query field "${hidden}" on type "${parent}".`);
      expect(real.body.errors![0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(bytesWith(real.body, hidden, stand)).toBe(JSON.stringify(fake.body));
    });

    it('gets the byte-identical response for Order.customer and Order.nonsense, the names aside', async () => {
      const real = await execute(`query($id: ID!) { shipment(id: $id) { order { customer { id } } } }`, carrier, { id: shipmentId });
      const fake = await execute(`query($id: ID!) { shipment(id: $id) { order { nonsense { id } } } }`, carrier, { id: shipmentId });
      expect(real).toEqual({ errors: [validationError('Cannot query field "customer" on type "Order".', 1, 47)] });
      expect(fake).toEqual({ errors: [validationError('Cannot query field "nonsense" on type "Order".', 1, 47)] });
    });

    it('is answered from the contract also when the full schema rejects the operation, naming nothing outside the contract', async () => {
      // The full schema would say `Cannot query field "nonsense" on type "Customer".` and so reveal Customer.
      const nested = await execute(`{ order(id: "x") { customer { nonsense } } }`, carrier);
      expect(nested).toEqual({ errors: [validationError('Cannot query field "customer" on type "Order".', 1, 20)] });
      // ... or `Field "customer" of type "Customer" must have a selection of subfields`.
      const leaf = await execute(`{ order(id: "x") { customer } }`, carrier);
      expect(leaf).toEqual({ errors: [validationError('Cannot query field "customer" on type "Order".', 1, 20)] });
      // ... or `... objects of type "Shipment" can never be of type "Customer"`.
      const spread = await execute(`{ shipments(first: 1) { nodes { ...F } } } fragment F on Customer { email }`, carrier);
      const spreadFake = await execute(`{ shipments(first: 1) { nodes { ...F } } } fragment F on Nonsense { email }`, carrier);
      expect(spread).toEqual({ errors: [validationError('Unknown type "Customer".', 1, 58)] });
      expect(bytesWith(spread, 'Customer', 'Nonsense')).toBe(JSON.stringify(spreadFake));
      const inline = await execute(`{ shipments(first: 1) { nodes { ... on PaymentVerification { amount } } } }`, carrier);
      const inlineFake = await execute(`{ shipments(first: 1) { nodes { ... on NoSuchTypeAnywhere1 { amount } } } }`, carrier);
      expect(inline.errors?.map((e) => e.message)).toEqual(['Unknown type "PaymentVerification".']);
      expect(bytesWith(inline, 'PaymentVerification', 'NoSuchTypeAnywhere1')).toBe(JSON.stringify(inlineFake));
    });

    it('reports every field outside the contract, whichever schema rejected the operation first', async () => {
      const bothHidden = await execute(`query($id: ID!) { order(id: $id) { customer { id } totalAmount } }`, carrier, { id: orderId });
      expect(bothHidden.errors?.map((e) => e.message)).toEqual([
        'Cannot query field "customer" on type "Order".',
        'Cannot query field "totalAmount" on type "Order".',
      ]);
      const hiddenAndUnknown = await execute(`query($id: ID!) { order(id: $id) { customer { id } nonsense } }`, carrier, { id: orderId });
      expect(hiddenAndUnknown.errors?.map((e) => e.message)).toEqual([
        'Cannot query field "customer" on type "Order".',
        'Cannot query field "nonsense" on type "Order".',
      ]);
    });

    it('suggests nothing, not even names inside the contract', async () => {
      const r = await execute(`{ shipments(first: 1) { nodes { trackingNumbr } } }`, carrier);
      expect(r).toEqual({ errors: [validationError('Cannot query field "trackingNumbr" on type "Shipment".', 1, 33)] });
    });

    it('gets the same answer the second time, when Apollo has the document cached', async () => {
      const query = `query($id: ID!) { order(id: $id) { orderNumber customer { id } } }`;
      const first = await execute(query, carrier, { id: orderId });
      const second = await execute(query, carrier, { id: orderId });
      expect(second).toEqual(first);
      expect(first.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    });

    it('still runs an operation the contract allows', async () => {
      const r = await execute(
        `query($id: ID!) { shipment(id: $id) { id trackingNumber carrier { id } order { id orderNumber shippingAddress { recipientName city phone } items { productName quantity } } } }`,
        carrier,
        { id: shipmentId },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.shipment.id).toBe(shipmentId);
      expect(r.data!.shipment.order.id).toBe(orderId);
      expect(typeof r.data!.shipment.order.shippingAddress.recipientName).toBe('string');
    });

    it('may still call its writes', async () => {
      const r = await execute(
        `mutation($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { id trackingNumber } }`,
        carrier,
        { input: { shipmentId, trackingNumber: 'CONTRACT-TEST-1' } },
      );
      expect(r).toEqual({ data: { recordShipmentTracking: { id: shipmentId, trackingNumber: 'CONTRACT-TEST-1' } } });
    });

    it("may not call another audience's write: it is unknown", async () => {
      const r = await execute(`mutation { recordPaymentResult(input: { orderId: "x" }) { id } }`, carrier);
      expect(r).toEqual({ errors: [validationError('Cannot query field "recordPaymentResult" on type "Mutation".', 1, 12)] });
    });
  });

  it('holds a payment provider to its own contract', async () => {
    const settlement = await execute(`{ paymentVerifications(first: 1) { nodes { settlementBatchRef order { orderNumber } } } }`, as.payment(providerA));
    expect(settlement.errors).toBeUndefined();
    const shipments = await execute(`{ shipments(first: 1) { nodes { id } } }`, as.payment(providerA));
    expect(shipments).toEqual({ errors: [validationError('Cannot query field "shipments" on type "Query".', 1, 3)] });
  });

  it('leaves staff to the field rules: no contract, the full schema', async () => {
    const r = await execute(`query($id: ID!) { order(id: $id) { customer { id } } }`, as.staff(['customer_service'], 'after_sales'), { id: orderId });
    expect(r.errors).toBeUndefined();
    expect(r.data!.order.customer.id).toEqual(expect.any(String));
  });

  it('refuses introspection outside development, for partners as for everyone', async () => {
    const partner = await execute(`{ __schema { types { name } } }`, carrier);
    const staff = await execute(`{ __schema { types { name } } }`, as.staff(['compliance_officer'], 'legal_compliance'));
    expect(partner.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(partner).toEqual(staff);
  });

  describe('in development, with introspection on', () => {
    let dev: Gateway;
    let devRun: ReturnType<typeof executor>;
    beforeAll(async () => {
      dev = await createGateway({
        dataSource: db.dataSource,
        logger: createLogger('silent'),
        secrets: TEST_SECRETS,
        authenticate: async () => {
          throw new AuthenticationError('in-process tests pass callers directly');
        },
        development: true,
      });
      devRun = executor(dev);
    });
    afterAll(() => dev.stop());

    it('shows a partner its contract, and nothing else', async () => {
      const r = await devRun(`{ __schema { types { name } } }`, carrier);
      const names = (r.body.data!.__schema.types as Array<{ name: string }>).map((t) => t.name).filter((n) => !n.startsWith('__')).sort();
      const contract = buildContract(await buildGatewaySchema(), 'logistics_partner');
      expect(names).toEqual(Object.keys(contract.getTypeMap()).filter((n) => !n.startsWith('__')).sort());
      expect(names).not.toContain('Customer');
      const type = await devRun(`{ order: __type(name: "Order") { fields { name } } customer: __type(name: "Customer") { name } }`, carrier);
      expect(type.body.data!.customer).toBeNull();
      expect(type.body.data!.order.fields.map((f: { name: string }) => f.name)).not.toContain('customer');
    });

    it('refuses introspection mixed with data for a partner', async () => {
      const r = await devRun(`{ __schema { queryType { name } } shipments(first: 1) { nodes { id } } }`, carrier);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ errors: [{ message: MIXED_INTROSPECTION_MESSAGE, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    });

    it('suggests nothing from the full schema either: a near miss of a hidden field reads like any unknown field', async () => {
      const r = await devRun(`query($id: ID!) { order(id: $id) { custome { id } } }`, carrier, { id: orderId });
      expect(r.body).toEqual({ errors: [validationError('Cannot query field "custome" on type "Order".', 1, 36)] });
    });
  });
});

describe('the validation cache', () => {
  it('keeps at most its limit, forgetting the least recently used first', () => {
    const cache = new BoundedCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });
});
