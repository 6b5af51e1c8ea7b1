import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum MailStatus {
  PENDING = 'pending',
  SENT = 'sent',
  FAILED = 'failed',
}

/**
 * A mail to send, written in the transaction of what it tells of, and sent by the mail worker
 * (mail-worker.ts) over SMTP with retries and back-off. The body is sealed (platform/secret-box.ts) and
 * wiped once sent or given up, so a one-time code in it is never at rest in clear, nor kept.
 */
@Entity('mail_outbox')
@Index(['status', 'nextAttemptAt'])
@Check('mail_outbox_attempts_non_negative', `"attempts" >= 0`)
export class MailOutboxEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** The customer the mail is for (their data-subject rights reach it). */
  @Index()
  @Column({ type: 'uuid', nullable: true }) customerId!: string | null;
  /** What it is about, e.g. `privacy_request:<id>`; never personal data. */
  @Column({ type: 'varchar', length: 100 }) topic!: string;
  @Column({ type: 'varchar', length: 320 }) toAddress!: string;
  @Column({ type: 'varchar', length: 200 }) subject!: string;
  /** The sealed text body; null once sent or given up. */
  @Column({ type: 'bytea', nullable: true }) sealedBody!: Buffer | null;
  @Column({ type: 'enum', enum: MailStatus, enumName: 'mail_status', default: MailStatus.PENDING }) status!: MailStatus;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ type: 'timestamptz' }) nextAttemptAt!: Date;
  /** The SMTP error of the last failed attempt, without the mail's content. */
  @Column({ type: 'varchar', length: 500, nullable: true }) lastError!: string | null;
  @Column({ type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) sentAt!: Date | null;
}
