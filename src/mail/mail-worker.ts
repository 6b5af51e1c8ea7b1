/**
 * Sends the mail outbox over SMTP (nodemailer). Each run takes the due mails one at a time, each
 * in a transaction of its own with `FOR UPDATE SKIP LOCKED`, so several gateway processes never
 * send one mail twice and a failure after a mail was sent never puts it back in the queue; for
 * each: records the disclosure in the audit log (the customer's address and what the mail is
 * about, never its text) before the mail leaves, sends it to the address on file at that moment
 * (a customer's correction made since it was queued is followed; an erased customer is mailed
 * nothing), and marks it sent, wiping its sealed body. A crash between the SMTP exchange and that
 * mark leaves the mail pending, so it is sent again: with the same Message-ID (`<mail id@sender's
 * domain>`), which recipients' mail systems take as the same message.
 * A failed attempt is retried with exponential back-off (1 s, 2 s, 4 s ... at most 15 minutes)
 * and given up after `maxAttempts` (DEFAULT_MAX_ATTEMPTS: for longer than a code works); the failure is audited and logged by its SMTP code only.
 */
import type { Transporter } from 'nodemailer';
import type { DataSource, QueryRunner } from 'typeorm';
import type { AuditLog } from '../audit/audit-log';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditEventInput } from '../audit/audit-record';
import type { Logger } from '../platform/logger';
import type { GatewayMetrics } from '../platform/metrics';
import { exponentialDelayMs, PollingLoop } from '../platform/polling-loop';
import { privacyRequestOfTopic } from './outbox';
import type { SecretBox } from '../platform/secret-box';

export interface MailWorkerOptions {
  dataSource: DataSource;
  transport: Pick<Transporter, 'sendMail'>;
  from: string;
  box: SecretBox;
  auditLog: Pick<AuditLog, 'append'>;
  logger: Logger;
  /** How often the outbox is looked at, in ms. Default 500. */
  pollMs?: number;
  /** Mails per run. Default 10. */
  batchSize?: number;
  /** Attempts before a mail is given up. Default DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: number;
  now?: () => Date;
  /** The jobs metric: each run that handled mail counts as ok with the mails sent, a run that failed as failed. */
  metrics?: Pick<GatewayMetrics, 'job'>;
}

export const MAX_BACKOFF_MS = 15 * 60_000;
/**
 * The waits before the 11th attempt add up to 1,023 s, about 17 minutes: longer than the
 * 15 minutes a one-time code works, so a mail server down for as long as the mail could still
 * be of use loses none. A mail given up after that carries a code that no longer works.
 */
export const DEFAULT_MAX_ATTEMPTS = 11;

/** The wait after the `attempt`-th failure (1-based): 1 s, 2 s, 4 s ... at most 15 minutes. */
export function backoffMs(attempt: number): number {
  return exponentialDelayMs(attempt, 1000, MAX_BACKOFF_MS);
}

export interface MailRun {
  sent: number;
  retrying: number;
  givenUp: number;
}

interface DueMail {
  id: string;
  customer_id: string | null;
  topic: string;
  to_address: string;
  subject: string;
  sealed_body: Buffer | null;
  attempts: number;
  /** The customer's email and status as the mail leaves (null for a mail of no customer). */
  current_address: string | null;
  customer_status: string | null;
}

/** What the mail server and the recipient learn: the customer's address (Customer.email). */
const MAIL_DISCLOSES = ['Customer.email'];

export class MailWorker {
  private readonly loop: PollingLoop<MailRun>;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;
  /** The domain of the sender's address, for Message-IDs (`<mail id@domain>`). */
  private readonly messageIdDomain: string;

  constructor(private readonly options: MailWorkerOptions) {
    this.loop = new PollingLoop(() => this.run(), options.pollMs ?? 500, (error) => options.logger.warn({ err: error }, 'the mail outbox could not be sent'));
    this.batchSize = options.batchSize ?? 10;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.now = options.now ?? (() => new Date());
    this.messageIdDomain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'need-to-know.invalid';
  }

  start(): void {
    this.loop.start();
  }

  /** Stops polling and waits for the run in progress. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Sends the mails due now; one run at a time per worker. */
  runOnce(): Promise<MailRun> {
    return this.loop.runOnce();
  }

  private async run(): Promise<MailRun> {
    const result: MailRun = { sent: 0, retrying: 0, givenUp: 0 };
    try {
      for (let i = 0; i < this.batchSize; i++) {
        const handled = await this.sendNext();
        if (handled === undefined) break;
        result[handled]++;
      }
    } catch (error) {
      this.options.metrics?.job('mail_outbox', 'failed');
      throw error;
    }
    if (result.sent + result.retrying + result.givenUp > 0) this.options.metrics?.job('mail_outbox', 'ok', result.sent);
    return result;
  }

  /**
   * Takes the next due mail and sends it, in a transaction of its own: what it did to that mail
   * is committed before the next is taken, so a failure later never puts a sent mail back in the
   * queue. Undefined when no mail is due.
   */
  private async sendNext(): Promise<keyof MailRun | undefined> {
    const runner = this.options.dataSource.createQueryRunner('master');
    await runner.connect();
    try {
      await runner.startTransaction();
      const [mail]: DueMail[] = await runner.query(
        `SELECT m.id, m.customer_id, m.topic, m.to_address, m.subject, m.sealed_body, m.attempts, c.email AS current_address, c.status AS customer_status
           FROM mail_outbox m LEFT JOIN customer c ON c.id = m.customer_id
          WHERE m.status = 'pending' AND m.next_attempt_at <= $1 ORDER BY m.next_attempt_at, m.id LIMIT 1 FOR UPDATE OF m SKIP LOCKED`,
        [this.now()],
      );
      if (mail === undefined) {
        await runner.commitTransaction();
        return undefined;
      }
      const handled = await this.send(runner, mail);
      await runner.commitTransaction();
      return handled;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async send(runner: QueryRunner, mail: DueMail): Promise<keyof MailRun> {
    const attempt = mail.attempts + 1;
    const giveUp = async (reason: string): Promise<'givenUp'> => {
      await runner.query(`UPDATE mail_outbox SET status = 'failed', sealed_body = NULL, attempts = $2, last_error = $3 WHERE id = $1`, [mail.id, attempt, reason]);
      return 'givenUp';
    };
    // A customer's mail goes to the address on file as it leaves: one the customer has corrected
    // since it was queued may be someone else's now. An erased customer is mailed nothing.
    if (mail.customer_id !== null && mail.customer_status !== 'active') {
      this.options.logger.warn({ mail: mail.id }, 'a mail of a customer no longer active: given up unsent');
      return giveUp('the customer is no longer active');
    }
    const to = mail.current_address ?? mail.to_address;
    const readdressed = to !== mail.to_address;
    const event = (outcome: AuditOutcome, errorCodes: string[] = []): AuditEventInput => ({
      requestId: `mail:${mail.id}:${attempt}`,
      principal: { kind: 'system', id: 'mail-worker' },
      purpose: 'data_subject_request',
      operationType: null,
      operationName: 'sendMail',
      subjectIds: mail.customer_id ? [mail.customer_id] : [],
      disclosed: outcome === AuditOutcome.OK ? MAIL_DISCLOSES : [],
      outcome,
      errorCodes,
      privacyRequestReference: privacyRequestOfTopic(mail.topic) ?? null,
      detail: { mail: mail.id, topic: mail.topic, attempt, ...(readdressed && { readdressed: true }) },
    });
    let text: string;
    try {
      if (!mail.sealed_body) throw new Error('the mail has no body');
      text = this.options.box.open(mail.sealed_body, mail.id);
    } catch {
      // A body that does not open (the secret changed, and the one it was sealed under is no longer a previous one) can never be sent.
      this.options.logger.error({ mail: mail.id }, 'a mail body does not open under PRIVACY_SECRET or PRIVACY_SECRET_PREVIOUS: given up');
      return giveUp('the sealed body does not open');
    }
    // Recorded before it leaves: an unaudited disclosure is worse than a mail sent late.
    await this.options.auditLog.append(event(AuditOutcome.OK));
    try {
      // One Message-ID per mail, whichever attempt: sent again after a crash between sending and
      // marking it sent, it is the same message to the recipient's mail system.
      await this.options.transport.sendMail({ from: this.options.from, to, subject: mail.subject, text, messageId: `<${mail.id}@${this.messageIdDomain}>` });
    } catch (error) {
      const code = smtpErrorOf(error);
      const givenUp = attempt >= this.maxAttempts;
      await runner.query(
        `UPDATE mail_outbox SET attempts = $2, last_error = $3, next_attempt_at = $4, status = $5::mail_status, sealed_body = CASE WHEN $5 = 'failed' THEN NULL ELSE sealed_body END WHERE id = $1`,
        [mail.id, attempt, code, new Date(this.now().getTime() + backoffMs(attempt)), givenUp ? 'failed' : 'pending'],
      );
      await this.options.auditLog.append(event(AuditOutcome.ERROR, ['MAIL_NOT_SENT']));
      this.options.logger.warn({ mail: mail.id, attempt, error: code, givenUp }, 'a mail could not be sent');
      return givenUp ? 'givenUp' : 'retrying';
    }
    await runner.query(`UPDATE mail_outbox SET status = 'sent', sent_at = $2, sealed_body = NULL, attempts = $3, last_error = NULL, to_address = $4 WHERE id = $1`, [mail.id, this.now(), attempt, to]);
    return 'sent';
  }
}

/** The SMTP failure without the mail's content: nodemailer's code and the server's reply code. */
function smtpErrorOf(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown };
  const parts = [typeof e.code === 'string' ? e.code : 'ERROR', typeof e.responseCode === 'number' ? String(e.responseCode) : ''].filter(Boolean);
  return parts.join(' ').slice(0, 500);
}
