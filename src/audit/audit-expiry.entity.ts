import { Check, Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

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

/**
 * A subject or coordinate set named by a month the retention job dropped, waiting to be removed
 * once no remaining event names it and (a subject set) no legal hold covers a customer in it
 * (audit-sets.ts). Holds hashes only.
 */
@Entity('audit_set_candidate', { comment: 'Subject and coordinate sets named by dropped audit months, to be removed once no event or legal hold needs them.' })
@Check('audit_set_candidate_kind', `"kind" IN ('subject', 'coordinate')`)
export class AuditSetCandidateEntity {
  @PrimaryColumn({ type: 'varchar', length: 10, primaryKeyConstraintName: 'PK_audit_set_candidate' }) kind!: 'subject' | 'coordinate';
  @PrimaryColumn({ type: 'char', length: 64, primaryKeyConstraintName: 'PK_audit_set_candidate' }) hash!: string;
}
