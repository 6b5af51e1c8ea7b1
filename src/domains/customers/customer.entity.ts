import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum CustomerStatus {
  ACTIVE = 'active',
  ERASED = 'erased',
}

/** A store account holder. Direct identifiers live here and in the address book only. */
@Entity('customer')
@Index('customer_email_active_unique', { synchronize: false })
export class CustomerEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 200 }) accountName!: string;
  @Column({ type: 'varchar', length: 320 }) email!: string;
  @Column({ type: 'varchar', length: 32 }) phone!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) emergencyContactName!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) emergencyContactPhone!: string | null;
  /** BCP 47 language tag, e.g. `en-GB`. */
  @Column({ type: 'varchar', length: 35, default: 'en' }) preferredLanguage!: string;
  @Index()
  @Column({ type: 'enum', enum: CustomerStatus, enumName: 'customer_status', default: CustomerStatus.ACTIVE })
  status!: CustomerStatus;
  /** The customer objected to analytics: their data is excluded from it. */
  @Column({ type: 'boolean', default: false }) analyticsObjection!: boolean;
  @Index()
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  /** When the customer's data was erased (status erased); their tokens are refused from then on. */
  @Column({ type: 'timestamptz', nullable: true }) erasedAt!: Date | null;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
