/**
 * Change notifications end to end, against a real HTTP receiver on the loopback interface: the
 * outbox row written by the change's own transaction, the partner's read of the record through
 * the gateway (its contract, its row scope, an audit event before the POST leaves), the
 * Standard Webhooks signature, retries, the dead state and redelivery, rotation, and the scope
 * of deliveries between partners.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { EVENT_SETS, EVENT_SETS_JOIN } from '../../src/audit/audit-record';
import { Webhook } from 'standardwebhooks';
import { verifyNotification, type Notification } from '../../examples/partner-client/src/webhook-receiver';
import { isPublicAddress } from '../../src/domains/webhooks/webhook-transport';
import { backoffMs, WebhookWorker } from '../../src/domains/webhooks/webhook-worker';
import { SigningSecretBox } from '../../src/domains/webhooks/webhook-signing';
import { buildContracts } from '../../src/policy/contracts';
import { buildGatewaySchema } from '../../src/schema';
import { createLogger } from '../../src/platform/logger';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import type { Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Caller } from '../../src/policy/principal';
import { ConfigError, DEV_WEBHOOK_SECRET_KEY, loadConfig } from '../../src/platform/config';

const [CARRIER_A, CARRIER_B] = DEMO_IDS.logisticsPartners;
const [PROVIDER_A] = DEMO_IDS.paymentProviders;
const MINUTE = 60_000;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether the audit event of this attempt was in the log when the request arrived. */
  auditedBeforeArrival: boolean;
}

/** A receiver that records every request and answers the next status of its script (204 once the script is used up). */
async function startReceiver(db: TestDatabase) {
  const requests: Received[] = [];
  const script: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const delivery = (await db.dataSource.query(`SELECT id, attempts FROM webhook_delivery WHERE event_id = $1 AND endpoint_id IN (SELECT id FROM webhook_endpoint WHERE url = $2)`, [
          req.headers['webhook-id'],
          `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        ])) as Array<{ id: string; attempts: number }>;
        const audited = delivery.length === 1 && (await db.dataSource.query(`SELECT 1 FROM audit_event WHERE request_id = $1`, [`webhook:${delivery[0].id}:${delivery[0].attempts}`])).length === 1;
        requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), auditedBeforeArrival: audited });
        res.statusCode = script.shift() ?? 204;
        res.end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    script,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('webhooks: signed change notifications', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  let receivers: Array<Awaited<ReturnType<typeof startReceiver>>> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db, {
      webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', worker: { now: clock, random: () => 0, backoffBaseMs: 60_000, maxAttempts: 3 } },
    }));
  });
  afterEach(async () => {
    offsetMs = 0;
    await Promise.all(receivers.map((r) => r.close()));
    receivers = [];
    // Each test starts without endpoints.
    await db.dataSource.query(`DELETE FROM webhook_endpoint`);
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  async function receiver() {
    const r = await startReceiver(db);
    receivers.push(r);
    return r;
  }

  async function register(caller: Caller, url: string): Promise<{ id: string; secret: string }> {
    const r = await execute(`mutation R($url: String!) { registerWebhookEndpoint(input: { url: $url }) { secret endpoint { id url purpose } } }`, caller, { url });
    expect(r.errors).toBeUndefined();
    return { id: r.data!.registerWebhookEndpoint.endpoint.id, secret: r.data!.registerWebhookEndpoint.secret };
  }

  async function openShipmentOf(carrier: string): Promise<{ id: string; order_id: string; customer_id: string }> {
    const [row] = await db.dataSource.query(
      `SELECT s.id, s.order_id, o.customer_id FROM shipment s JOIN "order" o ON o.id = s.order_id
        WHERE s.logistics_partner_id = $1 AND s.status IN ('label_created', 'in_transit') AND s.restricted_at IS NULL ORDER BY s.id LIMIT 1`,
      [carrier],
    );
    return row;
  }

  let scanNumber = 0;
  async function scan(carrier: string, shipmentId: string): Promise<string> {
    const description = `Arrived at hub ${++scanNumber}`;
    const r = await execute(
      `mutation S($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`,
      as.logistics(carrier),
      { input: { shipmentId, events: [{ eventId: `webhook-test-${scanNumber}`, occurredAt: new Date().toISOString(), location: 'Hub', description }] } },
    );
    expect(r.errors).toBeUndefined();
    return description;
  }

  const deliveriesOf = (endpointId: string) =>
    db.dataSource.query(`SELECT id, event_id, event_type, resource_id, status, attempts, last_response_status, last_error FROM webhook_delivery WHERE endpoint_id = $1 ORDER BY occurred_at`, [endpointId]);

  it('registers an endpoint for the partner itself, answering its secret once', async () => {
    const r = await execute(`mutation { registerWebhookEndpoint(input: { url: "https://carrier.example/hooks" }) { secret endpoint { url purpose disabledAt } } }`, as.logistics(CARRIER_A));
    expect(r.errors).toBeUndefined();
    expect(r.data!.registerWebhookEndpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(r.data!.registerWebhookEndpoint.endpoint).toEqual({ url: 'https://carrier.example/hooks', purpose: 'fulfillment', disabledAt: null });
    const listed = await execute(`{ webhookEndpoints { url } }`, as.logistics(CARRIER_A));
    expect(listed.data).toEqual({ webhookEndpoints: [{ url: 'https://carrier.example/hooks' }] });
    // The secret is sealed at rest, never stored as it was answered.
    const [stored] = await db.dataSource.query(`SELECT sealed_secret FROM webhook_endpoint`);
    expect((stored.sealed_secret as Buffer).toString('latin1')).not.toContain(r.data!.registerWebhookEndpoint.secret.slice(6, 20));
  });

  it('refuses an endpoint that is not https (http only to the loopback interface, outside production)', async () => {
    const r = await execute(`mutation { registerWebhookEndpoint(input: { url: "http://carrier.example/hooks" }) { secret } }`, as.logistics(CARRIER_A));
    expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'input.url: expected an https URL, got http']]);
    expect(await db.dataSource.query(`SELECT id FROM webhook_endpoint`)).toEqual([]);
  });

  it("delivers a scan of the carrier's shipment, signed, with the contract's fields of the shipment, audited before it leaves", async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    const shipment = await openShipmentOf(CARRIER_A);
    const description = await scan(CARRIER_A, shipment.id);

    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    expect(rx.requests).toHaveLength(1);
    const [request] = rx.requests;
    const n: Notification<any> = verifyNotification([endpoint.secret], request.headers, request.body);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(n.id).toBe(delivery.event_id);
    expect(n.type).toBe('shipment.changed');
    expect(Object.keys(n.data)).toEqual(['shipment']);
    expect(Object.keys(n.data.shipment).sort()).toEqual(['createdAt', 'deliveredAt', 'events', 'id', 'status', 'trackingNumber']);
    expect(n.data.shipment.id).toBe(shipment.id);
    expect(Object.keys(n.data.shipment.events[0]).sort()).toEqual(['description', 'id', 'location', 'occurredAt', 'status']);
    expect(n.data.shipment.events.map((e: { description: string }) => e.description)).toContain(description);
    // The official Standard Webhooks library accepts it as well.
    expect(() => new Webhook(endpoint.secret).verify(request.body, request.headers as Record<string, string>)).not.toThrow();

    expect(request.auditedBeforeArrival).toBe(true);
    const [event] = await db.dataSource.query(
      `SELECT e.principal_kind, e.partner_id, e.purpose, e.operation_name, e.detail, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.request_id = $1`,
      [`webhook:${delivery.id}:1`],
    );
    expect(event).toMatchObject({ principal_kind: 'logistics_partner', partner_id: CARRIER_A, purpose: 'fulfillment', operation_name: 'ShipmentNotification' });
    expect(event.disclosed).toEqual(expect.arrayContaining(['ShipmentEvent.description', 'ShipmentEvent.location']));
    expect(event.subject_ids).toEqual([shipment.customer_id]);
    expect(event.detail).toMatchObject({ webhookDelivery: delivery.id, webhookEvent: delivery.event_id, attempt: 1 });
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1, last_response_status: 204 })]);
    const { text } = await gateway.metrics.scrape();
    expect(text).toMatch(/^ntk_job_runs_total\{job="webhook_outbox",result="ok"\} [1-9]/m);
    expect(text).toMatch(/^ntk_job_items_total\{job="webhook_outbox"\} [1-9]/m);
  });

  it('sends nothing when the audit log cannot record the read (fail closed), and delivers once it can', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    await db.dataSource.query(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused (test)'; END $$`);
    await db.dataSource.query(`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`);
    // A gateway of its own: the audit writer that meets the refusal is not the one the other tests share.
    const { gateway: refused } = await createTestGateway(db, { webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', worker: { now: clock } } });
    try {
      expect(await refused.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 1, dead: 0, cancelled: 0 });
    } finally {
      await db.dataSource.query(`DROP TRIGGER test_refuse_audit ON audit_event; DROP FUNCTION test_refuse_audit()`);
      await refused.stop();
    }
    expect(rx.requests).toEqual([]);
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status: 'pending', last_error: 'the notification could not be read: INTERNAL_SERVER_ERROR' })]);
    offsetMs = 31_000;
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    expect(rx.requests[0].auditedBeforeArrival).toBe(true);
  });

  it('delivers on its own once started, as serve starts it', async () => {
    const rx = await receiver();
    await register(as.logistics(CARRIER_A), rx.url);
    const arrived = new Promise<void>((resolve) => {
      const check = setInterval(() => rx.requests.length > 0 && (clearInterval(check), resolve()), 20);
    });
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    gateway.webhooks.start();
    try {
      await arrived;
    } finally {
      await gateway.webhooks.stop();
    }
    expect(rx.requests).toHaveLength(1);
  });

  it('retries after a 500 with the same event id, and is delivered', async () => {
    const rx = await receiver();
    rx.script.push(500);
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);

    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 1, dead: 0, cancelled: 0 });
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status: 'pending', attempts: 1, last_response_status: 500, last_error: 'the endpoint answered HTTP 500' })]);
    // Not due before its back-off (half of 60 s at the least jitter).
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 0, dead: 0, cancelled: 0 });
    offsetMs = 31_000;
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    expect(rx.requests.map((r) => r.headers['webhook-id'])).toEqual([rx.requests[0].headers['webhook-id'], rx.requests[0].headers['webhook-id']]);
    // Each attempt is a disclosure of its own, in the audit log before it arrived.
    expect(rx.requests.map((r) => r.auditedBeforeArrival)).toEqual([true, true]);
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2, last_response_status: 204 })]);
  });

  it('gives up after the last attempt (dead), shows it to the partner, and delivers on redeliverWebhook', async () => {
    const rx = await receiver();
    rx.script.push(503, 500, 502);
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const runs = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      runs.push(await gateway.webhooks.runOnce());
      offsetMs += 10 * MINUTE;
    }
    expect(runs).toEqual([
      { delivered: 0, retrying: 1, dead: 0, cancelled: 0 },
      { delivered: 0, retrying: 1, dead: 0, cancelled: 0 },
      { delivered: 0, retrying: 0, dead: 1, cancelled: 0 },
    ]);
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 0, dead: 0, cancelled: 0 });

    const dead = await execute(`{ webhookDeliveries(filter: { statuses: [DEAD] }) { nodes { id eventType status attempts lastResponseStatus lastError endpoint { id } } } }`, as.logistics(CARRIER_A));
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(dead.data!.webhookDeliveries.nodes).toEqual([
      { id: delivery.id, eventType: 'SHIPMENT_CHANGED', status: 'DEAD', attempts: 3, lastResponseStatus: 502, lastError: 'the endpoint answered HTTP 502', endpoint: { id: endpoint.id } },
    ]);
    const again = await execute(`mutation R($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { status attempts } }`, as.logistics(CARRIER_A), { id: delivery.id });
    expect(again.data).toEqual({ redeliverWebhook: { status: 'PENDING', attempts: 0 } });
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    expect(new Set(rx.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.event_id]));
    expect(rx.requests).toHaveLength(4);
  });

  /** A worker whose read of each notification is followed, before anything is sent, by `change`. */
  async function workerChangingAfterRead(change: () => Promise<void>): Promise<WebhookWorker> {
    return new WebhookWorker({
      dataSource: db.dataSource,
      contracts: buildContracts(await buildGatewaySchema()),
      secrets: new SigningSecretBox('a-webhook-test-key-of-32-characters-or-more'),
      logger: createLogger('silent'),
      allowLocalEndpoints: true,
      now: clock,
      async disclose(caller, document, variables) {
        const response = await gateway.execute(document, caller, variables);
        await change();
        return response.body.kind === 'single' ? response.body.singleResult : {};
      },
    });
  }

  it.each([
    ['the endpoint is disabled', 'cancelled', 'the endpoint was disabled'],
    ['the partner is suspended', 'pending', 'the partner is not active'],
  ])('sends nothing when, between the read and the send, %s', async (_label, status, lastError) => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const worker = await workerChangingAfterRead(async () => {
      if (lastError === 'the endpoint was disabled') {
        await execute(`mutation D($id: ID!) { disableWebhookEndpoint(input: { endpointId: $id }) { id } }`, as.logistics(CARRIER_A), { id: endpoint.id });
      } else {
        await db.dataSource.query(`UPDATE partner SET status = 'suspended' WHERE id = $1`, [CARRIER_A]);
      }
    });
    try {
      await worker.runOnce();
    } finally {
      await worker.stop();
      await db.dataSource.query(`UPDATE partner SET status = 'active' WHERE id = $1`, [CARRIER_A]);
    }
    expect(rx.requests).toEqual([]);
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status, last_error: lastError })]);
  });

  it.each([
    ['', false],
    [', its order under a legal hold (the delivery is kept, restricted)', true],
  ])('sends nothing when the customer is erased between the read and the send%s', async (_label, held) => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    const shipment = await openShipmentOf(CARRIER_A);
    if (held) {
      await db.dataSource.query(
        `INSERT INTO legal_hold (scope, order_id, reason, case_reference, placed_by, placed_at) VALUES ('order', $1, 'webhook test', 'WH-HOLD-2', 'officer-1', now())`,
        [shipment.order_id],
      );
    }
    await scan(CARRIER_A, shipment.id);
    const worker = await workerChangingAfterRead(() => db.dataSource.transaction(async (em) => void (await eraseCustomer(em, shipment.customer_id, new Date()))));
    try {
      await worker.runOnce();
    } finally {
      await worker.stop();
      await db.dataSource.query(`DELETE FROM legal_hold WHERE case_reference = 'WH-HOLD-2'`);
    }
    expect(rx.requests).toEqual([]);
    const left = await db.dataSource.query(`SELECT status, restricted_at IS NOT NULL AS restricted FROM webhook_delivery WHERE endpoint_id = $1`, [endpoint.id]);
    expect(left).toEqual(held ? [{ status: 'cancelled', restricted: true }] : []);
  });

  it("never sends carrier A's notifications to carrier B, and B cannot tell A's deliveries from missing ones", async () => {
    const [rxA, rxB] = [await receiver(), await receiver()];
    const endpointA = await register(as.logistics(CARRIER_A), rxA.url);
    await register(as.logistics(CARRIER_B), rxB.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    expect([rxA.requests.length, rxB.requests.length]).toEqual([1, 0]);

    const [deliveryA] = await deliveriesOf(endpointA.id);
    const asB = as.logistics(CARRIER_B);
    expect((await execute(`{ webhookDeliveries { nodes { id } } }`, asB)).data).toEqual({ webhookDeliveries: { nodes: [] } });
    expect((await execute(`{ webhookEndpoints { url } }`, asB)).data).toEqual({ webhookEndpoints: [{ url: rxB.url }] });
    expect((await execute(`query D($id: ID!) { webhookDelivery(id: $id) { id } }`, asB, { id: deliveryA.id })).data).toEqual({ webhookDelivery: null });
    const redeliver = `mutation R($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { id } }`;
    const foreign = await execute(redeliver, asB, { id: deliveryA.id });
    const missing = await execute(redeliver, asB, { id: '6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e' });
    expect(foreign.errors?.map((e) => [e.extensions?.code, e.message])).toEqual(missing.errors?.map((e) => [e.extensions?.code, e.message]));
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const rotate = `mutation R($id: ID!) { rotateWebhookSecret(input: { endpointId: $id }) { secret } }`;
    expect((await execute(rotate, asB, { id: endpointA.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('tells the new carrier of a parcel handed over, and cancels what the old one may no longer read', async () => {
    const [rxA, rxB] = [await receiver(), await receiver()];
    const endpointA = await register(as.logistics(CARRIER_A), rxA.url);
    const endpointB = await register(as.logistics(CARRIER_B), rxB.url);
    const shipment = await openShipmentOf(CARRIER_A);
    await scan(CARRIER_A, shipment.id);
    // The store's own systems hand the parcel to carrier B, outside the gateway.
    await db.dataSource.query(`UPDATE shipment SET logistics_partner_id = $2 WHERE id = $1`, [shipment.id, CARRIER_B]);

    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 1 });
    expect(rxA.requests).toEqual([]);
    expect(await deliveriesOf(endpointA.id)).toEqual([expect.objectContaining({ status: 'cancelled', last_error: "the record is no longer within the partner's reach" })]);
    expect(await deliveriesOf(endpointB.id)).toEqual([expect.objectContaining({ status: 'delivered', event_type: 'shipment.assigned', resource_id: shipment.id })]);
    expect(JSON.parse(rxB.requests[0].body)).toMatchObject({ type: 'shipment.assigned', data: { shipment: { id: shipment.id } } });
  });

  it('sends nothing about a customer erased after the change was queued: erasure deletes the pending delivery, so nothing is read or audited for it', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    const shipment = await openShipmentOf(CARRIER_A);
    await scan(CARRIER_A, shipment.id);
    const [queued] = await deliveriesOf(endpoint.id);
    expect(queued).toEqual(expect.objectContaining({ status: 'pending', resource_id: shipment.id }));
    // The customer is erased before the worker runs: their open order, its shipment with it, is kept and restricted.
    await db.dataSource.transaction((em) => eraseCustomer(em, shipment.customer_id, new Date()));
    expect(await db.dataSource.query(`SELECT restricted_at IS NOT NULL AS restricted FROM shipment WHERE id = $1`, [shipment.id])).toEqual([{ restricted: true }]);

    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 0, dead: 0, cancelled: 0 });
    expect(rx.requests).toEqual([]);
    expect(await deliveriesOf(endpoint.id)).toEqual([]);
    expect(await db.dataSource.query(`SELECT request_id FROM audit_event WHERE request_id LIKE $1`, [`webhook:${queued.id}:%`])).toEqual([]);
  });

  it("tells no partner of a change to a record an erasure kept and restricted: the carrier it is still assigned to cannot tell it from a parcel handed over", async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    const shipment = await openShipmentOf(CARRIER_A);
    await db.dataSource.transaction((em) => eraseCustomer(em, shipment.customer_id, new Date()));
    expect(await db.dataSource.query(`SELECT logistics_partner_id, restricted_at IS NOT NULL AS restricted FROM shipment WHERE id = $1`, [shipment.id])).toEqual([
      { logistics_partner_id: CARRIER_A, restricted: true },
    ]);
    // The store's own systems go on recording the parcel it kept: a status, a tracking number, a scan.
    await db.dataSource.query(`UPDATE shipment SET status = 'delivered', delivered_at = now(), tracking_number = 'AFTER-ERASURE-1' WHERE id = $1`, [shipment.id]);
    await db.dataSource.query(
      `INSERT INTO shipment_event (shipment_id, carrier_id, carrier_event_id, occurred_at, location, description, restricted_at) VALUES ($1, $2, 'after-erasure-1', now(), 'Hub', 'Delivered', now())`,
      [shipment.id, CARRIER_A],
    );

    expect(await deliveriesOf(endpoint.id)).toEqual([]);
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 0, dead: 0, cancelled: 0 });
    expect((await execute(`{ webhookDeliveries { nodes { resourceId status } } }`, as.logistics(CARRIER_A))).data).toEqual({ webhookDeliveries: { nodes: [] } });
    expect(rx.requests).toEqual([]);
  });

  it('writes the outbox row in the transaction of the change: invisible until it commits, gone when it rolls back', async () => {
    const endpoint = await register(as.logistics(CARRIER_A), 'https://carrier.example/hooks');
    const shipment = await openShipmentOf(CARRIER_A);
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`UPDATE shipment SET status = 'out_for_delivery' WHERE id = $1`, [shipment.id]);
      expect(await runner.query(`SELECT event_type FROM webhook_delivery WHERE endpoint_id = $1`, [endpoint.id])).toEqual([{ event_type: 'shipment.changed' }]);
      expect(await deliveriesOf(endpoint.id)).toEqual([]);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    expect(await deliveriesOf(endpoint.id)).toEqual([]);
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 0, dead: 0, cancelled: 0 });
    // The same change committed: one delivery, however many statements the transaction ran.
    await db.dataSource.transaction(async (em) => {
      await em.query(`UPDATE shipment SET status = 'out_for_delivery' WHERE id = $1`, [shipment.id]);
      await em.query(`UPDATE shipment SET tracking_number = 'WEBHOOK-TEST-1' WHERE id = $1`, [shipment.id]);
    });
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ event_type: 'shipment.changed', resource_id: shipment.id, status: 'pending' })]);
  });

  it('signs with both secrets during a rotation grace period, and with the new one alone after it', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    const rotated = await execute(`mutation R($id: ID!) { rotateWebhookSecret(input: { endpointId: $id, graceHours: 1 }) { secret endpoint { previousSecretExpiresAt } } }`, as.logistics(CARRIER_A), {
      id: endpoint.id,
    });
    const newSecret: string = rotated.data!.rotateWebhookSecret.secret;
    expect(newSecret).not.toBe(endpoint.secret);
    const shipment = await openShipmentOf(CARRIER_A);
    await scan(CARRIER_A, shipment.id);
    await gateway.webhooks.runOnce();
    const during = rx.requests[0];
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyNotification([endpoint.secret], during.headers, during.body).type).toBe('shipment.changed');
    expect(verifyNotification([newSecret], during.headers, during.body).type).toBe('shipment.changed');

    offsetMs = 61 * MINUTE;
    await scan(CARRIER_A, shipment.id);
    await gateway.webhooks.runOnce();
    const after = rx.requests[1];
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    const at = clock();
    expect(() => verifyNotification([endpoint.secret], after.headers, after.body, { now: at })).toThrow('no v1 signature verifies');
    expect(verifyNotification([newSecret], after.headers, after.body, { now: at }).type).toBe('shipment.changed');
  });

  it("notifies a payment provider of its own verification's change", async () => {
    const rx = await receiver();
    const endpoint = await register(as.payment(PROVIDER_A), rx.url);
    const [order] = await db.dataSource.query(`SELECT id, currency FROM "order" WHERE payment_provider_id = $1 AND restricted_at IS NULL ORDER BY id LIMIT 1`, [PROVIDER_A]);
    const r = await execute(
      `mutation P($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id } }`,
      as.payment(PROVIDER_A),
      { input: { orderId: order.id, providerReference: 'webhook-test-1', method: 'WALLET', amount: '12.50', currency: order.currency, status: 'AUTHORIZED' } },
    );
    expect(r.errors).toBeUndefined();
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    const n: Notification<any> = verifyNotification([endpoint.secret], rx.requests[0].headers, rx.requests[0].body);
    expect(n.type).toBe('payment_verification.changed');
    expect(n.data.paymentVerification).toMatchObject({ id: r.data!.recordPaymentResult.id, providerReference: 'webhook-test-1', amount: '12.50', status: 'AUTHORIZED' });
    expect(Object.keys(n.data.paymentVerification)).not.toContain('order');
    // Its read names, in the audit log, the customer whose payment it is, under the provider's purpose.
    const [delivery] = await deliveriesOf(endpoint.id);
    const [{ customer_id: customerId }] = await db.dataSource.query(`SELECT customer_id FROM "order" WHERE id = $1`, [order.id]);
    const [event] = await db.dataSource.query(`SELECT e.principal_kind, e.partner_id, e.purpose, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.request_id = $1`, [
      `webhook:${delivery.id}:1`,
    ]);
    expect(event).toMatchObject({ principal_kind: 'payment_provider', partner_id: PROVIDER_A, purpose: 'payment_settlement', subject_ids: [customerId] });
    expect(event.disclosed).toEqual(expect.arrayContaining(['PaymentVerification.amount', 'PaymentVerification.providerReference']));
  });

  it('resumes after a restart: a delivery leased by a worker that died is attempted again when its lease ends', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    // What a worker leaves when it dies between its claim and the answer: the attempt counted, the lease running.
    await db.dataSource.query(`UPDATE webhook_delivery SET attempts = 1, last_attempt_at = now(), next_attempt_at = now() + interval '2 minutes' WHERE endpoint_id = $1`, [endpoint.id]);
    const { gateway: restarted } = await createTestGateway(db, {
      webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', worker: { now: clock } },
    });
    try {
      expect(await restarted.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 0, dead: 0, cancelled: 0 });
      offsetMs = 2 * MINUTE + 1000;
      expect(await restarted.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    } finally {
      await restarted.stop();
    }
    expect(rx.requests).toHaveLength(1);
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2 })]);
  });

  it('deletes deliveries no longer pending 30 days after their event, and keeps pending ones', async () => {
    const endpoint = await register(as.logistics(CARRIER_A), 'https://carrier.example/hooks');
    const shipment = await openShipmentOf(CARRIER_A);
    await db.dataSource.query(
      `INSERT INTO webhook_delivery (event_id, endpoint_id, partner_id, event_type, resource_id, occurred_at, tx_id, status, next_attempt_at)
       SELECT gen_random_uuid(), $1, $2, 'shipment.changed', $3, now() - make_interval(days => d), n, s::webhook_delivery_status, now() + interval '1 day'
         FROM (VALUES (31, 'delivered', 1), (31, 'dead', 2), (31, 'pending', 3), (27, 'delivered', 4)) AS v(d, s, n)`,
      [endpoint.id, CARRIER_A, shipment.id],
    );
    offsetMs = 24 * 60 * MINUTE; // the purge runs at most hourly, and earlier tests moved the clock up to an hour ahead
    await gateway.webhooks.runOnce();
    const left = await db.dataSource.query(`SELECT status, tx_id FROM webhook_delivery WHERE endpoint_id = $1 ORDER BY tx_id`, [endpoint.id]);
    expect(left).toEqual([
      { status: 'pending', tx_id: '3' },
      { status: 'delivered', tx_id: '4' },
    ]);
  });

  it('keeps finished deliveries past 30 days while a legal hold covers their order or customer, and deletes them once it is released', async () => {
    const carrierEndpoint = await register(as.logistics(CARRIER_A), 'https://carrier.example/hooks');
    const providerEndpoint = await register(as.payment(PROVIDER_A), 'https://provider.example/hooks');
    // Shipments of four different orders of four different customers, and a payment verification of a fifth order.
    const shipments: Array<{ id: string; order_id: string; customer_id: string }> = await db.dataSource.query(
      `SELECT DISTINCT ON (o.customer_id) s.id, s.order_id, o.customer_id FROM shipment s JOIN "order" o ON o.id = s.order_id
        WHERE s.logistics_partner_id = $1 ORDER BY o.customer_id, s.id LIMIT 4`,
      [CARRIER_A],
    );
    const [payment]: Array<{ id: string; order_id: string }> = await db.dataSource.query(
      `SELECT p.id, p.order_id FROM payment_verification p JOIN "order" o ON o.id = p.order_id
        WHERE p.provider_id = $1 AND o.customer_id <> ALL($2::uuid[]) ORDER BY p.id LIMIT 1`,
      [PROVIDER_A, shipments.map((s) => s.customer_id)],
    );
    expect(shipments).toHaveLength(4);
    const [byOrderHold, byCustomerHold, byReleasedHold, unheld] = shipments;
    const hold = (scope: 'order' | 'customer', id: string, released: boolean) =>
      db.dataSource.query(
        `INSERT INTO legal_hold (scope, customer_id, order_id, reason, case_reference, placed_by, placed_at, released_at, released_by)
         VALUES ($1, $2, $3, 'webhook test', 'WH-HOLD-1', 'officer-1', now() - interval '40 days', $4, $5) RETURNING id`,
        [scope, scope === 'customer' ? id : null, scope === 'order' ? id : null, released ? new Date() : null, released ? 'officer-1' : null],
      );
    const holds = [
      ...(await hold('order', byOrderHold.order_id, false)),
      ...(await hold('customer', byCustomerHold.customer_id, false)),
      ...(await hold('order', byReleasedHold.order_id, true)),
      ...(await hold('order', payment.order_id, false)),
    ].map((h: { id: string }) => h.id);
    const old = (endpointId: string, partnerId: string, eventType: string, resourceId: string, status: string, tx: number) =>
      db.dataSource.query(
        `INSERT INTO webhook_delivery (event_id, endpoint_id, partner_id, event_type, resource_id, occurred_at, tx_id, status, next_attempt_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, now() - interval '31 days', $5, $6, now() + interval '1 day')`,
        [endpointId, partnerId, eventType, resourceId, tx, status],
      );
    await old(carrierEndpoint.id, CARRIER_A, 'shipment.changed', byOrderHold.id, 'delivered', 1);
    await old(carrierEndpoint.id, CARRIER_A, 'shipment.changed', byCustomerHold.id, 'dead', 2);
    await old(carrierEndpoint.id, CARRIER_A, 'shipment.changed', byReleasedHold.id, 'delivered', 3);
    await old(carrierEndpoint.id, CARRIER_A, 'shipment.changed', unheld.id, 'cancelled', 4);
    await old(providerEndpoint.id, PROVIDER_A, 'payment_verification.changed', payment.id, 'delivered', 5);

    // A worker of its own, whose hourly purge has not run yet.
    const { gateway: purging } = await createTestGateway(db, { webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', worker: { now: clock } } });
    try {
      await purging.webhooks.runOnce();
    } finally {
      await purging.stop();
      await db.dataSource.query(`DELETE FROM legal_hold WHERE id = ANY($1::uuid[])`, [holds]);
    }
    const left = await db.dataSource.query(`SELECT resource_id FROM webhook_delivery WHERE endpoint_id = ANY($1::uuid[]) ORDER BY tx_id`, [[carrierEndpoint.id, providerEndpoint.id]]);
    expect(left).toEqual([{ resource_id: byOrderHold.id }, { resource_id: byCustomerHold.id }, { resource_id: payment.id }]);
  });

  it('delivers what is due from the command line, once, and prints the counts (`webhooks deliver`)', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    // Not spawnSync: the receiver runs in this process and must answer while the command runs.
    const child = spawn(process.execPath, [path.resolve('dist/src/main.js'), 'webhooks', 'deliver'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'test', DATABASE_URL: db.url, WEBHOOK_SECRET_KEY: 'a-webhook-test-key-of-32-characters-or-more' },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ status, stdout }).toEqual({ status: 0, stdout: '{"delivered":1,"retrying":0,"dead":0,"cancelled":0}\n' });
    expect(verifyNotification([endpoint.secret], rx.requests[0].headers, rx.requests[0].body).type).toBe('shipment.changed');
  });

  it('outside development, calls no endpoint that is not at a public address, by name or by number', async () => {
    const rx = await receiver();
    const port = new URL(rx.url).port;
    const byNumber = await register(as.logistics(CARRIER_A), rx.url);
    const byName = await register(as.logistics(CARRIER_A), `http://localhost:${port}/hook`);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const { gateway: strict, execute: strictExecute } = await createTestGateway(db, {
      webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', allowLocalEndpoints: false, worker: { now: clock } },
    });
    try {
      expect(await strict.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 2, dead: 0, cancelled: 0 });
      const refused = `mutation R($url: String!) { registerWebhookEndpoint(input: { url: $url }) { secret } }`;
      const attempts = await Promise.all(
        ['https://10.1.2.3/hook', 'https://[fd00::1]/hook', 'https://169.254.169.254/latest', `http://127.0.0.1:${port}/hook`].map((url) => strictExecute(refused, as.logistics(CARRIER_A), { url })),
      );
      expect(attempts.map((r) => r.errors?.[0].message)).toEqual([
        'input.url: expected a host on the public internet',
        'input.url: expected a host on the public internet',
        'input.url: expected a host on the public internet',
        'input.url: expected an https URL, got http',
      ]);
    } finally {
      await strict.stop();
    }
    expect(rx.requests).toEqual([]);
    expect(await deliveriesOf(byNumber.id)).toEqual([expect.objectContaining({ status: 'pending', last_error: 'the endpoint is not at a public address' })]);
    // A name is not told apart from one that does not resolve (the next test).
    expect(await deliveriesOf(byName.id)).toEqual([expect.objectContaining({ status: 'pending', last_error: 'the endpoint could not be reached' })]);
  });

  it('resolves no name when an endpoint is registered: a host that exists and one that does not are answered alike', async () => {
    // This machine's own name resolves (to an address of its own); the other never does.
    const { gateway: strict, execute: strictExecute } = await createTestGateway(db, {
      webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', allowLocalEndpoints: false },
    });
    try {
      const answers = await Promise.all(
        [`https://${hostname()}/hook`, 'https://no-such-host.invalid/hook'].map((url) =>
          strictExecute(`mutation R($url: String!) { registerWebhookEndpoint(input: { url: $url }) { endpoint { url disabledAt } } }`, as.logistics(CARRIER_A), { url }),
        ),
      );
      expect(answers.map((a) => [a.errors, a.data?.registerWebhookEndpoint.endpoint.disabledAt])).toEqual([
        [undefined, null],
        [undefined, null],
      ]);
    } finally {
      await strict.stop();
    }
  });

  it("tells a partner nothing of the store's own name resolution: a name that resolves to a private address fails as one that does not resolve", async () => {
    const port = new URL((await receiver()).url).port;
    // Registered in development; outside it, the worker is what stands between the name and the store's network.
    const internal = await register(as.logistics(CARRIER_A), `https://localhost:${port}/hook`);
    const nowhere = await register(as.logistics(CARRIER_A), 'https://no-such-host.invalid/hook');
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const { gateway: strict } = await createTestGateway(db, {
      webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', allowLocalEndpoints: false, worker: { now: clock } },
    });
    try {
      expect(await strict.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 2, dead: 0, cancelled: 0 });
    } finally {
      await strict.stop();
    }
    const seen = `query D($id: ID!) { webhookDeliveries(filter: { endpointId: $id }) { nodes { status lastResponseStatus lastError } } }`;
    const [toInternal, toNowhere] = await Promise.all([internal, nowhere].map(async (e) => (await execute(seen, as.logistics(CARRIER_A), { id: e.id })).data));
    expect(toInternal).toEqual(toNowhere);
    expect(toInternal).toEqual({ webhookDeliveries: { nodes: [{ status: 'PENDING', lastResponseStatus: null, lastError: 'the endpoint could not be reached' }] } });
  });

  it('shares the due deliveries between two replicas running at once: each attempted once', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    const shipments: Array<{ id: string }> = await db.dataSource.query(
      `SELECT id FROM shipment WHERE logistics_partner_id = $1 AND restricted_at IS NULL ORDER BY id LIMIT 15`,
      [CARRIER_A],
    );
    await db.dataSource.query(`UPDATE shipment SET tracking_number = 'REPLICA-' || left(id::text, 8) WHERE id = ANY($1::uuid[])`, [shipments.map((s) => s.id)]);
    const { gateway: replica } = await createTestGateway(db, { webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', worker: { now: clock } } });
    try {
      // Each worker takes up to 10 at a time: the rounds run both at once until nothing is due.
      let delivered = 0;
      for (let round = 0; round < 3; round++) {
        const [a, b] = await Promise.all([gateway.webhooks.runOnce(), replica.webhooks.runOnce()]);
        delivered += a.delivered + b.delivered;
      }
      expect(delivered).toBe(15);
    } finally {
      await replica.stop();
    }
    expect(rx.requests).toHaveLength(15);
    expect(new Set(rx.requests.map((r) => r.headers['webhook-id'])).size).toBe(15);
    expect((await deliveriesOf(endpoint.id)).map((d: { attempts: number }) => d.attempts)).toEqual(Array(15).fill(1));
  });

  it("lets no partner's slow endpoint hold up another partner's notifications: a partner has at most half the worker's attempts in flight, and a free place is used at once", async () => {
    // A carrier whose endpoint takes each request and never answers.
    const held = new Set<import('node:net').Socket>();
    const slow = http.createServer((req) => {
      held.add(req.socket);
      req.resume();
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const fast = await receiver();
    await register(as.logistics(CARRIER_A), `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hook`);
    await register(as.payment(PROVIDER_A), fast.url);
    const shipments: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 AND restricted_at IS NULL ORDER BY id LIMIT 12`, [CARRIER_A]);
    await db.dataSource.query(`UPDATE shipment SET tracking_number = 'SLOW-' || left(id::text, 8) WHERE id = ANY($1::uuid[])`, [shipments.map((s) => s.id)]);
    // The provider's change comes last, behind all twelve of the carrier's.
    const [payment] = await db.dataSource.query(`SELECT p.id FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE p.provider_id = $1 AND p.restricted_at IS NULL AND o.restricted_at IS NULL ORDER BY p.id LIMIT 1`, [PROVIDER_A]);
    await db.dataSource.query(`UPDATE payment_verification SET settlement_batch_ref = 'FAIR-1' WHERE id = $1`, [payment.id]);

    // An answer is waited for far longer than this test may last: only a free place can carry the provider's notification.
    const { gateway: worker } = await createTestGateway(db, {
      webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', worker: { now: clock, timeoutMs: 10 * 60_000, pollMs: 20 } },
    });
    try {
      const arrived = new Promise<void>((resolve) => {
        const check = setInterval(() => fast.requests.length > 0 && (clearInterval(check), resolve()), 20);
      });
      worker.webhooks.start();
      await arrived;
      expect(JSON.parse(fast.requests[0].body)).toMatchObject({ type: 'payment_verification.changed', data: { paymentVerification: { id: payment.id } } });
      // Half the worker's ten places went to the carrier's endpoint, and while they are taken, no more.
      await new Promise<void>((resolve) => {
        const check = setInterval(() => held.size === 5 && (clearInterval(check), resolve()), 20);
      });
      const attempted = await db.dataSource.query(
        `SELECT count(*) FILTER (WHERE attempts > 0)::int AS attempted, count(*)::int AS queued FROM webhook_delivery WHERE partner_id = $1 AND status = 'pending'`,
        [CARRIER_A],
      );
      expect(attempted).toEqual([{ attempted: 5, queued: 12 }]);
      expect(held.size).toBe(5);
    } finally {
      for (const socket of held) socket.destroy();
      await worker.stop();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it('waits 30 s, 1 min, 2 min … doubling to at most 6 hours after each failure, less a random part of up to half', () => {
    expect([1, 2, 3, 4, 10, 11, 12, 30].map((attempt) => backoffMs(attempt, 1))).toEqual([30_000, 60_000, 120_000, 240_000, 15_360_000, 21_600_000, 21_600_000, 21_600_000]);
    expect([1, 2, 11].map((attempt) => backoffMs(attempt, 0))).toEqual([15_000, 30_000, 10_800_000]);
  });

  it("charges none of the partner's rate-limit budgets for its notifications, found or no longer in reach", async () => {
    const rx = await receiver();
    await register(as.logistics(CARRIER_A), rx.url);
    const shipments: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 AND restricted_at IS NULL ORDER BY id LIMIT 7`, [CARRIER_A]);
    await db.dataSource.query(`UPDATE shipment SET tracking_number = 'BUDGET-' || left(id::text, 8) WHERE id = ANY($1::uuid[])`, [shipments.map((s) => s.id)]);
    await db.dataSource.query(`UPDATE shipment SET logistics_partner_id = $2 WHERE id = ANY($1::uuid[])`, [shipments.slice(5).map((s) => s.id), CARRIER_B]);
    const { gateway: limited } = await createTestGateway(db, {
      rateLimits: { fieldsPerMinute: 3, missesPerMinute: 1 },
      webhooks: { secretKey: 'a-webhook-test-key-of-32-characters-or-more', worker: { now: clock } },
    });
    try {
      // 5 reads found their shipment, 2 found none (handed to B): beyond both budgets, were they charged.
      // Two runs: one partner has at most half the worker's ten places at once.
      const runs = [await limited.webhooks.runOnce(), await limited.webhooks.runOnce()];
      expect({ delivered: runs[0].delivered + runs[1].delivered, cancelled: runs[0].cancelled + runs[1].cancelled, runs: runs.map((r) => r.delivered + r.cancelled) }).toEqual({
        delivered: 5,
        cancelled: 2,
        runs: [5, 2],
      });
      const own = await limited.execute(`query Q($a: ID!, $b: ID!) { a: shipment(id: $a) { id } b: shipment(id: $b) { id } }`, as.logistics(CARRIER_A), {
        a: shipments[0].id,
        b: shipments[6].id,
      });
      expect(own.body.kind === 'single' && own.body.singleResult).toEqual({ data: { a: { id: shipments[0].id }, b: null } });
      expect(own.http.headers.get('ratelimit-remaining')).toBe('1');
      // A delivery looked up by id is a by-id look-up like any other: refused once the partner's own misses (b) are spent.
      const probe = `query P($id: ID!) { webhookDelivery(id: $id) { id } }`;
      const second = await limited.execute(probe, as.logistics(CARRIER_A), { id: '6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e' });
      expect(second.body.kind === 'single' && second.body.singleResult.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
    } finally {
      await limited.stop();
    }
  });

  it('reads nothing for a delivery whose secret does not open under the current key (it was changed), until the partner rotates it', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const { gateway: rekeyed } = await createTestGateway(db, { webhooks: { secretKey: 'another-webhook-key-of-32-characters-or-more', worker: { now: clock } } });
    try {
      expect(await rekeyed.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 1, dead: 0, cancelled: 0 });
    } finally {
      await rekeyed.stop();
    }
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'pending', last_error: 'the signing secret cannot be read: rotate it' });
    expect(await db.dataSource.query(`SELECT id FROM audit_event WHERE request_id LIKE $1`, [`webhook:${delivery.id}:%`])).toEqual([]);
    expect(rx.requests).toEqual([]);

    // The partner rotates under the new key (with a grace period, as usual): the new secret alone signs.
    const { gateway: rotatedKey, execute: executeRotated } = await createTestGateway(db, { webhooks: { secretKey: 'another-webhook-key-of-32-characters-or-more', worker: { now: clock } } });
    try {
      const rotated = await executeRotated(`mutation R($id: ID!) { rotateWebhookSecret(input: { endpointId: $id, graceHours: 24 }) { secret } }`, as.logistics(CARRIER_A), { id: endpoint.id });
      offsetMs = 10 * MINUTE;
      expect(await rotatedKey.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
      const [request] = rx.requests;
      expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(verifyNotification([rotated.data!.rotateWebhookSecret.secret], request.headers, request.body, { now: clock() }).type).toBe('shipment.changed');
    } finally {
      await rotatedKey.stop();
    }
  });

  it('signs with a secret sealed under a key listed in WEBHOOK_SECRET_KEY_PREVIOUS, and `secrets reseal` moves it to the new key so the old one can go', async () => {
    const OLD = 'a-webhook-test-key-of-32-characters-or-more';
    const NEW = 'the-new-webhook-key-of-32-characters-or-more';
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    const sealedUnderOld = (await db.dataSource.query(`SELECT sealed_secret FROM webhook_endpoint WHERE id = $1`, [endpoint.id]))[0].sealed_secret;
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const { gateway: rotated } = await createTestGateway(db, { webhooks: { secretKey: NEW, previousSecretKeys: [OLD], worker: { now: clock } } });
    try {
      expect(await rotated.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    } finally {
      await rotated.stop();
    }
    expect(verifyNotification([endpoint.secret], rx.requests[0].headers, rx.requests[0].body, { now: clock() }).type).toBe('shipment.changed');

    const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'test', DATABASE_URL: db.url, WEBHOOK_SECRET_KEY: NEW, WEBHOOK_SECRET_KEY_PREVIOUS: OLD };
    const child = spawn(process.execPath, [path.resolve('dist/src/main.js'), 'secrets', 'reseal'], { env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(0);
    expect(stdout.split('\n').filter((line) => line.startsWith('webhook_endpoint'))).toEqual(['webhook_endpoint.sealed_secret: 1 re-sealed, 0 under the current secret already, 0 under no configured secret']);
    expect((await db.dataSource.query(`SELECT sealed_secret FROM webhook_endpoint WHERE id = $1`, [endpoint.id]))[0].sealed_secret).not.toEqual(sealedUnderOld);

    // The new key alone now signs with the partner's secret, unchanged.
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const { gateway: newKeyOnly } = await createTestGateway(db, { webhooks: { secretKey: NEW, worker: { now: clock } } });
    try {
      expect(await newKeyOnly.webhooks.runOnce()).toEqual({ delivered: 1, retrying: 0, dead: 0, cancelled: 0 });
    } finally {
      await newKeyOnly.stop();
    }
    expect(verifyNotification([endpoint.secret], rx.requests[1].headers, rx.requests[1].body, { now: clock() }).type).toBe('shipment.changed');
  });

  it('needs its own WEBHOOK_SECRET_KEY in production, 32 characters or more', () => {
    const production = { NODE_ENV: 'production', BEHAVIOR_PSEUDONYM_KEY: 'b'.repeat(40), CURSOR_SECRET: 'c'.repeat(40), PRIVACY_SECRET: 'p'.repeat(40), SMTP_URL: 'smtp://mail.example:587' };
    expect(() => loadConfig(production)).toThrow(new ConfigError('WEBHOOK_SECRET_KEY: required in production (32 or more random characters)'));
    expect(() => loadConfig({ ...production, WEBHOOK_SECRET_KEY: 'short' })).toThrow(new ConfigError('WEBHOOK_SECRET_KEY: expected 32 or more characters'));
    expect(loadConfig({ ...production, WEBHOOK_SECRET_KEY: 'w'.repeat(40) }).webhooks).toEqual({ secretKey: 'w'.repeat(40), previousSecretKeys: [], maxAttempts: 12 });
    expect(loadConfig({ NODE_ENV: 'development' }).webhooks.secretKey).toBe(DEV_WEBHOOK_SECRET_KEY);
  });

  it.each([
    ['93.184.215.14', true],
    ['2606:4700::6810:85e5', true],
    ['127.0.0.1', false],
    ['10.20.30.40', false],
    ['172.31.255.255', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd12:3456::1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:93.184.215.14', true],
    // IPv6 addresses that carry an IPv4 one to a translator or tunnel, a private one here.
    ['::ffff:0:7f00:1', false],
    ['::7f00:1', false],
    ['64:ff9b::a00:1', false],
    ['64:ff9b:1::a00:1', false],
    ['2002:a00:1::1', false],
    ['2001:0:a00:1::1', false],
    ['192.88.99.1', false],
    // Site-local (deprecated, still routed in some networks) and documentation.
    ['fec0::1', false],
    ['3fff::1', false],
    ['2a00:1450:4001:80e::200e', true],
    ['not-an-address', false],
  ])('takes %s for a public address: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('sends nothing more to a disabled endpoint: its pending deliveries are cancelled', async () => {
    const rx = await receiver();
    const endpoint = await register(as.logistics(CARRIER_A), rx.url);
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    const r = await execute(`mutation D($id: ID!) { disableWebhookEndpoint(input: { endpointId: $id }) { disabledAt } }`, as.logistics(CARRIER_A), { id: endpoint.id });
    expect(r.data!.disableWebhookEndpoint.disabledAt).toEqual(expect.any(String));
    await scan(CARRIER_A, (await openShipmentOf(CARRIER_A)).id);
    expect(await gateway.webhooks.runOnce()).toEqual({ delivered: 0, retrying: 0, dead: 0, cancelled: 0 });
    expect(rx.requests).toEqual([]);
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ status: 'cancelled', last_error: 'the endpoint was disabled' })]);
  });
});
