import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A trusted document: one operation (with the fragments it uses) registered for an audience from
 * a partner's own `.graphql` files (integration/trusted-documents.ts). When trusted documents are
 * required, a token of that audience runs only these, named by `sha256:<hash of body>`.
 */
@Check('trusted_document_sha256_hex', `"sha256" ~ '^[0-9a-f]{64}$'`)
@Check('trusted_document_operation_type', `"operation_type" IN ('query', 'mutation')`)
@Entity('trusted_document', { comment: 'Operations registered per audience (trusted documents); a revoked one is kept with revoked_at.' })
export class TrustedDocumentEntity {
  /** The principal kind whose tokens may run the document (logistics_partner, payment_provider, ...). */
  @PrimaryColumn({ type: 'varchar', length: 40 }) audience!: string;
  /** sha256 of `body` (UTF-8), lower-case hex: the payload of its document id `sha256:<hex>`. */
  @PrimaryColumn({ type: 'char', length: 64 }) sha256!: string;
  /** The document as registered and as it runs: the operation and the fragments it uses, printed. */
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'varchar', length: 200 }) operationName!: string;
  /** query or mutation. */
  @Column({ type: 'varchar', length: 12 }) operationType!: string;
  /** The file it was registered from, as named on the command line. */
  @Column({ type: 'varchar', length: 300 }) source!: string;
  @Column({ type: 'timestamptz' }) registeredAt!: Date;
  /** Set by a revocation; registering the same document again clears it. */
  @Column({ type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}
