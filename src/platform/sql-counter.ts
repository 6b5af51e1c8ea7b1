/**
 * Counts the SQL statements a unit of work issues. Tests wrap an operation in `countSql()` and
 * assert the count does not grow with list length (the N+1 guard); the benchmark reads the
 * process-wide total.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger as TypeOrmLogger, QueryRunner } from 'typeorm';

export interface SqlTally {
  count: number;
  statements: string[];
}

const storage = new AsyncLocalStorage<SqlTally>();
/** Statements of the data a request reads or writes, and of the audit log's own writes. */
export type StatementKind = 'data' | 'audit';
const processTotals: Record<StatementKind, number> = { data: 0, audit: 0 };

export async function countSql<T>(work: () => Promise<T>): Promise<{ result: T; sql: SqlTally }> {
  const sql: SqlTally = { count: 0, statements: [] };
  const result = await storage.run(sql, work);
  return { result, sql };
}

/** Statements issued by this process so far: data statements unless `kind` says otherwise. */
export function totalSqlStatements(kind: StatementKind = 'data'): number {
  return processTotals[kind];
}

export function recordSqlStatement(query: string, kind: StatementKind = 'data'): void {
  processTotals[kind] += 1;
  const tally = storage.getStore();
  if (tally && kind === 'data') {
    tally.count += 1;
    tally.statements.push(query);
  }
}

/** TypeORM logger that counts statements and sends slow or failed ones to the application log. */
export class CountingTypeOrmLogger implements TypeOrmLogger {
  constructor(private readonly onProblem: (message: string, detail: Record<string, unknown>) => void = () => undefined) {}

  logQuery(query: string): void {
    recordSqlStatement(query);
  }

  logQueryError(error: string | Error, query: string): void {
    // Parameters are not logged: they may carry personal data.
    const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
    this.onProblem('query failed', { error: error instanceof Error ? error.message : error, ...(typeof code === 'string' ? { code } : {}), query });
  }

  logQuerySlow(time: number, query: string): void {
    this.onProblem('slow query', { ms: time, query });
  }

  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  // TypeORM passes the query runner as the last argument of the methods above; unused here.
  protected unused?: QueryRunner;
}
