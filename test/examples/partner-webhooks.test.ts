/**
 * The partner's webhook receiver (examples/partner-client/src/webhook-receiver.ts), as a partner
 * would run it: requests signed by the Standard Webhooks reference library, as a real server
 * over HTTP, and once end to end behind the gateway's own worker.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createWebhookReceiver, type Notification, type ReceiverOptions } from '../../examples/partner-client/src/webhook-receiver';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { as } from '../harness/principals';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const BODY = JSON.stringify({ type: 'shipment.changed', timestamp: '2026-12-05T10:00:00.000Z', data: { shipment: { id: 'a', status: 'IN_TRANSIT' } } });

/** A request as the gateway sends one: signed with each secret by the reference library, at `at`. */
function signed(secrets: string[], at: Date, body = BODY, id = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
  };
}

async function serve(options: Omit<ReceiverOptions, 'onNotification'> & { onNotification?: ReceiverOptions['onNotification'] }) {
  const received: Notification[] = [];
  const refused: string[] = [];
  const server = http.createServer(
    createWebhookReceiver({ onNotification: (n) => void received.push(n), onRefused: (reason) => refused.push(reason), ...options }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const post = async (headers: Record<string, string>, body = BODY) => (await fetch(url, { method: 'POST', headers, body })).status;
  return { url, received, refused, post, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the example webhook receiver', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  async function receiver(options: Parameters<typeof serve>[0]) {
    const r = await serve(options);
    closers.push(r.close);
    return r;
  }

  it('accepts a notification signed with its secret and hands it over parsed', async () => {
    const s = secret();
    const r = await receiver({ secrets: [s] });
    const headers = signed([s], new Date());
    expect(await r.post(headers)).toBe(204);
    expect(r.received).toEqual([
      { id: headers['webhook-id'], signedAt: new Date(Number(headers['webhook-timestamp']) * 1000), type: 'shipment.changed', timestamp: '2026-12-05T10:00:00.000Z', data: { shipment: { id: 'a', status: 'IN_TRANSIT' } } },
    ]);
  });

  it('refuses a replay outside the 5-minute window, either way, and accepts one inside it', async () => {
    const s = secret();
    const r = await receiver({ secrets: [s] });
    const now = Date.now();
    expect(await r.post(signed([s], new Date(now - 6 * 60_000)))).toBe(401);
    expect(await r.post(signed([s], new Date(now + 6 * 60_000)))).toBe(401);
    expect(await r.post(signed([s], new Date(now - 4 * 60_000)))).toBe(204);
    expect(r.refused).toEqual(['timestamp_out_of_window', 'timestamp_out_of_window']);
    expect(r.received).toHaveLength(1);
  });

  it('refuses a body changed after signing, another secret, and missing headers', async () => {
    const s = secret();
    const r = await receiver({ secrets: [s] });
    expect(await r.post(signed([s], new Date()), BODY.replace('IN_TRANSIT', 'DELIVERED'))).toBe(401);
    expect(await r.post(signed([secret()], new Date()))).toBe(401);
    expect(await r.post({ 'content-type': 'application/json' })).toBe(401);
    expect(r.refused).toEqual(['no_matching_signature', 'no_matching_signature', 'missing_headers']);
    expect(r.received).toEqual([]);
  });

  it('accepts the old or the new secret while a rotation sends both signatures', async () => {
    const [previous, next] = [secret(), secret()];
    const withOld = await receiver({ secrets: [previous] });
    const withNew = await receiver({ secrets: [next] });
    const headers = signed([next, previous], new Date());
    expect([await withOld.post(headers), await withNew.post(headers)]).toEqual([204, 204]);
  });

  it('hands an event id over once, however often it arrives', async () => {
    const s = secret();
    const r = await receiver({ secrets: [s] });
    const id = randomUUID();
    const statuses = [await r.post(signed([s], new Date(), BODY, id)), await r.post(signed([s], new Date(), BODY, id))];
    expect(statuses).toEqual([204, 204]);
    expect(r.received.map((n) => n.id)).toEqual([id]);
  });

  it('answers 500 when the handler fails, so the notification is sent again, and then takes it', async () => {
    const s = secret();
    let failures = 1;
    const handled: string[] = [];
    const r = await receiver({
      secrets: [s],
      onNotification: (n) => {
        if (failures-- > 0) throw new Error('database down');
        handled.push(n.id);
      },
    });
    const id = randomUUID();
    expect(await r.post(signed([s], new Date(), BODY, id))).toBe(500);
    expect(await r.post(signed([s], new Date(), BODY, id))).toBe(204);
    expect(handled).toEqual([id]);
  });

  it("receives the gateway's own notification of a carrier scan, as it is", async () => {
    const db = await createTestDatabase();
    closers.push(() => db.drop());
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    const { gateway, execute } = await createTestGateway(db);
    closers.push(() => gateway.stop());
    const carrier = as.logistics(DEMO_IDS.logisticsPartners[0]);
    const secrets: string[] = [];
    const r = await receiver({ secrets });
    const registered = await execute(`mutation R($url: String!) { registerWebhookEndpoint(input: { url: $url }) { secret } }`, carrier, { url: r.url });
    secrets.push(registered.data!.registerWebhookEndpoint.secret);
    const [shipment] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 AND status = 'in_transit' ORDER BY id LIMIT 1`, [DEMO_IDS.logisticsPartners[0]]);
    await execute(`mutation T($id: ID!) { recordShipmentTracking(input: { shipmentId: $id, trackingNumber: "EXAMPLE-RECEIVER-1" }) { id } }`, carrier, { id: shipment.id });

    expect(await gateway.webhooks.runOnce()).toMatchObject({ delivered: 1 });
    expect(r.refused).toEqual([]);
    expect(r.received).toEqual([expect.objectContaining({ type: 'shipment.changed', data: { shipment: expect.objectContaining({ id: shipment.id, trackingNumber: 'EXAMPLE-RECEIVER-1' }) } })]);
  });
});
