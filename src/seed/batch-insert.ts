/**
 * Column-wise buffers written with one `INSERT ... SELECT FROM unnest($1::t1[], $2::t2[], ...)`
 * per batch: a fixed number of parameters whatever the row count, so thousands of rows cost one
 * round trip and one plan.
 */

export type Cell = string | number | boolean | null;
export type Row = Readonly<Record<string, Cell>>;

export interface ColumnSpec {
  readonly name: string;
  /** The PostgreSQL type of the unnested array's elements (enum types included). */
  readonly type: string;
  /**
   * SQL building the stored value from `u.<name>`, when a plain element type cannot carry it
   * (PostgreSQL arrays are rectangular, so a ragged varchar[] column travels as delimited text).
   */
  readonly select?: string;
}

export interface TableSpec {
  readonly table: string;
  readonly columns: readonly ColumnSpec[];
}

export type RunQuery = (sql: string, params: unknown[]) => Promise<unknown>;

export interface Statement {
  sql: string;
  params: unknown[];
}

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

export function insertSql(spec: TableSpec): string {
  const names = spec.columns.map((c) => quote(c.name)).join(', ');
  const selects = spec.columns.map((c) => c.select ?? `u.${quote(c.name)}`).join(', ');
  const arrays = spec.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  return `INSERT INTO ${quote(spec.table)} (${names}) SELECT ${selects} FROM unnest(${arrays}) AS u(${names})`;
}

export class TableBuffer {
  private columns: Cell[][];
  private readonly sql: string;
  /** Rows handed over for writing so far. */
  written = 0;

  constructor(readonly spec: TableSpec) {
    this.columns = spec.columns.map(() => []);
    this.sql = insertSql(spec);
  }

  get pending(): number {
    return this.columns[0]!.length;
  }

  /** Buffers one row. Every column must be present (null for SQL NULL), so a misspelt key fails here. */
  push(row: Row): void {
    const { columns } = this.spec;
    for (let i = 0; i < columns.length; i++) {
      const value = row[columns[i]!.name];
      if (value === undefined) {
        throw new Error(`expected a value (or null) for ${this.spec.table}.${columns[i]!.name}, got none`);
      }
      this.columns[i]!.push(value);
    }
  }

  /** Empties the buffer into statements of at most `batchSize` rows each. */
  take(batchSize: number): Statement[] {
    const total = this.pending;
    const statements: Statement[] = [];
    for (let start = 0; start < total; start += batchSize) {
      statements.push({ sql: this.sql, params: this.columns.map((values) => values.slice(start, start + batchSize)) });
    }
    this.columns = this.spec.columns.map(() => []);
    this.written += total;
    return statements;
  }
}

/**
 * One buffer per table, flushed parents-first (the order of `specs`), so a batch never references a
 * row that is still waiting in another buffer.
 */
export class RowSink {
  private readonly buffers: Map<TableSpec, TableBuffer>;

  constructor(private readonly specs: readonly TableSpec[]) {
    this.buffers = new Map(specs.map((s) => [s, new TableBuffer(s)]));
  }

  push(spec: TableSpec, row: Row): void {
    const buffer = this.buffers.get(spec);
    if (!buffer) throw new Error(`expected one of the seed's tables, got ${spec.table}`);
    buffer.push(row);
  }

  /** The most rows any one table holds unwritten. */
  get largestPending(): number {
    let max = 0;
    for (const buffer of this.buffers.values()) max = Math.max(max, buffer.pending);
    return max;
  }

  /**
   * Empties every buffer at once, then runs the statements one after another, parents first. The
   * buffers are free again as soon as this returns, so the caller can generate the next rows
   * while the database writes these (await the promise before the next flush).
   */
  flush(run: RunQuery, batchSize: number): Promise<void> {
    const statements = this.specs.flatMap((spec) => this.buffers.get(spec)!.take(batchSize));
    return (async () => {
      for (const { sql, params } of statements) await run(sql, params);
    })();
  }

  /** Rows handed over for writing, per table. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const spec of this.specs) counts[spec.table] = this.buffers.get(spec)!.written;
    return counts;
  }
}
