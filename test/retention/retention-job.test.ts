/**
 * The retention job with the test's clock (`asOf` = 2026-12-01): orders placed four years
 * earlier are completed, scheduled and anonymized; holds and a recent after-sales case keep
 * theirs; a second run changes nothing; a run killed mid-batch resumes to the state of one that
 * was not; a dry run reports what the real run then does, and changes nothing.
 */
import { Client } from 'pg';
import { EVENT_SETS, EVENT_SETS_JOIN } from '../../src/audit/audit-record';
import { verifyAuditLog } from '../../src/audit/verify';
import { RETENTION_LOCK, runRetention } from '../../src/retention/retention-job';
import { describeReport, type RetentionReport } from '../../src/retention/retention-report';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertCustomer, insertOrder, reportOf, stateOf } from './retention-fixtures';

const AS_OF = new Date('2026-12-01T00:00:00Z');
const d = (iso: string) => new Date(iso);

const C = {
  free: '0b6f4c1e-0000-4000-8000-000000000001',
  heldCustomer: '0b6f4c1e-0000-4000-8000-000000000002',
  withHeldOrder: '0b6f4c1e-0000-4000-8000-000000000003',
  recentCase: '0b6f4c1e-0000-4000-8000-000000000004',
  openCase: '0b6f4c1e-0000-4000-8000-000000000005',
};
const O = {
  /** Placed four years ago, delivered, a case closed two weeks later: the job completes it, then anonymizes it. */
  old: '7a1e0000-0000-4000-8000-000000000001',
  heldByCustomer: '7a1e0000-0000-4000-8000-000000000002',
  heldByOrder: '7a1e0000-0000-4000-8000-000000000003',
  /** The same customer as heldByOrder, not held itself. */
  besideHeld: '7a1e0000-0000-4000-8000-000000000004',
  /** Placed four years ago, but its after-sales case closed last year. */
  recentCase: '7a1e0000-0000-4000-8000-000000000005',
  openCase: '7a1e0000-0000-4000-8000-000000000006',
};
const ALL = Object.values(O);

/** A demo database with the orders above, the holds, and two page views either side of 13 months. */
async function prepared(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  const ds = db.dataSource;
  await seedDatabase(ds, { ...DEMO_SEED, progress: false });
  for (const id of Object.values(C)) await insertCustomer(ds, id, d('2022-01-01T00:00:00Z'));
  const old = { placedAt: d('2022-11-01T10:00:00Z'), deliveredAt: d('2022-11-06T10:00:00Z') };
  await insertOrder(ds, { id: O.old, customerId: C.free, status: 'delivered', ...old, caseClosedAt: d('2022-11-20T10:00:00Z') });
  for (const [id, customerId] of [
    [O.heldByCustomer, C.heldCustomer],
    [O.heldByOrder, C.withHeldOrder],
    [O.besideHeld, C.withHeldOrder],
  ] as const) {
    await insertOrder(ds, { id, customerId, status: 'completed', ...old, completedAt: d('2022-11-16T10:00:00Z'), caseClosedAt: d('2022-11-10T10:00:00Z') });
  }
  await insertOrder(ds, { id: O.recentCase, customerId: C.recentCase, status: 'completed', ...old, completedAt: d('2022-11-16T10:00:00Z'), caseClosedAt: d('2025-10-01T09:00:00Z') });
  await insertOrder(ds, { id: O.openCase, customerId: C.openCase, status: 'completed', ...old, completedAt: d('2022-11-16T10:00:00Z'), caseClosedAt: null });
  await ds.query(
    `INSERT INTO legal_hold (scope, customer_id, order_id, reason, case_reference, placed_by, placed_at) VALUES
       ('customer', $1, NULL, 'Litigation', 'LIT-1', 'officer', '2026-01-01'), ('order', NULL, $2, 'Fraud inquiry', 'FR-2', 'officer', '2026-01-01')`,
    [C.heldCustomer, O.heldByOrder],
  );
  await ds.query(
    `INSERT INTO behavior_event (visitor_pseudonym, ip_prefix, device_class, browser_family, page, dwell_ms, clicks, occurred_at) VALUES
       ($1, '198.51.100.0/24', 'mobile', 'Safari', '/old', 100, 1, '2025-10-15T00:00:00Z'), ($1, '198.51.100.0/24', 'mobile', 'Safari', '/recent', 100, 1, '2025-11-15T00:00:00Z')`,
    ['p'.repeat(43)],
  );
  return db;
}

describe('the retention job', () => {
  let db: TestDatabase;
  let first: RetentionReport;
  let before: Record<string, unknown[]>;

  beforeAll(async () => {
    db = await prepared();
    before = await stateOf(db.dataSource, ALL);
    first = reportOf(await runRetention(db.dataSource, { asOf: AS_OF, batchSize: 50 }));
  }, 60_000);
  afterAll(() => db.drop());

  it('completes a delivered order once its after-sales window passed, and schedules it 3 years after', async () => {
    const [order] = (await stateOf(db.dataSource, [O.old])).order as any[];
    // Delivered 2022-11-06 + 30 days; its case closed before that.
    expect(order.status).toBe('completed');
    expect(order.completed_at).toEqual(d('2022-12-06T10:00:00Z'));
    expect(order.retain_until).toEqual(d('2025-12-06T10:00:00Z'));
  });

  it('anonymizes an order placed four years ago and removes what hangs on it', async () => {
    const state = await stateOf(db.dataSource, [O.old]);
    expect(state.order).toEqual([
      expect.objectContaining({
        retention_applied_at: AS_OF,
        ship_recipient_name: 'erased',
        ship_line1: 'erased',
        ship_line2: null,
        ship_city: 'erased',
        ship_state: null,
        ship_postal_code: '',
        ship_phone: '',
        customs_contents: 'Boots',
      }),
    ]);
    expect(state.order_item).toEqual([{ order_id: O.old, sku: 'SKU-1', product_name: 'Trail boots', quantity: 1 }]);
    expect(state.shipment).toEqual([{ order_id: O.old, tracking_number: null, status: 'delivered' }]);
    expect(state.shipment_event).toEqual([]);
    expect(state.payment_verification).toEqual([{ order_id: O.old, card_brand: null, card_last4: null, amount: '42.50' }]);
    expect(state.after_sales_case).toEqual([]);
    expect(state.case_message).toEqual([]);
    expect(state.case_record).toEqual([]);
  });

  it('anonymizes the order beside a held one of the same customer: an order hold holds that order only', async () => {
    expect((await stateOf(db.dataSource, [O.besideHeld])).order).toEqual([expect.objectContaining({ ship_recipient_name: 'erased', retention_applied_at: AS_OF })]);
  });

  it('keeps orders under a legal hold (on the customer or on the order), untouched', async () => {
    const held = [O.heldByCustomer, O.heldByOrder];
    const pick = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).map(([t, rows]) => [t, rows.filter((r: any) => held.includes(r.order_id ?? r.id))]));
    expect(pick(await stateOf(db.dataSource, held))).toEqual(pick(before));
  });

  it('keeps an order whose after-sales case closed last year, scheduled 3 years after that close', async () => {
    const state = await stateOf(db.dataSource, [O.recentCase]);
    expect(state.order).toEqual([expect.objectContaining({ retain_until: d('2028-10-01T09:00:00Z'), retention_applied_at: null, ship_recipient_name: 'Ada Recipient' })]);
    expect(state.case_message).toHaveLength(2);
  });

  it('keeps an order with an open after-sales case: it has no date to expire at', async () => {
    expect((await stateOf(db.dataSource, [O.openCase])).order).toEqual([expect.objectContaining({ retain_until: null, retention_applied_at: null })]);
  });

  it('reports per table what it found, anonymized, deleted and held', () => {
    // Expired at the clock: old, besideHeld (done) and the two held ones. Each has one shipment,
    // two scans, one payment, one case with two messages and one record.
    expect(first.tables.order).toEqual({ found: 4, anonymized: 2, deleted: 0, held: 2 });
    expect(first.tables.shipment).toEqual({ found: 4, anonymized: 2, deleted: 0, held: 2 });
    expect(first.tables.shipment_event).toEqual({ found: 8, anonymized: 0, deleted: 4, held: 4 });
    expect(first.tables.payment_verification).toEqual({ found: 4, anonymized: 2, deleted: 0, held: 2 });
    expect(first.tables.after_sales_case).toEqual({ found: 4, anonymized: 0, deleted: 2, held: 2 });
    expect(first.tables.case_message).toEqual({ found: 8, anonymized: 0, deleted: 4, held: 4 });
    expect(first.tables.case_record).toEqual({ found: 4, anonymized: 0, deleted: 2, held: 2 });
    expect(first.tables.case_attachment).toEqual({ found: 0, anonymized: 0, deleted: 0, held: 0 });
    expect(first.ordersCompleted).toBeGreaterThanOrEqual(1);
    expect(describeReport(first)).toMatch(/^order\s+4\s+2\s+0\s+2$/m);
  });

  it('deletes page views older than 13 months and keeps the newer ones', async () => {
    const pages = await db.dataSource.query(`SELECT page FROM behavior_event WHERE page IN ('/old', '/recent') ORDER BY page`);
    expect(pages).toEqual([{ page: '/recent' }]);
    expect(first.tables.behavior_event!.deleted).toBeGreaterThanOrEqual(1);
  });

  it('records what it did in the audit log, each batch with the customers it touched, and the log verifies', async () => {
    const events: Array<{ operation_name: string; subject_ids: string[] | null; detail: any }> = await db.dataSource.query(
      `SELECT e.operation_name, ${EVENT_SETS}, e.detail FROM audit_event e ${EVENT_SETS_JOIN}
        WHERE e.principal_kind = 'system' AND e.principal_id = 'retention-job' ORDER BY e.at, e.id`,
    );
    const expiring = events.filter((e) => e.operation_name === 'retention.expire-orders');
    expect(expiring.flatMap((e) => e.subject_ids ?? []).sort()).toEqual([C.free, C.withHeldOrder].sort());
    expect(expiring.reduce((n, e) => n + e.detail.held, 0)).toBe(2);
    expect(events.at(-1)).toEqual(expect.objectContaining({ operation_name: 'retention.run', detail: expect.objectContaining({ report: first }) }));
    expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
  });

  it('changes nothing on a second run', async () => {
    const state = await stateOf(db.dataSource, ALL);
    const again = reportOf(await runRetention(db.dataSource, { asOf: AS_OF, batchSize: 50 }));
    expect(await stateOf(db.dataSource, ALL)).toEqual(state);
    expect(again.ordersCompleted).toBe(0);
    for (const [table, counts] of Object.entries(again.tables)) {
      expect({ table, anonymized: counts.anonymized, deleted: counts.deleted }).toEqual({ table, anonymized: 0, deleted: 0 });
    }
    // The held orders are still expired, and still held.
    expect(again.tables.order).toEqual({ found: 2, anonymized: 0, deleted: 0, held: 2 });
  });

  it('lets one run at a time: a second instance finds the lock taken and does nothing', async () => {
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(${RETENTION_LOCK})`);
      const result = await runRetention(db.dataSource, { asOf: AS_OF });
      expect(result).toEqual({ ran: false, reason: expect.stringMatching(/another retention run holds the lock/) });
    } finally {
      await other.end();
    }
  });
});

describe('a dry run, and a run killed mid-batch', () => {
  let uninterrupted: TestDatabase;
  let expected: { report: RetentionReport; state: Record<string, unknown[]> };

  beforeAll(async () => {
    uninterrupted = await prepared();
    const report = reportOf(await runRetention(uninterrupted.dataSource, { asOf: AS_OF, batchSize: 1 }));
    expected = { report, state: await stateOf(uninterrupted.dataSource, ALL) };
  }, 60_000);
  afterAll(() => uninterrupted.drop());

  it('reports what the real run then does, and changes nothing itself', async () => {
    const db = await prepared();
    try {
      const untouched = await stateOf(db.dataSource, ALL);
      const dry = await runRetention(db.dataSource, { asOf: AS_OF, batchSize: 1, dryRun: true });
      expect(await stateOf(db.dataSource, ALL)).toEqual(untouched);
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM retention_run`)).toEqual([{ n: 0 }]);
      const real = await runRetention(db.dataSource, { asOf: AS_OF, batchSize: 1 });
      expect(reportOf(dry)).toEqual(reportOf(real));
      expect(describeReport(reportOf(dry))).toBe(describeReport(reportOf(real)));
      expect(reportOf(real)).toEqual(expected.report);
    } finally {
      await db.drop();
    }
  }, 60_000);

  it('resumes a run killed mid-batch and ends where an uninterrupted run ends, with the same report', async () => {
    const db = await prepared();
    try {
      const crash = new Error('killed');
      await expect(
        runRetention(db.dataSource, {
          asOf: AS_OF,
          batchSize: 1,
          beforeCommit: (batch) => {
            if (batch === 4) throw crash;
          },
        }),
      ).rejects.toBe(crash);
      const [unfinished] = await db.dataSource.query(`SELECT as_of, batches FROM retention_run WHERE finished_at IS NULL`);
      expect(unfinished).toEqual({ as_of: AS_OF, batches: 3 });
      // The next run is started later; it resumes with the killed run's cut-off.
      const resumed = await runRetention(db.dataSource, { asOf: new Date('2027-06-01T00:00:00Z'), batchSize: 1 });
      expect(resumed).toEqual(expect.objectContaining({ ran: true, resumed: true }));
      expect(reportOf(resumed)).toEqual(expected.report);
      expect(await stateOf(db.dataSource, ALL)).toEqual(expected.state);
      expect((await verifyAuditLog(db.dataSource)).intact).toBe(true);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
