/**
 * No byte of a response leaves before its audit event is durable, on every path of the HTTP
 * transport that answers with an event: a read sent by POST and by GET, a response of errors, a
 * known caller's refusal before GraphQL, a write. The audit writer is held by a session of the
 * test's own that holds the seal lock (audit-log.ts: a batch seals only under it), and a raw
 * socket tells whether anything at all came back while it was held. Once the lock is let go the
 * answer arrives whole; when the event then cannot be written, the masked 500 arrives instead, and
 * nothing of the response. A path that answers without an event (401: no caller is known) is not
 * held, and every path settles the event the transport announced when the request arrived.
 */
import net from 'node:net';
import { Client } from 'pg';
import { AUDIT_SEAL_LOCK, AuditLog } from '../../src/audit/audit-log';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { INTERNAL_ERROR_MESSAGE } from '../../src/platform/error-format';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const READ = `{ shipments(first: 2) { nodes { trackingNumber order { shippingAddress { recipientName } } } } }`;
const SCAN = `mutation($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`;

/** A raw exchange: every byte the gateway sent, and whether any came before `held` was called. */
interface Exchange {
  /** Resolves with what arrived once the socket closed. */
  done: Promise<string>;
  bytesSoFar(): number;
}

function exchange(url: string, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body = ''): Exchange {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const head = [`${method} ${path} HTTP/1.1`, `host: ${hostname}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (method === 'POST') head.push('content-type: application/json', `content-length: ${Buffer.byteLength(body)}`);
  socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  return {
    done: new Promise((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    }),
    bytesSoFar: () => chunks.reduce((n, c) => n + c.length, 0),
  };
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
const bodyOf = (raw: string) => {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return /transfer-encoding: chunked/i.test(raw) ? body.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n/gi, '').replace(/\r\n0\r\n\r\n$/, '') : body;
};

describe('a response waits for its audit event', () => {
  let db: TestDatabase;
  let http: HttpGateway;
  let log: AuditLog;
  let holder: Client;
  let shipmentId: string;

  const token = (options: DevTokenOptions) => mintDevToken(options, http.authConfig);
  const carrier = () => token({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] });

  /** A batch's sealing waits for the lock (asked for, not granted) in this test's database. */
  async function writerWaiting(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const [{ waiting }] = await db.dataSource.query(
        `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      if (waiting > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the audit writer never waited for the seal lock');
  }

  /** Sends a request while the seal lock is held; checks nothing arrives until it is let go; returns what arrived after. */
  async function heldUntilDurable(send: () => Exchange, setUp?: () => Promise<void>): Promise<string> {
    await holder.query(`SELECT pg_advisory_lock(${AUDIT_SEAL_LOCK})`);
    let sent: Exchange;
    try {
      await setUp?.();
      sent = send();
      await writerWaiting();
      // The response is ready well before this (a point read takes milliseconds): it is the event that holds it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sent.bytesSoFar()).toBe(0);
    } finally {
      await holder.query(`SELECT pg_advisory_unlock(${AUDIT_SEAL_LOCK})`);
    }
    const raw = await sent.done;
    expect(log.eventsExpected).toBe(0);
    return raw;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    log = new AuditLog(db.dataSource);
    http = await startHttpGateway(db, { auditLog: log });
    holder = new Client({ connectionString: db.url });
    await holder.connect();
    [{ id: shipmentId }] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [DEMO_IDS.logisticsPartners[0]]);
    // The writer's first batch (locked path) is behind it: the reads below go by its one-statement path.
    expect((await http.post({ query: READ }, { authorization: `Bearer ${await carrier()}` })).status).toBe(200);
  });
  afterAll(async () => {
    await holder.end();
    await http.close();
    await log.close();
    await db.drop();
  });

  it('a read sent by POST', async () => {
    const auth = `Bearer ${await carrier()}`;
    const raw = await heldUntilDurable(() => exchange(http.url, 'POST', '/graphql', { authorization: auth }, JSON.stringify({ query: READ })));
    expect(statusOf(raw)).toBe(200);
    expect(JSON.parse(bodyOf(raw)).data.shipments.nodes).toHaveLength(2);
  });

  it('a read sent by GET', async () => {
    const auth = `Bearer ${await carrier()}`;
    const raw = await heldUntilDurable(() => exchange(http.url, 'GET', `/graphql?query=${encodeURIComponent(READ)}`, { authorization: auth, 'apollo-require-preflight': 'true' }));
    expect(statusOf(raw)).toBe(200);
    expect(JSON.parse(bodyOf(raw)).data.shipments.nodes).toHaveLength(2);
  });

  it('a response of errors', async () => {
    const auth = `Bearer ${await carrier()}`;
    const raw = await heldUntilDurable(() => exchange(http.url, 'POST', '/graphql', { authorization: auth }, JSON.stringify({ query: '{ shipments(first: 2) { nodes { noSuchField } } }' })));
    expect(statusOf(raw)).toBe(400);
    expect(JSON.parse(bodyOf(raw)).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a known caller refused before GraphQL (a legal compliance read without its case)', async () => {
    const auth = `Bearer ${await token({ kind: 'staff', roles: ['compliance_officer'], purposes: ['legal_compliance'] })}`;
    const raw = await heldUntilDurable(() =>
      exchange(http.url, 'POST', '/graphql', { authorization: auth, 'x-purpose': 'legal_compliance' }, JSON.stringify({ query: '{ orders(first: 1) { nodes { orderNumber } } }' })),
    );
    expect(statusOf(raw)).toBe(400);
    expect(JSON.parse(bodyOf(raw)).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('a write, whose event commits with it', async () => {
    const auth = `Bearer ${await carrier()}`;
    const input = { shipmentId, events: [{ eventId: 'held-response-1', occurredAt: new Date().toISOString(), location: 'Hub', description: 'sorted' }] };
    const raw = await heldUntilDurable(() => exchange(http.url, 'POST', '/graphql', { authorization: auth }, JSON.stringify({ query: SCAN, variables: { input } })));
    expect(statusOf(raw)).toBe(200);
    expect(JSON.parse(bodyOf(raw)).data.recordShipmentEvents.id).toBe(shipmentId);
  });

  it('an event that then cannot be written: the masked 500, nothing of the response', async () => {
    const auth = `Bearer ${await carrier()}`;
    const before = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event`);
    try {
      const raw = await heldUntilDurable(
        () => exchange(http.url, 'GET', `/graphql?query=${encodeURIComponent(READ)}`, { authorization: auth, 'apollo-require-preflight': 'true' }),
        () =>
          db.dataSource.query(`
            CREATE FUNCTION test_refuse_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit storage unavailable (test)'; END $$;
            CREATE TRIGGER test_refuse_audit_insert BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_refuse_audit_insert()`),
      );
      expect(statusOf(raw)).toBe(500);
      expect(JSON.parse(bodyOf(raw))).toEqual({ errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      expect(raw).not.toMatch(/shipments|trackingNumber|audit|trigger/i);
    } finally {
      await db.dataSource.query(`DROP TRIGGER test_refuse_audit_insert ON audit_event; DROP FUNCTION test_refuse_audit_insert()`);
    }
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event`)).toEqual(before);
  });

  it('announces the event when the request arrives, before its body is read', async () => {
    const auth = `Bearer ${await carrier()}`;
    const { hostname, port } = new URL(http.url);
    const body = JSON.stringify({ query: READ });
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8'))));
    socket.write(`POST /graphql HTTP/1.1\r\nhost: ${hostname}\r\nconnection: close\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`);
    // Admitted, its body half sent: Apollo has not started it, and it is expected already.
    for (let i = 0; i < 200 && log.eventsExpected === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.eventsExpected).toBe(1);
    socket.write(body.slice(10));
    const raw = await closed;
    expect(statusOf(raw)).toBe(200);
    expect(log.eventsExpected).toBe(0);
  });

  it('answers a bad token without an event at once, and settles what it announced', async () => {
    await holder.query(`SELECT pg_advisory_lock(${AUDIT_SEAL_LOCK})`);
    try {
      const unauthenticated = await exchange(http.url, 'POST', '/graphql', { authorization: 'Bearer not-a-token' }, JSON.stringify({ query: READ })).done;
      expect(statusOf(unauthenticated)).toBe(401);
      expect(log.eventsExpected).toBe(0);
    } finally {
      await holder.query(`SELECT pg_advisory_unlock(${AUDIT_SEAL_LOCK})`);
    }
  });

  it("holds a known caller's body that is not JSON until its refusal is audited, as every refusal of a known caller", async () => {
    const auth = `Bearer ${await carrier()}`;
    const raw = await heldUntilDurable(() => exchange(http.url, 'POST', '/graphql', { authorization: auth }, '{ "query": '));
    expect(statusOf(raw)).toBe(400);
    expect(JSON.parse(bodyOf(raw)).errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});
