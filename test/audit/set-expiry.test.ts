/**
 * Subject and coordinate sets expire with the months of the log that named them: once no kept
 * event names a set and (a subject set) no legal hold covers a customer in it, the retention job
 * removes it, in batches, resumably; `audit verify` still verifies what remains, and a writer
 * that remembered storing a removed set stores it again before an event names it.
 */
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import { coordinateSetHash, subjectSetHash, type AuditEventInput } from '../../src/audit/audit-record';
import { verifyAuditLog } from '../../src/audit/verify';
import { runRetention, type RetentionResult } from '../../src/retention/retention-job';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertCustomer } from '../retention/retention-fixtures';

const AS_OF = new Date('2026-12-15T00:00:00Z');
const A = '0b6f4c1e-0000-4000-8000-0000000000b1';
const B = '0b6f4c1e-0000-4000-8000-0000000000b2';
const C = '0b6f4c1e-0000-4000-8000-0000000000b3';
const H = '0b6f4c1e-0000-4000-8000-0000000000b4';

const event = (subjects: string[], disclosed: string, at?: string): AuditEventInput => ({
  requestId: `req-${at ?? 'now'}-${disclosed}`,
  ...(at ? { at: new Date(at) } : {}),
  principal: { kind: 'staff', id: 'agent-1', roles: ['customer_service'] },
  purpose: 'after_sales',
  operationType: AuditOperationType.QUERY,
  operationName: 'Lookup',
  subjectIds: subjects,
  disclosed: [disclosed],
  outcome: AuditOutcome.OK,
});

const subjectSet = (...ids: string[]) => subjectSetHash([...ids].sort());
const coordinateSet = (disclosed: string) => coordinateSetHash({ disclosed: [disclosed], masked: [], denied: [] });

async function setsIn(db: TestDatabase): Promise<{ subject: string[]; coordinate: string[] }> {
  const subject: Array<{ hash: string }> = await db.dataSource.query(`SELECT hash FROM audit_subject_set ORDER BY hash`);
  const coordinate: Array<{ hash: string }> = await db.dataSource.query(`SELECT hash FROM audit_coordinate_set ORDER BY hash`);
  return { subject: subject.map((r) => r.hash), coordinate: coordinate.map((r) => r.hash) };
}

function setCounts(result: RetentionResult) {
  if (!result.ran) throw new Error(result.reason);
  return { subject: result.report.tables.audit_subject_set, coordinate: result.report.tables.audit_coordinate_set };
}

async function withCustomersAndMonths(months: string[]): Promise<TestDatabase> {
  const db = await createTestDatabase();
  for (const month of months) await db.dataSource.query(`SELECT audit_event_ensure_partition($1::date)`, [month]);
  for (const id of [A, B, C, H]) await insertCustomer(db.dataSource, id, new Date('2022-01-01T00:00:00Z'));
  return db;
}

describe('audit sets of dropped months', () => {
  let db: TestDatabase;
  /** A writer that stored every set before the run, as a gateway replica would have, still open after it. */
  let writer: AuditLog;
  let dry: ReturnType<typeof setCounts>;
  let real: ReturnType<typeof setCounts>;

  beforeAll(async () => {
    // October and November 2022 expire by AS_OF; January 2024 is kept.
    db = await withCustomersAndMonths(['2022-10-01', '2022-11-01', '2024-01-01']);
    writer = new AuditLog(db.dataSource, { windowMs: 0 });
    await Promise.all([writer.append(event([A, B], 'Customer.email', '2022-10-03T10:00:00Z')), writer.append(event([A, C], 'Customer.name', '2022-10-04T10:00:00Z'))]);
    await writer.append(event([A, C], 'Customer.name', '2024-01-03T10:00:00Z'));
    await writer.append(event([B, C], 'Customer.email', '2022-11-03T10:00:00Z'));
    dry = setCounts(await runRetention(db.dataSource, { asOf: AS_OF, dryRun: true }));
    real = setCounts(await runRetention(db.dataSource, { asOf: AS_OF, batchSize: 1 }));
  }, 60_000);
  afterAll(async () => {
    await writer.close();
    await db.drop();
  });

  it('removes the sets only dropped months named, keeps those a kept event names, and reports it alike in a dry run', async () => {
    const { subject, coordinate } = await setsIn(db);
    expect(subject).toContain(subjectSet(A, C));
    expect(subject).not.toContain(subjectSet(A, B));
    expect(subject).not.toContain(subjectSet(B, C));
    expect(coordinate).toContain(coordinateSet('Customer.name'));
    expect(coordinate).not.toContain(coordinateSet('Customer.email'));
    expect(real).toEqual({ subject: { found: 2, anonymized: 0, deleted: 2, held: 0 }, coordinate: { found: 1, anonymized: 0, deleted: 1, held: 0 } });
    expect(dry).toEqual(real);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_set_candidate`)).toEqual([{ n: 0 }]);
  });

  it('leaves the sets append-only for everyone else', async () => {
    await expect(db.dataSource.query(`DELETE FROM audit_subject_set WHERE hash = $1`, [subjectSet(A, C)])).rejects.toThrow(/append-only|permission denied/);
    await expect(db.dataSource.query(`DELETE FROM audit_coordinate_set WHERE hash = $1`, [coordinateSet('Customer.name')])).rejects.toThrow(/append-only|permission denied/);
  });

  it('still verifies what remains, the dropped events reported expired', async () => {
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, problems: result.problems, expired: result.expired.events }).toEqual({ intact: true, problems: [], expired: 3 });
  });

  it('makes a writer that remembered storing a removed set store it again before an event names it', async () => {
    // The first batch after the run seals under the lock, and so does the second (another writer
    // sealed in between); the third goes without the lock and sends only the sets it does not remember.
    await writer.append(event([A, C], 'Customer.name'));
    await writer.append(event([A, C], 'Customer.name'));
    await writer.append(event([A, B], 'Customer.email'));
    expect(writer.batches.slice(-3).map((b) => b.locked)).toEqual([true, true, false]);
    const { subject, coordinate } = await setsIn(db);
    expect(subject).toContain(subjectSet(A, B));
    expect(coordinate).toContain(coordinateSet('Customer.email'));
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, problems: result.problems }).toEqual({ intact: true, problems: [] });
  });
});

describe('a subject set whose events are gone', () => {
  it('is kept while a legal hold covers a customer in it, and removed by the run after the hold is released; a run stopped midway resumes', async () => {
    const db = await withCustomersAndMonths(['2022-10-01']);
    try {
      const log = new AuditLog(db.dataSource, { windowMs: 0 });
      await log.append(event([A, H], 'Customer.email', '2022-10-03T10:00:00Z'));
      await log.close();
      // Stop the run at the first batch of its sets, after the month was dropped.
      let afterPageViews = false;
      let batchesSince = 0;
      const stopped = runRetention(db.dataSource, {
        asOf: AS_OF,
        onProgress: (phase) => {
          if (phase === 'page views') afterPageViews = true;
        },
        beforeCommit: () => {
          if (afterPageViews && ++batchesSince === 2) throw new Error('stopped');
        },
      });
      await expect(stopped).rejects.toThrow('stopped');
      expect(await db.dataSource.query(`SELECT kind, hash FROM audit_set_candidate ORDER BY kind`)).toEqual([
        { kind: 'coordinate', hash: coordinateSet('Customer.email') },
        { kind: 'subject', hash: subjectSet(A, H) },
      ]);
      await db.dataSource.query(`INSERT INTO legal_hold (scope, customer_id, reason, case_reference, placed_by, placed_at) VALUES ('customer', $1, 'Litigation', 'LIT-9', 'officer', '2026-01-01')`, [H]);

      const progress: Array<[number, number]> = [];
      const resumed = await runRetention(db.dataSource, { asOf: AS_OF, batchSize: 1, onProgress: (phase, done, total) => phase === 'audit sets' && progress.push([done, total]) });
      expect(resumed.ran && resumed.resumed).toBe(true);
      expect(setCounts(resumed)).toEqual({ subject: { found: 1, anonymized: 0, deleted: 0, held: 1 }, coordinate: { found: 1, anonymized: 0, deleted: 1, held: 0 } });
      expect(progress).toEqual([
        [1, 2],
        [2, 2],
        [2, 2],
      ]);
      expect((await setsIn(db)).subject).toEqual([subjectSet(A, H)]);
      expect(await db.dataSource.query(`SELECT kind FROM audit_set_candidate`)).toEqual([{ kind: 'subject' }]);

      await db.dataSource.query(`UPDATE legal_hold SET released_at = '2026-06-01', released_by = 'officer'`);
      const after = setCounts(await runRetention(db.dataSource, { asOf: AS_OF }));
      expect(after.subject).toEqual({ found: 1, anonymized: 0, deleted: 1, held: 0 });
      expect((await setsIn(db)).subject).toEqual([]);
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_set_candidate`)).toEqual([{ n: 0 }]);
      const verified = await verifyAuditLog(db.dataSource);
      expect({ intact: verified.intact, problems: verified.problems, expired: verified.expired.events }).toEqual({ intact: true, problems: [], expired: 1 });
    } finally {
      await db.drop();
    }
  }, 60_000);
});
