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
 * 3. Exact audit (RecoveryAudit). Lines look at one total and its parts at a time; several
 *    margins together can still add up to one small hidden cell (two crossing margins and their
 *    published cells pin down the cell where they cross). After the lines hold, every suppressed
 *    cell of fewer than k visitors is checked against the span of all published cells over the
 *    finest cells: one that some linear combination of published numbers equals exactly has
 *    the smallest published cell that covers part of it suppressed, and the lines are repaired
 *    again, until no such cell is left.
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

  const audit = new RecoveryAudit(cells, byKey);
  for (;;) {
    for (let next = 0; next < queue.length; next++) {
      const line = queue[next];
      queued.delete(line);
      repair(line, k, suppress, smaller);
    }
    queue.length = 0;
    // Rule 3: no small hidden cell is a combination of published ones; suppress more, then repair the lines again.
    const more = audit.cellsToHide(k, smaller);
    if (more.length === 0) return suppressed;
    for (const cell of more) suppress(cell);
  }
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

/** A prime below 2^26: the product of two residues is below 2^52, exact in a double. */
const PRIME = 67_108_859;

const mulMod = (a: number, b: number) => (a * b) % PRIME;

function invMod(a: number): number {
  let result = 1;
  let base = a % PRIME;
  for (let e = PRIME - 2; e > 0; e = Math.floor(e / 2), base = mulMod(base, base)) if (e % 2 === 1) result = mulMod(result, base);
  return result;
}

/**
 * Rule 3, the exact audit. Visits, dwell and clicks add up: every published number is the sum of
 * the finest cells (atoms) under its cell, so an analyst who knows all published cells of a day
 * knows every linear combination of them. The audit asks, for every suppressed cell of fewer than
 * k visitors, whether some combination of published numbers — several margins at once, which no
 * single line shows — equals it exactly.
 *
 * Atoms under the same published cells (a block) are never told apart by any combination, so a
 * cell is recoverable only when it is a union of whole blocks, and then exactly when its
 * indicator over the blocks lies in the span of the published cells' indicators. The span is
 * kept in reduced row echelon form modulo a large prime (a 0/1 vector of the rational span is in
 * it; a false alarm would only suppress one cell more), and built only when some cell is a union of blocks.
 */
class RecoveryAudit {
  /** The atoms: the cells of the finest level, in the lattice's order. */
  private readonly atoms: Cell[];
  /** Per cell, the indexes of the atoms under it. */
  private readonly atomsOf = new Map<Cell, number[]>();
  /** Per atom, the cells over it (one per level). */
  private readonly cellsOver: Cell[][];
  /** Per cell, its place in the lattice. */
  private readonly indexOf = new Map<Cell, number>();

  constructor(
    private readonly cells: readonly Cell[],
    byKey: ReadonlyMap<string, Cell>,
  ) {
    const finest = (1 << DIMENSION_COUNT) - 1;
    cells.forEach((cell, i) => this.indexOf.set(cell, i));
    this.atoms = cells.filter((c) => c.level === finest);
    this.cellsOver = this.atoms.map((atom, i) => {
      const over: Cell[] = [];
      for (let level = 0; level <= finest; level++) {
        const cell = byKey.get(cellKey(level, atom.values))!;
        over.push(cell);
        const list = this.atomsOf.get(cell);
        if (list) list.push(i);
        else this.atomsOf.set(cell, [i]);
      }
      return over;
    });
  }

  /**
   * The published cells to suppress next: for each suppressed cell of fewer than k visitors that
   * published cells add up to, the smallest published cell that covers part of it (failing that,
   * the smallest that covers it); none when no such cell is recoverable.
   */
  cellsToHide(k: number, smaller: (a: Cell, b: Cell) => boolean): Cell[] {
    // Blocks: atoms with the same published cells over them (by level: the cell of a level over an atom is unique).
    const blockOf = new Int32Array(this.atoms.length);
    const blockSizes: number[] = [];
    const signatures = new Map<string, number>();
    this.cellsOver.forEach((over, i) => {
      const signature = over.map((cell) => (cell.suppressed ? '' : this.indexOf.get(cell))).join(',');
      let id = signatures.get(signature);
      if (id === undefined) {
        id = blockSizes.length;
        signatures.set(signature, id);
        blockSizes.push(0);
      }
      blockOf[i] = id;
      blockSizes[id] += 1;
    });

    let span: Span | undefined;
    const chosen = new Set<Cell>();
    for (const cell of this.cells) {
      if (!cell.suppressed || cell.visitors >= k) continue;
      const atoms = this.atomsOf.get(cell)!;
      const blocks = new Map<number, number>();
      for (const i of atoms) blocks.set(blockOf[i], (blocks.get(blockOf[i]) ?? 0) + 1);
      if ([...blocks].some(([b, n]) => blockSizes[b] !== n)) continue; // splits a block: no combination tells it
      span ??= this.span(blockOf, blockSizes.length);
      if (!inSpan(span, [...blocks.keys()])) continue;
      const mine = new Set(atoms);
      let partial: Cell | undefined;
      let whole: Cell | undefined;
      for (const i of atoms) {
        for (const over of this.cellsOver[i]) {
          if (over.suppressed) continue;
          const covers = this.atomsOf.get(over)!.filter((j) => mine.has(j)).length;
          if (covers < atoms.length) {
            if (!partial || smaller(over, partial)) partial = over;
          } else if (!whole || smaller(over, whole)) whole = over;
        }
      }
      const target = partial ?? whole;
      if (target) chosen.add(target);
    }
    return [...chosen];
  }

  /**
   * The span of the published cells' indicators over the blocks: the blocks it pins down one by
   * one (a published cell whose blocks are all pinned down but one pins that one down too), and,
   * over the blocks left, the rest of the cells in reduced row echelon form (pivot -> row). The
   * span is the pinned blocks' unit vectors together with the rows, so a vector is in it exactly
   * when its part over the blocks left is in the rows' span.
   */
  private span(blockOf: Int32Array, blockCount: number): Span {
    // The finest cells first: their rows are short, and the coarser ones mostly reduce to nothing.
    const rows = this.cells
      .filter((cell) => !cell.suppressed)
      .map((cell) => [...new Set(this.atomsOf.get(cell)!.map((i) => blockOf[i]))])
      .sort((a, b) => a.length - b.length);
    // Peeling: a row with one block not yet pinned pins it.
    const pinned = new Uint8Array(blockCount);
    const open = rows.map((r) => r.length);
    const rowsOf: number[][] = Array.from({ length: blockCount }, () => []);
    rows.forEach((r, i) => r.forEach((b) => rowsOf[b].push(i)));
    const ready = rows.flatMap((r, i) => (r.length === 1 ? [i] : []));
    while (ready.length > 0) {
      const i = ready.pop()!;
      if (open[i] !== 1) continue;
      const b = rows[i].find((x) => !pinned[x])!;
      pinned[b] = 1;
      for (const j of rowsOf[b]) if (--open[j] === 1) ready.push(j);
    }
    // The rest: dense elimination over the blocks not pinned.
    const column = new Int32Array(blockCount).fill(-1);
    let width = 0;
    for (let b = 0; b < blockCount; b++) if (!pinned[b]) column[b] = width++;
    const basis = new Map<number, Float64Array>();
    rows.forEach((r, i) => {
      if (open[i] < 2) return;
      const v = new Float64Array(width);
      for (const b of r) if (!pinned[b]) v[column[b]] = 1;
      for (const [pivot, row] of basis) {
        const f = v[pivot];
        if (f !== 0) subtractMultiple(v, row, f);
      }
      const pivot = v.findIndex((x) => x !== 0);
      if (pivot < 0) return;
      const inverse = invMod(v[pivot]);
      for (let j = 0; j < width; j++) if (v[j] !== 0) v[j] = mulMod(v[j], inverse);
      for (const row of basis.values()) {
        const f = row[pivot];
        if (f !== 0) subtractMultiple(row, v, f);
      }
      basis.set(pivot, v);
    });
    return { pinned, column, width, basis };
  }
}

interface Span {
  pinned: Uint8Array;
  /** Per block not pinned, its column in the rows; -1 for a pinned one. */
  column: Int32Array;
  width: number;
  basis: Map<number, Float64Array>;
}

/** Whether the indicator of `blocks` is in the span: its part over the blocks not pinned equals the sum of the rows at its pivots. */
function inSpan(span: Span, blocks: readonly number[]): boolean {
  const columns = blocks.filter((b) => !span.pinned[b]).map((b) => span.column[b]);
  if (columns.length === 0) return true;
  const residual = new Float64Array(span.width);
  for (const c of columns) residual[c] = 1;
  for (const c of columns) {
    const row = span.basis.get(c);
    if (row) subtractMultiple(residual, row, 1);
  }
  return residual.every((x) => x === 0);
}

/** v -= f * row, modulo PRIME. */
function subtractMultiple(v: Float64Array, row: Float64Array, f: number): void {
  for (let j = 0; j < v.length; j++) {
    if (row[j] === 0) continue;
    const x = v[j] - mulMod(f, row[j]);
    v[j] = x < 0 ? x + PRIME : x;
  }
}
