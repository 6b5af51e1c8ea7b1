import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OrderEntity } from '../orders/order.entity';
import { PartnerEntity } from '../partners/partner.entity';

export enum ShipmentStatus {
  PENDING = 'pending',
  LABEL_CREATED = 'label_created',
  IN_TRANSIT = 'in_transit',
  OUT_FOR_DELIVERY = 'out_for_delivery',
  DELIVERED = 'delivered',
  EXCEPTION = 'exception',
  RETURNED = 'returned',
}

/**
 * One parcel of an order, handled by one logistics partner. An order can be split across
 * carriers. Its status moves only as shipment-status.ts declares.
 */
@Entity('shipment')
@Index(['logisticsPartnerId', 'createdAt', 'id'])
@Index(['logisticsPartnerId', 'trackingNumber'], { unique: true, where: 'tracking_number IS NOT NULL' })
export class ShipmentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') orderId!: string;
  @ManyToOne(() => OrderEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id' })
  order?: OrderEntity;
  @Column('uuid') logisticsPartnerId!: string;
  @ManyToOne(() => PartnerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'logistics_partner_id' })
  logisticsPartner?: PartnerEntity;
  @Column({ type: 'varchar', length: 64, nullable: true }) trackingNumber!: string | null;
  @Index()
  @Column({ type: 'enum', enum: ShipmentStatus, enumName: 'shipment_status', default: ShipmentStatus.PENDING })
  status!: ShipmentStatus;
  /**
   * The furthest status on the way to the recipient the parcel has reached: `status` itself,
   * except while `status` is exception, when it is where the parcel was (shipment-status.ts).
   */
  @Column({ type: 'enum', enum: ShipmentStatus, enumName: 'shipment_status', default: ShipmentStatus.PENDING })
  progress!: ShipmentStatus;
  /** When the newest scan that set or confirmed `status` occurred; null when no scan did (a tracking number moved it). */
  @Column({ type: 'timestamptz', nullable: true }) statusAt!: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
