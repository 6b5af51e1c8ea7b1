import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each audit table's hash CHECK, with its columns: the constraint names stay. */
const CHECKS: ReadonlyArray<{ table: string; name: string; columns: readonly string[] }> = [
  { table: 'audit_event', name: 'audit_event_hash_hex', columns: ['hash'] },
  { table: 'audit_seal', name: 'audit_seal_hashes_hex', columns: ['merkle_root', 'previous_hash', 'hash'] },
  { table: 'audit_subject_set', name: 'audit_subject_set_hash_hex', columns: ['hash'] },
  { table: 'audit_coordinate_set', name: 'audit_coordinate_set_hash_hex', columns: ['hash'] },
];

const withoutRegex = (column: string) => `length("${column}") = 64 AND "${column}" !~ '[^0-9a-f]'`;
const withRegex = (column: string) => `"${column}" ~ '^[0-9a-f]{64}$'`;

/**
 * The audit tables' hash CHECKs accept the same values (64 lowercase hex digits) without the
 * regular expression `^[0-9a-f]{64}$`.
 *
 * Why: PostgreSQL ran that bounded repetition for every event (and three times for every seal),
 * several microseconds each: about 7 % of the backend's CPU in a profile of the writer's
 * statement, and about 5 % of its CPU per event measured variant by variant (docs/performance.md,
 * "Issue 23: the audit event's checks"). `length(...) = 64 AND ... !~ '[^0-9a-f]'` refuses the
 * same values: a `char(64)`'s length ignores its padding, and a padding space, an uppercase digit
 * or any other character fails the second half (test/audit/hex-checks.test.ts tries both
 * expressions on the same values).
 *
 * Each constraint is replaced under its own name in one ALTER TABLE (on audit_event, for every
 * partition): the rows already stored passed the old expression, so they pass the new one, which
 * PostgreSQL checks once more as it adds it.
 */
export class AuditHexChecks1795000013000 implements MigrationInterface {
  name = 'AuditHexChecks1795000013000';

  public async up(q: QueryRunner): Promise<void> {
    for (const c of CHECKS) await replace(q, c, withoutRegex);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const c of CHECKS) await replace(q, c, withRegex);
  }
}

async function replace(q: QueryRunner, c: (typeof CHECKS)[number], expression: (column: string) => string): Promise<void> {
  await q.query(`ALTER TABLE "${c.table}" DROP CONSTRAINT "${c.name}", ADD CONSTRAINT "${c.name}" CHECK (${c.columns.map(expression).join(' AND ')})`);
}
