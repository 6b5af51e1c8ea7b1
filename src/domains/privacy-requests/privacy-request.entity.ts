import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customers/customer.entity';

export enum PrivacyRequestType {
  ACCESS = 'access',
  RECTIFICATION = 'rectification',
  ERASURE = 'erasure',
  WITHDRAW_CONSENT = 'withdraw_consent',
  OBJECTION = 'objection',
}

export enum PrivacyRequestStatus {
  RECEIVED = 'received',
  IDENTITY_VERIFIED = 'identity_verified',
  IN_PROGRESS = 'in_progress',
  COMPLETED = 'completed',
  REJECTED = 'rejected',
}

/** A data-subject request; due 3 working days after identity verification. */
@Entity('privacy_request')
@Index(['status', 'dueAt'])
export class PrivacyRequestEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') customerId!: string;
  @ManyToOne(() => CustomerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;
  @Column({ type: 'enum', enum: PrivacyRequestType, enumName: 'privacy_request_type' }) type!: PrivacyRequestType;
  @Column({ type: 'enum', enum: PrivacyRequestStatus, enumName: 'privacy_request_status', default: PrivacyRequestStatus.RECEIVED })
  status!: PrivacyRequestStatus;
  @Column({ type: 'timestamptz' }) receivedAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) verifiedAt!: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) dueAt!: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) handler!: string | null;
  @Column({ type: 'text', nullable: true }) resultSummary!: string | null;
  @Column({ type: 'text', nullable: true }) rejectionReason!: string | null;
}
