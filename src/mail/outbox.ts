/**
 * Writing a mail: a row of mail_outbox in the caller's transaction, so the mail exists exactly
 * when what it tells of was committed; the mail worker sends it (mail-worker.ts).
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SecretBox } from './secret-box';

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

/** The privacy request a mail's topic names, if any. */
export function privacyRequestOfTopic(topic: string): string | undefined {
  const match = /^privacy_request:([0-9a-f-]{36})$/.exec(topic);
  return match?.[1];
}
