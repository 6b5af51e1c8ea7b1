import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OrderEntity } from '../orders/order.entity';
import { PartnerEntity } from '../partners/partner.entity';

export enum PaymentMethod {
  CARD = 'card',
  WALLET = 'wallet',
  BANK_TRANSFER = 'bank_transfer',
  BUY_NOW_PAY_LATER = 'buy_now_pay_later',
}

export enum PaymentStatus {
  AUTHORIZED = 'authorized',
  CAPTURED = 'captured',
  SETTLED = 'settled',
  REFUNDED = 'refunded',
  FAILED = 'failed',
  CHARGEBACK = 'chargeback',
}

/**
 * What a payment provider reports about an order's payment: settlement data only. The store never
 * holds a full card number; brand and last four digits at most.
 */
@Entity('payment_verification')
@Index(['providerId', 'providerReference'], { unique: true })
@Index(['providerId', 'createdAt', 'id'])
@Index(['status', 'settledAt'])
@Check('payment_card_last4_digits', `"card_last4" IS NULL OR "card_last4" ~ '^[0-9]{4}$'`)
@Check('payment_currency_iso', `"currency" ~ '^[A-Z]{3}$'`)
@Check('payment_amount_non_negative', `"amount" >= 0`)
export class PaymentVerificationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') orderId!: string;
  @ManyToOne(() => OrderEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id' })
  order?: OrderEntity;
  @Column('uuid') providerId!: string;
  @ManyToOne(() => PartnerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'provider_id' })
  provider?: PartnerEntity;
  @Column({ type: 'varchar', length: 100 }) providerReference!: string;
  @Column({ type: 'enum', enum: PaymentMethod, enumName: 'payment_method' }) method!: PaymentMethod;
  @Column({ type: 'varchar', length: 20, nullable: true }) cardBrand!: string | null;
  @Column({ type: 'char', length: 4, nullable: true }) cardLast4!: string | null;
  @Column({ type: 'numeric', precision: 14, scale: 2 }) amount!: string;
  @Column({ type: 'char', length: 3 }) currency!: string;
  @Column({ type: 'enum', enum: PaymentStatus, enumName: 'payment_status' }) status!: PaymentStatus;
  @Column({ type: 'timestamptz', nullable: true }) paidAt!: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) settledAt!: Date | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) settlementBatchRef!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
