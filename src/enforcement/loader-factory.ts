/**
 * DataLoader builders. Loaders are created per request with the caller's row scope, so scope
 * holds by construction: a batch function can only run the scoped query. Each batch is one SQL
 * statement whatever the number of keys; results come back in key order, missing keys as null
 * (by-id) or [] (children). Once the request's transaction is open, batches read through it.
 *
 * The statements are plain SQL built once per loader and sent as prepared statements, and rows
 * become entities through row-reader.ts rather than TypeORM's query builder: a manifest of 50
 * shipments reads a few hundred rows per request, and the builder and hydrator cost more than
 * PostgreSQL does (see bench/ and docs/performance.md).
 */
import DataLoader from 'dataloader';
import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { RowScope } from '../policy/row-scope';
import type { ScopedTable } from '../policy/tables';
import type { CursorCodec, Ordering, Page, PageArgs } from '../platform/pagination';
import { toPage } from '../platform/pagination';
import type { RequestTransaction } from '../platform/request-transaction';
import { readRows, rowReader, toPositional, type RowReader } from '../platform/row-reader';

export interface TableRef<E extends ObjectLiteral> {
  entity: EntityTarget<E>;
  table: ScopedTable;
}

export function scopedQuery<E extends ObjectLiteral>(
  ds: DataSource,
  ref: TableRef<E>,
  scope: RowScope,
  alias = 't',
): SelectQueryBuilder<E> {
  const qb = ds.getRepository(ref.entity).createQueryBuilder(alias);
  const condition = scope.condition(ref.table, alias);
  if (condition) qb.andWhere(condition.sql, condition.params);
  return qb;
}

/**
 * ` AND <scope condition>` for `alias`, its parameters appended to `values` (the statement's
 * own parameters follow), or '' when every row is in scope.
 */
export function scopeClause(scope: RowScope, table: ScopedTable, alias: string, values: unknown[]): string {
  const condition = scope.condition(table, alias);
  return condition ? ` AND ${toPositional(condition.sql, condition.params, values)}` : '';
}

export function byIdLoader<E extends ObjectLiteral & { id: string }>(
  ds: DataSource,
  ref: TableRef<E>,
  scope: RowScope,
  transaction?: RequestTransaction,
): DataLoader<string, E | null> {
  const reader = rowReader(ds, ref.entity);
  const scopeValues: unknown[] = [];
  const inScope = scopeClause(scope, ref.table, 't', scopeValues);
  const sql = `SELECT ${reader.columns('t')} FROM ${reader.table} t WHERE t."id" = ANY($${scopeValues.length + 1}::uuid[])${inScope}`;
  return new DataLoader<string, E | null>(async (ids) => {
    const rows = await readRows(ds, sql, [...scopeValues, ids], { prepared: true, transaction });
    const byId = new Map<string, E>();
    for (const row of rows) {
      const entity = reader.toEntity(row);
      byId.set(entity.id, entity);
    }
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Children of many parents in one statement, grouped by the parent key and sorted. */
export function childrenLoader<E extends ObjectLiteral>(
  ds: DataSource,
  ref: TableRef<E>,
  scope: RowScope,
  parentProperty: keyof E & string,
  orderBy: ReadonlyArray<readonly [keyof E & string, 'ASC' | 'DESC']>,
  transaction?: RequestTransaction,
): DataLoader<string, E[]> {
  const reader = rowReader(ds, ref.entity);
  const scopeValues: unknown[] = [];
  const inScope = scopeClause(scope, ref.table, 't', scopeValues);
  const order = orderBy.map(([property, direction]) => `t.${reader.column(property)} ${direction}`).join(', ');
  const sql =
    `SELECT ${reader.columns('t')} FROM ${reader.table} t ` +
    `WHERE t.${reader.column(parentProperty)} = ANY($${scopeValues.length + 1}::uuid[])${inScope} ORDER BY ${order}`;
  return childrenOfParents(ds, reader, sql, scopeValues, parentProperty, transaction);
}

/** The loader of children statements: `sql` takes the scope's values, then the parent ids; rows are grouped by parent in their order. */
function childrenOfParents<E extends ObjectLiteral>(
  ds: DataSource,
  reader: RowReader<E>,
  sql: string,
  scopeValues: unknown[],
  parentProperty: keyof E & string,
  transaction: RequestTransaction | undefined,
): DataLoader<string, E[]> {
  return new DataLoader<string, E[]>(async (parentIds) => {
    const rows = await readRows(ds, sql, [...scopeValues, parentIds], { prepared: true, transaction });
    const groups = new Map<string, E[]>(parentIds.map((id) => [id, []]));
    for (const row of rows) {
      const entity = reader.toEntity(row);
      groups.get(entity[parentProperty])?.push(entity);
    }
    return parentIds.map((id) => groups.get(id) ?? []);
  });
}

/**
 * The latest child per `partitionProperty` of many parents in one statement, e.g. a customer's
 * choice in force per cookie category out of their history: the row with the greatest
 * (`latestProperty`, id) per (parent, partition). Results are sorted by the partition.
 */
export function latestChildrenLoader<E extends ObjectLiteral>(
  ds: DataSource,
  ref: TableRef<E>,
  scope: RowScope,
  parentProperty: keyof E & string,
  partitionProperty: keyof E & string,
  latestProperty: keyof E & string,
  transaction?: RequestTransaction,
): DataLoader<string, E[]> {
  const reader = rowReader(ds, ref.entity);
  const scopeValues: unknown[] = [];
  const inScope = scopeClause(scope, ref.table, 't', scopeValues);
  const [parent, partition, latest] = [reader.column(parentProperty), reader.column(partitionProperty), reader.column(latestProperty)];
  const sql =
    `SELECT DISTINCT ON (t.${parent}, t.${partition}) ${reader.columns('t')} FROM ${reader.table} t ` +
    `WHERE t.${parent} = ANY($${scopeValues.length + 1}::uuid[])${inScope} ` +
    `ORDER BY t.${parent}, t.${partition}, t.${latest} DESC, t."id" DESC`;
  return childrenOfParents(ds, reader, sql, scopeValues, parentProperty, transaction);
}

/**
 * One page of children for many parents in one statement (a window function ranks each
 * parent's rows), e.g. the first 20 orders of each of 50 customers.
 */
export function childPageLoader<E extends ObjectLiteral & { id: string }>(
  ds: DataSource,
  ref: TableRef<E>,
  scope: RowScope,
  parentColumn: string,
  parentProperty: keyof E & string,
  ordering: Ordering,
  args: PageArgs,
  cursors: CursorCodec,
  transaction?: RequestTransaction,
): DataLoader<string, Page<E>> {
  const reader = rowReader(ds, ref.entity);
  const sortColumn = reader.column(ordering.property);
  const cursor = args.after ? cursors.open(args.after, ref.table, ordering) : undefined;
  const direction = ordering.direction;
  // $1 parent ids, $2 page size + 1, then the scope's parameters, then the cursor's.
  const values: unknown[] = [undefined, args.first + 1];
  const inScope = scopeClause(scope, ref.table, 'c', values);
  let afterCursor = '';
  if (cursor) {
    const op = direction === 'DESC' ? '<' : '>';
    const cast = ordering.kind === 'timestamp' ? '::timestamptz' : '';
    values.push(cursor.v, cursor.i);
    afterCursor = ` AND (c.${sortColumn}, c."id") ${op} ($${values.length - 1}${cast}, $${values.length}::uuid)`;
  }
  const sql =
    `SELECT ${reader.columns('t')} FROM ${reader.table} t WHERE t."id" IN (` +
    `SELECT r.id FROM (SELECT c."id" AS id, row_number() OVER (PARTITION BY c."${parentColumn}" ORDER BY c.${sortColumn} ${direction}, c."id" ${direction}) AS rn ` +
    `FROM ${reader.table} c WHERE c."${parentColumn}" = ANY($1::uuid[])${inScope}${afterCursor}) r WHERE r.rn <= $2) ` +
    `ORDER BY t.${sortColumn} ${direction}, t."id" ${direction}`;
  return new DataLoader<string, Page<E>>(async (parentIds) => {
    const rows = await readRows(ds, sql, [parentIds, ...values.slice(1)], { prepared: true, transaction });
    const groups = new Map<string, E[]>(parentIds.map((id) => [id, []]));
    for (const row of rows) {
      const entity = reader.toEntity(row);
      groups.get(entity[parentProperty])?.push(entity);
    }
    return parentIds.map((id) => {
      const all = groups.get(id) ?? [];
      const hasNextPage = all.length > args.first;
      return toPage(hasNextPage ? all.slice(0, args.first) : all, ordering, hasNextPage, Boolean(args.after), cursors, ref.table);
    });
  });
}
