import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AfterSalesCaseEntity } from './after-sales-case.entity';
import { CaseMessageEntity } from './case-message.entity';

export enum AttachmentKind {
  PHOTO = 'photo',
  VIDEO = 'video',
  DOCUMENT = 'document',
}

/** Proof a customer submitted: metadata and content hash here, the bytes in object storage under `storageKey`. */
@Entity('case_attachment')
@Check('attachment_sha256_hex', `"sha256" ~ '^[0-9a-f]{64}$'`)
@Check('attachment_size_non_negative', `"size_bytes" >= 0`)
export class CaseAttachmentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Index()
  @Column('uuid') caseId!: string;
  @ManyToOne(() => AfterSalesCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'case_id' })
  case?: AfterSalesCaseEntity;
  @Index()
  @Column({ type: 'uuid', nullable: true }) messageId!: string | null;
  @ManyToOne(() => CaseMessageEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'message_id' })
  message?: CaseMessageEntity | null;
  @Column({ type: 'enum', enum: AttachmentKind, enumName: 'attachment_kind' }) kind!: AttachmentKind;
  @Column({ type: 'varchar', length: 100 }) contentType!: string;
  @Column({ type: 'bigint' }) sizeBytes!: string;
  @Column({ type: 'char', length: 64 }) sha256!: string;
  /** Object-storage key. Never published through GraphQL. */
  @Column({ type: 'varchar', length: 300, unique: true }) storageKey!: string;
  @Column({ type: 'timestamptz' }) uploadedAt!: Date;
  /** Set when an erasure kept the row (retention window or legal hold): readable only under legal_compliance (row-scope.ts). */
  @Column({ type: 'timestamptz', nullable: true }) restrictedAt!: Date | null;
}
