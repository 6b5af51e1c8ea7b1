import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

export enum WebhookEventType {
  SHIPMENT_ASSIGNED = 'shipment.assigned',
  SHIPMENT_CHANGED = 'shipment.changed',
  PAYMENT_VERIFICATION_CHANGED = 'payment_verification.changed',
}

export enum WebhookDeliveryStatus {
  /** Waiting for its first or next attempt. */
  PENDING = 'pending',
  /** The endpoint answered 2xx. */
  DELIVERED = 'delivered',
  /** Given up after the last attempt; `redeliverWebhook` tries again. */
  DEAD = 'dead',
  /** Not sent: the record is no longer within the partner's reach, or the endpoint was disabled. */
  CANCELLED = 'cancelled',
}

/**
 * One change notification to one endpoint: the transactional outbox. Rows are written by
 * database triggers (migration 1795000007000) in the transaction of the change itself, whoever
 * writes it, one per endpoint of the partner concerned and per record and transaction. The
 * payload is not stored: it is read at each attempt, as the partner, through the disclosure
 * matrix (webhook-worker.ts), so no content waits here. What a row keeps — that this partner
 * was told, when, of a change to this shipment or payment verification — is still about the
 * customer the record belongs to: the privacy registry exports it and erasure deletes it
 * (privacy/handlers/registry.ts); the worker deletes it 30 days after its event, unless a legal hold covers the record's order.
 */
@Entity('webhook_delivery')
@Index(['endpointId', 'resourceId', 'txId'], { unique: true })
@Index(['status', 'nextAttemptAt'])
@Index(['partnerId', 'occurredAt', 'id'])
// A partner's oldest due deliveries, for the worker's claim (at most a share of its places per partner).
@Index(['partnerId', 'nextAttemptAt', 'id'], { where: `"status" = 'pending'` })
// A customer's deliveries, through their shipments and payment verifications (access export, erasure).
@Index(['resourceId'])
@Check('webhook_delivery_attempts_non_negative', `"attempts" >= 0`)
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** The event's id, the same for every endpoint and attempt: receivers de-duplicate by it (`webhook-id`). */
  @Column('uuid') eventId!: string;
  @Column('uuid') endpointId!: string;
  @ManyToOne(() => WebhookEndpointEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'endpoint_id' })
  endpoint?: WebhookEndpointEntity;
  @Column('uuid') partnerId!: string;
  @Column({ type: 'enum', enum: WebhookEventType, enumName: 'webhook_event_type' }) eventType!: WebhookEventType;
  /** The shipment or payment verification the event is about. */
  @Column('uuid') resourceId!: string;
  @Column({ type: 'timestamptz' }) occurredAt!: Date;
  /** The transaction that wrote the change: one notification per record and transaction. */
  @Column({ type: 'bigint' }) txId!: string;
  @Column({ type: 'enum', enum: WebhookDeliveryStatus, enumName: 'webhook_delivery_status', default: WebhookDeliveryStatus.PENDING })
  status!: WebhookDeliveryStatus;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  /** When the next attempt is due; while an attempt runs, when its lease ends (a worker that died leaves it due again). */
  @Column({ type: 'timestamptz' }) nextAttemptAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) lastAttemptAt!: Date | null;
  /** The HTTP status the endpoint answered last; null when it did not answer. */
  @Column({ type: 'integer', nullable: true }) lastResponseStatus!: number | null;
  /** Why the last attempt failed, in the gateway's words (never the receiver's body). */
  @Column({ type: 'varchar', length: 300, nullable: true }) lastError!: string | null;
  @Column({ type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
  /**
   * Set when an erasure kept it because a legal hold covers the record's order: from then on it is
   * no delivery for any partner (not listed, never attempted), read under legal_compliance only.
   */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
