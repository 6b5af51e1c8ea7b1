import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One verification of the audit log (verify.ts) asked for through the gateway (`verifyAuditLog`):
 * when, by whom, and what it found. The compliance console shows the latest. Written in the
 * mutation's transaction, with the mutation's own audit event.
 */
@Entity('audit_verification', { comment: 'Results of audit log verifications asked for through the gateway, newest last.' })
export class AuditVerificationEntity {
  /** UUIDv7: ordered by time. */
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'timestamptz' }) verifiedAt!: Date;
  /** The token subject of whoever asked. */
  @Column({ type: 'varchar', length: 200 }) verifiedBy!: string;
  @Column('boolean') intact!: boolean;
  @Column('int') events!: number;
  @Column('int') seals!: number;
  @Column('int') problemCount!: number;
  /** The first problem's message, in log order; null when intact. */
  @Column({ type: 'text', nullable: true }) firstProblem!: string | null;
  @Column({ type: 'bigint', nullable: true }) headSealId!: string | null;
  @Column({ type: 'char', length: 64, nullable: true }) headHash!: string | null;
  @Column('int') ms!: number;
}
