/**
 * The differencing attacker: given the page views of one day and the cells answers published of
 * it (suppressed or with numbers), it forms what an analyst can from the numbers it was shown —
 *
 * - every difference of two published cells, one inside the other (a total and a finer cell
 *   under it, however many dimensions finer: a query grouped by page against one grouped by page,
 *   device and browser);
 * - every total minus the published cells of one finer level under it (a margin minus its cells);
 * - exact recovery by linear algebra: whether some linear combination of all published numbers
 *   (visits, dwell and clicks add up) equals a suppressed cell of fewer than k visitors — a cell
 *   pinned down by several margins at once, though no single line gives it away —
 *
 * and counts each group it isolates again from the page views themselves: every one must be
 * empty or hold at least k distinct visitors. Nothing here comes from the code under test.
 */
import { cellKey, DIMENSION_COUNT, type VisitorCellRow } from '../../src/domains/analytics/suppression';

const FINEST = (1 << DIMENSION_COUNT) - 1;

/** A cell as an answer shows it: its level (bit i: grouped by dimension i), values and whether its numbers were withheld. */
export interface ShownCell {
  level: number;
  values: ReadonlyArray<string | null>;
  suppressed: boolean;
}

/** Whether a row's page views lie under a cell. */
const under = (cell: ShownCell, values: ReadonlyArray<string | null>) => cell.values.every((v, i) => !(cell.level & (1 << i)) || v === values[i]);

export interface Day {
  k: number;
  rows: VisitorCellRow[];
  cells: ShownCell[];
  /** The finest combinations, each a set of rows: the atoms every cell is a union of. */
  atoms: Array<{ key: string; rows: VisitorCellRow[] }>;
  /** Per cell, the atoms under it (indexes into `atoms`). */
  atomsOf: Map<ShownCell, number[]>;
}

/** The attacker's view of one day: its page views, and the cells shown of it. */
export function attackerDay(rows: VisitorCellRow[], cells: ShownCell[], k: number): Day {
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
  const atomsOf = new Map<ShownCell, number[]>();
  for (const cell of cells) atomsOf.set(cell, atoms.flatMap((a, i) => (under(cell, a.rows[0].values) ? [i] : [])));
  return { k, rows, cells, atoms, atomsOf };
}

/** Distinct visitors of a group of atoms, counted from the page views. */
const visitorsOf = (d: Day, group: Iterable<number>) => {
  const seen = new Set<string>();
  for (const i of group) for (const row of d.atoms[i].rows) seen.add(row.visitor);
  return seen.size;
};

const describeCell = (c: ShownCell) => `${c.level}:${JSON.stringify(c.values.map((v, i) => (c.level & (1 << i) ? v : '*')))}`;

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
      if (n > 0 && n < d.k) leaks.push(`${describeCell(a)} − ${describeCell(b)}: ${n} visitors`);
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
      if (n > 0 && n < d.k) leaks.push(`${describeCell(parent)} − its published cells at level ${level}: ${n} visitors`);
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
    if (n < d.k && reduce(basis, indicator(d, atoms)).every((x) => x === 0n)) leaks.push(`suppressed ${describeCell(cell)} (${n} visitors) is a combination of published cells`);
  }
  return leaks;
}

