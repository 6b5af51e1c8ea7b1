import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AfterSalesCaseEntity } from './after-sales-case.entity';
import { AttachmentKind } from './case-attachment.entity';

/**
 * A file uploaded to a case and not yet attached: its blob is stored, and it becomes a
 * CaseAttachment (same id, same blob) when its uploader attaches it (`attachCaseUpload`).
 * Until then only its uploader can use it; after `expiresAt` the sweep deletes it and its blob.
 * Never published: the upload endpoint answers with its id and what was stored.
 */
@Entity('attachment_upload')
@Check('attachment_upload_sha256_hex', `"sha256" ~ '^[0-9a-f]{64}$'`)
@Check('attachment_upload_size_positive', `"size_bytes" > 0`)
export class AttachmentUploadEntity {
  @PrimaryColumn('uuid') id!: string;
  @Index()
  @Column('uuid') caseId!: string;
  @ManyToOne(() => AfterSalesCaseEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'case_id' })
  case?: AfterSalesCaseEntity;
  /** sha256 of the uploader's principal key (auth/principal.ts): who may attach it. */
  @Column({ type: 'char', length: 64 }) uploader!: string;
  @Column({ type: 'enum', enum: AttachmentKind, enumName: 'attachment_kind' }) kind!: AttachmentKind;
  @Column({ type: 'varchar', length: 100 }) contentType!: string;
  @Column({ type: 'bigint' }) sizeBytes!: string;
  @Column({ type: 'char', length: 64 }) sha256!: string;
  /** Object-storage key. Never published. */
  @Column({ type: 'varchar', length: 300, unique: true }) storageKey!: string;
  @Column({ type: 'timestamptz' }) uploadedAt!: Date;
  @Index()
  @Column({ type: 'timestamptz' }) expiresAt!: Date;
}
