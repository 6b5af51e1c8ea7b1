/**
 * Small-cell suppression on one day's lattice, without a database: hand-made page views whose
 * right answers are worked out here, and random days (fixed seed) against the rules, with every
 * count recomputed in this file from the page views themselves.
 */
import { buildLattice, cellKey, DIMENSION_COUNT, suppressSmallCells, type Cell, type VisitorCellRow } from '../../src/domains/analytics/suppression';
import { Random } from '../../src/seed/random';

const K = 10;

/** `n` visitors with one page view each on the given values (page, device, browser, language, region). */
function visitors(prefix: string, n: number, values: Array<string | null>, visits = 1): VisitorCellRow[] {
  return Array.from({ length: n }, (_, i) => ({ visitor: `${prefix}-${String(i).padStart(3, '0')}`, values, visits, dwellMs: 1000 * visits, clicks: visits }));
}

/** Rows sorted by visitor, as the database hands them to buildLattice. */
const sorted = (rows: VisitorCellRow[]) => [...rows].sort((a, b) => (a.visitor < b.visitor ? -1 : a.visitor > b.visitor ? 1 : 0));

function lattice(rows: VisitorCellRow[]): Map<string, Cell> {
  const cells = buildLattice(sorted(rows));
  suppressSmallCells(cells, K);
  return new Map(cells.map((c) => [cellKey(c.level, c.values), c]));
}

const PAGE = 1;
const DEVICE = 2;
const at = (cells: Map<string, Cell>, level: number, values: Array<string | null>) => {
  const cell = cells.get(cellKey(level, values));
  if (!cell) throw new Error(`no cell ${level} ${JSON.stringify(values)}`);
  return cell;
};

describe('buildLattice', () => {
  it('counts each visitor once per cell, and sums visits, dwell and clicks, at every level', () => {
    const rows = [
      { visitor: 'a', values: ['/', 'desktop', 'Chrome', 'en', 'GB'], visits: 2, dwellMs: 10, clicks: 1 },
      { visitor: 'a', values: ['/cart', 'desktop', 'Chrome', 'en', 'GB'], visits: 1, dwellMs: 5, clicks: 0 },
      { visitor: 'b', values: ['/', 'mobile', 'Safari', null, 'FR'], visits: 1, dwellMs: 7, clicks: 3 },
    ];
    const cells = new Map(buildLattice(rows).map((c) => [cellKey(c.level, c.values), c]));
    const total = at(cells, 0, [null, null, null, null, null]);
    expect([total.visitors, total.visits, total.dwellMs, total.clicks]).toEqual([2, 4, 22, 4]);
    expect([at(cells, PAGE, ['/', null, null, null, null]).visitors, at(cells, PAGE, ['/', null, null, null, null]).visits]).toEqual([2, 3]);
    expect(at(cells, DEVICE, [null, 'desktop', null, null, null]).visitors).toBe(1);
    // A null value is a value of its own, not a rolled-up dimension.
    expect(at(cells, 8, [null, null, null, null, null]).visitors).toBe(1);
    expect(at(cells, 8, [null, null, null, 'en', null]).visitors).toBe(1);
  });

  it('gives the same cells in the same order whatever order the visitors of equal rank come in', () => {
    const rows = [...visitors('x', 12, ['/', 'desktop', 'Chrome', 'en', 'GB']), ...visitors('y', 3, ['/help', 'mobile', 'Safari', 'fr', 'FR'])];
    const a = buildLattice(sorted(rows));
    const b = buildLattice(sorted([...rows].reverse()));
    expect(b).toEqual(a);
  });
});

describe('suppressSmallCells', () => {
  it('publishes a cell of exactly k visitors when nothing beside it is hidden', () => {
    const cells = lattice([...visitors('a', 10, ['/', 'desktop', 'Chrome', 'en', 'GB']), ...visitors('b', 12, ['/', 'desktop', 'Chrome', 'en', 'DE'])]);
    expect(at(cells, 16, [null, null, null, null, 'GB'])).toMatchObject({ visitors: 10, suppressed: false });
  });

  it('suppresses a cell of k - 1 visitors, and its only sibling with it (the total would give it away)', () => {
    const cells = lattice([...visitors('a', 30, ['/', 'desktop', 'Chrome', 'en', 'GB']), ...visitors('b', 9, ['/', 'desktop', 'Chrome', 'en', 'FR'])]);
    expect(at(cells, 16, [null, null, null, null, 'FR'])).toMatchObject({ visitors: 9, suppressed: true });
    expect(at(cells, 16, [null, null, null, null, 'GB']).suppressed).toBe(true);
    expect(at(cells, 0, [null, null, null, null, null])).toMatchObject({ visitors: 39, suppressed: false });
  });

  it('never leaves one small cell alone under a published total: the next smallest goes with it', () => {
    // Pages of one day: 40, 20 and 12 visitors, and one page of 3.
    const cells = lattice([
      ...visitors('a', 40, ['/', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('b', 20, ['/cart', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('c', 12, ['/help', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('d', 3, ['/rare', 'desktop', 'Chrome', 'en', 'GB']),
    ]);
    const page = (p: string) => at(cells, PAGE, [p, null, null, null, null]);
    expect(at(cells, 0, [null, null, null, null, null]).suppressed).toBe(false);
    expect(['/', '/cart', '/help', '/rare'].map((p) => page(p).suppressed)).toEqual([false, false, true, true]);
    // The total minus the published pages is two pages and 15 visitors, not the page of 3.
    const remainder = 75 - page('/').visitors - page('/cart').visitors;
    expect(remainder).toBe(15);
  });

  it('suppresses more until the hidden cells of a line count k visitors together', () => {
    // 3 + 4 visitors are two cells but only 7 visitors: a third cell must go.
    const cells = lattice([
      ...visitors('a', 30, ['/', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('b', 11, ['/cart', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('c', 4, ['/help', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('d', 3, ['/rare', 'desktop', 'Chrome', 'en', 'GB']),
    ]);
    const hidden = ['/', '/cart', '/help', '/rare'].filter((p) => at(cells, PAGE, [p, null, null, null, null]).suppressed);
    expect(hidden).toEqual(['/cart', '/help', '/rare']);
  });

  it('hides a published total whose only part is hidden (the part would equal it)', () => {
    // Tablets saw one page only; that (page, device) cell is hidden to protect the phones' small page.
    const cells = lattice([
      ...visitors('a', 30, ['/', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('b', 12, ['/', 'tablet', 'Chrome', 'en', 'GB']),
      ...visitors('c', 30, ['/cart', 'desktop', 'Chrome', 'en', 'GB']),
      ...visitors('d', 2, ['/cart', 'mobile', 'Chrome', 'en', 'GB']),
      ...visitors('e', 20, ['/', 'mobile', 'Chrome', 'en', 'GB']),
    ]);
    for (const cell of cells.values()) {
      if (cell.level !== PAGE + DEVICE || !cell.suppressed) continue;
      // Wherever a (page, device) cell is hidden, the device's line over pages hides two or none.
      const siblings = [...cells.values()].filter((c) => c.level === PAGE + DEVICE && c.values[1] === cell.values[1]);
      const deviceTotal = at(cells, DEVICE, [null, cell.values[1], null, null, null]);
      if (siblings.length === 1) expect(deviceTotal.suppressed).toBe(true);
      else expect(siblings.filter((c) => c.suppressed).length).toBeGreaterThanOrEqual(2);
    }
  });

  describe.each([1, 2, 3, 4, 5, 6, 7, 8])('a random day (seed %i)', (seed) => {
    const r = Random.stream(seed, 'suppression-test');
    const rows: VisitorCellRow[] = [];
    const pages = ['/', '/cart', '/search', '/help', '/rare-a', '/rare-b'];
    const devices = ['desktop', 'mobile', 'tablet'];
    const browsers = ['Chrome', 'Safari', 'Firefox', 'Other'];
    const regions = ['GB', 'FR', 'DE', 'IS', null];
    const visitorCount = r.int(40, 160);
    for (let v = 0; v < visitorCount; v++) {
      const device = devices[Math.min(r.int(0, 3), 2)];
      const browser = browsers[Math.min(r.int(0, 5), 3)];
      const region = regions[Math.min(r.int(0, 6), 4)];
      const language = region === 'FR' ? 'fr' : region === null ? null : 'en';
      const views = new Map<string, number>();
      for (let i = r.int(1, 4); i > 0; i--) {
        const page = pages[Math.min(r.int(0, 7), 5)];
        views.set(page, (views.get(page) ?? 0) + 1);
      }
      for (const [page, n] of views) rows.push({ visitor: `v${String(v).padStart(4, '0')}`, values: [page, device, browser, language, region], visits: n, dwellMs: 500 * n, clicks: n });
    }
    const cells = lattice(rows);
    /** The distinct visitors of the page views under a set of cells, counted from the rows. */
    const visitorsUnder = (group: Cell[]) =>
      new Set(rows.filter((row) => group.some((c) => c.values.every((v, i) => !(c.level & (1 << i)) || v === row.values[i]))).map((row) => row.visitor)).size;

    it('publishes only cells of k or more visitors', () => {
      for (const cell of cells.values()) if (!cell.suppressed) expect(visitorsUnder([cell])).toBeGreaterThanOrEqual(K);
    });

    it('leaves, under every total of k or more, either nothing hidden or two hidden cells with k visitors together', () => {
      const problems: string[] = [];
      let protectedLines = 0;
      for (const parent of cells.values()) {
        if (parent.visitors < K) continue;
        for (let i = 0; i < DIMENSION_COUNT; i++) {
          if (parent.level & (1 << i)) continue;
          const level = parent.level | (1 << i);
          const children = [...cells.values()].filter((c) => c.level === level && c.values.every((v, j) => !(parent.level & (1 << j)) || v === parent.values[j]));
          const hidden = children.filter((c) => c.suppressed);
          if (hidden.length === 0 && !parent.suppressed) continue;
          if (!parent.suppressed && hidden.length < children.length) protectedLines += 1;
          if (children.length === 1 && hidden.length === 1 && parent.suppressed) continue;
          if (hidden.length < 2 || visitorsUnder(hidden) < K) problems.push(`${cellKey(parent.level, parent.values)} over dimension ${i}: ${hidden.length} hidden, ${visitorsUnder(hidden)} visitors`);
        }
      }
      expect(problems).toEqual([]);
      // The day has published totals with small cells under them: the rule was put to work.
      expect(protectedLines).toBeGreaterThan(0);
    });
  });
});
