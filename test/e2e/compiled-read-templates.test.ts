/**
 * Compiled statements kept as templates (read-plans.ts `Templates`): one gateway keeps them across
 * requests of different callers, scopes, page sizes, orderings, cursors and filters, another
 * renders every statement afresh. Each request, sent to both, must send the same statement text
 * with the same values (its own caller's scope, ids, cursor positions and filter values, never an
 * earlier request's), and answer the same, with the same audit event.
 */
import { Client } from 'pg';
import type { Caller } from '../../src/policy/principal';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { callers, run } from '../audit/audit-harness';
import { isCompiled, outcomeAndEvent } from '../harness/compiled-equivalence';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { callerOfMatrixRow } from '../harness/principals';
import { insertServedRequest } from '../harness/privacy-request-fixture';

interface Request {
  name: string;
  caller: Caller;
  query: string;
  variables?: Record<string, unknown>;
}

describe('compiled statements kept as templates', () => {
  let db: TestDatabase;
  let templated: Gateway;
  let fresh: Gateway;
  let plain: Gateway;
  const queries = jest.spyOn(Client.prototype, 'query');
  /** The compiled statements pg's clients were given since the last call: text and values. */
  const sent = () => {
    const out = queries.mock.calls.flatMap(([statement]) => {
      const { text, values } = (statement ?? {}) as { text?: unknown; values?: unknown[] };
      // A time bound per request (a privacy request's `overdue`: now) differs from run to run.
      return typeof text === 'string' && isCompiled(text) ? [{ text, values: values?.map((v) => (v instanceof Date ? 'a time' : v)) }] : [];
    });
    queries.mockClear();
    return out;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    ({ gateway: templated } = await createTestGateway(db));
    ({ gateway: fresh } = await createTestGateway(db, { readPlanTemplates: false }));
    ({ gateway: plain } = await createTestGateway(db, { compiledReads: false }));
  });
  afterAll(async () => {
    queries.mockRestore();
    await templated?.stop();
    await fresh?.stop();
    await plain?.stop();
    await db?.drop();
  });

  /** Sends each request to both gateways, in turn: same statements, same answer, same audit event; returns how many were compiled. */
  async function sameAsFresh(requests: Request[]): Promise<number> {
    let compiled = 0;
    for (const r of requests) {
      sent();
      const t = await outcomeAndEvent(templated, db, r.query, r.caller, r.variables);
      const kept = sent();
      const f = await outcomeAndEvent(fresh, db, r.query, r.caller, r.variables);
      expect({ name: r.name, statements: kept, outcome: t.outcome, event: t.event }).toEqual({ name: r.name, statements: sent(), outcome: f.outcome, event: f.event });
      if (t.compiled) {
        // Compared only where something was sent: a compiled read's statement is seen.
        expect({ name: r.name, seen: kept.length }).toEqual({ name: r.name, seen: t.statements });
        compiled += 1;
      }
    }
    return compiled;
  }

  const customerService = () => callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:customer_service' && r.purpose === 'after_sales')!);

  it("binds each caller's own scope, ids and cursor positions into a customer page's statement", async () => {
    const query = `query($id: ID!, $n: Int!, $after: String, $by: OrderOrder) { customer(id: $id) { accountName email
      orders(first: $n, after: $after, orderBy: $by) { pageInfo { hasNextPage hasPreviousPage endCursor } nodes { orderNumber placedAt items { sku } shipments { trackingNumber } } } } }`;
    const [other] = (await db.dataSource.query(`SELECT id FROM customer WHERE id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer])) as Array<{ id: string }>;
    const cursorOf = async (caller: Caller, id: string, by?: string) =>
      (await run(plain, query, caller, { id, n: 2, by })).data?.customer?.orders.pageInfo.endCursor as string | undefined;
    const staff = customerService();
    const demo = callers.customer(DEMO_IDS.demoCustomer);
    const them = callers.customer(other!.id);
    const requests: Request[] = [];
    for (const [caller, id] of [[staff, DEMO_IDS.demoCustomer], [demo, DEMO_IDS.demoCustomer], [staff, other!.id], [them, other!.id], [demo, other!.id], [them, DEMO_IDS.demoCustomer]] as const) {
      for (const n of [2, 3]) requests.push({ name: `${caller.principal.kind} ${id} first ${n}`, caller, query, variables: { id, n } });
      for (const by of ['PLACED_AT_ASC', 'PLACED_AT_DESC']) {
        const after = await cursorOf(caller, id, by);
        if (after) requests.push({ name: `${caller.principal.kind} ${id} after, ${by}`, caller, query, variables: { id, n: 2, after, by } });
      }
    }
    expect(await sameAsFresh(requests)).toBeGreaterThan(requests.length / 2);
  });

  it('binds each request\'s own filter values, and asks which members are sent', async () => {
    const staff = customerService();
    const orders = `query($f: OrderFilter, $n: Int!) { orders(first: $n, filter: $f) { pageInfo { hasNextPage } nodes { orderNumber status placedAt } } }`;
    const filters: Array<Record<string, unknown> | null> = [
      { statuses: ['DELIVERED'] },
      { statuses: ['PAID', 'SHIPPED'] },
      { customerId: DEMO_IDS.demoCustomer.toUpperCase() },
      { customerId: DEMO_IDS.demoCustomer, channel: 'OWN_STORE' },
      { placedFrom: '2020-01-01T00:00:00Z' },
      { placedFrom: '2020-01-01T00:00:00Z', placedTo: '2030-01-01T00:00:00Z' },
      // A range that ends before it starts: graphql-js reports it, on both.
      { placedFrom: '2030-01-01T00:00:00Z', placedTo: '2020-01-01T00:00:00Z' },
      { statuses: [] },
      null,
      { statuses: ['DELIVERED'] },
    ];
    const requests: Request[] = filters.flatMap((f, i) => [2, 5].map((n) => ({ name: `orders ${i} first ${n}`, caller: staff, query: orders, variables: { f, n } })));
    const privacy = `query($f: PrivacyRequestFilter) { privacyRequests(first: 5, filter: $f) { nodes { id overdue status } } }`;
    for (const f of [{ overdue: true }, { overdue: false }, { overdue: true, statuses: ['RECEIVED'] }, {}]) {
      requests.push({ name: `privacy ${JSON.stringify(f)}`, caller: callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:compliance_officer')!), query: privacy, variables: { f } });
    }
    const holds = `query($active: Boolean) { legalHolds(activeOnly: $active) { id reason } }`;
    for (const active of [true, false, null, true]) requests.push({ name: `holds ${String(active)}`, caller: callerOfMatrixRow(MATRIX.find((r) => r.principal === 'staff:compliance_officer')!), query: holds, variables: { active } });
    expect(await sameAsFresh(requests)).toBeGreaterThan(requests.length / 2);
  });

  it("binds each partner's own scope into the same operation, by id and as a list", async () => {
    const [carrierA, carrierB] = DEMO_IDS.logisticsPartners;
    const shipments = `query($after: String) { shipments(first: 3, after: $after) { pageInfo { endCursor } edges { cursor node { id trackingNumber order { orderNumber } } } } }`;
    const [own] = (await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [carrierA])) as Array<{ id: string }>;
    const byId = `query($id: ID!) { shipment(id: $id) { id trackingNumber status order { orderNumber } } }`;
    const requests: Request[] = [];
    for (const partner of [carrierA!, carrierB!, carrierA!]) {
      const caller = callers.logistics(partner);
      const after = (await run(plain, shipments, caller)).data?.shipments.pageInfo.endCursor as string;
      requests.push({ name: `shipments of ${partner}`, caller, query: shipments }, { name: `shipments of ${partner} after`, caller, query: shipments, variables: { after } });
      requests.push({ name: `shipment by id, as ${partner}`, caller, query: byId, variables: { id: own!.id } });
      requests.push({ name: `shipment by id in capitals, as ${partner}`, caller, query: byId, variables: { id: own!.id.toUpperCase() } });
    }
    // A cursor of another carrier's: refused on both (graphql-js), whatever template there is.
    const foreign = (await run(plain, shipments, callers.logistics(carrierA!))).data?.shipments.pageInfo.endCursor as string;
    requests.push({ name: 'a foreign cursor', caller: callers.logistics(carrierB!), query: shipments, variables: { after: foreign } });
    expect(await sameAsFresh(requests)).toBeGreaterThan(requests.length / 2);
  });
});
