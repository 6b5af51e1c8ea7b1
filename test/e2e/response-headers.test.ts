/**
 * Every answer of the gateway's listener — GraphQL answers and refusals, probes, contracts, the
 * export link's page and download, attachment refusals, the console — carries the headers that
 * keep a browser from doing anything with it but read it: no type sniffing, no framing, no
 * referrer, and (personal data or not) no caching, save the console's own files and the
 * contracts, which say how they may be kept. A download opened in the browser runs nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintDevToken } from '../../src/auth/dev-token';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { callers, run } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const ALLOWED_ORIGIN = 'https://shop.example';

describe('the headers of every answer', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let blobDir: string;
  let officer: Record<string, string>;
  let carrier: Record<string, string>;
  let exportPath: string;
  let consoleAsset: string;
  let contractEtag: string;
  const PERSISTED = '{ shipments(first: 1) { nodes { trackingNumber } } }';
  const PERSISTED_HASH = createHash('sha256').update(PERSISTED).digest('hex');

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'headers-blobs-'));
    gw = await startHttpGateway(
      db,
      { corsOrigins: [ALLOWED_ORIGIN], console: { directory: path.resolve(__dirname, '../../dist/console') } },
      { store: new FileSystemBlobStore(blobDir), limits: { photo: 1000, video: 1000, document: 1000 }, sweepEveryMs: 0 },
    );
    officer = { authorization: `Bearer ${await mintDevToken({ kind: 'staff', roles: ['compliance_officer'], purposes: ['legal_compliance'] }, gw.authConfig)}`, 'x-legal-case': 'CASE-H' };
    carrier = { authorization: `Bearer ${await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, gw.authConfig)}` };
    const [{ id: accessRequest }] = await db.dataSource.query(
      `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at) VALUES ($1, 'access', 'completed', now(), now(), now(), now()) RETURNING id`,
      [DEMO_IDS.demoCustomer],
    );
    const link = await run(gw.gateway, `mutation($id: ID!) { createPrivacyExportLink(input: { requestId: $id }) { url } }`, callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request'), { id: accessRequest });
    exportPath = new URL(link.data!.createPrivacyExportLink.url).pathname;
    contractEtag = (await fetch(`${gw.url}/contracts/logistics_partner.graphql`, { headers: carrier })).headers.get('etag')!;
    // Registered by the carrier's first request with the text, as Apollo's link does.
    const registered = await gw.post({ query: PERSISTED, extensions: { persistedQuery: { version: 1, sha256Hash: PERSISTED_HASH } } }, carrier);
    expect(registered.status).toBe(200);
    const index = await (await fetch(`${gw.url}/console/`)).text();
    consoleAsset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index)![1]!;
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
    fs.rmSync(blobDir, { recursive: true, force: true });
  });

  const json = { 'content-type': 'application/json' };
  const ANSWERS: Array<[string, () => [string, RequestInit], number, string]> = [
    ['a GraphQL answer', () => ['/graphql', { method: 'POST', headers: { ...json, ...officer }, body: '{"query":"{ __typename }"}' }], 200, 'no-store'],
    ['a GraphQL refusal', () => ['/graphql', { method: 'POST', headers: { ...json, ...officer }, body: '{"query":"{ nothing }"}' }], 400, 'no-store'],
    ['a body that is not JSON', () => ['/graphql', { method: 'POST', headers: { ...json, ...officer }, body: '{' }], 400, 'no-store'],
    ['a body too large', () => ['/graphql', { method: 'POST', headers: { ...json, ...officer }, body: 'x'.repeat(110 * 1024) }], 413, 'no-store'],
    ['no token', () => ['/graphql', { method: 'POST', headers: json, body: '{"query":"{ __typename }"}' }], 401, 'no-store'],
    ['an origin not allowed', () => ['/graphql', { method: 'POST', headers: { ...json, ...officer, origin: 'https://evil.example' }, body: '{"query":"{ __typename }"}' }], 403, 'no-store'],
    ['a preflight', () => ['/graphql', { method: 'OPTIONS', headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST' } }], 204, 'no-store'],
    ['a method not served', () => ['/graphql', { method: 'PUT', headers: officer }], 405, 'no-store'],
    ['a path not served', () => ['/nowhere', {}], 404, 'no-store'],
    ['the liveness probe', () => ['/healthz', {}], 200, 'no-store'],
    ['the readiness probe', () => ['/readyz', {}], 200, 'no-store'],
    ['a GET query', () => [`/graphql?query=${encodeURIComponent('{ shipments(first: 1) { nodes { trackingNumber } } }')}`, { headers: { ...carrier, 'apollo-require-preflight': 'true' } }], 200, 'no-store'],
    [
      'a persisted-query GET, registered',
      () => [`/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: PERSISTED_HASH } }))}`, { headers: { ...carrier, 'apollo-require-preflight': 'true' } }],
      200,
      'no-store',
    ],
    ["a carrier's contract", () => ['/contracts/logistics_partner.graphql', { headers: carrier }], 200, 'private, no-cache'],
    ["a carrier's contract, not changed", () => ['/contracts/logistics_partner.graphql', { headers: { ...carrier, 'if-none-match': contractEtag } }], 304, 'private, no-cache'],
    ['a contract not the caller’s', () => ['/contracts/logistics_partner.graphql', { headers: officer }], 404, 'no-store'],
    ["the export link's page", () => [exportPath, {}], 200, 'no-store'],
    ['an export link that is not one', () => ['/privacy-exports/nothing', { method: 'POST' }], 404, 'no-store'],
    ['an export link that is not one, from its page', () => ['/privacy-exports/nothing', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }], 404, 'no-store'],
    ['an attachment link that is not one', () => ['/attachments/nothing', {}], 404, 'no-store'],
    ['an upload refused', () => ['/attachments', { method: 'POST', headers: officer, body: 'x' }], 403, 'no-store'],
    ['the console', () => ['/console/', {}], 200, 'no-cache'],
    ["the console's script", () => [consoleAsset, {}], 200, 'public, max-age=31536000, immutable'],
    ['a console file that is not one', () => ['/console/assets/nothing.js', {}], 404, 'no-store'],
    // Last: it spends the link.
    ['the export download', () => [exportPath, { method: 'POST' }], 200, 'no-store'],
  ];

  it.each(ANSWERS)('%s: no sniffing, no framing, no referrer, cached only as it says', async (_label, request, status, cacheControl) => {
    const [pathname, init] = request();
    const response = await fetch(`${gw.url}${pathname}`, init);
    await response.arrayBuffer();
    expect({
      status: response.status,
      nosniff: response.headers.get('x-content-type-options'),
      framing: /(^|;)\s*frame-ancestors 'none'\s*(;|$)/.test(response.headers.get('content-security-policy') ?? ''),
      frameOptions: response.headers.get('x-frame-options'),
      referrer: response.headers.get('referrer-policy'),
      cache: response.headers.get('cache-control'),
    }).toEqual({ status, nosniff: 'nosniff', framing: true, frameOptions: 'DENY', referrer: 'no-referrer', cache: cacheControl });
  });

  it("a contract, which a private cache may keep, is kept per token (Vary: Authorization), its 304 too", async () => {
    const full = await fetch(`${gw.url}/contracts/logistics_partner.graphql`, { headers: carrier });
    const notModified = await fetch(`${gw.url}/contracts/logistics_partner.graphql`, { headers: { ...carrier, 'if-none-match': contractEtag } });
    await Promise.all([full.arrayBuffer(), notModified.arrayBuffer()]);
    expect([full.status, full.headers.get('vary'), notModified.status, notModified.headers.get('vary')]).toEqual([200, 'authorization', 304, 'authorization']);
  });

  it('an answer that is data, not a page, runs nothing and loads nothing if a browser opens it', async () => {
    const [{ id: accessRequest }] = await db.dataSource.query(
      `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at) VALUES ($1, 'access', 'completed', now(), now(), now(), now()) RETURNING id`,
      [DEMO_IDS.demoCustomer],
    );
    const link = await run(gw.gateway, `mutation($id: ID!) { createPrivacyExportLink(input: { requestId: $id }) { url } }`, callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request'), { id: accessRequest });
    const download = await fetch(`${gw.url}${new URL(link.data!.createPrivacyExportLink.url).pathname}`, { method: 'POST' });
    const graphql = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { ...json, ...officer }, body: '{"query":"{ __typename }"}' });
    for (const response of [download, graphql]) {
      await response.arrayBuffer();
      const policy = (response.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim());
      expect({ status: response.status, policy }).toEqual({ status: 200, policy: expect.arrayContaining(["default-src 'none'", 'sandbox']) });
    }
  });
});
