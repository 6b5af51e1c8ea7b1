/**
 * Small-cell suppression over one day's lattice of behaviour aggregates.
 *
 * The lattice holds every cell of every level: a level is a set of dimensions (page, device
 * class, browser family, language, region), a cell one combination of their values, with the
 * distinct visitors, visits, dwell time and clicks of that day's page views that match it. The
 * empty level is the day's total. Every published number is a cell of this lattice; nothing
 * sums across days (a visitor's pseudonym lives one day, so days are disjoint and each day is
 * suppressed on its own).
 *
 * Rules, applied until nothing changes:
 * 1. Primary: a cell with fewer than k distinct visitors is suppressed.
 * 2. Lines. A line is a cell (the parent) with the cells one dimension finer below it (its
 *    children): the parent is their total. For every line whose parent counts k or more
 *    visitors — a number some query may publish — if any child is suppressed, or the parent is,
 *    then at least two children are suppressed and together count at least k visitors, by the
 *    lower bound max(parent − visible children, largest suppressed child). So a published total
 *    minus its published parts leaves an aggregate over two or more cells and k or more visitors,
 *    never one cell; and a suppressed parent is never the plain sum of published children.
 *    A line is repaired by suppressing its smallest published child (fewest visitors, then
 *    visits, then key). A line of one child under a published parent cannot hide that child (it
 *    equals its parent): the parent is suppressed instead.
 *
 * The outcome depends only on the day's data and k — never on the query — so every query sees
 * the same cell suppressed or published the same way, and combining queries (a filter against no
 * filter, a coarse grouping against a finer one) reveals no more than one query does.
 */

/** The dimensions, in the order of their bit in a level mask. */
export const DIMENSIONS = ['page', 'deviceClass', 'browserFamily', 'language', 'region'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const DIMENSION_COUNT = DIMENSIONS.length;

export interface Measures {
  visitors: number;
  visits: number;
  dwellMs: number;
  clicks: number;
}

export interface Cell extends Measures {
  /** Bit i set: grouped by DIMENSIONS[i]. */
  level: number;
  /** Values per dimension (index as DIMENSIONS); those outside the level are null and meaningless. */
  values: ReadonlyArray<string | null>;
  suppressed: boolean;
}

/** The key of a cell within its level: its values on the level's dimensions, null kept apart from every string. */
export function cellKey(level: number, values: ReadonlyArray<string | null>): string {
  let key = `${level}`;
  for (let i = 0; i < DIMENSION_COUNT; i++) {
    if (level & (1 << i)) key += values[i] === null ? '\u0001\u0000' : `\u0001${values[i]}`;
  }
  return key;
}

/** The page views of one visitor in one finest cell (every dimension set), as the database sums them. */
export interface VisitorCellRow {
  visitor: string;
  values: ReadonlyArray<string | null>;
  visits: number;
  dwellMs: number;
  clicks: number;
}

/**
 * One day's lattice: every cell of every level (the finest cells summed up to the day's total),
 * from the rows of that day **sorted by visitor**, so that a cell counts a visitor once by
 * remembering the last one it counted. Cells come sorted by level, then key: the order depends
 * on the data only.
 */
export function buildLattice(rows: Iterable<VisitorCellRow>): Cell[] {
  const cells = new Map<string, Cell & { lastVisitor?: string }>();
  const levels = 1 << DIMENSION_COUNT;
  for (const row of rows) {
    for (let level = 0; level < levels; level++) {
      const key = cellKey(level, row.values);
      let cell = cells.get(key);
      if (!cell) {
        const values = row.values.map((v, i) => (level & (1 << i) ? v : null));
        cell = { level, values, visitors: 0, visits: 0, dwellMs: 0, clicks: 0, suppressed: false };
        cells.set(key, cell);
      }
      if (cell.lastVisitor !== row.visitor) {
        cell.visitors += 1;
        cell.lastVisitor = row.visitor;
      }
      cell.visits += row.visits;
      cell.dwellMs += row.dwellMs;
      cell.clicks += row.clicks;
    }
  }
  return [...cells.entries()]
    .sort(([a, x], [b, y]) => x.level - y.level || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { lastVisitor: _, ...cell }]) => cell);
}

interface Line {
  parent: Cell;
  children: Cell[];
}


/**
 * Marks `suppressed` on every cell of one day's lattice (all 2^5 levels, as buildLattice makes
 * it); returns the number of cells suppressed. `cells` must hold, for every cell, the cell of
 * every coarser level above it, and come in an order fixed by the day's data.
 */
export function suppressSmallCells(cells: readonly Cell[], k: number): number {
  const byKey = new Map<string, Cell>();
  for (const cell of cells) byKey.set(cellKey(cell.level, cell.values), cell);

  // Lines, and for every cell the lines it belongs to (as child or as parent).
  const lines: Line[] = [];
  const lineOf = new Map<string, Line>();
  const linesOfCell = new Map<Cell, Line[]>();
  const member = (cell: Cell, line: Line) => {
    const list = linesOfCell.get(cell);
    if (list) list.push(line);
    else linesOfCell.set(cell, [line]);
  };
  for (const cell of cells) {
    for (let i = 0; i < DIMENSION_COUNT; i++) {
      const bit = 1 << i;
      if (!(cell.level & bit)) continue;
      const parentLevel = cell.level & ~bit;
      const parentKey = cellKey(parentLevel, cell.values);
      const lineKey = `${i}|${parentKey}`;
      let line = lineOf.get(lineKey);
      if (!line) {
        const parent = byKey.get(parentKey);
        if (!parent) throw new Error(`suppressSmallCells: the lattice lacks the parent ${JSON.stringify(parentKey)} of a cell (expected every level, as buildLattice makes it)`);
        line = { parent, children: [] };
        lineOf.set(lineKey, line);
        lines.push(line);
        member(parent, line);
      }
      line.children.push(cell);
      member(cell, line);
    }
  }

  let suppressed = 0;
  const queue: Line[] = [];
  const queued = new Set<Line>();
  const enqueue = (line: Line) => {
    if (!queued.has(line)) {
      queued.add(line);
      queue.push(line);
    }
  };
  const suppress = (cell: Cell) => {
    if (cell.suppressed) return;
    cell.suppressed = true;
    suppressed += 1;
    for (const line of linesOfCell.get(cell) ?? []) enqueue(line);
  };

  for (const cell of cells) {
    if (cell.visitors < k) {
      cell.suppressed = true;
      suppressed += 1;
    }
  }
  for (const line of lines) enqueue(line);

  // The smallest cell first: fewest visitors, then fewest visits, then key (a total order, so the outcome is fixed).
  const keys = new Map<Cell, string>();
  for (const cell of cells) keys.set(cell, cellKey(cell.level, cell.values));
  const smaller = (a: Cell, b: Cell) => a.visitors < b.visitors || (a.visitors === b.visitors && (a.visits < b.visits || (a.visits === b.visits && keys.get(a)! < keys.get(b)!)));

  for (let next = 0; next < queue.length; next++) {
    const line = queue[next];
    queued.delete(line);
    repair(line, k, suppress, smaller);
  }
  return suppressed;
}

/** Suppresses children (or the parent) of one line until the line satisfies rule 2. */
function repair(line: Line, k: number, suppress: (cell: Cell) => void, smaller: (a: Cell, b: Cell) => boolean): void {
  const { parent, children } = line;
  if (parent.visitors < k) return; // never published anywhere: every child is below k as well
  for (;;) {
    const hidden = children.filter((c) => c.suppressed);
    const shown = children.filter((c) => !c.suppressed);
    if (hidden.length === 0 && !parent.suppressed) return;
    if (shown.length === 0) {
      // Every child hidden: the parent, if published, is their total. One child equals its parent.
      if (children.length === 1 && !parent.suppressed) suppress(parent);
      return;
    }
    const shownVisitors = shown.reduce((sum, c) => sum + c.visitors, 0);
    const largestHidden = hidden.reduce((max, c) => Math.max(max, c.visitors), 0);
    if (hidden.length >= 2 && Math.max(parent.visitors - shownVisitors, largestHidden) >= k) return;
    suppress(shown.reduce((min, c) => (smaller(c, min) ? c : min)));
  }
}
