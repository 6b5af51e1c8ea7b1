/**
 * Page views in, as the storefront sends them: only those of visitors who consented to
 * analytics are kept; a visitor's recorded refusal of the day, a customer's objection or refusal
 * drop theirs; the answer and the statements are the same whatever was kept; batches are bounded
 * and rate limited, and a day closes for ingest at the end of the next one.
 */
import { createHmac } from 'node:crypto';
import type { Caller } from '../../src/policy/principal';
import { countSql } from '../../src/platform/sql-counter';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, TEST_SECRETS, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import type { Gateway } from '../../src/server';

const INGEST = `mutation($input: IngestBehaviorEventsInput!) { ingestBehaviorEvents(input: $input) { accepted } }`;
const CHOOSE = `mutation($input: RecordPreferenceChoicesInput!) { recordPreferenceChoices(input: $input) { accepted } }`;
const DAY_MS = 86400_000;

function pseudonymOf(visitorId: string, at: Date): string {
  const dayKey = createHmac('sha256', TEST_SECRETS.behaviorPseudonymKey).update(at.toISOString().slice(0, 10)).digest();
  return createHmac('sha256', dayKey).update(visitorId).digest('base64url');
}

describe('behaviour ingest', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  const storefront = as.staff(['storefront'], 'analytics');
  let objecting: string;
  let ordinary: string;
  let n = 0;

  const view = (visitorId: string, extra: Record<string, unknown> = {}) => ({
    visitorId,
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
    language: 'en-GB',
    region: 'GB',
    page: `/ingest-test/${(n += 1)}`,
    dwellMs: 1200,
    clicks: 2,
    occurredAt: new Date().toISOString(),
    analyticsConsent: true,
    ...extra,
  });
  /** Rows stored for a visitor today. */
  const stored = async (visitorId: string, at = new Date()) =>
    Number((await db.dataSource.query(`SELECT count(*) AS n FROM behavior_event WHERE visitor_pseudonym = $1`, [pseudonymOf(visitorId, at)]))[0].n);
  const ingest = (events: unknown[], caller: Caller = storefront) => execute(INGEST, caller, { input: { events } });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
    [{ id: objecting }] = await db.dataSource.query(`SELECT id FROM customer WHERE analytics_objection AND status = 'active' ORDER BY id LIMIT 1`);
    [{ id: ordinary }] = await db.dataSource.query(
      `SELECT id FROM customer c WHERE NOT analytics_objection AND status = 'active' AND id <> $1
          AND NOT EXISTS (SELECT 1 FROM preference_consent p WHERE p.customer_id = c.id AND p.category = 'analytics' AND NOT p.granted) ORDER BY id LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    );
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('leaves no row for a visitor who has not consented to analytics', async () => {
    const r = await ingest([view('no-consent-1', { analyticsConsent: false }), view('no-consent-1', { analyticsConsent: false }), view('consents-1')]);
    expect(r).toEqual({ data: { ingestBehaviorEvents: { accepted: 3 } } });
    expect(await stored('no-consent-1')).toBe(0);
    expect(await stored('consents-1')).toBe(1);
  });

  it("drops the day's views of a visitor who refused analytics that day, whatever the storefront declares, and keeps them once they consent again", async () => {
    await execute(CHOOSE, storefront, { input: { visitorId: 'refuses-2', choices: [{ category: 'ANALYTICS', granted: false }] } });
    await ingest([view('refuses-2'), view('refuses-2'), view('other-2')]);
    expect([await stored('refuses-2'), await stored('other-2')]).toEqual([0, 1]);
    await execute(CHOOSE, storefront, { input: { visitorId: 'refuses-2', choices: [{ category: 'ANALYTICS', granted: true }] } });
    await ingest([view('refuses-2')]);
    expect(await stored('refuses-2')).toBe(1);
  });

  it("drops the whole session of a customer who objected to analytics, the views before sign-in included, and keeps another visitor's", async () => {
    await ingest([view('objector-3'), view('objector-3', { customerId: objecting }), view('bystander-3')]);
    expect([await stored('objector-3'), await stored('bystander-3')]).toEqual([0, 1]);
  });

  it('drops the session of a customer whose latest choice refuses analytics, and of a customer that does not exist', async () => {
    await execute(CHOOSE, as.customer(ordinary, 'data_subject_request'), { input: { choices: [{ category: 'ANALYTICS', granted: false }] } });
    await ingest([view('refusing-4', { customerId: ordinary }), view('stranger-4', { customerId: '7c6b5a49-3827-4165-9e8d-7c6b5a493827' })]);
    expect([await stored('refusing-4'), await stored('stranger-4')]).toEqual([0, 0]);
    await execute(CHOOSE, as.customer(ordinary, 'data_subject_request'), { input: { choices: [{ category: 'ANALYTICS', granted: true }] } });
    await ingest([view('refusing-4', { customerId: ordinary })]);
    expect(await stored('refusing-4')).toBe(1);
  });

  it("drops the session of a customer erased since, with the views of that visitor's day stored before, and answers as for any other", async () => {
    const [{ id: erased }] = await db.dataSource.query(
      `SELECT id FROM customer WHERE status = 'active' AND NOT analytics_objection AND id NOT IN ($1, $2) ORDER BY id DESC LIMIT 1`,
      [DEMO_IDS.demoCustomer, ordinary],
    );
    // Browsing before signing in, stored; then the customer is erased; then the signed-in session arrives.
    await ingest([view('erased-8'), view('bystander-8')]);
    expect([await stored('erased-8'), await stored('bystander-8')]).toEqual([1, 1]);
    await db.dataSource.transaction((em) => eraseCustomer(em, erased, new Date()));
    const answer = await ingest([view('erased-8', { customerId: erased }), view('bystander-8')]);
    expect(answer).toEqual({ data: { ingestBehaviorEvents: { accepted: 2 } } });
    expect([await stored('erased-8'), await stored('bystander-8')]).toEqual([0, 2]);
  });

  it('answers the same, with the same statements, whether it keeps a signed-in session or drops it', async () => {
    const kept = await countSql(() => ingest([view('kept-5', { customerId: ordinary, page: '/same' })]));
    const dropped = await countSql(() => ingest([view('dropped-5', { customerId: objecting, page: '/same' })]));
    expect([await stored('kept-5'), await stored('dropped-5')]).toEqual([1, 0]);
    expect(dropped.result).toEqual(kept.result);
    expect(dropped.sql.statements).toEqual(kept.sql.statements);
  });

  it('stores nothing that names the customer or the cookie', async () => {
    await ingest([view('cookie-secret-6', { customerId: ordinary })]);
    const [{ n: found }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM behavior_event e WHERE row_to_json(e)::text LIKE '%' || $1 || '%' OR row_to_json(e)::text LIKE '%cookie-secret-6%'`,
      [ordinary],
    );
    expect(found).toBe(0);
    expect(await stored('cookie-secret-6')).toBe(1);
  });

  it('keeps each identifier that arrives only in its reduced form: the network, the browser family and device class, the path, a pseudonym of the day', async () => {
    const now = new Date();
    const yesterday = new Date(now.getTime() - DAY_MS);
    const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Version/17.2 Mobile/15E148 Safari/604.1';
    await ingest([
      view('raw-7', { ip: '198.51.100.77', userAgent: ua, page: '/orders/ORD-2026-000123?email=jo%40mail.example#pay', customerId: ordinary, occurredAt: now.toISOString() }),
      view('raw-7', { ip: '2001:db8:abcd:12:3456:789a:bcde:f012', userAgent: ua, page: '/raw-7-ipv6', occurredAt: now.toISOString() }),
      view('raw-7', { ip: '198.51.100.77', userAgent: ua, page: '/raw-7-yesterday', occurredAt: yesterday.toISOString() }),
    ]);
    const rows: Array<Record<string, unknown>> = await db.dataSource.query(
      `SELECT visitor_pseudonym, ip_prefix, device_class::text AS device, browser_family, page, row_to_json(e)::text AS whole
         FROM behavior_event e WHERE visitor_pseudonym IN ($1, $2) ORDER BY page`,
      [pseudonymOf('raw-7', now), pseudonymOf('raw-7', yesterday)],
    );
    expect(rows.map(({ whole: _, ...r }) => r)).toEqual([
      { visitor_pseudonym: pseudonymOf('raw-7', now), ip_prefix: '198.51.100.0/24', device: 'mobile', browser_family: 'Safari', page: '/orders/:id' },
      { visitor_pseudonym: pseudonymOf('raw-7', now), ip_prefix: '2001:db8:abcd::/48', device: 'mobile', browser_family: 'Safari', page: '/raw-7-ipv6' },
      { visitor_pseudonym: pseudonymOf('raw-7', yesterday), ip_prefix: '198.51.100.0/24', device: 'mobile', browser_family: 'Safari', page: '/raw-7-yesterday' },
    ]);
    // The same cookie is someone else the next day: nothing stored links the two days.
    expect(pseudonymOf('raw-7', now)).not.toBe(pseudonymOf('raw-7', yesterday));
    for (const { whole } of rows) {
      for (const raw of ['198.51.100.77', '3456:789a', 'iPhone OS', 'AppleWebKit', 'ORD-2026', 'mail.example', 'raw-7"', ordinary]) expect(whole).not.toContain(raw);
    }
  });

  it("takes yesterday's views and refuses the day before's: a day closes at the end of the next one", async () => {
    const startOfToday = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const yesterday = new Date(startOfToday - DAY_MS + 60_000);
    expect(await ingest([view('late-7', { occurredAt: yesterday.toISOString() })])).toEqual({ data: { ingestBehaviorEvents: { accepted: 1 } } });
    expect(await stored('late-7', yesterday)).toBe(1);
    const closed = await ingest([view('late-7', { occurredAt: new Date(startOfToday - DAY_MS - 1000).toISOString() })]);
    expect(closed.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it.each([
    ['201 events', () => Array.from({ length: 201 }, () => view('big-8'))],
    ['an event ten minutes ahead', () => [view('ahead-8'), view('ahead-8', { occurredAt: new Date(Date.now() + 600_000).toISOString() })]],
    ['a customer id that is not one', () => [view('bad-8'), view('bad-8', { customerId: 'jane@example.com' })]],
    ['no consent flag', () => [(({ analyticsConsent: _c, ...rest }) => rest)(view('flagless-8'))]],
  ])('refuses %s with a coded error and stores none of the batch', async (_label, events) => {
    const before = Number((await db.dataSource.query(`SELECT count(*) AS n FROM behavior_event`))[0].n);
    const r = await ingest(events());
    expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']).toContain(r.errors?.[0].extensions?.code);
    expect(Number((await db.dataSource.query(`SELECT count(*) AS n FROM behavior_event`))[0].n)).toBe(before);
  });

  it('rate limits the page views a storefront sends per minute, and stores nothing over the limit', async () => {
    const { gateway, execute: limited } = await createTestGateway(db, { rateLimits: { fieldsPerMinute: 1000, missesPerMinute: 60, behaviorEventsPerMinute: 5 } });
    try {
      const send = (count: number, visitorId: string) => limited(INGEST, storefront, { input: { events: Array.from({ length: count }, () => view(visitorId)) } });
      expect(await send(3, 'limited-9a')).toEqual({ data: { ingestBehaviorEvents: { accepted: 3 } } });
      const over = await send(3, 'limited-9b');
      expect(over.errors?.map((e) => [e.extensions?.code, e.extensions?.retryAfterSeconds > 0])).toEqual([['RATE_LIMITED', true]]);
      expect([await stored('limited-9a'), await stored('limited-9b')]).toEqual([3, 0]);
    } finally {
      await gateway.stop();
    }
  });
});
