import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customers/customer.entity';
import { PartnerEntity } from '../partners/partner.entity';
import { PolicyVersionEntity } from '../policy-versions/policy-version.entity';

export enum OrderStatus {
  PLACED = 'placed',
  PAID = 'paid',
  PACKED = 'packed',
  SHIPPED = 'shipped',
  DELIVERED = 'delivered',
  COMPLETED = 'completed',
  CANCELLED = 'cancelled',
  REFUNDED = 'refunded',
}

export enum SalesChannel {
  OWN_STORE = 'own_store',
  PLATFORM = 'platform',
}

/** Recipient and address as they were when the order was placed; later address-book edits do not change it. */
export class ShippingSnapshot {
  @Column({ type: 'varchar', length: 200 }) recipientName!: string;
  @Column({ type: 'varchar', length: 200 }) line1!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) line2!: string | null;
  @Column({ type: 'varchar', length: 100 }) city!: string;
  @Column({ type: 'varchar', length: 100, nullable: true }) state!: string | null;
  @Column({ type: 'varchar', length: 20 }) postalCode!: string;
  @Column({ type: 'char', length: 2 }) country!: string;
  @Column({ type: 'varchar', length: 32 }) phone!: string;
}

/** What customs needs to clear the parcel. */
export class CustomsDeclaration {
  @Column({ type: 'varchar', length: 500, nullable: true }) contents!: string | null;
  @Column({ type: 'numeric', precision: 14, scale: 2, nullable: true }) declaredValue!: string | null;
  @Column({ type: 'varchar', array: true, length: 12, default: () => "'{}'" }) hsCodes!: string[];
}

@Entity('order')
@Index(['status', 'placedAt'])
@Index(['placedAt', 'id'])
@Index(['customerId', 'placedAt'])
@Index('order_retention_due', { synchronize: false })
@Check('order_platform_channel', `("channel" = 'platform') = ("platform_partner_id" IS NOT NULL)`)
@Check('order_currency_iso', `"currency" ~ '^[A-Z]{3}$'`)
@Check('order_total_non_negative', `"total_amount" >= 0`)
@Check('order_ship_country_iso', `"ship_country" ~ '^[A-Z]{2}$'`)
@Check('order_customs_value_non_negative', `"customs_declared_value" IS NULL OR "customs_declared_value" >= 0`)
@Check('order_completed_after_placed', `"completed_at" IS NULL OR "completed_at" >= "placed_at"`)
export class OrderEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Human-readable, e.g. `NTK-2026-000123`. */
  @Column({ type: 'varchar', length: 32, unique: true }) orderNumber!: string;
  @Index()
  @Column('uuid') customerId!: string;
  @ManyToOne(() => CustomerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;
  @Column({ type: 'enum', enum: SalesChannel, enumName: 'sales_channel' }) channel!: SalesChannel;
  /** The platform partner the order was sold through; set exactly when channel = platform. */
  @Index()
  @Column({ type: 'uuid', nullable: true }) platformPartnerId!: string | null;
  @ManyToOne(() => PartnerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'platform_partner_id' })
  platformPartner?: PartnerEntity | null;
  /**
   * The payment provider the checkout assigned to take payment for the order, if any. It decides
   * which provider may see the order and report on it (row scope own_payments); never published.
   */
  @Index()
  @Column({ type: 'uuid', nullable: true }) paymentProviderId!: string | null;
  @ManyToOne(() => PartnerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'payment_provider_id' })
  paymentProvider?: PartnerEntity | null;

  @Column({ type: 'enum', enum: OrderStatus, enumName: 'order_status', default: OrderStatus.PLACED })
  status!: OrderStatus;
  /** ISO 4217. */
  @Column({ type: 'char', length: 3 }) currency!: string;
  @Column({ type: 'numeric', precision: 14, scale: 2 }) totalAmount!: string;
  @Column({ type: 'timestamptz' }) placedAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  /**
   * max(completed, last after-sales case closed) + 3 years; null while the order or one of its
   * cases is open. Kept by triggers (migration 1795000005000); never written by the application.
   */
  @Column({ type: 'timestamptz', nullable: true, insert: false, update: false }) retainUntil!: Date | null;
  /** When the retention job anonymized the order and removed what hung on it. */
  @Column({ type: 'timestamptz', nullable: true }) retentionAppliedAt!: Date | null;
  @Column(() => ShippingSnapshot, { prefix: 'ship' }) shipping!: ShippingSnapshot;
  @Column(() => CustomsDeclaration, { prefix: 'customs' }) customs!: CustomsDeclaration;
  @Index()
  @Column('uuid') policyVersionId!: string;
  @ManyToOne(() => PolicyVersionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'policy_version_id' })
  policyVersion?: PolicyVersionEntity;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
