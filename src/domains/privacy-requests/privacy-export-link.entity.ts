import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PrivacyRequestEntity } from './privacy-request.entity';

/**
 * A single-use, expiring link to download an access request's export: only the sha256 of its
 * random token is stored; the download marks it used, in the transaction that audits it.
 */
@Entity('privacy_export_link')
export class PrivacyExportLinkEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') requestId!: string;
  @ManyToOne(() => PrivacyRequestEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id' })
  request?: PrivacyRequestEntity;
  @Column({ type: 'char', length: 64, unique: true }) tokenHash!: string;
  @Column({ type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'timestamptz' }) expiresAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) usedAt!: Date | null;
}
