/**
 * The mail worker against a real SMTP sink, under failures: a mail sent is marked sent on its own,
 * so a failure later in the same run never puts it back in the queue to go out again; a mail sent
 * again after a crash between sending and marking carries the Message-ID it had the first time,
 * so the recipient's mail system takes it as the same message; and a mail goes to the address on
 * file when it leaves, not to one the customer has since corrected; and a mail is retried for as
 * long as the code it carries works.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { AuditLog } from '../../src/audit/audit-log';
import { CODE_TTL_MS } from '../../src/domains/privacy-requests/identity-codes';
import type { AuditEventInput } from '../../src/audit/audit-record';
import { startMailSink, type MailSink } from '../../src/mail/mail-sink';
import { MailWorker } from '../../src/mail/mail-worker';
import { createSmtpTransport } from '../../src/mail/smtp-transport';
import net from 'node:net';
import { enqueueMail, outboxBacklog } from '../../src/mail/outbox';
import { createLogger } from '../../src/platform/logger';
import { SecretBox } from '../../src/platform/secret-box';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';

const box = new SecretBox('mail-outbox-test-secret-0123456789abcdef');
const logger = createLogger('silent');

describe('the mail outbox under failures', () => {
  let db: TestDatabase;
  let sink: MailSink;
  let auditLog: AuditLog;
  let customers: Array<{ id: string; email: string }>;
  let next = 0;
  /** A customer no other test of this file has mailed. */
  const freshCustomer = () => customers[next++];

  const queue = async (customer: { id: string; email: string }, text: string) =>
    enqueueMail(db.dataSource, box, { customerId: customer.id, topic: `test:${text}`, to: customer.email, subject: 'A test mail', text }, new Date(Date.now() - 1000));
  const worker = (options: Partial<ConstructorParameters<typeof MailWorker>[0]> = {}) =>
    new MailWorker({ dataSource: db.dataSource, transport: nodemailer.createTransport(sink.url), from: 'need-to-know <privacy@shop.example>', box, auditLog, logger, ...options });
  const received = (text: string) => sink.mails.filter((m) => m.text.trim() === text);
  const outboxRow = async (id: string) =>
    (await db.dataSource.query(`SELECT status, to_address, attempts, sealed_body IS NULL AS wiped FROM mail_outbox WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    sink = await startMailSink();
    auditLog = new AuditLog(db.dataSource, { logger });
    customers = await db.dataSource.query(`SELECT id, email FROM customer WHERE status = 'active' ORDER BY id LIMIT 10`);
    // Only this file's mails are due.
    await db.dataSource.query(`UPDATE mail_outbox SET next_attempt_at = now() + interval '1 year' WHERE status = 'pending'`);
  });
  afterAll(async () => {
    await auditLog.close();
    await sink.close();
    await db.drop();
  });

  it('a mail sent stays sent when a later mail of the same run fails: it is never sent twice', async () => {
    const first = await queue(freshCustomer(), 'first of the run');
    const second = await queue(freshCustomer(), 'second of the run');
    // The audit log takes the first mail's event, then fails (the database went away mid-run).
    let appended = 0;
    const failing = {
      append: (event: AuditEventInput) => (++appended === 1 ? auditLog.append(event) : Promise.reject(new Error('the audit log cannot be written'))),
    };
    await expect(worker({ auditLog: failing }).runOnce()).rejects.toThrow('the audit log cannot be written');
    expect(received('first of the run')).toHaveLength(1);
    expect(received('second of the run')).toHaveLength(0);
    expect(await outboxRow(first)).toEqual({ status: 'sent', to_address: expect.any(String), attempts: 1, wiped: true });

    // The next run sends what is left, and only that.
    expect(await worker().runOnce()).toEqual({ sent: 1, retrying: 0, givenUp: 0 });
    expect([received('first of the run').length, received('second of the run').length]).toEqual([1, 1]);
    expect((await outboxRow(second)).status).toBe('sent');
  });

  it('a mail sent again after a crash between sending and marking it sent carries the same Message-ID, named after its outbox row', async () => {
    const id = await queue(freshCustomer(), 'sent, then the process died');
    // The SMTP exchange completes, and the process dies before the mail is marked sent: modelled
    // by a transport that sends and then reports a failure, so the row stays pending.
    const real = nodemailer.createTransport(sink.url);
    const dying = { sendMail: async (mail: SendMailOptions) => { await real.sendMail(mail); throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }); } };
    expect(await worker({ transport: dying }).runOnce()).toEqual({ sent: 0, retrying: 1, givenUp: 0 });
    await db.dataSource.query(`UPDATE mail_outbox SET next_attempt_at = now() - interval '1 second' WHERE id = $1`, [id]);
    expect(await worker().runOnce()).toEqual({ sent: 1, retrying: 0, givenUp: 0 });
    const copies = received('sent, then the process died');
    expect(copies.map((m) => m.messageId)).toEqual([`<${id}@shop.example>`, `<${id}@shop.example>`]);
  });

  it('is in the audit log, naming its customer and what it disclosed, before it is handed to the mail server', async () => {
    const customer = freshCustomer();
    const id = await queue(customer, 'audited before it leaves');
    const real = nodemailer.createTransport(sink.url);
    const seenAtSend: unknown[] = [];
    const watching = {
      sendMail: async (mail: SendMailOptions) => {
        seenAtSend.push(
          ...(await db.dataSource.query(
            `SELECT e.principal_kind, e.purpose, e.subject_id, e.outcome FROM audit_event e WHERE e.operation_name = 'sendMail' AND e.detail->>'mail' = $1`,
            [id],
          )),
        );
        return real.sendMail(mail);
      },
    };
    expect(await worker({ transport: watching }).runOnce()).toEqual({ sent: 1, retrying: 0, givenUp: 0 });
    expect(seenAtSend).toEqual([{ principal_kind: 'system', purpose: 'data_subject_request', subject_id: customer.id, outcome: 'ok' }]);
    expect(received('audited before it leaves')).toHaveLength(1);
  });

  it('goes to the address on file when it leaves: one the customer corrected since it was queued is not used', async () => {
    const customer = freshCustomer();
    const id = await queue(customer, 'queued before a correction');
    const corrected = `corrected-${customer.id.slice(0, 8)}@mail.example`;
    await db.dataSource.query(`UPDATE customer SET email = $2 WHERE id = $1`, [customer.id, corrected]);
    expect(await worker().runOnce()).toEqual({ sent: 1, retrying: 0, givenUp: 0 });
    expect(received('queued before a correction').map((m) => m.to)).toEqual([[corrected]]);
    // The outbox and the audit log say where it went.
    expect((await outboxRow(id)).to_address).toBe(corrected);
    const [event] = await db.dataSource.query(`SELECT detail FROM audit_event WHERE operation_name = 'sendMail' AND detail->>'mail' = $1 ORDER BY at DESC LIMIT 1`, [id]);
    expect(event.detail).toEqual({ mail: id, topic: 'test:queued before a correction', attempt: 1, readdressed: true });
  });

  it('is retried for as long as the code it carries works: a mail server down for 15 minutes loses no mail', async () => {
    const id = await queue(freshCustomer(), 'through an outage');
    const queuedAt = Date.now();
    let clock = queuedAt;
    const down = { sendMail: async () => Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNECTION' })) };
    const during = worker({ transport: down, now: () => new Date(clock) });
    let row: { status: string; next_attempt_at: Date };
    for (;;) {
      await during.runOnce();
      [row] = await db.dataSource.query(`SELECT status, next_attempt_at FROM mail_outbox WHERE id = $1`, [id]);
      if (row.status !== 'pending' || row.next_attempt_at.getTime() - queuedAt > CODE_TTL_MS) break;
      clock = row.next_attempt_at.getTime();
    }
    expect(row.status).toBe('pending');
    // The server is back: the mail goes.
    clock = row.next_attempt_at.getTime();
    expect(await worker({ now: () => new Date(clock) }).runOnce()).toEqual({ sent: 1, retrying: 0, givenUp: 0 });
    expect(received('through an outage')).toHaveLength(1);
  });

  it("counts the mails given up in the last 24 hours, whatever the session's time zone: a day in Los Angeles that lost an hour does not drop one", async () => {
    // Noon in Los Angeles on the day clocks went forward (8 March 2026): the calendar day before began 23 hours earlier.
    const at = new Date('2026-03-08T19:00:00Z');
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`SET LOCAL TIME ZONE 'America/Los_Angeles'`);
      await runner.query(`UPDATE mail_outbox SET status = 'sent' WHERE status = 'failed'`);
      const failed = (created: string) =>
        runner.query(
          `INSERT INTO mail_outbox (customer_id, topic, to_address, subject, status, attempts, next_attempt_at, created_at)
           VALUES (NULL, 'test:backlog', 'nobody@example.test', 'A test mail', 'failed', 11, $1, $1)`,
          [created],
        );
      // 23 h 30 min before: inside the last 24 hours, outside the calendar day before in Los Angeles.
      await failed('2026-03-07T19:30:00Z');
      // 1 hour before, and 24 h 30 min before (outside).
      await failed('2026-03-08T18:00:00Z');
      await failed('2026-03-07T18:30:00Z');
      expect((await outboxBacklog(runner, at)).failedLastDay).toBe(2);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('is given up, unsent and with its body wiped, when its customer has been erased since it was queued', async () => {
    const customer = freshCustomer();
    const id = await queue(customer, 'queued before an erasure');
    await db.dataSource.query(`UPDATE customer SET status = 'erased', email = $2 WHERE id = $1`, [customer.id, `erased-${customer.id}@erased.invalid`]);
    expect(await worker().runOnce()).toEqual({ sent: 0, retrying: 0, givenUp: 1 });
    expect(received('queued before an erasure')).toEqual([]);
    expect(await outboxRow(id)).toEqual({ status: 'failed', to_address: customer.email, attempts: 1, wiped: true });
  });

  it('ends an attempt on a mail server that takes the connection and never greets, and retries it: the outbox is not held', async () => {
    const silent = net.createServer(() => undefined);
    const held = new Set<net.Socket>();
    silent.on('connection', (s) => held.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const id = await queue(freshCustomer(), 'to a silent server');
    try {
      const transport = createSmtpTransport(`smtp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
      expect(await worker({ transport }).runOnce()).toEqual({ sent: 0, retrying: 1, givenUp: 0 });
      expect(held.size).toBe(1);
      expect(await db.dataSource.query(`SELECT status, attempts, last_error FROM mail_outbox WHERE id = $1`, [id])).toEqual([{ status: 'pending', attempts: 1, last_error: 'ETIMEDOUT' }]);
    } finally {
      // Not left due for another test's run.
      await db.dataSource.query(`UPDATE mail_outbox SET status = 'failed', sealed_body = NULL WHERE id = $1`, [id]);
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
