import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One real run of the retention job (retention-job.ts). Its cut-off `asOf` and its report are
 * kept so that a run killed mid-way is resumed by the next one with the same cut-off, and its
 * report counts what every attempt did. Dry runs write nothing here.
 */
@Entity('retention_run')
@Index('retention_run_unfinished', { synchronize: false })
export class RetentionRunEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_retention_run' }) id!: string;
  /** Records expired at this moment are due. */
  @Column({ type: 'timestamptz' }) asOf!: Date;
  @Column({ type: 'timestamptz' }) startedAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ type: 'integer', default: 0 }) batches!: number;
  /** Per table: found, anonymized, deleted, held (retention-report.ts). */
  @Column({ type: 'jsonb', default: {} }) report!: Record<string, unknown>;
}
