import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import { hexHashCheck } from './hex-hash-check';

/**
 * One sealed batch of audit events: the events' ids in log order, the Merkle root over their
 * row hashes, and a hash chain link to the previous seal. Written in the same statement as the
 * events it covers; the id is the primary key and each writer takes the next one after the seal
 * it read (audit-log.ts), so seals form one line (1, 2, 3, ...) however many gateway replicas
 * write. Append-only like audit_event.
 */
@Entity('audit_seal', { comment: 'Merkle seals over audit_event batches, each chained to the previous one; append-only.' })
@Check('audit_seal_count', `"event_count" = cardinality("event_ids") AND "event_count" > 0`)
@Check('audit_seal_hashes_hex', ['merkle_root', 'previous_hash', 'hash'].map(hexHashCheck).join(' AND '))
export class AuditSealEntity {
  /** 1, 2, 3, ... with no gaps: seal n links to seal n - 1. */
  @PrimaryColumn('bigint') id!: string;
  @Column({ type: 'timestamptz' }) sealedAt!: Date;
  @Column('int') eventCount!: number;
  /** The sealed events in log order: Merkle leaf i is the hash of event_ids[i]. */
  @Column({ type: 'uuid', array: true }) eventIds!: string[];
  @Column({ type: 'char', length: 64 }) merkleRoot!: string;
  /** The previous seal's hash; 64 zeros for seal 1. */
  @Column({ type: 'char', length: 64 }) previousHash!: string;
  /** sha256 over the canonical JSON of every column above. */
  @Column({ type: 'char', length: 64 }) hash!: string;
}
