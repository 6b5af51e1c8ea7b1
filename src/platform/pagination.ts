/**
 * Cursor (keyset) pagination: `first` 1..100 (default 20), opaque `after` cursors, `pageInfo`.
 *
 * A cursor names the ordering it was made for, the sort value and the row id; it is rejected
 * (BAD_USER_INPUT) with any other ordering or when it has been tampered with. Paging never uses
 * OFFSET, so a page costs the same however deep it is.
 */
import { Max, Min } from 'class-validator';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { badUserInput } from './errors';
import { readRows, rowReader } from './row-reader';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: 'Page size, 1 to 100.' })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number = DEFAULT_PAGE_SIZE;

  @Field(() => String, { nullable: true, description: 'Cursor of the last row of the previous page.' })
  after?: string | null;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
}

/** A connection type `<Name>Connection` with `<Name>Edge`, for a GraphQL object type. */
export function connectionOf<T extends object>(node: ClassType<T>, name: string): ClassType<Page<T>> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor!: string;
    @Field(() => node) node!: T;
  }

  @ObjectType(`${name}Connection`)
  class Connection {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => [node]) nodes!: T[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  return Connection;
}

/** One ordering a list offers: a GraphQL enum value mapped to a column and direction. */
export interface Ordering {
  /** Stable name written into cursors, e.g. `PLACED_AT_DESC`. */
  name: string;
  /** Property of the entity that is sorted on (ties broken by `id` in the same direction). */
  property: string;
  direction: 'ASC' | 'DESC';
  /** How the sort value is turned back from a cursor into a SQL parameter. */
  kind: 'timestamp' | 'text' | 'number';
}

interface CursorPayload {
  o: string;
  v: string | number;
  i: string;
}

export function encodeCursor(ordering: Ordering, value: unknown, id: string): string {
  const v = value instanceof Date ? value.toISOString() : (value as string | number);
  return Buffer.from(JSON.stringify({ o: ordering.name, v, i: id } satisfies CursorPayload)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(cursor: string, ordering: Ordering): CursorPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    payload = undefined;
  }
  const p = payload as Partial<CursorPayload> | undefined;
  const valid =
    p !== undefined &&
    p !== null &&
    typeof p === 'object' &&
    p.o === ordering.name &&
    typeof p.i === 'string' &&
    UUID.test(p.i) &&
    (ordering.kind === 'number' ? typeof p.v === 'number' : typeof p.v === 'string') &&
    (ordering.kind !== 'timestamp' || !Number.isNaN(Date.parse(p.v as string)));
  if (!valid) {
    throw badUserInput(`after: not a cursor of this list in ordering ${ordering.name}; pass a cursor this list returned`);
  }
  return p as CursorPayload;
}

/**
 * `qb.getMany()`, with the rows turned into entities by row-reader.ts instead of TypeORM's
 * hydrator when `qb` selects one entity and joins nothing (every list here).
 */
async function pageRows<E extends ObjectLiteral>(qb: SelectQueryBuilder<E>, alias: string): Promise<E[]> {
  const map = qb.expressionMap;
  if (map.joinAttributes.length > 0 || !map.mainAlias?.hasMetadata || map.selects.some((s) => s.selection !== alias)) return qb.getMany();
  const reader = rowReader<E>(qb.connection, map.mainAlias.target);
  const [sql, parameters] = qb.getQueryAndParameters();
  const rows = await readRows(qb.connection, sql, parameters);
  return rows.map((row) => reader.toEntityFromAliased(row, alias));
}

/**
 * Runs `qb` (already filtered and scoped) for one page. `alias` is the query builder's main alias.
 */
export async function paginate<E extends ObjectLiteral>(
  qb: SelectQueryBuilder<E>,
  alias: string,
  ordering: Ordering,
  args: PageArgs,
): Promise<Page<E>> {
  const column = `${alias}.${ordering.property}`;
  if (args.after) {
    const cursor = decodeCursor(args.after, ordering);
    const op = ordering.direction === 'DESC' ? '<' : '>';
    const cast = ordering.kind === 'timestamp' ? '::timestamptz' : '';
    qb.andWhere(`(${column}, ${alias}.id) ${op} (:cursorValue${cast}, :cursorId::uuid)`, {
      cursorValue: cursor.v,
      cursorId: cursor.i,
    });
  }
  qb.orderBy(column, ordering.direction).addOrderBy(`${alias}.id`, ordering.direction).limit(args.first + 1);
  const rows = await pageRows(qb, alias);
  const hasNextPage = rows.length > args.first;
  const nodes = hasNextPage ? rows.slice(0, args.first) : rows;
  return toPage(nodes, ordering, hasNextPage, Boolean(args.after));
}

export function toPage<E extends ObjectLiteral>(nodes: E[], ordering: Ordering, hasNextPage: boolean, hasPreviousPage: boolean): Page<E> {
  const cursorOf = (node: E) => encodeCursor(ordering, node[ordering.property], node.id);
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  let edges: Page<E>['edges'] | undefined;
  return {
    // A cursor per row is built only when the query asks for edges (most ask for nodes).
    get edges() {
      return (edges ??= nodes.map((node) => ({ cursor: cursorOf(node), node })));
    },
    nodes,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: first ? cursorOf(first) : null,
      endCursor: last ? cursorOf(last) : null,
    },
  };
}
