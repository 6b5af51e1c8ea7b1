/**
 * Writing a mail: a row of mail_outbox in the caller's transaction, so the mail exists exactly
 * when what it tells of was committed; the mail worker sends it (mail-worker.ts).
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { OutboxCounts } from '../platform/metrics';
import type { SealedStore } from '../platform/reseal';
import type { SecretBox } from '../platform/secret-box';

export interface OutgoingMail {
  customerId: string | null;
  /** What it is about, e.g. `privacy_request:<id>`: never personal data (it is in the audit log). */
  topic: string;
  to: string;
  subject: string;
  text: string;
}

export async function enqueueMail(em: Pick<EntityManager, 'query'>, box: SecretBox, mail: OutgoingMail, at: Date): Promise<string> {
  const id = randomUUID();
  await em.query(
    `INSERT INTO mail_outbox (id, customer_id, topic, to_address, subject, sealed_body, status, attempts, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)`,
    [id, mail.customerId, mail.topic, mail.to, mail.subject, box.seal(mail.text, id), at],
  );
  return id;
}

/** The bodies of mails still to be sent, for `secrets reseal` (a sent or given-up mail's body is wiped). */
export function outboxSealedStore(box: SecretBox): SealedStore {
  return {
    name: 'mail_outbox.sealed_body',
    table: 'mail_outbox',
    key: 'id',
    keyType: 'uuid',
    where: `status = 'pending' AND sealed_body IS NOT NULL`,
    columns: [{ column: 'sealed_body', boundTo: (row) => String(row.id) }],
    box,
  };
}

/** The privacy request a mail's topic names, if any. */
export function privacyRequestOfTopic(topic: string): string | undefined {
  const match = /^privacy_request:([0-9a-f-]{36})$/.exec(topic);
  return match?.[1];
}

/**
 * What waits in the outbox, for /readyz and the metrics: mails not yet sent, those of them due
 * now, how long the oldest due one has waited, and mails given up that were queued in the last
 * 24 hours: 24 hours of elapsed time, not `interval '1 day'`, which PostgreSQL counts as a calendar
 * day in the session's time zone (23 or 25 hours across a daylight-saving change). Counts only:
 * nothing about whom a mail is for.
 */
export async function outboxBacklog(q: Pick<EntityManager, 'query'>, at: Date = new Date()): Promise<OutboxCounts> {
  const [row] = await q.query(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= $1)::int AS due,
            coalesce(extract(epoch FROM $1 - min(next_attempt_at) FILTER (WHERE status = 'pending' AND next_attempt_at <= $1)), 0)::float8 AS oldest_due_seconds,
            count(*) FILTER (WHERE status = 'failed' AND created_at > $1::timestamptz - interval '24 hours')::int AS failed_last_day
       FROM mail_outbox
      WHERE status = 'pending' OR (status = 'failed' AND created_at > $1::timestamptz - interval '24 hours')`,
    [at],
  );
  return { pending: row.pending, due: row.due, oldestDueSeconds: Math.round(row.oldest_due_seconds), failedLastDay: row.failed_last_day };
}
