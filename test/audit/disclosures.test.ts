/**
 * Every principal kind runs operations, and the audit event each one wrote is checked against
 * the response it got: `disclosed` / `masked` are the personal-data coordinates that carry a
 * value in the response, `denied` the coordinates of its FORBIDDEN errors, `subjectIds` the
 * customers whose data appeared (looked up from what the response shows), plus the caller,
 * purpose, operation, outcome and error codes. Never a field value.
 */
import type { Caller } from '../../src/policy/principal';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { verifyAuditLog } from '../../src/audit/verify';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { callers, customersOfOrders, lastEvent, operationHash, run, type Outcome } from './audit-harness';

const [carrierA] = DEMO_IDS.logisticsPartners;
const [providerA] = DEMO_IDS.paymentProviders;
const demo = DEMO_IDS.demoCustomer;

/** `coordinate` when some value in `values` is not null (an empty list counts as no value). */
const ifAny = (coordinate: string, values: unknown[]): string[] =>
  values.some((v) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) ? [coordinate] : [];

/** The coordinates FORBIDDEN errors name in their message ("...: Type.field"), sorted. */
const forbiddenCoordinates = (r: Outcome): string[] =>
  [...new Set((r.errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => /: (\w+\.\w+)$/.exec(e.message)![1]!))].sort();

interface Expected {
  disclosed: string[];
  masked?: string[];
  denied?: string[];
  subjects: string[];
  outcome: 'ok' | 'partial' | 'denied' | 'error';
  errorCodes?: string[];
}

interface Case {
  name: string;
  caller: () => Caller;
  query: string;
  variables?: () => Record<string, unknown>;
  legalCase?: string;
  operationType?: 'query' | 'mutation';
  expect: (r: Outcome, db: TestDatabase) => Promise<Expected>;
}

let db: TestDatabase;
let gateway: Gateway;
let shipmentOfCarrierA: { id: string; customerId: string };

const CASES: Case[] = [
  {
    name: "logistics partner: its manifest with recipients, addresses, items and customs",
    caller: () => callers.logistics(carrierA),
    query: `query Manifest { shipments(first: 5) { nodes { id trackingNumber status order { orderNumber
      shippingAddress { recipientName line1 line2 city postalCode country phone } items { productName quantity } customs { contents hsCodes } } } } }`,
    async expect(r, db) {
      const nodes = r.data!.shipments.nodes;
      const orders = nodes.map((n: any) => n.order);
      return {
        disclosed: [
          ...ifAny('CustomsDeclaration.contents', orders.map((o: any) => o.customs.contents)),
          ...ifAny('CustomsDeclaration.hsCodes', orders.map((o: any) => o.customs.hsCodes)),
          'Order.orderNumber',
          'OrderItem.productName',
          'OrderItem.quantity',
          'Shipment.status',
          ...ifAny('Shipment.trackingNumber', nodes.map((n: any) => n.trackingNumber)),
          'ShippingAddress.city',
          'ShippingAddress.country',
          'ShippingAddress.line1',
          ...ifAny('ShippingAddress.line2', orders.map((o: any) => o.shippingAddress.line2)),
          'ShippingAddress.phone',
          'ShippingAddress.postalCode',
          'ShippingAddress.recipientName',
        ],
        subjects: await customersOfOrders(db.dataSource, orders.map((o: any) => o.orderNumber)),
        outcome: 'ok',
      };
    },
  },
  {
    name: 'logistics partner: a field outside its contract is a validation error, and nothing is disclosed',
    caller: () => callers.logistics(carrierA),
    query: `{ shipments(first: 5) { nodes { id order { totalAmount } } } }`,
    async expect() {
      return { disclosed: [], subjects: [], outcome: 'error', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] };
    },
  },
  {
    name: 'payment provider: its payments with their orders',
    caller: () => callers.payment(providerA),
    query: `{ paymentVerifications(first: 5) { nodes { id providerReference amount currency status order { orderNumber totalAmount } } } }`,
    async expect(r, db) {
      const nodes = r.data!.paymentVerifications.nodes;
      return {
        disclosed: ['Order.orderNumber', 'Order.totalAmount', 'PaymentVerification.amount', 'PaymentVerification.currency', 'PaymentVerification.providerReference', 'PaymentVerification.status'],
        subjects: await customersOfOrders(db.dataSource, nodes.map((n: any) => n.order.orderNumber)),
        outcome: 'ok',
      };
    },
  },
  {
    name: 'payment provider: a settlement page whose rows repeat customers names each customer once',
    caller: () => callers.payment(providerA),
    query: `query Settlements { paymentVerifications(first: 50) { nodes { providerReference amount settledAt order { orderNumber } } } }`,
    async expect(r, db) {
      const nodes = r.data!.paymentVerifications.nodes;
      const subjects = await customersOfOrders(db.dataSource, nodes.map((n: any) => n.order.orderNumber));
      // The page must repeat a customer for this case to say anything.
      expect(subjects.length).toBeLessThan(nodes.length);
      return {
        disclosed: ['Order.orderNumber', 'PaymentVerification.amount', 'PaymentVerification.providerReference', ...ifAny('PaymentVerification.settledAt', nodes.map((n: any) => n.settledAt))],
        subjects,
        outcome: 'ok',
      };
    },
  },
  {
    name: 'platform operator: the orders sold through it',
    caller: () => callers.platform(DEMO_IDS.platformOperator),
    query: `{ orders(first: 5) { nodes { id orderNumber status totalAmount currency } } }`,
    async expect(r, db) {
      return {
        disclosed: ['Order.currency', 'Order.orderNumber', 'Order.status', 'Order.totalAmount'],
        subjects: await customersOfOrders(db.dataSource, r.data!.orders.nodes.map((n: any) => n.orderNumber)),
        outcome: 'ok',
      };
    },
  },
  {
    name: "third party: what the customer's grant names, about that customer",
    caller: callers.thirdParty,
    query: `query Shared($id: ID!) { customer(id: $id) { accountName orders(first: 3) { nodes { orderNumber status } } } }`,
    variables: () => ({ id: demo }),
    async expect() {
      return { disclosed: ['Customer.accountName', 'Order.orderNumber', 'Order.status'], subjects: [demo], outcome: 'ok' };
    },
  },
  {
    name: 'customer: their own account, orders and deliveries',
    caller: () => callers.customer(demo),
    query: `query Mine($id: ID!) { customer(id: $id) { accountName email } orders(first: 3) { nodes { orderNumber totalAmount shipments { status } } } }`,
    variables: () => ({ id: demo }),
    async expect(r) {
      const shipments = r.data!.orders.nodes.flatMap((o: any) => o.shipments);
      return {
        disclosed: ['Customer.accountName', 'Customer.email', 'Order.orderNumber', 'Order.totalAmount', ...ifAny('Shipment.status', shipments.map((s: any) => s.status))],
        subjects: [demo],
        outcome: 'ok',
      };
    },
  },
  {
    name: 'customer service: customers with orders and payment status; settlement references are denied',
    caller: () => callers.staff(['customer_service'], 'after_sales'),
    query: `query Service { customers(first: 3) { nodes { id accountName emergencyContactName orders(first: 3) { nodes { orderNumber paymentVerifications { providerReference status } } } } } }`,
    async expect(r) {
      const customers = r.data!.customers.nodes;
      const payments = customers.flatMap((c: any) => c.orders.nodes.flatMap((o: any) => o.paymentVerifications));
      return {
        disclosed: [
          'Customer.accountName',
          ...ifAny('Customer.emergencyContactName', customers.map((c: any) => c.emergencyContactName)),
          'Order.orderNumber',
          ...ifAny('PaymentVerification.status', payments.map((p: any) => p.status)),
        ],
        denied: payments.length > 0 ? ['PaymentVerification.providerReference'] : [],
        subjects: customers.map((c: any) => c.id).sort(),
        outcome: payments.length > 0 ? 'partial' : 'ok',
        errorCodes: payments.map(() => 'FORBIDDEN'),
      };
    },
  },
  {
    name: 'fraud analyst: the email masked, the phone denied',
    caller: () => callers.staff(['fraud_analyst'], 'fraud_prevention'),
    query: `{ orders(first: 3) { nodes { id orderNumber customer { email phone } } } }`,
    async expect(r, db) {
      const nodes = r.data!.orders.nodes;
      return {
        disclosed: ['Order.orderNumber'],
        masked: ['Customer.email'],
        denied: ['Customer.phone'],
        subjects: await customersOfOrders(db.dataSource, nodes.map((n: any) => n.orderNumber)),
        outcome: 'partial',
        errorCodes: nodes.map(() => 'FORBIDDEN'),
      };
    },
  },
  {
    name: 'fulfillment staff: recipients and items of orders to pack',
    caller: () => callers.staff(['fulfillment'], 'fulfillment'),
    query: `{ orders(first: 3) { nodes { orderNumber shippingAddress { recipientName city } items { sku } } } }`,
    async expect(r, db) {
      return {
        disclosed: ['Order.orderNumber', 'OrderItem.sku', 'ShippingAddress.city', 'ShippingAddress.recipientName'],
        subjects: await customersOfOrders(db.dataSource, r.data!.orders.nodes.map((n: any) => n.orderNumber)),
        outcome: 'ok',
      };
    },
  },
  {
    name: 'fraud analyst: desensitized page views name no customer',
    caller: () => callers.staff(['fraud_analyst'], 'fraud_prevention'),
    query: `{ behaviorEvents(first: 3) { nodes { page deviceClass } } }`,
    async expect() {
      return { disclosed: ['BehaviorEvent.deviceClass', 'BehaviorEvent.page'], subjects: [], outcome: 'ok' };
    },
  },
  {
    name: 'data analyst: aggregates name no customer',
    caller: () => callers.staff(['data_analyst'], 'analytics'),
    query: `{ behaviorAggregates(from: "2025-12-01", to: "2025-12-07", groupBy: [DEVICE_CLASS]) { cells { day deviceClass suppressed } } }`,
    async expect() {
      // groupBy reveals the dimension the cells are grouped by (policy/arguments.ts), selected or not.
      return { disclosed: ['BehaviorCell.day', 'BehaviorCell.deviceClass', 'BehaviorCell.groupedBy', 'BehaviorCell.suppressed'], subjects: [], outcome: 'ok' };
    },
  },
  {
    name: 'data analyst asking for page views: refused as a whole',
    caller: () => callers.staff(['data_analyst'], 'analytics'),
    query: `{ behaviorEvents(first: 3) { nodes { page } } }`,
    async expect() {
      return { disclosed: [], denied: ['Query.behaviorEvents'], subjects: [], outcome: 'denied', errorCodes: ['FORBIDDEN'] };
    },
  },
  {
    name: 'compliance officer under legal_compliance: a flagged read that carries its case reference',
    caller: () => callers.staff(['compliance_officer'], 'legal_compliance'),
    legalCase: 'LIT-2026-001',
    query: `{ legalHolds { id caseReference reason customer { id accountName } } }`,
    async expect(r) {
      return {
        // activeOnly's default (true) is sent: the holds listed are the ones not released.
        disclosed: ['Customer.accountName', 'LegalHold.caseReference', 'LegalHold.reason', 'LegalHold.releasedAt'],
        subjects: r.data!.legalHolds.map((h: any) => h.customer.id),
        outcome: 'ok',
      };
    },
  },
  {
    name: 'customer service asking for behaviour data: refused as a whole',
    caller: () => callers.staff(['customer_service'], 'after_sales'),
    query: `{ behaviorEvents(first: 3) { nodes { page } } }`,
    async expect() {
      return { disclosed: [], denied: ['Query.behaviorEvents'], subjects: [], outcome: 'denied', errorCodes: ['FORBIDDEN'] };
    },
  },
  {
    name: 'customer opening an after-sales case: a mutation, with its subject',
    caller: () => callers.customer(demo),
    operationType: 'mutation',
    query: `mutation Open($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id status subject } }`,
    variables: () => ({ input: { type: 'CONSULTATION', subject: 'Where is my parcel?', message: 'It has been a week.' } }),
    async expect() {
      return { disclosed: ['AfterSalesCase.status', 'AfterSalesCase.subject'], subjects: [demo], outcome: 'ok' };
    },
  },
  {
    name: 'carrier recording a tracking number: the mutation names its subject even when it returns only an id',
    caller: () => callers.logistics(carrierA),
    operationType: 'mutation',
    query: `mutation Track($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { id } }`,
    variables: () => ({ input: { shipmentId: shipmentOfCarrierA.id, trackingNumber: 'AUDIT-TRACK-0001' } }),
    async expect() {
      return { disclosed: [], subjects: [shipmentOfCarrierA.customerId], outcome: 'ok' };
    },
  },
];

/** A seeded database of its own and a gateway over it, for each describe below. */
async function setUp(): Promise<void> {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway } = await createTestGateway(db));
    [shipmentOfCarrierA] = await db.dataSource.query(
      `SELECT s.id, o.customer_id AS "customerId" FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE s.logistics_partner_id = $1 ORDER BY s.id LIMIT 1`,
      [carrierA],
    );
}

describe('audit events record what each response disclosed', () => {
  beforeAll(setUp);
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const caller = c.caller();
    const r = await run(gateway, c.query, caller, c.variables?.(), c.legalCase);
    const event = await lastEvent(db.dataSource);
    const expected = await c.expect(r, db);

    expect({
      disclosed: event.disclosed,
      masked: event.masked,
      denied: event.denied,
      subjectIds: event.subjectIds,
      outcome: event.outcome,
      errorCodes: event.errorCodes,
    }).toEqual({
      disclosed: [...expected.disclosed].sort(),
      masked: expected.masked ?? [],
      denied: expected.denied ?? [],
      subjectIds: [...expected.subjects].sort(),
      outcome: expected.outcome,
      errorCodes: [...new Set(expected.errorCodes ?? [])].sort(),
    });
    // The denials are exactly the coordinates the FORBIDDEN errors of the response name.
    expect(event.denied.filter((d) => !d.startsWith('Query.'))).toEqual(forbiddenCoordinates(r).filter((d) => !d.startsWith('Query.')));
    expect(event.denied).toEqual(expect.arrayContaining(forbiddenCoordinates(r)));

    const p = caller.principal;
    expect({
      principalKind: event.principalKind,
      principalId: event.principalId,
      roles: event.roles,
      partnerId: event.partnerId,
      customerId: event.customerId,
      grantId: event.grantId,
      purpose: event.purpose,
      operationType: event.operationType,
      operationName: event.operationName,
      operationHash: event.operationHash,
      legalCaseReference: event.legalCaseReference,
      flagged: event.flagged,
      detail: event.detail,
    }).toEqual({
      principalKind: p.kind,
      principalId: p.subject,
      roles: p.kind === 'staff' ? [...p.roles] : [],
      partnerId: p.kind === 'staff' || p.kind === 'customer' ? null : p.partnerId,
      customerId: p.kind === 'customer' || p.kind === 'third_party' ? p.customerId : null,
      grantId: p.kind === 'third_party' ? p.grantId : null,
      purpose: caller.purpose,
      operationType: c.operationType ?? 'query',
      operationName: /^(?:query|mutation) (\w+)/.exec(c.query)?.[1] ?? null,
      operationHash: operationHash(c.query),
      legalCaseReference: c.legalCase ?? null,
      flagged: caller.purpose === 'legal_compliance',
      detail: null,
    });
  });
});

/** Every case run once, in a database of its own: the checks below depend on no other test having run. */
describe('the log the cases above leave', () => {
  beforeAll(async () => {
    await setUp();
    for (const c of CASES) await run(gateway, c.query, c.caller(), c.variables?.(), c.legalCase);
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('holds one event per request and never a field value, a variable or a token', async () => {
    const rows: Array<{ row: string }> = await db.dataSource.query(`SELECT row_to_json(e)::text AS row FROM audit_event e`);
    expect(rows.length).toBe(CASES.length);
    const log = rows.map((r) => r.row).join('\n');
    const [customer] = await db.dataSource.query(`SELECT account_name, email, phone FROM customer WHERE id = $1`, [demo]);
    // The values the cases' mutations sent, and the demo customer's contact data, which several cases read.
    for (const value of [customer.account_name, customer.email, customer.phone, 'AUDIT-TRACK-0001', 'Where is my parcel?', 'It has been a week.']) {
      expect(log).not.toContain(value);
    }
  });

  it('verifies', async () => {
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, events: result.events, problems: result.problems }).toEqual({ intact: true, events: CASES.length, problems: [] });
  });
});
