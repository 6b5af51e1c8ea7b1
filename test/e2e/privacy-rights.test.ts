/**
 * Data-subject rights end to end, over HTTP with real tokens: every request type from submission
 * to completion, with the one-time code read from a real SMTP server the mail worker sends to;
 * the code's limits (wrong codes, expiry, new codes); customer service acting on a customer's
 * behalf; the compliance officer's queue; what can never be done (someone else's request, more
 * requests than the day allows); and the audit log naming every step, the mails and the export.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { AuditLog } from '../../src/audit/audit-log';
import { EVENT_SETS, EVENT_SETS_JOIN } from '../../src/audit/audit-record';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { PrivacyRights } from '../../src/domains/privacy-requests/privacy-rights';
import { startMailSink, type MailSink, type ReceivedMail } from '../../src/mail/mail-sink';
import { MailWorker } from '../../src/mail/mail-worker';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { GatewayMetrics } from '../../src/platform/metrics';
import { createLogger } from '../../src/platform/logger';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createErasureFixture } from '../harness/erasure-fixture';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const SECRET = 'privacy-rights-test-secret-0123456789';
const RANDOM_ID = '6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e';
const REQUEST_FIELDS = 'id type status receivedAt verifiedAt dueAt completedAt handler resultSummary rejectionReason openedVia overdue result transitions { fromStatus toStatus actorKind note }';
const SUBMIT = `mutation($input: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $input) { ${REQUEST_FIELDS} } }`;
const VERIFY = `mutation($input: VerifyPrivacyRequestInput!) { verifyPrivacyRequest(input: $input) { ${REQUEST_FIELDS} } }`;
/** What customer service reads of a request: all but its outcome, which can tell of a legal hold (the matrix withholds it). */
const AGENT_FIELDS = REQUEST_FIELDS.replace(' resultSummary', '').replace(' result', '');
const AGENT_SUBMIT = SUBMIT.replace(REQUEST_FIELDS, AGENT_FIELDS);
const AGENT_VERIFY = VERIFY.replace(REQUEST_FIELDS, AGENT_FIELDS);
const RESEND = `mutation($id: ID!) { resendPrivacyRequestCode(input: { requestId: $id }) { id status } }`;

interface Body {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

describe('data-subject rights, over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let sink: MailSink;
  let worker: MailWorker;
  let auditLog: AuditLog;
  let blobDir: string;
  let store: FileSystemBlobStore;
  const metrics = new GatewayMetrics({ processMetrics: false });
  /** The rights' clock: real time plus a shift the code-expiry tests move forward. */
  let shiftMs = 0;
  const now = () => new Date(Date.now() + shiftMs);
  const logLines: string[] = [];

  const mint = (options: DevTokenOptions) => mintDevToken(options, gw.authConfig);
  const customerToken = (customerId: string = DEMO_IDS.demoCustomer) => mint({ kind: 'customer', customerId, purposes: ['data_subject_request'] });
  const serviceToken = () => mint({ kind: 'staff', roles: ['customer_service'], purposes: ['data_subject_request'], subject: 'agent-7' });
  const officerToken = () => mint({ kind: 'staff', roles: ['compliance_officer'], purposes: ['data_subject_request', 'legal_compliance'], subject: 'officer-1' });
  const call = async (token: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const r = await gw.post({ query, variables }, { authorization: `Bearer ${token}`, ...headers });
    return { status: r.status, body: r.json as Body };
  };
  const asOfficer = async (query: string, variables: Record<string, unknown>, requestId: string) =>
    call(await officerToken(), query, variables, { 'x-purpose': 'data_subject_request', 'x-privacy-request': requestId });

  const codeMail = (requestId: string, after = 0): Promise<ReceivedMail> => sink.next((m) => m.text.includes(requestId) && sink.mails.indexOf(m) >= after);
  const codeOf = (mail: ReceivedMail): string => /Verification code: (\d{6})/.exec(mail.text)![1];
  const emailOf = async (customerId: string): Promise<string> => (await db.dataSource.query(`SELECT email FROM customer WHERE id = $1`, [customerId]))[0].email;

  /** Submits as `token` and returns the request and the code mailed for it. */
  const submit = async (token: string, input: Record<string, unknown>) => {
    const before = sink.mails.length;
    const r = await call(token, SUBMIT, { input });
    expect(r.body.errors).toBeUndefined();
    const request = r.body.data!.submitPrivacyRequest;
    const mail = await codeMail(request.id, before);
    return { request, mail, code: codeOf(mail) };
  };
  const verify = (token: string, requestId: string, code: string) => call(token, VERIFY, { input: { requestId, code } });
  const handlerOf = async (requestId: string): Promise<string | null> =>
    (await db.dataSource.query(`SELECT handler FROM privacy_request WHERE id = $1`, [requestId]))[0].handler;
  /** An active customer with no privacy request yet (the first or the last by id), so no other test's requests count. */
  const customerWithoutRequests = async (which: 'first' | 'last'): Promise<string> =>
    (await db.dataSource.query(
      `SELECT c.id FROM customer c WHERE c.status = 'active' AND NOT EXISTS (SELECT 1 FROM privacy_request r WHERE r.customer_id = c.id) ORDER BY c.id ${which === 'first' ? 'ASC' : 'DESC'} LIMIT 1`,
    ))[0].id;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    sink = await startMailSink();
    const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });
    auditLog = new AuditLog(db.dataSource, { logger });
    const rights = new PrivacyRights({ secret: SECRET, calendar: { timeZone: 'UTC', holidays: [] }, publicUrl: 'http://download.invalid', now });
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rights-blobs-'));
    store = new FileSystemBlobStore(blobDir);
    gw = await startHttpGateway(db, { rights, auditLog, logger }, { store, limits: { photo: 1000, video: 1000, document: 1000 }, sweepEveryMs: 0 });
    worker = new MailWorker({ dataSource: db.dataSource, transport: nodemailer.createTransport(sink.url), from: 'privacy@shop.invalid', box: rights.box, auditLog, logger, pollMs: 50, now, metrics });
    worker.start();
  });
  afterAll(async () => {
    await worker.stop();
    await gw.close();
    await auditLog.close();
    await sink.close();
    await db.drop();
    fs.rmSync(blobDir, { recursive: true, force: true });
  });

  it('access: the code goes to the email on file, verification completes the request, and the export is read and downloaded once', async () => {
    const token = await customerToken();
    const { request, mail, code } = await submit(token, { type: 'ACCESS' });
    expect(request).toMatchObject({ type: 'ACCESS', status: 'RECEIVED', openedVia: 'CUSTOMER', verifiedAt: null, dueAt: null });
    expect(mail.to).toEqual([await emailOf(DEMO_IDS.demoCustomer)]);
    expect(code).toMatch(/^\d{6}$/);

    const verified = await verify(token, request.id, code);
    expect(verified.body.errors).toBeUndefined();
    const done = verified.body.data!.verifyPrivacyRequest;
    expect(done.status).toBe('COMPLETED');
    expect(done.transitions.map((t: { fromStatus: string | null; toStatus: string }) => `${t.fromStatus}>${t.toStatus}`)).toEqual([
      'null>RECEIVED',
      'RECEIVED>IDENTITY_VERIFIED',
      'IDENTITY_VERIFIED>IN_PROGRESS',
      'IN_PROGRESS>COMPLETED',
    ]);
    expect(new Date(done.dueAt).getTime()).toBeGreaterThan(new Date(done.verifiedAt).getTime() + 3 * 86400_000 - 1);

    const read = await call(token, `query($id: ID!) { privacyExport(id: $id) { requestId format version document } }`, { id: request.id });
    expect(read.body.errors).toBeUndefined();
    const document = JSON.parse(read.body.data!.privacyExport.document);
    expect(document).toMatchObject({ format: 'need-to-know/privacy-export', version: 1, customerId: DEMO_IDS.demoCustomer, requestId: request.id });
    expect(document.sections.account).toEqual([expect.objectContaining({ id: DEMO_IDS.demoCustomer, email: await emailOf(DEMO_IDS.demoCustomer) })]);
    const [{ n: orders }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM "order" WHERE customer_id = $1`, [DEMO_IDS.demoCustomer]);
    expect(document.sections.orders).toHaveLength(orders);
    // Who saw their data: the mail worker's send of this very code is among the disclosures.
    expect(document.sections.disclosures).toEqual(
      expect.arrayContaining([expect.objectContaining({ principalKind: 'system', operationName: 'sendMail', privacyRequestReference: request.id, disclosed: ['Customer.email'] })]),
    );
    expect(document.sections.disclosures[0]).not.toHaveProperty('principalId');

    const link = await call(token, `mutation($id: ID!) { createPrivacyExportLink(input: { requestId: $id }) { url expiresAt } }`, { id: request.id });
    const path = new URL(link.body.data!.createPrivacyExportLink.url).pathname;
    const first = await fetch(`${gw.url}${path}`, { method: 'POST' });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-disposition')).toBe(`attachment; filename="privacy-export-${request.id}.json"`);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(((await first.json()) as { sections: { account: Array<{ id: string }> } }).sections.account[0].id).toBe(DEMO_IDS.demoCustomer);
    const again = await fetch(`${gw.url}${path}`, { method: 'POST' });
    expect(again.status).toBe(404);
    expect((await fetch(`${gw.url}/privacy-exports/${'x'.repeat(43)}`, { method: 'POST' })).status).toBe(404);

    // The audit log: every transition, the mail and both disclosures of the export, with the request id.
    const events: Array<{ operation_name: string; principal_kind: string; detail: Record<string, unknown> | null; flagged: boolean }> = await db.dataSource.query(
      `SELECT operation_name, principal_kind, detail, flagged FROM audit_event WHERE privacy_request_reference = $1 ORDER BY at, id`,
      [request.id],
    );
    const byName = (name: string) => events.filter((e) => e.operation_name === name);
    expect(byName('sendMail')).toEqual([expect.objectContaining({ principal_kind: 'system', detail: expect.objectContaining({ topic: `privacy_request:${request.id}`, attempt: 1 }) })]);
    expect(events.find((e) => e.detail && (e.detail.transitions as string[] | undefined)?.includes('none>received'))).toBeDefined();
    expect(events.find((e) => e.detail && (e.detail.transitions as string[] | undefined)?.includes('in_progress>completed'))).toBeDefined();
    expect(byName('downloadPrivacyExport')).toEqual([expect.objectContaining({ principal_kind: 'export_link', flagged: true })]);
    expect(events.filter((e) => e.detail && 'export' in e.detail)).toHaveLength(1);

    // The code is nowhere at rest or in a log: only its keyed hash was stored, the sent mail's body is wiped.
    const [outbox] = await db.dataSource.query(`SELECT status, sealed_body FROM mail_outbox WHERE topic = $1`, [`privacy_request:${request.id}`]);
    expect(outbox).toEqual({ status: 'sent', sealed_body: null });
    expect(logLines.join('\n')).not.toContain(code);
  });

  it('a wrong code costs an attempt; after five, or after 15 minutes, only a new code verifies', async () => {
    const token = await customerToken();
    const { request, code } = await submit(token, { type: 'OBJECTION' });
    const wrong = code === '000000' ? '111111' : '000000';
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await verify(token, request.id, wrong);
      expect(r.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CODE_WRONG' });
      left.push(r.body.errors![0].extensions!.attemptsLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const exhausted = await verify(token, request.id, code);
    expect(exhausted.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CODE_EXPIRED' });

    // A new code at once is refused (one a minute); a minute later it is sent, and the old one no longer works.
    const tooSoon = await call(token, RESEND, { id: request.id });
    expect(tooSoon.body.errors![0].extensions!.code).toBe('RATE_LIMITED');
    shiftMs += 61_000;
    const before = sink.mails.length;
    expect((await call(token, RESEND, { id: request.id })).body.errors).toBeUndefined();
    const fresh = codeOf(await codeMail(request.id, before));
    if (fresh !== code) expect((await verify(token, request.id, code)).body.errors![0].extensions!.reason).toBe('CODE_WRONG');

    // 16 minutes on, the new code has expired too.
    shiftMs += 16 * 60_000;
    expect((await verify(token, request.id, fresh)).body.errors![0].extensions!.reason).toBe('CODE_EXPIRED');
    shiftMs += 61_000;
    const last = sink.mails.length;
    await call(token, RESEND, { id: request.id });
    const third = codeOf(await codeMail(request.id, last));
    const verified = await verify(token, request.id, third);
    expect(verified.body.data!.verifyPrivacyRequest.status).toBe('COMPLETED');
  });

  it('objection: once verified, the customer is excluded from analytics', async () => {
    const customerId = (await db.dataSource.query(`SELECT id FROM customer WHERE status = 'active' AND NOT analytics_objection AND id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]))[0].id;
    const token = await customerToken(customerId);
    const { request, code } = await submit(token, { type: 'OBJECTION' });
    expect((await db.dataSource.query(`SELECT analytics_objection FROM customer WHERE id = $1`, [customerId]))[0].analytics_objection).toBe(false);
    const r = await verify(token, request.id, code);
    expect(r.body.data!.verifyPrivacyRequest).toMatchObject({ status: 'COMPLETED', result: '{"analyticsObjection":true}' });
    expect((await db.dataSource.query(`SELECT analytics_objection FROM customer WHERE id = $1`, [customerId]))[0].analytics_objection).toBe(true);
  });

  it('withdraw consent: the named grant is withdrawn at once and the third party is refused on its next request', async () => {
    const thirdParty = await mint({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: DEMO_IDS.consentGrant, purposes: ['authorized_sharing'] });
    const read = `query($id: ID!) { customer(id: $id) { accountName } }`;
    expect((await call(thirdParty, read, { id: DEMO_IDS.demoCustomer })).status).toBe(200);

    const token = await customerToken();
    const { request, code } = await submit(token, { type: 'WITHDRAW_CONSENT', grantIds: [DEMO_IDS.consentGrant] });
    const r = await verify(token, request.id, code);
    expect(r.body.data!.verifyPrivacyRequest).toMatchObject({ status: 'COMPLETED', result: JSON.stringify({ withdrawnGrants: [DEMO_IDS.consentGrant] }) });
    expect((await call(thirdParty, read, { id: DEMO_IDS.demoCustomer })).status).toBe(401);
  });

  it('rectification: the verified customer corrects contact data, an address and an undelivered order; the request records which fields, not values', async () => {
    const customerId = (await db.dataSource.query(
      `SELECT c.id FROM customer c WHERE c.status = 'active' AND c.id <> $1
          AND EXISTS (SELECT 1 FROM "order" o WHERE o.customer_id = c.id AND o.status = 'paid')
          AND EXISTS (SELECT 1 FROM "order" o WHERE o.customer_id = c.id AND o.status = 'delivered')
          AND EXISTS (SELECT 1 FROM address a WHERE a.customer_id = c.id)
        ORDER BY c.id LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    ))[0].id;
    const [paid] = await db.dataSource.query(`SELECT id FROM "order" WHERE customer_id = $1 AND status = 'paid' ORDER BY id LIMIT 1`, [customerId]);
    const [delivered] = await db.dataSource.query(`SELECT id, order_number FROM "order" WHERE customer_id = $1 AND status = 'delivered' ORDER BY id LIMIT 1`, [customerId]);
    const [address] = await db.dataSource.query(`SELECT id FROM address WHERE customer_id = $1 ORDER BY id LIMIT 1`, [customerId]);
    const token = await customerToken(customerId);
    const { request, code } = await submit(token, { type: 'RECTIFICATION' });
    const verified = await verify(token, request.id, code);
    expect(verified.body.data!.verifyPrivacyRequest.status).toBe('IDENTITY_VERIFIED');

    const RECTIFY = `mutation($input: RectifyPersonalDataInput!) { rectifyPersonalData(input: $input) { status resultSummary result transitions { toStatus note } } }`;
    const newAddress = { recipientName: 'Robin Rectified', line1: '1 New Street', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB', phone: '+44 113 496 0000' };
    // An order already delivered cannot take a new address: nothing is written.
    const late = await call(token, RECTIFY, { input: { requestId: request.id, account: { phone: '+44 20 7946 0999' }, orderShipping: { orderIds: [delivered.id], address: { city: 'Leeds' } } } });
    expect(late.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ORDER_ALREADY_SHIPPED' });
    expect(late.body.errors![0].message).toContain(`${delivered.order_number} is delivered`);
    expect((await db.dataSource.query(`SELECT phone FROM customer WHERE id = $1`, [customerId]))[0].phone).not.toBe('+44 20 7946 0999');

    const r = await call(token, RECTIFY, {
      input: {
        requestId: request.id,
        account: { email: 'robin.rectified@example.com', phone: '+44 20 7946 0999' },
        addresses: [{ id: address.id, fields: { city: 'York' } }, { fields: newAddress, isDefault: true }],
        orderShipping: { orderIds: [paid.id], address: newAddress },
      },
    });
    expect(r.body.errors).toBeUndefined();
    const done = r.body.data!.rectifyPersonalData;
    expect(done.status).toBe('COMPLETED');
    const corrected: string[] = JSON.parse(done.result).corrected;
    expect(corrected.slice(0, 3)).toEqual(['customer.email', 'customer.phone', `address:${address.id}.city`]);
    expect(corrected[3]).toMatch(/^address:[0-9a-f-]{36} \(added\)$/);
    expect(corrected[4]).toMatch(/^order:NTK-[0-9-]+\.shipping \(recipientName, line1, city, postalCode, country, phone\)$/);
    // Which fields, never the values.
    expect(JSON.stringify(done)).not.toContain('robin.rectified@example.com');
    expect(JSON.stringify(done)).not.toContain('York');

    expect(await db.dataSource.query(`SELECT email, phone FROM customer WHERE id = $1`, [customerId])).toEqual([{ email: 'robin.rectified@example.com', phone: '+44 20 7946 0999' }]);
    expect((await db.dataSource.query(`SELECT city FROM address WHERE id = $1`, [address.id]))[0].city).toBe('York');
    expect(await db.dataSource.query(`SELECT ship_recipient_name, ship_city FROM "order" WHERE id = $1`, [paid.id])).toEqual([{ ship_recipient_name: 'Robin Rectified', ship_city: 'Leeds' }]);
    expect((await db.dataSource.query(`SELECT ship_city FROM "order" WHERE id = $1`, [delivered.id]))[0].ship_city).not.toBe('Leeds');
    // The customer corrected their own data: nobody on the store's side handled the request.
    expect(await handlerOf(request.id)).toBeNull();
    // The next code goes to the corrected address.
    const next = await submit(token, { type: 'ACCESS' });
    expect(next.mail.to).toEqual(['robin.rectified@example.com']);
  });

  it('customer service opens a request on a customer’s behalf and enters the code the customer reads out', async () => {
    const agent = await serviceToken();
    const customerId = (await db.dataSource.query(`SELECT id FROM customer WHERE status = 'active' ORDER BY id DESC LIMIT 1`))[0].id;
    const headers = { 'x-purpose': 'data_subject_request' };
    const opened = await call(agent, AGENT_SUBMIT, { input: { type: 'ACCESS', customerId } }, headers);
    expect(opened.body.errors).toBeUndefined();
    const request = opened.body.data!.submitPrivacyRequest;
    expect(request.openedVia).toBe('CUSTOMER_SERVICE');
    const mail = await codeMail(request.id);
    expect(mail.to).toEqual([await emailOf(customerId)]);
    const verified = await call(agent, AGENT_VERIFY, { input: { requestId: request.id, code: codeOf(mail) } }, headers);
    expect(verified.body.data!.verifyPrivacyRequest.status).toBe('COMPLETED');
    // Opened on the customer's behalf: recorded on the request and on its first transition.
    expect(request.transitions).toEqual([{ fromStatus: null, toStatus: 'RECEIVED', actorKind: 'staff', note: 'opened by customer service on the customer’s behalf' }]);
    const [row] = await db.dataSource.query(`SELECT opened_by FROM privacy_request WHERE id = $1`, [request.id]);
    expect(row.opened_by).toBe('agent-7');
    // The agent names a customer; a customer that does not exist answers NOT_FOUND.
    const missing = await call(agent, AGENT_SUBMIT, { input: { type: 'ACCESS', customerId: RANDOM_ID } }, headers);
    expect(missing.body.errors![0].extensions!.code).toBe('NOT_FOUND');
  });

  it('an agent who enters the corrections of a rectification nobody handles is recorded as its handler', async () => {
    const agent = await serviceToken();
    const headers = { 'x-purpose': 'data_subject_request' };
    const customerId = await customerWithoutRequests('last');
    const opened = await call(agent, AGENT_SUBMIT, { input: { type: 'RECTIFICATION', customerId } }, headers);
    const request = opened.body.data!.submitPrivacyRequest;
    const verified = await call(agent, AGENT_VERIFY, { input: { requestId: request.id, code: codeOf(await codeMail(request.id)) } }, headers);
    expect(verified.body.data!.verifyPrivacyRequest.status).toBe('IDENTITY_VERIFIED');
    const rectified = await call(
      agent,
      `mutation($input: RectifyPersonalDataInput!) { rectifyPersonalData(input: $input) { status handler transitions { fromStatus toStatus actorKind } } }`,
      { input: { requestId: request.id, account: { phone: '+44 20 7946 0123' } } },
      headers,
    );
    expect(rectified.body.errors).toBeUndefined();
    expect(rectified.body.data!.rectifyPersonalData).toEqual({
      status: 'COMPLETED',
      handler: 'agent-7',
      transitions: [
        { fromStatus: null, toStatus: 'RECEIVED', actorKind: 'staff' },
        { fromStatus: 'RECEIVED', toStatus: 'IDENTITY_VERIFIED', actorKind: 'staff' },
        { fromStatus: 'IDENTITY_VERIFIED', toStatus: 'IN_PROGRESS', actorKind: 'staff' },
        { fromStatus: 'IN_PROGRESS', toStatus: 'COMPLETED', actorKind: 'staff' },
      ],
    });
    expect(await handlerOf(request.id)).toBe('agent-7');
  });

  it('a request about someone else is impossible: a customer names only themself and reaches only their own requests', async () => {
    const [other] = await db.dataSource.query(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    const mine = await customerToken();
    const forOther = await call(mine, SUBMIT, { input: { type: 'ERASURE', customerId: other.id } });
    expect(forOther.body.errors![0]).toMatchObject({ message: 'input.customerId: a customer’s request is about themself; leave customerId out', extensions: { code: 'BAD_USER_INPUT' } });

    const theirs = await submit(await customerToken(other.id), { type: 'ACCESS' });
    const foreign = await verify(mine, theirs.request.id, theirs.code);
    const random = await verify(mine, RANDOM_ID, theirs.code);
    expect(foreign.body).toEqual(random.body);
    expect(foreign.body.errors![0].extensions!.code).toBe('NOT_FOUND');
    // Nor another customer's grants in a withdrawal.
    const grant = await call(await customerToken(other.id), SUBMIT, { input: { type: 'WITHDRAW_CONSENT', grantIds: [DEMO_IDS.consentGrant] } });
    expect(grant.body.errors![0].extensions!.code).toBe('NOT_FOUND');
  });

  it('one request by its id: a customer reads their own, and another customer’s answers exactly as one that does not exist; staff as their rows say', async () => {
    // Two customers of their own, so that no other test's requests or daily limits count.
    const [a, b] = await db.dataSource.query(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id OFFSET 3 LIMIT 2`, [DEMO_IDS.demoCustomer]);
    const tokenA = await customerToken(a.id);
    const mine = (await submit(tokenA, { type: 'ACCESS' })).request;
    const theirs = (await submit(await customerToken(b.id), { type: 'OBJECTION' })).request;
    const LOOKUP = `query($id: ID!) { privacyRequest(id: $id) { id type status openedVia transitions { toStatus actorKind } } }`;
    const lookUp = async (token: string, id: string, headers: Record<string, string> = {}) => {
      const r = await gw.post({ query: LOOKUP, variables: { id } }, { authorization: `Bearer ${token}`, ...headers });
      const [event] = await db.dataSource.query(
        `SELECT e.principal_kind, e.outcome, e.error_codes, e.subject_set, e.customer_id, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.request_id = $1`,
        [r.headers.get('x-request-id')],
      );
      return { status: r.status, body: r.json as Body, event };
    };

    const own = await lookUp(tokenA, mine.id);
    expect(own.body).toEqual({
      data: { privacyRequest: { id: mine.id, type: 'ACCESS', status: 'RECEIVED', openedVia: 'CUSTOMER', transitions: [{ toStatus: 'RECEIVED', actorKind: 'customer' }] } },
    });
    expect(own.event.subject_ids).toEqual([a.id]);

    // Another customer's request and a request that never existed: the same answer, the same audit record.
    const foreign = await lookUp(tokenA, theirs.id);
    const missing = await lookUp(tokenA, randomUUID());
    expect(foreign.body).toEqual({ data: { privacyRequest: null } });
    expect({ status: foreign.status, body: foreign.body, event: foreign.event }).toEqual({ status: missing.status, body: missing.body, event: missing.event });
    expect(foreign.event).toMatchObject({ principal_kind: 'customer', outcome: 'ok', subject_set: null, subject_ids: [], disclosed: [] });
    const malformed = await lookUp(tokenA, 'not-an-id');
    expect(malformed.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');

    // Customer service, under data_subject_request, reads any customer's request (its row sees requests).
    const service = await lookUp(await serviceToken(), theirs.id);
    expect(service.body.data!.privacyRequest).toMatchObject({ id: theirs.id, type: 'OBJECTION', status: 'RECEIVED' });
    // A compliance officer picks a request without a reference, as from the queue; its history needs the reference it serves.
    const officer = await officerToken();
    const PICK = `query($id: ID!) { privacyRequest(id: $id) { id type status dueAt } }`;
    const picked = await call(officer, PICK, { id: theirs.id }, { 'x-purpose': 'data_subject_request' });
    expect(picked.body).toEqual({ data: { privacyRequest: { id: theirs.id, type: 'OBJECTION', status: 'RECEIVED', dueAt: null } } });
    const unreferenced = await lookUp(officer, theirs.id, { 'x-purpose': 'data_subject_request' });
    expect({ status: unreferenced.status, code: unreferenced.body.errors?.[0]?.extensions?.code }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
    const referenced = await lookUp(officer, theirs.id, { 'x-purpose': 'data_subject_request', 'x-privacy-request': theirs.id });
    expect(referenced.body.data!.privacyRequest).toMatchObject({ id: theirs.id, transitions: [{ toStatus: 'RECEIVED', actorKind: 'customer' }] });
    // Under after_sales the customer's row does not see requests: denied, not empty.
    const afterSales = await mint({ kind: 'customer', customerId: a.id, purposes: ['after_sales'] });
    const denied = await call(afterSales, LOOKUP, { id: mine.id });
    expect(denied.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(denied.body.data?.privacyRequest ?? null).toBeNull();
  });

  it('free, not unlimited: a customer opens at most five requests a day', async () => {
    const fresh = await customerWithoutRequests('last');
    const token = await customerToken(fresh);
    for (let i = 0; i < 5; i++) expect((await call(token, SUBMIT, { input: { type: 'ACCESS' } })).body.errors).toBeUndefined();
    const sixth = await call(token, SUBMIT, { input: { type: 'ACCESS' } });
    expect(sixth.status).toBe(429);
    expect(sixth.body.errors![0].extensions!.code).toBe('RATE_LIMITED');
  });

  it('erasure: an officer completes it; identifiers go, communications go, retained and held orders stay restricted, and the account’s tokens are refused', async () => {
    const x = await createErasureFixture(db.dataSource);
    // Blobs: the photo of the finished case, an upload never attached, and a photo of a case on the held order.
    const years = (n: number) => new Date(Date.now() - n * 365.25 * 86400_000).toISOString();
    const [{ storage_key: pastPhoto }] = await db.dataSource.query(`SELECT storage_key FROM case_attachment WHERE case_id = $1`, [x.pastCase]);
    const pendingUpload = `after-sales/${x.pastCase}/${randomUUID()}`;
    await db.dataSource.query(
      `INSERT INTO attachment_upload (id, case_id, uploader, kind, content_type, size_bytes, sha256, storage_key, uploaded_at, expires_at)
       VALUES (gen_random_uuid(), $1, repeat('a', 64), 'photo', 'image/jpeg', 5, repeat('b', 64), $2, now(), now() + interval '1 day')`,
      [x.pastCase, pendingUpload],
    );
    const [{ id: heldCase }] = await db.dataSource.query(
      `INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at, closed_at) VALUES ($1, $2, 'complaint', 'closed', 'Card charged twice', $3, $4) RETURNING id`,
      [x.customerId, x.heldOrder, years(5), years(4.9)],
    );
    const heldPhoto = `after-sales/${heldCase}/${randomUUID()}`;
    await db.dataSource.query(
      `INSERT INTO case_attachment (case_id, kind, content_type, size_bytes, sha256, storage_key, uploaded_at) VALUES ($1, 'photo', 'image/jpeg', 5, repeat('d', 64), $2, $3)`,
      [heldCase, heldPhoto, years(5)],
    );
    const file = path.join(blobDir, '..', `${path.basename(blobDir)}-content`);
    fs.writeFileSync(file, 'bytes');
    for (const key of [pastPhoto, pendingUpload, heldPhoto]) await store.put(key, file, 5);
    fs.rmSync(file);
    const blobExists = async (key: string) => {
      const stream = await store.get(key);
      stream?.destroy();
      return stream !== undefined;
    };

    const token = await customerToken(x.customerId);
    const { request, mail, code } = await submit(token, { type: 'ERASURE' });
    expect(mail.to).toEqual([x.email]);
    // An erasure cannot be undone: verification alone does not carry it out.
    expect((await verify(token, request.id, code)).body.data!.verifyPrivacyRequest.status).toBe('IDENTITY_VERIFIED');

    const completed = await asOfficer(`mutation($id: ID!) { completePrivacyRequest(input: { requestId: $id }) { status handler resultSummary result } }`, { id: request.id }, request.id);
    expect(completed.body.errors).toBeUndefined();
    const done = completed.body.data!.completePrivacyRequest;
    expect(done).toMatchObject({ status: 'COMPLETED', handler: 'officer-1' });
    const { erasure } = JSON.parse(done.result);
    const rows = (list: Array<{ table: string; rows: number }>, table: string, extra: Record<string, string> = {}) =>
      list.filter((e) => e.table === table && Object.entries(extra).every(([k, v]) => (e as Record<string, unknown>)[k] === v)).reduce((n, e) => n + e.rows, 0);
    expect(rows(erasure.erased, 'address', { action: 'deleted' })).toBe(2);
    expect(rows(erasure.erased, 'order', { action: 'anonymized' })).toBe(1);
    expect(rows(erasure.erased, 'after_sales_case', { action: 'deleted' })).toBe(1);
    expect(rows(erasure.erased, 'case_message', { action: 'deleted' })).toBe(1);
    expect(rows(erasure.erased, 'case_attachment', { action: 'deleted' })).toBe(1);
    expect(rows(erasure.erased, 'attachment_upload', { action: 'deleted' })).toBe(1);
    expect(rows(erasure.kept, 'after_sales_case', { reason: 'legal_hold' })).toBe(1);
    expect(rows(erasure.kept, 'case_attachment', { reason: 'legal_hold' })).toBe(1);
    expect(rows(erasure.erased, 'customer', { action: 'anonymized' })).toBe(1);
    expect(rows(erasure.kept, 'order', { reason: 'retention' })).toBe(1);
    expect(rows(erasure.kept, 'order', { reason: 'legal_hold' })).toBe(1);
    expect(rows(erasure.kept, 'shipment_event', { reason: 'retention' })).toBe(1);
    expect(done.resultSummary).toContain('Kept: ');

    const [customer] = await db.dataSource.query(`SELECT status, account_name, email, phone, emergency_contact_name, erased_at FROM customer WHERE id = $1`, [x.customerId]);
    expect(customer).toMatchObject({ status: 'erased', account_name: 'erased', email: `erased-${x.customerId}@erased.invalid`, phone: '', emergency_contact_name: null });
    expect(customer.erased_at).not.toBeNull();
    expect(await db.dataSource.query(`SELECT id FROM address WHERE customer_id = $1`, [x.customerId])).toEqual([]);
    expect(await db.dataSource.query(`SELECT id FROM after_sales_case WHERE id = $1`, [x.pastCase])).toEqual([]);
    expect(await db.dataSource.query(`SELECT id FROM preference_consent WHERE customer_id = $1`, [x.customerId])).toEqual([]);
    const orders = await db.dataSource.query(`SELECT id, ship_recipient_name, restricted_at IS NOT NULL AS restricted FROM "order" WHERE customer_id = $1 ORDER BY order_number`, [x.customerId]);
    expect(orders).toEqual([
      { id: x.pastOrder, ship_recipient_name: 'erased', restricted: false },
      { id: x.openOrder, ship_recipient_name: 'Erin Erasable', restricted: true },
      { id: x.heldOrder, ship_recipient_name: 'Erin Erasable', restricted: true },
    ]);
    expect((await db.dataSource.query(`SELECT tracking_number FROM shipment WHERE order_id = $1`, [x.pastOrder]))[0].tracking_number).toBeNull();
    expect((await db.dataSource.query(`SELECT withdrawn_at FROM consent_grant WHERE id = $1`, [x.grantId]))[0].withdrawn_at).not.toBeNull();
    // The erased attachments' blobs go once the erasure has committed; the held case keeps its photo, restricted.
    expect(await db.dataSource.query(`SELECT storage_key, restricted_at IS NOT NULL AS restricted FROM case_attachment WHERE case_id IN ($1, $2)`, [x.pastCase, heldCase])).toEqual([
      { storage_key: heldPhoto, restricted: true },
    ]);
    for (let i = 0; i < 100 && ((await blobExists(pastPhoto)) || (await blobExists(pendingUpload))); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await blobExists(pastPhoto)).toBe(false);
    expect(await blobExists(pendingUpload)).toBe(false);
    expect(await blobExists(heldPhoto)).toBe(true);

    // The erased account's tokens are refused from now on.
    expect((await call(token, `query($id: ID!) { customer(id: $id) { id } }`, { id: x.customerId })).status).toBe(401);
    // Restricted rows are as rows that do not exist for customer service; legal_compliance reads them.
    const agent = await mint({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] });
    const read = `query($id: ID!) { order(id: $id) { orderNumber shippingAddress { recipientName } } }`;
    expect((await call(agent, read, { id: x.openOrder })).body).toEqual((await call(agent, read, { id: RANDOM_ID })).body);
    expect((await call(agent, read, { id: x.openOrder })).body.data!.order).toBeNull();
    const legal = await call(await officerToken(), read, { id: x.openOrder }, { 'x-purpose': 'legal_compliance', 'x-legal-case': 'LC-TEST-1' });
    expect(legal.body.data!.order.shippingAddress).toEqual({ recipientName: 'Erin Erasable' });
  });

  it('an officer who completes a request in progress that nobody handles is recorded as its handler', async () => {
    const fresh = await customerWithoutRequests('first');
    const { request } = await submit(await customerToken(fresh), { type: 'ACCESS' });
    // In progress with no handler: as an import, or a request begun before handlers were recorded, leaves one.
    await db.dataSource.query(`UPDATE privacy_request SET status = 'in_progress', verified_at = now(), due_at = now() + interval '3 days', handler = NULL WHERE id = $1`, [request.id]);
    const completed = await asOfficer(
      `mutation($id: ID!) { completePrivacyRequest(input: { requestId: $id }) { status handler transitions { fromStatus toStatus actorKind } } }`,
      { id: request.id },
      request.id,
    );
    expect(completed.body.errors).toBeUndefined();
    expect(completed.body.data!.completePrivacyRequest).toEqual({
      status: 'COMPLETED',
      handler: 'officer-1',
      transitions: [
        { fromStatus: null, toStatus: 'RECEIVED', actorKind: 'customer' },
        { fromStatus: 'IN_PROGRESS', toStatus: 'COMPLETED', actorKind: 'staff' },
      ],
    });
    expect(await handlerOf(request.id)).toBe('officer-1');
  });

  it('the officer’s queue shows due and overdue requests, and a rejection records its reason', async () => {
    const token = await customerToken();
    const { request, code } = await submit(token, { type: 'ERASURE' });
    await verify(token, request.id, code);
    await db.dataSource.query(`UPDATE privacy_request SET due_at = now() - interval '1 hour' WHERE id = $1`, [request.id]);
    const queue = await asOfficer(`query { privacyRequests(first: 100, filter: { overdue: true }) { nodes { id status overdue dueAt } } }`, {}, request.id);
    expect(queue.body.errors).toBeUndefined();
    const nodes: Array<{ id: string; status: string; overdue: boolean }> = queue.body.data!.privacyRequests.nodes;
    expect(nodes.find((n) => n.id === request.id)).toMatchObject({ status: 'IDENTITY_VERIFIED', overdue: true });
    expect(nodes.every((n) => n.overdue)).toBe(true);

    const assigned = await asOfficer(`mutation($id: ID!) { assignPrivacyRequest(input: { requestId: $id }) { status handler } }`, { id: request.id }, request.id);
    expect(assigned.body.data!.assignPrivacyRequest).toEqual({ status: 'IN_PROGRESS', handler: 'officer-1' });
    const rejected = await asOfficer(
      `mutation($input: RejectPrivacyRequestInput!) { rejectPrivacyRequest(input: $input) { status rejectionReason completedAt transitions { toStatus note } } }`,
      { input: { requestId: request.id, reason: 'Duplicate of an erasure already carried out' } },
      request.id,
    );
    expect(rejected.body.data!.rejectPrivacyRequest).toMatchObject({ status: 'REJECTED', rejectionReason: 'Duplicate of an erasure already carried out' });
    expect(rejected.body.data!.rejectPrivacyRequest.transitions.at(-1)).toEqual({ toStatus: 'REJECTED', note: 'Duplicate of an erasure already carried out' });
    // A finished request moves no further.
    const again = await asOfficer(`mutation($id: ID!) { completePrivacyRequest(input: { requestId: $id }) { status } }`, { id: request.id }, request.id);
    expect(again.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'REQUEST_STATE', requestStatus: 'rejected' });
    // The customer cannot work the queue.
    const self = await call(token, `mutation($id: ID!) { completePrivacyRequest(input: { requestId: $id }) { status } }`, { id: request.id });
    expect(self.body.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  it('answers what each caller may do to a request now: the writes its policy grants that the request’s type and status allow', async () => {
    const customer = DEMO_IDS.demoCustomer;
    // Received two days ago, so they do not count against the customer's requests of the day.
    const insert = async (type: string, status: string): Promise<string> =>
      (
        await db.dataSource.query(
          `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at)
           VALUES ($1, $2, $3::privacy_request_status, now() - interval '2 days', CASE WHEN $3::text <> 'received' THEN now() - interval '2 days' END,
                   CASE WHEN $3::text <> 'received' THEN now() + interval '1 day' END, CASE WHEN $3::text IN ('completed', 'rejected') THEN now() END) RETURNING id`,
          [customer, type, status],
        )
      )[0].id;
    const cases = [
      { type: 'access', status: 'received', officer: ['REJECT'], customer: ['VERIFY', 'RESEND_CODE'], service: ['VERIFY', 'RESEND_CODE'] },
      { type: 'erasure', status: 'identity_verified', officer: ['ASSIGN', 'COMPLETE', 'REJECT'], customer: [], service: [] },
      { type: 'rectification', status: 'in_progress', officer: ['ASSIGN', 'REJECT'], customer: ['RECTIFY'], service: ['RECTIFY'] },
      { type: 'access', status: 'completed', officer: ['CREATE_EXPORT_LINK'], customer: ['CREATE_EXPORT_LINK'], service: [] },
      { type: 'erasure', status: 'rejected', officer: [], customer: [], service: [] },
    ];
    const READ = `query($id: ID!) { privacyRequest(id: $id) { status actions } }`;
    for (const c of cases) {
      const id = await insert(c.type, c.status);
      const headers = { 'x-purpose': 'data_subject_request', 'x-privacy-request': id };
      const seen = {
        officer: (await asOfficer(READ, { id }, id)).body,
        customer: (await call(await customerToken(), READ, { id }, headers)).body,
        service: (await call(await serviceToken(), READ, { id }, headers)).body,
      };
      expect({ ...c, ...Object.fromEntries(Object.entries(seen).map(([who, body]) => [who, body.errors ?? body.data!.privacyRequest.actions])) }).toEqual(c);
    }
    // Another customer's request is not theirs to read, so nothing is theirs to do to it either.
    const [{ id: other }] = await db.dataSource.query(
      `INSERT INTO privacy_request (customer_id, type, status, received_at) VALUES ((SELECT id FROM customer WHERE id <> $1 ORDER BY id LIMIT 1), 'access', 'received', now() - interval '2 days') RETURNING id`,
      [customer],
    );
    const foreign = await call(await customerToken(), READ, { id: other }, { 'x-purpose': 'data_subject_request' });
    expect(foreign.body).toEqual({ data: { privacyRequest: null } });
  });

  it('counts the runs of the mail worker and the mails it sent in the jobs metric', async () => {
    // A run in progress ends first; its mails are counted as it ends.
    await worker.runOnce();
    // Counted by the mail server that received them (an erasure deletes its customer's outbox rows).
    const sent = sink.mails.length;
    expect(sent).toBeGreaterThan(0);
    const { text } = await metrics.scrape();
    const line = text.split('\n').find((l) => l.startsWith('ntk_job_items_total{job="mail_outbox"} '));
    expect(Number(line?.split(' ')[1])).toBe(sent);
    expect(text).toMatch(/^ntk_job_runs_total\{job="mail_outbox",result="ok"\} [1-9]/m);
  });
});
