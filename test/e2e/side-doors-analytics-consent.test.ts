/**
 * Side doors around analytics, consent grants and preference choices, tried as an outside tester
 * would:
 * - a day's aggregates asked before and after (or while) the retention job deletes old page
 *   views: the job must never leave a day half deleted, or the difference of the two answers is
 *   the views of a few hours (a few visitors, one of them perhaps alone);
 * - a day asked at the moment it closes and a moment later: an ingest still storing a view of it
 *   must not change it between the two;
 * - a visitor who refuses analytics, or whose session turns out to be a customer who objected:
 *   their views of that day, stored before, are not counted once the day closes;
 * - the analyst reaching page views through the list of them (a count, a cursor): refused;
 * - a third party's cursor, sealed under one grant, does not open under the customer's next
 *   grant to the same third party;
 * - a customer recording choices for another customer: refused alike for any id, writing nothing.
 */
import { createHmac } from 'node:crypto';
import type { Caller } from '../../src/policy/principal';
import type { GraphQLError } from 'graphql';
import { BehaviorAggregates } from '../../src/domains/analytics/behavior-aggregates';
import { desensitizeBatch, INGEST_SETTLED_MS, storeConsentedViews } from '../../src/domains/behavior/behavior.service';
import { UNRESTRICTED } from '../../src/policy/row-scope';
import { countSql } from '../../src/platform/sql-counter';
import { RETENTION_DEFAULTS, runRetention } from '../../src/retention/retention-job';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, TEST_SECRETS, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';

const DAY_MS = 86400_000;
const startOfToday = () => Math.floor(Date.now() / DAY_MS) * DAY_MS;
const day = (daysAgo: number) => new Date(startOfToday() - daysAgo * DAY_MS).toISOString().slice(0, 10);
const CELL = 'day groupedBy region suppressed visitors visits dwellMs clicks';
const AGGREGATES = `query($from: String!, $to: String!, $groupBy: [BehaviorDimension!]!) {
  behaviorAggregates(from: $from, to: $to, groupBy: $groupBy) { cells { ${CELL} } totals { ${CELL} } } }`;
const analyst = as.staff(['data_analyst'], 'analytics');
const storefront = as.staff(['storefront'], 'analytics');

/** `count` visitors, each with one page view on `at` (an ISO time) in `region`. */
async function insertViews(db: TestDatabase, prefix: string, count: number, at: string, region: string): Promise<void> {
  await db.dataSource.query(
    `INSERT INTO behavior_event (visitor_pseudonym, ip_prefix, device_class, browser_family, language, region, page, dwell_ms, clicks, occurred_at)
     SELECT rpad($1 || n, 43, '-'), '192.0.2.0/24', 'mobile', 'Chrome', 'en-GB', $2, '/', 1000 + n, n % 3, $3::timestamptz
       FROM generate_series(1, $4) AS n`,
    [prefix, region, at, count],
  );
}

/** A page view as the storefront sends it, consented. */
const lateView = {
  visitorId: 'late-visitor',
  ip: '203.0.113.9',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
  language: 'en-GB',
  region: 'GB',
  page: '/',
  dwellMs: 1200,
  clicks: 2,
  analyticsConsent: true,
};

describe('side doors: analytics and retention', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it("gives the same answer for a day before and after the retention job runs with its cut-off inside that day: the job deletes whole days", async () => {
    const d = day(10);
    // Two night owls before the job's time of day, a crowd in the afternoon.
    await insertViews(db, 'owl', 2, `${d}T01:00:00Z`, 'IS');
    await insertViews(db, 'crowd', 30, `${d}T13:00:00Z`, 'GB');
    const ask = () => execute(AGGREGATES, analyst, { from: d, to: d, groupBy: ['REGION'] });
    const before = await ask();
    expect(before.errors).toBeUndefined();
    expect(before.data!.behaviorAggregates.totals).toEqual([
      { day: d, groupedBy: [], region: null, suppressed: false, visitors: 32, visits: 32, dwellMs: expect.any(Number), clicks: expect.any(Number) },
    ]);

    // The job's clock falls at 06:00 on the day 13 months on: its cut-off is 06:00 of day d.
    const asOf = new Date(`${d}T06:00:00Z`);
    asOf.setUTCMonth(asOf.getUTCMonth() + RETENTION_DEFAULTS.behaviorEventMonths);
    const result = await runRetention(db.dataSource, { asOf });
    expect(result.ran).toBe(true);

    // Were the night owls deleted, the day total minus the afternoon would be exactly them.
    expect(await ask()).toEqual(before);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM behavior_event WHERE occurred_at >= $1::date AND occurred_at < $1::date + 1`, [d]);
    expect(n).toBe(32);
  });

  it('deletes old page views a whole day per transaction, whatever its batch size, so no day is ever seen half deleted', async () => {
    const first = day(40);
    const second = day(39);
    await insertViews(db, 'old-a', 12, `${first}T00:00:30Z`, 'FR');
    await insertViews(db, 'old-b', 12, `${first}T23:59:00Z`, 'FR');
    await insertViews(db, 'old-c', 5, `${second}T12:00:00Z`, 'FR');
    const [{ n: before }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM behavior_event WHERE occurred_at < $1::date + 1`, [second]);
    // Page views are kept one month here: both days are due, everything newer stays.
    const result = await runRetention(db.dataSource, { behaviorEventMonths: 1, batchSize: 1 });
    if (!result.ran) throw new Error(result.reason);
    const events: Array<{ detail: { day: string; deleted: number } }> = await db.dataSource.query(
      `SELECT detail FROM audit_event WHERE operation_name = 'retention.page-views' AND detail->>'runId' = $1 ORDER BY at, id`,
      [result.runId],
    );
    // One batch per day, each the whole day: 24 page views in one transaction although a batch is 1.
    expect(events.map((e) => [e.detail.day, e.detail.deleted])).toEqual([
      [first, 24],
      [second, 5],
    ]);
    expect(before).toBe(29);
    const [{ n: after }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM behavior_event WHERE occurred_at < $1::date + 1`, [second]);
    expect(after).toBe(0);
  });

  it('answers a day only once every ingest that could still add to it has ended: not at the stroke of the day it closes', async () => {
    // A clock of its own: day X closes for ingest at the start of X + 2.
    const x = '2026-03-10';
    const closes = new Date('2026-03-12T00:00:00Z');
    await insertViews(db, 'x-crowd', 20, `${x}T12:00:00Z`, 'GB');
    // An ingest that checked its window a moment before (or on a clock a little slow) is still
    // taking in a view of day X while the day closes; it commits after.
    const late = desensitizeBatch(TEST_SECRETS, [{ ...lateView, occurredAt: new Date(`${x}T23:59:59Z`) }], new Date(closes.getTime() - 1));
    const aggregates = new BehaviorAggregates();
    const query = { from: x, to: x, groupBy: [], filter: {} };
    const justAfter = new Date(closes.getTime() + 1000);
    const first = await aggregates.report(db.dataSource, UNRESTRICTED, query, justAfter).catch((e: Error) => e);
    await db.dataSource.transaction((em) => storeConsentedViews(em, late));
    const second = await aggregates.report(db.dataSource, UNRESTRICTED, query, justAfter).catch((e: Error) => e);
    // Two answers a second apart must not differ by the late visitor: the day is not answered yet.
    expect([first, second].map((r) => (r instanceof Error ? (r as GraphQLError).extensions?.code : 'answered'))).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
    expect((first as Error).message).toBe(`to: ${x} is not closed yet (page views of it are still taken in); the last closed day is 2026-03-09`);
    // An hour after it closes, the day is answered, with every view it will ever have.
    const settled = await aggregates.report(db.dataSource, UNRESTRICTED, query, new Date(closes.getTime() + INGEST_SETTLED_MS));
    expect(settled.cells.map((c) => c.visitors)).toEqual([21]);
    expect(INGEST_SETTLED_MS).toBe(3600_000);
  });

  it.each([
    ['whether an hour holds one', `{ behaviorEvents(first: 1, filter: { occurredFrom: "${day(10)}T00:00:00Z", occurredTo: "${day(10)}T01:30:00Z" }) { pageInfo { hasNextPage } } }`],
    ['cursors', `{ behaviorEvents(first: 5) { edges { cursor } pageInfo { hasNextPage endCursor } } }`],
    ['ids', `{ behaviorEvents(first: 5) { nodes { id } } }`],
  ])('refuses the analyst the list of single page views (%s), naming only the list', async (_label, query) => {
    const r = await execute(query, analyst);
    expect(r.data?.behaviorEvents ?? null).toBeNull();
    expect(r.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['behaviorEvents']]]);
  });
});

describe('side doors: preference choices and consent grants', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  const INGEST = `mutation($input: IngestBehaviorEventsInput!) { ingestBehaviorEvents(input: $input) { accepted } }`;
  const CHOOSE = `mutation($input: RecordPreferenceChoicesInput!) { recordPreferenceChoices(input: $input) { accepted } }`;
  const pseudonymOf = (visitorId: string, at: Date) =>
    createHmac('sha256', createHmac('sha256', TEST_SECRETS.behaviorPseudonymKey).update(at.toISOString().slice(0, 10)).digest()).update(visitorId).digest('base64url');
  const stored = async (visitorId: string, at = new Date()) =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM behavior_event WHERE visitor_pseudonym = $1`, [pseudonymOf(visitorId, at)]))[0].n as number;
  const view = (visitorId: string, occurredAt = new Date()) => ({
    visitorId,
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
    language: 'en-GB',
    region: 'GB',
    page: '/side-doors',
    dwellMs: 1200,
    clicks: 2,
    occurredAt: occurredAt.toISOString(),
    analyticsConsent: true,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it("drops a visitor's views of the day, stored before they refused analytics that day, and keeps another visitor's", async () => {
    expect(await execute(INGEST, storefront, { input: { events: [view('changes-mind'), view('changes-mind'), view('stays')] } })).toEqual({ data: { ingestBehaviorEvents: { accepted: 3 } } });
    expect([await stored('changes-mind'), await stored('stays')]).toEqual([2, 1]);
    const refused = await execute(CHOOSE, storefront, { input: { visitorId: 'changes-mind', choices: [{ category: 'ANALYTICS', granted: false }] } });
    expect(refused).toEqual({ data: { recordPreferenceChoices: { accepted: 1 } } });
    expect([await stored('changes-mind'), await stored('stays')]).toEqual([0, 1]);
  });

  it("drops the views a visitor's earlier batches stored that day once a batch names them as a customer who objected to analytics", async () => {
    const [{ id: objecting }] = await db.dataSource.query(`SELECT id FROM customer WHERE analytics_objection AND status = 'active' ORDER BY id LIMIT 1`);
    // Browsing before signing in, sent in a batch of its own; then the session signed in.
    await execute(INGEST, storefront, { input: { events: [view('signs-in-later'), view('signs-in-later'), view('bystander-a')] } });
    expect([await stored('signs-in-later'), await stored('bystander-a')]).toEqual([2, 1]);
    const r = await execute(INGEST, storefront, { input: { events: [{ ...view('signs-in-later'), customerId: objecting }, view('bystander-b')] } });
    expect(r).toEqual({ data: { ingestBehaviorEvents: { accepted: 2 } } });
    expect([await stored('signs-in-later'), await stored('bystander-a'), await stored('bystander-b')]).toEqual([0, 1, 1]);
  });

  it("does not let a storefront choice granting analytics outweigh a customer's objection", async () => {
    const [{ id: objecting }] = await db.dataSource.query(`SELECT id FROM customer WHERE analytics_objection AND status = 'active' ORDER BY id LIMIT 1`);
    const granted = await execute(CHOOSE, storefront, { input: { customerId: objecting, choices: [{ category: 'ANALYTICS', granted: true }] } });
    expect(granted).toEqual({ data: { recordPreferenceChoices: { accepted: 1 } } });
    const [{ granted: latest }] = await db.dataSource.query(
      `SELECT granted FROM preference_consent WHERE customer_id = $1 AND category = 'analytics' ORDER BY recorded_at DESC, id DESC LIMIT 1`,
      [objecting],
    );
    expect(latest).toBe(true);
    await execute(INGEST, storefront, { input: { events: [{ ...view('objector-after-banner'), customerId: objecting }] } });
    expect(await stored('objector-after-banner')).toBe(0);
  });

  it("leaves a visitor's views alone when their choice grants analytics or concerns other cookies", async () => {
    await execute(INGEST, storefront, { input: { events: [view('keeps-1'), view('keeps-2')] } });
    await execute(CHOOSE, storefront, { input: { visitorId: 'keeps-1', choices: [{ category: 'ANALYTICS', granted: true }] } });
    await execute(CHOOSE, storefront, { input: { visitorId: 'keeps-2', choices: [{ category: 'PREFERENCES', granted: false }] } });
    expect([await stored('keeps-1'), await stored('keeps-2')]).toEqual([1, 1]);
  });

  it("refuses a customer who names another customer, themself or no one that exists, alike, and writes nothing", async () => {
    const me = as.customer(DEMO_IDS.demoCustomer, 'data_subject_request');
    const [{ id: other }] = await db.dataSource.query(`SELECT id FROM customer WHERE id <> $1 AND status = 'active' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    const count = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM preference_consent`))[0].n as number;
    const before = await count();
    const answers = [];
    for (const customerId of [other, DEMO_IDS.demoCustomer, '6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e']) {
      answers.push(await execute(CHOOSE, me, { input: { customerId, choices: [{ category: 'ANALYTICS', granted: true }] } }));
    }
    expect(answers[0].errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'input: customers record their own choices; leave visitorId and customerId out']]);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(await count()).toBe(before);
  });

  it('answers a grant to a carrier, to a suspended third party and to no partner at all with the same error and the same statements', async () => {
    const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`;
    const [{ id: suspended }] = await db.dataSource.query(`INSERT INTO partner (kind, name, status) VALUES ('third_party', 'Side Door Rewards', 'suspended') RETURNING id`);
    const me = as.customer(DEMO_IDS.demoCustomer, 'data_subject_request');
    const expiresAt = new Date(Date.now() + 7 * DAY_MS).toISOString();
    const runs = [];
    for (const granteeId of [DEMO_IDS.logisticsPartners[0], suspended, '6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e']) {
      runs.push(await countSql(() => execute(GRANT, me, { input: { granteeId, categories: ['order.status'], expiresAt } })));
    }
    expect(runs[0].result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'Third party not found']]);
    for (const run of runs.slice(1)) {
      expect(run.result).toEqual(runs[0].result);
      expect(run.sql.statements).toEqual(runs[0].sql.statements);
    }
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM consent_grant WHERE grantee_partner_id = ANY($1::uuid[])`, [[DEMO_IDS.logisticsPartners[0], suspended]]);
    expect(n).toBe(0);
  });

  it("refuses a third party's cursor under the customer's next grant to it, as any cursor not made for it", async () => {
    const under = (grantId: string): Caller => {
      const caller = as.thirdParty();
      return { ...caller, principal: { ...(caller.principal as Extract<Caller['principal'], { kind: 'third_party' }>), grantId } };
    };
    const PAGE = `query($after: String) { orders(first: 1, after: $after) { nodes { orderNumber } pageInfo { endCursor } } }`;
    const first = await execute(PAGE, under(DEMO_IDS.consentGrant));
    expect(first.errors).toBeUndefined();
    const cursor = first.data!.orders.pageInfo.endCursor as string;
    expect((await execute(PAGE, under(DEMO_IDS.consentGrant), { after: cursor })).errors).toBeUndefined();
    // The same third party and customer, another grant (as after a withdrawal and a new grant).
    const next = await execute(PAGE, under('0f0e0d0c-0b0a-4909-8807-060504030201'), { after: cursor });
    const tampered = await execute(PAGE, under(DEMO_IDS.consentGrant), { after: `${cursor.slice(0, -2)}AA` });
    expect(next.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'after: not a cursor this list gave this caller; pass the endCursor of the previous page']]);
    expect(next).toEqual(tampered);
  });
});
