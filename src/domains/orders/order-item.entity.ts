import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OrderEntity } from './order.entity';

@Entity('order_item')
@Index(['orderId', 'position'], { unique: true })
@Check('order_item_quantity_positive', `"quantity" > 0`)
@Check('order_item_price_non_negative', `"unit_price" >= 0`)
@Check('order_item_position_positive', `"position" > 0`)
export class OrderItemEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') orderId!: string;
  @ManyToOne(() => OrderEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id' })
  order?: OrderEntity;
  /** 1-based line number within the order; gives items a stable order. */
  @Column({ type: 'smallint' }) position!: number;
  @Column({ type: 'varchar', length: 64 }) sku!: string;
  @Column({ type: 'varchar', length: 300 }) productName!: string;
  /** Size, colour and the like, e.g. `{"size":"M","colour":"navy"}`. */
  @Column({ type: 'jsonb', default: () => "'{}'" }) specification!: Record<string, string>;
  @Column({ type: 'integer' }) quantity!: number;
  @Column({ type: 'numeric', precision: 14, scale: 2 }) unitPrice!: string;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
