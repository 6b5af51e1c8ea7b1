/**
 * Idempotency keys over HTTP, as a partner retrying after a timeout uses them: the same key and
 * request within 24 hours get the first response again, byte for byte, without writing; the
 * same key with another request is refused; keys are per principal; two requests racing with
 * one key write once; a replay is audited like the response it repeats; a key whose first
 * request rolled back, or whose record expired, is free again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { mintDevToken } from '../../src/auth/dev-token';
import { purgeExpired, RESPONSE_BOX_USE } from '../../src/idempotency/idempotency';
import { SecretBox } from '../../src/platform/secret-box';
import { createDataSource } from '../../src/data-source';
import { createLogger } from '../../src/platform/logger';
import { DEV_PRIVACY_SECRET } from '../../src/platform/config';
import { PrivacyRights } from '../../src/domains/privacy-requests/privacy-rights';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { lastEvent } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const [carrierA, carrierB] = DEMO_IDS.logisticsPartners;
const [providerA] = DEMO_IDS.paymentProviders;

const PAYMENT = `mutation Pay($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id providerReference status amount order { orderNumber } } }`;
const OPEN_CASE = `mutation Open($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id subject } }`;
const SCAN = `mutation Scan($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id status events { location } } }`;

describe('Idempotency-Key', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let psp: Record<string, string>;
  let customer: Record<string, string>;
  let carrier: Record<string, string>;
  let otherCarrier: Record<string, string>;
  let orderId: string;
  let currency: string;
  let otherCustomer: string;
  let carrierShipment: string;
  // No digits at all: subjects pass through the card-number filter, which joins digit runs across
  // dashes, so a UUID's last groups can read as a 13-to-19-digit number that passes the Luhn check.
  const key = () => `key-${randomUUID().replace(/\d/g, (d) => 'ghijklmnop'[Number(d)])}`;
  const count = async (sql: string, params: unknown[] = []) => Number((await db.dataSource.query(sql, params))[0].n);
  const payment = (reference: string, extra: Record<string, unknown> = {}) => ({
    query: PAYMENT,
    variables: { input: { orderId, providerReference: reference, method: 'WALLET', amount: '25.00', currency, status: 'AUTHORIZED', ...extra } },
  });
  const openCase = (subject: string) => ({ query: OPEN_CASE, variables: { input: { type: 'CONSULTATION', subject, message: 'Where is my parcel?' } } });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    const bearer = async (options: Parameters<typeof mintDevToken>[0]) => ({ authorization: `Bearer ${await mintDevToken(options, gw.authConfig)}` });
    psp = await bearer({ kind: 'payment_provider', partnerId: providerA, purposes: ['payment_settlement'] });
    customer = await bearer({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales'] });
    carrier = await bearer({ kind: 'logistics_partner', partnerId: carrierA, purposes: ['fulfillment'] });
    otherCarrier = await bearer({ kind: 'logistics_partner', partnerId: carrierB, purposes: ['fulfillment'] });
    // An order whose checkout assigned provider A: A may report on it.
    [{ id: orderId, currency }] = await db.dataSource.query(`SELECT id, currency FROM "order" WHERE payment_provider_id = $1 ORDER BY order_number LIMIT 1`, [providerA]);
    [{ id: otherCustomer }] = await db.dataSource.query(`SELECT id FROM customer WHERE id <> $1 AND status = 'active' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    [{ id: carrierShipment }] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [carrierA]);
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  it('is refused by the writes that answer a webhook signing secret, which no store may keep; without a key they answer it', async () => {
    const register = { query: 'mutation { registerWebhookEndpoint(input: { url: "https://carrier.example/idem" }) { secret } }' };
    const refused = await gw.post(register, { ...carrier, 'idempotency-key': key() });
    expect([refused.status, refused.json.errors?.[0].extensions.code, refused.json.errors?.[0].message]).toEqual([
      400,
      'BAD_USER_INPUT',
      'Idempotency-Key: not accepted by writes that answer a signing secret, which is never kept; send it without one',
    ]);
    expect(await count(`SELECT count(*) n FROM webhook_endpoint WHERE url = 'https://carrier.example/idem'`)).toBe(0);
    const answered = await gw.post(register, carrier);
    expect([answered.status, answered.json.data.registerWebhookEndpoint.secret]).toEqual([200, expect.stringMatching(/^whsec_/)]);
    // The answer holding the secret was not kept (a sealed one would still hold it).
    expect(await count(`SELECT count(*) n FROM idempotency_record WHERE request_id = $1`, [answered.headers.get('x-request-id')])).toBe(0);
  });

  it('the same key and request again: the first response, byte for byte, marked as replayed, and nothing written', async () => {
    const k = key();
    const body = payment(`idem-${k}`);
    const first = await gw.post(body, { ...psp, 'idempotency-key': k });
    expect([first.status, first.json.errors]).toEqual([200, undefined]);
    const [{ xmin }] = await db.dataSource.query(`SELECT xmin::text FROM payment_verification WHERE provider_reference = $1`, [`idem-${k}`]);
    const second = await gw.post(body, { ...psp, 'idempotency-key': k });
    expect({ status: second.status, text: second.text }).toEqual({ status: 200, text: first.text });
    expect([first.headers.get('idempotent-replayed'), second.headers.get('idempotent-replayed')]).toEqual([null, 'true']);
    // "The same reference again updates it" would have rewritten the row: the replay did not run.
    expect(await db.dataSource.query(`SELECT xmin::text FROM payment_verification WHERE provider_reference = $1`, [`idem-${k}`])).toEqual([{ xmin }]);
  });

  it('a mutation that is not idempotent by itself runs once however often it is sent', async () => {
    const k = key();
    for (let i = 0; i < 3; i++) expect((await gw.post(openCase(`once ${k}`), { ...customer, 'idempotency-key': k })).status).toBe(200);
    expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`once ${k}`])).toBe(1);
  });

  it('ten requests racing with one key write once, and all get the same answer', async () => {
    const k = key();
    const responses = await Promise.all(Array.from({ length: 10 }, () => gw.post(openCase(`race ${k}`), { ...customer, 'idempotency-key': k })));
    expect(new Set(responses.map((r) => `${r.status} ${r.text}`)).size).toBe(1);
    expect([responses[0]!.status, responses[0]!.json.errors]).toEqual([200, undefined]);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`race ${k}`])).toBe(1);
  });

  it.each([
    ['other variables', (k: string) => payment(`idem-${k}`, { amount: '26.00' })],
    ['the same variables in another operation text', (k: string) => ({ ...payment(`idem-${k}`), query: PAYMENT.replace(' status amount', '') })],
  ])('the same key with %s: 422 IDEMPOTENCY_KEY_REUSED, and nothing written', async (_label, other) => {
    const k = key();
    await gw.post(payment(`idem-${k}`), { ...psp, 'idempotency-key': k });
    const before = await count(`SELECT count(*) n FROM payment_verification`);
    const cases = await count(`SELECT count(*) n FROM after_sales_case`);
    const r = await gw.post(other(k), { ...psp, 'idempotency-key': k });
    expect({ status: r.status, codes: r.json.errors.map((e: any) => e.extensions.code), data: r.json.data }).toEqual({ status: 422, codes: ['IDEMPOTENCY_KEY_REUSED'], data: undefined });
    expect(r.json.errors[0].message).toMatch(/^Idempotency-Key: already used for a different request/);
    expect([await count(`SELECT count(*) n FROM payment_verification`), await count(`SELECT count(*) n FROM after_sales_case`)]).toEqual([before, cases]);
  });

  it("keys are per principal: another partner's request with the same key runs as its own", async () => {
    const k = key();
    const [mine, theirs] = await Promise.all(
      [
        [carrier, carrierA],
        [otherCarrier, carrierB],
      ].map(async ([headers, partner]) => {
        const [{ id }] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [partner]);
        const events = [{ eventId: `e-${k}`, occurredAt: new Date().toISOString(), location: `Hub of ${partner}`, description: 'sorted' }];
        return { id, response: await gw.post({ query: SCAN, variables: { input: { shipmentId: id, events } } }, { ...(headers as Record<string, string>), 'idempotency-key': k }) };
      }),
    );
    expect([mine!.response.status, theirs!.response.status]).toEqual([200, 200]);
    expect([mine!.response.headers.get('idempotent-replayed'), theirs!.response.headers.get('idempotent-replayed')]).toEqual([null, null]);
    expect([mine!.response.json.data.recordShipmentEvents.id, theirs!.response.json.data.recordShipmentEvents.id]).toEqual([mine!.id, theirs!.id]);
  });

  describe('a key names a request only for the caller that sent it: principal, purpose, roles and grant', () => {
    /** The answer as a caller sees it, minus what differs between two requests (the request id). */
    const seen = (r: { status: number; json: any; headers: Headers }) => ({ status: r.status, replayed: r.headers.get('idempotent-replayed'), body: r.json });
    const staff = async (subject: string, roles: Array<'storefront' | 'data_analyst' | 'customer_service'>, purposes: Array<'analytics' | 'after_sales'>) => ({
      authorization: `Bearer ${await mintDevToken({ kind: 'staff', subject, roles, purposes }, gw.authConfig)}`,
    });
    const ingest = {
      query: `mutation Ingest($input: IngestBehaviorEventsInput!) { ingestBehaviorEvents(input: $input) { accepted } }`,
      variables: { input: { events: [{ visitorId: 'w', ip: '198.51.100.8', userAgent: 'Mozilla/5.0', page: '/q', dwellMs: 1, clicks: 1, occurredAt: new Date().toISOString(), analyticsConsent: true }] } },
    };
    const scanOf = (k: string) => ({ query: SCAN, variables: { input: { shipmentId: carrierShipment, events: [{ eventId: `pair-${k}`, occurredAt: '2026-01-02T03:04:05.000Z', location: 'Hub', description: 'sorted' }] } } });
    const openCaseBy = (subject: string) => ({ query: `mutation Open($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { subject } }`, variables: { input: { type: 'CONSULTATION', subject, message: 'Where?' } } });
    type Pair = [label: string, first: () => Promise<Record<string, string>>, second: () => Promise<Record<string, string>>, body: (k: string) => unknown];
    const pairs: Pair[] = [
      ['another partner of the same kind', async () => carrier, async () => otherCarrier, (k) => scanOf(k)],
      ['a partner of another kind', async () => carrier, async () => psp, (k) => scanOf(k)],
      ['another customer', async () => customer, async () => ({ authorization: `Bearer ${await mintDevToken({ kind: 'customer', customerId: otherCustomer, purposes: ['after_sales'] }, gw.authConfig)}` }), (k) => openCaseBy(`customers ${k}`)],
      [
        'the same customer under another purpose',
        async () => ({ authorization: `Bearer ${await mintDevToken({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales', 'data_subject_request'] }, gw.authConfig)}`, 'x-purpose': 'after_sales' }),
        async () => ({ authorization: `Bearer ${await mintDevToken({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales', 'data_subject_request'] }, gw.authConfig)}`, 'x-purpose': 'data_subject_request' }),
        (k) => openCaseBy(`purposes ${k}`),
      ],
      ['the same person under another role', () => staff('person-roles', ['storefront'], ['analytics']), () => staff('person-roles', ['storefront', 'data_analyst'], ['analytics']), () => ingest],
      ['the same person with a role taken away', () => staff('person-fewer', ['storefront', 'customer_service'], ['analytics']), () => staff('person-fewer', ['storefront'], ['analytics']), () => ingest],
      ['the same person under another purpose', () => staff('person-purposes', ['storefront', 'customer_service'], ['analytics']), () => staff('person-purposes', ['storefront', 'customer_service'], ['after_sales']), () => ingest],
    ];

    it.each(pairs)('%s gets what a fresh key gets: the first answer is neither replayed nor refused, and its key is not blocked', async (_label, first, second, body) => {
      const [k, fresh] = [key(), key()];
      const [a, b] = [await first(), await second()];
      const original = await gw.post(body(k) as object, { ...a, 'idempotency-key': k });
      expect(original.headers.get('idempotent-replayed')).toBeNull();
      const withUsedKey = await gw.post(body(k) as object, { ...b, 'idempotency-key': k });
      const withFreshKey = await gw.post(body(k) as object, { ...b, 'idempotency-key': fresh });
      expect(seen(withUsedKey)).toEqual(seen(withFreshKey));
      expect(withUsedKey.status).not.toBe(422);
      // And each keeps its own key: the first replays its answer, the second gets its own again (replayed when it was kept).
      expect(seen(await gw.post(body(k) as object, { ...a, 'idempotency-key': k }))).toEqual({ ...seen(original), replayed: 'true' });
      expect({ ...seen(await gw.post(body(k) as object, { ...b, 'idempotency-key': k })), replayed: null }).toEqual(seen(withUsedKey));
    });
  });

  it('the fingerprint of a request is keyed: a stored one is not the plain sha256 of what was sent, so a code in the variables cannot be tried against it offline', async () => {
    const k = key();
    const body = payment(`fingerprint-${k}`);
    const first = await gw.post(body, { ...psp, 'idempotency-key': k });
    expect(first.status).toBe(200);
    const [{ fingerprint }] = await db.dataSource.query(`SELECT fingerprint FROM idempotency_record WHERE request_id = $1`, [first.headers.get('x-request-id')]);
    const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((n) => [n, sorted((v as any)[n])])) : v);
    const plain = createHash('sha256').update(JSON.stringify(sorted({ query: body.query, operationName: null, variables: body.variables, purpose: 'payment_settlement' }))).digest('hex');
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint).not.toBe(plain);
    // Under another privacy secret the same request has another fingerprint.
    const other = await startHttpGateway(db, { rights: new PrivacyRights({ secret: `fingerprint secret ${k}`, calendar: { timeZone: 'UTC', holidays: [] }, publicUrl: 'http://127.0.0.1:4000' }) });
    try {
      const k2 = key();
      const again = await other.post(body, { ...psp, 'idempotency-key': k2 });
      const [{ fingerprint: underOther }] = await db.dataSource.query(`SELECT fingerprint FROM idempotency_record WHERE request_id = $1`, [again.headers.get('x-request-id')]);
      expect(underOther).not.toBe(fingerprint);
    } finally {
      await other.close();
    }
  });

  it('a record kept before the upgrade (principal and key, unkeyed fingerprint) is still replayed for its 24 hours, not run twice', async () => {
    const k = key();
    const body = openCase(`legacy ${k}`);
    const first = await gw.post(body, { ...customer, 'idempotency-key': k });
    expect(first.status).toBe(200);
    // Rewrite the record as the previous release made it: found by principal and key, fingerprinted by sha256.
    const requestId = first.headers.get('x-request-id')!;
    const [row] = await db.dataSource.query(`SELECT key_hash, response, disclosure FROM idempotency_record WHERE request_id = $1`, [requestId]);
    const box = new SecretBox(DEV_PRIVACY_SECRET, RESPONSE_BOX_USE);
    const legacyHash = createHash('sha256').update(JSON.stringify([`customer:${DEMO_IDS.demoCustomer}`, k])).digest('hex');
    const bound = (hash: string, part: string) => `idempotency_record:${hash}:${requestId}:${part}`;
    const request = { operationName: null, purpose: 'after_sales', query: body.query, variables: { input: { message: body.variables.input.message, subject: body.variables.input.subject, type: 'CONSULTATION' } } };
    await db.dataSource.query(`UPDATE idempotency_record SET key_hash = $2, fingerprint = $3, fingerprint_keyed = false, response = $4, disclosure = $5 WHERE request_id = $1`, [
      requestId,
      legacyHash,
      createHash('sha256').update(JSON.stringify(request)).digest('hex'),
      box.seal(box.open(row.response, bound(row.key_hash, 'response')), bound(legacyHash, 'response')),
      box.seal(box.open(row.disclosure, bound(row.key_hash, 'disclosure')), bound(legacyHash, 'disclosure')),
    ]);
    const retry = await gw.post(body, { ...customer, 'idempotency-key': k });
    expect({ status: retry.status, text: retry.text, replayed: retry.headers.get('idempotent-replayed') }).toEqual({ status: 200, text: first.text, replayed: 'true' });
    expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`legacy ${k}`])).toBe(1);
    // Another request with its key is refused as before; once it has expired the key is free.
    const other = await gw.post(openCase(`legacy other ${k}`), { ...customer, 'idempotency-key': k });
    expect([other.status, other.json.errors?.[0].extensions.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    await db.dataSource.query(`UPDATE idempotency_record SET expires_at = now() - interval '1 second' WHERE request_id = $1`, [requestId]);
    const later = await gw.post(body, { ...customer, 'idempotency-key': k });
    expect([later.status, later.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`legacy ${k}`])).toBe(2);
  });

  it('a replay is audited like the response it repeats, naming the request it replays', async () => {
    const k = key();
    const body = payment(`audited-${k}`);
    const first = await gw.post(body, { ...psp, 'idempotency-key': k });
    const original = await lastEvent(db.dataSource);
    const second = await gw.post(body, { ...psp, 'idempotency-key': k });
    const replay = await lastEvent(db.dataSource);
    expect(replay.requestId).toBe(second.headers.get('x-request-id'));
    expect(original.requestId).toBe(first.headers.get('x-request-id'));
    const what = (e: typeof original) => ({ operationType: e.operationType, subjectIds: e.subjectIds, disclosed: e.disclosed, masked: e.masked, denied: e.denied, outcome: e.outcome });
    expect(what(replay)).toEqual(what(original));
    expect(replay.subjectIds.length).toBe(1);
    expect(replay.disclosed).toContain('Order.orderNumber');
    expect([original.detail, replay.detail]).toEqual([null, { idempotentReplayOf: original.requestId }]);
  });

  it('a replay of a write the caller may no longer make (its role changed) is refused as the write itself would be', async () => {
    const k = key();
    const ingest = {
      query: `mutation Ingest($input: IngestBehaviorEventsInput!) { ingestBehaviorEvents(input: $input) { accepted } }`,
      variables: { input: { events: [{ visitorId: 'v', ip: '198.51.100.7', userAgent: 'Mozilla/5.0', page: '/p', dwellMs: 1, clicks: 1, occurredAt: new Date().toISOString(), analyticsConsent: true }] } },
    };
    const as = async (roles: Array<'storefront' | 'data_analyst'>) => ({ authorization: `Bearer ${await mintDevToken({ kind: 'staff', subject: `person-${k}`, roles, purposes: ['analytics'] }, gw.authConfig)}` });
    const first = await gw.post(ingest, { ...(await as(['storefront'])), 'idempotency-key': k });
    expect(first.json).toEqual({ data: { ingestBehaviorEvents: { accepted: 1 } } });
    const replay = await gw.post(ingest, { ...(await as(['data_analyst'])), 'idempotency-key': k });
    expect(replay.json).toEqual({
      data: null,
      errors: [
        { message: 'Not disclosed to this caller for this purpose: Mutation.ingestBehaviorEvents', locations: [{ line: 1, column: 55 }], path: ['ingestBehaviorEvents'], extensions: { code: 'FORBIDDEN' } },
      ],
    });
    // The same answer the write gets when sent without a key.
    expect((await gw.post(ingest, await as(['data_analyst']))).json).toEqual(replay.json);
  });

  it('a key whose first request was withheld (its audit event failed) is free: the retry runs, once', async () => {
    const k = key();
    await db.dataSource.query(`
      CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused (test)'; END $$;
      CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`);
    let failed;
    try {
      failed = await gw.post(openCase(`retry ${k}`), { ...customer, 'idempotency-key': k });
    } finally {
      await db.dataSource.query(`DROP TRIGGER test_refuse_audit ON audit_event; DROP FUNCTION test_refuse_audit()`);
    }
    expect(failed.status).toBe(500);
    expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`retry ${k}`])).toBe(0);
    const retry = await gw.post(openCase(`retry ${k}`), { ...customer, 'idempotency-key': k });
    expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`retry ${k}`])).toBe(1);
  });

  it('after 24 hours a key is free again, and expired records are deleted', async () => {
    const k = key();
    const first = await gw.post(openCase(`late ${k}`), { ...customer, 'idempotency-key': k });
    expect(first.json).toMatchObject({ data: { openAfterSalesCase: { subject: `late ${k}` } } });
    const expire = () => db.dataSource.query(`UPDATE idempotency_record SET expires_at = now() - interval '1 second', created_at = now() - interval '24 hours 1 second' WHERE request_id IN (SELECT request_id FROM idempotency_record ORDER BY created_at DESC LIMIT 1)`);
    await expire();
    const again = await gw.post(openCase(`late ${k}`), { ...customer, 'idempotency-key': k });
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`late ${k}`])).toBe(2);
    await expire();
    expect(await purgeExpired(db.dataSource)).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(*) n FROM idempotency_record WHERE expires_at <= now()`)).toBe(0);
  });

  describe('kept responses are sealed at rest', () => {
    const recordOf = async (requestId: string | null): Promise<{ key_hash: string; response: Buffer; disclosure: Buffer }> =>
      (await db.dataSource.query(`SELECT key_hash, response, disclosure FROM idempotency_record WHERE request_id = $1`, [requestId]))[0];

    it("the stored bytes hold neither the response's personal values nor its JSON, and the replay is still the first response", async () => {
      const k = key();
      const subject = `Sealed parcel question ${k}`;
      const first = await gw.post(openCase(subject), { ...customer, 'idempotency-key': k });
      expect(first.json.data.openAfterSalesCase.subject).toBe(subject);
      const stored = await recordOf(first.headers.get('x-request-id'));
      const bytes = Buffer.concat([stored.response, stored.disclosure]).toString('latin1');
      for (const clear of [subject, k, first.json.data.openAfterSalesCase.id, DEMO_IDS.demoCustomer, 'openAfterSalesCase', '{"data"']) expect(bytes).not.toContain(clear);
      const again = await gw.post(openCase(subject), { ...customer, 'idempotency-key': k });
      expect({ status: again.status, text: again.text, replayed: again.headers.get('idempotent-replayed') }).toEqual({ status: 200, text: first.text, replayed: 'true' });
    });

    it("a response sealed for one record does not open for another: the retry is refused and nothing runs", async () => {
      const [a, b] = [key(), key()];
      const firstA = await gw.post(openCase(`moved from ${a}`), { ...customer, 'idempotency-key': a });
      const firstB = await gw.post(openCase(`moved to ${b}`), { ...customer, 'idempotency-key': b });
      const from = await recordOf(firstA.headers.get('x-request-id'));
      await db.dataSource.query(`UPDATE idempotency_record SET response = $1, disclosure = $2 WHERE request_id = $3`, [from.response, from.disclosure, firstB.headers.get('x-request-id')]);
      const retry = await gw.post(openCase(`moved to ${b}`), { ...customer, 'idempotency-key': b });
      expect({ status: retry.status, codes: retry.json.errors.map((e: any) => e.extensions.code), data: retry.json.data }).toEqual({ status: 422, codes: ['IDEMPOTENCY_KEY_REUSED'], data: undefined });
      expect(retry.text).not.toContain(`moved from ${a}`);
      expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`moved to ${b}`])).toBe(1);
    });

    it('under a changed privacy secret that keeps the old one in PRIVACY_SECRET_PREVIOUS, a kept response still replays, and is not run twice', async () => {
      const k = key();
      const first = await gw.post(openCase(`rotated ${k}`), { ...customer, 'idempotency-key': k });
      expect(first.status).toBe(200);
      // The gateway above seals under the development secret (it is given no rights of its own).
      const rotated = await startHttpGateway(db, {
        rights: new PrivacyRights({ secret: `another secret ${k}`, previousSecrets: [DEV_PRIVACY_SECRET], calendar: { timeZone: 'UTC', holidays: [] }, publicUrl: 'http://127.0.0.1:4000' }),
      });
      try {
        const retry = await rotated.post(openCase(`rotated ${k}`), { ...customer, 'idempotency-key': k });
        expect([retry.status, retry.headers.get('idempotent-replayed'), retry.text]).toEqual([200, 'true', first.text]);
        expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`rotated ${k}`])).toBe(1);
      } finally {
        await rotated.close();
      }
    });

    it('under a changed privacy secret a kept response does not open: the retry is refused, not run twice, until the record expires', async () => {
      const k = key();
      const first = await gw.post(openCase(`rekeyed ${k}`), { ...customer, 'idempotency-key': k });
      expect(first.status).toBe(200);
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const rekeyed = await startHttpGateway(db, {
        rights: new PrivacyRights({ secret: `another secret ${k}`, calendar: { timeZone: 'UTC', holidays: [] }, publicUrl: 'http://127.0.0.1:4000' }),
        logger: createLogger('info', sink),
      });
      try {
        const retry = await rekeyed.post(openCase(`rekeyed ${k}`), { ...customer, 'idempotency-key': k });
        expect({ status: retry.status, codes: retry.json.errors.map((e: any) => e.extensions.code) }).toEqual({ status: 422, codes: ['IDEMPOTENCY_KEY_REUSED'] });
        expect(retry.json.errors[0].message).toMatch(/^Idempotency-Key: the first response to this key can no longer be replayed, and the request was not run again/);
        // The warning names the retry under requestId and the kept record's first request under its own key (one key per name on the line).
        const warning = lines.filter((line) => line.includes('a kept response does not open'));
        expect(warning).toHaveLength(1);
        expect(warning[0].match(/"requestId":/g)).toHaveLength(1);
        expect(JSON.parse(warning[0])).toMatchObject({ requestId: retry.headers.get('x-request-id'), keptRequestId: first.headers.get('x-request-id') });
        expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`rekeyed ${k}`])).toBe(1);
        // The gateway that sealed it still replays it.
        expect((await gw.post(openCase(`rekeyed ${k}`), { ...customer, 'idempotency-key': k })).text).toBe(first.text);
        // Once expired, the key is free under the new secret.
        await db.dataSource.query(`UPDATE idempotency_record SET expires_at = now() - interval '1 second' WHERE request_id = $1`, [first.headers.get('x-request-id')]);
        const later = await rekeyed.post(openCase(`rekeyed ${k}`), { ...customer, 'idempotency-key': k });
        expect([later.status, later.headers.get('idempotent-replayed')]).toEqual([200, null]);
        expect(await count(`SELECT count(*) n FROM after_sales_case WHERE subject = $1`, [`rekeyed ${k}`])).toBe(2);
      } finally {
        await rekeyed.close();
      }
    });
  });

  it('records name the principal and key only by a hash', async () => {
    const k = `plain-key-${key()}`;
    await gw.post(openCase(`hashed ${k}`), { ...customer, 'idempotency-key': k });
    const rows = await db.dataSource.query(`SELECT key_hash, fingerprint FROM idempotency_record`);
    expect(JSON.stringify(rows)).not.toContain(k);
    expect(JSON.stringify(rows)).not.toContain(DEMO_IDS.demoCustomer);
  });

  it.each([
    ['a key of 256 characters', 'k'.repeat(256)],
    ['a key with a space', 'two words'],
    ['two keys', 'one, two'],
  ])('%s is refused with 400 BAD_USER_INPUT, and nothing written', async (_label, bad) => {
    const before = await count(`SELECT count(*) n FROM after_sales_case`);
    const r = await gw.post(openCase(`bad key ${key()}`), { ...customer, 'idempotency-key': bad });
    expect({ status: r.status, codes: r.json.errors.map((e: any) => e.extensions.code) }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
    expect(await count(`SELECT count(*) n FROM after_sales_case`)).toBe(before);
  });

  it('a keyed mutation completes on a pool of one connection: once it has claimed its key it needs no other', async () => {
    const single = createDataSource({ url: db.url, poolSize: 1 });
    await single.initialize();
    const narrow = await startHttpGateway({ ...db, dataSource: single });
    try {
      const k = key();
      const pay = await narrow.post(payment(`narrow-${k}`), { ...psp, 'idempotency-key': k });
      const open = await narrow.post(openCase(`narrow ${k}`), { ...customer, 'idempotency-key': `${k}-case` });
      expect([pay.status, pay.json.errors, open.status, open.json.errors]).toEqual([200, undefined, 200, undefined]);
    } finally {
      await narrow.close();
      await single.destroy();
    }
  }, 10_000);

  it('a browser page on an allowed origin may send the key and read the replay mark', async () => {
    const origin = 'https://shop.example';
    const browser = await startHttpGateway(db, { corsOrigins: [origin] });
    try {
      const preflight = await fetch(`${browser.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'idempotency-key' } });
      expect(preflight.headers.get('access-control-allow-headers')?.split(', ')).toContain('idempotency-key');
      const k = key();
      await browser.post(openCase(`browser ${k}`), { ...customer, origin, 'idempotency-key': k });
      const again = await browser.post(openCase(`browser ${k}`), { ...customer, origin, 'idempotency-key': k });
      expect(again.headers.get('access-control-expose-headers')?.split(', ')).toContain('idempotent-replayed');
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await browser.close();
    }
  });

  it('variables with a number JSON cannot hold are refused with 400 BAD_USER_INPUT', async () => {
    const r = await gw.post(`{"query":${JSON.stringify(PAYMENT)},"variables":{"input":{"orderId":"${orderId}","providerReference":"inf","method":"WALLET","amount":"1.00","currency":"${currency}","status":"AUTHORIZED"},"n":1e999}}`, { ...psp, 'idempotency-key': key() });
    expect({ status: r.status, errors: r.json.errors.map((e: any) => [e.extensions.code, e.message]) }).toEqual({ status: 400, errors: [['BAD_USER_INPUT', 'variables: a number out of range']] });
  });

  it('a query ignores the header: nothing is kept', async () => {
    const before = await count(`SELECT count(*) n FROM idempotency_record`);
    const r = await gw.post({ query: `{ paymentVerifications(first: 1) { nodes { providerReference } } }` }, { ...psp, 'idempotency-key': key() });
    expect([r.status, r.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect(await count(`SELECT count(*) n FROM idempotency_record`)).toBe(before);
  });
});
