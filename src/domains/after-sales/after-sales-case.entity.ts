import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customers/customer.entity';
import { OrderEntity } from '../orders/order.entity';

export enum CaseType {
  CONSULTATION = 'consultation',
  COMPLAINT = 'complaint',
  REFUND = 'refund',
  RESHIPMENT = 'reshipment',
  RETURN = 'return',
}

export enum CaseStatus {
  OPEN = 'open',
  WAITING_ON_CUSTOMER = 'waiting_on_customer',
  RESOLVED = 'resolved',
  CLOSED = 'closed',
}

@Entity('after_sales_case')
@Index(['customerId', 'openedAt'])
@Index(['status', 'openedAt'])
@Index(['openedAt', 'id'])
@Index('case_retention_due', { synchronize: false })
@Check('case_closed_after_opened', `"closed_at" IS NULL OR "closed_at" >= "opened_at"`)
export class AfterSalesCaseEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') customerId!: string;
  @ManyToOne(() => CustomerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;
  @Index()
  @Column({ type: 'uuid', nullable: true }) orderId!: string | null;
  @ManyToOne(() => OrderEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'order_id' })
  order?: OrderEntity | null;
  @Column({ type: 'enum', enum: CaseType, enumName: 'case_type' }) type!: CaseType;
  @Column({ type: 'enum', enum: CaseStatus, enumName: 'case_status', default: CaseStatus.OPEN }) status!: CaseStatus;
  @Column({ type: 'varchar', length: 200 }) subject!: string;
  @Column({ type: 'timestamptz' }) openedAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) closedAt!: Date | null;
  /** closed_at + 3 years (trigger); what decides a case that belongs to no order. */
  @Column({ type: 'timestamptz', nullable: true, insert: false, update: false }) retainUntil!: Date | null;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
