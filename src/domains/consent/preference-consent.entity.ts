import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customers/customer.entity';
import { PolicyVersionEntity } from '../policy-versions/policy-version.entity';

export enum PreferenceCategory {
  NECESSARY = 'necessary',
  PREFERENCES = 'preferences',
  ANALYTICS = 'analytics',
}

/** Through what a choice was recorded: the storefront's cookie banner, or the customer's own account. */
export enum PreferenceSource {
  STOREFRONT = 'storefront',
  CUSTOMER = 'customer',
}

/**
 * One cookie / preference choice, by a customer or by a pseudonymous visitor (exactly one of the
 * two), under the privacy policy version in force when it was made. Choices are never updated:
 * each one is a row of its own, so the history says who chose what, when and under which policy,
 * and the choice in force for a category is the latest.
 *
 * A visitor is known only by the daily pseudonym of the day they chose (privacy/desensitize.ts):
 * never by the storefront's cookie id, and never linked to a customer.
 */
@Entity('preference_consent')
@Index(['customerId', 'category', 'recordedAt'])
@Index(['visitorPseudonym', 'category', 'recordedAt'])
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
  @Index()
  @Column('uuid') policyVersionId!: string;
  @ManyToOne(() => PolicyVersionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'policy_version_id' })
  policyVersion?: PolicyVersionEntity;
  @Column({ type: 'enum', enum: PreferenceSource, enumName: 'preference_source' }) recordedVia!: PreferenceSource;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
