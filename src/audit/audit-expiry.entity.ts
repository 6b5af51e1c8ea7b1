import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A month of the audit log the retention job dropped (audit-partitions.ts): its range, how many
 * events it held and which seals listed them. `audit verify` reports those events as expired,
 * not removed. Append-only like the log.
 */
@Entity('audit_expiry')
export class AuditExpiryEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_audit_expiry' }) id!: string;
  @Column({ type: 'varchar', length: 63 }) partition!: string;
  @Column({ type: 'timestamptz' }) fromAt!: Date;
  @Column({ type: 'timestamptz' }) toAt!: Date;
  @Column('int') events!: number;
  @Column({ type: 'bigint', nullable: true }) firstSeal!: string | null;
  @Column({ type: 'bigint', nullable: true }) lastSeal!: string | null;
  @Column({ type: 'timestamptz' }) expiredAt!: Date;
}

/**
 * The hash of a dropped event listed by a seal that also lists events still kept (a batch
 * written across the turn of a month), so that seal's Merkle root can still be checked.
 */
@Entity('audit_expired_leaf')
export class AuditExpiredLeafEntity {
  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_audit_expired_leaf' }) sealId!: string;
  @PrimaryColumn({ type: 'int', primaryKeyConstraintName: 'PK_audit_expired_leaf' }) position!: number;
  @Column({ type: 'char', length: 64 }) hash!: string;
}
