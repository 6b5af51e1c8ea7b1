/**
 * DataLoader builders. Loaders are created per request with the caller's row scope, so scope
 * holds by construction: a batch function can only run the scoped query. Each batch is one SQL
 * statement whatever the number of keys; results come back in key order, missing keys as null
 * (by-id) or [] (children).
 */
import DataLoader from 'dataloader';
import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { RowScope, ScopedTable } from '../policy/row-scope';
import type { Ordering, Page, PageArgs } from './pagination';
import { decodeCursor, toPage } from './pagination';

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

export function byIdLoader<E extends ObjectLiteral & { id: string }>(
  ds: DataSource,
  ref: TableRef<E>,
  scope: RowScope,
): DataLoader<string, E | null> {
  return new DataLoader<string, E | null>(async (ids) => {
    const rows = await scopedQuery(ds, ref, scope).andWhere('t.id = ANY(:ids::uuid[])', { ids }).getMany();
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Children of many parents in one statement, grouped by the parent key and sorted. */
export function childrenLoader<E extends ObjectLiteral>(
  ds: DataSource,
  ref: TableRef<E>,
  scope: RowScope,
  parentProperty: keyof E & string,
  orderBy: Array<[keyof E & string, 'ASC' | 'DESC']>,
): DataLoader<string, E[]> {
  return new DataLoader<string, E[]>(async (parentIds) => {
    const qb = scopedQuery(ds, ref, scope).andWhere(`t.${parentProperty} = ANY(:ids::uuid[])`, { ids: parentIds });
    orderBy.forEach(([property, direction], i) =>
      i === 0 ? qb.orderBy(`t.${property}`, direction) : qb.addOrderBy(`t.${property}`, direction),
    );
    const rows = await qb.getMany();
    const groups = new Map<string, E[]>(parentIds.map((id) => [id, []]));
    for (const row of rows) groups.get(row[parentProperty])?.push(row);
    return parentIds.map((id) => groups.get(id) ?? []);
  });
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
): DataLoader<string, Page<E>> {
  const repository = ds.getRepository(ref.entity);
  const sortColumn = repository.metadata.findColumnWithPropertyPath(ordering.property)?.databaseName;
  if (!sortColumn) throw new Error(`childPageLoader: ${ordering.property} is not a column of ${ref.table}`);
  const cursor = args.after ? decodeCursor(args.after, ordering) : undefined;
  return new DataLoader<string, Page<E>>(async (parentIds) => {
    const ranked = ds
      .createQueryBuilder()
      .select('c.id', 'id')
      .addSelect(
        `row_number() OVER (PARTITION BY c.${parentColumn} ORDER BY c.${sortColumn} ${ordering.direction}, c.id ${ordering.direction})`,
        'rn',
      )
      .from(ref.table, 'c')
      .where(`c.${parentColumn} = ANY(:ids::uuid[])`, { ids: parentIds });
    const condition = scope.condition(ref.table, 'c');
    if (condition) ranked.andWhere(condition.sql, condition.params);
    if (cursor) {
      const op = ordering.direction === 'DESC' ? '<' : '>';
      const cast = ordering.kind === 'timestamp' ? '::timestamptz' : '';
      ranked.andWhere(`(c.${sortColumn}, c.id) ${op} (:cursorValue${cast}, :cursorId::uuid)`, {
        cursorValue: cursor.v,
        cursorId: cursor.i,
      });
    }
    const rows = await repository
      .createQueryBuilder('t')
      .where(`t.id IN (SELECT r.id FROM (${ranked.getQuery()}) r WHERE r.rn <= :limit)`)
      .setParameters({ ...ranked.getParameters(), limit: args.first + 1 })
      .orderBy(`t.${ordering.property}`, ordering.direction)
      .addOrderBy('t.id', ordering.direction)
      .getMany();
    const groups = new Map<string, E[]>(parentIds.map((id) => [id, []]));
    for (const row of rows) groups.get(row[parentProperty])?.push(row);
    return parentIds.map((id) => {
      const all = groups.get(id) ?? [];
      const hasNextPage = all.length > args.first;
      return toPage(hasNextPage ? all.slice(0, args.first) : all, ordering, hasNextPage, Boolean(args.after));
    });
  });
}
