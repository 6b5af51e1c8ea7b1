/**
 * What a partner's client meets on the wire: persisted queries that hit whichever of the
 * gateway's executors serves them, subscriptions refused with a clear 400, one HTTP status per
 * error code whatever stage raised it, and the rate-limit headers with an exact Retry-After.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mintDevToken } from '../../src/auth/dev-token';
import { HTTP_STATUS_OF_CODE } from '../../src/platform/errors';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const codesOf = (json: any): string[] => (json?.errors ?? []).map((e: any) => e.extensions?.code);

describe('partner integration over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let carrier: Record<string, string>;
  let fulfilment: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    const bearer = async (options: Parameters<typeof mintDevToken>[0]) => ({ authorization: `Bearer ${await mintDevToken(options, gw.authConfig)}` });
    carrier = await bearer({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] });
    fulfilment = await bearer({ kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'] });
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  describe('1. automatic persisted queries', () => {
    it.each([
      // A carrier's manifest selects only what it sees: served without the field rules.
      ['an operation served without field rules', () => carrier, `query Manifest { shipments(first: 2) { nodes { trackingNumber } } }`],
      // Fulfilment staff asking for the sales channel: served with the field rules (partial, FORBIDDEN).
      ['an operation served with field rules', () => fulfilment, `query Channels { orders(first: 2) { nodes { orderNumber channel } } }`],
    ])('%s: unknown hash, then registration, then every hash-only request hits', async (_label, headers, query) => {
      const hash = sha256(query);
      const miss = await gw.post({ extensions: persisted(hash) }, headers());
      expect({ status: miss.status, codes: codesOf(miss.json) }).toEqual({ status: 200, codes: ['PERSISTED_QUERY_NOT_FOUND'] });
      const registered = await gw.post({ query, extensions: persisted(hash) }, headers());
      expect(registered.status).toBe(200);
      expect(registered.json.data).toBeDefined();
      for (let i = 0; i < 3; i += 1) {
        const hit = await gw.post({ extensions: persisted(hash) }, headers());
        expect(codesOf(hit.json)).not.toContain('PERSISTED_QUERY_NOT_FOUND');
        expect(hit.json).toEqual(registered.json);
      }
      // And over GET, as Apollo Client's link sends queries when told to.
      const get = await fetch(`${gw.url}/graphql?extensions=${encodeURIComponent(JSON.stringify(persisted(hash)))}`, { headers: { ...headers(), 'apollo-require-preflight': 'true' } });
      expect(await get.json()).toEqual(registered.json);
    });

    it('a document the caller may not run is never registered: its hash stays unknown', async () => {
      const query = `{ customers(first: 1) { nodes { email } } }`;
      const refused = await gw.post({ query, extensions: persisted(sha256(query)) }, carrier);
      expect(codesOf(refused.json)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const again = await gw.post({ extensions: persisted(sha256(query)) }, carrier);
      expect(codesOf(again.json)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    });

    it("a document is registered for the principal that sent it: another's hash alone is answered as a hash nobody registered", async () => {
      const [shipment] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [DEMO_IDS.logisticsPartners[0]]);
      const query = `{ shipment(id: "${shipment.id}") { trackingNumber } }`;
      const hash = sha256(query);
      const registered = await gw.post({ query, extensions: persisted(hash) }, carrier);
      expect(registered.json.data.shipment).toEqual({ trackingNumber: expect.any(String) });
      // Another carrier, staff, and the registering carrier itself, by hash alone.
      const otherCarrier = { authorization: `Bearer ${await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[1], purposes: ['fulfillment'] }, gw.authConfig)}` };
      const notFound = { status: 200, json: { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] } };
      for (const headers of [otherCarrier, fulfilment]) {
        const r = await gw.post({ extensions: persisted(hash) }, headers);
        expect({ status: r.status, json: r.json }).toEqual(notFound);
        const get = await fetch(`${gw.url}/graphql?extensions=${encodeURIComponent(JSON.stringify(persisted(hash)))}`, { headers: { ...headers, 'apollo-require-preflight': 'true' } });
        expect({ status: get.status, json: await get.json() }).toEqual(notFound);
      }
      expect((await gw.post({ extensions: persisted(hash) }, carrier)).json).toEqual(registered.json);
    });

    it('a hash that does not match the text is refused', async () => {
      const r = await gw.post({ query: '{ shipments(first: 1) { nodes { id } } }', extensions: persisted(sha256('something else')) }, carrier);
      expect({ status: r.status, codes: codesOf(r.json) }).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
    });
  });

  describe('2. subscriptions', () => {
    it.each([
      ['within the contract', 'subscription { __typename }'],
      ['naming a field', 'subscription Changes { shipments { id } }'],
    ])('a subscription %s is a 400 OPERATION_NOT_SUPPORTED that says what to use instead', async (_label, query) => {
      const r = await gw.post({ query }, carrier);
      expect({ status: r.status, codes: codesOf(r.json) }).toEqual({ status: 400, codes: ['OPERATION_NOT_SUPPORTED'] });
      expect(r.json.errors[0].message).toMatch(/^Subscriptions are not served/);
      expect(r.json.data).toBeUndefined();
    });
  });

  describe('4. one HTTP status per error code', () => {
    it('the table gives each code the status of its meaning', () => {
      expect(HTTP_STATUS_OF_CODE).toEqual(
        expect.objectContaining({ BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, RATE_LIMITED: 429, INTERNAL_SERVER_ERROR: 500, SERVICE_UNAVAILABLE: 503, IDEMPOTENCY_KEY_REUSED: 422 }),
      );
    });

    const SCAN = `mutation Scan($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`;
    const scan = (shipmentId: string, occurredAt: unknown, eventId = 'e-1') => ({
      query: SCAN,
      variables: { input: { shipmentId, events: [{ eventId, occurredAt, location: 'Depot', description: 'Scanned' }] } },
    });

    it('BAD_USER_INPUT is 400 from a scalar that does not parse and from an input check in a resolver alike', async () => {
      const [shipment] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 LIMIT 1`, [DEMO_IDS.logisticsPartners[0]]);
      const badScalar = await gw.post(scan(shipment.id, 'not a date'), carrier);
      expect({ status: badScalar.status, codes: codesOf(badScalar.json) }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
      const tooLong = await gw.post(scan(shipment.id, new Date().toISOString(), 'x'.repeat(101)), carrier);
      expect({ status: tooLong.status, codes: codesOf(tooLong.json) }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
    });

    it("NOT_FOUND is 404 for a shipment that does not exist and for another carrier's, alike", async () => {
      const [theirs] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 LIMIT 1`, [DEMO_IDS.logisticsPartners[1]]);
      const answers = [];
      for (const id of [theirs.id, '00000000-0000-4000-8000-000000000000']) {
        const r = await gw.post(scan(id, new Date().toISOString()), carrier);
        answers.push({ status: r.status, body: r.json });
      }
      expect(answers[0].status).toBe(404);
      expect(answers[0]).toEqual(answers[1]);
    });

    it('a response with data and a refused field is 200, the field FORBIDDEN; a response refused whole is 403', async () => {
      const partial = await gw.post({ query: `{ orders(first: 2) { nodes { orderNumber channel } } }` }, fulfilment);
      expect(partial.status).toBe(200);
      expect(partial.json.data.orders.nodes.length).toBeGreaterThan(0);
      expect([...new Set(codesOf(partial.json))]).toEqual(['FORBIDDEN']);
      const whole = await gw.post({ query: `{ auditEvents(first: 1) { nodes { id } } }` }, fulfilment);
      expect({ status: whole.status, codes: codesOf(whole.json) }).toEqual({ status: 403, codes: ['FORBIDDEN'] });
    });
  });

  describe('4. rate-limit headers and Retry-After', () => {
    it('every answer tells the budget; a refusal tells exactly when it is whole again', async () => {
      const limited = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 3, missesPerMinute: 100 } });
      try {
        const query = { query: '{ a: shipments(first: 1) { nodes { id } } }' };
        const first = await limited.post(query, carrier);
        expect(first.status).toBe(200);
        expect(first.headers.get('ratelimit-limit')).toBe('3');
        expect(first.headers.get('ratelimit-remaining')).toBe('2');
        expect(first.headers.get('ratelimit-policy')).toBe('3;w=60');
        const reset = Number(first.headers.get('ratelimit-reset'));
        expect(reset).toBeGreaterThanOrEqual(59);
        expect(reset).toBeLessThanOrEqual(60);
        expect((await limited.post(query, carrier)).headers.get('ratelimit-remaining')).toBe('1');
        expect((await limited.post(query, carrier)).headers.get('ratelimit-remaining')).toBe('0');
        await new Promise((resolve) => setTimeout(resolve, 2100));
        const refused = await limited.post(query, carrier);
        expect({ status: refused.status, codes: codesOf(refused.json) }).toEqual({ status: 429, codes: ['RATE_LIMITED'] });
        const retryAfter = Number(refused.headers.get('retry-after'));
        // The window began with the first request, more than two seconds ago: 58 s at most remain.
        expect(retryAfter).toBeLessThanOrEqual(58);
        expect(retryAfter).toBeGreaterThanOrEqual(55);
        expect(refused.json.errors[0].extensions.retryAfterSeconds).toBe(retryAfter);
        expect(refused.headers.get('ratelimit-reset')).toBe(String(retryAfter));
        expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      } finally {
        await limited.close();
      }
    });
  });

  describe('5. the published contract', () => {
    const contract = (audience: string, headers: Record<string, string>) => fetch(`${gw.url}/contracts/${audience}.graphql`, { headers });

    it('a carrier gets its contract, the committed text, with an ETag; asked again with it, 304', async () => {
      const r = await contract('logistics_partner', carrier);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const body = await r.text();
      expect(body).toBe(readFileSync(path.resolve(__dirname, '../../contracts/logistics_partner.graphql'), 'utf8'));
      const etag = r.headers.get('etag')!;
      expect(etag).toBe(`"${sha256(body)}"`);
      const again = await contract('logistics_partner', { ...carrier, 'if-none-match': etag });
      expect(again.status).toBe(304);
    });

    it("another audience's contract, an unknown name and a staff token all get the same 404; no token gets 401", async () => {
      const answers = await Promise.all([
        contract('payment_provider', carrier),
        contract('nothing_here', carrier),
        contract('logistics_partner', fulfilment),
      ]);
      const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: await r.json() })));
      expect(bodies[0]).toEqual({ status: 404, body: { errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] } });
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[2]).toEqual(bodies[0]);
      expect((await contract('logistics_partner', {})).status).toBe(401);
    });
  });
});
