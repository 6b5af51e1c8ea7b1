/**
 * Behaviour in aggregate — the only way analytics reads page views (design §1, §3: aggregates
 * only, k ≥ 10). A query names a range of closed UTC days, the dimensions to group by and
 * filters; the answer is one cell per day and combination, and totals per day over the grouped
 * dimensions. Every number comes from the day's lattice after small-cell suppression
 * (suppression.ts): a published cell counts at least k distinct visitors, a suppressed one says
 * so and carries no number.
 *
 * - Days, never finer and never summed: a cell is one UTC day. A visitor's pseudonym lives one
 *   day, so distinct visitors across days would be visitor-days anyway, and a multi-day total
 *   would be a new number a second query could difference against.
 * - Closed days only: days before the ingest window (behavior.service.ts), whose page views can
 *   no longer change, so asking again later cannot isolate the views that arrived in between; and
 *   only an hour after they closed (settledDaysEnd), once an ingest that was still storing a view
 *   of the day when it closed has committed.
 * - Whole days: retention deletes page views a whole day at a time, in one transaction
 *   (retention-job.ts), so a day is read with all its views or none, and asking before and after
 *   a run (or during one) cannot isolate the views of a few hours.
 * - Filters are dimensions: filtering on a value selects the cells of that value from the lattice
 *   (its dimension is part of every cell returned), never a re-aggregation of the rest. So a
 *   filtered query publishes nothing an unfiltered query grouped by the same dimensions would
 *   not publish identically.
 * - Totals are the lattice's coarser cells: per day, over every proper subset of the grouped
 *   dimensions (the filtered dimensions held at their values), suppressed by the same rules.
 *
 * What remains (see the README): the bounds a published total and its parts put on the suppressed
 * cells between them (an interval, never a value: at least two cells and k visitors), and whatever
 * a caller knows from outside the gateway. k is configured upward only; answers given under a
 * different k are not reconciled with these.
 */
import type { DataSource } from 'typeorm';
import { badUserInput } from '../../platform/errors';
import { integerOption } from '../../platform/options';
import { scopeClause } from '../../enforcement/loader-factory';
import { readRows } from '../../platform/row-reader';
import type { RowScope } from '../../policy/row-scope';
import { settledDaysEnd } from '../behavior/behavior.service';
import { buildLattice, DIMENSIONS, suppressSmallCells, type Cell, type Dimension } from './suppression';

/** The smallest k the gateway accepts: fewer visitors per cell are never published. */
export const MIN_VISITORS_PER_CELL = 10;
/** Days one query may span. */
export const MAX_DAYS = 92;
/** Cells (and totals) one answer may hold. */
export const MAX_CELLS = 5000;

export interface AggregateQuery {
  /** First and last UTC day, `YYYY-MM-DD`, both included. */
  from: string;
  to: string;
  groupBy: readonly Dimension[];
  /** Per dimension, the values whose cells are wanted. */
  filter: Partial<Record<Dimension, readonly string[]>>;
}

export interface AggregateCell {
  day: string;
  /** Values per dimension, null where the cell is not grouped by it (or the value is unknown). */
  values: Record<Dimension, string | null>;
  groupedBy: Dimension[];
  suppressed: boolean;
  visitors: number | null;
  visits: number | null;
  dwellMs: number | null;
  clicks: number | null;
}

export interface AggregateReport {
  minVisitorsPerCell: number;
  cells: AggregateCell[];
  totals: AggregateCell[];
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 24 * 3600_000;

function parseDay(value: string, argument: string): Date {
  const m = DAY.exec(value);
  const at = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!at || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== value) {
    throw badUserInput(`${argument}: expected a UTC day as YYYY-MM-DD, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return at;
}

/** The columns of the dimensions, as DIMENSIONS orders them. */
const COLUMNS = ['t.page', 't.device_class::text', 't.browser_family', 't.language', 't.region'];

/**
 * The page views of every day in [from, to), summed per day, visitor and finest cell (every
 * dimension set), sorted by day and visitor: what buildLattice sums up level by level. One
 * statement, one pass; the cube is built in the gateway, where it costs a fraction of what
 * PostgreSQL's CUBE with 32 distinct counts does.
 */
function pageViewsStatement(scope: RowScope): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const inScope = scopeClause(scope, 'behavior_event', 't', values);
  const from = values.length + 1;
  const sql = `
    SELECT to_char(t.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, t.visitor_pseudonym AS visitor,
           ${COLUMNS.map((c, i) => `${c} AS d${i}`).join(', ')},
           count(*)::int AS visits, sum(t.dwell_ms)::float8 AS dwell_ms, sum(t.clicks)::float8 AS clicks
      FROM behavior_event t
     WHERE t.occurred_at >= $${from} AND t.occurred_at < $${from + 1}${inScope}
     GROUP BY 1, 2, 3, 4, 5, 6, 7
     ORDER BY 1, 2`;
  return { sql, values };
}

interface PageViewRow {
  day: string;
  visitor: string;
  d0: string | null;
  d1: string | null;
  d2: string | null;
  d3: string | null;
  d4: string | null;
  visits: number;
  dwell_ms: number;
  clicks: number;
}

export interface BehaviorAggregatesOptions {
  /** k: the fewest distinct visitors a published cell counts; at least 10 (default 10). */
  minVisitorsPerCell?: number;
}

export class BehaviorAggregates {
  readonly minVisitorsPerCell: number;

  constructor(options: BehaviorAggregatesOptions = {}) {
    this.minVisitorsPerCell = integerOption('BehaviorAggregates', 'minVisitorsPerCell', options.minVisitorsPerCell, MIN_VISITORS_PER_CELL, MIN_VISITORS_PER_CELL, 1_000_000);
  }

  /** The query checked: BAD_USER_INPUT naming the argument when it is not acceptable. */
  private check(query: AggregateQuery, now: Date): { from: Date; to: Date; grouped: number; filtered: number } {
    const from = parseDay(query.from, 'from');
    const last = parseDay(query.to, 'to');
    if (last < from) throw badUserInput(`to: the last day (${query.to}) is before the first (${query.from})`);
    const open = settledDaysEnd(now);
    if (last >= open) {
      throw badUserInput(`to: ${query.to} is not closed yet (page views of it are still taken in); the last closed day is ${new Date(open.getTime() - DAY_MS).toISOString().slice(0, 10)}`);
    }
    const days = Math.round((last.getTime() - from.getTime()) / DAY_MS) + 1;
    if (days > MAX_DAYS) throw badUserInput(`from, to: at most ${MAX_DAYS} days per query, got ${days}`);
    let grouped = 0;
    for (const d of query.groupBy) {
      const bit = 1 << DIMENSIONS.indexOf(d);
      if (grouped & bit) throw badUserInput(`groupBy: ${d} is named twice`);
      grouped |= bit;
    }
    let filtered = 0;
    for (const [d, values] of Object.entries(query.filter) as Array<[Dimension, readonly string[] | undefined]>) {
      if (values && values.length > 0) filtered |= 1 << DIMENSIONS.indexOf(d);
    }
    return { from, to: new Date(last.getTime() + DAY_MS), grouped, filtered };
  }

  async report(dataSource: DataSource, scope: RowScope, query: AggregateQuery, now = new Date()): Promise<AggregateReport> {
    const { from, to, grouped, filtered } = this.check(query, now);
    // Cells: the grouped and the filtered dimensions; totals: the filtered ones with every proper subset of the grouped.
    const level = grouped | filtered;
    const k = this.minVisitorsPerCell;
    const statement = pageViewsStatement(scope);
    const rows = (await readRows(dataSource, statement.sql, [...statement.values, from, to])) as unknown as PageViewRow[];

    // Per day: the lattice, suppressed; then the cells of the published levels that the filters select.
    const levels = publishedLevels(grouped, filtered);
    const wanted = (cell: Cell) =>
      DIMENSIONS.every((d, i) => {
        const values = query.filter[d];
        return !values || values.length === 0 || (cell.values[i] !== null && values.includes(cell.values[i]!));
      });
    const cells: AggregateCell[] = [];
    const totals: AggregateCell[] = [];
    for (let start = 0; start < rows.length; ) {
      const day = rows[start].day;
      let end = start;
      while (end < rows.length && rows[end].day === day) end++;
      const lattice = buildLattice(
        rows.slice(start, end).map((r) => ({ visitor: r.visitor, values: [r.d0, r.d1, r.d2, r.d3, r.d4], visits: r.visits, dwellMs: r.dwell_ms, clicks: r.clicks })),
      );
      suppressSmallCells(lattice, k);
      for (const cell of lattice) {
        if (!levels.has(cell.level) || !wanted(cell)) continue;
        (cell.level === level ? cells : totals).push(published(day, cell));
        if (cells.length + totals.length > MAX_CELLS) {
          throw badUserInput(`the answer would hold more than ${MAX_CELLS} cells: ask for fewer days, fewer dimensions or narrower filters`);
        }
      }
      start = end;
    }
    return { minVisitorsPerCell: k, cells, totals };
  }
}

/** The levels an answer publishes: the filtered dimensions with every subset of the grouped ones. */
function publishedLevels(grouped: number, filtered: number): Set<number> {
  const levels = new Set<number>();
  // Every subset of `grouped` (the classic submask walk), down to the empty one.
  for (let sub = grouped; ; sub = (sub - 1) & grouped) {
    levels.add(filtered | sub);
    if (sub === 0) break;
  }
  return levels;
}

function published(day: string, cell: Cell): AggregateCell {
  const values = Object.fromEntries(DIMENSIONS.map((d, i) => [d, cell.level & (1 << i) ? cell.values[i] : null])) as Record<Dimension, string | null>;
  const groupedBy = DIMENSIONS.filter((_d, i) => cell.level & (1 << i));
  if (cell.suppressed) return { day, values, groupedBy, suppressed: true, visitors: null, visits: null, dwellMs: null, clicks: null };
  return { day, values, groupedBy, suppressed: false, visitors: cell.visitors, visits: cell.visits, dwellMs: cell.dwellMs, clicks: cell.clicks };
}
