import { Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PrivacyRequestEntity, PrivacyRequestStatus } from './privacy-request.entity';

/** One change of a privacy request's status: from what to what, when, by whom, and a note (a rejection's reason, the fields corrected). */
@Entity('privacy_request_transition')
@Index(['requestId', 'seq'])
export class PrivacyRequestTransitionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') requestId!: string;
  @ManyToOne(() => PrivacyRequestEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id' })
  request?: PrivacyRequestEntity;
  /** Null for the request's creation. */
  @Column({ type: 'enum', enum: PrivacyRequestStatus, enumName: 'privacy_request_status', nullable: true }) fromStatus!: PrivacyRequestStatus | null;
  @Column({ type: 'enum', enum: PrivacyRequestStatus, enumName: 'privacy_request_status' }) toStatus!: PrivacyRequestStatus;
  @Column({ type: 'timestamptz' }) at!: Date;
  /** Orders the transitions of one request, several of which can share a time (verified, then carried out). */
  @Generated('increment')
  @Column({ type: 'bigint' })
  seq!: string;
  /** The principal kind that acted (customer, staff), or `system`. */
  @Column({ type: 'varchar', length: 32 }) actorKind!: string;
  /** The token subject that acted, or the job's name. */
  @Column({ type: 'varchar', length: 200 }) actor!: string;
  @Column({ type: 'text', nullable: true }) note!: string | null;
}
