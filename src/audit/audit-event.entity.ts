import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hexHashCheck } from './hex-hash-check';

/** What became of a request, as its response showed it. */
export enum AuditOutcome {
  /** No error: everything asked for that exists was disclosed. */
  OK = 'ok',
  /** Some fields were denied (FORBIDDEN), others disclosed. */
  PARTIAL = 'partial',
  /** Refused: nothing was disclosed and the policy said no (FORBIDDEN, or refused before execution). */
  DENIED = 'denied',
  /** Any other error: invalid input, not found, validation, an internal failure. */
  ERROR = 'error',
}

export enum AuditOperationType {
  QUERY = 'query',
  MUTATION = 'mutation',
  SUBSCRIPTION = 'subscription',
  /** A write that did not come through GraphQL: retention runs, data-subject actions. */
  JOB = 'job',
}

/**
 * One row of the disclosure audit log (design §5): who asked, why, what was disclosed, masked
 * and denied, about whom. Never field values, tokens or variables.
 *
 * Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE and the migration revokes them.
 * `hash` is the Merkle leaf of the row's canonical JSON (audit-record.ts); `sealId` names the
 * seal (audit_seal) whose Merkle root covers it. The primary key includes `at` so the table can
 * be range-partitioned by month without a new key (see the migration).
 *
 * The subjects live in audit_subject_set, one row per distinct set, named by `subjectSet`, but
 * for an event with exactly one subject, which keeps it in `subjectId` (migration 1795000012000); the
 * coordinate lists in audit_coordinate_set, named by `coordinateSet` (older events hold theirs).
 *
 * The indexes (time, principal, partner, purpose, subject set, flagged reads, seal) are
 * written in the migrations by hand, so they are named here with `synchronize: false`.
 */
@Entity('audit_event', {
  comment: 'Disclosure audit log: append-only (trigger + revoked privileges), sealed in batches by audit_seal; check with "need-to-know audit verify".',
})
@Check('audit_event_outcome', `"outcome" IN ('ok', 'partial', 'denied', 'error')`)
@Check('audit_event_operation_type', `"operation_type" IS NULL OR "operation_type" IN ('query', 'mutation', 'subscription', 'job')`)
@Check('audit_event_hash_hex', hexHashCheck('hash'))
@Index('audit_event_at', { synchronize: false })
@Index('audit_event_subject_set', { synchronize: false })
@Index('audit_event_subject_id', { synchronize: false })
@Index('audit_event_principal', { synchronize: false })
@Index('audit_event_partner', { synchronize: false })
@Index('audit_event_purpose', { synchronize: false })
@Index('audit_event_flagged', { synchronize: false })
@Index('audit_event_seal', { synchronize: false })
export class AuditEventEntity {
  @PrimaryColumn('uuid') id!: string;
  /** When the request arrived (millisecond precision: the hash covers the ISO-8601 text). */
  @PrimaryColumn({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'varchar', length: 64 }) requestId!: string;
  /** A principal kind (design §3), or `system` for jobs. */
  @Column({ type: 'varchar', length: 32 }) principalKind!: string;
  /** The token subject (a person or system at the principal's organisation), or the job's name. */
  @Column({ type: 'varchar', length: 200 }) principalId!: string;
  @Column({ type: 'varchar', length: 40, array: true }) roles!: string[];
  @Column({ type: 'uuid', nullable: true }) partnerId!: string | null;
  /** The customer a customer principal is, or whose consent grant a third party acts on. */
  @Column({ type: 'uuid', nullable: true }) customerId!: string | null;
  @Column({ type: 'uuid', nullable: true }) grantId!: string | null;
  @Column({ type: 'varchar', length: 40, nullable: true }) purpose!: string | null;
  /** Null when the request was refused before its document was parsed. */
  @Column({ type: 'varchar', length: 16, nullable: true }) operationType!: AuditOperationType | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) operationName!: string | null;
  /** sha256 of the printed (normalized) GraphQL document. */
  @Column({ type: 'char', length: 64, nullable: true }) operationHash!: string | null;
  /**
   * The set of customers whose data was disclosed or written (audit_subject_set); null when none.
   * Not a foreign key: the writer stores the set with the first event naming it (migration 1795000011001).
   */
  @Column({ type: 'char', length: 64, nullable: true }) subjectSet!: string | null;
  /** The one subject of an event that has exactly one (events written before migration 1795000012000 name a one-id set instead); null otherwise. */
  @Column({ type: 'uuid', nullable: true }) subjectId!: string | null;
  /** Not a column: the ids of `subjectSet`, or `subjectId`, filled in by whoever reads the event (audit-event.resolver.ts). */
  subjectIds!: string[];
  /**
   * The coordinate lists below, stored once per distinct triple (audit_coordinate_set); null for
   * events written before migration 1795000011000, which hold the lists in their own row.
   */
  @Column({ type: 'char', length: 64, nullable: true }) coordinateSet!: string | null;
  /**
   * `Type.field` coordinates of personal data the response carried, unmasked / masked. Null in
   * the row of an event that names a coordinate set; whoever reads the event fills them in from
   * it (audit-event.resolver.ts).
   */
  @Column({ type: 'text', array: true, nullable: true }) disclosed!: string[];
  @Column({ type: 'text', array: true, nullable: true }) masked!: string[];
  /** Coordinates the response refused (FORBIDDEN), links and operations included. */
  @Column({ type: 'text', array: true, nullable: true }) denied!: string[];
  @Column({ type: 'varchar', length: 16 }) outcome!: AuditOutcome;
  /** `extensions.code` of every error in the response, sorted, without messages. */
  @Column({ type: 'varchar', length: 40, array: true }) errorCodes!: string[];
  @Column({ type: 'varchar', length: 100, nullable: true }) legalCaseReference!: string | null;
  /** The privacy request a data_subject_request read serves (X-Privacy-Request). */
  @Column({ type: 'varchar', length: 100, nullable: true }) privacyRequestReference!: string | null;
  /** A read that serves a legal case or a privacy request: compliance reviews these first. */
  @Column({ type: 'boolean' }) flagged!: boolean;
  /** Jobs only: counts and other non-personal facts about what the job did. */
  @Column({ type: 'jsonb', nullable: true }) detail!: Record<string, unknown> | null;
  /** The W3C trace id of the request's trace, when tracing was on (OpenTelemetry). */
  @Column({ type: 'char', length: 32, nullable: true }) traceId!: string | null;
  @Column({ type: 'bigint' }) sealId!: string;
  @Column({ type: 'char', length: 64 }) hash!: string;
}
