import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
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

/** The statuses of a request not yet completed or rejected: one past its due time is overdue. */
export const OPEN_STATUSES: readonly PrivacyRequestStatus[] = [PrivacyRequestStatus.RECEIVED, PrivacyRequestStatus.IDENTITY_VERIFIED, PrivacyRequestStatus.IN_PROGRESS];

/**
 * The writes that act on one request, each by the mutation that makes it (GraphQL shows the keys):
 * what `PrivacyRequest.actions` answers a caller may do to a request now.
 */
export enum PrivacyRequestAction {
  VERIFY = 'verifyPrivacyRequest',
  RESEND_CODE = 'resendPrivacyRequestCode',
  ASSIGN = 'assignPrivacyRequest',
  COMPLETE = 'completePrivacyRequest',
  REJECT = 'rejectPrivacyRequest',
  RECTIFY = 'rectifyPersonalData',
  CREATE_EXPORT_LINK = 'createPrivacyExportLink',
}

/** Who opened a request: the customer themself, or customer service on their behalf. */
export enum PrivacyRequestChannel {
  CUSTOMER = 'customer',
  CUSTOMER_SERVICE = 'customer_service',
}

/** What a request asks for beyond its type: the grants a consent withdrawal names (ids only, never personal data). */
export interface PrivacyRequestParameters {
  grantIds?: string[];
}

/**
 * A data-subject request; due 3 working days after identity verification. Every change of status
 * is a row of privacy_request_transition, and is in the audit log with the request id.
 */
@Entity('privacy_request')
@Check('privacy_request_code_failures_non_negative', `"code_failures" >= 0`)
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
  @Column({ type: 'enum', enum: PrivacyRequestChannel, enumName: 'privacy_request_channel', default: PrivacyRequestChannel.CUSTOMER })
  openedVia!: PrivacyRequestChannel;
  /** The token subject of whoever opened it (the customer, or the customer-service agent). */
  @Column({ type: 'varchar', length: 200, nullable: true }) openedBy!: string | null;
  @Column({ type: 'jsonb', nullable: true }) parameters!: PrivacyRequestParameters | null;
  /** What was done, structured: which fields were corrected, what was erased and what kept and why (never old values). */
  @Column({ type: 'jsonb', nullable: true }) result!: Record<string, unknown> | null;
  /** Wrong verification codes sent for it, over all its codes (identity-codes.ts: the attempt budgets). */
  @Column({ type: 'integer', default: 0 }) codeFailures!: number;
  /** When the last wrong code was sent; null before any. */
  @Column({ type: 'timestamptz', nullable: true }) lastCodeFailureAt!: Date | null;
}
