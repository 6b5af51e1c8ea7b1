/**
 * Cursor (keyset) pagination: `first` 1..100 (default 20), opaque `after` cursors, `pageInfo`.
 *
 * A cursor holds the sort value and the row id, sealed for the caller, the list and the ordering
 * it was made for (cursor-seal.ts): any other use, and any tampering, is refused with one
 * BAD_USER_INPUT. Paging never uses OFFSET, so a page costs the same however deep it is.
 */
import { Max, Min } from 'class-validator';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { canonicalJson } from './canonical-json';
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

/** A row's position in a list: its sort value and id. */
export interface CursorPosition {
  v: string | number;
  i: string;
}

/**
 * Turns positions into cursors and back, for one caller (cursor-seal.ts). `list` names the table
 * listed; a cursor opens only for the caller, list and ordering it was sealed for.
 */
export interface CursorCodec {
  seal(list: string, ordering: Ordering, value: unknown, id: string): string;
  /** The position, or a BAD_USER_INPUT error for anything that is not such a cursor. */
  open(cursor: string, list: string, ordering: Ordering): CursorPosition;
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
 * The list a cursor is sealed for: the table, and the filter the page was read under (its members
 * as canonical JSON, absent and null members left out), so a cursor given under one filter opens
 * under no other — nor a filtered page's cursor without the filter, nor the reverse. The compiled
 * reads (execution/read-plans.ts) name their lists alike, so a cursor opens whichever executor
 * reads the next page.
 */
export function cursorList(table: string, filter?: unknown): string {
  if (filter === null || filter === undefined) return table;
  const members = Object.fromEntries(Object.entries(filter as Record<string, unknown>).filter(([, value]) => value !== null && value !== undefined));
  return Object.keys(members).length === 0 ? table : `${table}\u0000${canonicalJson(members)}`;
}

/**
 * Runs `qb` (already filtered and scoped) for one page; `filter` the list's filter as the caller sent it (cursorList). `alias` is the query builder's main alias.
 */
export async function paginate<E extends ObjectLiteral>(
  qb: SelectQueryBuilder<E>,
  alias: string,
  ordering: Ordering,
  args: PageArgs,
  cursors: CursorCodec,
  filter?: unknown,
): Promise<Page<E>> {
  pageQuery(qb, alias, ordering, args, cursors, filter);
  const rows = await pageRows(qb, alias);
  return pageOf(rows, qb, ordering, args, cursors, filter);
}

/** Narrows `qb` to one page, one row more than asked for (which tells whether there is a next page): `pageOf` makes the page of the rows it reads. */
export function pageQuery<E extends ObjectLiteral>(qb: SelectQueryBuilder<E>, alias: string, ordering: Ordering, args: PageArgs, cursors: CursorCodec, filter?: unknown): void {
  const column = `${alias}.${ordering.property}`;
  const list = cursorList(qb.expressionMap.mainAlias!.metadata.tableName, filter);
  if (args.after) {
    const cursor = cursors.open(args.after, list, ordering);
    const op = ordering.direction === 'DESC' ? '<' : '>';
    const cast = ordering.kind === 'timestamp' ? '::timestamptz' : '';
    qb.andWhere(`(${column}, ${alias}.id) ${op} (:cursorValue${cast}, :cursorId::uuid)`, {
      cursorValue: cursor.v,
      cursorId: cursor.i,
    });
  }
  qb.orderBy(column, ordering.direction).addOrderBy(`${alias}.id`, ordering.direction).limit(args.first + 1);
}

/** The page of the rows a `pageQuery` read, in its order. */
export function pageOf<E extends ObjectLiteral>(rows: E[], qb: SelectQueryBuilder<E>, ordering: Ordering, args: PageArgs, cursors: CursorCodec, filter?: unknown): Page<E> {
  const hasNextPage = rows.length > args.first;
  const nodes = hasNextPage ? rows.slice(0, args.first) : rows;
  return toPage(nodes, ordering, hasNextPage, Boolean(args.after), cursors, cursorList(qb.expressionMap.mainAlias!.metadata.tableName, filter));
}

export function toPage<E extends ObjectLiteral>(
  nodes: E[],
  ordering: Ordering,
  hasNextPage: boolean,
  hasPreviousPage: boolean,
  cursors: CursorCodec,
  list: string,
): Page<E> {
  // One cursor per row, whoever asks for it (an edge and endCursor name the same row alike).
  const sealed = new Map<E, string>();
  const cursorOf = (node: E) => {
    let cursor = sealed.get(node);
    if (cursor === undefined) sealed.set(node, (cursor = cursors.seal(list, ordering, node[ordering.property], node.id)));
    return cursor;
  };
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  let edges: Page<E>['edges'] | undefined;
  let pageInfo: PageInfo | undefined;
  // Cursors are sealed only when the query asks for them (most ask for nodes alone).
  return {
    get edges() {
      return (edges ??= nodes.map((node) => ({ cursor: cursorOf(node), node })));
    },
    nodes,
    get pageInfo() {
      return (pageInfo ??= {
        hasNextPage,
        hasPreviousPage,
        get startCursor() {
          return first ? cursorOf(first) : null;
        },
        get endCursor() {
          return last ? cursorOf(last) : null;
        },
      });
    },
  };
}
