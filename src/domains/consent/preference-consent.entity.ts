import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customers/customer.entity';

export enum PreferenceCategory {
  NECESSARY = 'necessary',
  PREFERENCES = 'preferences',
  ANALYTICS = 'analytics',
}

/** A cookie / preference choice, by a customer or by a pseudonymous visitor (exactly one of the two). */
@Entity('preference_consent')
@Index(['customerId', 'category'], { unique: true, where: 'customer_id IS NOT NULL' })
@Index(['visitorPseudonym', 'category'], { unique: true, where: 'visitor_pseudonym IS NOT NULL' })
@Check('preference_consent_one_subject', `("customer_id" IS NULL) <> ("visitor_pseudonym" IS NULL)`)
export class PreferenceConsentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'uuid', nullable: true }) customerId!: string | null;
  @ManyToOne(() => CustomerEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity | null;
  @Column({ type: 'char', length: 43, nullable: true }) visitorPseudonym!: string | null;
  @Column({ type: 'enum', enum: PreferenceCategory, enumName: 'preference_category' }) category!: PreferenceCategory;
  @Column({ type: 'boolean' }) granted!: boolean;
  @Column({ type: 'timestamptz' }) recordedAt!: Date;
}
