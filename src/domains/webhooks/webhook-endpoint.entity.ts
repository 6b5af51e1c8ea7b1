import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PartnerEntity } from '../partners/partner.entity';

/**
 * Where a partner receives change notifications (webhook-worker.ts), registered by the partner
 * itself. The signing secret is sealed (platform/secret-box.ts, bound to the endpoint's id) because
 * the gateway must sign with it; it is shown once, when created or rotated. While a rotation's
 * grace period runs, the previous secret signs too, so a receiver may switch whenever it likes.
 */
@Entity('webhook_endpoint')
export class WebhookEndpointEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') partnerId!: string;
  @ManyToOne(() => PartnerEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'partner_id' })
  partner?: PartnerEntity;
  /** An https URL (http only to the loopback interface, for development). */
  @Column({ type: 'varchar', length: 2048 }) url!: string;
  /** The purpose the endpoint was registered under: every notification to it is disclosed under it. */
  @Column({ type: 'varchar', length: 40 }) purpose!: string;
  @Column({ type: 'bytea' }) sealedSecret!: Buffer;
  @Column({ type: 'bytea', nullable: true }) sealedPreviousSecret!: Buffer | null;
  /** Until when the previous secret signs too; null when there is none. */
  @Column({ type: 'timestamptz', nullable: true }) previousSecretExpiresAt!: Date | null;
  @Column({ type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) secretRotatedAt!: Date | null;
  /** Set when the partner disabled it: nothing more is sent to it, its pending deliveries are cancelled. */
  @Column({ type: 'timestamptz', nullable: true }) disabledAt!: Date | null;
}
