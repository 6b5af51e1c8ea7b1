import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customers/customer.entity';
import { OrderEntity } from '../orders/order.entity';

export enum LegalHoldScope {
  CUSTOMER = 'customer',
  ORDER = 'order',
}

/** Freezes retention and erasure for a customer or an order while a legal matter is open. */
@Entity('legal_hold')
@Check('legal_hold_scope_target', `("scope" = 'customer' AND "customer_id" IS NOT NULL AND "order_id" IS NULL) OR ("scope" = 'order' AND "order_id" IS NOT NULL AND "customer_id" IS NULL)`)
export class LegalHoldEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'enum', enum: LegalHoldScope, enumName: 'legal_hold_scope' }) scope!: LegalHoldScope;
  @Index()
  @Column({ type: 'uuid', nullable: true }) customerId!: string | null;
  @ManyToOne(() => CustomerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity | null;
  @Index()
  @Column({ type: 'uuid', nullable: true }) orderId!: string | null;
  @ManyToOne(() => OrderEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'order_id' })
  order?: OrderEntity | null;
  @Column({ type: 'text' }) reason!: string;
  @Column({ type: 'varchar', length: 100 }) caseReference!: string;
  @Column({ type: 'varchar', length: 200 }) placedBy!: string;
  @Column({ type: 'timestamptz' }) placedAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) releasedAt!: Date | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) releasedBy!: string | null;
}
