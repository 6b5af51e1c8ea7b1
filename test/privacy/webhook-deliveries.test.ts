/**
 * Webhook deliveries are about a customer: each says that a partner was told, at a time, that one
 * of the customer's shipments or payment verifications changed. The access export carries them
 * (without the partner's own bookkeeping), and erasure deletes them, pending ones too — their
 * records are restricted or anonymized by the same erasure, so nothing of them could be sent —
 * while another customer's stay. Deliveries are written with SQL, so what the export and erasure
 * must do is known independently.
 */
import { randomUUID } from 'node:crypto';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { buildPrivacyExport } from '../../src/privacy/handlers/privacy-export';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { lastEvent, run } from '../audit/audit-harness';
import { createErasureFixture, type ErasureFixture } from '../harness/erasure-fixture';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { as } from '../harness/principals';

describe('webhook deliveries in the access export and erasure', () => {
  let db: TestDatabase;
  let fixture: ErasureFixture;
  /** The fixture customer's deliveries, by id: one per shipment and payment verification. */
  let own: Map<string, { resourceId: string; eventType: string; status: string }>;
  let othersDelivery: string;
  /** The partners told of the fixture customer's shipments and payments. */
  let carrier: string;
  let provider: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    fixture = await createErasureFixture(db.dataSource);
    const endpoint = async (partnerId: string) =>
      (await db.dataSource.query(
        `INSERT INTO webhook_endpoint (partner_id, url, purpose, sealed_secret, created_at) VALUES ($1, 'https://hooks.example/ntk', 'fulfillment', '\\x00', now()) RETURNING id`,
        [partnerId],
      ))[0].id as string;
    const deliver = async (endpointId: string, partnerId: string, eventType: string, resourceId: string, status: string) =>
      (await db.dataSource.query(
        `INSERT INTO webhook_delivery (event_id, endpoint_id, partner_id, event_type, resource_id, occurred_at, tx_id, status, attempts, next_attempt_at, last_response_status, last_error)
         VALUES ($1, $2, $3, $4, $5, now(), txid_current(), $6, 1, now(), 503, 'the endpoint answered 503') RETURNING id`,
        [randomUUID(), endpointId, partnerId, eventType, resourceId, status],
      ))[0].id as string;

    const shipments: Array<{ id: string; partner: string }> = await db.dataSource.query(
      `SELECT s.id, s.logistics_partner_id AS partner FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $1 ORDER BY s.id`,
      [fixture.customerId],
    );
    const payments: Array<{ id: string; partner: string }> = await db.dataSource.query(
      `SELECT p.id, p.provider_id AS partner FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE o.customer_id = $1 ORDER BY p.id`,
      [fixture.customerId],
    );
    expect(shipments.length).toBeGreaterThan(0);
    expect(payments.length).toBeGreaterThan(0);
    [carrier, provider] = [shipments[0].partner, payments[0].partner];
    own = new Map();
    const endpoints = new Map<string, string>();
    const endpointOf = async (partner: string) => endpoints.get(partner) ?? endpoints.set(partner, await endpoint(partner)).get(partner)!;
    // Delivered and pending alike.
    for (const [i, s] of shipments.entries()) {
      const status = i % 2 === 0 ? 'delivered' : 'pending';
      own.set(await deliver(await endpointOf(s.partner), s.partner, 'shipment.changed', s.id, status), { resourceId: s.id, eventType: 'shipment.changed', status });
    }
    for (const p of payments) {
      own.set(await deliver(await endpointOf(p.partner), p.partner, 'payment_verification.changed', p.id, 'pending'), { resourceId: p.id, eventType: 'payment_verification.changed', status: 'pending' });
    }
    const [other] = await db.dataSource.query(
      `SELECT s.id, s.logistics_partner_id AS partner FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $1 LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    );
    othersDelivery = await deliver(await endpointOf(other.partner), other.partner, 'shipment.changed', other.id, 'delivered');
  });
  afterAll(() => db.drop());

  it('the access export carries each of the customer’s deliveries, without the endpoint’s answers or the outbox’s bookkeeping', async () => {
    const document = await buildPrivacyExport(db.dataSource, { customerId: fixture.customerId, requestId: randomUUID() }, new Date());
    const rows = document.sections.webhookDeliveries;
    expect(new Map(rows.map((r) => [r.id, { resourceId: r.resourceId, eventType: r.eventType, status: r.status }]))).toEqual(own);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['attempts', 'deliveredAt', 'eventId', 'eventType', 'id', 'lastAttemptAt', 'occurredAt', 'partnerId', 'resourceId', 'status']);
    }
    expect(rows.map((r) => r.id)).not.toContain(othersDelivery);
  });

  it.each([
    ['its carrier', () => as.logistics(carrier), 'shipment.changed'],
    ['its payment provider', () => as.payment(provider), 'payment_verification.changed'],
  ])('a read of the deliveries by %s names the customer among the audit event’s subjects', async (_label, caller, eventType) => {
    const { gateway } = await createTestGateway(db);
    try {
      const r = await run(gateway, `{ webhookDeliveries(first: 50) { nodes { id resourceId } } }`, caller());
      const ids = (r.data as any).webhookDeliveries.nodes.map((n: { id: string }) => n.id);
      expect(ids).toEqual(expect.arrayContaining([...own].filter(([, d]) => d.eventType === eventType).map(([id]) => id)));
      expect((await lastEvent(db.dataSource)).subjectIds).toContain(fixture.customerId);
    } finally {
      await gateway.stop();
    }
  });

  it('erasure deletes them, pending ones too, but for those of an order under a legal hold, which it keeps restricted; it leaves another customer’s', async () => {
    const held: Array<{ id: string }> = await db.dataSource.query(
      `SELECT d.id FROM webhook_delivery d
        WHERE d.resource_id IN (SELECT s.id FROM shipment s WHERE s.order_id = $1 UNION ALL SELECT p.id FROM payment_verification p WHERE p.order_id = $1) ORDER BY d.id`,
      [fixture.heldOrder],
    );
    // One for the held order's shipment, one for its payment verification.
    expect(held).toHaveLength(2);
    const { outcome } = await db.dataSource.transaction((em) => eraseCustomer(em, fixture.customerId, new Date()));
    expect(outcome.erased).toContainEqual({ table: 'webhook_delivery', action: 'deleted', rows: own.size - held.length });
    expect(outcome.kept).toContainEqual({ table: 'webhook_delivery', rows: held.length, reason: 'legal_hold' });
    const left: Array<{ id: string; restricted: boolean }> = await db.dataSource.query(`SELECT id, restricted_at IS NOT NULL AS restricted FROM webhook_delivery ORDER BY id`);
    expect(left).toEqual([...held.map((h) => ({ id: h.id, restricted: true })), { id: othersDelivery, restricted: false }].sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('what erasure kept under a hold is no delivery for its partners: not listed, never attempted', async () => {
    const { gateway } = await createTestGateway(db);
    try {
      for (const [caller, id] of [[as.logistics(carrier), 'shipment'], [as.payment(provider), 'payment']] as const) {
        const r = await run(gateway, `{ webhookDeliveries(first: 50) { nodes { id resourceId } } }`, caller);
        const listed = (r.data as any).webhookDeliveries.nodes.map((n: { id: string }) => n.id);
        expect({ id, kept: listed.filter((d: string) => own.has(d)) }).toEqual({ id, kept: [] });
      }
      const restricted = `SELECT id, status, attempts FROM webhook_delivery WHERE restricted_at IS NOT NULL ORDER BY id`;
      const before = await db.dataSource.query(restricted);
      await db.dataSource.query(`UPDATE webhook_delivery SET next_attempt_at = now() - interval '1 minute' WHERE restricted_at IS NOT NULL`);
      await gateway.webhooks.runOnce();
      expect(await db.dataSource.query(restricted)).toEqual(before);
    } finally {
      await gateway.stop();
    }
  });
});
