/**
 * Guessing a verification code, over HTTP with the codes read from a real SMTP sink: a new code
 * does not bring new guesses with it (a request has 10 wrong codes in all, whatever it was sent),
 * and new requests do not either (a customer's requests have 15 wrong codes in 24 hours in all).
 * Once a budget is spent, the right code and a wrong one are refused alike, before any comparison.
 */
import nodemailer from 'nodemailer';
import { AuditLog } from '../../src/audit/audit-log';
import { mintDevToken } from '../../src/auth/dev-token';
import { PrivacyRights } from '../../src/domains/privacy-requests/privacy-rights';
import { startMailSink, type MailSink, type ReceivedMail } from '../../src/mail/mail-sink';
import { MailWorker } from '../../src/mail/mail-worker';
import { createLogger } from '../../src/platform/logger';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const SUBMIT = `mutation($input: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $input) { id status } }`;
const VERIFY = `mutation($input: VerifyPrivacyRequestInput!) { verifyPrivacyRequest(input: $input) { id status } }`;
const RESEND = `mutation($id: ID!) { resendPrivacyRequestCode(input: { requestId: $id }) { id status } }`;

interface Body {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

describe('the attempt budgets of verification codes', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let sink: MailSink;
  let worker: MailWorker;
  let auditLog: AuditLog;
  let customers: string[];
  let shiftMs = 0;
  const now = () => new Date(Date.now() + shiftMs);
  const logLines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });

  const tokenOf = (customerId: string) => mintDevToken({ kind: 'customer', customerId, purposes: ['data_subject_request'] }, gw.authConfig);
  const agent = () => mintDevToken({ kind: 'staff', roles: ['customer_service'], purposes: ['data_subject_request'], subject: 'agent-guessing' }, gw.authConfig);
  const call = async (token: string, query: string, variables: Record<string, unknown>) => (await gw.post({ query, variables }, { authorization: `Bearer ${token}` })).json as Body;
  const codeOf = (mail: ReceivedMail): string => /Verification code: (\d{6})/.exec(mail.text)![1];
  const nextCode = async (requestId: string, after: number) => codeOf(await sink.next((m) => m.text.includes(requestId) && sink.mails.indexOf(m) >= after));
  const submit = async (token: string, input: Record<string, unknown>) => {
    const before = sink.mails.length;
    const body = await call(token, SUBMIT, { input });
    expect(body.errors).toBeUndefined();
    const id: string = body.data!.submitPrivacyRequest.id;
    return { id, code: await nextCode(id, before) };
  };
  const resend = async (token: string, id: string) => {
    shiftMs += 61_000;
    const before = sink.mails.length;
    const body = await call(token, RESEND, { id });
    return body.errors ? { refused: body.errors[0].extensions } : { code: await nextCode(id, before) };
  };
  const verify = (token: string, requestId: string, code: string) => call(token, VERIFY, { input: { requestId, code } });
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
  /** Sends `n` wrong codes; the reasons they were answered with. */
  const guess = async (token: string, requestId: string, code: string, n: number) => {
    const reasons: string[] = [];
    for (let i = 0; i < n; i++) reasons.push((await verify(token, requestId, wrongFor(code))).errors![0].extensions!.reason);
    return reasons;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    sink = await startMailSink();
    auditLog = new AuditLog(db.dataSource, { logger });
    const rights = new PrivacyRights({ secret: 'verification-budget-secret-0123456789', calendar: { timeZone: 'UTC', holidays: [] }, publicUrl: 'http://download.invalid', now });
    gw = await startHttpGateway(db, { rights, auditLog, logger });
    worker = new MailWorker({ dataSource: db.dataSource, transport: nodemailer.createTransport(sink.url), from: 'privacy@shop.invalid', box: rights.box, auditLog, logger, pollMs: 50, now });
    worker.start();
    customers = (await db.dataSource.query(
      `SELECT c.id FROM customer c WHERE c.status = 'active' AND NOT EXISTS (SELECT 1 FROM privacy_request r WHERE r.customer_id = c.id) ORDER BY c.id LIMIT 4`,
    )).map((r: { id: string }) => r.id);
  });
  afterAll(async () => {
    await worker.stop();
    await gw.close();
    await auditLog.close();
    await sink.close();
    await db.drop();
  });

  it('a request has 10 wrong codes in all: a new code carries the attempts that are left, and none once they are spent', async () => {
    const token = await tokenOf(customers[0]);
    const { id, code } = await submit(token, { type: 'OBJECTION' });
    expect(await guess(token, id, code, 5)).toEqual(Array(5).fill('CODE_WRONG'));
    const second = await resend(token, id);
    expect(await guess(token, id, second.code!, 4)).toEqual(Array(4).fill('CODE_WRONG'));
    // A third code mid-way keeps the one attempt left: it is not a fresh five.
    const third = await resend(token, id);
    const last = await verify(token, id, wrongFor(third.code!));
    expect(last.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CODE_WRONG', attemptsLeft: 0 });
    // Spent: no new code, and the right code of the last one is refused as the wrong one is.
    expect((await resend(token, id)).refused).toMatchObject({ code: 'RATE_LIMITED', reason: 'CODE_ATTEMPTS_SPENT' });
    const right = await verify(token, id, third.code!);
    const wrong = await verify(token, id, wrongFor(third.code!));
    expect(right).toEqual(wrong);
    expect(right.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CODE_EXPIRED' });
    expect((await db.dataSource.query(`SELECT status FROM privacy_request WHERE id = $1`, [id]))[0].status).toBe('received');
  });

  it("one request's code does not verify another, a code verifies once, and no code reaches a log line", async () => {
    const customer = customers[2];
    const token = await tokenOf(customer);
    const first = await submit(token, { type: 'ACCESS' });
    const second = await submit(token, { type: 'ACCESS' });
    if (first.code !== second.code) {
      const crossed = await verify(token, second.id, first.code);
      expect(crossed.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CODE_WRONG', attemptsLeft: 4 });
    }
    expect((await verify(token, first.id, first.code)).data!.verifyPrivacyRequest.status).toBe('COMPLETED');
    const again = await verify(token, first.id, first.code);
    expect(again.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'REQUEST_STATE', requestStatus: 'completed' });
    // Standing alone, not inside a longer run of digits (a time) or of hex (an id).
    expect(logLines.length).toBeGreaterThan(0);
    for (const code of [first.code, second.code]) expect(logLines.filter((l) => new RegExp(`(?<![0-9a-f])${code}(?![0-9a-f])`).test(l))).toEqual([]);
  });

  it("a customer's requests have 15 wrong codes in 24 hours in all, whoever sends them: a new request brings no new guesses until the day has passed", async () => {
    const customer = customers[1];
    const token = await tokenOf(customer);
    const staff = await agent();
    for (const [sender, n] of [[token, 5], [staff, 5], [token, 5]] as const) {
      const { id, code } = await submit(staff, { type: 'RECTIFICATION', customerId: customer });
      expect(await guess(sender, id, code, n)).toEqual(Array(n).fill('CODE_WRONG'));
    }
    // A fourth request: its right code is refused as a wrong one is, and neither costs an attempt.
    const fourth = await submit(token, { type: 'OBJECTION' });
    const right = await verify(token, fourth.id, fourth.code);
    const wrong = await verify(staff, fourth.id, wrongFor(fourth.code));
    expect(right.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'CODE_ATTEMPTS_SPENT' });
    expect(wrong.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'CODE_ATTEMPTS_SPENT' });
    // Alike but for the seconds to wait, which the two calls may read a second apart.
    const unclocked = (b: Body) => b.errors![0].message.replace(/\d+ s$/, 'N s');
    expect(unclocked(wrong)).toBe(unclocked(right));
    expect((await db.dataSource.query(`SELECT attempts_left FROM privacy_request_code WHERE request_id = $1`, [fourth.id]))[0].attempts_left).toBe(5);
    // Another customer is not held back by it.
    const other = await tokenOf(customers[3]);
    const theirs = await submit(other, { type: 'OBJECTION' });
    expect((await verify(other, theirs.id, theirs.code)).data!.verifyPrivacyRequest.status).toBe('COMPLETED');

    // A day on, a new code verifies.
    shiftMs += 24 * 3600_000;
    const fresh = await resend(token, fourth.id);
    expect((await verify(token, fourth.id, fresh.code!)).data!.verifyPrivacyRequest.status).toBe('COMPLETED');
  });
});
