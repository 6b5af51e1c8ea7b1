/**
 * The writes integrations make: valid input is stored; bad input gets a coded error and writes
 * nothing, whole batches included.
 */
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Caller } from '../../src/policy/principal';
import type { Gateway } from '../../src/server';

const [carrierA] = DEMO_IDS.logisticsPartners;
const [providerA] = DEMO_IDS.paymentProviders;

describe('mutations', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  let shipmentId: string;
  const count = async (sql: string, params: unknown[] = []) => Number((await db.dataSource.query(sql, params))[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
    // A parcel still on its way, so that scans can move it.
    [{ id: shipmentId }] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 AND status = 'in_transit' ORDER BY id LIMIT 1`, [carrierA]);
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('recordShipmentEvents', () => {
    const RECORD = `mutation($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id status deliveredAt events { location status } } }`;
    const event = (i: number, extra: Record<string, unknown> = {}) => ({
      eventId: `scan-${i}`,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(),
      location: `Hub ${i}`,
      description: `Scan ${i}`,
      ...extra,
    });

    it('records a batch and moves the shipment to the latest status', async () => {
      const before = await count('SELECT count(*) n FROM shipment_event WHERE shipment_id = $1', [shipmentId]);
      const r = await execute(RECORD, as.logistics(carrierA), {
        input: { shipmentId, events: [event(1, { status: 'OUT_FOR_DELIVERY' }), event(3, { status: 'DELIVERED' }), event(2)] },
      });
      expect(r.errors).toBeUndefined();
      expect(r.data!.recordShipmentEvents.status).toBe('DELIVERED');
      expect(r.data!.recordShipmentEvents.deliveredAt).toBe(event(3).occurredAt);
      expect(await count('SELECT count(*) n FROM shipment_event WHERE shipment_id = $1', [shipmentId])).toBe(before + 3);
    });

    it.each([
      ['101 events', () => Array.from({ length: 101 }, (_, i) => event(i))],
      ['an empty batch', () => []],
      ['one event with an empty location among valid ones', () => [event(1), event(2, { location: '' }), event(3)]],
      ['one event with a 501-character description', () => [event(1), event(2, { description: 'x'.repeat(501) })]],
    ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_label, events) => {
      const before = await count('SELECT count(*) n FROM shipment_event');
      const r = await execute(RECORD, as.logistics(carrierA), { input: { shipmentId, events: events() } });
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(r.data?.recordShipmentEvents ?? null).toBeNull();
      expect(await count('SELECT count(*) n FROM shipment_event')).toBe(before);
    });

    it('names the field that is wrong, without echoing the value', async () => {
      const r = await execute(RECORD, as.logistics(carrierA), { input: { shipmentId, events: [event(1, { location: '' })] } });
      expect(r.errors?.[0].extensions?.fields).toEqual([{ field: 'events.0.location', problems: [expect.stringMatching(/location/)] }]);
    });

    it('is not in a payment provider\'s contract', async () => {
      const r = await execute(RECORD, as.payment(providerA), { input: { shipmentId, events: [event(1)] } });
      expect(new Set(r.errors?.map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(r.data ?? null).toBeNull();
    });

    it('is forbidden to staff', async () => {
      const before = await count('SELECT count(*) n FROM shipment_event');
      const r = await execute(RECORD, as.staff(['customer_service'], 'fulfillment'), { input: { shipmentId, events: [event(1)] } });
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(await count('SELECT count(*) n FROM shipment_event')).toBe(before);
    });
  });

  describe('recordShipmentTracking', () => {
    it('stores the tracking number', async () => {
      const r = await execute(
        `mutation($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { trackingNumber } }`,
        as.logistics(carrierA),
        { input: { shipmentId, trackingNumber: 'TRK-TEST-0001' } },
      );
      expect(r).toEqual({ data: { recordShipmentTracking: { trackingNumber: 'TRK-TEST-0001' } } });
    });

    it('refuses a tracking number the carrier already used on another shipment, and changes nothing', async () => {
      const [{ id: other }] = await db.dataSource.query(
        `SELECT id FROM shipment WHERE logistics_partner_id = $1 AND id <> $2 ORDER BY id LIMIT 1`,
        [carrierA, shipmentId],
      );
      const r = await execute(
        `mutation($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { trackingNumber } }`,
        as.logistics(carrierA),
        { input: { shipmentId: other, trackingNumber: 'TRK-TEST-0001' } },
      );
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await count(`SELECT count(*) n FROM shipment WHERE tracking_number = 'TRK-TEST-0001'`)).toBe(1);
    });
  });

  describe('recordPaymentResult', () => {
    const RECORD = `mutation($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id providerReference status amount cardLast4 settledAt } }`;
    let orderId: string;
    let currency: string;
    beforeAll(async () => {
      // An order whose checkout assigned provider A, not paid yet: A reports its first result.
      [{ id: orderId, currency }] = await db.dataSource.query(
        `SELECT id, currency FROM "order" o WHERE payment_provider_id = $1 AND NOT EXISTS (SELECT 1 FROM payment_verification p WHERE p.order_id = o.id) ORDER BY order_number LIMIT 1`,
        [providerA],
      );
    });
    const input = (extra: Record<string, unknown> = {}) => ({
      orderId,
      providerReference: 'psp-test-1',
      method: 'CARD',
      cardBrand: 'visa',
      cardLast4: '4242',
      amount: '129.90',
      currency,
      status: 'AUTHORIZED',
      paidAt: '2026-01-01T10:00:00.000Z',
      ...extra,
    });

    it('records a result, and the same reference again updates it', async () => {
      const first = await execute(RECORD, as.payment(providerA), { input: input() });
      expect(first.errors).toBeUndefined();
      const second = await execute(RECORD, as.payment(providerA), {
        input: input({ status: 'SETTLED', settledAt: '2026-01-02T10:00:00.000Z', settlementBatchRef: 'B-1' }),
      });
      expect(second.data!.recordPaymentResult).toEqual({ ...first.data!.recordPaymentResult, status: 'SETTLED', settledAt: '2026-01-02T10:00:00.000Z' });
      expect(await count(`SELECT count(*) n FROM payment_verification WHERE provider_reference = 'psp-test-1'`)).toBe(1);
    });

    it.each([
      ['five card digits', { cardLast4: '42424' }],
      ['a full card number', { cardLast4: '4242424242424242' }],
      ['card digits on a wallet payment', { method: 'WALLET' }],
      ['an amount with three decimals', { amount: '1.999' }],
      ['a float amount', { amount: 12.5 }],
      ['a lowercase currency', { currency: 'eur' }],
      ["a currency other than the order's", { currency: 'XTS' }],
      ['settlement before payment', { settledAt: '2025-12-31T00:00:00.000Z' }],
      ['a payment dated in the year 9999', { paidAt: '9999-01-01T00:00:00.000Z' }],
      ['a settlement two hours ahead of the clock', { settledAt: new Date(Date.now() + 2 * 3600_000).toISOString() }],
      ['an id that is not a UUID', { orderId: 'order-1' }],
    ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_label, extra) => {
      const before = await count('SELECT count(*) n FROM payment_verification');
      const r = await execute(RECORD, as.payment(providerA), { input: input({ providerReference: 'psp-bad', ...extra }) });
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await count('SELECT count(*) n FROM payment_verification')).toBe(before);
    });
  });

  describe('after-sales', () => {
    const customer = as.customer(DEMO_IDS.demoCustomer);
    const service = as.staff(['customer_service'], 'after_sales');

    it('a customer opens a case; card numbers in messages never reach the database', async () => {
      const opened = await execute(
        `mutation($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id status messages { body authorSide } } }`,
        customer,
        { input: { type: 'REFUND', subject: 'Refund please', message: 'I paid with 4111 1111 1111 1111, order arrived broken' } },
      );
      expect(opened.errors).toBeUndefined();
      const caseId = opened.data!.openAfterSalesCase.id;
      expect(opened.data!.openAfterSalesCase.messages).toEqual([
        { body: 'I paid with [card number removed], order arrived broken', authorSide: 'CUSTOMER' },
      ]);
      const posted = await execute(
        `mutation($input: PostCaseMessageInput!) { postCaseMessage(input: $input) { body } }`,
        customer,
        { input: { caseId, body: 'also tried 5500-0000-0000-0004; tracking 1234567890123 is fine' } },
      );
      expect(posted.data!.postCaseMessage.body).toBe('also tried [card number removed]; tracking 1234567890123 is fine');
      const stored = await db.dataSource.query(`SELECT body FROM case_message WHERE case_id = $1`, [caseId]);
      expect(stored.map((r: { body: string }) => r.body).join(' ')).not.toMatch(/4111|5500/);

      const updated = await execute(
        `mutation($input: UpdateCaseInput!) { updateAfterSalesCase(input: $input) { status closedAt records { action actor } } }`,
        service,
        { input: { caseId, status: 'RESOLVED' } },
      );
      expect(updated.data!.updateAfterSalesCase.status).toBe('RESOLVED');
      expect(updated.data!.updateAfterSalesCase.closedAt).not.toBeNull();
      const recorded = await execute(
        `mutation($input: AddCaseRecordInput!) { addCaseRecord(input: $input) { action note } }`,
        service,
        { input: { caseId, action: 'refund_issued', note: 'refunded in full' } },
      );
      expect(recorded).toEqual({ data: { addCaseRecord: { action: 'refund_issued', note: 'refunded in full' } } });
    });

    it("a customer cannot open a case on another customer's order: same answer as an order that does not exist", async () => {
      const [{ id: foreignOrder }] = await db.dataSource.query(`SELECT id FROM "order" WHERE customer_id <> $1 LIMIT 1`, [DEMO_IDS.demoCustomer]);
      const q = `mutation($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id } }`;
      const foreign = await execute(q, customer, { input: { orderId: foreignOrder, type: 'COMPLAINT', subject: 's', message: 'm' } });
      const missing = await execute(q, customer, { input: { orderId: '00000000-0000-4000-8000-000000000000', type: 'COMPLAINT', subject: 's', message: 'm' } });
      expect(foreign).toEqual(missing);
      expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('ingestBehaviorEvents', () => {
    const INGEST = `mutation($input: IngestBehaviorEventsInput!) { ingestBehaviorEvents(input: $input) { accepted } }`;
    const storefront = as.staff(['storefront'], 'analytics');
    const view = (extra: Record<string, unknown> = {}) => ({
      visitorId: 'cookie-123',
      ip: '198.51.100.77',
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
      language: 'en-GB',
      region: 'GB',
      page: '/products/42?email=jane@example.com#reviews',
      dwellMs: 5300,
      clicks: 3,
      occurredAt: new Date().toISOString(),
      analyticsConsent: true,
      ...extra,
    });

    it('stores page views desensitized: network prefix, browser family, device class, daily pseudonym, path only', async () => {
      const r = await execute(INGEST, storefront, { input: { events: [view(), view({ ip: '2001:db8:abcd:12::1', visitorId: 'cookie-456' })] } });
      expect(r).toEqual({ data: { ingestBehaviorEvents: { accepted: 2 } } });
      const rows = await db.dataSource.query(
        `SELECT visitor_pseudonym, ip_prefix, device_class, browser_family, page FROM behavior_event WHERE page = '/products/42' ORDER BY ip_prefix`,
      );
      expect(rows.map((row: any) => [row.ip_prefix, row.device_class, row.browser_family, row.page])).toEqual([
        ['198.51.100.0/24', 'mobile', 'Safari', '/products/42'],
        ['2001:db8:abcd::/48', 'mobile', 'Safari', '/products/42'],
      ]);
      expect(rows[0].visitor_pseudonym).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rows[0].visitor_pseudonym).not.toBe(rows[1].visitor_pseudonym);
      expect(JSON.stringify(rows)).not.toMatch(/cookie-|198\.51\.100\.77|jane/);
    });

    it.each([
      ['a bad IP in the third event', (i: number) => view(i === 2 ? { ip: '999.1.1.1' } : {})],
      ['a negative dwell time', (i: number) => view(i === 1 ? { dwellMs: -1 } : {})],
      ['an event from last year', (i: number) => view(i === 0 ? { occurredAt: '2025-01-01T00:00:00.000Z' } : {})],
    ])('refuses a batch with %s and writes none of it', async (_label, make) => {
      const before = await count('SELECT count(*) n FROM behavior_event');
      const r = await execute(INGEST, storefront, { input: { events: [0, 1, 2, 3].map(make) } });
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await count('SELECT count(*) n FROM behavior_event')).toBe(before);
    });
  });
});
