/**
 * The differencing attacker (test/harness/differencing-attacker.ts) against one day's suppressed
 * lattice: every query an analyst may ask — any grouping, any filter, any range of days —
 * publishes cells of the day's lattice and nothing else (behavior-aggregates.ts), so what any set
 * of queries shows of a day is the set of its published cells. A hand-made day whose crossing
 * margins pin down one small cell, and random days with a rare visitor (fixed seeds).
 */
import { buildLattice, suppressSmallCells, type Cell, type VisitorCellRow } from '../../src/domains/analytics/suppression';
import { Random } from '../../src/seed/random';
import { attackerDay, exactLeaks, marginLeaks, pairwiseLeaks, type Day } from '../harness/differencing-attacker';

const K = 10;

const byVisitor = (rows: VisitorCellRow[]) => [...rows].sort((a, b) => (a.visitor < b.visitor ? -1 : a.visitor > b.visitor ? 1 : 0));

/** One day's lattice, suppressed as the gateway does it, as the attacker sees it. */
function makeDay(rows: VisitorCellRow[]): Day {
  const cells = buildLattice(byVisitor(rows));
  suppressSmallCells(cells, K);
  return attackerDay(rows, cells, K);
}

/**
 * A random day of crowds (`scale` to 3 × `scale` visitors, some pages, devices, browsers,
 * languages and regions much rarer than others), and one visitor who alone has a rare combination
 * on a common page, with a great many clicks.
 */
function randomDay(seed: number, scale: number): VisitorCellRow[] {
  const r = Random.stream(seed, 'differencing-test');
  const rows: VisitorCellRow[] = [];
  const pages = ['/', '/cart', '/search', '/help', '/rare-a', '/b', '/c'];
  const devices = ['desktop', 'mobile', 'tablet'];
  const browsers = ['Chrome', 'Safari', 'Firefox', 'Edge'];
  const regions = ['GB', 'FR', 'DE', 'IS', null];
  const visitorCount = r.int(scale, scale * 3);
  for (let v = 0; v < visitorCount; v++) {
    const device = devices[Math.min(r.int(0, 3), 2)];
    const browser = browsers[Math.min(r.int(0, 5), 3)];
    const region = regions[Math.min(r.int(0, 6), 4)];
    const language = r.int(0, 9) === 0 ? 'xx' : region === 'FR' ? 'fr' : region === 'DE' ? 'de' : 'en';
    const views = new Map<string, number>();
    for (let i = r.int(1, 4); i > 0; i--) {
      const page = pages[Math.min(r.int(0, 8), 6)];
      views.set(page, (views.get(page) ?? 0) + 1);
    }
    for (const [page, n] of views) rows.push({ visitor: `v${String(v).padStart(5, '0')}`, values: [page, device, browser, language, region], visits: n, dwellMs: 500 * n, clicks: n });
  }
  rows.push({ visitor: 'rare', values: ['/', 'tablet', 'Firefox', 'is', 'IS'], visits: 3, dwellMs: 90_000, clicks: 10_000 });
  return rows;
}

describe('an analyst differencing the published cells of a day', () => {
  it('cannot add up crossing margins to the one small cell where they cross, though every line alone holds', () => {
    // Pages p1–p4 by regions r1–r4 (one device, browser and language). Nine cells of 6 visitors,
    // hidden in two 2×2 blocks joined by (p1, r3); seven cells of 20. Every page and every region
    // hides none or two or more of its cells with 12 or more visitors: the lines hold. Yet
    //   (p1,r3) = p1 + p2 − r1 − r2 − (p1,r4) − (p2,r3) − (p2,r4) + (p3,r1) + (p4,r1) + (p3,r2) + (p4,r2)
    // in visits, dwell and clicks: eleven published numbers give away one cell of 6 visitors.
    const small = ['p1 r1', 'p1 r2', 'p2 r1', 'p2 r2', 'p3 r3', 'p3 r4', 'p4 r3', 'p4 r4', 'p1 r3'];
    const rows: VisitorCellRow[] = [];
    for (const page of ['p1', 'p2', 'p3', 'p4']) {
      for (const region of ['r1', 'r2', 'r3', 'r4']) {
        const n = small.includes(`${page} ${region}`) ? 6 : 20;
        for (let v = 0; v < n; v++) rows.push({ visitor: `${page}-${region}-${String(v).padStart(2, '0')}`, values: [page, 'desktop', 'Chrome', 'en', region], visits: 1, dwellMs: 1000, clicks: 2 });
      }
    }
    const d = makeDay(rows);
    const cell = (level: number, page: string | null, region: string | null) => d.cells.find((c) => c.level === level && c.values[0] === (level & 1 ? page : null) && c.values[4] === (level & 16 ? region : null)) as Cell;
    const PAGE = 1;
    const REGION = 16;
    const terms: Array<[number, Cell]> = [
      [1, cell(PAGE, 'p1', null)], [1, cell(PAGE, 'p2', null)], [-1, cell(REGION, null, 'r1')], [-1, cell(REGION, null, 'r2')],
      [-1, cell(PAGE | REGION, 'p1', 'r4')], [-1, cell(PAGE | REGION, 'p2', 'r3')], [-1, cell(PAGE | REGION, 'p2', 'r4')],
      [1, cell(PAGE | REGION, 'p3', 'r1')], [1, cell(PAGE | REGION, 'p4', 'r1')], [1, cell(PAGE | REGION, 'p3', 'r2')], [1, cell(PAGE | REGION, 'p4', 'r2')],
    ];
    // The identity holds on the page views (worked out above): the eleven add up to the cell's 6 visits.
    expect(terms.reduce((sum, [sign, c]) => sum + sign * c.visits, 0)).toBe(6);
    expect(cell(PAGE | REGION, 'p1', 'r3')).toMatchObject({ visitors: 6, suppressed: true });
    // Published, the eleven would give it away: at least one of them is withheld, and no other combination does it either.
    expect(terms.some(([, c]) => c.suppressed)).toBe(true);
    expect(exactLeaks(d)).toEqual([]);
    expect(pairwiseLeaks(d)).toEqual([]);
    expect(marginLeaks(d)).toEqual([]);
  });

  const days = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((seed) => [80, 200].map((scale) => [seed, scale] as const));
  describe.each(days)('a random day with one rare visitor (seed %i, %i visitors and more)', (seed, scale) => {
    const d = makeDay(randomDay(seed, scale));

    it('is a day with something to attack: published cells over the rare visitor, suppressed cells beside them', () => {
      const rare = d.atoms.findIndex((a) => a.rows.some((row) => row.visitor === 'rare'));
      expect(d.cells.filter((c) => !c.suppressed && d.atomsOf.get(c)!.includes(rare)).length).toBeGreaterThan(0);
      expect(d.cells.filter((c) => c.suppressed && (c as Cell).visitors < K).length).toBeGreaterThan(0);
    });

    it('no published cell minus a published cell inside it isolates fewer than k visitors', () => {
      expect(pairwiseLeaks(d)).toEqual([]);
    });

    it('no published total minus the published cells of a finer level under it isolates fewer than k visitors', () => {
      expect(marginLeaks(d)).toEqual([]);
    });

    it('no suppressed cell of fewer than k visitors is a linear combination of published cells', () => {
      expect(exactLeaks(d)).toEqual([]);
    });
  });
});
