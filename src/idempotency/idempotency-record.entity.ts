import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The first response to a mutation sent with an `Idempotency-Key`, kept 24 hours so that a
 * retry with the same key and request gets it again without writing (idempotency.ts). The
 * response carries personal data: it is sealed at rest (with what its audit event recorded),
 * a record is never read after `expires_at`, and is deleted soon after.
 */
@Entity('idempotency_record', { comment: 'First responses to mutations sent with an Idempotency-Key; kept 24 hours, then deleted.' })
@Index(['expiresAt'])
export class IdempotencyRecordEntity {
  /** sha256 of the principal, its policy view and the key: a key names a record only for the caller that sent it. */
  @PrimaryColumn({ type: 'char', length: 64 }) keyHash!: string;
  /** HMAC-SHA256 of the request (operation text, operation name, variables and purpose) under a key derived from the privacy secret. */
  @Column({ type: 'char', length: 64 }) fingerprint!: string;
  /**
   * False for a record made before fingerprints were keyed and keys named the caller's view: its
   * fingerprint is an unkeyed sha256 and its key hash names the principal and key only.
   */
  @Column({ type: 'boolean', default: false }) fingerprintKeyed!: boolean;
  /** The request that wrote the record (replays name it in their audit events). */
  @Column({ type: 'varchar', length: 64 }) requestId!: string;
  @Column({ type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'timestamptz' }) expiresAt!: Date;
  /** HTTP status and body of the first response; written in the transaction of the request that claimed the key. */
  @Column({ type: 'smallint', nullable: true }) status!: number | null;
  /** The body, sealed (platform/secret-box.ts) and bound to this record's key hash and request id. */
  @Column({ type: 'bytea', nullable: true }) response!: Buffer | null;
  /** What the audit event of the first response recorded beyond the data (subjects, masked and denied coordinates), sealed as `response` is. */
  @Column({ type: 'bytea', nullable: true }) disclosure!: Buffer | null;
}
