/**
 * Refusals and uploads are charged to the caller's budgets (hardening/rate-limit.ts): every way a
 * /graphql request of a known caller can be refused costs one refusal, and once they are spent
 * every request of the caller is refused with 429 RATE_LIMITED and Retry-After, audited; a bad
 * token costs one to the client address, whose bad tokens are then answered 429; every
 * upload costs one upload and what it stored its bytes. Budgets are set small here, so that the
 * counts can be reasoned out request by request.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintDevToken } from '../../src/auth/dev-token';
import { uploaderOf } from '../../src/domains/after-sales/attachment.service';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { PDF } from '../harness/attachment-fixtures';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const BUDGETS = { fieldsPerMinute: 1000, missesPerMinute: 100 };
const VALID = { query: '{ policyVersions { version } }' };

describe('refusals and uploads charged to budgets', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
  });
  afterAll(() => db.drop());

  const codesOf = (json: any): string[] => (json?.errors ?? []).map((e: any) => e.extensions?.code);
  const auditOf = (requestId: string | null) =>
    db.dataSource.query(`SELECT principal_kind, operation_type, outcome, error_codes FROM audit_event WHERE request_id = $1`, [requestId]);
  /** A staff member of its own, so that no other test's requests count. */
  const officer = async (gw: HttpGateway, subject: string) => ({
    authorization: `Bearer ${await mintDevToken({ kind: 'staff', subject, roles: ['compliance_officer'], purposes: ['legal_compliance'] }, gw.authConfig)}`,
    'x-purpose': 'legal_compliance',
    'x-legal-case': 'CASE-2026-001',
  });
  /** RATE_LIMITED answers counted by the refusal metric for a principal kind (`none`: no caller established). */
  const rateLimitedCount = async (gw: HttpGateway, principalKind: string): Promise<number> => {
    const { text } = await gw.gateway.metrics.scrape();
    const series = `ntk_rate_limit_refusals_total{principal_kind="${principalKind}"} `;
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line === undefined ? 0 : Number(line.slice(series.length));
  };
  /** A 429 as the budgets answer it: the code and retry hint, Retry-After and the RateLimit fields naming the same moment. */
  const expectRateLimited = (r: { status: number; headers: Headers; json: any }, limit: number, window: number) => {
    expect(r.status).toBe(429);
    expect(r.json.errors).toEqual([{ message: expect.stringMatching(/^Rate limit reached: retry in \d+ s$/), extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) } }]);
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBe(r.json.errors[0].extensions.retryAfterSeconds);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(window);
    expect({ limit: r.headers.get('ratelimit-limit'), remaining: r.headers.get('ratelimit-remaining'), reset: r.headers.get('ratelimit-reset'), policy: r.headers.get('ratelimit-policy') }).toEqual({
      limit: String(limit),
      remaining: '0',
      reset: String(retryAfter),
      policy: `${limit};w=${window}`,
    });
  };

  it('each kind of refusal before execution costs one; once they are spent every request is refused, audited, while another caller carries on', async () => {
    const gw = await startHttpGateway(db, { rateLimits: { ...BUDGETS, refusalsPerMinute: 6 } });
    try {
      const headers = await officer(gw, `refusals-${Date.now()}`);
      const { 'x-legal-case': _case, ...withoutCase } = headers;
      const refusals: Array<[string, () => ReturnType<HttpGateway['post']>, number, string]> = [
        ['a body that is not JSON', () => gw.post('{"query": ', headers), 400, 'BAD_REQUEST'],
        ['a body over 100 kB', () => gw.post({ query: `{ policyVersions { version } } #${'x'.repeat(110_000)}` }, headers), 413, 'PAYLOAD_TOO_LARGE'],
        ['a syntax error', () => gw.post({ query: '{ policyVersions { version }' }, headers), 400, 'GRAPHQL_PARSE_FAILED'],
        ['too many aliases', () => gw.post({ query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }` }, headers), 400, 'GRAPHQL_VALIDATION_FAILED'],
        ['a read without its legal case', () => gw.post({ query: '{ customers(first: 1) { nodes { email } } }' }, withoutCase), 400, 'BAD_USER_INPUT'],
      ];
      for (const [label, send, status, code] of refusals) {
        const r = await send();
        expect({ label, status: r.status, codes: [...new Set(codesOf(r.json))] }).toEqual({ label, status, codes: [code] });
      }
      // Five refusals of six: a request that runs is served, and costs no refusal.
      expect((await gw.post(VALID, headers)).status).toBe(200);
      expect((await gw.post(VALID, headers)).status).toBe(200);
      // The sixth spends them.
      const sixth = await gw.post({ query: '{ customers(first: 100) { nodes { orders(first: 100) { nodes { items { sku } } } } } }' }, headers);
      expect({ status: sixth.status, codes: codesOf(sixth.json) }).toEqual({ status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] });

      // Now every request is refused, a valid one too, before anything of it is read.
      const limited = await gw.post(VALID, headers);
      expectRateLimited(limited, 6, 60);
      expect(await auditOf(limited.headers.get('x-request-id'))).toEqual([{ principal_kind: 'staff', operation_type: null, outcome: 'denied', error_codes: ['RATE_LIMITED'] }]);
      // Refused requests are refused alike, and a 429 costs no refusal of its own: the wait only shortens.
      const again = await gw.post('{"query": ', headers);
      expectRateLimited(again, 6, 60);
      expect(Number(again.headers.get('retry-after'))).toBeLessThanOrEqual(Number(limited.headers.get('retry-after')));

      const other = await officer(gw, `refusals-other-${Date.now()}`);
      expect((await gw.post(VALID, other)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('trusted-document refusals cost refusals too', async () => {
    const gw = await startHttpGateway(db, { rateLimits: { ...BUDGETS, refusalsPerMinute: 2 }, trustedDocuments: { mode: 'required', cacheTtlMs: 0 } });
    try {
      const carrier = { authorization: `Bearer ${await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[1], purposes: ['fulfillment'] }, gw.authConfig)}` };
      const text = await gw.post({ query: '{ shipments(first: 1) { nodes { id } } }' }, carrier);
      expect({ status: text.status, codes: codesOf(text.json) }).toEqual({ status: 403, codes: ['TRUSTED_DOCUMENT_REQUIRED'] });
      const unknown = await gw.post({ documentId: `sha256:${'0'.repeat(64)}` }, carrier);
      expect({ status: unknown.status, codes: codesOf(unknown.json) }).toEqual({ status: 404, codes: ['TRUSTED_DOCUMENT_NOT_FOUND'] });
      const limited = await gw.post({ documentId: `sha256:${'1'.repeat(64)}` }, carrier);
      expectRateLimited(limited, 2, 60);
      expect(await auditOf(limited.headers.get('x-request-id'))).toEqual([{ principal_kind: 'logistics_partner', operation_type: null, outcome: 'denied', error_codes: ['RATE_LIMITED'] }]);
    } finally {
      await gw.close();
    }
  });

  describe('bad tokens, by client address', () => {
    const bad = { authorization: 'Bearer not-a-token' };
    const from = (address: string) => ({ 'x-forwarded-for': address });

    it('are limited by the address, while a good token from it is served; X-Forwarded-For is not believed from a proxy not trusted', async () => {
      const gw = await startHttpGateway(db, { rateLimits: { ...BUDGETS, unauthenticatedPerMinute: 3 } });
      try {
        const statuses: number[] = [];
        // The header changes nothing: the peer (127.0.0.1) is no trusted proxy.
        for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) statuses.push((await gw.post(VALID, { ...bad, ...from(address) })).status);
        expect(statuses).toEqual([401, 401, 401]);
        expect(await rateLimitedCount(gw, 'none')).toBe(0);
        expectRateLimited(await gw.post(VALID, { ...bad, ...from('203.0.113.4') }), 3, 60);
        // No caller is established, so nothing is audited; the refusal metric counts it all the same.
        expect(await rateLimitedCount(gw, 'none')).toBe(1);
        // Clients behind one proxy share an address: one client's bad tokens do not lock out the others.
        expect((await gw.post(VALID, { ...(await officer(gw, `good-${Date.now()}`)), ...from('203.0.113.5') })).status).toBe(200);
      } finally {
        await gw.close();
      }
    });

    it('a purpose the token cannot declare is charged to the address too', async () => {
      const gw = await startHttpGateway(db, { rateLimits: { ...BUDGETS, unauthenticatedPerMinute: 2 } });
      try {
        const { 'x-purpose': _purpose, ...officerHeaders } = await officer(gw, `purpose-${Date.now()}`);
        // A real purpose, but not one of the token's: FORBIDDEN, before the caller is established.
        const undeclarable = { ...officerHeaders, 'x-purpose': 'fulfillment' };
        const first = await gw.post(VALID, undeclarable);
        expect({ status: first.status, codes: codesOf(first.json) }).toEqual({ status: 403, codes: ['FORBIDDEN'] });
        expect((await gw.post(VALID, { ...bad })).status).toBe(401);
        expectRateLimited(await gw.post(VALID, undeclarable), 2, 60);
        expect((await gw.post(VALID, officerHeaders)).status).toBe(200);
      } finally {
        await gw.close();
      }
    });

    it('behind a trusted proxy, by the address it forwarded', async () => {
      const gw = await startHttpGateway(db, { rateLimits: { ...BUDGETS, unauthenticatedPerMinute: 2 }, trustedProxies: ['loopback'] });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i += 1) statuses.push((await gw.post(VALID, { ...bad, ...from('198.51.100.7') })).status);
        expect(statuses).toEqual([401, 401, 429]);
        // Another client behind the same proxy is not affected, with a bad token or a good one.
        expect((await gw.post(VALID, { ...bad, ...from('198.51.100.8') })).status).toBe(401);
        expect((await gw.post(VALID, { ...(await officer(gw, `good-${Date.now()}`)), ...from('198.51.100.8') })).status).toBe(200);
      } finally {
        await gw.close();
      }
    });
  });

  it('is shared between replicas through Redis: a replica refuses once its own charge finds the budget spent', async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const rateLimits = { ...BUDGETS, refusalsPerMinute: 3, redisUrl };
    const a = await startHttpGateway(db, { rateLimits });
    const b = await startHttpGateway(db, { rateLimits });
    try {
      // A principal of its own, so that earlier runs against the same Redis do not count.
      const headers = await officer(a, `replica-refusals-${Date.now()}-${Math.random()}`);
      const syntax = { query: '{ policyVersions' };
      const statuses: number[] = [];
      // a: 1, b: 2, a: 3 (spent, which a now knows); b has not charged since it was spent.
      for (const gw of [a, b, a]) statuses.push((await gw.post(syntax, headers)).status);
      statuses.push((await a.post(VALID, headers)).status);
      expect(statuses).toEqual([400, 400, 400, 429]);
      // b learns it at its next refusal's charge (the shared count is over), then refuses all.
      expect((await b.post(syntax, headers)).status).toBe(400);
      expect((await b.post(VALID, headers)).status).toBe(429);
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe('uploads', () => {
    let blobDir: string;
    let stagingDir: string;
    beforeAll(() => {
      blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
      stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'staging-'));
    });
    afterAll(() => {
      fs.rmSync(blobDir, { recursive: true, force: true });
      fs.rmSync(stagingDir, { recursive: true, force: true });
    });

    const start = (rateLimits: Record<string, number>) =>
      startHttpGateway(db, { rateLimits: { ...BUDGETS, ...rateLimits } }, { store: new FileSystemBlobStore(blobDir), limits: { photo: 300_000, video: 1_000_000, document: 4_000 }, stagingDir, sweepEveryMs: 0 });
    const customerCase = async (): Promise<{ caseId: string; customerId: string }> => {
      const [row] = await db.dataSource.query(`SELECT id AS "caseId", customer_id AS "customerId" FROM after_sales_case WHERE status <> 'closed' ORDER BY id LIMIT 1`);
      return row;
    };
    const upload = async (gw: HttpGateway, token: string, caseId: string, body: Buffer, kind = 'document') => {
      const response = await fetch(`${gw.url}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-case-id': caseId, 'x-attachment-kind': kind, 'content-type': 'application/octet-stream' },
        body,
      } as RequestInit);
      return { status: response.status, headers: response.headers, json: (await response.json()) as any };
    };
    const customerToken = (gw: HttpGateway, customerId: string) => mintDevToken({ kind: 'customer', customerId, purposes: ['after_sales'] }, gw.authConfig);
    const uploadsOf = (customerId: string) =>
      db.dataSource.query(`SELECT count(*)::int AS n FROM attachment_upload WHERE uploader = $1`, [uploaderOf({ kind: 'customer', subject: customerId, customerId })]).then((rows) => rows[0].n as number);

    afterEach(() => db.dataSource.query(`DELETE FROM attachment_upload`));

    it('every upload counts, refused ones too; the budget is told on each answer and a spent one is 429 with Retry-After, audited, nothing stored', async () => {
      const gw = await start({ uploadsPerHour: 3 });
      try {
        const { caseId, customerId } = await customerCase();
        const token = await customerToken(gw, customerId);
        const first = await upload(gw, token, caseId, PDF);
        expect(first.status).toBe(201);
        expect({ limit: first.headers.get('ratelimit-limit'), remaining: first.headers.get('ratelimit-remaining'), policy: first.headers.get('ratelimit-policy') }).toEqual({ limit: '3', remaining: '2', policy: '3;w=3600' });
        // A refused upload (the bytes are not a document) counts too.
        const refused = await upload(gw, token, caseId, Buffer.from('plain text, not a PDF'));
        expect({ status: refused.status, remaining: refused.headers.get('ratelimit-remaining') }).toEqual({ status: 415, remaining: '1' });
        expect((await upload(gw, token, caseId, PDF)).status).toBe(201);
        expect(await rateLimitedCount(gw, 'customer')).toBe(0);
        const limited = await upload(gw, token, caseId, PDF);
        expectRateLimited(limited, 3, 3600);
        expect(await rateLimitedCount(gw, 'customer')).toBe(1);
        const [event] = await db.dataSource.query(
          `SELECT principal_kind, outcome, error_codes FROM audit_event WHERE operation_name = 'uploadCaseAttachment' AND request_id = $1`,
          [limited.headers.get('x-request-id')],
        );
        expect(event).toEqual({ principal_kind: 'customer', outcome: 'error', error_codes: ['RATE_LIMITED'] });
        expect(await uploadsOf(customerId)).toBe(2);
      } finally {
        await gw.close();
      }
    });

    it('what is stored costs its bytes: an upload that no longer fits is refused before it is read', async () => {
      // Two uploads of 0.8 MiB fit in 2 MiB; a third does not fit in the 0.4 MiB left.
      const mib = 1024 * 1024;
      const gw = await startHttpGateway(
        db,
        { rateLimits: { ...BUDGETS, uploadsPerHour: 100, uploadBytesPerHour: 2 * mib } },
        { store: new FileSystemBlobStore(blobDir), limits: { photo: 300_000, video: 1_000_000, document: 2 * mib }, stagingDir, sweepEveryMs: 0 },
      );
      try {
        const { caseId, customerId } = await customerCase();
        const token = await customerToken(gw, customerId);
        // A PDF padded after its trailer: its magic number makes it a document, its size is known.
        const big = Buffer.concat([PDF, Buffer.alloc(Math.round(0.8 * mib) - PDF.length, 0x20)]);
        expect((await upload(gw, token, caseId, big)).status).toBe(201);
        expect((await upload(gw, token, caseId, big)).status).toBe(201);
        const limited = await upload(gw, token, caseId, big);
        expectRateLimited(limited, 2 * mib, 3600);
        // A small one still fits in what is left.
        expect((await upload(gw, token, caseId, PDF)).status).toBe(201);
        expect(await uploadsOf(customerId)).toBe(3);
      } finally {
        await gw.close();
      }
    });
  });
});
