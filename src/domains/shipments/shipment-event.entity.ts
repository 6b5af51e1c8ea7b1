import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PartnerEntity } from '../partners/partner.entity';
import { ShipmentEntity, ShipmentStatus } from './shipment.entity';

/**
 * A carrier scan: where the parcel was, when, and what happened. Every scan is kept, also one
 * that arrived late and moved nothing (shipment-scans.ts). A carrier names each scan with its
 * own event id, and a scan sent again is recognised by it: (shipment, carrier, event id) is unique.
 */
@Entity('shipment_event')
@Index(['shipmentId', 'occurredAt'])
@Index('shipment_event_carrier_event_unique', ['shipmentId', 'carrierId', 'carrierEventId'], { unique: true })
export class ShipmentEventEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') shipmentId!: string;
  @ManyToOne(() => ShipmentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'shipment_id' })
  shipment?: ShipmentEntity;
  /** The logistics partner that sent the scan. */
  @Column('uuid') carrierId!: string;
  @ManyToOne(() => PartnerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'carrier_id', foreignKeyConstraintName: 'shipment_event_carrier_fkey' })
  carrier?: PartnerEntity;
  /** The carrier's own id of the scan. */
  @Column({ type: 'varchar', length: 100 }) carrierEventId!: string;
  @Column({ type: 'timestamptz' }) occurredAt!: Date;
  @Column({ type: 'varchar', length: 200 }) location!: string;
  @Column({ type: 'varchar', length: 500 }) description!: string;
  /** The shipment status the carrier reported with this scan, if any (whether it moved the shipment: shipment-scans.ts). */
  @Column({ type: 'enum', enum: ShipmentStatus, enumName: 'shipment_event_status', nullable: true })
  status!: ShipmentStatus | null;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
