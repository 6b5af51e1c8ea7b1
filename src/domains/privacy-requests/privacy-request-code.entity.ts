import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { PrivacyRequestEntity } from './privacy-request.entity';

/**
 * The one-time code that verifies the identity of a request's customer: only its keyed hash is
 * stored, it is valid 15 minutes and for 5 attempts; a new code replaces it (identity-codes.ts).
 */
@Entity('privacy_request_code')
export class PrivacyRequestCodeEntity {
  @PrimaryColumn('uuid') requestId!: string;
  @OneToOne(() => PrivacyRequestEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id' })
  request?: PrivacyRequestEntity;
  /** HMAC-SHA256 of the code under the gateway's code secret, hex. */
  @Column({ type: 'char', length: 64 }) codeHash!: string;
  @Column({ type: 'timestamptz' }) issuedAt!: Date;
  @Column({ type: 'timestamptz' }) expiresAt!: Date;
  @Column({ type: 'smallint' }) attemptsLeft!: number;
}
