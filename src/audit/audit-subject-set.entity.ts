import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hexHashCheck } from './hex-hash-check';

/**
 * A set of subjects (customer ids) named by audit events, stored once however many events name
 * it: a partner polling its manifest discloses the same 50 customers on every call. The key is
 * `subjectSetHash` of the sorted ids (audit-record.ts); `audit_event.subject_set` refers to it.
 * Each event's own hash covers the ids, so `audit verify` catches a set that was changed.
 * Append-only like audit_event, except that the retention job removes a set once no kept event
 * names it and no legal hold covers a customer in it (audit-sets.ts). The GIN index answers
 * "which events concern this customer".
 */
@Entity('audit_subject_set', { comment: 'The subject lists of audit events, each stored once and named by its sha256; append-only.' })
@Check('audit_subject_set_hash_hex', hexHashCheck('hash'))
@Check('audit_subject_set_not_empty', `cardinality("subject_ids") > 0`)
@Index('audit_subject_set_subject_ids', { synchronize: false })
export class AuditSubjectSetEntity {
  @PrimaryColumn({ type: 'char', length: 64, primaryKeyConstraintName: 'PK_audit_subject_set' }) hash!: string;
  /** Sorted, without duplicates, lowercase. */
  @Column({ type: 'uuid', array: true }) subjectIds!: string[];
}
