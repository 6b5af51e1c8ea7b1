import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DeviceClass } from '../../privacy/desensitize';

/**
 * One desensitized page view. Never linked to a customer: the visitor is a keyed HMAC under a
 * daily-rotated secret, the IP is truncated (/24, /48) and the user agent reduced at ingest.
 */
@Entity('behavior_event')
@Index(['occurredAt'])
@Index(['visitorPseudonym', 'occurredAt'])
@Check('behavior_counts_non_negative', `"dwell_ms" >= 0 AND "clicks" >= 0`)
export class BehaviorEventEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'char', length: 43 }) visitorPseudonym!: string;
  @Column({ type: 'varchar', length: 64 }) ipPrefix!: string;
  @Column({ type: 'enum', enum: DeviceClass, enumName: 'device_class' }) deviceClass!: DeviceClass;
  @Column({ type: 'varchar', length: 40 }) browserFamily!: string;
  @Column({ type: 'varchar', length: 35, nullable: true }) language!: string | null;
  @Column({ type: 'varchar', length: 10, nullable: true }) region!: string | null;
  @Column({ type: 'varchar', length: 500 }) page!: string;
  @Column({ type: 'integer' }) dwellMs!: number;
  @Column({ type: 'integer' }) clicks!: number;
  @Column({ type: 'timestamptz' }) occurredAt!: Date;
}
