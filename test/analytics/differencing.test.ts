/**
 * A generated attacker against one day's published cells. Every query an analyst may ask —
 * any grouping, any filter, any range of days — publishes cells of the day's suppressed lattice
 * and nothing else (behavior-aggregates.ts), so what any set of queries shows of a day is the set of its
 * published cells. Over random days with a rare visitor (fixed seeds), the attacker takes those
 * numbers and forms what it can:
 *
 * - every difference of two published cells, one inside the other (a total and a finer cell
 *   under it, however many dimensions finer: a query grouped by page against one grouped by page,
 *   device and browser);
 * - every total minus the published cells of one finer level under it (a margin minus its cells);
 * - exact recovery by linear algebra: whether some linear combination of all published numbers
 *   (visits, dwell and clicks add up) equals a suppressed cell of fewer than k visitors — a cell
 *   pinned down by several margins at once, though no single line gives it away.
 *
 * Each group the attacker isolates is counted again here from the page views themselves: it must
 * be empty or hold at least k distinct visitors.
 */
import { buildLattice, cellKey, DIMENSION_COUNT, suppressSmallCells, type Cell, type VisitorCellRow } from '../../src/domains/analytics/suppression';
import { Random } from '../../src/seed/random';

const K = 10;
const FINEST = (1 << DIMENSION_COUNT) - 1;

const byVisitor = (rows: VisitorCellRow[]) => [...rows].sort((a, b) => (a.visitor < b.visitor ? -1 : a.visitor > b.visitor ? 1 : 0));

/** Whether a row's page views lie under a cell. */
const under = (cell: Cell, values: ReadonlyArray<string | null>) => cell.values.every((v, i) => !(cell.level & (1 << i)) || v === values[i]);

interface Day {
  rows: VisitorCellRow[];
  cells: Cell[];
  /** The finest combinations, each a set of rows: the atoms every cell is a union of. */
  atoms: Array<{ key: string; rows: VisitorCellRow[] }>;
  /** Per cell, the atoms under it (indexes into `atoms`). */
  atomsOf: Map<Cell, number[]>;
}

export function makeDay(rows: VisitorCellRow[]): Day {
  const cells = buildLattice(byVisitor(rows));
  suppressSmallCells(cells, K);
  const atomIndex = new Map<string, number>();
  const atoms: Day['atoms'] = [];
  for (const row of rows) {
    const key = cellKey(FINEST, row.values);
    let i = atomIndex.get(key);
    if (i === undefined) {
      atomIndex.set(key, (i = atoms.length));
      atoms.push({ key, rows: [] });
    }
    atoms[i].rows.push(row);
  }
  const atomsOf = new Map<Cell, number[]>();
  for (const cell of cells) atomsOf.set(cell, atoms.flatMap((a, i) => (under(cell, a.rows[0].values) ? [i] : [])));
  return { rows, cells, atoms, atomsOf };
}

/** Distinct visitors of a group of atoms, counted from the page views. */
const visitorsOf = (d: Day, group: Iterable<number>) => {
  const seen = new Set<string>();
  for (const i of group) for (const row of d.atoms[i].rows) seen.add(row.visitor);
  return seen.size;
};

const describeCell = (c: Cell) => `${c.level}:${JSON.stringify(c.values.map((v, i) => (c.level & (1 << i) ? v : '*')))}`;

/** Differences of two published cells, one inside the other, that isolate fewer than k visitors. */
export function pairwiseLeaks(d: Day): string[] {
  const shown = d.cells.filter((c) => !c.suppressed);
  const leaks: string[] = [];
  for (const a of shown) {
    const inA = new Set(d.atomsOf.get(a));
    for (const b of shown) {
      if (a === b) continue;
      const inB = d.atomsOf.get(b)!;
      if (inB.length >= inA.size || !inB.every((i) => inA.has(i))) continue;
      const rest = [...inA].filter((i) => !inB.includes(i));
      const n = visitorsOf(d, rest);
      if (n > 0 && n < K) leaks.push(`${describeCell(a)} − ${describeCell(b)}: ${n} visitors`);
    }
  }
  return leaks;
}

/** Totals minus the published cells of one finer level under them, isolating fewer than k visitors. */
export function marginLeaks(d: Day): string[] {
  const leaks: string[] = [];
  for (const parent of d.cells) {
    if (parent.suppressed) continue;
    for (let level = parent.level + 1; level <= FINEST; level++) {
      if ((level & parent.level) !== parent.level) continue;
      const shownBelow = d.cells.filter((c) => c.level === level && !c.suppressed && under(parent, c.values));
      const covered = new Set(shownBelow.flatMap((c) => d.atomsOf.get(c)!));
      const rest = d.atomsOf.get(parent)!.filter((i) => !covered.has(i));
      const n = visitorsOf(d, rest);
      if (n > 0 && n < K) leaks.push(`${describeCell(parent)} − its published cells at level ${level}: ${n} visitors`);
    }
  }
  return leaks;
}

const P = 2_147_483_647n;

/** Row echelon basis (mod a large prime) of the published cells' indicator vectors over the atoms. */
function span(d: Day): Map<number, bigint[]> {
  const basis = new Map<number, bigint[]>(); // pivot column -> row with 1 at pivot
  for (const cell of d.cells) if (!cell.suppressed) insert(basis, indicator(d, d.atomsOf.get(cell)!));
  return basis;
}

function indicator(d: Day, atoms: number[]): bigint[] {
  const v = new Array<bigint>(d.atoms.length).fill(0n);
  for (const i of atoms) v[i] = 1n;
  return v;
}

const modpow = (b: bigint, e: bigint): bigint => {
  let r = 1n;
  for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
};

/** Reduces `v` by the basis; returns what is left (all zero when v is in the span). */
function reduce(basis: Map<number, bigint[]>, v: bigint[]): bigint[] {
  const w = [...v];
  for (let col = 0; col < w.length; col++) {
    if (w[col] === 0n) continue;
    const row = basis.get(col);
    if (!row) continue;
    const f = w[col];
    for (let j = col; j < w.length; j++) if (row[j] !== 0n) w[j] = (((w[j] - f * row[j]) % P) + P) % P;
  }
  return w;
}

function insert(basis: Map<number, bigint[]>, v: bigint[]): void {
  const w = reduce(basis, v);
  const pivot = w.findIndex((x) => x !== 0n);
  if (pivot < 0) return;
  const inv = modpow(w[pivot], P - 2n);
  const row = w.map((x) => (x * inv) % P);
  // Keep the basis reduced at the new pivot, so reduce() can go column by column.
  for (const other of basis.values()) {
    const f = other[pivot];
    if (f !== 0n) for (let j = 0; j < other.length; j++) if (row[j] !== 0n) other[j] = (((other[j] - f * row[j]) % P) + P) % P;
  }
  basis.set(pivot, row);
}

/**
 * Suppressed cells of fewer than k visitors that some linear combination of published cells
 * equals (a finest combination of fewer than k visitors is one of them: a cell of the finest level).
 */
export function exactLeaks(d: Day): string[] {
  const basis = span(d);
  const leaks: string[] = [];
  for (const cell of d.cells) {
    if (!cell.suppressed) continue;
    const atoms = d.atomsOf.get(cell)!;
    const n = visitorsOf(d, atoms);
    if (n < K && reduce(basis, indicator(d, atoms)).every((x) => x === 0n)) leaks.push(`suppressed ${describeCell(cell)} (${n} visitors) is a combination of published cells`);
  }
  return leaks;
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
    const cell = (level: number, page: string | null, region: string | null) => d.cells.find((c) => c.level === level && c.values[0] === (level & 1 ? page : null) && c.values[4] === (level & 16 ? region : null))!;
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
      expect(d.cells.filter((c) => c.suppressed && c.visitors < K).length).toBeGreaterThan(0);
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
