/**
 * The audit tables' hash CHECKs (migration 1795000013000): written without a regular expression,
 * they refuse exactly what `^[0-9a-f]{64}$` refused, on every hash column of the four tables,
 * and the migration's revert puts the regular expressions back. Events written under either
 * verify together.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log';
import { verifyAuditLog } from '../../src/audit/verify';
import { createTestDatabase, revertMigrationsThrough, type TestDatabase } from '../harness/database';
import { jobEvent } from './audit-harness';

const HEX = '0123456789abcdef'.repeat(4);
/** Candidate hashes, each with whether it is 64 lowercase hex digits. */
const CANDIDATES: ReadonlyArray<[string, boolean]> = [
  [HEX, true],
  ['f'.repeat(64), true],
  [HEX.toUpperCase(), false],
  [HEX.slice(0, 63), false], // padded with a space by char(64)
  [` ${HEX.slice(1)}`, false],
  [`${HEX.slice(0, 32)} ${HEX.slice(33)}`, false],
  [`${HEX.slice(0, 63)}\n`, false],
  [`${HEX.slice(0, 63)}g`, false],
  ['é'.repeat(64), false],
  ['', false],
];

/** Each hash column, and the row that tries `hash` in it (the other hashes valid). */
const COLUMNS: ReadonlyArray<{ constraint: string; insert: string }> = [
  {
    constraint: 'audit_event_hash_hex',
    insert: `INSERT INTO audit_event (id, at, request_id, principal_kind, principal_id, roles, outcome, error_codes, flagged, seal_id, hash)
             VALUES (gen_random_uuid(), '2026-01-01T00:00:00Z', 'r', 'job', 'j', '{}', 'ok', '{}', false, 1, $1)`,
  },
  { constraint: 'audit_seal_hashes_hex', insert: `INSERT INTO audit_seal VALUES (9223372036854775807, now(), 1, ARRAY[gen_random_uuid()], $1, '${HEX}', '${HEX}')` },
  { constraint: 'audit_seal_hashes_hex', insert: `INSERT INTO audit_seal VALUES (9223372036854775807, now(), 1, ARRAY[gen_random_uuid()], '${HEX}', $1, '${HEX}')` },
  { constraint: 'audit_seal_hashes_hex', insert: `INSERT INTO audit_seal VALUES (9223372036854775807, now(), 1, ARRAY[gen_random_uuid()], '${HEX}', '${HEX}', $1)` },
  { constraint: 'audit_subject_set_hash_hex', insert: `INSERT INTO audit_subject_set (hash, subject_ids) VALUES ($1, ARRAY[gen_random_uuid()])` },
  { constraint: 'audit_coordinate_set_hash_hex', insert: `INSERT INTO audit_coordinate_set (hash, disclosed, masked, denied) VALUES ($1, '{}', '{}', '{}')` },
];

/** For each column, which candidates its table accepts; every try is rolled back. */
async function accepted(dataSource: DataSource): Promise<boolean[][]> {
  const runner = dataSource.createQueryRunner();
  await runner.startTransaction();
  try {
    const result: boolean[][] = [];
    for (const { constraint, insert } of COLUMNS) {
      const row: boolean[] = [];
      for (const [hash] of CANDIDATES) {
        await runner.query('SAVEPOINT try_hash');
        try {
          await runner.query(insert, [hash]);
          row.push(true);
        } catch (error) {
          const e = error as { code?: string; constraint?: string };
          if (e.code !== '23514' || e.constraint !== constraint) throw error;
          row.push(false);
        }
        await runner.query('ROLLBACK TO SAVEPOINT try_hash');
      }
      result.push(row);
    }
    return result;
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

const definitions = async (dataSource: DataSource): Promise<string[]> =>
  (
    await dataSource.query(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = ANY($1) AND conrelid = ANY(ARRAY['audit_event', 'audit_seal', 'audit_subject_set', 'audit_coordinate_set']::regclass[]) ORDER BY conname`,
      [[...new Set(COLUMNS.map((c) => c.constraint))]],
    )
  ).map((r: { def: string }) => r.def);

describe('the audit tables hash checks', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('accept 64 lowercase hex digits and refuse anything else, on every hash column, as the regular expression did', async () => {
    const expected = CANDIDATES.map(([, hex]) => hex);
    // The regular expression the checks were written with, as PostgreSQL applies it to a char(64).
    const byRegex: Array<{ ok: boolean }> = await db.dataSource.query(`SELECT h::char(64) ~ '^[0-9a-f]{64}$' AS ok FROM unnest($1::text[]) WITH ORDINALITY AS c(h, n) ORDER BY n`, [
      CANDIDATES.map(([hash]) => hash),
    ]);
    expect(byRegex.map((r) => r.ok)).toEqual(expected);
    expect(await definitions(db.dataSource)).not.toEqual(expect.arrayContaining([expect.stringContaining('{64}')]));
    expect(await accepted(db.dataSource)).toEqual(COLUMNS.map(() => expected));
  });

  it('are put back as regular expressions by the revert, and events written under both verify', async () => {
    const scratch = await createTestDatabase();
    try {
      const first = new AuditLog(scratch.dataSource, { windowMs: 20 });
      await Promise.all([1, 2, 3].map((n) => first.append(jobEvent(n, { subjectIds: [randomUUID()] }))));
      await first.close();
      await revertMigrationsThrough(scratch.dataSource, 'AuditHexChecks1795000013000');
      const reverted = await definitions(scratch.dataSource);
      expect(reverted).toHaveLength(4);
      for (const def of reverted) expect(def).toMatch(/^CHECK \(.*'\^\[0-9a-f\]\{64\}\$'::text/);
      expect(await accepted(scratch.dataSource)).toEqual(COLUMNS.map(() => CANDIDATES.map(([, hex]) => hex)));
      const second = new AuditLog(scratch.dataSource, { windowMs: 20 });
      await Promise.all([4, 5].map((n) => second.append(jobEvent(n))));
      await second.close();
      await scratch.dataSource.runMigrations();
      const third = new AuditLog(scratch.dataSource, { windowMs: 20 });
      await Promise.all([6, 7].map((n) => third.append(jobEvent(n))));
      await third.close();
      const result = await verifyAuditLog(scratch.dataSource);
      expect({ intact: result.intact, events: result.events, problems: result.problems }).toEqual({ intact: true, events: 7, problems: [] });
    } finally {
      await scratch.drop();
    }
  });
});
