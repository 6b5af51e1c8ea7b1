/**
 * The side doors outside testers found (findings 1–6 of the side-doors report), each tried again
 * as they tried it, against the behaviour: what a caller can send, what it gets back, what it
 * can read afterwards and what the database holds.
 */
import { isEnumType, isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';
import { mintDevToken } from '../../src/auth/dev-token';
import type { Caller } from '../../src/policy/principal';
import { countSql } from '../../src/platform/sql-counter';
import { buildContract, CONTRACT_AUDIENCES, type ContractAudience } from '../../src/policy/contracts';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { lastEvent } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';
import { insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';

const [carrierA] = DEMO_IDS.logisticsPartners;
const [providerA, providerB] = DEMO_IDS.paymentProviders;
const PLATFORM = DEMO_IDS.platformOperator;
const RANDOM_ID = '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const INVALID_CURSOR = 'after: not a cursor this list gave this caller; pass the endCursor of the previous page';

/** A third party whose grant names the order reference and the account name, not the order status. */
const narrowThirdParty: Caller = {
  principal: { ...(as.thirdParty().principal as Extract<Caller['principal'], { kind: 'third_party' }>), categories: ['identity.account_name', 'order.reference'] },
  purpose: 'authorized_sharing',
};

const codes = (r: ExecuteResult) => (r.errors ?? []).map((e) => e.extensions?.code);

describe('side doors', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  let schema: GraphQLSchema;
  const q = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    ({ gateway, execute } = await createTestGateway(db));
    schema = await buildGatewaySchema();
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('1. a write does not widen the writer’s read scope', () => {
    const RECORD = `mutation($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id status paidAt settledAt settlementBatchRef order { orderNumber totalAmount } } }`;
    const ORDER = `query($id: ID!) { order(id: $id) { id orderNumber totalAmount } }`;
    const result = (orderId: string, currency: string, extra: Record<string, unknown> = {}) => ({
      input: { orderId, providerReference: `sd-${Math.random().toString(36).slice(2)}`, method: 'WALLET', amount: '10.00', currency, status: 'CAPTURED', ...extra },
    });

    it("provider A cannot record on an order provider B processed: it answers as a random id, writes nothing, and A still cannot read the order", async () => {
      const [order] = await q<{ id: string; currency: string }>(
        `SELECT o.id, o.currency FROM "order" o WHERE o.payment_provider_id = $1 AND EXISTS (SELECT 1 FROM payment_verification p WHERE p.order_id = o.id AND p.provider_id = $1)
           AND NOT EXISTS (SELECT 1 FROM payment_verification p WHERE p.order_id = o.id AND p.provider_id = $2) ORDER BY o.id LIMIT 1`,
        [providerB, providerA],
      );
      const before = await execute(ORDER, as.payment(providerA), { id: order.id });
      expect(before).toEqual({ data: { order: null } });
      const [{ n: count }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM payment_verification`);

      const foreign = await countSql(() => execute(RECORD, as.payment(providerA), result(order.id, order.currency)));
      const random = await countSql(() => execute(RECORD, as.payment(providerA), result(RANDOM_ID, order.currency)));
      expect(foreign.result).toEqual(random.result);
      expect(foreign.result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'Order not found']]);
      expect(foreign.sql.statements).toEqual(random.sql.statements);

      expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM payment_verification`))[0].n).toBe(count);
      expect(await execute(ORDER, as.payment(providerA), { id: order.id })).toEqual(before);
      const listed = await execute(`{ paymentVerifications(first: 100, filter: { orderId: "${order.id}" }) { nodes { id } } }`, as.payment(providerA));
      expect(listed).toEqual({ data: { paymentVerifications: { nodes: [] } } });
    });

    it("refuses an amount in another currency than the order's, and writes nothing", async () => {
      const [order] = await q<{ id: string }>(`SELECT id FROM "order" WHERE payment_provider_id = $1 AND currency = 'EUR' ORDER BY id LIMIT 1`, [providerA]);
      const [{ n: count }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM payment_verification`);
      const r = await execute(RECORD, as.payment(providerA), result(order.id, 'GBP'));
      expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', "input.currency: expected the order's currency, EUR, got GBP"]]);
      expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM payment_verification`))[0].n).toBe(count);
    });

    it('a result that sends only what changed (a chargeback) leaves every field it does not send as stored', async () => {
      const [order] = await q<{ id: string; currency: string }>(
        `SELECT id, currency FROM "order" o WHERE payment_provider_id = $1 AND NOT EXISTS (SELECT 1 FROM payment_verification p WHERE p.order_id = o.id) ORDER BY id LIMIT 1`,
        [providerA],
      );
      const settled = result(order.id, order.currency, {
        providerReference: 'sd-chargeback-1',
        method: 'CARD',
        cardBrand: 'visa',
        cardLast4: '4242',
        status: 'SETTLED',
        paidAt: '2026-01-01T10:00:00.000Z',
        settledAt: '2026-01-02T02:00:00.000Z',
        settlementBatchRef: 'ACP-20260102',
      });
      expect((await execute(RECORD, as.payment(providerA), settled)).errors).toBeUndefined();
      const chargeback = { input: { orderId: order.id, providerReference: 'sd-chargeback-1', method: 'CARD', amount: '10.00', currency: order.currency, status: 'CHARGEBACK' } };
      const r = await execute(RECORD, as.payment(providerA), chargeback);
      expect(r.errors).toBeUndefined();
      const [stored] = await q(
        `SELECT status, paid_at, settled_at, settlement_batch_ref, card_brand, card_last4 FROM payment_verification WHERE provider_id = $1 AND provider_reference = 'sd-chargeback-1'`,
        [providerA],
      );
      expect(stored).toEqual({
        status: 'chargeback',
        paid_at: new Date('2026-01-01T10:00:00.000Z'),
        settled_at: new Date('2026-01-02T02:00:00.000Z'),
        settlement_batch_ref: 'ACP-20260102',
        card_brand: 'visa',
        card_last4: '4242',
      });
    });
  });

  describe('2. a filter on a relation is no oracle', () => {
    const byPlatform = (id: string) => `{ orders(first: 100, filter: { platformPartnerId: "${id}" }) { nodes { id } } }`;

    it.each([
      ['a carrier', as.logistics(carrierA)],
      ['a payment provider', as.payment(providerA)],
    ])("%s: the platform's id and a random id give the same answer: the filter does not exist for it", async (_label, caller) => {
      const platform = await execute(byPlatform(PLATFORM), caller);
      const random = await execute(byPlatform(RANDOM_ID), caller);
      expect(platform).toEqual(random);
      expect(codes(platform)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(platform.data ?? null).toBeNull();
      // Through a variable too: the filter type itself is unknown.
      const typed = await execute(`query($f: OrderFilter) { orders(filter: $f) { nodes { id } } }`, caller, { f: { platformPartnerId: PLATFORM } });
      expect(new Set(codes(typed))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    });

    it("staff in fulfilment, who may not see the sales channel: the same refusal for the platform's id and a random id", async () => {
      const caller = as.staff(['fulfillment'], 'fulfillment');
      const platform = await execute(byPlatform(PLATFORM), caller);
      expect(platform).toEqual(await execute(byPlatform(RANDOM_ID), caller));
      expect(platform.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'filter.platformPartnerId: not available to this caller for this purpose']]);
    });

    it("the platform: filtering payments by provider does not exist for it, for a provider's id as for a random one", async () => {
      const byProvider = (id: string) => `{ paymentVerifications(first: 100, filter: { providerId: "${id}" }) { nodes { id } } }`;
      const provider = await execute(byProvider(providerA), as.platform(PLATFORM));
      expect(provider).toEqual(await execute(byProvider(RANDOM_ID), as.platform(PLATFORM)));
      expect(codes(provider)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const viaVariable = await execute(
        `query($f: PaymentVerificationFilter) { paymentVerifications(filter: $f) { nodes { id } } }`,
        as.platform(PLATFORM),
        { f: { providerId: providerA } },
      );
      expect(viaVariable.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
        ['BAD_USER_INPUT', `Variable "$f" got invalid value { providerId: "${providerA}" }; Field "providerId" is not defined by type "PaymentVerificationFilter".`],
      ]);
    });

    it('a third party whose grant does not name the order status: a status filter or ordering inside its contract is refused, naming only the argument', async () => {
      const status = await execute(`{ orders(first: 5, filter: { statuses: [PAID] }) { nodes { orderNumber } } }`, narrowThirdParty);
      expect(status.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'filter.statuses: not available to this caller for this purpose']]);
      const ordering = await execute(`{ orders(first: 5, orderBy: PLACED_AT_ASC) { nodes { orderNumber } } }`, narrowThirdParty);
      expect(ordering.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'orderBy: not available to this caller for this purpose']]);
      // Without an ordering, its list comes in id order: nothing is sorted by a time it may not see.
      const plain = await execute(`{ orders(first: 100) { nodes { id } } }`, narrowThirdParty);
      const ids = await q<{ id: string }>(`SELECT id FROM "order" WHERE customer_id = $1 ORDER BY id LIMIT 100`, [DEMO_IDS.demoCustomer]);
      expect(plain.data!.orders.nodes.map((n: { id: string }) => n.id)).toEqual(ids.map((o) => o.id));
    });
  });

  describe('3. cursors carry nothing readable', () => {
    const PAGE = `query($after: String) { paymentVerifications(first: 2, after: $after) { nodes { id createdAt } pageInfo { endCursor } } }`;

    it("a payment cursor holds no creation time, no id and no JSON, and opens only for the provider it was given to", async () => {
      const first = await execute(PAGE, as.payment(providerA));
      const cursor: string = first.data!.paymentVerifications.pageInfo.endCursor;
      const last = first.data!.paymentVerifications.nodes[1];
      const [{ created_at: createdAt }] = await q(`SELECT created_at FROM payment_verification WHERE id = $1`, [last.id]);
      const decoded = Buffer.from(cursor, 'base64url');
      for (const text of [cursor, decoded.toString('utf8'), decoded.toString('latin1')]) {
        for (const hidden of [last.id, (createdAt as Date).toISOString(), (createdAt as Date).toISOString().slice(0, 10)]) expect(text.includes(hidden)).toBe(false);
      }
      expect(() => JSON.parse(decoded.toString('utf8'))).toThrow();

      const next = await execute(PAGE, as.payment(providerA), { after: cursor });
      expect(next.errors).toBeUndefined();
      expect(next.data!.paymentVerifications.nodes.map((n: { id: string }) => n.id)).not.toContain(last.id);

      const foreign = await execute(PAGE, as.payment(providerB), { after: cursor });
      const tampered = await execute(PAGE, as.payment(providerA), { after: `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}A` });
      for (const r of [foreign, tampered]) expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', INVALID_CURSOR]]);
    });

    it('createdFrom and createdTo filter on the creation time the provider reads as PaymentVerification.createdAt', async () => {
      const all = await execute(`{ paymentVerifications(first: 100, orderBy: CREATED_AT_ASC) { nodes { id createdAt } } }`, as.payment(providerA));
      const nodes: Array<{ id: string; createdAt: string }> = all.data!.paymentVerifications.nodes;
      const [from, to] = [nodes[10].createdAt, nodes[40].createdAt];
      const filtered = await execute(
        `{ paymentVerifications(first: 100, orderBy: CREATED_AT_ASC, filter: { createdFrom: "${from}", createdTo: "${to}" }) { nodes { id } } }`,
        as.payment(providerA),
      );
      const expected = nodes.filter((n) => n.createdAt >= from && n.createdAt < to).map((n) => n.id);
      expect(expected.length).toBeGreaterThan(10);
      expect(filtered.data!.paymentVerifications.nodes.map((n: { id: string }) => n.id)).toEqual(expected);
    });
  });

  describe('4. a link does not reveal a denied category', () => {
    it("Order.platformPartner is denied to staff in fulfilment, with the channel it would give away", async () => {
      const [order] = await q<{ id: string }>(`SELECT id FROM "order" WHERE platform_partner_id IS NOT NULL AND status IN ('paid', 'packed', 'shipped') LIMIT 1`);
      const r = await execute(`query($id: ID!) { order(id: $id) { orderNumber platformPartner { id } channel } }`, as.staff(['fulfillment'], 'fulfillment'), { id: order.id });
      expect(r.data!.order).toEqual({ orderNumber: expect.any(String), platformPartner: null, channel: null });
      expect(r.errors?.map((e) => [e.extensions?.code, e.message]).sort()).toEqual([
        ['FORBIDDEN', 'Not disclosed to this caller for this purpose: Order.channel'],
        ['FORBIDDEN', 'Not disclosed to this caller for this purpose: Order.platformPartner'],
      ]);
    });

    it('Order.platformPartner is denied to a third party whose grant lacks order.status, and shown to one whose grant names it', async () => {
      const query = `{ orders(first: 20) { nodes { platformPartner { id } } } }`;
      const narrow = await execute(query, narrowThirdParty);
      expect(new Set(narrow.errors?.map((e) => e.message))).toEqual(new Set(['Not disclosed to this caller for this purpose: Order.platformPartner']));
      const wide = await execute(query, as.thirdParty());
      expect(wide.errors).toBeUndefined();
    });

    it('is not in the contract of a carrier or a payment provider, together with the policy version that dates the order', async () => {
      for (const caller of [as.logistics(carrierA), as.payment(providerA)]) {
        for (const field of ['platformPartner { id }', 'policyVersion { id }']) {
          expect(codes(await execute(`{ orders(first: 1) { nodes { ${field} } } }`, caller))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        }
      }
    });
  });

  describe('5. contracts and messages name only what the caller may know', () => {
    it('the carrier and provider contracts hold no order filter at all', () => {
      for (const audience of ['logistics_partner', 'payment_provider'] as const) {
        const contract = buildContract(schema, audience);
        expect(contract.getType('OrderFilter')).toBeUndefined();
        expect(contract.getQueryType()!.getFields().orders.args.map((a) => a.name).sort()).toEqual(['after', 'first']);
      }
    });

    /** Every name of a schema: types, fields, arguments, input fields, enum values. */
    const namesOf = (s: GraphQLSchema): Set<string> => {
      const names = new Set<string>();
      for (const type of Object.values(s.getTypeMap())) {
        if (type.name.startsWith('__')) continue;
        names.add(type.name);
        if (isObjectType(type)) for (const f of Object.values(type.getFields())) [f.name, ...f.args.map((a) => a.name)].forEach((n) => names.add(n));
        if (isInputObjectType(type)) Object.keys(type.getFields()).forEach((n) => names.add(n));
        if (isEnumType(type)) type.getValues().forEach((v) => names.add(v.name));
      }
      return names;
    };

    /** Refused operations each audience might try, with what they would send. */
    const ATTEMPTS = (audience: ContractAudience): Array<{ query: string; variables?: Record<string, unknown> }> => [
      { query: `{ orders(first: 5, filter: { placedFrom: "2025-01-01T00:00:00Z", customerId: "${RANDOM_ID}" }) { nodes { id } } }` },
      { query: `query($f: OrderFilter) { orders(first: 5, filter: $f) { nodes { id } } }`, variables: { f: { channel: 'PLATFORM', customerID: RANDOM_ID } } },
      { query: `{ orders(first: 5, orderBy: PLACED_AT_DESC) { nodes { id } } }` },
      { query: `{ orders(first: 5, after: "not-a-cursor") { nodes { id } } }` },
      { query: `{ orders(first: 5) { nodes { id status channel placedAt customer { email } platformPartner { name } } } }` },
      { query: `{ paymentVerifications(first: 5, filter: { providerId: "${RANDOM_ID}" }) { nodes { id provider { name } } } }` },
      { query: `{ shipments(first: 5, filter: { statuses: [DELIVERED] }) { nodes { id carrier { name } } } }` },
      { query: `{ customers(first: 5, filter: { status: ACTIVE }) { nodes { id } } }` },
      { query: `{ auditEvents(first: 5) { nodes { id } } }` },
      ...(audience === 'payment_provider'
        ? [{ query: `mutation { recordPaymentResult(input: { orderId: "${RANDOM_ID}", providerReference: "x", method: WALLET, amount: "1.00", currency: "EUR", status: AUTHORIZED }) { id } }` }]
        : []),
      ...(audience === 'logistics_partner' ? [{ query: `mutation { recordShipmentTracking(input: { shipmentId: "${RANDOM_ID}", trackingNumber: "TRK-1" }) { id } }` }] : []),
    ];

    const callerOf: Record<ContractAudience, Caller> = {
      logistics_partner: as.logistics(carrierA),
      payment_provider: as.payment(providerA),
      platform_operator: as.platform(PLATFORM),
      third_party: narrowThirdParty,
    };

    it.each(CONTRACT_AUDIENCES.map((a) => [a]))('no refusal to %s names a type, field or argument outside its contract', async (audience) => {
      const inContract = namesOf(buildContract(schema, audience));
      const everywhere = namesOf(schema);
      const leaks: string[] = [];
      let refusals = 0;
      for (const attempt of ATTEMPTS(audience)) {
        const sent = new Set(`${attempt.query} ${JSON.stringify(attempt.variables ?? {})}`.match(/[A-Za-z_][A-Za-z0-9_]*/g));
        const r = await execute(attempt.query, callerOf[audience], attempt.variables);
        for (const error of r.errors ?? []) {
          refusals += 1;
          // The names a message can carry: quoted ones, coordinates (Type.field), and type names.
          const named = [
            ...[...error.message.matchAll(/"([A-Za-z_][A-Za-z0-9_.]*)"/g)].flatMap((m) => m[1].split('.')),
            ...[...error.message.matchAll(/\b([A-Z][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\b/g)].flatMap((m) => [m[1], m[2]]),
            ...(error.message.match(/\b[A-Z][A-Za-z0-9_]*\b/g) ?? []).filter((w) => everywhere.has(w)),
          ];
          for (const word of named) {
            if (everywhere.has(word) && !inContract.has(word) && !sent.has(word)) leaks.push(`${word} in "${error.message}"`);
          }
        }
      }
      expect(refusals).toBeGreaterThan(ATTEMPTS(audience).length / 2);
      expect(leaks).toEqual([]);
    });
  });

  describe('6. reads under data_subject_request are flagged and name the request they serve', () => {
    let http: HttpGateway;
    const QUERY = { query: `query Subject { customer(id: "${DEMO_IDS.demoCustomer}") { accountName } }` };
    beforeAll(async () => {
      http = await startHttpGateway(db);
    });
    afterAll(() => http.close());

    it('a compliance officer must name the privacy request: refused without it (the refusal audited and flagged), recorded with it', async () => {
      const token = await mintDevToken({ kind: 'staff', roles: ['compliance_officer'], purposes: ['data_subject_request'] }, http.authConfig);
      const refused = await http.post(QUERY, { authorization: `Bearer ${token}` });
      expect({ status: refused.status, errors: refused.json.errors }).toEqual({
        status: 400,
        errors: [{ message: 'X-Privacy-Request: purpose data_subject_request requires the reference of the privacy request this read is for', extensions: { code: 'BAD_USER_INPUT' } }],
      });
      const refusal = await lastEvent(db.dataSource);
      expect({ requestId: refusal.requestId, flagged: refusal.flagged, outcome: refusal.outcome }).toEqual({ requestId: refused.headers.get('x-request-id'), flagged: true, outcome: 'denied' });

      const served = await http.post(QUERY, { authorization: `Bearer ${token}`, 'x-privacy-request': SERVED_REQUEST });
      expect(served.status).toBe(200);
      const event = await lastEvent(db.dataSource);
      expect({ requestId: event.requestId, flagged: event.flagged, privacyRequestReference: event.privacyRequestReference, subjectIds: event.subjectIds }).toEqual({
        requestId: served.headers.get('x-request-id'),
        flagged: true,
        privacyRequestReference: SERVED_REQUEST,
        subjectIds: [DEMO_IDS.demoCustomer],
      });
    });

    it("a customer reading their own data: flagged whether or not they name their request", async () => {
      const token = await mintDevToken({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'] }, http.authConfig);
      const plain = await http.post(QUERY, { authorization: `Bearer ${token}` });
      expect(plain.status).toBe(200);
      expect(await lastEvent(db.dataSource)).toMatchObject({ requestId: plain.headers.get('x-request-id'), flagged: true, privacyRequestReference: null });
      const named = await http.post(QUERY, { authorization: `Bearer ${token}`, 'x-privacy-request': SERVED_REQUEST });
      expect(await lastEvent(db.dataSource)).toMatchObject({ requestId: named.headers.get('x-request-id'), flagged: true, privacyRequestReference: SERVED_REQUEST });
    });

    it('a compliance officer under data_subject_request does not read the audit log; under legal_compliance does', async () => {
      const query = `{ auditEvents(first: 1) { nodes { id } } }`;
      const dsr = await execute(query, as.staff(['compliance_officer'], 'data_subject_request'));
      expect(dsr.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'Not disclosed to this caller for this purpose: Query.auditEvents']]);
      const legal = await execute(query, as.staff(['compliance_officer'], 'legal_compliance'));
      expect(legal.errors).toBeUndefined();
    });
  });
});
