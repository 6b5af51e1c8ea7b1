import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A published version of the store's privacy policy; every order records the one in force. */
@Entity('policy_version')
export class PolicyVersionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 40, unique: true }) version!: string;
  @Column({ type: 'timestamptz' }) publishedAt!: Date;
  /** When the version takes effect; the version in force at a moment is the latest effective by then. */
  @Index('IDX_policy_version_effective_at')
  @Column({ type: 'timestamptz' }) effectiveAt!: Date;
  /** sha256 of the published text, hex. */
  @Column({ type: 'char', length: 64 }) sha256!: string;
}
