/**
 * The analyst's aggregates, against page views written here with a fixed-seed generator that
 * makes crowds and small groups (a region of two visitors, a page of three, a day of seven):
 * every group-by (all 32) with no filter and with random filters, then the promises —
 * - no published cell counts fewer than k distinct visitors, and every published number is the
 *   one this file's own SQL computes from the page views; a small cell is reported suppressed,
 *   never left out and never zero;
 * - a cell is suppressed or published the same way, with the same numbers, in every query;
 * - under every published total, the parts hidden are none, or two or more that together count
 *   k visitors: a total minus its published parts never isolates one cell;
 * - a named differencing attack (the day total minus the published regions) does not give the
 *   small region's numbers, and the generated attacker (test/harness/differencing-attacker.ts),
 *   given every cell every answer showed, over overlapping ranges of days, isolates no group of
 *   fewer than k visitors.
 */
import type { Caller } from '../../src/policy/principal';
import { DIMENSIONS } from '../../src/domains/analytics/suppression';
import { ConfigError, loadConfig } from '../../src/platform/config';
import { Random } from '../../src/seed/random';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { as } from '../harness/principals';
import { attackerDay, exactLeaks, marginLeaks, pairwiseLeaks } from '../harness/differencing-attacker';
import type { Gateway } from '../../src/server';

const K = 10;
const DAY_MS = 86400_000;
const day = (daysAgo: number) => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - daysAgo * DAY_MS).toISOString().slice(0, 10);
/** Three closed days: a busy one, a quieter one, and one of seven visitors. */
const DAYS = [day(10), day(9), day(8)];
const ENUM = ['PAGE', 'DEVICE_CLASS', 'BROWSER_FAMILY', 'LANGUAGE', 'REGION'] as const;
const FILTER = ['pages', 'deviceClasses', 'browserFamilies', 'languages', 'regions'] as const;
const COLUMN = ['page', 'device_class::text', 'browser_family', 'language', 'region'];

interface View {
  visitor: string;
  day: string;
  values: Array<string | null>;
  dwell: number;
  clicks: number;
}

/** The page views: crowds on common values, and small groups everywhere a query could find them. */
function pageViews(): View[] {
  const r = Random.stream(19, 'behavior-aggregates-test');
  const views: View[] = [];
  const add = (d: string, count: number, pick: () => { device: string; browser: string; region: string | null; pages: string[] }) => {
    for (let v = 0; v < count; v++) {
      const visitor = r.base64url(32);
      const { device, browser, region, pages } = pick();
      const language = region === null ? null : region === 'FR' ? 'fr-FR' : region === 'DE' ? 'de-DE' : 'en-GB';
      for (const page of pages) views.push({ visitor, day: d, values: [page, device, browser, language, region], dwell: r.int(100, 60_000), clicks: r.int(0, 12) });
    }
  };
  const common = () => ({
    device: r.pick(['desktop', 'desktop', 'mobile', 'mobile', 'mobile', 'tablet']),
    browser: r.pick(['Chrome', 'Chrome', 'Chrome', 'Safari', 'Safari', 'Firefox', 'Edge']),
    region: r.pick(['GB', 'GB', 'GB', 'FR', 'DE', null]),
    pages: Array.from({ length: r.int(1, 4) }, () => r.pick(['/', '/', '/search', '/cart', '/products/boots', '/products/jacket'])),
  });
  add(DAYS[0], 90, common);
  // A region of two visitors, a page of three and a browser of one, on the busy day.
  add(DAYS[0], 2, () => ({ device: 'mobile', browser: 'Chrome', region: 'IS', pages: ['/'] }));
  add(DAYS[0], 3, () => ({ device: 'desktop', browser: 'Safari', region: 'GB', pages: ['/help/rare', '/'] }));
  add(DAYS[0], 1, () => ({ device: 'bot', browser: 'Bot', region: null, pages: ['/'] }));
  add(DAYS[1], 35, common);
  add(DAYS[1], 4, () => ({ device: 'tablet', browser: 'Samsung Internet', region: 'DE', pages: ['/cart'] }));
  add(DAYS[2], 7, common);
  return views;
}

interface CellOut {
  day: string;
  groupedBy: string[];
  page: string | null;
  deviceClass: string | null;
  browserFamily: string | null;
  language: string | null;
  region: string | null;
  suppressed: boolean;
  visitors: number | null;
  visits: number | null;
  dwellMs: number | null;
  clicks: number | null;
}
const FIELDS = 'day groupedBy page deviceClass browserFamily language region suppressed visitors visits dwellMs clicks';
const QUERY = `query($from: String!, $to: String!, $groupBy: [BehaviorDimension!]!, $filter: BehaviorAggregateFilter) {
  behaviorAggregates(from: $from, to: $to, groupBy: $groupBy, filter: $filter) { minVisitorsPerCell cells { ${FIELDS} } totals { ${FIELDS} } } }`;

/** A cell's level (bit i: grouped by DIMENSIONS[i]) and its values, as this file names them. */
const levelOf = (c: CellOut) => DIMENSIONS.reduce((level, d, i) => (c.groupedBy.includes(ENUM[i]) ? level | (1 << i) : level), 0);
const valuesOf = (c: CellOut): Array<string | null> => [c.page, c.deviceClass === null ? null : c.deviceClass.toLowerCase(), c.browserFamily, c.language, c.region];
const keyOf = (d: string, level: number, values: Array<string | null>) => JSON.stringify([d, level, values.map((v, i) => (level & (1 << i) ? v : '*'))]);

describe('behaviour aggregates for the data analyst', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  const analyst = as.staff(['data_analyst'], 'analytics');
  const views = pageViews();
  /** What this file's SQL says each cell holds: visitors, visits, dwell, clicks. */
  const expected = new Map<string, [number, number, number, number]>();
  /** Every cell any query returned, to hold queries to one another. */
  const seen = new Map<string, CellOut>();

  const ask = async (groupBy: readonly string[], filter?: Record<string, string[]>, from = DAYS[0], to = DAYS[2]) => {
    const r = await execute(QUERY, analyst, { from, to, groupBy, filter: filter ?? null });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data!.behaviorAggregates as { minVisitorsPerCell: number; cells: CellOut[]; totals: CellOut[] };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(
      `INSERT INTO behavior_event (visitor_pseudonym, ip_prefix, device_class, browser_family, language, region, page, dwell_ms, clicks, occurred_at)
       SELECT v.visitor, '192.0.2.0/24', v.device::device_class, v.browser, v.language, v.region, v.page, v.dwell, v.clicks, v.day::date + interval '13 hours'
         FROM jsonb_to_recordset($1::jsonb) AS v(visitor text, day text, page text, device text, browser text, language text, region text, dwell int, clicks int)`,
      [JSON.stringify(views.map((v) => ({ visitor: v.visitor, day: v.day, page: v.values[0], device: v.values[1], browser: v.values[2], language: v.values[3], region: v.values[4], dwell: v.dwell, clicks: v.clicks })))],
    );
    // Every cell of every level, by this file's own GROUP BY per level.
    for (let level = 0; level < 32; level++) {
      const dims = COLUMN.filter((_c, i) => level & (1 << i));
      const rows: Array<Record<string, unknown>> = await db.dataSource.query(
        `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d, ${COLUMN.map((c, i) => (level & (1 << i) ? `${c} AS v${i}` : `NULL AS v${i}`)).join(', ')},
                count(DISTINCT visitor_pseudonym)::int AS visitors, count(*)::int AS visits, sum(dwell_ms)::int AS dwell, sum(clicks)::int AS clicks
           FROM behavior_event GROUP BY 1${dims.map((c) => `, ${c}`).join('')}`,
      );
      for (const row of rows) {
        expected.set(keyOf(row.d as string, level, [0, 1, 2, 3, 4].map((i) => row[`v${i}`] as string | null)), [row.visitors as number, row.visits as number, row.dwell as number, row.clicks as number]);
      }
    }
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  /** The expected cells of a level on the query's days that the filter selects. */
  const expectedKeys = (level: number, filter: Record<string, string[]> | undefined, days: readonly string[]) =>
    [...expected.keys()].filter((key) => {
      const [d, l, values] = JSON.parse(key) as [string, number, Array<string | null>];
      if (l !== level || !days.includes(d)) return false;
      return FILTER.every((f, i) => !filter?.[f] || (values[i] !== null && filter[f].map((v) => (i === 1 ? v.toLowerCase() : v)).includes(values[i]!)));
    });

  /** Checks one answer against the page views, and records its cells for the checks across answers. */
  const check = (answer: { cells: CellOut[]; totals: CellOut[] }, groupBy: readonly string[], filter?: Record<string, string[]>, days: readonly string[] = DAYS): string[] => {
    const problems: string[] = [];
    const grouped = ENUM.reduce((m, e, i) => (groupBy.includes(e) ? m | (1 << i) : m), 0);
    const filtered = FILTER.reduce((m, f, i) => (filter?.[f] ? m | (1 << i) : m), 0);
    const level = grouped | filtered;
    const totalLevels = new Set<number>();
    for (let sub = grouped; ; sub = (sub - 1) & grouped) {
      if ((sub | filtered) !== level) totalLevels.add(sub | filtered);
      if (sub === 0) break;
    }
    for (const [list, levels] of [[answer.cells, new Set([level])], [answer.totals, totalLevels]] as const) {
      const got = list.map((c) => keyOf(c.day, levelOf(c), valuesOf(c)));
      const want = [...levels].flatMap((l) => expectedKeys(l, filter, days));
      if (JSON.stringify([...got].sort()) !== JSON.stringify([...want].sort())) problems.push(`${JSON.stringify({ groupBy, filter })}: cells ${got.length}, expected ${want.length}`);
      for (const c of list) {
        const key = keyOf(c.day, levelOf(c), valuesOf(c));
        const truth = expected.get(key);
        const numbers = [c.visitors, c.visits, c.dwellMs, c.clicks];
        if (c.suppressed) {
          if (numbers.some((n) => n !== null)) problems.push(`${key}: suppressed but carries numbers`);
        } else if (!truth || truth[0] < K || JSON.stringify(numbers) !== JSON.stringify(truth)) {
          problems.push(`${key}: published ${JSON.stringify(numbers)}, the page views say ${JSON.stringify(truth)}`);
        }
        const before = seen.get(key);
        if (before && JSON.stringify(before) !== JSON.stringify(c)) problems.push(`${key}: ${JSON.stringify(before)} in one answer, ${JSON.stringify(c)} in another`);
        seen.set(key, c);
      }
    }
    return problems;
  };

  /** Every group-by, with no filter and with two random filters drawn from the values (small groups included). */
  const r = Random.stream(20, 'behavior-aggregates-queries');
  const values = DIMENSIONS.map((_d, i) => [...new Set(views.map((v) => v.values[i]).filter((v): v is string => v !== null))].sort());
  const QUERIES: Array<{ groupBy: string[]; filter?: Record<string, string[]> }> = [];
  for (let mask = 0; mask < 32; mask++) {
    const groupBy = ENUM.filter((_e, i) => mask & (1 << i));
    QUERIES.push({ groupBy });
    for (let n = 0; n < 2; n++) {
      const filter: Record<string, string[]> = {};
      for (let i = 0; i < 5; i++) {
        if (!r.chance(0.35)) continue;
        const picked = values[i].filter(() => r.chance(0.4));
        if (picked.length > 0) filter[FILTER[i]] = picked.map((v) => (i === 1 ? v.toUpperCase() : v));
      }
      if (Object.keys(filter).length > 0) QUERIES.push({ groupBy, filter });
    }
  }

  it('publishes, for every group-by and filter, exactly the cells the page views hold, none under k, and each the same way every time', async () => {
    const problems: string[] = [];
    let published = 0;
    let suppressed = 0;
    for (const q of QUERIES) {
      const answer = await ask(q.groupBy, q.filter);
      expect(answer).toMatchObject({ minVisitorsPerCell: K });
      problems.push(...check(answer, q.groupBy, q.filter));
      for (const c of [...answer.cells, ...answer.totals]) (c.suppressed ? (suppressed += 1) : (published += 1));
    }
    expect(problems).toEqual([]);
    // The data is worth testing on: both kinds of cell occur, in numbers.
    expect({ published: published > 100, suppressed: suppressed > 100 }).toEqual({ published: true, suppressed: true });
  }, 120_000);

  it('under every published total, hides no part, or two or more parts counting k visitors together', async () => {
    // Every level whole, once: the lines of the lattice as the answers show them.
    for (let mask = 0; mask < 32; mask++) {
      const groupBy = ENUM.filter((_e, i) => mask & (1 << i));
      expect(check(await ask(groupBy), groupBy)).toEqual([]);
    }
    const problems: string[] = [];
    let lines = 0;
    for (const parent of seen.values()) {
      if (parent.suppressed) continue;
      const pl = levelOf(parent);
      const pv = valuesOf(parent);
      for (let i = 0; i < 5; i++) {
        if (pl & (1 << i)) continue;
        const children = [...seen.values()].filter((c) => c.day === parent.day && levelOf(c) === (pl | (1 << i)) && valuesOf(c).every((v, j) => !(pl & (1 << j)) || v === pv[j]));
        const hidden = children.filter((c) => c.suppressed);
        if (hidden.length === 0) continue;
        lines += 1;
        // The remainder a caller can compute, and who is in it, from the page views themselves.
        const shownVisits = children.filter((c) => !c.suppressed).reduce((sum, c) => sum + c.visits!, 0);
        const remainder = parent.visits! - shownVisits;
        const inHidden = views.filter((v) => v.day === parent.day && hidden.some((h) => valuesOf(h).every((x, j) => !(levelOf(h) & (1 << j)) || x === v.values[j])));
        const hiddenVisitors = new Set(inHidden.map((v) => v.visitor)).size;
        if (remainder !== inHidden.length) problems.push(`${parent.day} ${JSON.stringify(pv)} over ${ENUM[i]}: remainder ${remainder}, hidden views ${inHidden.length}`);
        if (hidden.length < 2 || hiddenVisitors < K) problems.push(`${parent.day} ${JSON.stringify(pv)} over ${ENUM[i]}: ${hidden.length} hidden parts, ${hiddenVisitors} visitors`);
      }
    }
    expect(problems).toEqual([]);
    expect(lines).toBeGreaterThan(20);
  });

  it('does not give away the region of two visitors as the day total minus the published regions', async () => {
    const busy = DAYS[0];
    const [truth] = await db.dataSource.query(
      `SELECT count(DISTINCT visitor_pseudonym)::int AS visitors, count(*)::int AS visits FROM behavior_event
        WHERE region = 'IS' AND occurred_at >= $1::date AND occurred_at < $1::date + 1`,
      [busy],
    );
    expect(truth.visitors).toBe(2);
    const answer = await ask(['REGION'], undefined, busy, busy);
    const iceland = answer.cells.find((c) => c.region === 'IS')!;
    expect(iceland).toMatchObject({ suppressed: true, visitors: null, visits: null });
    const total = answer.totals.find((c) => c.groupedBy.length === 0)!;
    expect(total.suppressed).toBe(false);
    const rest = answer.cells.filter((c) => !c.suppressed).reduce((sum, c) => ({ visitors: sum.visitors + c.visitors!, visits: sum.visits + c.visits! }), { visitors: 0, visits: 0 });
    const difference = { visitors: total.visitors! - rest.visitors, visits: total.visits! - rest.visits };
    expect(difference).not.toEqual({ visitors: truth.visitors, visits: truth.visits });
    expect(answer.cells.filter((c) => c.suppressed).length).toBeGreaterThanOrEqual(2);
    // Filtering on everything but Iceland gives the same cells, so the same difference.
    const others = await ask([], { regions: answer.cells.map((c) => c.region).filter((x): x is string => x !== null && x !== 'IS') }, busy, busy);
    const published = others.cells.filter((c) => !c.suppressed).reduce((sum, c) => sum + c.visits!, 0);
    expect(total.visits! - published).not.toBe(truth.visits);
  });

  it('gives an attacker holding every answer — every grouping, filters, overlapping ranges of days — no group of fewer than k visitors', async () => {
    // Every level whole, over the three days and over each day and pair of days alone: the answers must agree cell for cell.
    const ranges: Array<[string, string]> = [[DAYS[0], DAYS[2]], [DAYS[0], DAYS[0]], [DAYS[1], DAYS[1]], [DAYS[0], DAYS[1]], [DAYS[1], DAYS[2]]];
    for (const [from, to] of ranges) {
      for (let mask = 0; mask < 32; mask++) {
        const groupBy = ENUM.filter((_e, i) => mask & (1 << i));
        expect(check(await ask(groupBy, undefined, from, to), groupBy, undefined, DAYS.filter((d) => d >= from && d <= to))).toEqual([]);
      }
    }
    const leaks: string[] = [];
    let shown = 0;
    for (const d of DAYS.slice(0, 2)) {
      const rows = views.filter((v) => v.day === d).map((v) => ({ visitor: v.visitor, values: v.values, visits: 1, dwellMs: v.dwell, clicks: v.clicks }));
      const cells = [...seen.values()].filter((c) => c.day === d).map((c) => ({ level: levelOf(c), values: valuesOf(c), suppressed: c.suppressed }));
      shown += cells.filter((c) => !c.suppressed).length;
      const day = attackerDay(rows, cells, K);
      leaks.push(...[...pairwiseLeaks(day), ...marginLeaks(day), ...exactLeaks(day)].map((l) => `${d}: ${l}`));
    }
    expect(leaks).toEqual([]);
    expect(shown).toBeGreaterThan(40);
  }, 120_000);

  it('reports a day of seven visitors as suppressed, not as zero and not as missing', async () => {
    const answer = await ask([], undefined, DAYS[2], DAYS[2]);
    expect(answer.cells).toEqual([
      { day: DAYS[2], groupedBy: [], page: null, deviceClass: null, browserFamily: null, language: null, region: null, suppressed: true, visitors: null, visits: null, dwellMs: null, clicks: null },
    ]);
  });

  it('holds a larger k, configured upward', async () => {
    const { gateway, execute: strict } = await createTestGateway(db, { analytics: { minVisitorsPerCell: 25 } });
    try {
      const r = await strict(QUERY, analyst, { from: DAYS[0], to: DAYS[1], groupBy: ['DEVICE_CLASS'], filter: null });
      const answer = r.data!.behaviorAggregates as { minVisitorsPerCell: number; cells: CellOut[]; totals: CellOut[] };
      expect(answer.minVisitorsPerCell).toBe(25);
      const shown = [...answer.cells, ...answer.totals].filter((c) => !c.suppressed);
      expect(shown.length).toBeGreaterThan(0);
      for (const c of shown) expect(expected.get(keyOf(c.day, levelOf(c), valuesOf(c)))![0]).toBeGreaterThanOrEqual(25);
      expect([...answer.cells, ...answer.totals].some((c) => c.suppressed && expected.get(keyOf(c.day, levelOf(c), valuesOf(c)))![0] >= K)).toBe(true);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses a k below 10, in the environment and in the gateway', async () => {
    expect(() => loadConfig({ ANALYTICS_MIN_CELL: '9' })).toThrow(new ConfigError('ANALYTICS_MIN_CELL: expected an integer from 10 to 1000000, got "9"'));
    expect(loadConfig({}).analyticsMinCell).toBe(10);
    expect(loadConfig({ ANALYTICS_MIN_CELL: '25' }).analyticsMinCell).toBe(25);
    await expect(createTestGateway(db, { analytics: { minVisitorsPerCell: 9 } })).rejects.toThrow(/minVisitorsPerCell to be an integer from 10/);
  });

  it.each([
    ['a day that is still open', { from: day(1), to: day(1) }, /not closed yet/],
    ['today', { from: day(0), to: day(0) }, /not closed yet/],
    ['more than 92 days', { from: day(200), to: day(100) }, /at most 92 days/],
    ['a range that ends before it starts', { from: day(8), to: day(10) }, /before the first/],
    ['a day that is not a day', { from: '2026-02-30', to: day(8) }, /expected a UTC day/],
    ['a time instead of a day', { from: `${day(9)}T00:00:00Z`, to: day(8) }, /expected a UTC day/],
  ])('refuses %s with BAD_USER_INPUT', async (_label, range, message) => {
    const r = await execute(QUERY, analyst, { ...range, groupBy: [], filter: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0].message).toMatch(message);
  });

  it('refuses a dimension named twice', async () => {
    const r = await execute(QUERY, analyst, { from: DAYS[0], to: DAYS[0], groupBy: ['PAGE', 'PAGE'], filter: null });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it.each([
    ['the fraud analyst', as.staff(['fraud_analyst'], 'fraud_prevention')],
    ['the storefront', as.staff(['storefront'], 'analytics')],
    ['customer service', as.staff(['customer_service'], 'after_sales')],
  ])('is not for %s', async (_label, caller) => {
    const r = await execute(QUERY, caller, { from: DAYS[0], to: DAYS[0], groupBy: [], filter: null });
    expect(r.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['behaviorAggregates']]]);
  });
});
