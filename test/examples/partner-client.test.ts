/**
 * examples/partner-client, run as a carrier runs it, against a gateway over HTTP that requires
 * trusted documents for partners: its documents registered with the command line (the compiled
 * dist/, which `npm test` builds first), its typed documents what GraphQL Code Generator makes
 * of the carrier contract, the morning manifest over every page, and scans sent again after a
 * lost answer stored once. What the carrier should see is read from the database with SQL of
 * this test's own.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as typedDocumentNodePlugin from '@graphql-codegen/typed-document-node';
import * as operationsPlugin from '@graphql-codegen/typescript-operations';
import { parse } from 'graphql';
import { ClientError, GraphQLClient } from 'graphql-request';
import { createCarrierClient, fetchMorningManifest, recordScans } from '../../examples/partner-client/src';
import { mintDevToken } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const EXAMPLE = path.resolve(__dirname, '../../examples/partner-client');
const GENERATED = path.join(EXAMPLE, 'src/generated/graphql.ts');
const DOCUMENTS = fs.readdirSync(path.join(EXAMPLE, 'documents')).filter((f) => f.endsWith('.graphql')).sort().map((f) => path.join('documents', f));
const CARRIER = DEMO_IDS.logisticsPartners[0]!;

/** What `graphql-codegen --config codegen.json` generates, with GraphQL Code Generator's core and the plugins the config names. */
async function generate(): Promise<string> {
  const config = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'codegen.json'), 'utf8'));
  const [output, target] = Object.entries(config.generates)[0] as [string, { plugins: string[]; config: Record<string, unknown> }];
  const pluginMap: Record<string, unknown> = { 'typescript-operations': operationsPlugin, 'typed-document-node': typedDocumentNodePlugin };
  expect(output).toBe('src/generated/graphql.ts');
  return codegen({
    filename: output,
    schema: parse(fs.readFileSync(path.resolve(EXAMPLE, config.schema), 'utf8')),
    documents: DOCUMENTS.map((file) => ({ location: file, document: parse(fs.readFileSync(path.join(EXAMPLE, file), 'utf8')) })),
    plugins: target.plugins.map((name) => ({ [name]: {} })),
    pluginMap: pluginMap as never,
    config: target.config,
  });
}

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [path.resolve('dist/src/main.js'), ...args], {
    cwd: EXAMPLE,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('examples/partner-client', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let token: string;
  let registration: ReturnType<typeof cli>;
  const manifest = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-manifest-')), 'trusted-documents.json');

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    // Look-ups not remembered, so the revocation at the end shows on the next request (5 s otherwise).
    gw = await startHttpGateway(db, { trustedDocuments: { mode: 'required', cacheTtlMs: 0 } });
    token = await mintDevToken({ kind: 'logistics_partner', partnerId: CARRIER, purposes: ['fulfillment'] }, gw.authConfig);
    // As the store registers a carrier's documents (README, Partners): the command line, from the example's folder.
    registration = cli(['trusted-documents', 'register', '--audience', 'logistics_partner', '--manifest', manifest, ...DOCUMENTS], { DATABASE_URL: db.url });
  }, 120_000);
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  it('has the typed documents GraphQL Code Generator makes of the carrier contract and its documents', async () => {
    const generated = await generate();
    if (process.env.WRITE_EXAMPLE_CODEGEN === '1') fs.writeFileSync(GENERATED, generated);
    expect(fs.readFileSync(GENERATED, 'utf8')).toBe(generated);
    // Typed from the contract: no `any` outside the contract's descriptions, scalars as strings.
    expect(generated.replace(/\/\*\*[\s\S]*?\*\//g, '')).not.toMatch(/\bany\b/);
    expect(generated).toMatch(/createdAt: string/);
  });

  it('registers its documents with the command line, which writes the manifest the client commits', () => {
    const r = registration;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^registered +sha256:[0-9a-f]{64} {2}query MorningManifest {2}\(documents\/morning-manifest\.graphql\)$/m);
    expect(r.stdout).toMatch(/^registered +sha256:[0-9a-f]{64} {2}mutation RecordScans {2}\(documents\/record-scans\.graphql\)$/m);
    expect(fs.readFileSync(manifest, 'utf8')).toBe(fs.readFileSync(path.join(EXAMPLE, 'trusted-documents.json'), 'utf8'));
    // Checked again against the contract as it is now (before a contract change is deployed): all still valid.
    const check = cli(['trusted-documents', 'check', '--audience', 'logistics_partner'], { DATABASE_URL: db.url });
    expect({ status: check.status, stdout: check.stdout }).toEqual({ status: 0, stdout: '2 active documents checked, 0 no longer valid\n' });
    // Registering again changes nothing.
    const again = cli(['trusted-documents', 'register', '--audience', 'logistics_partner', ...DOCUMENTS], { DATABASE_URL: db.url });
    expect(again.status).toBe(0);
    expect(again.stdout.trim().split('\n').map((line) => line.split(/ {2,}/)[0])).toEqual(['already registered', 'already registered']);
  }, 120_000);

  it('pages the morning manifest to the end: exactly the carrier’s shipments waiting to be collected, each with its address and items', async () => {
    const expected: Array<{ id: string; status: string; tracking_number: string | null; order_number: string; recipient_name: string; line1: string; city: string; postal_code: string; country: string; phone: string }> =
      await db.dataSource.query(
        `SELECT s.id, s.status::text, s.tracking_number, o.order_number, o.ship_recipient_name AS recipient_name, o.ship_line1 AS line1,
                o.ship_city AS city, o.ship_postal_code AS postal_code, o.ship_country AS country, o.ship_phone AS phone
           FROM shipment s JOIN "order" o ON o.id = s.order_id
          WHERE s.logistics_partner_id = $1 AND s.status IN ('pending', 'label_created') AND s.restricted_at IS NULL
          ORDER BY s.created_at, s.id`,
        [CARRIER],
      );
    const items: Array<{ shipment_id: string; product_name: string; quantity: number }> = await db.dataSource.query(
      `SELECT s.id AS shipment_id, i.product_name, i.quantity FROM shipment s JOIN order_item i ON i.order_id = s.order_id
        WHERE s.logistics_partner_id = $1 AND s.status IN ('pending', 'label_created') AND s.restricted_at IS NULL`,
      [CARRIER],
    );
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const pageSize = Math.ceil(expected.length / 3);

    const sent: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      sent.push(String(init?.body));
      return fetch(input, init);
    };
    const manifest = await fetchMorningManifest(createCarrierClient({ endpoint: `${gw.url}/graphql`, token, fetch: recording }), pageSize);

    expect(manifest.pages).toBe(Math.ceil(expected.length / pageSize));
    // Sent as trusted documents: an id, never the text.
    for (const body of sent) expect(Object.keys(JSON.parse(body)).sort()).toEqual(['documentId', 'operationName', 'variables']);
    const byId = (a: { shipmentId: string }, b: { shipmentId: string }) => a.shipmentId.localeCompare(b.shipmentId);
    expect(manifest.stops.map((s) => s.shipmentId)).toEqual(expected.map((e) => e.id));
    expect(
      manifest.stops
        .map((s) => ({ ...s, items: s.items.slice().sort((a, b) => a.productName.localeCompare(b.productName) || a.quantity - b.quantity) }))
        .sort(byId),
    ).toEqual(
      expected
        .map((e) => ({
          shipmentId: e.id,
          status: e.status.toUpperCase(),
          trackingNumber: e.tracking_number,
          orderNumber: e.order_number,
          destination: expect.objectContaining({ recipientName: e.recipient_name, line1: e.line1, city: e.city, postalCode: e.postal_code, country: e.country, phone: e.phone }),
          items: items
            .filter((i) => i.shipment_id === e.id)
            .map((i) => ({ productName: i.product_name, quantity: i.quantity }))
            .sort((a, b) => a.productName.localeCompare(b.productName) || a.quantity - b.quantity),
        }))
        .sort(byId),
    );
  });

  it('records scans with their event ids once, when the answer is lost and the batch is sent again, and when a handheld syncs them again', async () => {
    const [shipment] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 AND status = 'pending' ORDER BY id LIMIT 1`, [CARRIER]);
    const scans = [
      { scanId: 'depot-north-0001', scannedAt: new Date(Date.now() - 60_000), location: 'Depot North', description: 'Collected from the warehouse', status: 'IN_TRANSIT' as const },
      { scanId: 'depot-north-0002', scannedAt: new Date(Date.now() - 30_000), location: 'Depot North', description: 'Sorted' },
    ];
    // The first answer is lost on the way back: the request reached the gateway, the client never hears of it.
    const keys: string[] = [];
    const replayed: Array<string | null> = [];
    let dropped = 0;
    const losingFirstAnswer: typeof fetch = async (input, init) => {
      keys.push(new Headers(init?.headers).get('idempotency-key') ?? '');
      const response = await fetch(input, init);
      replayed.push(response.headers.get('idempotent-replayed'));
      if (dropped++ === 0) {
        await response.text();
        throw new TypeError('fetch failed: the connection dropped');
      }
      return response;
    };
    const client = createCarrierClient({ endpoint: `${gw.url}/graphql`, token, fetch: losingFirstAnswer });
    const result = await recordScans(client, shipment.id, scans, { wait: async () => undefined });

    // Sent twice with one key: the second answer is the first one, replayed, not a second write.
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(replayed).toEqual([null, 'true']);
    expect(result.id).toBe(shipment.id);
    expect(result.status).toBe('IN_TRANSIT');
    const stored = () =>
      db.dataSource.query(`SELECT carrier_event_id, location, description FROM shipment_event WHERE shipment_id = $1 AND carrier_id = $2 AND carrier_event_id LIKE 'depot-north-%' ORDER BY carrier_event_id`, [
        shipment.id,
        CARRIER,
      ]);
    const expectedRows = [
      { carrier_event_id: 'depot-north-0001', location: 'Depot North', description: 'Collected from the warehouse' },
      { carrier_event_id: 'depot-north-0002', location: 'Depot North', description: 'Sorted' },
    ];
    expect(await stored()).toEqual(expectedRows);
    const [{ status }] = await db.dataSource.query(`SELECT status::text FROM shipment WHERE id = $1`, [shipment.id]);
    expect(status).toBe('in_transit');

    // The handheld syncs the same scans later, under a new key: the event ids keep them single.
    await recordScans(createCarrierClient({ endpoint: `${gw.url}/graphql`, token }), shipment.id, scans);
    expect(await stored()).toEqual(expectedRows);
  });

  it('lists what the store registered, and once the store revokes an operation with the command line, the client is refused it', async () => {
    const list = cli(['trusted-documents', 'list', '--audience', 'logistics_partner'], { DATABASE_URL: db.url });
    expect(list.status).toBe(0);
    const ids = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'trusted-documents.json'), 'utf8')).operations.map((o: { id: string; name: string }) => [o.name, `sha256:${o.id}`]);
    const scansId = new Map<string, string>(ids).get('RecordScans')!;
    expect(list.stdout.trim().split('\n').map((line) => line.split(/ {2}/).slice(0, 3).concat(line.endsWith('active') ? 'active' : 'revoked'))).toEqual([
      ['logistics_partner', new Map<string, string>(ids).get('MorningManifest')!, 'query MorningManifest', 'active'],
      ['logistics_partner', scansId, 'mutation RecordScans', 'active'],
    ]);

    const revoke = cli(['trusted-documents', 'revoke', '--audience', 'logistics_partner', scansId], { DATABASE_URL: db.url });
    expect({ status: revoke.status, stdout: revoke.stdout }).toEqual({ status: 0, stdout: `revoked  ${scansId}\n` });
    const [shipment] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 AND status = 'pending' ORDER BY id DESC LIMIT 1`, [CARRIER]);
    const scan = { scanId: 'depot-south-0001', scannedAt: new Date(), location: 'Depot South', description: 'Collected' };
    const error = await recordScans(createCarrierClient({ endpoint: `${gw.url}/graphql`, token }), shipment.id, [scan]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect({ status: (error as ClientError).response.status, codes: (error as ClientError).response.errors?.map((e) => e.extensions?.code) }).toEqual({
      status: 404,
      codes: ['TRUSTED_DOCUMENT_NOT_FOUND'],
    });
    const stored = await db.dataSource.query(`SELECT count(*)::int AS n FROM shipment_event WHERE carrier_event_id = 'depot-south-0001'`);
    expect(stored).toEqual([{ n: 0 }]);
    // The manifest, still registered, runs.
    expect((await fetchMorningManifest(createCarrierClient({ endpoint: `${gw.url}/graphql`, token }))).stops.length).toBeGreaterThan(0);
  }, 120_000);

  it('cannot run an operation it did not register: its text is refused with TRUSTED_DOCUMENT_REQUIRED (403)', async () => {
    const raw = new GraphQLClient(`${gw.url}/graphql`, { headers: { authorization: `Bearer ${token}` } });
    const error = await raw.request(`query Mine { shipments(first: 1) { nodes { id } } }`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).response.status).toBe(403);
    expect((error as ClientError).response.errors?.map((e) => e.extensions?.code)).toEqual(['TRUSTED_DOCUMENT_REQUIRED']);
  });
});
