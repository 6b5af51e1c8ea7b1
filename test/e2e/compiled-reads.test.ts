/**
 * Compiled reads (src/execution/read-plans.ts) against graphql-js: for every row of the
 * disclosure matrix and every operation below, a gateway with compiled reads and one without
 * must give the same response and write the same audit event; the compiled one may only issue
 * fewer statements. Operations select exactly what the caller's view shows unmasked, so they take
 * the direct path where plans apply; a few select more and must take the guarded path. Each also
 * runs over HTTP against the compiled gateway, whose body carries the lists and pages PostgreSQL
 * built below a root row as it built them: the same JSON value (key order included) and the same
 * audit event.
 */
import { getNamedType, isLeafType, isObjectType, Kind, parse, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type { Caller } from '../../src/policy/principal';
import { createDataSource } from '../../src/data-source';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import { PolicyEngine } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { AttachmentLinks } from '../../src/domains/after-sales/attachment-links';
import { callers, run } from '../audit/audit-harness';
import { builtByPostgres, callerFrom, compiledAndPlain, UNLIMITED_REFUSALS, httpOutcomeAndEvent, outcomeAndEvent, seedWebhookDeliveries, withPositions } from '../harness/compiled-equivalence';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, TEST_SECRETS } from '../harness/gateway';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { callerOfMatrixRow } from '../harness/principals';
import { insertServedRequest } from '../harness/privacy-request-fixture';

/** Relations followed below each type (the order aggregate); everything else is a leaf field. */
const RELATIONS: Record<string, string[]> = {
  Order: ['shippingAddress', 'customs', 'items', 'shipments', 'paymentVerifications', 'afterSalesCases'],
  Shipment: ['order', 'events'],
  ShipmentEvent: [],
  PaymentVerification: ['order'],
  OrderItem: [],
  ShippingAddress: [],
  CustomsDeclaration: [],
  Customer: ['addresses'],
  Address: [],
  AfterSalesCase: ['messages', 'records', 'order'],
  LegalHold: ['order', 'customer'],
  CaseMessage: [],
  CaseRecord: [],
};

/** Every leaf field of `type` the view shows unmasked (or, with `masked`, shows at all), and the relations above to `depth`. */
function visibleSelection(schema: GraphQLSchema, decide: (t: string, f: string) => string, typeName: string, depth: number, masked = false): string {
  const type = schema.getType(typeName) as GraphQLObjectType;
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    const decision = decide(typeName, field.name);
    if (decision !== 'visible' && !(masked && decision === 'masked')) continue;
    const target = getNamedType(field.type);
    if (isLeafType(target)) parts.push(field.name);
    else if (isObjectType(target) && depth > 0 && RELATIONS[typeName]?.includes(field.name)) {
      const inner = visibleSelection(schema, decide, target.name, depth - 1, masked);
      if (inner) parts.push(`${field.name} { ${inner} }`);
    }
  }
  return parts.join(' ');
}

interface Ids {
  ownShipment: string;
  otherShipment: string;
  demoOrder: string;
  otherOrder: string;
  ownPayment: string;
  otherPayment: string;
  otherCustomer: string;
  demoCase: string;
  otherCase: string;
  /** An order with an after-sales case, of a customer other than the demo one: under a legal hold of its own. */
  heldOrder: string;
}

function operations(schema: GraphQLSchema, decide: (t: string, f: string) => string, ids: Ids): Array<{ name: string; query: string; variables?: Record<string, unknown> }> {
  const sel = (type: string, depth = 2) => visibleSelection(schema, decide, type, depth) || '__typename';
  /** A customer's connection field with its page arguments and pageInfo, where the view shows it. */
  const page = (field: string, type: string, args: string) =>
    decide('Customer', field) === 'visible' ? `${field}(${args}) { __typename pageInfo { hasNextPage hasPreviousPage } nodes { ${sel(type, 1)} } }` : '';
  const customerPage = `${sel('Customer')} ${page('orders', 'Order', 'first: $n')} ${page('afterSalesCases', 'AfterSalesCase', 'first: 2, orderBy: OPENED_AT_ASC')}`;
  const shown = (type: string) => visibleSelection(schema, decide, type, 2, true) || '__typename';
  return [
    {
      name: 'a customer page with the fields the view masks (guarded path)',
      query: `query($id: ID!) { customer(id: $id) { ${shown('Customer')} ${page('orders', 'Order', 'first: 2')} } }`,
      variables: { id: DEMO_IDS.demoCustomer },
    },
    { name: 'orders with the fields the view masks (guarded path)', query: `{ orders(first: 5) { nodes { ${shown('Order')} } } }` },
    ...(['demoCustomer', 'otherCustomer'] as const).map((k) => ({
      name: `a customer page (${k})`,
      query: `query($id: ID!, $n: Int!) { customer(id: $id) { ${customerPage} } }`,
      variables: { id: k === 'demoCustomer' ? DEMO_IDS.demoCustomer : ids.otherCustomer, n: 3 },
    })),
    {
      name: "the benchmark's customer page",
      query: `query($id: ID!) { customer(id: $id) { accountName email phone orders(first: 20) { nodes { orderNumber status totalAmount placedAt items { sku productName quantity unitPrice } shipments { trackingNumber status } } }
              afterSalesCases(first: 20) { nodes { subject type status openedAt messages { authorSide body sentAt } } } } }`,
      variables: { id: DEMO_IDS.demoCustomer },
    },
    ...(['demoCase', 'otherCase'] as const).map((k) => ({ name: `a case by id (${k})`, query: `query($id: ID!) { afterSalesCase(id: $id) { ${sel('AfterSalesCase')} } }`, variables: { id: ids[k] } })),
    { name: 'legal holds, on a customer and on an order', query: `{ legalHolds { ${sel('LegalHold')} } }` },
    { name: 'shipments, everything visible', query: `{ shipments(first: 30) { nodes { ${sel('Shipment')} } } }` },
    { name: 'orders, everything visible', query: `{ orders(first: 25) { __typename nodes { __typename ${sel('Order')} } } }` },
    { name: 'payments, everything visible', query: `{ paymentVerifications(first: 40) { nodes { ${sel('PaymentVerification')} } } }` },
    {
      name: 'ascending, page size in a variable, aliases and a fragment',
      query: `query Q($n: Int!) { a: orders(first: $n, orderBy: PLACED_AT_ASC) { list: nodes { ...F } } b: shipments(first: 3, orderBy: CREATED_AT_ASC) { nodes { id } } }
              fragment F on Order { ${sel('Order', 1)} }`,
      variables: { n: 7 },
    },
    { name: 'the manifest with its scans', query: `{ shipments(first: 20) { nodes { id trackingNumber events { ${sel('ShipmentEvent', 0)} } order { orderNumber items { productName } } } } }` },
    { name: 'the manifest of the benchmark', query: `{ shipments(first: 50) { nodes { id trackingNumber status order { orderNumber shippingAddress { recipientName line1 line2 city state postalCode country phone } items { productName quantity } } } } }` },
    ...(['ownShipment', 'otherShipment'] as const).map((k) => ({ name: `shipment by id (${k})`, query: `query($id: ID!) { shipment(id: $id) { ${sel('Shipment')} } }`, variables: { id: ids[k] } })),
    ...(['demoOrder', 'otherOrder'] as const).map((k) => ({ name: `order by id (${k})`, query: `query($id: ID!) { order(id: $id) { ${sel('Order')} } }`, variables: { id: ids[k] } })),
    ...(['ownPayment', 'otherPayment'] as const).map((k) => ({ name: `payment by id (${k})`, query: `{ paymentVerification(id: "${ids[k]}") { ${sel('PaymentVerification')} } }` })),
    { name: 'an id that does not exist', query: `{ order(id: "00000000-0000-4000-8000-000000000000") { id } }` },
    { name: 'an id that is not a UUID (graphql-js reports it)', query: `{ order(id: "nope") { id } }` },
    { name: 'a page size over 100 (graphql-js reports it)', query: `{ orders(first: 101) { nodes { id } } }` },
    { name: 'pageInfo at the root', query: `{ shipments(first: 5) { pageInfo { hasNextPage hasPreviousPage } nodes { id } } }` },
    { name: 'customers, everything visible', query: `{ customers(first: 4) { pageInfo { hasNextPage } nodes { ${sel('Customer', 1)} } } }` },
    { name: 'cases, oldest first', query: `{ afterSalesCases(first: 3, orderBy: OPENED_AT_ASC) { __typename nodes { ${sel('AfterSalesCase')} } pageInfo { hasPreviousPage hasNextPage } } }` },
    // Filters: each list's members alone and together, literal and in a variable; a member the
    // caller may not send is refused on graphql-js with its FORBIDDEN (both sides alike).
    { name: 'orders filtered by status and time', query: `{ orders(first: 10, filter: { statuses: [PAID, SHIPPED, DELIVERED], placedFrom: "2024-01-01T00:00:00Z", placedTo: "2030-01-01T00:00:00Z" }) { nodes { ${sel('Order', 1)} } } }` },
    { name: 'orders filtered by customer and channel', query: `query($f: OrderFilter) { orders(first: 10, filter: $f) { nodes { ${sel('Order', 0)} } } }`, variables: { f: { customerId: DEMO_IDS.demoCustomer.toUpperCase(), channel: 'OWN_STORE' } } },
    { name: 'orders filtered by platform', query: `{ orders(first: 10, filter: { platformPartnerId: "${DEMO_IDS.platformOperator}" }) { nodes { ${sel('Order', 0)} } } }` },
    { name: 'shipments filtered', query: `{ shipments(first: 20, orderBy: CREATED_AT_ASC, filter: { statuses: [IN_TRANSIT, DELIVERED, PENDING], createdFrom: "2020-01-01T00:00:00Z" }) { nodes { ${sel('Shipment', 1)} } } }` },
    { name: 'shipments filtered by order', query: `{ shipments(first: 20, filter: { orderId: "${ids.demoOrder}", logisticsPartnerId: "${DEMO_IDS.logisticsPartners[0]}" }) { nodes { ${sel('Shipment', 0)} } } }` },
    { name: 'payments filtered', query: `{ paymentVerifications(first: 20, filter: { statuses: [SETTLED, CAPTURED], providerId: "${DEMO_IDS.paymentProviders[0]}", createdTo: "2030-01-01T00:00:00Z" }) { nodes { ${sel('PaymentVerification', 0)} } } }` },
    { name: 'customers filtered', query: `{ customers(first: 5, filter: { status: ACTIVE, createdFrom: "2020-01-01T00:00:00Z" }) { nodes { ${sel('Customer', 0)} } } }` },
    { name: 'cases filtered', query: `{ afterSalesCases(first: 5, filter: { types: [COMPLAINT, REFUND, RETURN], statuses: [OPEN, RESOLVED, CLOSED], customerId: "${DEMO_IDS.demoCustomer}" }) { nodes { ${sel('AfterSalesCase', 1)} } } }` },
    { name: 'an empty status list filters nothing', query: `{ shipments(first: 5, filter: { statuses: [] }) { nodes { ${sel('Shipment', 0)} } } }` },
    { name: 'a range that starts after it ends (graphql-js reports it)', query: `{ orders(first: 5, filter: { placedFrom: "2026-01-01T00:00:00Z", placedTo: "2025-01-01T00:00:00Z" }) { nodes { id } } }` },
    { name: 'a filter id that is not a UUID (graphql-js reports it)', query: `{ paymentVerifications(first: 5, filter: { orderId: "nope" }) { nodes { id } } }` },
    { name: 'more statuses than a filter takes (graphql-js reports it)', query: `{ shipments(first: 5, filter: { statuses: [${Array(21).fill('DELIVERED').join(', ')}] }) { nodes { id } } }` },
    { name: 'edges', query: `{ orders(first: 2) { edges { node { id } } } }` },
    {
      name: 'edges with cursors, start and end cursors',
      query: `{ shipments(first: 4, orderBy: CREATED_AT_ASC) { pageInfo { startCursor hasNextPage endCursor } edges { __typename c: cursor node { ${sel('Shipment', 1)} } } } }`,
    },
    { name: 'cursors of an empty page', query: `{ orders(first: 3, filter: { customerId: "00000000-0000-4000-8000-000000000000" }) { pageInfo { startCursor endCursor } edges { cursor node { id } } } }` },
    { name: 'edges of a filtered list, by id', query: `query($f: PaymentVerificationFilter) { paymentVerifications(first: 5, filter: $f) { edges { cursor node { ${sel('PaymentVerification', 0)} } } } }`, variables: { f: { statuses: ['SETTLED', 'CAPTURED', 'AUTHORIZED'] } } },
    { name: 'every field, visible or not (guarded path)', query: `{ orders(first: 5) { nodes { id orderNumber customer { id } shippingAddress { phone city } items { sku } } } }` },
  ];
}

/**
 * How many lists of two or more objects an operation's data holds below its root rows (a root
 * field's object, or each item of a root connection): those a compiled read has PostgreSQL build
 * (a list of scalars may be a plain column).
 */
function longListsBelowRootRows(schema: GraphQLSchema, query: string, data: Record<string, unknown> | null | undefined): number {
  const count = (value: unknown): number => {
    if (Array.isArray(value)) return (value.length >= 2 && value.every((item) => item !== null && typeof item === 'object') ? 1 : 0) + value.reduce((n: number, item) => n + count(item), 0);
    if (value !== null && typeof value === 'object') return Object.values(value).reduce((n: number, item) => n + count(item), 0);
    return 0;
  };
  const operation = parse(query).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  let lists = 0;
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind !== Kind.FIELD || !data) continue;
    const value = data[selection.alias?.value ?? selection.name.value];
    const type = schema.getQueryType()!.getFields()[selection.name.value]?.type;
    if (value === null || typeof value !== 'object' || !type) continue;
    // A connection's own arrays (nodes, edges) are its rows; their lists are below them.
    if (getNamedType(type).name.endsWith('Connection')) for (const rows of Object.values(value)) lists += Array.isArray(rows) ? rows.reduce((n: number, item) => n + count(item), 0) : 0;
    else lists += count(value);
  }
  return lists;
}

describe('compiled reads give what graphql-js gives', () => {
  let db: TestDatabase;
  let compiled: Gateway;
  let compiledHttp: HttpGateway;
  let plain: Gateway;
  let schema: GraphQLSchema;
  let engine: PolicyEngine;
  let ids: Ids;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    // Each caller is refused (403) more often here than its budgets allow in a minute.
    ({ compiled, plain } = await compiledAndPlain(db));
    compiledHttp = await startHttpGateway(db, { authenticate: callerFrom, rateLimits: UNLIMITED_REFUSALS });
    schema = await buildGatewaySchema();
    engine = new PolicyEngine(schema);
    const [a, b] = DEMO_IDS.logisticsPartners;
    const [p, q] = DEMO_IDS.paymentProviders;
    const one = async (sql: string, params: unknown[]) => ((await db.dataSource.query(sql, params)) as Array<{ id: string }>)[0]!.id;
    ids = {
      ownShipment: await one(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [a]),
      otherShipment: await one(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [b]),
      demoOrder: await one(`SELECT id FROM "order" WHERE customer_id = $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
      otherOrder: await one(`SELECT id FROM "order" WHERE customer_id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
      ownPayment: await one(`SELECT id FROM payment_verification WHERE provider_id = $1 ORDER BY id LIMIT 1`, [p]),
      otherPayment: await one(`SELECT id FROM payment_verification WHERE provider_id = $1 ORDER BY id LIMIT 1`, [q]),
      otherCustomer: await one(`SELECT c.id FROM customer c WHERE c.id <> $1 AND EXISTS (SELECT 1 FROM after_sales_case k WHERE k.customer_id = c.id) ORDER BY c.id LIMIT 1`, [
        DEMO_IDS.demoCustomer,
      ]),
      demoCase: await one(`SELECT id FROM after_sales_case WHERE customer_id = $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
      otherCase: await one(`SELECT id FROM after_sales_case WHERE customer_id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
      heldOrder: await one(`SELECT order_id AS id FROM after_sales_case WHERE customer_id <> $1 AND order_id IS NOT NULL ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
    };
    await seedWebhookDeliveries(db, [a!, p!]);
    // The seed holds a customer; a hold on an order too (its subject is the order's customer).
    await db.dataSource.query(
      `INSERT INTO legal_hold (scope, order_id, reason, case_reference, placed_by, placed_at) VALUES ('order', $1, 'disputed payment', 'LC-ORDER-1', 'officer-1', now())`,
      [ids.heldOrder],
    );
  });
  afterAll(async () => {
    await compiled?.stop();
    await compiledHttp?.close();
    await plain?.stop();
    await db?.drop();
  });

  describe.each(MATRIX.map((row) => [`${row.principal} / ${row.purpose}`, row] as const))('%s', (_label, row) => {
    it('same responses and audit events, never more statements', async () => {
      const caller = callerOfMatrixRow(row);
      const view = engine.viewFor(caller);
      let compiledOperations = 0;
      let rowsSeen = 0;
      for (const op of operations(schema, view.decide, ids)) {
        const c = await outcomeAndEvent(compiled, db, op.query, caller, op.variables);
        const h = await httpOutcomeAndEvent(compiledHttp, db, op.query, caller, op.variables);
        const p = await outcomeAndEvent(plain, db, op.query, caller, op.variables);
        expect({ op: op.name, outcome: c.outcome, event: c.event }).toEqual({ op: op.name, outcome: p.outcome, event: p.event });
        // Over HTTP, the body PostgreSQL's JSON went into as it was built: the same JSON, key
        // order included, and the same audit event.
        expect({ op: op.name, outcome: h.outcome, event: h.event }).toEqual({ op: op.name, outcome: p.outcome, event: p.event });
        expect({ op: op.name, json: JSON.stringify(h.outcome) }).toEqual({ op: op.name, json: JSON.stringify(p.outcome) });
        // PostgreSQL's own spacing only from a compiled read, and there wherever a root row holds a
        // list of two or more objects (json_agg's separator), unless masks applied (in Node).
        if (builtByPostgres(h.text)) expect({ op: op.name, compiled: c.compiled }).toEqual({ op: op.name, compiled: true });
        const masked = (c.event.masked as string[] | undefined)?.length ?? 0;
        if (c.compiled && masked === 0 && longListsBelowRootRows(schema, op.query, p.outcome.data) > 0) expect({ op: op.name, built: builtByPostgres(h.text) }).toEqual({ op: op.name, built: true });
        // On failure, name the operation and both sides' statements. (Where both ran graphql-js,
        // how many statements ran before a denied non-null root field nulled the data is timing.)
        if (c.compiled && c.statements > p.statements) expect({ op: op.name, compiled: c.texts, plain: p.texts }).toBeUndefined();
        expect(p.compiled).toBe(false);
        if (c.compiled) compiledOperations += 1;
        rowsSeen += JSON.stringify(c.outcome.data ?? {}).split('"id"').length - 1;
      }
      // Every caller that reads orders, shipments or payments at all has some of them compiled.
      if (rowsSeen > 0 && row.rows !== 'none') expect(compiledOperations).toBeGreaterThan(0);
      // Some 30 operations, each run three times (up to 8 s a row alone), on a machine that may be loaded.
    }, 120_000);
  });

  it("joins an order's customer, its partners and its policy version, and a case's customer, in the root row's statement", async () => {
    const links = ['Order.customer', 'Order.platformPartner', 'Order.policyVersion', 'Shipment.carrier', 'PaymentVerification.provider', 'AfterSalesCase.customer'];
    const row = MATRIX.find((r) => links.every((l) => engine.viewFor(callerOfMatrixRow(r)).decide(...(l.split('.') as [string, string])) === 'visible'));
    expect(row).toBeDefined();
    const caller = callerOfMatrixRow(row!);
    const query = `{ orders(first: 40, orderBy: PLACED_AT_ASC) { nodes { id customer { id } platformPartner { id name kind } policyVersion { id version effectiveAt } shipments { carrier { id name } } paymentVerifications { provider { id status } } } }
                     afterSalesCases(first: 5) { nodes { id customer { id } } } }`;
    const c = await outcomeAndEvent(compiled, db, query, caller);
    const p = await outcomeAndEvent(plain, db, query, caller);
    expect(c.outcome).toEqual(p.outcome);
    expect(c.event).toEqual(p.event);
    expect(c.compiled).toBe(true);
    expect(c.statements).toBe(2);
    expect(p.statements).toBeGreaterThan(2);
    type Node = { customer: { id: string } | null; platformPartner: { id: string } | null; policyVersion: { id: string } | null; shipments: Array<{ carrier: unknown }> };
    const nodes = c.outcome.data?.orders.nodes as Node[];
    // Orders sold through a platform and orders of the store's own: a partner joined, and none.
    expect(nodes.some((n) => n.platformPartner !== null)).toBe(true);
    expect(nodes.some((n) => n.platformPartner === null)).toBe(true);
    expect(nodes.every((n) => n.customer !== null && n.policyVersion !== null)).toBe(true);
    expect(nodes.some((n) => n.shipments.some((s) => s.carrier !== null))).toBe(true);
    expect((c.outcome.data?.afterSalesCases.nodes as Array<{ customer: unknown }>).every((k) => k.customer !== null)).toBe(true);
  });

  it("compiles a carrier's manifest into one statement and keeps its subjects", async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'logistics_partner')!);
    const query = `{ shipments(first: 50) { nodes { id events { occurredAt location status } order { orderNumber shippingAddress { phone } items { productName } } } } }`;
    const c = await outcomeAndEvent(compiled, db, query, caller);
    const p = await outcomeAndEvent(plain, db, query, caller);
    expect(c.outcome).toEqual(p.outcome);
    expect(c.statements).toBe(1);
    // Scans are read in the same statement: some shipments have several.
    expect(Math.max(...c.outcome.data?.shipments.nodes.map((n: { events: unknown[] }) => n.events.length))).toBeGreaterThan(1);
    expect(p.statements).toBeGreaterThan(1);
    expect(c.outcome.data?.shipments.nodes.length).toBeGreaterThan(0);
    expect((c.event.subjectIds as string[]).length).toBeGreaterThan(0);
    expect(c.event.subjectIds).toEqual(p.event.subjectIds);
    // In process a shipment's lists come back as arrays of objects; over HTTP the body carries
    // them as PostgreSQL built them, inside the shipments Node assembled and wrote out.
    type Node = { events: unknown[]; order: { items: unknown[] } | null };
    const inProcess = await compiled.execute(query, caller);
    const nodes = inProcess.body.kind === 'single' ? (inProcess.body.singleResult.data?.shipments as { nodes: Node[] }).nodes : [];
    expect(nodes.length).toBe(c.outcome.data?.shipments.nodes.length);
    for (const node of nodes) {
      expect(Object.getPrototypeOf(node)).toBe(Object.prototype);
      expect(Array.isArray(node.events)).toBe(true);
      for (const event of node.events) expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      if (node.order) expect(Array.isArray(node.order.items)).toBe(true);
    }
    const h = await httpOutcomeAndEvent(compiledHttp, db, query, caller);
    expect(builtByPostgres(h.text)).toBe(true);
    expect(h.text.startsWith('{"data":{"shipments":{"nodes":[{"id":')).toBe(true);
    expect(h.text).toMatch(/"events":\[\{"occurredAt":"[^"]*","location":(null|"[^"]*"),"status":"[A-Z_]+"\}, \n /);
    expect(h.outcome).toEqual(p.outcome);
    expect(h.event).toEqual(p.event);
  });

  it("joins a root row's order once, for the order it shows and for its subject", async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'logistics_partner')!);
    const query = `{ shipments(first: 20) { nodes { id status order { orderNumber shippingAddress { city } } } } }`;
    const c = await outcomeAndEvent(compiled, db, query, caller);
    const p = await outcomeAndEvent(plain, db, query, caller);
    expect(c.outcome).toEqual(p.outcome);
    expect(c.event).toEqual(p.event);
    expect(c.statements).toBe(1);
    expect(c.texts[0]!.match(/"order"/g)).toHaveLength(1);
  });

  it('gives objects nested in lists and relations, and a response key longer than a column name, as graphql-js does', async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:customer_service' && r.purpose === 'after_sales')!);
    const long = 'aResponseKeyLongerThanTheSixtyThreeBytesPostgreSQLKeepsOfAColumnName';
    expect(Buffer.byteLength(long)).toBeGreaterThan(63);
    const query = `query($id: ID!, $customer: ID!) {
      order(id: $id) { __typename orderNumber
        shipments { __typename trackingNumber status order { orderNumber shippingAddress { __typename city country } items { sku ${long}: quantity } } }
        paymentVerifications { status order { orderNumber } }
        items { quantity } }
      customer(id: $customer) { orders(first: 3) { nodes { orderNumber shippingAddress { city } shipments { order { orderNumber shippingAddress { country } } } } } } }`;
    const variables = { id: ids.demoOrder, customer: DEMO_IDS.demoCustomer };
    const c = await outcomeAndEvent(compiled, db, query, caller, variables);
    const p = await outcomeAndEvent(plain, db, query, caller, variables);
    expect(c.compiled).toBe(true);
    expect(c.outcome.errors).toBeUndefined();
    expect(c.outcome).toEqual(p.outcome);
    expect(c.event).toEqual(p.event);
    const order = c.outcome.data?.order;
    expect(order.shipments.length).toBeGreaterThan(0);
    expect(order.shipments[0].order).toMatchObject({ orderNumber: order.orderNumber, shippingAddress: { __typename: 'ShippingAddress' } });
    expect(order.shipments[0].order.items[0]).toHaveProperty(long);
    expect(c.outcome.data?.customer.orders.nodes.length).toBeGreaterThan(0);
  });

  describe("customer service's customer page", () => {
    const caller = () => callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:customer_service' && r.purpose === 'after_sales')!);
    const query = `query($id: ID!, $n: Int!, $after: String) { customer(id: $id) { accountName email phone addresses { city isDefault }
      orders(first: $n, after: $after) { pageInfo { hasNextPage hasPreviousPage } nodes { orderNumber status totalAmount placedAt items { sku quantity unitPrice } shipments { trackingNumber status } } }
      afterSalesCases(first: $n) { nodes { subject type status openedAt messages { authorSide body sentAt } records { action } } } } }`;

    it('is one statement whatever the page sizes, with the data and audit event graphql-js gives', async () => {
      const counts: number[] = [];
      for (const n of [1, 3, 20]) {
        const c = await outcomeAndEvent(compiled, db, query, caller(), { id: DEMO_IDS.demoCustomer, n });
        const p = await outcomeAndEvent(plain, db, query, caller(), { id: DEMO_IDS.demoCustomer, n });
        expect(c.outcome).toEqual(p.outcome);
        expect(c.event).toEqual(p.event);
        expect(c.compiled).toBe(true);
        expect(c.event.subjectIds).toEqual([DEMO_IDS.demoCustomer]);
        counts.push(c.statements);
        if (n === 1) expect(c.outcome.data?.customer.orders).toMatchObject({ pageInfo: { hasNextPage: true, hasPreviousPage: false }, nodes: [expect.any(Object)] });
      }
      expect(counts).toEqual([1, 1, 1]);
    });

    it('reads the page after a cursor as graphql-js does, and leaves a cursor it cannot open to graphql-js', async () => {
      const first = await run(plain, query.replace('pageInfo { hasNextPage', 'pageInfo { endCursor hasNextPage'), caller(), { id: DEMO_IDS.demoCustomer, n: 2 });
      const after = first.data?.customer.orders.pageInfo.endCursor as string;
      expect(typeof after).toBe('string');
      const c = await outcomeAndEvent(compiled, db, query, caller(), { id: DEMO_IDS.demoCustomer, n: 2, after });
      const p = await outcomeAndEvent(plain, db, query, caller(), { id: DEMO_IDS.demoCustomer, n: 2, after });
      expect(c.outcome).toEqual(p.outcome);
      expect(c.compiled).toBe(true);
      expect(c.outcome.data?.customer.orders.pageInfo.hasPreviousPage).toBe(true);
      const flipped = `${after.slice(0, 10)}${after[10] === 'A' ? 'B' : 'A'}${after.slice(11)}`;
      const forged = await outcomeAndEvent(compiled, db, query, caller(), { id: DEMO_IDS.demoCustomer, n: 2, after: flipped });
      expect(forged.compiled).toBe(false);
      expect(forged.outcome.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    });
  });

  it('compiles root-list filters into the one statement, whatever the number of rows they leave', async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:customer_service' && r.purpose === 'after_sales')!);
    const query = `query($f: OrderFilter, $n: Int!) { orders(first: $n, filter: $f) { nodes { orderNumber status items { sku } } } }`;
    const sizes: number[] = [];
    for (const [f, n] of [[{ statuses: ['DELIVERED'] }, 2], [{ statuses: ['DELIVERED', 'PAID', 'SHIPPED'], placedFrom: '2020-01-01T00:00:00Z' }, 40], [{ customerId: DEMO_IDS.demoCustomer }, 20]] as const) {
      const c = await outcomeAndEvent(compiled, db, query, caller, { f, n });
      const p = await outcomeAndEvent(plain, db, query, caller, { f, n });
      expect(c.outcome).toEqual(p.outcome);
      expect(c.event).toEqual(p.event);
      expect(c.compiled).toBe(true);
      expect(c.statements).toBe(1);
      sizes.push(c.outcome.data?.orders.nodes.length);
    }
    expect(sizes[0]).toBe(2);
    expect(sizes[1]).toBeGreaterThan(2);
    // A carrier's contract holds no order filter: refused by validation, on graphql-js.
    const carrier = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'logistics_partner')!);
    const refused = await outcomeAndEvent(compiled, db, `{ shipments(first: 5, filter: { statuses: [DELIVERED] }) { nodes { id } } }`, carrier);
    const plainRefused = await outcomeAndEvent(plain, db, `{ shipments(first: 5, filter: { statuses: [DELIVERED] }) { nodes { id } } }`, carrier);
    expect(refused.outcome).toEqual(plainRefused.outcome);
  });

  it('seals cursors of root lists in the compiled read that graphql-js opens, for the same next page', async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'logistics_partner')!);
    const query = `query($after: String) { shipments(first: 3, after: $after) { pageInfo { endCursor } edges { cursor node { id trackingNumber } } } }`;
    const c = await run(compiled, query, caller);
    const p = await run(plain, query, caller);
    const cursor = c.data?.shipments.pageInfo.endCursor as string;
    expect(c.data?.shipments.edges[2].cursor).toBe(cursor);
    expect(withPositions(c)).toEqual(withPositions(p));
    const nextOfCompiled = await run(plain, query, caller, { after: cursor });
    const nextOfPlain = await run(plain, query, caller, { after: p.data?.shipments.pageInfo.endCursor });
    expect(nextOfCompiled.errors).toBeUndefined();
    expect(nextOfCompiled.data?.shipments.edges.map((e: { node: unknown }) => e.node)).toEqual(nextOfPlain.data?.shipments.edges.map((e: { node: unknown }) => e.node));
    const compiledNext = await outcomeAndEvent(compiled, db, query, caller, { after: p.data?.shipments.pageInfo.endCursor });
    expect(compiledNext.compiled).toBe(true);
    expect(compiledNext.statements).toBe(1);
    expect(compiledNext.outcome.data?.shipments.edges.map((e: { node: unknown }) => e.node)).toEqual(nextOfPlain.data?.shipments.edges.map((e: { node: unknown }) => e.node));
    // Sealed for this caller only: another carrier's gateway refuses it, as graphql-js does.
    const other = callers.logistics(DEMO_IDS.logisticsPartners[1]);
    const foreign = await outcomeAndEvent(compiled, db, query, other, { after: cursor });
    expect(foreign.outcome.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('reads a root page after a cursor as graphql-js does', async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:customer_service' && r.purpose === 'after_sales')!);
    const first = await run(plain, `{ afterSalesCases(first: 2) { pageInfo { endCursor } } }`, caller);
    const after = first.data?.afterSalesCases.pageInfo.endCursor as string;
    const query = `query($after: String) { afterSalesCases(first: 2, after: $after) { pageInfo { hasNextPage hasPreviousPage } nodes { id subject openedAt } } }`;
    const c = await outcomeAndEvent(compiled, db, query, caller, { after });
    const p = await outcomeAndEvent(plain, db, query, caller, { after });
    expect(c.compiled).toBe(true);
    expect(c.outcome).toEqual(p.outcome);
    expect(c.event).toEqual(p.event);
    expect(c.outcome.data?.afterSalesCases).toMatchObject({ pageInfo: { hasNextPage: true, hasPreviousPage: true }, nodes: [expect.any(Object), expect.any(Object)] });
  });

  /** Runs `query` on both gateways: the compiled one answers in one statement, with graphql-js's response and audit event. */
  async function compiledInOneStatement(query: string, caller: Caller, variables: Record<string, unknown>) {
    const c = await outcomeAndEvent(compiled, db, query, caller, variables);
    const p = await outcomeAndEvent(plain, db, query, caller, variables);
    expect({ compiled: c.compiled, statements: c.statements }).toEqual({ compiled: true, statements: 1 });
    expect(c.outcome).toEqual(p.outcome);
    expect(c.event).toEqual(p.event);
    return { c, p };
  }

  it('masks in the compiled read what the view masks, and audits it as graphql-js does', async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:fraud_analyst')!);
    const query = `query($id: ID!) { customer(id: $id) { id email orders(first: 3) { nodes { id } } } }`;
    const { c, p } = await compiledInOneStatement(query, caller, { id: DEMO_IDS.demoCustomer });
    expect(c.outcome.data?.customer.email).toMatch(/^.•••@/);
    expect(c.event.masked).toEqual(['Customer.email']);
    // Over HTTP too: the email masked in Node, the page of orders (no mask applies in it) as
    // PostgreSQL built it.
    const h = await httpOutcomeAndEvent(compiledHttp, db, query, caller, { id: DEMO_IDS.demoCustomer });
    expect(c.outcome.data?.customer.orders.nodes.length).toBeGreaterThan(1);
    expect(builtByPostgres(h.text)).toBe(true);
    expect(h.text).toMatch(/"email":".•••@/);
    expect(h.outcome).toEqual(p.outcome);
    expect(h.event).toEqual(p.event);
    // Denied fields among them: null and FORBIDDEN in their places, in response order, from the
    // compiled read as from graphql-js.
    const { c: denied } = await compiledInOneStatement(query.replace('email', 'accountName email phone'), caller, { id: DEMO_IDS.demoCustomer });
    expect(denied.outcome.data?.customer).toMatchObject({ accountName: null, phone: null, email: expect.stringMatching(/^.•••@/) });
    expect(denied.outcome.errors?.map((e) => [e.path, e.extensions?.code, e.message])).toEqual([
      [['customer', 'accountName'], 'FORBIDDEN', 'Not disclosed to this caller for this purpose: Customer.accountName'],
      [['customer', 'phone'], 'FORBIDDEN', 'Not disclosed to this caller for this purpose: Customer.phone'],
    ]);
    expect(denied.event.denied).toEqual(expect.arrayContaining(['Customer.accountName', 'Customer.phone']));
    expect(denied.event.outcome).toBe('partial');
    // Nothing but denied fields: a row that reads no column, and whose customer is not a subject.
    const { c: only } = await compiledInOneStatement(`query($id: ID!) { customer(id: $id) { accountName phone } }`, caller, { id: DEMO_IDS.demoCustomer });
    expect(only.outcome).toMatchObject({ data: { customer: { accountName: null, phone: null } }, errors: [{ path: ['customer', 'accountName'] }, { path: ['customer', 'phone'] }] });
    expect(only.event).toMatchObject({ subjectIds: [], outcome: 'denied' });
  });

  it("answers a nested connection's edges and cursors in the one statement, and they open on graphql-js for the next page", async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:customer_service' && r.purpose === 'after_sales')!);
    const query = `query($id: ID!, $after: String) { customer(id: $id) { accountName
      orders(first: 3, after: $after) { pageInfo { startCursor endCursor hasNextPage hasPreviousPage } edges { __typename cursor node { orderNumber items { sku } } } }
      afterSalesCases(first: 2, orderBy: OPENED_AT_ASC) { edges { c: cursor } } } }`;
    const { c } = await compiledInOneStatement(query, caller, { id: DEMO_IDS.demoCustomer });
    const orders = c.outcome.data?.customer.orders;
    expect(orders.edges).toHaveLength(3);
    expect(orders.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, endCursor: { position: expect.any(Array) } });
    // One cursor per row: the last edge's and endCursor are the same string, as graphql-js gives them.
    const raw = await compiled.execute(query, caller, { id: DEMO_IDS.demoCustomer });
    const page = raw.body.kind === 'single' ? (raw.body.singleResult.data?.customer as { orders: { pageInfo: { endCursor: string }; edges: Array<{ cursor: string }> } }).orders : undefined;
    expect(page?.edges[2]!.cursor).toBe(page?.pageInfo.endCursor);
    // The compiled cursor opens on graphql-js, for the page graphql-js's own cursor opens.
    const nextOfCompiled = await outcomeAndEvent(plain, db, query, caller, { id: DEMO_IDS.demoCustomer, after: page!.pageInfo.endCursor });
    const plainRaw = await plain.execute(query, caller, { id: DEMO_IDS.demoCustomer });
    const plainEnd = plainRaw.body.kind === 'single' ? (plainRaw.body.singleResult.data?.customer as { orders: { pageInfo: { endCursor: string } } }).orders.pageInfo.endCursor : '';
    const nextOfPlain = await outcomeAndEvent(plain, db, query, caller, { id: DEMO_IDS.demoCustomer, after: plainEnd });
    expect(nextOfCompiled.outcome.errors).toBeUndefined();
    expect(nextOfCompiled.outcome).toEqual(nextOfPlain.outcome);
    expect(nextOfCompiled.outcome.data?.customer.orders.pageInfo.hasPreviousPage).toBe(true);
    // And the compiled read reads that page as graphql-js does.
    const compiledNext = await outcomeAndEvent(compiled, db, query, caller, { id: DEMO_IDS.demoCustomer, after: plainEnd });
    expect(compiledNext.compiled).toBe(true);
    expect(compiledNext.outcome).toEqual(nextOfPlain.outcome);
  });

  it('lists errors in response order on graphql-js too, whichever statement returned first', async () => {
    // A directive is not compiled: graphql-js answers, its loaders deciding when each parent resolves.
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:fraud_analyst')!);
    const query = `query($id: ID!) { customer(id: $id) { accountName } x: orders(first: 2) { nodes { customer @include(if: true) { accountName } } } }`;
    const expected = [['customer', 'accountName'], ['x', 'nodes', 0, 'customer', 'accountName'], ['x', 'nodes', 1, 'customer', 'accountName']];
    for (const gateway of [compiled, plain]) {
      const r = await outcomeAndEvent(gateway, db, query, caller, { id: DEMO_IDS.demoCustomer });
      expect(r.compiled).toBe(false);
      expect(r.outcome.errors?.map((e) => e.path)).toEqual(expected);
      expect(new Set(r.outcome.errors?.map((e) => e.extensions?.code))).toEqual(new Set(['FORBIDDEN']));
    }
  });

  it('answers a denied root list as graphql-js does: no statement, and no data at all', async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:fraud_analyst')!);
    const query = `{ afterSalesCases(first: 2) { nodes { id subject } } }`;
    const c = await outcomeAndEvent(compiled, db, query, caller);
    const p = await outcomeAndEvent(plain, db, query, caller);
    expect(c.outcome).toEqual(p.outcome);
    expect(c.event).toEqual(p.event);
    expect(c.outcome).toMatchObject({ status: 403, data: null, errors: [{ path: ['afterSalesCases'], extensions: { code: 'FORBIDDEN' } }] });
    expect(c.statements).toBe(0);
    // Beside another root field, which of that one's errors graphql-js lists depends on timing: graphql-js answers.
    const two = await outcomeAndEvent(compiled, db, `{ afterSalesCases(first: 2) { nodes { id } } orders(first: 1) { nodes { id } } }`, caller);
    expect(two.compiled).toBe(false);
    expect(two.outcome.data).toBeNull();
  });

  it('plans a repeated page once: after five custom plans PostgreSQL keeps a generic one', async () => {
    // One connection, so every execution of the prepared statement is counted in one session.
    const single = createDataSource({ url: db.url, poolSize: 1 });
    await single.initialize();
    const { gateway } = await createTestGateway(db, { dataSource: single });
    try {
      const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'logistics_partner')!);
      const query = `{ shipments(first: 7) { nodes { id trackingNumber } } }`;
      for (let i = 0; i < 8; i++) expect((await gateway.execute(query, caller)).body).toMatchObject({ singleResult: { data: { shipments: { nodes: expect.any(Array) } } } });
      const plans: Array<{ generic_plans: string; custom_plans: string }> = await single.query(
        `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM "shipment" t0%LIMIT 7'`,
      );
      expect(plans).toHaveLength(1);
      const [{ generic_plans: generic, custom_plans: custom }] = plans;
      expect(Number(generic) + Number(custom)).toBe(8);
      expect(Number(generic)).toBeGreaterThan(0);
    } finally {
      await gateway.stop();
      await single.destroy();
    }
  });

  it('compiles the filters of partners, page views, webhook deliveries and the privacy queue into the one statement, each narrowing as its resolver does', async () => {
    const [carrier] = DEMO_IDS.logisticsPartners;
    const count = async (sql: string, params: unknown[] = []) => Number(((await db.dataSource.query(sql, params)) as Array<{ n: string }>)[0]!.n);
    const times = ((await db.dataSource.query(`SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t FROM behavior_event ORDER BY occurred_at LIMIT 10`)) as Array<{ t: string }>).map((r) => r.t);
    const [endpoint] = (await db.dataSource.query(`SELECT id FROM webhook_endpoint WHERE partner_id = $1`, [carrier])) as Array<{ id: string }>;
    const [event] = (await db.dataSource.query(`SELECT event_id AS id FROM webhook_delivery WHERE partner_id = $1 ORDER BY id LIMIT 1`, [carrier])) as Array<{ id: string }>;
    const [request] = (await db.dataSource.query(`SELECT customer_id, status FROM privacy_request ORDER BY id LIMIT 1`)) as Array<{ customer_id: string; status: string }>;
    const cases: Array<{ list: string; query: string; rows: string; filter: Record<string, unknown>; expected: number }> = [
      { list: 'partners', query: `query($f: PartnerFilter) { partners(first: 50, filter: $f) { nodes { id kind status } } }`, rows: 'all', filter: { kind: 'LOGISTICS' }, expected: await count(`SELECT count(*) AS n FROM partner WHERE kind = 'logistics'`) },
      { list: 'partners', query: `query($f: PartnerFilter) { partners(first: 50, filter: $f) { nodes { id kind status } } }`, rows: 'all', filter: { kind: 'LOGISTICS', status: 'ACTIVE' }, expected: await count(`SELECT count(*) AS n FROM partner WHERE kind = 'logistics' AND status = 'active'`) },
      {
        list: 'behaviorEvents',
        query: `query($f: BehaviorEventFilter) { behaviorEvents(first: 50, filter: $f) { nodes { id occurredAt } } }`,
        rows: 'all',
        filter: { occurredFrom: times[2], occurredTo: times[7] },
        expected: await count(`SELECT count(*) AS n FROM behavior_event WHERE occurred_at >= $1 AND occurred_at < $2`, [times[2], times[7]]),
      },
      { list: 'webhookDeliveries', query: `query($f: WebhookDeliveryFilter) { webhookDeliveries(first: 50, filter: $f) { nodes { id status eventType } } }`, rows: 'own_shipments', filter: { statuses: ['DELIVERED'] }, expected: await count(`SELECT count(*) AS n FROM webhook_delivery WHERE partner_id = $1 AND status = 'delivered'`, [carrier]) },
      { list: 'webhookDeliveries', query: `query($f: WebhookDeliveryFilter) { webhookDeliveries(first: 50, filter: $f) { nodes { id status eventType } } }`, rows: 'own_shipments', filter: { endpointId: endpoint!.id, eventId: event!.id }, expected: 1 },
      {
        list: 'privacyRequests',
        query: `query($f: PrivacyRequestFilter) { privacyRequests(first: 50, filter: $f) { nodes { id status type } } }`,
        rows: 'all',
        filter: { statuses: [request!.status.toUpperCase(), 'REJECTED'], customerId: request!.customer_id },
        expected: await count(`SELECT count(*) AS n FROM privacy_request WHERE status IN ($2, 'rejected') AND customer_id = $1`, [request!.customer_id, request!.status]),
      },
      { list: 'privacyRequests', query: `query($f: PrivacyRequestFilter) { privacyRequests(first: 50, filter: $f) { nodes { id status type } } }`, rows: 'all', filter: { types: ['ACCESS'] }, expected: await count(`SELECT count(*) AS n FROM privacy_request WHERE type = 'access'`) },
    ];
    for (const { list, query, rows, filter, expected } of cases) {
      const row = MATRIX.find((r) => {
        const view = engine.viewFor(callerOfMatrixRow(r));
        const filterType = { partners: 'PartnerFilter', behaviorEvents: 'BehaviorEventFilter', webhookDeliveries: 'WebhookDeliveryFilter', privacyRequests: 'PrivacyRequestFilter' }[list]!;
        return r.rows === rows && view.decide('Query', list) === 'visible' && Object.keys(filter).every((m) => view.decideArgument(`${filterType}.${m}`) === 'visible');
      });
      expect({ list, filter, row: row !== undefined }).toEqual({ list, filter, row: true });
      const caller = callerOfMatrixRow(row!);
      const c = await outcomeAndEvent(compiled, db, query, caller, { f: filter });
      const p = await outcomeAndEvent(plain, db, query, caller, { f: filter });
      expect({ list, filter, outcome: c.outcome, event: c.event }).toEqual({ list, filter, outcome: p.outcome, event: p.event });
      expect({ list, filter, compiled: c.compiled, statements: c.statements }).toEqual({ list, filter, compiled: true, statements: 1 });
      expect({ list, filter, rows: c.outcome.data?.[list].nodes.length }).toEqual({ list, filter, rows: expected });
    }
    // Each filter leaves some rows, and not all of them.
    expect(cases.filter((k) => k.expected === 0).map((k) => k.filter)).toEqual([]);
  });

  it("records an order hold's subject, its order's customer, and reads a hold's order and an order's cases in the root row's statement", async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:compliance_officer' && r.purpose === 'legal_compliance')!);
    const [{ customer_id: orderCustomer }] = (await db.dataSource.query(`SELECT customer_id FROM "order" WHERE id = $1`, [ids.heldOrder])) as Array<{ customer_id: string }>;
    const query = `{ legalHolds { scope order { id afterSalesCases { id order { id } } } } }`;
    const { c } = await compiledInOneStatement(query, caller, {});
    const holds = c.outcome.data?.legalHolds as Array<{ scope: string; order: { id: string } | null }>;
    expect(holds.find((h) => h.scope === 'ORDER')?.order?.id).toBe(ids.heldOrder);
    expect(holds.find((h) => h.scope === 'CUSTOMER')?.order).toBeNull();
    expect(c.event.subjectIds).toContain(orderCustomer);
    // A case of the order, read through it, points back at it.
    const [{ n: cases }] = (await db.dataSource.query(`SELECT count(*)::int AS n FROM after_sales_case WHERE order_id = $1`, [ids.heldOrder])) as Array<{ n: number }>;
    expect(cases).toBeGreaterThan(0);
    const order = holds.find((h) => h.scope === 'ORDER')!.order as unknown as { afterSalesCases: Array<{ order: { id: string } }> };
    expect(order.afterSalesCases.length).toBe(cases);
    for (const k of order.afterSalesCases) expect(k.order.id).toBe(ids.heldOrder);
  });

  it("seals an attachment's download link in Node, as its resolver does: for the caller and what the read served", async () => {
    const row = MATRIX.find((r) => engine.viewFor(callerOfMatrixRow(r)).decide('CaseAttachment', 'downloadUrl') === 'visible' && r.rows === 'all')!;
    const caller = callerOfMatrixRow(row);
    const query = `query($id: ID!) { customer(id: $id) { afterSalesCases(first: 20) { nodes { id attachments { id downloadUrl } } } } }`;
    const variables = { id: DEMO_IDS.demoCustomer };
    const c = await outcomeAndEvent(compiled, db, query, caller, variables);
    const p = await outcomeAndEvent(plain, db, query, caller, variables);
    expect({ compiled: c.compiled, statements: c.statements }).toEqual({ compiled: true, statements: 1 });
    expect(c.event).toEqual(p.event);
    expect(c.event.disclosed).toContain('CaseAttachment.downloadUrl');
    // Each link is sealed afresh (its own nonce and time): opened, both name the same attachment, caller and served request.
    const links = new AttachmentLinks(TEST_SECRETS.cursorSecret, 60);
    type Node = { id: string; attachments: Array<{ id: string; downloadUrl: string }> };
    const opened = async (data: Record<string, unknown> | null | undefined) =>
      Promise.all(
        ((data?.customer as { afterSalesCases: { nodes: Node[] } }).afterSalesCases.nodes ?? []).map(async (n) => ({
          id: n.id,
          attachments: await Promise.all(
            n.attachments.map(async (a) => {
              const link = await links.open(a.downloadUrl.replace(/^\/attachments\//, ''));
              return { id: a.id, link: link && { attachmentId: link.attachmentId, principal: link.principal, purpose: link.purpose, served: link.served } };
            }),
          ),
        })),
      );
    const compiledLinks = await opened(c.outcome.data);
    expect(compiledLinks).toEqual(await opened(p.outcome.data));
    const attachments = compiledLinks.flatMap((n) => n.attachments);
    expect(attachments.length).toBeGreaterThan(0);
    for (const a of attachments) expect(a.link).toEqual({ attachmentId: a.id, principal: caller.principal, purpose: caller.purpose, served: expect.any(Object) });
  });

  it("answers a download link that cannot be sealed as graphql-js answers its resolver's failure: that link null with its masked error at its path, the rest kept", async () => {
    const row = MATRIX.find((r) => engine.viewFor(callerOfMatrixRow(r)).decide('CaseAttachment', 'downloadUrl') === 'visible' && r.rows === 'all')!;
    const caller = callerOfMatrixRow(row);
    const query = `query($id: ID!) { customer(id: $id) { id afterSalesCases(first: 20) { nodes { id attachments { id downloadUrl } } } } }`;
    const variables = { id: DEMO_IDS.demoCustomer };
    const attachments: Array<{ id: string }> = await db.dataSource.query(
      `SELECT a.id FROM case_attachment a JOIN after_sales_case k ON k.id = a.case_id WHERE k.customer_id = $1 ORDER BY a.id`,
      [DEMO_IDS.demoCustomer],
    );
    expect(attachments.length).toBeGreaterThan(1);
    const failing = attachments[0]!.id;
    const issue = AttachmentLinks.prototype.issue;
    const spy = jest.spyOn(AttachmentLinks.prototype, 'issue').mockImplementation(function (this: AttachmentLinks, id, who, served) {
      return id === failing ? Promise.reject(new Error('the signing key is unavailable')) : issue.call(this, id, who, served);
    });
    let c: Awaited<ReturnType<typeof outcomeAndEvent>>;
    let p: Awaited<ReturnType<typeof outcomeAndEvent>>;
    try {
      c = await outcomeAndEvent(compiled, db, query, caller, variables);
      p = await outcomeAndEvent(plain, db, query, caller, variables);
    } finally {
      spy.mockRestore();
    }
    expect(c.compiled).toBe(true);
    // Links are sealed afresh each time: compared as links.
    const sealedAway = <T>(value: T): T =>
      JSON.parse(JSON.stringify(value), (key, v) => (key === 'downloadUrl' && typeof v === 'string' ? v.replace(/^(\/attachments\/)[^/]+$/, '$1(sealed)') : v)) as T;
    expect(sealedAway(c.outcome)).toEqual(sealedAway(p.outcome));
    expect(c.event).toEqual(p.event);
    type Node = { id: string; attachments: Array<{ id: string; downloadUrl: string | null }> };
    const nodes = (c.outcome.data?.customer as { afterSalesCases: { nodes: Node[] } }).afterSalesCases.nodes;
    const at = nodes.flatMap((n, i) => n.attachments.map((a, j) => ({ a, path: ['customer', 'afterSalesCases', 'nodes', i, 'attachments', j, 'downloadUrl'] })));
    expect(at.filter(({ a }) => a.downloadUrl === null).map(({ a }) => a.id)).toEqual([failing]);
    expect(at.filter(({ a }) => a.downloadUrl !== null).length).toBe(attachments.length - 1);
    expect(c.outcome.errors).toEqual([{ message: 'Internal server error', path: at.find(({ a }) => a.id === failing)!.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
  });

  it("answers a statement that fails as graphql-js answers a resolver's failure: its root field's masked error at its path", async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:compliance_officer' && r.purpose === 'legal_compliance')!);
    const [carrier] = DEMO_IDS.logisticsPartners;
    // A nullable root beside one that answers, and a root that may not be null (its failure nulls data).
    const operations = [`{ partner(id: "${carrier}") { id name } policyVersions { version } }`, `{ legalHolds { reason } }`];
    await db.dataSource.query('ALTER TABLE partner RENAME TO partner_away');
    await db.dataSource.query('ALTER TABLE legal_hold RENAME TO legal_hold_away');
    try {
      for (const query of operations) {
        const c = await outcomeAndEvent(compiled, db, query, caller);
        const p = await outcomeAndEvent(plain, db, query, caller);
        expect({ query, outcome: c.outcome, event: c.event }).toEqual({ query, outcome: p.outcome, event: p.event });
        expect(c.compiled).toBe(true);
        expect(c.outcome.errors).toEqual([{ message: 'Internal server error', path: [query.includes('partner') ? 'partner' : 'legalHolds'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      }
    } finally {
      await db.dataSource.query('ALTER TABLE partner_away RENAME TO partner');
      await db.dataSource.query('ALTER TABLE legal_hold_away RENAME TO legal_hold');
    }
  });

  it("compiles the privacy queue's overdue filter and field, both read against the request's clock", async () => {
    const row = MATRIX.find((r) => {
      const view = engine.viewFor(callerOfMatrixRow(r));
      return view.decide('PrivacyRequest', 'overdue') === 'visible' && view.decideArgument('PrivacyRequestFilter.overdue') === 'visible' && r.rows === 'all';
    })!;
    const caller = callerOfMatrixRow(row);
    // One open request past its due time, one completed past it (not overdue), one open and not yet due.
    const [late, done, early] = (await db.dataSource.query(`SELECT id FROM privacy_request ORDER BY id LIMIT 3`)) as Array<{ id: string }>;
    await db.dataSource.query(`UPDATE privacy_request SET status = 'in_progress', due_at = now() - interval '1 day' WHERE id = $1`, [late!.id]);
    await db.dataSource.query(`UPDATE privacy_request SET status = 'completed', due_at = now() - interval '1 day' WHERE id = $1`, [done!.id]);
    await db.dataSource.query(`UPDATE privacy_request SET status = 'in_progress', due_at = now() + interval '1 day' WHERE id = $1`, [early!.id]);
    const query = `query($f: PrivacyRequestFilter) { privacyRequests(first: 50, filter: $f) { nodes { id status overdue } } }`;
    const answers = new Map<string, Array<{ id: string; overdue: boolean }>>();
    for (const overdue of [true, false, null]) {
      const c = await outcomeAndEvent(compiled, db, query, caller, { f: { overdue } });
      const p = await outcomeAndEvent(plain, db, query, caller, { f: { overdue } });
      expect(c.outcome).toEqual(p.outcome);
      expect(c.event).toEqual(p.event);
      expect(c.compiled).toBe(true);
      answers.set(String(overdue), c.outcome.data?.privacyRequests.nodes);
    }
    const overdueOf = (f: string) => new Map(answers.get(f)!.map((n) => [n.id, n.overdue]));
    expect(overdueOf('null').get(late!.id)).toBe(true);
    expect(overdueOf('null').get(done!.id)).toBe(false);
    expect(overdueOf('null').get(early!.id)).toBe(false);
    // The filter keeps exactly the requests the field calls overdue.
    expect([...overdueOf('true').entries()].sort()).toEqual([...overdueOf('null').entries()].filter(([, o]) => o).sort());
    expect([...overdueOf('false').entries()].sort()).toEqual([...overdueOf('null').entries()].filter(([, o]) => !o).sort());
  });

  it("answers a privacy request's result whose numbers JSON.parse reads as 0 or as no finite number as graphql-js does: data, errors and audit", async () => {
    const row = MATRIX.find((r) => engine.viewFor(callerOfMatrixRow(r)).decide('PrivacyRequest', 'result') === 'visible' && r.rows === 'all')!;
    const caller = callerOfMatrixRow(row);
    const [{ id }] = (await db.dataSource.query(`SELECT id FROM privacy_request ORDER BY id LIMIT 1`)) as Array<{ id: string }>;
    const [{ result: before }] = (await db.dataSource.query(`SELECT result::text AS result FROM privacy_request WHERE id = $1`, [id])) as Array<{ result: string | null }>;
    const query = `query($id: ID!) { privacyRequest(id: $id) { id result } }`;
    // What the gateway reads of each (JSON.parse: IEEE doubles), and so answers: no result for a
    // document that reads as 0, canonical JSON of the number read, and the field's error where a
    // number reads as no finite one.
    const documents: Array<[string, string | null | 'error']> = [
      ['1e-400', null],
      ['-1e-400', null],
      ['2.4703282292062327e-324', null],
      ['2.4703282292062328e-324', '5e-324'],
      ['5e-324', '5e-324'],
      ['{"a": 1e-400, "b": [2e-999]}', '{"a":0,"b":[0]}'],
      ['1e400', 'error'],
      ['-1e400', 'error'],
      ['1.7976931348623158e308', '1.7976931348623157e+308'],
      ['1.7976931348623159e308', 'error'],
      ['{"a": {"b": [1, 1e400]}}', 'error'],
    ];
    try {
      for (const [document, expected] of documents) {
        await db.dataSource.query(`UPDATE privacy_request SET result = $2::jsonb WHERE id = $1`, [id, document]);
        const c = await outcomeAndEvent(compiled, db, query, caller, { id });
        const p = await outcomeAndEvent(plain, db, query, caller, { id });
        expect({ document, compiled: c.compiled }).toEqual({ document, compiled: true });
        expect({ document, outcome: c.outcome, event: c.event }).toEqual({ document, outcome: p.outcome, event: p.event });
        const answered = (c.outcome.data?.privacyRequest as { result: string | null } | null)?.result;
        if (expected === 'error') {
          expect({ document, answered, errors: c.outcome.errors?.map((e) => e.path) }).toEqual({ document, answered: null, errors: [['privacyRequest', 'result']] });
        } else {
          expect({ document, answered, errors: c.outcome.errors }).toEqual({ document, answered: expected, errors: undefined });
        }
        expect({ document, disclosed: (c.event.disclosed as string[]).includes('PrivacyRequest.result') }).toEqual({ document, disclosed: typeof expected === 'string' && expected !== 'error' });
      }
    } finally {
      await db.dataSource.query(`UPDATE privacy_request SET result = $2::jsonb WHERE id = $1`, [id, before]);
    }
  });

  it("answers what each caller may do to a privacy request as graphql-js does, in lists and by id: its policy's writes that the request's type and status allow", async () => {
    // The writes each caller's matrix row grants on a request (disclosure-matrix.ts), and what
    // each write needs of the request (privacy-rights.ts), as the policy states them, in the order
    // a request is worked.
    const GRANTS: Record<string, string[]> = {
      'staff:compliance_officer / data_subject_request': ['ASSIGN', 'COMPLETE', 'REJECT', 'CREATE_EXPORT_LINK'],
      'staff:compliance_officer / legal_compliance': [],
      'staff:customer_service / data_subject_request': ['VERIFY', 'RESEND_CODE', 'RECTIFY'],
      'customer / data_subject_request': ['VERIFY', 'RESEND_CODE', 'RECTIFY', 'CREATE_EXPORT_LINK'],
    };
    const workable = (status: string) => status === 'identity_verified' || status === 'in_progress';
    const RULE: Array<[string, (type: string, status: string) => boolean]> = [
      ['VERIFY', (_t, s) => s === 'received'],
      ['RESEND_CODE', (_t, s) => s === 'received'],
      ['ASSIGN', (_t, s) => workable(s)],
      ['COMPLETE', (t, s) => workable(s) && t !== 'rectification'],
      ['REJECT', (_t, s) => s !== 'completed' && s !== 'rejected'],
      ['RECTIFY', (t, s) => workable(s) && t === 'rectification'],
      ['CREATE_EXPORT_LINK', (t, s) => t === 'access' && s === 'completed'],
    ];
    const expectedFor = (label: string, type: string, status: string) => RULE.filter(([action, allows]) => GRANTS[label]!.includes(action) && allows(type, status)).map(([action]) => action);
    const TYPES = ['access', 'rectification', 'erasure', 'withdraw_consent', 'objection'];
    const STATUSES = ['received', 'identity_verified', 'in_progress', 'completed', 'rejected'];
    // One request of the demo customer's in every type and status, received before any other.
    const inserted = (await db.dataSource.query(
      `INSERT INTO privacy_request (customer_id, type, status, received_at)
       SELECT $1, t::privacy_request_type, s::privacy_request_status, '2020-01-01T00:00:00Z'::timestamptz + (row_number() OVER ()) * interval '1 minute'
       FROM unnest($2::text[]) t CROSS JOIN unnest($3::text[]) s RETURNING id`,
      [DEMO_IDS.demoCustomer, TYPES, STATUSES],
    )) as Array<{ id: string }>;
    try {
      const stored = new Map(
        ((await db.dataSource.query(`SELECT id, type::text, status::text FROM privacy_request`)) as Array<{ id: string; type: string; status: string }>).map((r) => [r.id, r]),
      );
      type Answer = { id: string; actions: string[] | null };
      type Data = { privacyRequests?: { nodes: Answer[] }; customer?: { privacyRequests: Answer[] } | null; privacyRequest?: { actions: string[] | null } | null } | null | undefined;
      // Each read, and how many of the requests above it lists (every caller here reads them all).
      const operations: Array<{ name: string; query: string; variables?: { id: string }; nodes: (data: Data) => Answer[] | undefined; holds: number }> = [
        { name: 'the queue', query: `{ privacyRequests(first: 100, orderBy: RECEIVED_AT_ASC) { nodes { id actions status } } }`, nodes: (d) => d?.privacyRequests?.nodes, holds: inserted.length },
        {
          name: "a customer's requests",
          query: `query($id: ID!) { customer(id: $id) { id privacyRequests { id type actions } } }`,
          variables: { id: DEMO_IDS.demoCustomer },
          nodes: (d) => d?.customer?.privacyRequests,
          holds: inserted.length,
        },
        // By id: five of the requests, each type and each status once among them.
        ...inserted
          .map(({ id }) => stored.get(id)!)
          .filter((r) => TYPES.indexOf(r.type) === STATUSES.indexOf(r.status))
          .map(({ id, type, status }) => ({
            name: `a request by id (${type}, ${status})`,
            query: `query($id: ID!) { privacyRequest(id: $id) { actions } }`,
            variables: { id },
            nodes: (d: Data) => (d?.privacyRequest ? [{ id, ...d.privacyRequest }] : []),
            holds: 1,
          })),
      ];
      for (const label of Object.keys(GRANTS)) {
        const row = MATRIX.find((r) => `${r.principal} / ${r.purpose}` === label)!;
        const caller = callerOfMatrixRow(row);
        for (const op of operations) {
          const c = await outcomeAndEvent(compiled, db, op.query, caller, op.variables);
          const h = await httpOutcomeAndEvent(compiledHttp, db, op.query, caller, op.variables);
          const p = await outcomeAndEvent(plain, db, op.query, caller, op.variables);
          expect({ label, op: op.name, outcome: c.outcome, event: c.event, compiled: c.compiled }).toEqual({ label, op: op.name, outcome: p.outcome, event: p.event, compiled: true });
          expect({ label, op: op.name, outcome: h.outcome, event: h.event }).toEqual({ label, op: op.name, outcome: p.outcome, event: p.event });
          const nodes = op.nodes(c.outcome.data as Data) ?? [];
          const listed = inserted.filter((r) => nodes.some((n) => n.id === r.id)).length;
          expect({ label, op: op.name, listed }).toEqual({ label, op: op.name, listed: op.holds });
          const answered = nodes.map((n) => ({ id: n.id, actions: n.actions }));
          const expected = nodes.map((n) => ({ id: n.id, actions: expectedFor(label, stored.get(n.id)!.type, stored.get(n.id)!.status) }));
          expect({ label, op: op.name, answered }).toEqual({ label, op: op.name, answered: expected });
          // Audited as carried where one request is left an action (an empty list carries none).
          const carried = expected.some((n) => n.actions.length > 0);
          expect({ label, op: op.name, carried: (c.event.disclosed as string[]).includes('PrivacyRequest.actions') }).toEqual({ label, op: op.name, carried });
        }
      }
    } finally {
      await db.dataSource.query(`DELETE FROM privacy_request WHERE id = ANY($1::uuid[])`, [inserted.map((r) => r.id)]);
    }
  });

  it("a carrier never gets another carrier's shipment, nor its order through a shipment", async () => {
    const caller = callerOfMatrixRow(MATRIX.find((r) => r.principal === 'logistics_partner')!);
    const other = await outcomeAndEvent(compiled, db, `{ shipment(id: "${ids.otherShipment}") { id order { id } } }`, caller);
    const missing = await outcomeAndEvent(compiled, db, `{ shipment(id: "00000000-0000-4000-8000-000000000000") { id order { id } } }`, caller);
    expect(other.outcome).toEqual(missing.outcome);
    expect(other.statements).toBe(missing.statements);
    expect(other.event.subjectIds).toEqual([]);
  });
});
