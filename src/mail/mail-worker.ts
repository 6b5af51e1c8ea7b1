/**
 * Sends the mail outbox over SMTP (nodemailer). Each run takes the due mails with
 * `FOR UPDATE SKIP LOCKED`, so several gateway processes never send one mail twice, and for each:
 * records the disclosure in the audit log (the customer's address and what the mail is about,
 * never its text) before the mail leaves, sends it, and marks it sent, wiping its sealed body.
 * A failed attempt is retried with exponential back-off (1 s, 2 s, 4 s ... at most 15 minutes)
 * and given up after `maxAttempts`; the failure is audited and logged by its SMTP code only.
 */
import type { Transporter } from 'nodemailer';
import type { DataSource } from 'typeorm';
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
  /** Attempts before a mail is given up. Default 8. */
  maxAttempts?: number;
  now?: () => Date;
  /** The jobs metric: each run that handled mail counts as ok with the mails sent, a run that failed as failed. */
  metrics?: Pick<GatewayMetrics, 'job'>;
}

export const MAX_BACKOFF_MS = 15 * 60_000;

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
}

/** What the mail server and the recipient learn: the customer's address (Customer.email). */
const MAIL_DISCLOSES = ['Customer.email'];

export class MailWorker {
  private readonly loop: PollingLoop<MailRun>;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;

  constructor(private readonly options: MailWorkerOptions) {
    this.loop = new PollingLoop(() => this.run(), options.pollMs ?? 500, (error) => options.logger.warn({ err: error }, 'the mail outbox could not be sent'));
    this.batchSize = options.batchSize ?? 10;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.now = options.now ?? (() => new Date());
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
    const runner = this.options.dataSource.createQueryRunner('master');
    await runner.connect();
    try {
      await runner.startTransaction();
      const due: DueMail[] = await runner.query(
        `SELECT id, customer_id, topic, to_address, subject, sealed_body, attempts FROM mail_outbox
          WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [this.now(), this.batchSize],
      );
      for (const mail of due) {
        const attempt = mail.attempts + 1;
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
          detail: { mail: mail.id, topic: mail.topic, attempt },
        });
        let text: string;
        try {
          if (!mail.sealed_body) throw new Error('the mail has no body');
          text = this.options.box.open(mail.sealed_body, mail.id);
        } catch {
          // A body that does not open (the secret changed, and the one it was sealed under is no longer a previous one) can never be sent.
          await runner.query(`UPDATE mail_outbox SET status = 'failed', sealed_body = NULL, attempts = $2, last_error = 'the sealed body does not open' WHERE id = $1`, [mail.id, attempt]);
          this.options.logger.error({ mail: mail.id }, 'a mail body does not open under PRIVACY_SECRET or PRIVACY_SECRET_PREVIOUS: given up');
          result.givenUp++;
          continue;
        }
        // Recorded before it leaves: an unaudited disclosure is worse than a mail sent late.
        await this.options.auditLog.append(event(AuditOutcome.OK));
        try {
          await this.options.transport.sendMail({ from: this.options.from, to: mail.to_address, subject: mail.subject, text });
          await runner.query(`UPDATE mail_outbox SET status = 'sent', sent_at = $2, sealed_body = NULL, attempts = $3, last_error = NULL WHERE id = $1`, [mail.id, this.now(), attempt]);
          result.sent++;
        } catch (error) {
          const code = smtpErrorOf(error);
          const givenUp = attempt >= this.maxAttempts;
          await runner.query(
            `UPDATE mail_outbox SET attempts = $2, last_error = $3, next_attempt_at = $4, status = $5::mail_status, sealed_body = CASE WHEN $5 = 'failed' THEN NULL ELSE sealed_body END WHERE id = $1`,
            [mail.id, attempt, code, new Date(this.now().getTime() + backoffMs(attempt)), givenUp ? 'failed' : 'pending'],
          );
          await this.options.auditLog.append(event(AuditOutcome.ERROR, ['MAIL_NOT_SENT']));
          this.options.logger.warn({ mail: mail.id, attempt, error: code, givenUp }, 'a mail could not be sent');
          if (givenUp) result.givenUp++;
          else result.retrying++;
        }
      }
      await runner.commitTransaction();
      if (result.sent + result.retrying + result.givenUp > 0) this.options.metrics?.job('mail_outbox', 'ok', result.sent);
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      this.options.metrics?.job('mail_outbox', 'failed');
      throw error;
    } finally {
      await runner.release();
    }
  }
}

/** The SMTP failure without the mail's content: nodemailer's code and the server's reply code. */
function smtpErrorOf(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown };
  const parts = [typeof e.code === 'string' ? e.code : 'ERROR', typeof e.responseCode === 'number' ? String(e.responseCode) : ''].filter(Boolean);
  return parts.join(' ').slice(0, 500);
}
