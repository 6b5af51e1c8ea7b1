import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import { hexHashCheck } from './hex-hash-check';

/**
 * The coordinate lists of audit events (disclosed, masked, denied), stored once however many
 * events name them: every request of one shape carries the same lists. The key is
 * `coordinateSetHash` of the three sorted lists (audit-record.ts); `audit_event.coordinate_set`
 * names it. Each event's own hash covers the lists, so `audit verify` catches a set that was
 * changed. Events written before migration 1795000011000 keep their lists in their own row.
 * Append-only like audit_event, except that the retention job removes a set once no kept event
 * names it (audit-sets.ts). Coordinates name schema fields, never a person: no one's data.
 */
@Entity('audit_coordinate_set', { comment: 'The coordinate lists of audit events, each distinct triple stored once and named by its sha256; append-only.' })
@Check('audit_coordinate_set_hash_hex', hexHashCheck('hash'))
export class AuditCoordinateSetEntity {
  @PrimaryColumn({ type: 'char', length: 64, primaryKeyConstraintName: 'PK_audit_coordinate_set' }) hash!: string;
  /** Each sorted, without duplicates, as the event's hash covers them. */
  @Column({ type: 'text', array: true }) disclosed!: string[];
  @Column({ type: 'text', array: true }) masked!: string[];
  @Column({ type: 'text', array: true }) denied!: string[];
}
