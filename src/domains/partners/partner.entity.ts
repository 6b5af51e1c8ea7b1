import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum PartnerKind {
  LOGISTICS = 'logistics',
  PAYMENT = 'payment',
  PLATFORM = 'platform',
  THIRD_PARTY = 'third_party',
}

export enum PartnerStatus {
  ACTIVE = 'active',
  SUSPENDED = 'suspended',
}

/** An organisation the store shares data with: a carrier, a payment provider, a sales platform or a third party. */
@Entity('partner')
@Index(['kind', 'name'], { unique: true })
export class PartnerEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'enum', enum: PartnerKind, enumName: 'partner_kind' }) kind!: PartnerKind;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'enum', enum: PartnerStatus, enumName: 'partner_status', default: PartnerStatus.ACTIVE })
  status!: PartnerStatus;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
}
