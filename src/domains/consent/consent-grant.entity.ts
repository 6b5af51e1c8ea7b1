import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customers/customer.entity';
import { PartnerEntity } from '../partners/partner.entity';

/** A customer's authorization for a third party to see named data categories, for one purpose, until it expires or is withdrawn. */
@Entity('consent_grant')
@Check('consent_grant_expires_after_granted', `"expires_at" > "granted_at"`)
@Check('consent_grant_has_categories', `cardinality("categories") > 0`)
export class ConsentGrantEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') customerId!: string;
  @ManyToOne(() => CustomerEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;
  @Index()
  @Column('uuid') granteePartnerId!: string;
  @ManyToOne(() => PartnerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'grantee_partner_id' })
  granteePartner?: PartnerEntity;
  /** Data categories (design §3), e.g. `order.status`. */
  @Column({ type: 'varchar', array: true, length: 64 }) categories!: string[];
  @Column({ type: 'varchar', length: 40 }) purpose!: string;
  @Column({ type: 'timestamptz' }) grantedAt!: Date;
  @Column({ type: 'timestamptz' }) expiresAt!: Date;
  @Column({ type: 'timestamptz', nullable: true }) withdrawnAt!: Date | null;
}
