/**
 * Side doors of the partner integrations and the compliance surfaces, tried as an outside tester
 * tries them: webhook endpoints and their deliveries (URLs, secrets, filters and cursors as
 * oracles), the store-wide lists of legal holds, the audit log and retention, read under a
 * purpose or by a caller they are not for.
 */
import { isContractAudience } from '../../src/policy/contracts';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import type { Caller } from '../../src/policy/principal';
import { INVALID_CURSOR_MESSAGE } from '../../src/platform/cursor-seal';
import { countSql } from '../../src/platform/sql-counter';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import type { ServedRequest } from '../../src/audit/served-request';
import { lastEvent } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import type { ExecuteResult } from '../harness/gateway';
import { createTestGateway } from '../harness/gateway';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { mintDevToken } from '../../src/auth/dev-token';
import { as, callerOfMatrixRow } from '../harness/principals';
import { insertPrivacyRequest, insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';

const [carrierA, carrierB] = DEMO_IDS.logisticsPartners;
const RANDOM_ID = '5d0e4c3b-2a19-4f87-9e6d-5c4b3a291807';
const CASE = 'LIT-2026-077';
const legalOfficer = as.staff(['compliance_officer'], 'legal_compliance');
const dsrOfficer = as.staff(['compliance_officer'], 'data_subject_request');
const REGISTER = `mutation R($url: String!) { registerWebhookEndpoint(input: { url: $url }) { secret endpoint { id } } }`;

const codes = (r: ExecuteResult) => (r.errors ?? []).map((e) => e.extensions?.code);

describe('side doors of partner integrations and compliance surfaces', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  const q = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const run = async (query: string, caller: Caller, variables?: Record<string, unknown>, served: ServedRequest = {}): Promise<ExecuteResult> => {
    const response = await gateway.execute(query, caller, variables, served);
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return JSON.parse(JSON.stringify(response.body.singleResult));
  };
  let endpointA: string;

  /** A scan of one of carrier A's open shipments, in a transaction of its own: one delivery to each of A's endpoints. */
  let scans = 0;
  async function scanOfCarrierA(): Promise<void> {
    const [shipment] = await q<{ id: string }>(
      `SELECT id FROM shipment WHERE logistics_partner_id = $1 AND status IN ('label_created', 'in_transit') AND restricted_at IS NULL ORDER BY id LIMIT 1`,
      [carrierA],
    );
    const r = await run(`mutation S($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`, as.logistics(carrierA), {
      input: { shipmentId: shipment.id, events: [{ eventId: `side-door-${++scans}`, occurredAt: new Date().toISOString(), location: 'Hub', description: 'Sorted' }] },
    });
    expect(r.errors).toBeUndefined();
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    ({ gateway } = await createTestGateway(db, { webhooks: { secretKey: 'a-side-door-test-key-of-32-characters-or-more', allowLocalEndpoints: false } }));
    const registered = await run(REGISTER, as.logistics(carrierA), { url: 'https://carrier-a.example/hooks' });
    endpointA = registered.data!.registerWebhookEndpoint.endpoint.id;
    await scanOfCarrierA();
    await scanOfCarrierA();
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('webhook endpoints', () => {
    it.each([
      ['credentials in the URL', 'https://carrier:s3cret@carrier-a.example/hooks', 'input.url: credentials in the URL are not accepted; verify the signature instead'],
      ['a user name alone', 'https://carrier@carrier-a.example/hooks', 'input.url: credentials in the URL are not accepted; verify the signature instead'],
      ['a fragment', 'https://carrier-a.example/hooks#token', 'input.url: expected no fragment (#...)'],
      ['another scheme', 'ftp://carrier-a.example/hooks', 'input.url: expected an https URL, got ftp'],
      ['a script', 'javascript:alert(1)', 'input.url: expected an https URL, got javascript'],
      ['no scheme', 'carrier-a.example/hooks', 'input.url: expected an absolute https URL, got "carrier-a.example/hooks"'],
      ['plain http to a public host', 'http://carrier-a.example/hooks', 'input.url: expected an https URL, got http'],
      ['NAT64 for local use, to a private address', 'https://[64:ff9b:1::a00:1]/hooks', 'input.url: expected a host on the public internet'],
      ['6to4, of a private address', 'https://[2002:a00:1::1]/hooks', 'input.url: expected a host on the public internet'],
      ['a site-local address', 'https://[fec0::1]/hooks', 'input.url: expected a host on the public internet'],
      ['an IPv4-translated loopback', 'https://[::ffff:0:127.0.0.1]/hooks', 'input.url: expected a host on the public internet'],
    ])('%s is refused with BAD_USER_INPUT saying why, and nothing is registered', async (_label, url, message) => {
      const [{ n: before }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_endpoint`);
      const r = await run(REGISTER, as.logistics(carrierA), { url });
      expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', message]]);
      expect(r.data).toBeNull();
      expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_endpoint`))[0].n).toBe(before);
    });

    it('the signing secret is answered once: no field reads it back, and neither the endpoint row nor the audit log holds it', async () => {
      const registered = await run(REGISTER, as.logistics(carrierB), { url: 'https://carrier-b.example/hooks' });
      const secret: string = registered.data!.registerWebhookEndpoint.secret;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
      const readBack = await run(`{ webhookEndpoints { id secret } }`, as.logistics(carrierB));
      expect(readBack).toEqual({
        errors: [{ message: 'Cannot query field "secret" on type "WebhookEndpoint".', locations: [{ line: 1, column: 25 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
      });
      const key = secret.slice('whsec_'.length, 'whsec_'.length + 16);
      expect(await q(`SELECT id FROM webhook_endpoint WHERE encode(sealed_secret, 'escape') LIKE $1`, [`%${key}%`])).toEqual([]);
      expect(await q(`SELECT id FROM audit_event e WHERE row_to_json(e)::text LIKE $1`, [`%${key}%`])).toEqual([]);
    });
  });

  describe('webhook deliveries: filters and cursors are no oracle', () => {
    it("another partner's endpoint or event in a filter answers as a random id: the same page and the same statements", async () => {
      const [delivery] = await q<{ event_id: string }>(`SELECT event_id FROM webhook_delivery WHERE endpoint_id = $1 ORDER BY occurred_at LIMIT 1`, [endpointA]);
      const page = (filter: string) => `{ webhookDeliveries(first: 10, filter: { ${filter} }) { nodes { id resourceId } pageInfo { hasNextPage endCursor } } }`;
      for (const [field, foreign] of [
        ['endpointId', endpointA],
        ['eventId', delivery.event_id],
      ]) {
        const asForeign = await countSql(() => run(page(`${field}: "${foreign}"`), as.logistics(carrierB)));
        const asRandom = await countSql(() => run(page(`${field}: "${RANDOM_ID}"`), as.logistics(carrierB)));
        expect(asForeign.result).toEqual({ data: { webhookDeliveries: { nodes: [], pageInfo: { hasNextPage: false, endCursor: null } } } });
        expect(asForeign.result).toEqual(asRandom.result);
        expect(asForeign.sql.statements).toEqual(asRandom.sql.statements);
      }
      // Carrier A's own filter finds its deliveries: the filter works, it is the scope that hides them from B.
      const own = await run(page(`endpointId: "${endpointA}"`), as.logistics(carrierA));
      expect(own.data!.webhookDeliveries.nodes).toHaveLength(2);
    });

    it("carrier A's cursor does not open carrier B's list: refused as a cursor changed by one character is", async () => {
      const first = await run(`{ webhookDeliveries(first: 1) { nodes { id } pageInfo { endCursor } } }`, as.logistics(carrierA));
      const cursor: string = first.data!.webhookDeliveries.pageInfo.endCursor;
      expect(cursor).toEqual(expect.any(String));
      const next = `query N($after: String!) { webhookDeliveries(first: 1, after: $after) { nodes { id } } }`;
      const ownNext = await run(next, as.logistics(carrierA), { after: cursor });
      expect(ownNext.data!.webhookDeliveries.nodes).toHaveLength(1);
      expect(ownNext.data!.webhookDeliveries.nodes[0].id).not.toBe(first.data!.webhookDeliveries.nodes[0].id);

      const refusal = { data: null, errors: [{ message: INVALID_CURSOR_MESSAGE, locations: [{ line: 1, column: 28 }], path: ['webhookDeliveries'], extensions: { code: 'BAD_USER_INPUT' } }] };
      expect(await run(next, as.logistics(carrierB), { after: cursor })).toEqual(refusal);
      const changed = `${cursor.slice(0, -2)}${cursor.at(-2) === 'A' ? 'B' : 'A'}${cursor.at(-1)}`;
      expect(await run(next, as.logistics(carrierA), { after: changed })).toEqual(refusal);
      // Nor the list of another kind of partner with webhooks.
      expect(await run(next, as.payment(DEMO_IDS.paymentProviders[0]), { after: cursor })).toEqual(refusal);
    });
  });

  describe("the store-wide lists under the compliance officer's data_subject_request", () => {
    const dsr = { privacyRequestReference: SERVED_REQUEST };

    it.each([
      ['Query.legalHolds', `{ legalHolds { id reason caseReference } }`],
      ['Query.webhookEndpoints', `{ webhookEndpoints { id url } }`],
      ['Query.webhookDeliveries', `{ webhookDeliveries(first: 5) { nodes { id resourceId } } }`],
      ['Query.webhookDelivery', `{ webhookDelivery(id: "${RANDOM_ID}") { id resourceId } }`],
    ])('%s is refused, as the audit log is: a customer’s request is answered from their own records', async (coordinate, query) => {
      const r = await run(query, dsrOfficer, undefined, dsr);
      expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', `Not disclosed to this caller for this purpose: ${coordinate}`]]);
      // The same refusal as the audit log's.
      const audit = await run(`{ auditEvents(first: 1) { nodes { id } } }`, dsrOfficer, undefined, dsr);
      expect(audit.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'Not disclosed to this caller for this purpose: Query.auditEvents']]);
    });

    it("the holds on the request's own customer are still read, and every hold under the legal case", async () => {
      const placed = await run(
        `mutation P($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { id } }`,
        legalOfficer,
        { input: { scope: 'CUSTOMER', customerId: DEMO_IDS.demoCustomer, reason: 'Court order 7/2026' } },
        { legalCaseReference: CASE },
      );
      const holdId: string = placed.data!.placeLegalHold.id;
      const own = await run(`query C($id: ID!) { customer(id: $id) { legalHolds { id reason } } }`, dsrOfficer, { id: DEMO_IDS.demoCustomer }, dsr);
      expect(own.errors).toBeUndefined();
      expect(own.data!.customer.legalHolds).toContainEqual({ id: holdId, reason: 'Court order 7/2026' });
      const all = await run(`{ legalHolds { id } webhookEndpoints { id } }`, legalOfficer, undefined, { legalCaseReference: CASE });
      expect(all.errors).toBeUndefined();
      expect(all.data!.legalHolds).toContainEqual({ id: holdId });
      expect(all.data!.webhookEndpoints).toContainEqual({ id: endpointA });
    });
  });

  describe("a legal hold is not told through an erasure's outcome to a row that does not see legal holds", () => {
    it("customer service under data_subject_request reads that the request was completed, not what a hold kept; the officer reads both", async () => {
      const [{ customer_id: held }] = await q<{ customer_id: string }>(
        `SELECT customer_id FROM "order" WHERE customer_id <> $1 AND status = 'completed' AND restricted_at IS NULL ORDER BY customer_id LIMIT 1`,
        [DEMO_IDS.demoCustomer],
      );
      const placed = await run(
        `mutation P($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { id } }`,
        legalOfficer,
        { input: { scope: 'CUSTOMER', customerId: held, reason: 'Regulator inquiry 3/2026' } },
        { legalCaseReference: CASE },
      );
      expect(placed.errors).toBeUndefined();
      const request = await insertPrivacyRequest(db.dataSource, held, 'erasure', 'identity_verified');
      const served = { privacyRequestReference: request };
      const completed = await run(`mutation C($id: ID!) { completePrivacyRequest(input: { requestId: $id }) { status resultSummary } }`, dsrOfficer, { id: request }, served);
      expect(completed.data!.completePrivacyRequest.status).toBe('COMPLETED');
      // What the officer reads, and the customer was told: the hold kept the customer's records.
      expect(completed.data!.completePrivacyRequest.resultSummary).toContain('customer 1 (legal_hold)');

      const agent = as.staff(['customer_service'], 'data_subject_request');
      const one = await run(`query R($id: ID!) { privacyRequest(id: $id) { type status resultSummary result } }`, agent, { id: request }, served);
      expect(one).toEqual({
        data: { privacyRequest: { type: 'ERASURE', status: 'COMPLETED', resultSummary: null, result: null } },
        errors: [
          { message: 'Not disclosed to this caller for this purpose: PrivacyRequest.resultSummary', locations: [{ line: 1, column: 59 }], path: ['privacyRequest', 'resultSummary'], extensions: { code: 'FORBIDDEN' } },
          { message: 'Not disclosed to this caller for this purpose: PrivacyRequest.result', locations: [{ line: 1, column: 73 }], path: ['privacyRequest', 'result'], extensions: { code: 'FORBIDDEN' } },
        ],
      });
      // Nor in the queue, where every customer's requests are.
      const queue = await run(`{ privacyRequests(first: 100) { nodes { id resultSummary } } }`, agent);
      const nodes: Array<{ id: string; resultSummary: string | null }> = queue.data!.privacyRequests.nodes;
      expect(nodes.map((n) => n.id)).toContain(request);
      expect(new Set(nodes.map((n) => n.resultSummary))).toEqual(new Set([null]));
      expect(new Set(queue.errors!.map((e) => `${e.extensions?.code} ${e.message}`))).toEqual(new Set(['FORBIDDEN Not disclosed to this caller for this purpose: PrivacyRequest.resultSummary']));
      // Nor does the row read the hold itself.
      const holds = await run(`query H($id: ID!) { customer(id: $id) { legalHolds { id } } }`, agent, { id: held }, served);
      expect(holds.data).toEqual({ customer: null });
    });
  });

  describe('the audit log, its state, the legal holds and the retention preview', () => {
    const STORE_WIDE = [
      ['Query.auditEvents', `{ auditEvents(first: 1) { nodes { id } } }`],
      ['Query.auditIntegrity', `{ auditIntegrity { sealCount } }`],
      ['Query.legalHolds', `{ legalHolds { id } }`],
      ['Query.retentionPreview', `{ retentionPreview { available } }`],
    ] as const;
    const rows = MATRIX.filter((row) => !(row.principal === 'staff:compliance_officer' && row.purpose === 'legal_compliance')).map((row) => [
      `${row.principal} × ${row.purpose}`,
      row,
    ]);

    it.each(rows)('%s reads none of them: partners and third parties do not find them, anyone else is refused', async (_label, row) => {
      const caller = callerOfMatrixRow(row as (typeof MATRIX)[number]);
      const served: ServedRequest = caller.purpose === 'data_subject_request' ? { privacyRequestReference: SERVED_REQUEST } : {};
      const contract = isContractAudience(caller.principal.kind);
      for (const [coordinate, query] of STORE_WIDE) {
        const r = await run(query, caller, undefined, served);
        expect([coordinate, r.data ?? null]).toEqual([coordinate, null]);
        expect([coordinate, codes(r)]).toEqual([coordinate, [contract ? 'GRAPHQL_VALIDATION_FAILED' : 'FORBIDDEN']]);
      }
    });
  });
  describe("a carrier reaches nothing outside its contract by a variant of the request, over HTTP", () => {
    let gw: HttpGateway;
    let headers: Record<string, string>;
    beforeAll(async () => {
      gw = await startHttpGateway(db);
      headers = { authorization: `Bearer ${await mintDevToken({ kind: 'logistics_partner', partnerId: carrierA, purposes: ['fulfillment'] }, gw.authConfig)}`, 'x-purpose': 'fulfillment' };
    });
    afterAll(() => gw.close());

    const HIDDEN = `order { customer { email } }`;
    const VARIANTS: Array<[string, Record<string, unknown>]> = [
      ['as sent', { query: `{ shipments(first: 1) { nodes { ${HIDDEN} } } }` }],
      ['under aliases', { query: `{ s: shipments(first: 1) { nodes { o: order { c: customer { e: email } } } } }` }],
      ['in a named fragment', { query: `query { shipments(first: 1) { nodes { ...F } } } fragment F on Shipment { ${HIDDEN} }` }],
      ['in an inline fragment', { query: `{ shipments(first: 1) { nodes { ... on Shipment { ${HIDDEN} } } } }` }],
      ['skipped', { query: `{ shipments(first: 1) { nodes { order { customer @skip(if: true) { email } } } } }` }],
      ['included only if a variable says so, and it does not', { query: `query Q($yes: Boolean = false) { shipments(first: 1) { nodes { order { customer @include(if: $yes) { email } } } } }` }],
      ['in another operation of the document than the one run', { query: `query Ok { shipments(first: 1) { nodes { id } } } query Hidden { customers(first: 1) { nodes { email } } }`, operationName: 'Ok' }],
      ['with extensions of its own', { query: `{ shipments(first: 1) { nodes { ${HIDDEN} } } }`, extensions: { clientLibrary: { name: 'x' }, hidden: true } }],
    ];

    it.each(VARIANTS)('%s: refused before anything is read, GRAPHQL_VALIDATION_FAILED (400), nothing disclosed', async (_label, body) => {
      const r = await gw.post(body, headers);
      expect(r.status).toBe(400);
      expect(r.json.data).toBeUndefined();
      expect(new Set(r.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(r.text).not.toMatch(/Did you mean|CustomerFilter|accountName/);
      const event = await lastEvent(db.dataSource);
      expect({ requestId: event.requestId, disclosed: event.disclosed, subjectIds: event.subjectIds, errorCodes: event.errorCodes }).toEqual({
        requestId: r.headers.get('x-request-id'),
        disclosed: [],
        subjectIds: [],
        errorCodes: ['GRAPHQL_VALIDATION_FAILED'],
      });
    });

    it('over GET as over POST, and in a batch not at all', async () => {
      const query = `{ shipments(first: 1) { nodes { ${HIDDEN} } } }`;
      const post = await gw.post({ query }, headers);
      const get = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { ...headers, 'apollo-require-preflight': 'true' } });
      expect({ status: get.status, json: await get.json() }).toEqual({ status: post.status, json: post.json });
      const batch = await gw.post([{ query: `{ shipments(first: 1) { nodes { id } } }` }, { query }], headers);
      expect(batch.status).toBe(400);
      expect(batch.text).not.toContain('"data"');
    });
  });
});
