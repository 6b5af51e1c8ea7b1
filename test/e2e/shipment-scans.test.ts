/**
 * Carrier scans as a partner integration sends them: again after a timeout, late, out of order.
 * A scan sent again is recognised by its event id and stored once; a late scan is kept in the
 * history and moves nothing backwards; delivered is final but for a return; and the order is
 * delivered, in the same transaction, when its last parcel is.
 */
import type { Caller } from '../../src/policy/principal';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';

const [carrierA, carrierB] = DEMO_IDS.logisticsPartners;
const RECORD = `mutation($input: RecordShipmentEventsInput!) {
  recordShipmentEvents(input: $input) { id status deliveredAt events { occurredAt location status } }
}`;

describe('carrier scans', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  const one = async <T>(sql: string, params: unknown[] = []): Promise<T> => (await db.dataSource.query(sql, params))[0];
  const eventsOf = async (shipmentId: string): Promise<number> => Number((await one<{ n: string }>(`SELECT count(*) n FROM shipment_event WHERE shipment_id = $1`, [shipmentId])).n);
  const statusOf = async (shipmentId: string): Promise<string> => (await one<{ status: string }>(`SELECT status FROM shipment WHERE id = $1`, [shipmentId])).status;
  const orderStatusOf = async (orderId: string): Promise<string> => (await one<{ status: string }>(`SELECT status FROM "order" WHERE id = $1`, [orderId])).status;

  /**
   * A new `shipped` order (a copy of one from the demo data) whose only parcel is with `carrier`,
   * in transit since the start of February: each test writes to parcels of its own.
   */
  let made = 0;
  async function soleParcel(carrier: string): Promise<{ shipmentId: string; orderId: string }> {
    made += 1;
    const { id: orderId } = await one<{ id: string }>(
      `INSERT INTO "order" SELECT (jsonb_populate_record(NULL::"order", to_jsonb(o) || jsonb_build_object('id', gen_random_uuid(), 'order_number', $1::text))).*
         FROM "order" o WHERE o.status = 'shipped' ORDER BY o.order_number LIMIT 1 RETURNING id`,
      [`TEST-SCANS-${made}`],
    );
    const { id: shipmentId } = await one<{ id: string }>(
      `INSERT INTO shipment (order_id, logistics_partner_id, status, progress, status_at) VALUES ($1, $2, 'in_transit', 'in_transit', '2026-02-01T00:00:00Z') RETURNING id`,
      [orderId, carrier],
    );
    return { shipmentId, orderId };
  }

  const at = (hours: number) => new Date(Date.UTC(2026, 2, 1, 8) + hours * 3600_000).toISOString();
  const scan = (eventId: string, hours: number, status?: string) => ({ eventId, occurredAt: at(hours), location: `Hub ${eventId}`, description: `scan ${eventId}`, ...(status ? { status } : {}) });
  const record = (carrier: string, shipmentId: string, events: unknown[]) => execute(RECORD, as.logistics(carrier), { input: { shipmentId, events } });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  describe('sent again', () => {
    it('a batch of three scans sent twice stores three, and answers the same both times', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      const before = await eventsOf(shipmentId);
      const batch = [scan('a1', 1), scan('a2', 2, 'OUT_FOR_DELIVERY'), scan('a3', 3)];
      const first = await record(carrierA, shipmentId, batch);
      const second = await record(carrierA, shipmentId, batch);
      expect(first.errors).toBeUndefined();
      expect(second).toEqual(first);
      expect(await eventsOf(shipmentId)).toBe(before + 3);
    });

    it('a batch that repeats scans already recorded stores only the new ones', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      const before = await eventsOf(shipmentId);
      await record(carrierA, shipmentId, [scan('b1', 1), scan('b2', 2)]);
      const r = await record(carrierA, shipmentId, [scan('b2', 2), scan('b3', 3), scan('b3', 3)]);
      expect(r.errors).toBeUndefined();
      expect(await eventsOf(shipmentId)).toBe(before + 3);
    });

    it.each([
      ['another time', { occurredAt: at(9) }],
      ['another place', { location: 'Elsewhere' }],
      ['another status', { status: 'DELIVERED' }],
    ])('an event id already recorded with %s is refused, and nothing of the batch is written', async (_label, change) => {
      const { shipmentId } = await soleParcel(carrierA);
      await record(carrierA, shipmentId, [scan('c1', 1)]);
      const before = await eventsOf(shipmentId);
      const r = await record(carrierA, shipmentId, [scan('c2', 2), { ...scan('c1', 1), ...change }]);
      expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', expect.stringMatching(/^input\.events\[1\]\.eventId: already recorded/)]]);
      expect(await eventsOf(shipmentId)).toBe(before);
      expect(await statusOf(shipmentId)).toBe('in_transit');
    });

    it('one event id twice in a batch with different content is refused', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      const before = await eventsOf(shipmentId);
      const r = await record(carrierA, shipmentId, [scan('d1', 1), { ...scan('d1', 1), location: 'Elsewhere' }]);
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await eventsOf(shipmentId)).toBe(before);
    });

    it('a scan dated more than an hour ahead of the clock is refused, and nothing of its batch is written', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      const before = await eventsOf(shipmentId);
      const ahead = new Date(Date.now() + 2 * 3600_000).toISOString();
      const r = await record(carrierA, shipmentId, [scan('g0', 1, 'OUT_FOR_DELIVERY'), { eventId: 'g1', occurredAt: '9999-12-31T00:00:00Z', location: 'Hub', description: 'scan', status: 'DELIVERED' }]);
      expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'input.events[1].occurredAt: later than an hour from now']]);
      const r2 = await record(carrierA, shipmentId, [{ eventId: 'g2', occurredAt: ahead, location: 'Hub', description: 'scan', status: 'DELIVERED' }]);
      expect(r2.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await eventsOf(shipmentId)).toBe(before);
      expect(await statusOf(shipmentId)).toBe('in_transit');
      // A carrier's clock a few minutes fast is not refused.
      const soon = new Date(Date.now() + 10 * 60_000).toISOString();
      const r3 = await record(carrierA, shipmentId, [{ eventId: 'g3', occurredAt: soon, location: 'Hub', description: 'scan', status: 'OUT_FOR_DELIVERY' }]);
      expect(r3.errors).toBeUndefined();
      expect(await statusOf(shipmentId)).toBe('out_for_delivery');
    });

    it('a scan without an event id is refused', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      const r = await record(carrierA, shipmentId, [{ occurredAt: at(1), location: 'Hub', description: 'scan' }]);
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('late and out of order', () => {
    it('a scan 26 hours older than out_for_delivery, arriving after it, is kept and moves nothing', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      await record(carrierA, shipmentId, [scan('e1', 30, 'OUT_FOR_DELIVERY')]);
      const before = await eventsOf(shipmentId);
      const r = await record(carrierA, shipmentId, [scan('e0', 4, 'IN_TRANSIT')]);
      expect(r.data!.recordShipmentEvents.status).toBe('OUT_FOR_DELIVERY');
      expect(await eventsOf(shipmentId)).toBe(before + 1);
      expect(r.data!.recordShipmentEvents.events).toContainEqual({ occurredAt: at(4), location: 'Hub e0', status: 'IN_TRANSIT' });
    });

    it('a newer in_transit after out_for_delivery moves nothing backwards either', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      await record(carrierA, shipmentId, [scan('f1', 1, 'OUT_FOR_DELIVERY')]);
      const r = await record(carrierA, shipmentId, [scan('f2', 2, 'IN_TRANSIT')]);
      expect(r.data!.recordShipmentEvents.status).toBe('OUT_FOR_DELIVERY');
    });

    it('a batch is applied in the order its scans happened, not the order they were sent', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      const r = await record(carrierA, shipmentId, [scan('g3', 3, 'DELIVERED'), scan('g1', 1, 'OUT_FOR_DELIVERY'), scan('g2', 2, 'EXCEPTION')]);
      expect({ status: r.data!.recordShipmentEvents.status, deliveredAt: r.data!.recordShipmentEvents.deliveredAt }).toEqual({ status: 'DELIVERED', deliveredAt: at(3) });
    });

    it('after an exception the parcel resumes where it was, not before', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      await record(carrierA, shipmentId, [scan('h1', 1, 'OUT_FOR_DELIVERY'), scan('h2', 2, 'EXCEPTION')]);
      expect((await record(carrierA, shipmentId, [scan('h3', 3, 'IN_TRANSIT')])).data!.recordShipmentEvents.status).toBe('EXCEPTION');
      expect((await record(carrierA, shipmentId, [scan('h4', 4, 'OUT_FOR_DELIVERY')])).data!.recordShipmentEvents.status).toBe('OUT_FOR_DELIVERY');
    });

    it('delivered is final except for a return', async () => {
      const { shipmentId } = await soleParcel(carrierA);
      await record(carrierA, shipmentId, [scan('i1', 1, 'DELIVERED')]);
      for (const [id, status] of [['i2', 'OUT_FOR_DELIVERY'], ['i3', 'EXCEPTION'], ['i4', 'IN_TRANSIT']]) {
        const r = await record(carrierA, shipmentId, [scan(id!, 5, status)]);
        expect({ status: r.data!.recordShipmentEvents.status, deliveredAt: r.data!.recordShipmentEvents.deliveredAt }).toEqual({ status: 'DELIVERED', deliveredAt: at(1) });
      }
      const returned = await record(carrierA, shipmentId, [scan('i5', 48, 'RETURNED')]);
      expect({ status: returned.data!.recordShipmentEvents.status, deliveredAt: returned.data!.recordShipmentEvents.deliveredAt }).toEqual({ status: 'RETURNED', deliveredAt: at(1) });
      const after = await record(carrierA, shipmentId, [scan('i6', 60, 'DELIVERED')]);
      expect(after.data!.recordShipmentEvents.status).toBe('RETURNED');
    });
  });

  describe('the order follows its parcels', () => {
    const ORDER_ADDRESS = `query($id: ID!) { order(id: $id) { orderNumber shippingAddress { city } } }`;
    const fulfillmentStaff = as.staff(['fulfillment'], 'fulfillment');

    it('an order whose only parcel is delivered is delivered, and fulfillment staff no longer read its address', async () => {
      const { shipmentId, orderId } = await soleParcel(carrierA);
      expect((await execute(ORDER_ADDRESS, fulfillmentStaff, { id: orderId })).data!.order).not.toBeNull();
      await record(carrierA, shipmentId, [scan('j1', 1, 'OUT_FOR_DELIVERY')]);
      expect(await orderStatusOf(orderId)).toBe('shipped');
      await record(carrierA, shipmentId, [scan('j2', 2, 'DELIVERED')]);
      expect(await orderStatusOf(orderId)).toBe('delivered');
      expect(await execute(ORDER_ADDRESS, fulfillmentStaff, { id: orderId })).toEqual({ data: { order: null } });
    });

    it('a split order is delivered with its last parcel, not its first', async () => {
      const [split] = await db.dataSource.query(
        `SELECT o.id FROM "order" o WHERE o.status = 'shipped' AND (SELECT count(*) FROM shipment s WHERE s.order_id = o.id AND s.status = 'in_transit') = 2
           AND (SELECT count(*) FROM shipment s WHERE s.order_id = o.id) = 2 ORDER BY o.id LIMIT 1`,
      );
      const parcels: Array<{ id: string; logistics_partner_id: string }> = await db.dataSource.query(`SELECT id, logistics_partner_id FROM shipment WHERE order_id = $1 ORDER BY id`, [split.id]);
      await record(parcels[0]!.logistics_partner_id, parcels[0]!.id, [scan('k1', 1, 'DELIVERED')]);
      expect(await orderStatusOf(split.id)).toBe('shipped');
      await record(parcels[1]!.logistics_partner_id, parcels[1]!.id, [scan('k2', 2, 'DELIVERED')]);
      expect(await orderStatusOf(split.id)).toBe('delivered');
    });

    it('two carriers delivering an order\'s last two parcels at the same moment deliver the order', async () => {
      // A split order made for this test: one parcel with each carrier, both in transit.
      const { shipmentId: first, orderId } = await soleParcel(carrierA);
      const [{ id: second }] = await db.dataSource.query(
        `INSERT INTO shipment (order_id, logistics_partner_id, status, progress) VALUES ($1, $2, 'in_transit', 'in_transit') RETURNING id`,
        [orderId, carrierB],
      );
      const [a, b] = await Promise.all([record(carrierA, first, [scan('l1', 1, 'DELIVERED')]), record(carrierB, second, [scan('l2', 1, 'DELIVERED')])]);
      expect([a.errors, b.errors]).toEqual([undefined, undefined]);
      expect(await orderStatusOf(orderId)).toBe('delivered');
    });

    it('a returned parcel leaves its order as it was', async () => {
      const { shipmentId, orderId } = await soleParcel(carrierA);
      await record(carrierA, shipmentId, [scan('m1', 1, 'EXCEPTION'), scan('m2', 50, 'RETURNED')]);
      expect(await orderStatusOf(orderId)).toBe('shipped');
    });
  });
});
