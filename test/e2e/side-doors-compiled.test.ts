/**
 * The side doors of reads, tried again as an outside tester would, on both read paths: the
 * compiled one (src/execution/read-plans.ts) and graphql-js (`compiledReads: false`). Each probe
 * runs on both and requires the same response and the same audit event; its expected values come
 * from the design's words, read from the database in SQL written here:
 * - a filter naming a linked row outside the caller's scope answers as one naming a row that
 *   does not exist (same response, same statements, same audit event);
 * - a nested page's cursor opens only for the caller, list and ordering it was made for, and any
 *   other cursor is refused with the one message a forged cursor gets;
 * - a nested page is never sorted by a field the caller may not see, and may not be asked to be;
 * - a compiled read that shows only the structure below a customer (a page's hasNextPage, type
 *   names) still records the customer as the subject of the disclosure;
 * - a filter or ordering discloses the field it works on about the rows it returns, and the
 *   audit event names it even when the response does not select it;
 * - rows an erasure kept and restricted are, to every reader but a compliance officer on a legal
 *   case, rows that do not exist: by id, through a filter, below an order or a customer.
 */
import type { Caller } from '../../src/policy/principal';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { INVALID_CURSOR_MESSAGE } from '../../src/platform/cursor-seal';
import { compiledAndPlain, outcomeAndEvent } from '../harness/compiled-equivalence';
import { PolicyEngine, type PolicyView } from '../../src/policy/policy-view';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createErasureFixture, type ErasureFixture } from '../harness/erasure-fixture';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { as } from '../harness/principals';
import { insertServedRequest } from '../harness/privacy-request-fixture';

const [carrierA, carrierB] = DEMO_IDS.logisticsPartners;
const [providerA, providerB] = DEMO_IDS.paymentProviders;
const RANDOM_ID = '5d0c8e1a-2b3f-4c7d-9e8f-1a2b3c4d5e6f';
const customerService = as.staff(['customer_service'], 'after_sales');

/** A third party whose grant names the account name and the order reference, not the order status (which Order.placedAt is). */
const narrowThirdParty: Caller = {
  principal: { ...(as.thirdParty().principal as Extract<Caller['principal'], { kind: 'third_party' }>), categories: ['identity.account_name', 'order.reference'] },
  purpose: 'authorized_sharing',
};

describe('side doors of reads, on the compiled path and on graphql-js', () => {
  let db: TestDatabase;
  let compiled: Gateway;
  let plain: Gateway;
  const q = <T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const one = async (sql: string, params: unknown[] = []): Promise<string> => {
    const [row] = await q<{ id: string }>(sql, params);
    if (!row) throw new Error(`the demo data holds no row for: ${sql}`);
    return row.id;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    // Refusals and misses are what these probes send.
    ({ compiled, plain } = await compiledAndPlain(db));
  });
  afterAll(async () => {
    await compiled?.stop();
    await plain?.stop();
    await db?.drop();
  });

  /** One operation on both paths: the same response and audit event on each; the compiled side's answer, and whether it was compiled. */
  const onBoth = async (query: string, caller: Caller, variables?: Record<string, unknown>) => {
    const c = await outcomeAndEvent(compiled, db, query, caller, variables);
    const p = await outcomeAndEvent(plain, db, query, caller, variables);
    expect({ outcome: c.outcome, event: c.event }).toEqual({ outcome: p.outcome, event: p.event });
    return c;
  };

  describe('a filter naming a linked row outside the scope answers as a row that does not exist', () => {
    // [who, caller, query, the in-scope id, the foreign id] — each id read in SQL from the design's scope rules.
    const cases: Array<[string, Caller, string, () => Promise<string>, () => Promise<string>]> = [
      [
        "a carrier, shipments by an order only another carrier ships",
        as.logistics(carrierA),
        `query($id: ID!) { shipments(first: 10, filter: { orderId: $id }) { pageInfo { hasNextPage } nodes { id trackingNumber } } }`,
        () => one(`SELECT order_id AS id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [carrierA]),
        () => one(`SELECT order_id AS id FROM shipment s WHERE logistics_partner_id = $2 AND NOT EXISTS (SELECT 1 FROM shipment t WHERE t.order_id = s.order_id AND t.logistics_partner_id = $1) ORDER BY id LIMIT 1`, [carrierA, carrierB]),
      ],
      [
        'a payment provider, payments by an order only another provider processed',
        as.payment(providerA),
        `query($id: ID!) { paymentVerifications(first: 10, filter: { orderId: $id }) { pageInfo { hasNextPage } nodes { id amount } } }`,
        () => one(`SELECT order_id AS id FROM payment_verification WHERE provider_id = $1 ORDER BY id LIMIT 1`, [providerA]),
        () => one(`SELECT order_id AS id FROM payment_verification p WHERE provider_id = $2 AND NOT EXISTS (SELECT 1 FROM payment_verification v WHERE v.order_id = p.order_id AND v.provider_id = $1) ORDER BY id LIMIT 1`, [providerA, providerB]),
      ],
      [
        "a customer, cases by another customer's order",
        as.customer(DEMO_IDS.demoCustomer),
        `query($id: ID!) { afterSalesCases(first: 10, filter: { orderId: $id }) { pageInfo { hasNextPage } nodes { id status } } }`,
        () => one(`SELECT order_id AS id FROM after_sales_case WHERE customer_id = $1 AND order_id IS NOT NULL ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
        () => one(`SELECT order_id AS id FROM after_sales_case WHERE customer_id <> $1 AND order_id IS NOT NULL ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
      ],
      [
        'a customer, shipments by another customer’s order',
        as.customer(DEMO_IDS.demoCustomer),
        `query($id: ID!) { shipments(first: 10, filter: { orderId: $id }) { pageInfo { hasNextPage } nodes { id status } } }`,
        () => one(`SELECT s.order_id AS id FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $1 ORDER BY s.id LIMIT 1`, [DEMO_IDS.demoCustomer]),
        () => one(`SELECT s.order_id AS id FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id <> $1 ORDER BY s.id LIMIT 1`, [DEMO_IDS.demoCustomer]),
      ],
      [
        "a third party, orders by a customer other than the one who granted it",
        as.thirdParty(),
        `query($id: ID!) { orders(first: 10, filter: { customerId: $id }) { pageInfo { hasNextPage } nodes { id orderNumber status } } }`,
        async () => DEMO_IDS.demoCustomer,
        () => one(`SELECT customer_id AS id FROM "order" WHERE customer_id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]),
      ],
    ];

    it.each(cases)('%s', async (_who, caller, query, ownId, foreignId) => {
      // The filter works: a linked row in scope gives rows, on the compiled path.
      const own = await onBoth(query, caller, { id: await ownId() });
      expect(own.compiled).toBe(true);
      expect(own.outcome.errors).toBeUndefined();
      const list = Object.values(own.outcome.data!)[0] as { nodes: unknown[] };
      expect(list.nodes.length).toBeGreaterThan(0);

      const foreign = await onBoth(query, caller, { id: await foreignId() });
      const missing = await onBoth(query, caller, { id: RANDOM_ID });
      expect(foreign.outcome).toEqual(missing.outcome);
      expect(foreign.outcome).toEqual({ status: 200, data: { [Object.keys(own.outcome.data!)[0]!]: { pageInfo: { hasNextPage: false }, nodes: [] } } });
      expect(foreign.event).toEqual(missing.event);
      expect(foreign.event.subjectIds).toEqual([]);
      // The same statements, parameters aside: nothing about the foreign row was looked up.
      expect(foreign.texts).toEqual(missing.texts);
    });
  });

  describe("a nested page's cursor", () => {
    const PAGE = `query($id: ID!, $after: String) { customer(id: $id) { orders(first: 1, after: $after) { pageInfo { endCursor } nodes { id } } } }`;
    const ASCENDING = `query($id: ID!, $after: String) { customer(id: $id) { orders(first: 1, after: $after, orderBy: PLACED_AT_ASC) { nodes { id } } } }`;
    let customer: string;
    let newest: string[];
    let cursor: string;

    beforeAll(async () => {
      customer = await one(`SELECT customer_id AS id FROM "order" GROUP BY customer_id HAVING count(*) >= 3 ORDER BY customer_id LIMIT 1`);
      // Newest first (the default ordering customer service may use), ties by id.
      newest = (await q<{ id: string }>(`SELECT id FROM "order" WHERE customer_id = $1 ORDER BY placed_at DESC, id DESC`, [customer])).map((r) => r.id);
      const first = await compiled.execute(PAGE, customerService, { id: customer });
      if (first.body.kind !== 'single') throw new Error('expected a single result');
      cursor = (first.body.singleResult.data as any).customer.orders.pageInfo.endCursor;
    });

    it('opens the next page for the caller it was given to, on the compiled path', async () => {
      const next = await onBoth(PAGE, customerService, { id: customer, after: cursor });
      expect(next.compiled).toBe(true);
      expect(next.outcome.data?.customer.orders.nodes).toEqual([{ id: newest[1] }]);
    });

    it('walks every order of the customer, one page at a time, and ends on an empty page', async () => {
      const WALK = `query($id: ID!, $after: String) { customer(id: $id) { orders(first: 1, after: $after) { pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id } } } }`;
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page <= newest.length; page += 1) {
        await onBoth(WALK, customerService, { id: customer, after });
        const raw = await compiled.execute(WALK, customerService, { id: customer, after });
        if (raw.body.kind !== 'single') throw new Error('expected a single result');
        const orders = (raw.body.singleResult.data as any).customer.orders;
        expect(orders.pageInfo.hasPreviousPage).toBe(after !== null);
        expect(orders.pageInfo.hasNextPage).toBe(page < newest.length - 1);
        seen.push(...orders.nodes.map((n: { id: string }) => n.id));
        if (page === newest.length) expect(orders).toEqual({ pageInfo: { hasNextPage: false, hasPreviousPage: true, endCursor: null }, nodes: [] });
        after = orders.pageInfo.endCursor ?? after;
      }
      expect(seen).toEqual(newest);
    });

    it.each([
      ['the same staff member working on another purpose', as.staff(['customer_service'], 'fulfillment')],
      ['another role', as.staff(['fraud_analyst'], 'fraud_prevention')],
      ['another staff member in the same role', { ...customerService, principal: { ...customerService.principal, subject: 'staff-someone-else' } } as Caller],
      ['the customer the orders belong to', null],
    ])('is refused for %s, as a forged one is', async (_label, other) => {
      const caller = other ?? as.customer(customer);
      const replayed = await onBoth(PAGE, caller, { id: customer, after: cursor });
      const forged = await onBoth(PAGE, caller, { id: customer, after: `${cursor.slice(0, -3)}${cursor.endsWith('AAA') ? 'BBB' : 'AAA'}` });
      const refusal = { status: 200, data: { customer: { orders: null } }, errors: [{ message: INVALID_CURSOR_MESSAGE, locations: [{ line: 1, column: 55 }], path: ['customer', 'orders'], extensions: { code: 'BAD_USER_INPUT' } }] };
      expect(replayed.outcome).toEqual(refusal);
      expect(forged.outcome).toEqual(refusal);
    });

    it('is refused under another ordering of the same list', async () => {
      const r = await onBoth(ASCENDING, customerService, { id: customer, after: cursor });
      expect(r.outcome.errors?.map((e) => [e.extensions?.code, e.message, e.path])).toEqual([['BAD_USER_INPUT', INVALID_CURSOR_MESSAGE, ['customer', 'orders']]]);
    });
  });

  it('a nested page is sorted by id for a caller that may not see the time it would be sorted by, and may not ask for that time', async () => {
    const byId = (await q<{ id: string }>(`SELECT id FROM "order" WHERE customer_id = $1 ORDER BY id LIMIT 100`, [DEMO_IDS.demoCustomer])).map((r) => r.id);
    expect(byId.length).toBeGreaterThan(1);
    const listed = await onBoth(`query($id: ID!) { customer(id: $id) { accountName orders(first: 100) { nodes { id orderNumber } } } }`, narrowThirdParty, { id: DEMO_IDS.demoCustomer });
    expect(listed.compiled).toBe(true);
    expect(listed.outcome.data?.customer.orders.nodes.map((n: { id: string }) => n.id)).toEqual(byId);

    const sorted = await onBoth(`query($id: ID!) { customer(id: $id) { orders(first: 5, orderBy: PLACED_AT_ASC) { nodes { orderNumber } } } }`, narrowThirdParty, { id: DEMO_IDS.demoCustomer });
    expect(sorted.outcome.errors?.map((e) => [e.extensions?.code, e.message, e.path])).toEqual([['FORBIDDEN', 'orderBy: not available to this caller for this purpose', ['customer', 'orders']]]);
    expect(sorted.outcome.data).toEqual({ customer: { orders: null } });
    // The refused ordering is recorded, besides the field its error stands at.
    expect(sorted.event.denied).toEqual(['Customer.orders', 'OrderOrder.PLACED_AT_ASC']);
  });

  describe('a list below a row is ordered only by what the caller sees, else by id', () => {
    /** A third party whose grant names the account and recipient names: it sees a customer's addresses, not which one is the default. */
    const namesOnly: Caller = {
      principal: { ...(as.thirdParty().principal as Extract<Caller['principal'], { kind: 'third_party' }>), categories: ['identity.account_name', 'identity.recipient_name'] },
      purpose: 'authorized_sharing',
    };
    const ADDRESSES = `query($id: ID!) { customer(id: $id) { addresses { id recipientName } } }`;

    beforeAll(async () => {
      // Two more addresses of the demo customer, neither the default: the later-created has the smaller id,
      // so an order by when they were created (which no caller may read) differs from the order by id.
      await q(
        `INSERT INTO address (id, customer_id, recipient_name, line1, city, postal_code, country, phone, is_default, created_at) VALUES
           ('ffffffff-0000-4000-8000-000000000001', $1, 'Early Entry', '1 First St', 'Lyon', '69001', 'FR', '+33100000001', false, '2001-01-01T00:00:00Z'),
           ('00000000-0000-4000-8000-000000000001', $1, 'Late Entry', '2 Last St', 'Lyon', '69002', 'FR', '+33100000002', false, '2099-01-01T00:00:00Z')`,
        [DEMO_IDS.demoCustomer],
      );
    });
    afterAll(() => q(`DELETE FROM address WHERE id IN ('ffffffff-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001')`));

    it('customer service, who sees which address is the default: the default first, then the others by id, never by when they were added', async () => {
      const rows = await q<{ id: string; is_default: boolean }>(`SELECT id, is_default FROM address WHERE customer_id = $1`, [DEMO_IDS.demoCustomer]);
      expect(rows.filter((a) => a.is_default)).toHaveLength(1);
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      const expected = [...rows.filter((a) => a.is_default), ...rows.filter((a) => !a.is_default).sort(byId)].map((a) => a.id);
      const r = await onBoth(ADDRESSES, customerService, { id: DEMO_IDS.demoCustomer });
      expect(r.compiled).toBe(true);
      expect(r.outcome.data?.customer.addresses.map((a: { id: string }) => a.id)).toEqual(expected);
    });

    it('a third party that may not see which address is the default: every address by id', async () => {
      const expected = (await q<{ id: string }>(`SELECT id FROM address WHERE customer_id = $1`, [DEMO_IDS.demoCustomer])).map((a) => a.id).sort();
      expect(expected[0]).toBe('00000000-0000-4000-8000-000000000001');
      const r = await onBoth(ADDRESSES, namesOnly, { id: DEMO_IDS.demoCustomer });
      expect(r.outcome.errors).toBeUndefined();
      expect(r.outcome.data?.customer.addresses.map((a: { id: string }) => a.id)).toEqual(expected);
    });

    it("a carrier, from whom an item's position is withheld: an order's items by id", async () => {
      // An order the carrier ships whose items' positions run in another order than their ids.
      const order = await one(
        `SELECT i.order_id AS id FROM order_item i JOIN shipment s ON s.order_id = i.order_id AND s.logistics_partner_id = $1
          GROUP BY i.order_id HAVING array_agg(i.id ORDER BY i.position) <> array_agg(i.id ORDER BY i.id) ORDER BY i.order_id LIMIT 1`,
        [carrierA],
      );
      const expected = (await q<{ id: string }>(`SELECT id FROM order_item WHERE order_id = $1 ORDER BY id`, [order])).map((i) => i.id);
      const r = await onBoth(`query($id: ID!) { order(id: $id) { items { id productName } } }`, as.logistics(carrierA), { id: order });
      expect(r.outcome.errors).toBeUndefined();
      expect(r.outcome.data?.order.items.map((i: { id: string }) => i.id)).toEqual(expected);
    });
  });

  describe("a plain root list's arguments go through the argument rule on both paths", () => {
    const DENIED = 'Query.legalHolds(activeOnly:)';
    let views: jest.SpyInstance;
    let gateways: { compiled: Gateway; plain: Gateway };

    beforeAll(async () => {
      gateways = await compiledAndPlain(db);
      // A view that may read legal holds but not send `activeOnly` (as a new classified argument the
      // matrix does not yet allow would be): a view of its own key, so nothing cached for the real one answers it.
      const viewFor = PolicyEngine.prototype.viewFor;
      const narrowed = new Map<string, PolicyView>();
      views = jest.spyOn(PolicyEngine.prototype, 'viewFor').mockImplementation(function (this: PolicyEngine, caller: Caller) {
        const view = viewFor.call(this, caller);
        if (view.decide('Query', 'legalHolds') !== 'visible') return view;
        let narrow = narrowed.get(view.key);
        if (!narrow) {
          narrow = { ...view, key: `${view.key}|${DENIED}`, decideArgument: (coordinate: string) => (coordinate === DENIED ? 'denied' : view.decideArgument(coordinate)) };
          narrowed.set(view.key, narrow);
        }
        return narrow;
      });
    });
    afterAll(async () => {
      views.mockRestore();
      await gateways.compiled.stop();
      await gateways.plain.stop();
    });

    it.each([
      ['sent', `{ legalHolds(activeOnly: false) { id } }`],
      ['left to its default', `{ legalHolds { id } }`],
    ])('an argument the caller may not send, %s, is refused on both paths', async (_label, query) => {
      const caller = as.staff(['compliance_officer'], 'legal_compliance');
      const c = await outcomeAndEvent(gateways.compiled, db, query, caller);
      const p = await outcomeAndEvent(gateways.plain, db, query, caller);
      expect({ outcome: c.outcome, event: c.event }).toEqual({ outcome: p.outcome, event: p.event });
      expect(c.outcome.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'activeOnly: not available to this caller for this purpose']]);
      expect(c.event.denied).toEqual(['Query.legalHolds', 'Query.legalHolds(activeOnly:)']);
    });
  });

  describe('a compiled read that shows only structure below a customer records the customer', () => {
    it.each([
      ['whether a page of their orders goes on', `query($id: ID!) { customer(id: $id) { orders(first: 1) { pageInfo { hasNextPage } } } }`, { customer: { orders: { pageInfo: { hasNextPage: true } } } }],
      ['how many orders they have, as type names', `query($id: ID!) { customer(id: $id) { orders(first: 2) { nodes { __typename } } } }`, { customer: { orders: { nodes: [{ __typename: 'Order' }, { __typename: 'Order' }] } } }],
      ['that they exist', `query($id: ID!) { customer(id: $id) { __typename } }`, { customer: { __typename: 'Customer' } }],
    ])('%s', async (_label, query, data) => {
      const customer = await one(`SELECT customer_id AS id FROM "order" WHERE customer_id <> $1 GROUP BY customer_id HAVING count(*) >= 2 ORDER BY customer_id LIMIT 1`, [DEMO_IDS.demoCustomer]);
      const r = await onBoth(query, customerService, { id: customer });
      expect(r.compiled).toBe(true);
      expect(r.outcome).toEqual({ status: 200, data });
      expect(r.event.subjectIds).toEqual([customer]);
    });
  });
  describe('rows an erasure kept and restricted', () => {
    const officer = as.staff(['compliance_officer'], 'legal_compliance');
    let x: ErasureFixture;
    /** Every row of the erased customer's orders, by table, as SQL reads it: [restricted, unrestricted] ids. */
    const rowsOf = async (sql: string): Promise<{ restricted: string[]; open: string[] }> => {
      const rows = await q<{ id: string; restricted: boolean }>(sql, [x.customerId]);
      return { restricted: rows.filter((r) => r.restricted).map((r) => r.id).sort(), open: rows.filter((r) => !r.restricted).map((r) => r.id).sort() };
    };

    beforeAll(async () => {
      x = await createErasureFixture(db.dataSource);
      await db.dataSource.transaction((em) => eraseCustomer(em, x.customerId, new Date()));
    });

    it('the erasure restricted the orders it kept, with their shipments and payments, and left the one it anonymized open', async () => {
      expect(await rowsOf(`SELECT id, restricted_at IS NOT NULL AS restricted FROM "order" WHERE customer_id = $1`)).toEqual({ restricted: [x.openOrder, x.heldOrder].sort(), open: [x.pastOrder] });
      const shipments = await rowsOf(`SELECT s.id, s.restricted_at IS NOT NULL AS restricted FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $1`);
      expect([shipments.restricted.length, shipments.open.length]).toEqual([2, 1]);
      expect(await q(`SELECT restricted_at FROM customer WHERE id = $1`, [x.customerId])).toEqual([{ restricted_at: null }]);
    });

    it.each([
      ['an order by id', `query($id: ID!) { order(id: $id) { id orderNumber } }`],
      ["shipments filtered by the order", `query($id: ID!) { shipments(first: 10, filter: { orderId: $id }) { pageInfo { hasNextPage } nodes { id } } }`],
      ["payments filtered by the order", `query($id: ID!) { paymentVerifications(first: 10, filter: { orderId: $id }) { pageInfo { hasNextPage } nodes { id } } }`],
      ["cases filtered by the order", `query($id: ID!) { afterSalesCases(first: 10, filter: { orderId: $id }) { nodes { id } } }`],
    ])('%s: a kept order answers customer service as an order that does not exist, and a compliance officer as it is', async (_label, query) => {
      for (const id of [x.openOrder, x.heldOrder]) {
        const kept = await onBoth(query, customerService, { id });
        const missing = await onBoth(query, customerService, { id: RANDOM_ID });
        expect(kept.outcome).toEqual(missing.outcome);
        expect(kept.event).toEqual(missing.event);
        expect(kept.texts).toEqual(missing.texts);
      }
      // The officer reads the kept order (or its rows), so these probes could fail.
      const read = await onBoth(query, officer, { id: x.openOrder });
      expect(JSON.stringify(read.outcome.data)).toContain(query.includes('afterSalesCases') ? '"nodes":[]' : '"id"');
    });

    it("below the customer and their open order, customer service sees only rows that were not restricted, on the compiled path", async () => {
      const query = `query($id: ID!, $order: ID!) {
        customer(id: $id) { id orders(first: 10) { nodes { id items { sku } shipments { id } paymentVerifications { id } } } afterSalesCases(first: 10) { nodes { id } } }
        order(id: $order) { id shipments { id events { occurredAt } } paymentVerifications { id } items { sku } } }`;
      const openShipments = (await rowsOf(`SELECT s.id, s.restricted_at IS NOT NULL AS restricted FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $1`)).open;
      const openPayments = (await rowsOf(`SELECT p.id, p.restricted_at IS NOT NULL AS restricted FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE o.customer_id = $1`)).open;
      const r = await onBoth(query, customerService, { id: x.customerId, order: x.pastOrder });
      expect(r.compiled).toBe(true);
      // The customer (not under a hold) was anonymized, not restricted: shown, without its kept orders.
      expect(r.outcome.data?.customer.orders.nodes.map((o: { id: string }) => o.id)).toEqual([x.pastOrder]);
      expect(r.outcome.data?.customer.afterSalesCases.nodes).toEqual([]);
      const shown = r.outcome.data?.order;
      expect(shown.id).toBe(x.pastOrder);
      expect(openShipments).toHaveLength(1);
      expect(shown.shipments.map((s: { id: string }) => s.id)).toEqual(openShipments);
      expect(shown.paymentVerifications.map((p: { id: string }) => p.id)).toEqual(openPayments);
      // And the officer on a legal case sees the kept orders too.
      const all = await onBoth(query, officer, { id: x.customerId, order: x.openOrder });
      expect(all.outcome.data?.customer.orders.nodes.map((o: { id: string }) => o.id).sort()).toEqual([x.pastOrder, x.openOrder, x.heldOrder].sort());
    });
  });
  describe('a filter or an ordering discloses the field it works on, and the audit event names it', () => {
    it.each([
      ['orders filtered by status, showing ids only', `{ orders(first: 5, filter: { statuses: [CANCELLED] }) { nodes { id } } }`, ['Order.status']],
      ['orders filtered by status and time, through a variable', `query($f: OrderFilter) { orders(first: 5, filter: $f) { edges { node { id } } } }`, ['Order.placedAt', 'Order.status']],
      ['orders sorted oldest first, showing ids only', `{ orders(first: 5, orderBy: PLACED_AT_ASC) { nodes { id } } }`, ['Order.placedAt']],
      ["a customer's orders sorted oldest first", `query($id: ID!) { customer(id: $id) { id orders(first: 3, orderBy: PLACED_AT_ASC) { nodes { id } } } }`, ['Order.placedAt']],
      ['cases filtered by type, showing ids only', `{ afterSalesCases(first: 5, filter: { types: [COMPLAINT, REFUND] }) { nodes { id } } }`, ['AfterSalesCase.type']],
    ])('%s', async (_label, query, revealed) => {
      const variables = { id: DEMO_IDS.demoCustomer, f: { statuses: ['DELIVERED', 'COMPLETED'], placedFrom: '2020-01-01T00:00:00Z' } };
      const r = await onBoth(query, customerService, variables);
      expect(r.outcome.errors).toBeUndefined();
      expect(JSON.stringify(r.outcome.data)).toContain('"id"');
      expect(r.event.disclosed).toEqual(revealed);
      expect(r.event.outcome).toBe('ok');
    });

    it('one document, sent again with other variables, discloses what each request sent (nothing carried over)', async () => {
      // The same text each time: the parsed operation (and what is worked out once for it) is shared.
      const query = `query($f: OrderFilter, $o: OrderOrder) { orders(first: 5, filter: $f, orderBy: $o) { nodes { id } } }`;
      const sent: Array<[Record<string, unknown>, string[]]> = [
        [{ f: { statuses: ['DELIVERED', 'COMPLETED'] } }, ['Order.status']],
        [{ f: { placedFrom: '2020-01-01T00:00:00Z' }, o: 'PLACED_AT_ASC' }, ['Order.placedAt']],
        [{ f: { statuses: ['DELIVERED', 'COMPLETED'] } }, ['Order.status']],
      ];
      for (const [variables, revealed] of sent) {
        const r = await onBoth(query, customerService, variables);
        expect(r.outcome.errors).toBeUndefined();
        expect(JSON.stringify(r.outcome.data)).toContain('"id"');
        expect(r.event.disclosed).toEqual(revealed);
      }
    });

    it('one document with its filter written in the text discloses the same on every request', async () => {
      const query = `query($id: ID!) { customer(id: $id) { id orders(first: 3, orderBy: PLACED_AT_ASC) { nodes { id } } } }`;
      for (let i = 0; i < 3; i++) {
        const r = await onBoth(query, customerService, { id: DEMO_IDS.demoCustomer });
        expect(r.outcome.errors).toBeUndefined();
        expect(r.event.disclosed).toEqual(['Order.placedAt']);
      }
    });

    it('discloses nothing where no row came back: the filter then told of no row', async () => {
      const r = await onBoth(`{ orders(first: 5, filter: { statuses: [CANCELLED], placedTo: "2000-01-01T00:00:00Z" }) { nodes { id } } }`, customerService);
      expect(r.outcome).toEqual({ status: 200, data: { orders: { nodes: [] } } });
      expect(r.event.disclosed).toEqual([]);
    });

    it('a default value is sent: the active legal holds disclose that they are not released', async () => {
      const officer = as.staff(['compliance_officer'], 'legal_compliance');
      const [{ n }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM legal_hold WHERE released_at IS NULL`);
      expect(n).toBeGreaterThan(0);
      const r = await onBoth(`{ legalHolds { id } }`, officer);
      expect(r.outcome.data?.legalHolds).toHaveLength(n);
      expect(r.event.disclosed).toEqual(['LegalHold.releasedAt']);
    });
  });
});
