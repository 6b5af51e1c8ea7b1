/**
 * Where "3 years" begins and ends, read as an outside tester reads the policy (§4: kept 3 years
 * after the order and its after-sales service are complete): the schedule is counted on the UTC
 * calendar, to the second, whatever time zone the database session or the process runs in. A
 * record is due at its `retain_until` exactly and not a second before; a leap day's third
 * anniversary is the last day of February; a daylight-saving change in some local zone moves
 * nothing. The preview (a dry run) and the run agree at every boundary.
 *
 * The database here runs its sessions in America/Los_Angeles (as `ALTER DATABASE ... SET timezone`
 * or a server's `timezone` setting would), so a computation made in the session's local calendar
 * shows up as an hour or a day off the expected UTC values, which are written out by hand below.
 * (The job's own JavaScript reads dates in UTC only; the file passes under TZ=Asia/Tokyo as well.)
 */
import type { DataSource } from 'typeorm';
import { verifyAuditLog } from '../../src/audit/verify';
import { createDataSource } from '../../src/data-source';
import { storeConsentedViews } from '../../src/domains/behavior/behavior.service';
import { runRetention } from '../../src/retention/retention-job';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { createTestDatabase, revertMigrationsThrough, type TestDatabase } from '../harness/database';
import { insertCustomer, insertOrder, referenceRows, reportOf } from './retention-fixtures';

const d = (iso: string) => new Date(iso);
const SECOND = 1000;

const CUSTOMER = 'b0d0c1e5-0000-4000-8000-000000000001';
const O = {
  /** Completed on the leap day, at 03:00 UTC (the evening of 28 February in Los Angeles). */
  leapDay: 'b0d00000-0000-4000-8000-000000000001',
  /** Completed at 10:30 UTC on the day Los Angeles moved its clocks forward in 2024 (not in 2027). */
  springForward: 'b0d00000-0000-4000-8000-000000000002',
  /** Delivered 30 days before the day after Los Angeles moved its clocks back in 2026. */
  acrossFallBack: 'b0d00000-0000-4000-8000-000000000003',
};
/** An after-sales case of no order, closed on the leap day at 03:00 UTC. */
const CASE = 'b0d0ca5e-0000-4000-8000-000000000001';

/** What the policy's calendar says, worked out by hand on the UTC calendar. */
const EXPECTED = {
  leapDay: d('2027-02-28T03:00:00Z'),
  springForward: d('2027-03-10T10:30:00Z'),
  /** 2026-10-05T12:00Z + 30 days = 2026-11-04T12:00Z. */
  acrossFallBackCompleted: d('2026-11-04T12:00:00Z'),
  case: d('2027-02-28T03:00:00Z'),
};

describe('the retention schedule counts 3 years on the UTC calendar, whatever the time zones', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    const name = new URL(db.url).pathname.slice(1);
    await db.dataSource.query(`ALTER DATABASE "${name}" SET timezone TO 'America/Los_Angeles'`);
    await db.dataSource.destroy();
    ds = createDataSource({ url: db.url, poolSize: 3 });
    await ds.initialize();
    await referenceRows(ds);
    await insertCustomer(ds, CUSTOMER, d('2020-01-01T00:00:00Z'));
    await insertOrder(ds, { id: O.leapDay, customerId: CUSTOMER, status: 'completed', placedAt: d('2024-02-01T00:00:00Z'), deliveredAt: d('2024-02-05T00:00:00Z'), completedAt: d('2024-02-29T03:00:00Z') });
    await insertOrder(ds, { id: O.springForward, customerId: CUSTOMER, status: 'completed', placedAt: d('2024-02-01T00:00:00Z'), deliveredAt: d('2024-02-05T00:00:00Z'), completedAt: d('2024-03-10T10:30:00Z') });
    await insertOrder(ds, { id: O.acrossFallBack, customerId: CUSTOMER, status: 'delivered', placedAt: d('2026-09-30T00:00:00Z'), deliveredAt: d('2026-10-05T12:00:00Z') });
    await ds.query(
      `INSERT INTO after_sales_case (id, customer_id, order_id, type, status, subject, opened_at, closed_at) VALUES ($1, $2, NULL, 'consultation', 'closed', 'Sizes', '2024-02-20Z', '2024-02-29T03:00:00Z')`,
      [CASE, CUSTOMER],
    );
  }, 60_000);

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  const scheduleOf = async (id: string) => (await ds.query(`SELECT retain_until, completed_at, retention_applied_at FROM "order" WHERE id = $1`, [id]))[0];

  it('runs where it says: the sessions in Los Angeles', async () => {
    expect(await ds.query(`SHOW timezone`)).toEqual([{ TimeZone: 'America/Los_Angeles' }]);
  });

  it('schedules an order completed on a leap day for 28 February three years on, at the same UTC time', async () => {
    expect((await scheduleOf(O.leapDay)).retain_until).toEqual(EXPECTED.leapDay);
  });

  it('schedules an order completed on a daylight-saving day at the same UTC time three years on', async () => {
    expect((await scheduleOf(O.springForward)).retain_until).toEqual(EXPECTED.springForward);
  });

  it('schedules an after-sales case of no order alike', async () => {
    expect((await ds.query(`SELECT retain_until FROM after_sales_case WHERE id = $1`, [CASE]))[0].retain_until).toEqual(EXPECTED.case);
  });

  it('computes the same schedule when the order is completed in a session of another time zone', async () => {
    await ds.transaction(async (em) => {
      await em.query(`SET LOCAL timezone TO 'Pacific/Kiritimati'`);
      await em.query(`UPDATE "order" SET completed_at = completed_at WHERE id = $1`, [O.leapDay]);
      expect((await em.query(`SELECT retain_until FROM "order" WHERE id = $1`, [O.leapDay]))[0].retain_until).toEqual(EXPECTED.leapDay);
    });
  });

  it('completes a delivered order 30 days of 24 hours after its last delivery, across a daylight-saving change', async () => {
    const justBefore = new Date(EXPECTED.acrossFallBackCompleted.getTime() - SECOND);
    const early = reportOf(await runRetention(ds, { asOf: justBefore, batchSize: 10 }));
    expect(early.ordersCompleted).toBe(0);
    expect((await scheduleOf(O.acrossFallBack)).completed_at).toBeNull();
    const onTime = reportOf(await runRetention(ds, { asOf: EXPECTED.acrossFallBackCompleted, batchSize: 10 }));
    expect(onTime.ordersCompleted).toBe(1);
    expect(await scheduleOf(O.acrossFallBack)).toEqual(
      expect.objectContaining({ completed_at: EXPECTED.acrossFallBackCompleted, retain_until: d('2029-11-04T12:00:00Z') }),
    );
  });

  it('leaves a record alone one second before its retain_until, in the preview and in the run', async () => {
    const asOf = new Date(EXPECTED.leapDay.getTime() - SECOND);
    const preview = reportOf(await runRetention(ds, { asOf, dryRun: true, batchSize: 10 }));
    const run = reportOf(await runRetention(ds, { asOf, batchSize: 10 }));
    expect(preview.tables).toEqual(run.tables);
    expect(run.tables.order).toEqual({ found: 0, anonymized: 0, deleted: 0, held: 0 });
    expect(run.tables.after_sales_case).toEqual({ found: 0, anonymized: 0, deleted: 0, held: 0 });
    expect((await scheduleOf(O.leapDay)).retention_applied_at).toBeNull();
  });

  it('applies the plans at retain_until exactly, to the leap-day order and case and not to the one due later, in the preview and in the run', async () => {
    const asOf = EXPECTED.leapDay;
    const preview = reportOf(await runRetention(ds, { asOf, dryRun: true, batchSize: 10 }));
    const run = reportOf(await runRetention(ds, { asOf, batchSize: 10 }));
    expect(preview.tables).toEqual(run.tables);
    expect(run.tables.order).toEqual({ found: 1, anonymized: 1, deleted: 0, held: 0 });
    // The leap-day order has no case; the case of no order is deleted.
    expect(run.tables.after_sales_case).toEqual({ found: 1, anonymized: 0, deleted: 1, held: 0 });
    expect((await scheduleOf(O.leapDay)).retention_applied_at).toEqual(asOf);
    expect((await scheduleOf(O.springForward)).retention_applied_at).toBeNull();
    expect(await ds.query(`SELECT id FROM after_sales_case WHERE id = $1`, [CASE])).toEqual([]);
  });

  it('applies them to the daylight-saving order at its UTC moment, not an hour later', async () => {
    const run = reportOf(await runRetention(ds, { asOf: EXPECTED.springForward, batchSize: 10 }));
    expect(run.tables.order).toEqual({ found: 1, anonymized: 1, deleted: 0, held: 0 });
    expect((await scheduleOf(O.springForward)).retention_applied_at).toEqual(EXPECTED.springForward);
  });

  it("drops an objecting customer's page views of the whole UTC day at ingest, on the day Los Angeles moves its clocks", async () => {
    const visitor = 'v'.repeat(43);
    await ds.query(`UPDATE customer SET analytics_objection = true WHERE id = $1`, [CUSTOMER]);
    // Stored by an earlier batch: the last half hour of the UTC day of 2026-03-08 (23 hours long in Los Angeles).
    await ds.query(
      `INSERT INTO behavior_event (visitor_pseudonym, ip_prefix, device_class, browser_family, page, dwell_ms, clicks, occurred_at)
       VALUES ($1, '198.51.100.0/24', 'mobile', 'Safari', '/late', 100, 1, '2026-03-08T23:30:00Z')`,
      [visitor],
    );
    const view = { session: 1, customer_id: CUSTOMER, consent: true, visitor_pseudonym: visitor, ip_prefix: '198.51.100.0/24', device_class: 'mobile', browser_family: 'Safari', language: null, region: null, page: '/signed-in', dwell_ms: 100, clicks: 1, occurred_at: '2026-03-08T10:00:00Z' };
    await storeConsentedViews(ds.manager, [view]);
    expect(await ds.query(`SELECT page FROM behavior_event WHERE visitor_pseudonym = $1`, [visitor])).toEqual([]);
  });

  it('leaves the audit log verifiable and its months named by UTC after the runs in this zone', async () => {
    expect((await verifyAuditLog(ds)).intact).toBe(true);
    const bounds: Array<{ name: string; from: Date }> = await ds.query(
      `SELECT c.relname AS name, (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz AS from
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_event'::regclass AND c.relname ~ 'y2027m03$'`,
    );
    expect(bounds).toEqual([{ name: 'audit_event_y2027m03', from: d('2027-03-01T00:00:00Z') }]);
  });

});

describe('the migration to the UTC calendar', () => {
  it('recomputes the schedules written in a session of another time zone before it', async () => {
    const db = await createTestDatabase();
    try {
      const name = new URL(db.url).pathname.slice(1);
      await db.dataSource.query(`ALTER DATABASE "${name}" SET timezone TO 'America/Los_Angeles'`);
      await db.dataSource.destroy();
      const ds = createDataSource({ url: db.url, poolSize: 1 });
      await ds.initialize();
      try {
        await revertMigrationsThrough(ds, 'RetentionScheduleUtc1795000014430');
        await referenceRows(ds);
        await insertCustomer(ds, CUSTOMER, d('2020-01-01T00:00:00Z'));
        await insertOrder(ds, { id: O.leapDay, customerId: CUSTOMER, status: 'completed', placedAt: d('2024-02-01T00:00:00Z'), deliveredAt: d('2024-02-05T00:00:00Z'), completedAt: d('2024-02-29T03:00:00Z') });
        await ds.query(
          `INSERT INTO after_sales_case (id, customer_id, order_id, type, status, subject, opened_at, closed_at) VALUES ($1, $2, NULL, 'consultation', 'closed', 'Sizes', '2024-02-20Z', '2024-02-29T03:00:00Z')`,
          [CASE, CUSTOMER],
        );
        const schedules = async () => ({
          order: (await ds.query(`SELECT retain_until FROM "order" WHERE id = $1`, [O.leapDay]))[0].retain_until,
          case: (await ds.query(`SELECT retain_until FROM after_sales_case WHERE id = $1`, [CASE]))[0].retain_until,
        });
        // Before it: the session's calendar, a day late.
        expect(await schedules()).toEqual({ order: d('2027-03-01T03:00:00Z'), case: d('2027-03-01T03:00:00Z') });
        await ds.runMigrations();
        expect(await schedules()).toEqual({ order: EXPECTED.leapDay, case: EXPECTED.case });
      } finally {
        await ds.destroy();
      }
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe('an after-sales case opened on an order the job has already anonymized', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await referenceRows(db.dataSource);
    await insertCustomer(db.dataSource, CUSTOMER, d('2020-01-01T00:00:00Z'));
  }, 60_000);
  afterAll(() => db.drop());

  it('puts the order back on the schedule: the case is kept 3 years after it closes, then removed', async () => {
    const ds = db.dataSource;
    await insertOrder(ds, { id: O.leapDay, customerId: CUSTOMER, status: 'completed', placedAt: d('2022-01-01T00:00:00Z'), deliveredAt: d('2022-01-05T00:00:00Z'), completedAt: d('2022-02-01T00:00:00Z') });
    await runRetention(ds, { asOf: d('2025-02-01T00:00:00Z') });
    expect((await ds.query(`SELECT retention_applied_at FROM "order" WHERE id = $1`, [O.leapDay]))[0].retention_applied_at).toEqual(d('2025-02-01T00:00:00Z'));
    // Four years on, the customer writes about the order; the case is closed a week later.
    const [{ id: caseId }] = await ds.query(
      `INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at) VALUES ($1, $2, 'complaint', 'open', 'Sole came off', '2026-02-01Z') RETURNING id`,
      [CUSTOMER, O.leapDay],
    );
    await ds.query(`INSERT INTO case_message (case_id, author_side, body, sent_at) VALUES ($1, 'customer', 'The sole came off', '2026-02-01Z')`, [caseId]);
    await ds.query(`UPDATE after_sales_case SET status = 'closed', closed_at = '2026-02-08T00:00:00Z' WHERE id = $1`, [caseId]);
    expect((await ds.query(`SELECT retain_until FROM "order" WHERE id = $1`, [O.leapDay]))[0].retain_until).toEqual(d('2029-02-08T00:00:00Z'));
    const cases = () => ds.query(`SELECT count(*)::int AS n FROM after_sales_case WHERE id = $1`, [caseId]);
    await runRetention(ds, { asOf: d('2029-02-07T23:59:59Z') });
    expect(await cases()).toEqual([{ n: 1 }]);
    const due = reportOf(await runRetention(ds, { asOf: d('2029-02-08T00:00:00Z') }));
    expect(due.tables.case_message).toEqual({ found: 1, anonymized: 0, deleted: 1, held: 0 });
    expect(await cases()).toEqual([{ n: 0 }]);
  });

  it('the migration puts back on the list an order that had such a case before it', async () => {
    const scratch = await createTestDatabase();
    try {
      const ds = scratch.dataSource;
      await revertMigrationsThrough(ds, 'RetentionCaseAfterApplied1795000014431');
      await referenceRows(ds);
      await insertCustomer(ds, CUSTOMER, d('2020-01-01T00:00:00Z'));
      await insertOrder(ds, { id: O.leapDay, customerId: CUSTOMER, status: 'completed', placedAt: d('2022-01-01T00:00:00Z'), deliveredAt: d('2022-01-05T00:00:00Z'), completedAt: d('2022-02-01T00:00:00Z') });
      await insertOrder(ds, { id: O.springForward, customerId: CUSTOMER, status: 'completed', placedAt: d('2022-01-01T00:00:00Z'), deliveredAt: d('2022-01-05T00:00:00Z'), completedAt: d('2022-02-01T00:00:00Z') });
      await ds.query(`UPDATE "order" SET retention_applied_at = '2025-02-01Z' WHERE id = ANY($1)`, [[O.leapDay, O.springForward]]);
      await ds.query(`INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at) VALUES ($1, $2, 'complaint', 'open', 'Sole came off', '2026-02-01Z')`, [CUSTOMER, O.leapDay]);
      expect(await ds.query(`SELECT id FROM "order" WHERE retention_applied_at IS NULL`)).toEqual([]);
      await ds.runMigrations();
      expect(await ds.query(`SELECT id FROM "order" WHERE retention_applied_at IS NULL`)).toEqual([{ id: O.leapDay }]);
    } finally {
      await scratch.drop();
    }
  }, 60_000);
});
