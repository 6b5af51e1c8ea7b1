import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AfterSalesCaseEntity } from './after-sales-case.entity';

/** A processing step staff took on a case: who did what, when, and why. */
@Entity('case_record')
@Index(['caseId', 'recordedAt'])
export class CaseRecordEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') caseId!: string;
  @ManyToOne(() => AfterSalesCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'case_id' })
  case?: AfterSalesCaseEntity;
  @Column({ type: 'varchar', length: 100 }) action!: string;
  /** The staff member (token subject) who acted. */
  @Column({ type: 'varchar', length: 200 }) actor!: string;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column({ type: 'timestamptz' }) recordedAt!: Date;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
