import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from './customer.entity';

/** An entry of a customer's address book. At most one default per customer (partial unique index). */
@Entity('address')
@Index('address_one_default_per_customer', { synchronize: false })
@Check('address_country_iso', `"country" ~ '^[A-Z]{2}$'`)
export class AddressEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') customerId!: string;
  @ManyToOne(() => CustomerEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;
  @Column({ type: 'varchar', length: 200 }) recipientName!: string;
  @Column({ type: 'varchar', length: 200 }) line1!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) line2!: string | null;
  @Column({ type: 'varchar', length: 100 }) city!: string;
  @Column({ type: 'varchar', length: 100, nullable: true }) state!: string | null;
  @Column({ type: 'varchar', length: 20 }) postalCode!: string;
  /** ISO 3166-1 alpha-2. */
  @Column({ type: 'char', length: 2 }) country!: string;
  @Column({ type: 'varchar', length: 32 }) phone!: string;
  @Column({ type: 'boolean', default: false }) isDefault!: boolean;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt!: Date;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
