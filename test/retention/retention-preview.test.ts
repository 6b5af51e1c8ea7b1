/**
 * The preview of the next retention run over GraphQL (retentionPreview), as the console's
 * Retention and holds page asks for it: a compliance officer under legal_compliance sees what
 * the job would do now — and the real run then does exactly that — while nothing changes; a
 * legal hold placed or released over GraphQL shows in the next preview; the read is audited
 * and flagged with the case; nobody else may ask; a run in progress makes the preview say so.
 */
import { Client } from 'pg';
import { RETENTION_LOCK, runRetention } from '../../src/retention/retention-job';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { callers, lastEvent, run } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { insertCustomer, insertOrder, stateOf } from './retention-fixtures';
import { insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';

const officer = callers.staff(['compliance_officer'], 'legal_compliance');
const CASE = 'LIT-2026-RET';
const CUSTOMER = '0c7e5a10-0000-4000-8000-000000000001';
/** Placed four years ago, completed, its case closed that month: past its 3 years now. */
const ORDER = '7b2e0000-0000-4000-8000-000000000001';
const PREVIEW = `query Preview { retentionPreview { available unavailableReason asOf ordersCompleted tables { table found anonymized deleted held } auditMonthsPrepared auditMonthsDropped auditMonthsHeld ms } }`;

interface Counts {
  table: string;
  found: number;
  anonymized: number;
  deleted: number;
  held: number;
}

describe('retentionPreview', () => {
  let db: TestDatabase;
  let gateway: Gateway;

  const preview = async () => {
    const r = await run(gateway, PREVIEW, officer, undefined, CASE);
    expect(r.errors).toBeUndefined();
    return r.data!.retentionPreview as { available: boolean; asOf: string; ordersCompleted: number; tables: Counts[] };
  };
  const orderCounts = (p: { tables: Counts[] }) => p.tables.find((t) => t.table === 'order')!;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    ({ gateway } = await createTestGateway(db));
    await insertCustomer(db.dataSource, CUSTOMER, new Date('2022-01-01T00:00:00Z'));
    await insertOrder(db.dataSource, {
      id: ORDER,
      customerId: CUSTOMER,
      status: 'completed',
      placedAt: new Date('2022-11-01T10:00:00Z'),
      deliveredAt: new Date('2022-11-06T10:00:00Z'),
      completedAt: new Date('2022-11-16T10:00:00Z'),
      caseClosedAt: new Date('2022-11-10T10:00:00Z'),
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('says what a run would do now and changes nothing; a hold on the customer moves their order from anonymized to held, and back when released', async () => {
    const before = await stateOf(db.dataSource, [ORDER]);
    const free = await preview();
    expect(free.available).toBe(true);
    expect(Math.abs(Date.parse(free.asOf) - Date.now())).toBeLessThan(60_000);
    // The job reports every table it can touch, the fixture's among them.
    expect(free.tables.map((t) => t.table)).toEqual(expect.arrayContaining(['order', 'after_sales_case', 'case_message', 'behavior_event', 'audit_event']));
    expect(orderCounts(free).anonymized).toBeGreaterThanOrEqual(1);
    expect(await stateOf(db.dataSource, [ORDER])).toEqual(before);

    const placed = await run(gateway, `mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { id } }`, officer, { input: { scope: 'CUSTOMER', customerId: CUSTOMER, reason: 'Preview test' } }, CASE);
    expect(placed.errors).toBeUndefined();
    const held = await preview();
    expect(orderCounts(held)).toEqual({ ...orderCounts(free), anonymized: orderCounts(free).anonymized - 1, held: orderCounts(free).held + 1 });
    // Its case message and record are counted as held, not deleted, too.
    const messages = (p: { tables: Counts[] }) => p.tables.find((t) => t.table === 'case_message')!;
    expect(messages(held).held - messages(free).held).toBe(2);
    expect(messages(free).deleted - messages(held).deleted).toBe(2);

    const released = await run(gateway, `mutation($input: ReleaseLegalHoldInput!) { releaseLegalHold(input: $input) { releasedAt } }`, officer, { input: { holdId: placed.data!.placeLegalHold.id } }, CASE);
    expect(released.errors).toBeUndefined();
    expect((await preview()).tables).toEqual(free.tables);
    expect(await stateOf(db.dataSource, [ORDER])).toEqual(before);
  });

  it('is audited as a read of the officer, flagged with the legal case; the job records its dry run', async () => {
    await preview();
    const event = await lastEvent(db.dataSource);
    expect({ operationName: event.operationName, purpose: event.purpose, legalCaseReference: event.legalCaseReference, flagged: event.flagged, outcome: event.outcome }).toEqual({
      operationName: 'Preview',
      purpose: 'legal_compliance',
      legalCaseReference: CASE,
      flagged: true,
      outcome: 'ok',
    });
    expect(event.disclosed).toEqual(expect.arrayContaining(['RetentionPreview.asOf', 'RetentionTableCounts.anonymized', 'RetentionTableCounts.held']));
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE operation_name = 'retention.dry-run'`);
    expect(n).toBeGreaterThanOrEqual(4);
  });

  it('matches what the real run then does, table by table', async () => {
    const shown = await preview();
    const result = await runRetention(db.dataSource, { asOf: new Date(shown.asOf) });
    if (!result.ran) throw new Error(result.reason);
    expect(Object.entries(result.report.tables).map(([table, c]) => ({ table, ...c }))).toEqual(shown.tables);
    expect(result.report.ordersCompleted).toBe(shown.ordersCompleted);
    const [order] = await db.dataSource.query(`SELECT retention_applied_at IS NOT NULL AS applied, ship_line1 FROM "order" WHERE id = $1`, [ORDER]);
    expect(order.applied).toBe(true);
    expect(order.ship_line1).not.toBe('1 Test Street');
    expect(orderCounts(await preview()).anonymized).toBe(0);
  });

  it('says a run is in progress instead of waiting for it', async () => {
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(${RETENTION_LOCK})`);
      const r = await run(gateway, PREVIEW, officer, undefined, CASE);
      expect(r.data!.retentionPreview).toEqual(expect.objectContaining({ available: false, unavailableReason: expect.stringMatching(/another retention run/), tables: [], asOf: null }));
    } finally {
      await other.end();
    }
  });

  it('is refused to a compliance officer answering a data-subject request, to customer service and to a customer', async () => {
    for (const [caller, options] of [
      [callers.staff(['compliance_officer'], 'data_subject_request'), { privacyRequestReference: SERVED_REQUEST }],
      [callers.staff(['customer_service'], 'after_sales'), {}],
      [callers.customer(CUSTOMER, 'data_subject_request'), {}],
    ] as const) {
      const response = await gateway.execute(`{ retentionPreview { available } }`, caller, undefined, options);
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      const { data, errors } = response.body.singleResult;
      expect(errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(data?.retentionPreview ?? null).toBeNull();
    }
  });
});
