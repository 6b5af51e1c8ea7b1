/**
 * Rotating PRIVACY_SECRET end to end, over HTTP with a real SMTP sink: a mail queued, a code
 * issued and an export link made under secret A; the gateway restarted with B current and A as
 * PRIVACY_SECRET_PREVIOUS, where all three work; then with B alone, where what was made under A
 * is refused exactly as it is without a previous secret (the mail given up unsent and unaudited,
 * the code answered as a wrong one) — except the export link, which is a random token whose hash
 * is stored and is under no secret. And `secrets reseal`, which moves queued mail to B so A can go.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { AuditLog } from '../../src/audit/audit-log';
import { mintDevToken } from '../../src/auth/dev-token';
import { PrivacyRights } from '../../src/domains/privacy-requests/privacy-rights';
import { startMailSink, type MailSink, type ReceivedMail } from '../../src/mail/mail-sink';
import { MailWorker } from '../../src/mail/mail-worker';
import { outboxSealedStore } from '../../src/mail/outbox';
import { createLogger } from '../../src/platform/logger';
import { resealStore } from '../../src/platform/reseal';
import { SecretBox } from '../../src/platform/secret-box';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { startServeProcess } from '../harness/serve-process';

const A = 'privacy-secret-A-0123456789abcdefghijklmnop';
const B = 'privacy-secret-B-0123456789abcdefghijklmnop';
const SUBMIT = `mutation($input: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $input) { id status } }`;
const VERIFY = `mutation($input: VerifyPrivacyRequestInput!) { verifyPrivacyRequest(input: $input) { id status } }`;
const EXPORT_LINK = `mutation($id: ID!) { createPrivacyExportLink(input: { requestId: $id }) { url } }`;

describe('rotating PRIVACY_SECRET', () => {
  let db: TestDatabase;
  let sink: MailSink;
  let auditLog: AuditLog;
  const logger = createLogger('silent');
  let customers: string[];

  /** The gateway and a mail worker (run by hand) under `secret`, with `previous` secrets. */
  async function gatewayUnder(secret: string, previous: string[] = []) {
    const rights = new PrivacyRights({ secret, previousSecrets: previous, calendar: { timeZone: 'UTC', holidays: [] }, publicUrl: 'http://download.invalid' });
    const gw = await startHttpGateway(db, { rights, auditLog, logger });
    const worker = new MailWorker({ dataSource: db.dataSource, transport: nodemailer.createTransport(sink.url), from: 'privacy@shop.invalid', box: rights.box, auditLog, logger });
    const call = async (customerId: string, query: string, variables: Record<string, unknown>) => {
      const token = await mintDevToken({ kind: 'customer', customerId, purposes: ['data_subject_request'] }, gw.authConfig);
      return (await gw.post({ query, variables }, { authorization: `Bearer ${token}` })).json as { data?: any; errors?: Array<{ message: string; extensions: Record<string, unknown> }> };
    };
    return { gw, worker, call };
  }
  const codeOf = (mail: ReceivedMail): string => /Verification code: (\d{6})/.exec(mail.text)![1];
  const mailOf = (requestId: string) => sink.next((m) => m.text.includes(requestId));
  const outbox = async (requestId: string) =>
    (await db.dataSource.query(`SELECT status, sealed_body IS NULL AS wiped, last_error FROM mail_outbox WHERE topic = $1`, [`privacy_request:${requestId}`]))[0];
  const sendMailEvents = async (requestId: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE operation_name = 'sendMail' AND privacy_request_reference = $1`, [requestId]))[0].n;
  /** Holds a queued mail back (not due) so a worker leaves it, or makes it due again. */
  const due = (requestId: string, isDue: boolean) =>
    db.dataSource.query(`UPDATE mail_outbox SET next_attempt_at = now() + $2::interval WHERE topic = $1`, [`privacy_request:${requestId}`, isDue ? '-1 second' : '1 day']);
  const download = (gw: HttpGateway, url: string) => fetch(`${gw.url}${new URL(url).pathname}`, { method: 'POST' });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    sink = await startMailSink();
    auditLog = new AuditLog(db.dataSource, { logger });
    customers = (await db.dataSource.query(
      `SELECT c.id FROM customer c WHERE c.status = 'active' AND NOT EXISTS (SELECT 1 FROM privacy_request r WHERE r.customer_id = c.id) ORDER BY c.id LIMIT 7`,
    )).map((r: { id: string }) => r.id);
  });
  afterAll(async () => {
    await auditLog.close();
    await sink.close();
    await db.drop();
  });

  it('keeps a queued mail, a code and an export link made under the old secret working while it is a previous one, and refuses them as documented once it is dropped', async () => {
    const [accessCustomer, queuedCustomer, sentCustomer, heldCustomer] = customers;

    // Under A: an access request completed and two export links made; a code mailed (sent);
    // then, with the worker stopped, two codes whose mails wait in the outbox.
    const underA = await gatewayUnder(A);
    const access = (await underA.call(accessCustomer, SUBMIT, { input: { type: 'ACCESS' } })).data!.submitPrivacyRequest;
    const sent = (await underA.call(sentCustomer, SUBMIT, { input: { type: 'OBJECTION' } })).data!.submitPrivacyRequest;
    expect(await underA.worker.runOnce()).toEqual({ sent: 2, retrying: 0, givenUp: 0 });
    expect((await underA.call(accessCustomer, VERIFY, { input: { requestId: access.id, code: codeOf(await mailOf(access.id)) } })).data!.verifyPrivacyRequest.status).toBe('COMPLETED');
    const sentCode = codeOf(await mailOf(sent.id));
    const [linkOne, linkTwo] = [
      (await underA.call(accessCustomer, EXPORT_LINK, { id: access.id })).data!.createPrivacyExportLink.url,
      (await underA.call(accessCustomer, EXPORT_LINK, { id: access.id })).data!.createPrivacyExportLink.url,
    ];
    const queued = (await underA.call(queuedCustomer, SUBMIT, { input: { type: 'OBJECTION' } })).data!.submitPrivacyRequest;
    const held = (await underA.call(heldCustomer, SUBMIT, { input: { type: 'OBJECTION' } })).data!.submitPrivacyRequest;
    await underA.gw.close();
    await due(held.id, false);

    // B current, A previous: the queued mail is sent (and audited), its code verifies, the link downloads.
    const rotated = await gatewayUnder(B, [A]);
    try {
      expect(await rotated.worker.runOnce()).toEqual({ sent: 1, retrying: 0, givenUp: 0 });
      expect(await outbox(queued.id)).toEqual({ status: 'sent', wiped: true, last_error: null });
      expect(await sendMailEvents(queued.id)).toBe(1);
      const verified = await rotated.call(queuedCustomer, VERIFY, { input: { requestId: queued.id, code: codeOf(await mailOf(queued.id)) } });
      expect(verified).toEqual({ data: { verifyPrivacyRequest: { id: queued.id, status: 'COMPLETED' } } });
      expect((await download(rotated.gw, linkOne)).status).toBe(200);
    } finally {
      await rotated.gw.close();
    }

    // B alone: the held mail does not open and is given up, unsent and unaudited; the code mailed
    // under A is answered as a wrong code is (an attempt spent); the export link still downloads.
    const underB = await gatewayUnder(B);
    try {
      await due(held.id, true);
      expect(await underB.worker.runOnce()).toEqual({ sent: 0, retrying: 0, givenUp: 1 });
      expect(await outbox(held.id)).toEqual({ status: 'failed', wiped: true, last_error: 'the sealed body does not open' });
      expect(await sendMailEvents(held.id)).toBe(0);
      expect(sink.mails.filter((m) => m.text.includes(held.id))).toEqual([]);

      const underOldSecret = await underB.call(sentCustomer, VERIFY, { input: { requestId: sent.id, code: sentCode } });
      const wrong = await underB.call(sentCustomer, VERIFY, { input: { requestId: sent.id, code: sentCode === '000000' ? '111111' : '000000' } });
      expect(underOldSecret).toEqual({
        data: null,
        errors: [expect.objectContaining({ message: 'The verification code is wrong: 4 attempt(s) left', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'CODE_WRONG', attemptsLeft: 4 }) })],
      });
      expect(wrong).toEqual({
        data: null,
        errors: [expect.objectContaining({ message: 'The verification code is wrong: 3 attempt(s) left', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'CODE_WRONG', attemptsLeft: 3 }) })],
      });
      expect((await download(underB.gw, linkTwo)).status).toBe(200);
    } finally {
      await underB.gw.close();
    }
  });

  it('`serve` warns once at start-up of each previous secret configured, by name, never by value', async () => {
    const { publicKey: current } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { publicKey: previous } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string;
    const cursorPrevious = 'cursor-secret-previous-0123456789abcdefghij';
    const gateway = await startServeProcess(db, {
      SMTP_URL: sink.url,
      METRICS_PORT: '0',
      PRIVACY_SECRET: B,
      PRIVACY_SECRET_PREVIOUS: A,
      CURSOR_SECRET_PREVIOUS: cursorPrevious,
      JWT_PUBLIC_KEY: pem(current),
      JWT_PUBLIC_KEY_PREVIOUS: pem(previous),
    });
    try {
      const warnings = gateway.lines.filter((l) => l.level === 40 && Array.isArray(l.settings));
      expect(warnings.map((w) => w.settings)).toEqual([['CURSOR_SECRET_PREVIOUS', 'PRIVACY_SECRET_PREVIOUS', 'JWT_PUBLIC_KEY_PREVIOUS']]);
      const everything = JSON.stringify(gateway.lines);
      for (const value of [A, cursorPrevious, pem(previous).split('\n')[1]]) expect(everything).not.toContain(value);
    } finally {
      await gateway.stop();
    }
    const quiet = await startServeProcess(db, { SMTP_URL: sink.url, METRICS_PORT: '0', PRIVACY_SECRET: B });
    try {
      expect(quiet.lines.filter((l) => Array.isArray(l.settings))).toEqual([]);
    } finally {
      await quiet.stop();
    }
  }, 60_000);

  it('`secrets reseal` moves queued mail to the current secret, resumably, so the previous one can be dropped', async () => {
    const customer = customers[4];
    const underA = await gatewayUnder(A);
    const request = (await underA.call(customer, SUBMIT, { input: { type: 'OBJECTION' } })).data!.submitPrivacyRequest;
    await underA.gw.close();
    const [before] = await db.dataSource.query(`SELECT id, sealed_body FROM mail_outbox WHERE topic = $1`, [`privacy_request:${request.id}`]);
    const rotatedBox = new SecretBox(B, undefined, [A]);
    /** Which secret the request's queued mail is sealed under. */
    const pendingUnder = async () => {
      const rows: Array<{ id: string; sealed_body: Buffer }> = await db.dataSource.query(`SELECT id, sealed_body FROM mail_outbox WHERE topic = $1 AND status = 'pending'`, [`privacy_request:${request.id}`]);
      return rows.map((r) => (rotatedBox.reseal(r.sealed_body, r.id) ? 'A' : 'B'));
    };
    expect(await pendingUnder()).toEqual(['A']);

    // A dry run opens and counts, and writes nothing.
    expect(await resealStore(db.dataSource, outboxSealedStore(rotatedBox), { dryRun: true })).toEqual({ resealed: 1, current: 0, unopenable: 0 });
    expect((await db.dataSource.query(`SELECT sealed_body FROM mail_outbox WHERE id = $1`, [before.id]))[0].sealed_body).toEqual(before.sealed_body);

    // The command itself, as an operator runs it (the compiled dist/, which `npm test` builds first).
    const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'test', DATABASE_URL: db.url, PRIVACY_SECRET: B, PRIVACY_SECRET_PREVIOUS: A };
    const first = spawnSync(process.execPath, [path.resolve('dist/src/main.js'), 'secrets', 'reseal', '--batch', '1'], { encoding: 'utf8', env, timeout: 60_000 });
    expect({ status: first.status, stdout: first.stdout.split('\n')[0] }).toEqual({ status: 0, stdout: 'mail_outbox.sealed_body: 1 re-sealed, 0 under the current secret already, 0 under no configured secret' });
    expect(await pendingUnder()).toEqual(['B']);
    // Run again (as after an interruption): nothing left to do.
    const again = spawnSync(process.execPath, [path.resolve('dist/src/main.js'), 'secrets', 'reseal'], { encoding: 'utf8', env, timeout: 60_000 });
    expect({ status: again.status, stdout: again.stdout.split('\n')[0] }).toEqual({ status: 0, stdout: 'mail_outbox.sealed_body: 0 re-sealed, 1 under the current secret already, 0 under no configured secret' });

    // B alone now sends it. (Its code's hash cannot be re-sealed: it verifies under A only, for
    // the 15 minutes a code lives, which is why A stays a previous secret that long.)
    const underB = await gatewayUnder(B);
    try {
      expect(await underB.worker.runOnce()).toEqual({ sent: 1, retrying: 0, givenUp: 0 });
      expect(codeOf(await mailOf(request.id))).toMatch(/^\d{6}$/);
    } finally {
      await underB.gw.close();
    }
  });

  it('an interrupted `secrets reseal` leaves every batch whole, and running it again finishes the rest', async () => {
    const underA = await gatewayUnder(A);
    const requests = [];
    for (const customer of customers.slice(5, 7)) requests.push((await underA.call(customer, SUBMIT, { input: { type: 'OBJECTION' } })).data!.submitPrivacyRequest.id as string);
    await underA.gw.close();
    const topics = requests.map((id) => `privacy_request:${id}`);
    const box = new SecretBox(B, undefined, [A]);
    const underB = async () => {
      const rows: Array<{ id: string; sealed_body: Buffer }> = await db.dataSource.query(`SELECT id, sealed_body FROM mail_outbox WHERE topic = ANY($1) ORDER BY id`, [topics]);
      return rows.map((r) => box.reseal(r.sealed_body, r.id) === undefined);
    };
    const store = { ...outboxSealedStore(box), where: `status = 'pending' AND topic = ANY('{${topics.join(',')}}'::text[])` };

    // Stopped right after its first batch (of one row) committed.
    let batches = 0;
    const stopped = resealStore(db.dataSource, store, {
      batchSize: 1,
      onProgress: (_store, rows) => {
        if (rows > 0 && ++batches === 1) throw new Error('interrupted');
      },
    });
    await expect(stopped).rejects.toThrow('interrupted');
    expect(await underB()).toEqual([true, false]);

    expect(await resealStore(db.dataSource, store, { batchSize: 1 })).toEqual({ resealed: 1, current: 1, unopenable: 0 });
    expect(await underB()).toEqual([true, true]);
  });
});
