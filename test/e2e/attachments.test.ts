/**
 * After-sales attachments over HTTP, with real tokens: a customer and customer service upload,
 * attach and download; what is refused (a foreign case, a type disguised by its header, a file
 * over the limit, a caller the matrix does not grant) leaves nothing stored; a photo loses its
 * GPS position on the way in; every upload, link and download is in the audit log; erasure
 * removes the blob and the sweep removes blobs no row names.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import { EVENT_SETS, EVENT_SETS_JOIN } from '../../src/audit/audit-record';
import { isObjectType, type GraphQLObjectType } from 'graphql';
import { AuditLog } from '../../src/audit/audit-log';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { MAX_PENDING_UPLOADS } from '../../src/domains/after-sales/attachment-http';
import { deleteBlobs, eraseCustomerAttachments, exportCustomerAttachments, sweepAttachmentBlobs, uploaderOf } from '../../src/domains/after-sales/attachment.service';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { createLogger } from '../../src/platform/logger';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { HTML, PDF, photoWithGps } from '../harness/attachment-fixtures';
import { insertPrivacyRequest } from '../harness/privacy-request-fixture';

const LIMITS = { photo: 300_000, video: 1_000_000, document: 4_000 };
const RANDOM_ID = '6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ATTACH = `mutation($input: AttachCaseUploadInput!) { attachCaseUpload(input: $input) { id kind contentType sizeBytes sha256 } }`;
const ATTACHMENTS = `query($id: ID!) { afterSalesCase(id: $id) { attachments { id sha256 downloadUrl } } }`;

describe('after-sales attachments over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let blobDir: string;
  let stagingDir: string;
  let store: FileSystemBlobStore;
  let ownCase: string;
  let otherCase: { id: string; customerId: string };
  const mint = (options: DevTokenOptions) => mintDevToken(options, gw.authConfig);
  const customer = () => mint({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales'] });
  const customerService = () => mint({ kind: 'staff', subject: 'agent-7', roles: ['customer_service'], purposes: ['after_sales'] });

  const upload = async (token: string | undefined, caseId: string, kind: string, body: Buffer | ReadableStream, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gw.url}/attachments`, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'x-case-id': caseId, 'x-attachment-kind': kind, 'content-type': 'application/octet-stream', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
    return { status: response.status, json: (await response.json()) as any };
  };
  const graphql = async (token: string, query: string, variables: Record<string, unknown>) => (await gw.post({ query, variables }, { authorization: `Bearer ${token}` })).json;
  const download = async (link: string) => {
    const response = await fetch(`${gw.url}${link}`);
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  };
  /** Every blob the store holds, by key. */
  const blobs = async () => {
    const keys: string[] = [];
    for await (const blob of store.list('')) keys.push(blob.key);
    return keys.sort();
  };
  const eventsNamed = (name: string) =>
    db.dataSource.query(`SELECT e.principal_kind, e.outcome, e.error_codes, ${EVENT_SETS}, e.detail FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.operation_name = $1 ORDER BY e.at, e.id`, [name]);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
    stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'staging-'));
    store = new FileSystemBlobStore(blobDir);
    gw = await startHttpGateway(db, { corsOrigins: ['https://shop.example'] }, { store, limits: LIMITS, stagingDir, sweepEveryMs: 0 });
    [{ id: ownCase }] = await db.dataSource.query(`SELECT id FROM after_sales_case WHERE customer_id = $1 AND status <> 'closed' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    [otherCase] = await db.dataSource.query(
      `SELECT id, customer_id AS "customerId" FROM after_sales_case WHERE customer_id <> $1 AND status <> 'closed' ORDER BY id LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    );
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
    fs.rmSync(blobDir, { recursive: true, force: true });
    fs.rmSync(stagingDir, { recursive: true, force: true });
  });

  it('a customer uploads a photo to their case, attaches it and downloads it without its GPS position', async () => {
    const token = await customer();
    const photo = await photoWithGps();
    const uploaded = await upload(token, ownCase, 'photo', photo, { 'content-type': 'image/jpeg' });
    expect(uploaded.status).toBe(201);
    expect(uploaded.json).toMatchObject({ caseId: ownCase, kind: 'photo', contentType: 'image/jpeg' });
    expect(JSON.stringify(uploaded.json)).not.toContain('after-sales/');

    // What is stored is what the answer describes, and it carries no position.
    const key = `after-sales/${ownCase}/${uploaded.json.uploadId}`;
    expect(await blobs()).toContain(key);
    const stored = fs.readFileSync(path.join(blobDir, key));
    expect(uploaded.json.sha256).toBe(sha256(stored));
    expect(uploaded.json.sizeBytes).toBe(String(stored.length));
    expect((await exifr.parse(photo, { gps: true })).latitude).toBeCloseTo(51.5073, 3);
    expect(await exifr.parse(stored, true)).toBeUndefined();

    const attached = await graphql(token, ATTACH, { input: { uploadId: uploaded.json.uploadId } });
    expect(attached).toEqual({
      data: { attachCaseUpload: { id: uploaded.json.uploadId, kind: 'PHOTO', contentType: 'image/jpeg', sizeBytes: String(stored.length), sha256: sha256(stored) } },
    });
    // An upload is attached once.
    expect((await graphql(token, ATTACH, { input: { uploadId: uploaded.json.uploadId } })).errors[0].extensions.code).toBe('NOT_FOUND');

    const listed = await graphql(token, ATTACHMENTS, { id: ownCase });
    const mine = listed.data.afterSalesCase.attachments.find((a: { id: string }) => a.id === uploaded.json.uploadId);
    expect(mine.downloadUrl).toMatch(/^\/attachments\/[A-Za-z0-9_.-]+$/);
    expect(mine.downloadUrl).not.toContain(ownCase);
    const got = await download(mine.downloadUrl);
    expect(got.status).toBe(200);
    expect(got.body.equals(stored)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="${uploaded.json.uploadId}.jpg"`);

    // Every step is in the audit log, with the customer as its subject.
    const about = (events: Array<{ detail: Record<string, unknown> | null }>, key: string) => events.filter((e) => e.detail?.[key] === uploaded.json.uploadId);
    expect(about(await eventsNamed('uploadCaseAttachment'), 'uploadId')).toEqual([
      expect.objectContaining({ principal_kind: 'customer', outcome: 'ok', detail: expect.objectContaining({ kind: 'photo', contentType: 'image/jpeg' }) }),
    ]);
    expect(about(await eventsNamed('downloadCaseAttachment'), 'attachmentId')).toEqual([
      expect.objectContaining({ principal_kind: 'customer', outcome: 'ok', disclosed: ['CaseAttachment.content'] }),
    ]);
    const [issued] = await db.dataSource.query(
      `SELECT (e.subject_set IS NOT NULL OR e.subject_id IS NOT NULL) AS has_subjects FROM audit_event e JOIN audit_coordinate_set c ON c.hash = e.coordinate_set
        WHERE 'CaseAttachment.downloadUrl' = ANY(c.disclosed) AND e.principal_kind = 'customer'`,
    );
    expect(issued).toEqual({ has_subjects: true });
  });

  it('customer service uploads a document to any case under after_sales and downloads it', async () => {
    const token = await customerService();
    const uploaded = await upload(token, otherCase.id, 'document', PDF);
    expect(uploaded.status).toBe(201);
    expect(uploaded.json).toMatchObject({ contentType: 'application/pdf', sha256: sha256(PDF), sizeBytes: String(PDF.length) });
    // The customer of another case cannot attach it, nor can anyone but the uploader.
    const stranger = await customer();
    const foreign = await graphql(stranger, ATTACH, { input: { uploadId: uploaded.json.uploadId } });
    const unknown = await graphql(stranger, ATTACH, { input: { uploadId: RANDOM_ID } });
    expect(foreign).toEqual(unknown);
    expect(foreign.errors[0].extensions.code).toBe('NOT_FOUND');

    expect((await graphql(token, ATTACH, { input: { uploadId: uploaded.json.uploadId } })).data.attachCaseUpload.sha256).toBe(sha256(PDF));
    const listed = await graphql(token, ATTACHMENTS, { id: otherCase.id });
    const link = listed.data.afterSalesCase.attachments.find((a: { id: string }) => a.id === uploaded.json.uploadId).downloadUrl;
    const got = await download(link);
    expect(got.status).toBe(200);
    expect(got.body.equals(PDF)).toBe(true);
    expect(got.headers.get('content-security-policy')).toContain('sandbox');

    // The customer's access export lists it, and carries its content when asked for.
    const listedOnly = await exportCustomerAttachments(db.dataSource, store, otherCase.customerId, { includeContent: false });
    const exported = (await exportCustomerAttachments(db.dataSource, store, otherCase.customerId, { includeContent: true })).find((a) => a.id === uploaded.json.uploadId);
    expect(listedOnly.find((a) => a.id === uploaded.json.uploadId)).toEqual({
      id: uploaded.json.uploadId,
      caseId: otherCase.id,
      kind: 'document',
      contentType: 'application/pdf',
      sizeBytes: String(PDF.length),
      sha256: sha256(PDF),
      uploadedAt: expect.any(String),
    });
    expect(Buffer.from(exported!.contentBase64!, 'base64').equals(PDF)).toBe(true);
    // A blob gone from the store is said to be missing, not left out.
    await store.delete(`after-sales/${otherCase.id}/${uploaded.json.uploadId}`);
    const again = (await exportCustomerAttachments(db.dataSource, store, otherCase.customerId, { includeContent: true })).find((a) => a.id === uploaded.json.uploadId);
    expect(again).toMatchObject({ contentUnavailable: 'missing' });
    expect(again!.contentBase64).toBeUndefined();
  });

  it("refuses an upload to another customer's case exactly as one to a case that does not exist, and stores nothing", async () => {
    const before = await blobs();
    const pendingOfCase = `SELECT count(*)::int AS n FROM attachment_upload WHERE case_id = $1`;
    const pendingBefore = await db.dataSource.query(pendingOfCase, [otherCase.id]);
    const token = await customer();
    const foreign = await upload(token, otherCase.id, 'document', PDF);
    const missing = await upload(token, RANDOM_ID, 'document', PDF);
    expect(foreign).toEqual({ status: 404, json: { errors: [{ message: 'After-sales case not found', extensions: { code: 'NOT_FOUND' } }] } });
    expect(missing).toEqual(foreign);
    expect(await blobs()).toEqual(before);
    expect(await db.dataSource.query(pendingOfCase, [otherCase.id])).toEqual(pendingBefore);
  });

  it('refuses a file whose bytes are not an allowed type, whatever its Content-Type says', async () => {
    const before = await blobs();
    const token = await customer();
    const disguised = await upload(token, ownCase, 'photo', HTML, { 'content-type': 'image/jpeg' });
    expect(disguised.status).toBe(415);
    expect(disguised.json.errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const pdfAsPhoto = await upload(token, ownCase, 'photo', PDF, { 'content-type': 'image/png' });
    expect(pdfAsPhoto.status).toBe(415);
    expect(await blobs()).toEqual(before);
    expect(fs.readdirSync(stagingDir)).toEqual([]);
    expect((await eventsNamed('uploadCaseAttachment')).filter((e: { error_codes: string[] }) => e.error_codes.includes('UNSUPPORTED_MEDIA_TYPE'))).toHaveLength(2);
  });

  it('refuses a file over its kind\'s limit, declared or streamed, and stores nothing', async () => {
    const before = await blobs();
    const token = await customer();
    const big = Buffer.concat([PDF, Buffer.alloc(LIMITS.document, 0x20)]);
    const declared = await upload(token, ownCase, 'document', big);
    expect(declared.status).toBe(413);
    expect(declared.json.errors[0]).toEqual({ message: `a document may be at most ${LIMITS.document} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } });
    // Sent as a stream of unknown length: cut off at the limit.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < big.length; i += 1000) controller.enqueue(big.subarray(i, i + 1000));
        controller.close();
      },
    });
    const streamed = await upload(token, ownCase, 'document', stream);
    expect(streamed.status).toBe(413);
    expect(await blobs()).toEqual(before);
    expect(fs.readdirSync(stagingDir)).toEqual([]);
  });

  it('admits an upload only with its headers, from an allowed origin, for a caller the matrix grants it', async () => {
    const token = await customer();
    const noKind = await fetch(`${gw.url}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-case-id': ownCase }, body: PDF });
    expect(noKind.status).toBe(400);
    expect(((await noKind.json()) as any).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await upload(token, ownCase, 'document', PDF, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await upload(undefined, ownCase, 'document', PDF)).status).toBe(401);
    const fulfillment = await mint({ kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'] });
    const refused = await upload(fulfillment, ownCase, 'document', PDF);
    expect(refused.status).toBe(403);
    expect(refused.json.errors[0].extensions.code).toBe('FORBIDDEN');
    // Under data_subject_request a customer reads; sending proof is after-sales business.
    const rights = await mint({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'] });
    expect((await upload(rights, ownCase, 'document', PDF)).status).toBe(403);
  });

  it('publishes no storage key: no field of the schema carries one', async () => {
    const schema = await buildGatewaySchema();
    const fields = Object.values(schema.getTypeMap())
      .filter((t): t is GraphQLObjectType => isObjectType(t))
      .flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`));
    expect(fields).toContain('CaseAttachment.sha256');
    expect(fields.filter((f) => /storage|key$/i.test(f))).toEqual([]);
  });

  /** Staff requests answered RATE_LIMITED, as the refusal metric counts them. */
  const staffRateLimited = async (): Promise<number> => {
    const series = 'ntk_rate_limit_refusals_total{principal_kind="staff"} ';
    const line = (await gw.gateway.metrics.scrape()).text.split('\n').find((l) => l.startsWith(series));
    return line === undefined ? 0 : Number(line.slice(series.length));
  };

  it('refuses more uploads to a caller with too many waiting to be attached', async () => {
    const token = await mint({ kind: 'staff', subject: 'agent-parking-files', roles: ['customer_service'], purposes: ['after_sales'] });
    await db.dataSource.query(
      `INSERT INTO attachment_upload (id, case_id, uploader, kind, content_type, size_bytes, sha256, storage_key, uploaded_at, expires_at)
       SELECT u.id, $1::uuid, $2, 'document', 'application/pdf', 100, repeat('c', 64), 'after-sales/parked/' || u.id, now(), now() + interval '1 day'
         FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $3::int)) u`,
      [otherCase.id, uploaderOf({ kind: 'staff', subject: 'agent-parking-files', roles: ['customer_service'] }), MAX_PENDING_UPLOADS],
    );
    const limitedBefore = await staffRateLimited();
    const refused = await upload(token, otherCase.id, 'document', PDF);
    expect(refused.status).toBe(429);
    expect(refused.json.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(await staffRateLimited()).toBe(limitedBefore + 1);
    // Expired ones do not count.
    await db.dataSource.query(`UPDATE attachment_upload SET expires_at = now() - interval '1 second' WHERE storage_key LIKE 'after-sales/parked/%'`);
    expect((await upload(token, otherCase.id, 'document', PDF)).status).toBe(201);
    await db.dataSource.query(`DELETE FROM attachment_upload WHERE storage_key LIKE 'after-sales/parked/%'`);
  });

  it('serves a link only as issued and only while its holder may still see the content: a withdrawn grant ends it', async () => {
    const token = await customer();
    const uploaded = await upload(token, ownCase, 'document', PDF);
    await graphql(token, ATTACH, { input: { uploadId: uploaded.json.uploadId } });
    // The customer lets a third party see their case conversations, proof included.
    const rights = await mint({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'] });
    const expiresAt = new Date(Date.now() + 7 * 86400_000).toISOString();
    const granted = await graphql(rights, `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`, {
      input: { granteeId: DEMO_IDS.thirdParty, categories: ['communication.content', 'communication.record'], expiresAt },
    });
    const grantId: string = granted.data.grantConsent.id;
    const thirdParty = await mint({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId, purposes: ['authorized_sharing'] });
    const listed = await graphql(thirdParty, ATTACHMENTS, { id: ownCase });
    const link: string = listed.data.afterSalesCase.attachments.find((a: { id: string }) => a.id === uploaded.json.uploadId).downloadUrl;
    expect((await download(link)).body.equals(PDF)).toBe(true);

    const altered = await download(`${link.slice(0, -3)}${link.endsWith('AAA') ? 'BBB' : 'AAA'}`);
    expect(altered.status).toBe(404);
    expect(JSON.parse(altered.body.toString()).errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await download('/attachments/not-a-token')).body.equals(altered.body)).toBe(true);

    await graphql(rights, `mutation($input: WithdrawConsentInput!) { withdrawConsent(input: $input) { id } }`, { input: { grantId } });
    const afterWithdrawal = await download(link);
    expect(afterWithdrawal.status).toBe(404);
    expect(afterWithdrawal.body.equals(altered.body)).toBe(true);
  });

  it('ends a link issued to serve a privacy request once that request is closed: it answers as an expired link, audited as a refusal', async () => {
    const token = await customer();
    const uploaded = await upload(token, ownCase, 'document', PDF);
    await graphql(token, ATTACH, { input: { uploadId: uploaded.json.uploadId } });
    const officer = await mint({ kind: 'staff', subject: 'officer-dsr-links', roles: ['compliance_officer'], purposes: ['data_subject_request'] });
    const linkServing = async (requestId: string) => {
      const listed = (await gw.post({ query: ATTACHMENTS, variables: { id: ownCase } }, { authorization: `Bearer ${officer}`, 'x-purpose': 'data_subject_request', 'x-privacy-request': requestId })).json;
      return listed.data.afterSalesCase.attachments.find((a: { id: string }) => a.id === uploaded.json.uploadId).downloadUrl as string;
    };
    const lastDownload = async () => {
      const [event] = await db.dataSource.query(
        `SELECT e.outcome, e.error_codes, e.privacy_request_reference, e.flagged, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.operation_name = 'downloadCaseAttachment' ORDER BY e.at DESC, e.id DESC LIMIT 1`,
      );
      return { outcome: event.outcome, error_codes: event.error_codes, privacy_request_reference: event.privacy_request_reference, flagged: event.flagged, disclosed: event.disclosed, subjects: event.subject_ids };
    };
    const expiredAnswer = (await download('/attachments/not-a-token')).body.toString();

    const served = await insertPrivacyRequest(db.dataSource, DEMO_IDS.demoCustomer, 'access', 'in_progress');
    const link = await linkServing(served);
    const open = await download(link);
    expect([open.status, open.body.equals(PDF)]).toEqual([200, true]);
    expect(await lastDownload()).toEqual({ outcome: 'ok', error_codes: [], privacy_request_reference: served, flagged: true, disclosed: ['CaseAttachment.content'], subjects: [DEMO_IDS.demoCustomer] });

    for (const closed of ['completed', 'rejected']) {
      await db.dataSource.query(`UPDATE privacy_request SET status = $2::privacy_request_status WHERE id = $1`, [served, closed]);
      const refused = await download(link);
      expect([refused.status, refused.body.toString()]).toEqual([404, expiredAnswer]);
      expect(await lastDownload()).toEqual({ outcome: 'error', error_codes: ['NOT_FOUND'], privacy_request_reference: served, flagged: true, disclosed: [], subjects: [] });
    }

    // A link issued under a request already closed is dead from the start.
    const closedAlready = await insertPrivacyRequest(db.dataSource, DEMO_IDS.demoCustomer, 'access', 'completed');
    const late = await download(await linkServing(closedAlready));
    expect([late.status, late.body.toString()]).toEqual([404, expiredAnswer]);
  });

  it('issues no link to a caller whose row does not see case content', async () => {
    const fulfillment = await mint({ kind: 'staff', roles: ['customer_service'], purposes: ['fulfillment'] });
    const denied = await graphql(fulfillment, ATTACHMENTS, { id: ownCase });
    expect(denied.data.afterSalesCase).toBeNull();
    expect(denied.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('FORBIDDEN');
  });

  it('erasure deletes the rows and then the blobs; a link issued before answers NOT_FOUND', async () => {
    const token = await customer();
    const uploaded = await upload(token, ownCase, 'document', PDF);
    await graphql(token, ATTACH, { input: { uploadId: uploaded.json.uploadId } });
    const pending = await upload(token, ownCase, 'document', PDF);
    const listed = await graphql(token, ATTACHMENTS, { id: ownCase });
    const link = listed.data.afterSalesCase.attachments.find((a: { id: string }) => a.id === uploaded.json.uploadId).downloadUrl;
    const { keys } = await db.dataSource.transaction((em) => eraseCustomerAttachments(em, DEMO_IDS.demoCustomer));
    expect(keys).toEqual(expect.arrayContaining([`after-sales/${ownCase}/${uploaded.json.uploadId}`, `after-sales/${ownCase}/${pending.json.uploadId}`]));
    expect(await deleteBlobs(store, keys, createLogger('silent'))).toBe(keys.length);
    expect((await blobs()).filter((k) => k.startsWith(`after-sales/${ownCase}/`))).toEqual([]);
    expect((await download(link)).status).toBe(404);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM case_attachment a JOIN after_sales_case c ON c.id = a.case_id WHERE c.customer_id = $1`, [DEMO_IDS.demoCustomer])).toEqual([{ n: 0 }]);
  });

  it('the sweep removes expired uploads and old blobs no row names, and keeps the rest', async () => {
    const token = await customerService();
    const kept = await upload(token, otherCase.id, 'document', PDF);
    const expired = await upload(token, otherCase.id, 'document', PDF);
    await db.dataSource.query(`UPDATE attachment_upload SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.json.uploadId]);
    const scratch = path.join(stagingDir, 'orphan');
    fs.writeFileSync(scratch, PDF);
    await store.put(`after-sales/${otherCase.id}/${RANDOM_ID}`, scratch, PDF.length);
    await store.put(`after-sales/${otherCase.id}/00000000-0000-4000-8000-000000000001`, scratch, PDF.length);
    fs.rmSync(scratch);
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    fs.utimesSync(path.join(blobDir, 'after-sales', otherCase.id, RANDOM_ID), old, old);
    const rowBacked = (await blobs()).filter((k) => !k.includes(RANDOM_ID) && !k.includes('00000000-0000-4000') && !k.includes(expired.json.uploadId));

    const auditLog = new AuditLog(db.dataSource);
    const report = await sweepAttachmentBlobs(db.dataSource, store, { logger: createLogger('silent'), auditLog });
    await auditLog.close();
    expect(report).toEqual({ swept: true, expiredUploads: 1, orphanBlobs: 1, recentOrphans: 1, blobsSeen: rowBacked.length + 2 });
    expect(await db.dataSource.query(`SELECT principal_kind, operation_type, detail FROM audit_event WHERE operation_name = 'attachmentSweep'`)).toEqual([
      { principal_kind: 'system', operation_type: 'job', detail: { expiredUploads: 1, orphanBlobs: 1, recentOrphans: 1, blobsSeen: rowBacked.length + 2 } },
    ]);
    const after = await blobs();
    expect(after).toContain(`after-sales/${otherCase.id}/${kept.json.uploadId}`);
    expect(after).toContain(`after-sales/${otherCase.id}/00000000-0000-4000-8000-000000000001`);
    expect(after).not.toContain(`after-sales/${otherCase.id}/${RANDOM_ID}`);
    expect(after).not.toContain(`after-sales/${otherCase.id}/${expired.json.uploadId}`);
    expect(after).toEqual([...rowBacked, `after-sales/${otherCase.id}/00000000-0000-4000-8000-000000000001`].sort());
  });

  it("an attachment an erasure kept is restricted: customer service's link answers as one that does not exist, audited; the legal case still downloads it", async () => {
    const agent = await customerService();
    // A third customer's open case: the cases the other tests use stay as they are.
    const [thirdCase] = await db.dataSource.query(
      `SELECT id, customer_id AS "customerId" FROM after_sales_case WHERE customer_id NOT IN ($1, $2) AND status <> 'closed' ORDER BY id LIMIT 1`,
      [DEMO_IDS.demoCustomer, otherCase.customerId],
    );
    const uploaded = await upload(agent, thirdCase.id, 'document', PDF);
    expect(uploaded.status).toBe(201);
    await graphql(agent, ATTACH, { input: { uploadId: uploaded.json.uploadId } });
    const linkOf = (listed: any) => listed.data.afterSalesCase.attachments.find((a: { id: string }) => a.id === uploaded.json.uploadId).downloadUrl as string;
    const agentLink = linkOf(await graphql(agent, ATTACHMENTS, { id: thirdCase.id }));
    expect((await download(agentLink)).status).toBe(200);

    // The case is open, so the erasure keeps it, and its attachment, restricted.
    await db.dataSource.transaction((em) => eraseCustomer(em, thirdCase.customerId, new Date()));
    expect(await db.dataSource.query(`SELECT restricted_at IS NOT NULL AS restricted FROM case_attachment WHERE id = $1`, [uploaded.json.uploadId])).toEqual([{ restricted: true }]);
    const refused = await download(agentLink);
    const missing = await download(agentLink.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect([refused.status, refused.body.toString()]).toEqual([404, missing.body.toString()]);
    const [event] = (await eventsNamed('downloadCaseAttachment')).slice(-1);
    expect({ outcome: event.outcome, errorCodes: event.error_codes, subjects: event.subject_ids }).toEqual({ outcome: 'error', errorCodes: ['NOT_FOUND'], subjects: [] });

    const officer = await mint({ kind: 'staff', subject: 'officer-3', roles: ['compliance_officer'], purposes: ['legal_compliance'] });
    const listed = (await gw.post({ query: ATTACHMENTS, variables: { id: thirdCase.id } }, { authorization: `Bearer ${officer}`, 'x-purpose': 'legal_compliance', 'x-legal-case': 'LIT-2026-090' })).json;
    const officerDownload = await download(linkOf(listed));
    expect([officerDownload.status, officerDownload.body.equals(PDF)]).toEqual([200, true]);
  });

  it("an upload on its way while the case's customer is erased answers as an upload to a case that does not exist, and stores nothing", async () => {
    const [raced] = await db.dataSource.query(
      `SELECT c.id, c.customer_id AS "customerId" FROM after_sales_case c JOIN customer u ON u.id = c.customer_id
        WHERE u.status = 'active' AND c.status = 'open' AND c.customer_id NOT IN ($1, $2) ORDER BY c.id DESC LIMIT 1`,
      [DEMO_IDS.demoCustomer, otherCase.customerId],
    );
    const token = await customerService();
    const missing = await upload(token, RANDOM_ID, 'document', PDF, { 'content-type': 'application/pdf' });
    const blobsBefore = await blobs();
    // The erasure holds the customer uncommitted while the upload runs: the upload found the case,
    // and its row waits for the erasure (migration 1795000014421), which then commits.
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let answer;
    try {
      await eraseCustomer(runner.manager, raced.customerId, new Date());
      const pending = upload(token, raced.id, 'document', PDF, { 'content-type': 'application/pdf' });
      const deadline = Date.now() + 10_000;
      let settled = false;
      void pending.finally(() => (settled = true)).catch(() => undefined);
      while (!settled && (await db.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n === 0) {
        if (Date.now() > deadline) throw new Error('the upload neither waited nor answered');
        await new Promise((r) => setTimeout(r, 25));
      }
      await runner.commitTransaction();
      answer = await pending;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    expect(answer).toEqual(missing);
    expect(answer.status).toBe(404);
    expect(await blobs()).toEqual(blobsBefore);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM attachment_upload WHERE case_id = $1`, [raced.id])).toEqual([{ n: 0 }]);
  });
});
