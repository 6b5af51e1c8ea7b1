import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AfterSalesCaseEntity } from './after-sales-case.entity';

export enum AuthorSide {
  CUSTOMER = 'customer',
  STAFF = 'staff',
}

/** A message in a case. Card-number-like digit runs are redacted before the body is stored. */
@Entity('case_message')
@Index(['caseId', 'sentAt'])
export class CaseMessageEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') caseId!: string;
  @ManyToOne(() => AfterSalesCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'case_id' })
  case?: AfterSalesCaseEntity;
  @Column({ type: 'enum', enum: AuthorSide, enumName: 'author_side' }) authorSide!: AuthorSide;
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'timestamptz' }) sentAt!: Date;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
