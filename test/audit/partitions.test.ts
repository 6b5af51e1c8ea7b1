/**
 * The audit log by month: the retention job prepares the coming months, drops the months whose
 * 3 years have passed unless a legal hold covers an event in them, and `audit verify` reports
 * the dropped months as expired — still checking every seal link and the Merkle root of a batch
 * written across the turn of a month — while an event removed from a kept month is still caught.
 */
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import type { AuditEventInput } from '../../src/audit/audit-record';
import { describeVerification } from '../../src/audit/verify-command';
import { verifyAuditLog } from '../../src/audit/verify';
import { runRetention, type RetentionResult } from '../../src/retention/retention-job';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertCustomer } from '../retention/retention-fixtures';

const AS_OF = new Date('2026-12-15T00:00:00Z');
const HELD = '0b6f4c1e-0000-4000-8000-0000000000a1';
const OTHER = '0b6f4c1e-0000-4000-8000-0000000000a2';

const event = (at: string, subjects: string[] = [OTHER]): AuditEventInput => ({
  requestId: `req-${at}`,
  at: new Date(at),
  principal: { kind: 'staff', id: 'agent-1', roles: ['customer_service'] },
  purpose: 'after_sales',
  operationType: AuditOperationType.QUERY,
  operationName: 'Lookup',
  subjectIds: subjects,
  disclosed: ['Customer.email'],
  outcome: AuditOutcome.OK,
});

/** Appends events together so that they are sealed by one seal. */
async function oneSeal(log: AuditLog, events: AuditEventInput[]): Promise<void> {
  await Promise.all(events.map((e) => log.append(e)));
}

async function partitions(db: TestDatabase): Promise<string[]> {
  const rows: Array<{ name: string }> = await db.dataSource.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_event'::regclass ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Old months with events: October (alone), November and December 2022 (one seal across the turn), December 2022 and January 2023 (one seal across), January naming a held customer. */
async function prepared(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  for (const month of ['2022-10-01', '2022-11-01', '2022-12-01', '2023-01-01']) await db.dataSource.query(`SELECT audit_event_ensure_partition($1::date)`, [month]);
  for (const id of [HELD, OTHER]) await insertCustomer(db.dataSource, id, new Date('2022-01-01T00:00:00Z'));
  const log = new AuditLog(db.dataSource, { windowMs: 30 });
  await oneSeal(log, [event('2022-10-03T10:00:00Z'), event('2022-10-04T10:00:00Z')]);
  await oneSeal(log, [event('2022-11-30T23:59:59Z'), event('2022-12-01T00:00:01Z')]);
  await oneSeal(log, [event('2022-12-31T23:59:59Z'), event('2023-01-01T00:00:01Z', [HELD])]);
  await oneSeal(log, [event('2023-01-02T10:00:00Z')]);
  await log.close();
  await db.dataSource.query(`INSERT INTO legal_hold (scope, customer_id, reason, case_reference, placed_by, placed_at) VALUES ('customer', $1, 'Litigation', 'LIT-7', 'officer', '2026-01-01')`, [HELD]);
  return db;
}

function partitionsOf(result: RetentionResult) {
  if (!result.ran) throw new Error(result.reason);
  return { months: result.report.auditPartitions, events: result.report.tables.audit_event };
}

describe('audit log partitions', () => {
  let db: TestDatabase;
  let dry: ReturnType<typeof partitionsOf>;
  let real: ReturnType<typeof partitionsOf>;

  beforeAll(async () => {
    db = await prepared();
    dry = partitionsOf(await runRetention(db.dataSource, { asOf: AS_OF, dryRun: true }));
    expect(await partitions(db)).toContain('audit_event_y2022m10');
    real = partitionsOf(await runRetention(db.dataSource, { asOf: AS_OF }));
  }, 60_000);
  afterAll(() => db.drop());

  it('drops the months 3 years past their end, keeps one a legal hold covers, and reports it alike in a dry run', () => {
    expect(real.months.dropped).toEqual(['audit_event_y2022m10', 'audit_event_y2022m11', 'audit_event_y2022m12']);
    expect(real.months.held).toEqual(['audit_event_y2023m01']);
    expect(real.events).toEqual({ found: 7, anonymized: 0, deleted: 5, held: 2 });
    expect(dry).toEqual(real);
  });

  it('prepares the current month and the 12 after it', async () => {
    const names = await partitions(db);
    for (let i = 0; i <= 12; i++) {
      const m = new Date(Date.UTC(2026, 11 + i, 1));
      expect(names).toContain(`audit_event_y${m.getUTCFullYear()}m${String(m.getUTCMonth() + 1).padStart(2, '0')}`);
    }
    expect(names).not.toContain('audit_event_y2022m10');
    expect(names).toContain('audit_event_default');
  });

  it('verifies across the dropped months: the events reported expired, every seal still linked, the batch across the turn still checked', async () => {
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, problems: result.problems, expired: result.expired.events }).toEqual({ intact: true, problems: [], expired: 5 });
    expect(result.expired.months.map((m) => m.partition)).toEqual(['audit_event_y2022m10', 'audit_event_y2022m11', 'audit_event_y2022m12']);
    expect(describeVerification(result)).toMatch(/expired by retention: 5 events of 3 months \(2022-10 to 2022-12\), dropped after their 3 years; their seals still link/);
    // Hashes kept: both events of the seal across November and December (each when its month
    // went while the other was still there), and December's of the seal across into January.
    expect(await db.dataSource.query(`SELECT seal_id::int AS seal, position FROM audit_expired_leaf ORDER BY 1, 2`)).toEqual([
      { seal: 2, position: 0 },
      { seal: 2, position: 1 },
      { seal: 3, position: 0 },
    ]);
  });

  it('still catches an event removed from a month that is kept, and a forged leaf', async () => {
    const tamper = (sql: string) =>
      db.dataSource.transaction(async (em) => {
        await em.query(`SET LOCAL session_replication_role = replica`);
        await em.query(sql);
      });
    await tamper(`DELETE FROM audit_event WHERE at = '2023-01-02T10:00:00Z'`);
    const removed = await verifyAuditLog(db.dataSource);
    expect(removed.problems.map((p) => p.kind)).toEqual(['event-removed']);
    await tamper(`UPDATE audit_expired_leaf SET hash = repeat('0', 64) WHERE position = 0`);
    const forged = await verifyAuditLog(db.dataSource);
    expect(forged.problems.map((p) => [p.kind, p.sealId])).toEqual([
      ['batch-altered', '2'],
      ['batch-altered', '3'],
      ['event-removed', '4'],
    ]);
  });
});

describe('a legal hold on a customer keeps the months of events naming them', () => {
  it('whether the event holds the customer as its one subject or names a set with them (migration 1795000012000)', async () => {
    const db = await createTestDatabase();
    try {
      for (const month of ['2022-07-01', '2022-08-01', '2022-09-01']) await db.dataSource.query(`SELECT audit_event_ensure_partition($1::date)`, [month]);
      for (const id of [HELD, OTHER]) await insertCustomer(db.dataSource, id, new Date('2022-01-01T00:00:00Z'));
      const log = new AuditLog(db.dataSource, { windowMs: 30 });
      // July names only the other customer; August holds the held one in the row; September names them in a set.
      await oneSeal(log, [event('2022-07-03T10:00:00Z'), event('2022-08-03T10:00:00Z', [HELD]), event('2022-09-03T10:00:00Z', [OTHER, HELD])]);
      await log.close();
      const forms = await db.dataSource.query(`SELECT subject_id IS NOT NULL AS inline, subject_set IS NOT NULL AS named_set FROM audit_event ORDER BY at`);
      expect(forms).toEqual([
        { inline: true, named_set: false },
        { inline: true, named_set: false },
        { inline: false, named_set: true },
      ]);
      await db.dataSource.query(`INSERT INTO legal_hold (scope, customer_id, reason, case_reference, placed_by, placed_at) VALUES ('customer', $1, 'Litigation', 'LIT-8', 'officer', '2026-01-01')`, [HELD]);
      const { months } = partitionsOf(await runRetention(db.dataSource, { asOf: AS_OF, dryRun: true }));
      expect({ dropped: months.dropped, held: months.held }).toEqual({ dropped: ['audit_event_y2022m07'], held: ['audit_event_y2022m08', 'audit_event_y2022m09'] });
    } finally {
      await db.drop();
    }
  }, 60_000);
});
