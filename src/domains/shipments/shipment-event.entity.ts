import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ShipmentEntity, ShipmentStatus } from './shipment.entity';

/** A carrier scan: where the parcel was, when, and what happened. */
@Entity('shipment_event')
@Index(['shipmentId', 'occurredAt'])
export class ShipmentEventEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') shipmentId!: string;
  @ManyToOne(() => ShipmentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'shipment_id' })
  shipment?: ShipmentEntity;
  @Column({ type: 'timestamptz' }) occurredAt!: Date;
  @Column({ type: 'varchar', length: 200 }) location!: string;
  @Column({ type: 'varchar', length: 500 }) description!: string;
  /** The shipment status this event moved the parcel to, if any. */
  @Column({ type: 'enum', enum: ShipmentStatus, enumName: 'shipment_event_status', nullable: true })
  status!: ShipmentStatus | null;
}
