/**
 * Compiled reads: an operation over the order aggregate (orders, their items, shipments,
 * payments, shipping address and customs data, a shipment's scans, the order's customer) or over
 * a customer (addresses, consent grants, privacy requests and their changes of status, legal
 * holds, pages of orders and of after-sales cases with their messages, records and customer, an order's
 * cases and a case's or a hold's order), with the partners and policy versions these link to, or a
 * consent grant, a privacy request (the queue, or one by id), partners, policy versions, legal
 * holds, a partner's webhook endpoints and deliveries, or page views, runs as ONE SQL statement per root
 * field, instead of graphql-js resolving every field of every row in Node. The statement returns
 * a root row's own fields, its embedded objects and its to-one relations (each related row
 * joined once) as plain columns that Node assembles into the object, and its lists and pages as
 * JSON that PostgreSQL builds (see `renderRow` for why). Connections, at the root and nested, take their page arguments
 * (`first`, `after`, `orderBy`, and a root list's `filter` as its resolver applies it: a member
 * the caller may not send, or an invalid one, is left to graphql-js to refuse) and answer `nodes`,
 * `pageInfo` and `edges` with cursors (sealed in Node from each row's sort value and id, as
 * pagination.ts seals them; a nested page's positions come out of PostgreSQL in its JSON). With
 * the field rules on, a plan also answers what the caller's view masks (masked in one pass over
 * the result) and denies (see the field policy below). Everything else, and everything this
 * module is not sure about, runs on graphql-js as before: `planFor` answers `undefined`, or
 * `run` does, and the caller falls back.
 *
 * What stays the same, by construction:
 * - Row scope: every table a statement reads carries the caller's `RowScope` condition, the same
 *   SQL the loaders add (a nested order outside the scope is `null`, a child outside it is left
 *   out of its list), so a hidden row still cannot be told from a missing one. A table reached
 *   from an in-scope row over a link the scope carries over (`RowScope.carriesOver`: a carrier's
 *   shipment to its order, an order to its items) needs no condition of its own and gets none;
 *   test/policy/scope-links.test.ts checks each such link against the rules.
 * - The field policy: without the field rules a plan runs only where the router has decided the
 *   operation needs none (every field it selects is visible, unmasked, to the caller: see
 *   `needsFieldRules`), or where protections are off. With them, the view's decisions for the
 *   plan's coordinates are worked out once per plan and view (`decidePlan`), counting only
 *   places graphql-js reaches (nothing below a denied field): a masked field is masked as
 *   policy/masking.ts masks it; a denied one is `null` in the statement's JSON or in Node and
 *   raises, at each place it is selected in the response, the FORBIDDEN error the shield rule
 *   raises (same message, code, locations and path), its coordinate recorded as denied. A field
 *   this module cannot read is compiled as a cell that is only ever denied: the plan answers
 *   the views that deny it. Where graphql-js would null more than the field (a denied field that
 *   may not be null, beside another root field), the plan leaves the operation to graphql-js.
 *   Lists are ordered as the resolvers order them, including the fall-back to id order when the
 *   caller may not see the sort field.
 * - Serialization: each column is turned into JSON (or a plain column) exactly as the GraphQL
 *   scalar would write it (DateTimeISO with milliseconds in UTC, Decimal as text, enums by
 *   GraphQL name: in SQL inside JSON, in Node for plain columns). Only (scalar, column type)
 *   pairs known to agree are compiled; any other field falls back.
 * - The audit record: every relation compiled here stays inside one order or one customer's
 *   rows (an order's or a case's customer is that row's customer; a case's order is its
 *   customer's, as the database holds it; an order hold's order is the hold's subject), or reaches a reference row
 *   about no customer (a partner, a policy version, a webhook endpoint), so all objects a root
 *   row brings belong to that row's customer (a webhook delivery's is the customer of the shipment
 *   or payment verification it notified of; page views and the reference rows have none); the
 *   statement returns it with each root row
 *   and it is recorded as the request's subject, as the resolvers' recorder would have (with
 *   the field rules, as they record it: when a field of the row that is not structure is
 *   allowed, `recordsSubject`).
 *   The coordinates the response carries a value at come from the same statement (`Part`): a
 *   root row's own cells are read as Node assembles them, and each list or page PostgreSQL builds
 *   comes with the bits of the personal-data coordinates that carry a value in it, so the audit
 *   never parses the JSON text to find them (audit-plugin.ts).
 * - The JSON travels once: a statement's JSON columns (a root row's lists and pages) are sent
 *   as text, which pg leaves unparsed. Over HTTP each stays that text (json-text.ts) inside the object Node assembles and
 *   goes into the body as it is, unless a mask applies inside it, it holds cursors to seal or a
 *   value its resolver makes in Node of a column (an item's attributes, a request's result and
 *   what the caller may do to it, an attachment's download link: `finishValues`) (those are parsed, finished in Node and written by JSON.stringify; the others
 *   keep their text); in process it is parsed, so objects are what graphql-js would have returned.
 *
 * Rendered once: a root field's statement text, and the functions that assemble its rows' objects,
 * are kept as a template per everything the text depends on (`Templates`): the view's decisions,
 * whether the run reports what it carries, the scope's shape (its conditions' text), the
 * arguments' shape (page sizes, orderings, a cursor there or not, the filter members sent). A
 * request is asked those questions, gets the template its answers lead to, and binds its own
 * values (scope subject, ids, cursor positions, filter values, the clock) as the statement's
 * parameters.
 *
 * test/e2e/compiled-reads.test.ts and compiled-reads-generated.test.ts run operations (written,
 * and generated from the whole schema) through both paths, for every kind of caller, and
 * require equal responses, errors in the same order, equal audit events and fewer statements.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isNonNullType,
  isListType,
  isObjectType,
  isScalarType,
  Kind,
  locatedError,
  type GraphQLError,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { deniedMessage } from '../enforcement/field-rules';
import { forbidden } from '../platform/errors';
import { getMetadataStorage } from 'type-graphql';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { validateSync } from 'class-validator';
import type { RequestContext } from '../context';
import { argumentCheck, type ArgumentCheck } from '../enforcement/argument-rules';
import { CHILD_ORDER, LATEST_PREFERENCES, ROOT_LISTS, TABLES, visibleOrderKeys, type ChildOrder } from '../domains/loaders';
import { OPEN_STATUSES, type PrivacyRequestStatus, type PrivacyRequestType } from '../domains/privacy-requests/privacy-request.entity';
import { actionsOn, statesWithActions } from '../domains/privacy-requests/privacy-rights';
import { canonicalJson } from '../platform/canonical-json';
import { fragmentsOf } from '../platform/documents';
import { BehaviorEventOrder, CaseOrder, CustomerOrder, OrderOrder, PartnerOrder, PaymentOrder, PreferenceHistoryOrder, PrivacyRequestOrder, ShipmentOrder, WebhookDeliveryOrder } from '../platform/orderings';
import { cursorList, MAX_PAGE_SIZE, type Ordering } from '../platform/pagination';
import { BoundedCache } from '../platform/bounded-cache';
import { readRowArrays, rowReader, toPositional, type RowReader } from '../platform/row-reader';
import { carryingJsonText, JsonText } from './json-text';
import { objectShape, type Value } from './object-shapes';
import { classify, isPersonalData, STRUCTURE, type MaskKind } from '../policy/classification';
import { applyMask } from '../policy/masking';
import type { PolicyView } from '../policy/policy-view';
import type { ScopeLink } from '../policy/row-scope';
import type { ScopedTable } from '../policy/tables';

/** json_build_object takes at most 100 arguments: 50 keys. */
const MAX_KEYS_PER_OBJECT = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The orderings a list offers (platform/orderings.ts). */
type Orderings = Pick<typeof OrderOrder, 'pick' | 'coordinate'>;

/** How one GraphQL field of a compiled type is read. */
type FieldSource =
  /**
   * A scalar or enum column: `sql` its JSON value (inside objects built in PostgreSQL), `plain`
   * the same value as a plain column of a root row, `decode` what Node makes of that column.
   */
  | {
      kind: 'column';
      sql: (alias: string, r: Render) => string;
      plain: (alias: string, r: Render) => string;
      decode?: (value: unknown) => unknown;
      /** SQL true when the value is not null (a list: has an item that is not null); none when the stored value never is (test/schema-migrations.test.ts holds the entity to the table). */
      present?: (alias: string, r: Render) => string;
      /**
       * What Node makes of the value the column holds (a JSON document, an id), wherever it is
       * read: inside lists too (see `finishValues`); a promise is awaited before the response is
       * built further. `present` then tells when what it makes is not null.
       */
      finish?: Finish;
    }
  /**
   * A list of objects made in Node of a JSON object column's entries (an item's attributes, as
   * its resolver makes them): each entry an object of `typeName` with `name`, and `value` as text.
   * `present`: SQL true when the column has an entry (the list an item).
   */
  | { kind: 'entries'; sql: (alias: string) => string; present: (alias: string) => string; typeName: string }
  /** A to-one relation: the target row whose id is in the parent's (quoted) `foreignKey` column. */
  | { kind: 'one'; target: TableType; foreignKey: string; link?: ScopeLink }
  /**
   * A to-many relation: target rows whose (quoted) `foreignKey` column holds the parent's id, in
   * the (quoted) columns of `order` the caller's view shows, then its tie (loaders' childOrderFor).
   */
  | { kind: 'many'; target: TableType; foreignKey: string; order: ChildOrder; columns: ReadonlyArray<readonly [string, 'ASC' | 'DESC']>; tie: string; link?: ScopeLink }
  /**
   * The latest target row per (quoted) `partition` column, by its (quoted) `latest` column and
   * then id, of those whose (quoted) `foreignKey` column holds the parent's id; listed by
   * partition, as the loaders' latestChildrenLoader reads them.
   */
  | { kind: 'latest'; target: TableType; foreignKey: string; partition: string; latest: string }
  /**
   * A connection (page arguments, ordering, pageInfo): a page of target rows whose (quoted)
   * `foreignKey` column holds the parent's id, as the loaders' childPageLoader reads it.
   */
  | { kind: 'page'; target: TableType; foreignKey: string; orderings: Orderings }
  /** An object made of the parent row's own columns (a shipping snapshot). */
  | { kind: 'embedded'; target: ObjectShape };

/** What Node makes of a column's value for the request (`finishValues`): the value, or a promise of it. */
type Finish = (value: unknown, ctx: RequestContext) => unknown;

/**
 * Where JSON.parse's IEEE doubles end, exactly (round to nearest, ties to even): a magnitude up to
 * 2^-1075 reads as 0, one from 2^1024 - 2^970 on as Infinity.
 */
const DOUBLE_ZERO_UP_TO = `0.${(5n ** 1075n).toString().padStart(1075, '0')}`;
const DOUBLE_INFINITY_FROM = (2n ** 1024n - 2n ** 970n).toString();
/** Whether no number in the JSON document `sql` reads as Infinity in Node. */
const noInfinity = (sql: string) => `NOT jsonb_path_exists(${sql}, 'strict $.** ? (@.type() == "number" && @.abs() >= ${DOUBLE_INFINITY_FROM})')`;

interface ObjectShape {
  typeName: string;
  fields: Map<string, FieldSource>;
}

interface TableType extends ObjectShape {
  table: ScopedTable;
  reader: RowReader<ObjectLiteral>;
  /** SQL for the customer id of a row (aliased `alias`): the data subject of all it brings. */
  subject(alias: string): string;
  /**
   * When the subject is the customer of the row's order: the (quoted) column holding the order's
   * id. A root row then joins its order once, for the subject and for an `order` selected
   * without a scope condition of its own.
   */
  subjectViaOrder?: string;
}

/**
 * How one member of a root list's `filter` narrows its rows, as the list's resolver applies it
 * (platform/filters.ts): `in` a non-empty list, `equals` a value, `id` equals a UUID, `from`
 * (at or after) and `to` (before) a time, on the entity's `property`.
 */
type FilterMember =
  | { property: string; kind: 'in' | 'equals' | 'id' | 'from' | 'to' }
  /** Any other condition on the row at `alias`: its SQL for the member's `value`, or undefined when the value is invalid. */
  | { kind: 'condition'; sql: (alias: string, value: unknown, r: Render) => string | undefined };

/** A root list's `filter`: its members, and the input class type-graphql validates it as. */
interface FilterSpec {
  members: Readonly<Record<string, FilterMember>>;
  input: Function;
}

type RootSource =
  | { kind: 'list'; type: TableType; orderings: Orderings; filter: FilterSpec; check: ArgumentCheck }
  | { kind: 'byId'; type: TableType }
  /**
   * A plain list (no page): the rows in `orderBy`, at most `limit`, narrowed by `where` (the
   * conditions its coerced arguments add, as its resolver adds them), as its resolver reads them.
   */
  | { kind: 'rows'; type: TableType; orderBy: ReadonlyArray<readonly [string, 'ASC' | 'DESC']>; limit?: number; where?: (args: Record<string, unknown>, alias: string) => string; check: ArgumentCheck };

/** One root field of a compiled operation. */
interface RootStep {
  responseKey: string;
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  source: RootSource;
  /** For lists: the connection's own keys in response order (`nodes`, `__typename`, `pageInfo`). */
  connectionKeys: Array<{ key: string; typename?: string; pageInfo?: Array<{ key: string; name: string }>; edges?: Array<{ key: string; name: string; typename?: string }> }>;
  /** Renders the object of the type at alias `alias`; `next` hands out fresh aliases. */
  object: Selection;
  /** The root field's coordinate (a denial answers null and FORBIDDEN in its place, where it is nullable). */
  coordinate?: string;
}

/**
 * How a key of a root row's object is read when the object is assembled in Node from plain
 * columns (see `renderRow`): a column, a constant `__typename`, an object (the row's own columns,
 * or a to-one relation's row joined once), or a JSON value PostgreSQL builds (lists, pages).
 */
type Cell =
  /**
   * `finished`: its value is finished in Node (`finishValues`) after the object is assembled, so
   * whether it carries one is read from the statement (its key's `Part`), not off the stored value.
   */
  | { kind: 'column'; plain: (alias: string, r: Render) => string; decode?: (value: unknown) => unknown; finished?: boolean }
  | { kind: 'typename'; name: string }
  | { kind: 'embedded'; selection: Selection }
  | { kind: 'one'; selection: Selection; target: TableType; foreignKey: string; link?: ScopeLink }
  /**
   * A list or page PostgreSQL builds; `selection` its items' (a page's nodes'), to tell whether
   * masks apply below it; `finishes` whether values below it are finished in Node; `list` its SQL.
   */
  | { kind: 'json'; selection?: Selection; seals: boolean; finishes: boolean; list: (alias: string, r: Render) => Built }
  /** A field this module cannot read: the plan is used only where the caller's view denies it (its cell is then null). */
  | { kind: 'deniedOnly' };

/**
 * What the response carries, as PostgreSQL reports it with the data (`Render.carried`): the
 * audit event lists the personal-data coordinates that carry a value in the response
 * (audit-plugin.ts), which graphql-js's path reads off the response (response-coordinates.ts:
 * not null; for a list, an item not null). A compiled read learns them from its statement
 * instead of parsing the JSON PostgreSQL built: each such coordinate of a plan has a bit, and
 * each object PostgreSQL builds comes with the bits of the coordinates that carry a value in it
 * or below it (a column its table never leaves null, an embedded object or a page, whenever the
 * object is there; any other, when its value is not null or, for a list, when it has an item
 * that is not null; test/e2e/compiled-reads-generated.test.ts holds it to the walk), ORed over a list's
 * items, and sent before the list's JSON text in the root row's column. Node reads a root row's
 * own cells as it assembles the object.
 *
 * Bits travel in int8 words of 63 (bit i in word i / 63), each word its own column or number.
 *
 * `Part`: one key's SQL inside an object PostgreSQL builds: its `value`, the `bits` it carries
 * whenever its object is there, the SQL `terms` of those that depend on the row (each in one
 * word), and the lateral joins (`from`, on the object's row) those read.
 */
interface Part {
  value: string;
  bits: bigint;
  terms: Term[];
  from: string;
}

/** One SQL term (int8) of a word of bits. */
interface Term {
  word: number;
  sql: string;
}

/** The SQL of each word of bits that carries any, by word. */
type Words = Map<number, string>;

const WORD_BITS = 63n;
const WORD_MASK = (1n << WORD_BITS) - 1n;

const plainPart = (value: string): Part => ({ value, bits: 0n, terms: [], from: '' });

/** The word `bit` is in, and its value there as SQL. */
function wordOf(bit: bigint): { word: number; value: string } {
  let word = 0;
  let inWord = bit;
  for (; inWord > WORD_MASK; word++) inWord >>= WORD_BITS;
  return { word, value: `${inWord}` };
}

/** The words of a part's bits (and `own`). */
function wordsOf(part: Pick<Part, 'bits' | 'terms'>, own = 0n): Words {
  const words = new Map<number, string[]>();
  const add = (word: number, sql: string) => {
    const terms = words.get(word);
    if (terms) terms.push(sql);
    else words.set(word, [sql]);
  };
  for (const t of part.terms) add(t.word, t.sql);
  let bits = part.bits | own;
  for (let word = 0; bits > 0n; word++, bits >>= WORD_BITS) if ((bits & WORD_MASK) !== 0n) add(word, `${bits & WORD_MASK}`);
  return new Map([...words].map(([word, terms]) => [word, terms.join(' | ')]));
}

/** Each word's SQL made `make(sql)` (an aggregate over a list's items). */
const eachWord = (words: Words, make: (sql: string) => string): Words => new Map([...words].map(([word, sql]) => [word, make(sql)]));

/**
 * A list or page PostgreSQL builds, as `SELECT json tail`: with `bits`, when the run tracks what
 * the response carries, the SQL of the words of bits its items carry (their ORed parts, the
 * list's own bit with them when it has an item).
 */
interface Built {
  json: string;
  tail: string;
  bits?: Words;
}

/** A list or page inside an object PostgreSQL builds: a scalar subquery, or, to give its bits too, a lateral join on the object's row. */
function nestedList(built: Built, r: Render): Part {
  if (built.bits === undefined || built.bits.size === 0) return plainPart(`(SELECT ${built.json} ${built.tail})`);
  const n = r.next();
  const words = [...built.bits];
  return {
    value: `${n}.j`,
    bits: 0n,
    terms: words.map(([word]) => ({ word, sql: `${n}.m${word}` })),
    from: ` CROSS JOIN LATERAL (SELECT ${built.json} AS j${words.map(([word, sql]) => `, ${sql} AS m${word}`).join('')} ${built.tail}) ${n}`,
  };
}

/** A compiled selection on an object: its response keys, in order, each with its SQL (as JSON) and its cell (as plain columns). */
interface Selection {
  /** Whether a coordinate selected in it or below it has a bit (`Part`). */
  tracks: boolean;
  keys: Array<{
    key: string;
    sql: (alias: string, r: Render) => Part;
    cell: Cell;
    /** The field's coordinate, unless it is structure (shown wherever its parent is, never denied). */
    coordinate?: string;
    /** The coordinate's bit, for a personal-data coordinate (`Part`). */
    bit?: bigint;
    /** The field node, where a denial's error points; and the field, when it takes arguments graphql-js coerces before it denies. */
    node?: FieldNode;
    field?: GraphQLField<unknown, unknown>;
  }>;
  /** Its fields that can be masked (classification.ts), masked in one pass over the result when the caller's view masks them. */
  masks: Array<{ key: string; coordinate: string; mask: MaskKind }>;
  /**
   * Its fields finished in Node (`finishValues`), unless denied: the JSON lists holding them are
   * parsed. `node`: where a failure's error points; `nullable`: whether a failure nulls the field
   * alone (else the request fails).
   */
  finishes?: Array<{ key: string; coordinate?: string; finish: Finish; node: FieldNode; nullable: boolean }>;
  /** The objects below it, by response key: a relation's object or list, or a connection's `nodes` (under `nodes`). */
  below: Array<{ key: string; selection: Selection; page?: PageShape }>;
}

/**
 * Every coordinate an operation selects, apart from structure shown wherever its parent is (ids,
 * page scaffolding), each with the fields above it: graphql-js never reaches a field below one
 * the caller's view denies, so neither its decision nor its mask applies there.
 */
class Coordinates {
  /** Coordinate -> the chains of coordinates above each place it is selected at. */
  readonly places = new Map<string, string[][]>();
  /** Coordinates selected as a key of an object that may be null: a denial there is answered as graphql-js does (null and FORBIDDEN). */
  readonly deniable = new Set<string>();
  /** Coordinates this module cannot read: the plan answers only a view that denies them. */
  readonly deniedOnly = new Set<string>();
  /** Root fields that may not be null: a denial there nulls the whole `data`. */
  readonly nonNullRoots = new Set<string>();
  /** The bit of each personal-data coordinate (`Part`), in bit order. */
  readonly tracked: string[] = [];
  /** Whether the plan cannot report what the response carries (a root field is personal data): the audit walks the response. */
  untracked = false;
  private readonly above: string[] = [];

  /** The bit of a personal-data coordinate, undefined for any other. */
  bitOf(coordinate: string | undefined): bigint | undefined {
    const i = coordinate === undefined ? -1 : this.tracked.indexOf(coordinate);
    return i < 0 ? undefined : 1n << BigInt(i);
  }

  add(coordinate: string): void {
    const dot = coordinate.indexOf('.');
    if (!this.places.has(coordinate) && isPersonalData(classify(coordinate.slice(0, dot), coordinate.slice(dot + 1)))) {
      this.tracked.push(coordinate);
    }
    const places = this.places.get(coordinate) ?? [];
    places.push([...this.above]);
    this.places.set(coordinate, places);
  }

  /** Runs `compile` for what is selected below `coordinate` (structure passes through: undefined). */
  below<T>(coordinate: string | undefined, compile: () => T): T {
    if (coordinate === undefined) return compile();
    this.above.push(coordinate);
    try {
      return compile();
    } finally {
      this.above.pop();
    }
  }
}

/**
 * What one request brings to a statement's template (`Templates`): whatever the text depends on
 * is asked of it (`Render.ask`), its values are bound from it (`Render.param`). A template keeps
 * the questions, never their answers' sources: a value is only ever read from the request at hand.
 */
interface Request {
  ctx: RequestContext;
  /** The field's coerced arguments; throws NeedsGraphqlJs when graphql-js must report them. */
  args(field: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown>;
  /** The position an `after` cursor of the field opens to, for its list and ordering; throws NeedsGraphqlJs when it does not open. */
  position(field: GraphQLField<unknown, unknown>, node: FieldNode, list: ScopedTable, ordering: Ordering): { v: unknown; i: unknown };
  /** Coordinates the caller's view denies, and those masked in Node for this request. */
  denied: ReadonlySet<string>;
  masked: ReadonlySet<string>;
  /** Whether the run reports what the response carries (`Part`). */
  carries: boolean;
}

/**
 * What rendering one statement needs: fresh aliases, row-scope SQL, and the request, only through
 * `ask` (what the text depends on) and `param` (the values it binds).
 */
interface Render {
  next(): string;
  scope: ScopeSql;
  /**
   * The answer to `question` for this request: the statement's template is kept per answer, so
   * every request that gives the same answers gets the same text. `question` reads the request
   * only from its argument (it is asked again of later requests); it may throw NeedsGraphqlJs.
   */
  ask<T>(question: (q: Request) => T): T;
  /** Adds a parameter, `value` of each request; returns its placeholder. */
  param(value: (q: Request) => unknown, cast: string): string;
  /** Coordinates the caller's view denies: their cells are null (`deniedCell`). */
  denied: ReadonlySet<string>;
  /** Coordinates masked in Node for this request: a list holding one is parsed, not left as text. */
  masked: ReadonlySet<string>;
  /** The list and ordering each page answering cursors is sealed for, as its SQL is rendered. */
  sealing: Map<PageShape, { list: string; ordering: Ordering }>;
  /** Whether the run reports what the response carries (`Part`): coordinates read in Node, bits sent by PostgreSQL. */
  carried: boolean;
}

/**
 * What a built root row's object reports to, per request: its JSON cells' form, and what the
 * response carries (`Part`): the bits its lists and pages report, and, by bit, whether a root
 * row's own cell carried a value (`seen`; each cell is looked at until one has).
 */
interface BuildEnv {
  json: JsonCell;
  carried: { bits: bigint; seen: Uint8Array } | undefined;
  /**
   * Per statement, by cell (`RowSql.words`): the words of bits last ORed into `carried.bits`
   * from that cell. Rows of one list report the same words, mostly: those are read once.
   */
  words: Array<string | undefined>;
}

/** A root row as pg reads it: its cells in the order the statement selects them (`readRowArrays`). */
type Row = readonly unknown[];

/** Assembles a root row's object (`renderRow`). */
type Build = (row: Row, env: BuildEnv) => Record<string, unknown>;

/** An argument graphql-js reports (an invalid page size or cursor) or an ordering it refuses: the operation runs there. */
class NeedsGraphqlJs extends Error {}

/**
 * The row-scope condition of a table as SQL with positional parameters, or '' when unrestricted
 * or when the table is reached over a `link` the scope carries over from an in-scope row.
 */
type ScopeSql = (table: ScopedTable, alias: string, link?: ScopeLink) => string;

export interface RunOptions {
  /** The caller's view decides (the field rules are on): masked fields are masked. */
  masking?: boolean;
  /**
   * The lists and pages PostgreSQL built for a root row are left as its JSON text (a `JsonText`,
   * json-text.ts), for a response body written by `stringifyResult`; values where masks apply.
   */
  jsonText?: boolean;
  /**
   * The request is audited: the plan reports what the response carries (`Part`) to its
   * disclosure recorder, so the audit event does not read it off the response.
   */
  audited?: boolean;
}

export interface ReadPlan {
  /**
   * Runs the operation: its `data`, with the request's subjects recorded, or `undefined` when an
   * argument needs graphql-js after all (an invalid page size or id: graphql-js reports it).
   */
  run(ctx: RequestContext, variables: Record<string, unknown> | undefined, options?: RunOptions): Promise<{ data: Record<string, unknown> | null; errors?: GraphQLError[] } | undefined>;
  /**
   * Why the plan leaves a run to graphql-js, with the field rules on for `view` (or, undefined,
   * without them); undefined when it answers (arguments apart).
   */
  unusableFor(view: PolicyView | undefined): string | undefined;
}

/** What a caller's view decides for the coordinates of one plan. */
interface PlanDecision {
  /**
   * The plan cannot answer for this view: a coordinate it reaches is denied where a null would
   * null its parent, or one it cannot read is not denied. graphql-js with the field rules answers.
   */
  unusable: string | undefined;
  /** Denied coordinates the plan reaches: null and FORBIDDEN at each place they are selected. */
  denied: ReadonlySet<string>;
  masked: ReadonlySet<string>;
  /** Whether each root step's subject is recorded (`recordsSubject`), by step. */
  records: ReadonlyArray<boolean | undefined>;
}

/** What `view` decides for a plan's coordinates; only places graphql-js would reach count (nothing below a denied field). */
function decidePlan(coordinates: Coordinates, view: PolicyView, steps: readonly RootStep[]): PlanDecision {
  const roots = steps.length;
  const decisions = new Map<string, string>();
  const decide = (coordinate: string) => {
    let decision = decisions.get(coordinate);
    if (decision === undefined) {
      const dot = coordinate.indexOf('.');
      decisions.set(coordinate, (decision = view.decide(coordinate.slice(0, dot), coordinate.slice(dot + 1))));
    }
    return decision;
  };
  const masked = new Set<string>();
  const denied = new Set<string>();
  let unusable: string | undefined;
  for (const [coordinate, places] of coordinates.places) {
    if (!places.some((above) => above.every((c) => decide(c) !== 'denied'))) continue;
    const decision = decide(coordinate);
    if (decision === 'denied') {
      denied.add(coordinate);
      // A sole root field that may not be null nulls `data` when denied; beside others, which of
      // their errors graphql-js still lists depends on timing.
      const nullsData = coordinates.nonNullRoots.has(coordinate) && roots === 1;
      if (!coordinates.deniable.has(coordinate) && !nullsData) unusable ??= `${coordinate} denied where its null would null its parent`;
    } else {
      if (decision === 'masked') masked.add(coordinate);
      if (coordinates.deniedOnly.has(coordinate)) unusable ??= `${coordinate} not compiled, and not denied`;
    }
  }
  return { unusable, denied, masked, records: steps.map((step) => recordsSubject(step.object, denied)) };
}

/** Nothing denied, nothing masked: the decision of a run without the field rules. */
const NOTHING: ReadonlySet<string> = new Set();

/** Views whose decisions a plan remembers. */
const DECISIONS_PER_PLAN = 100;

const DATE_TIME_ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** GraphQL scalar -> column types whose JSON is exactly what the scalar serializes. */
const SCALAR_COLUMNS: Record<string, { types: ReadonlySet<string>; sql: (column: string) => string }> = {
  ID: { types: new Set(['uuid']), sql: (c) => c },
  String: { types: new Set(['uuid', 'varchar', 'character varying', 'text', 'char', 'character']), sql: (c) => c },
  Int: { types: new Set(['smallint', 'int2', 'integer', 'int', 'int4']), sql: (c) => c },
  Boolean: { types: new Set(['boolean', 'bool']), sql: (c) => c },
  DateTimeISO: { types: new Set(['timestamptz', 'timestamp with time zone']), sql: DATE_TIME_ISO },
  Decimal: { types: new Set(['numeric', 'decimal']), sql: (c) => `${c}::text` },
};

/** The fields of an object made of a JSON object's entry (`entries`). */
const ENTRY_FIELDS: ReadonlySet<string> = new Set(['name', 'value']);

const BIGINT: ReadonlySet<string> = new Set(['bigint', 'int8']);

const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Fields that a type-graphql @FieldResolver computes: never read straight from a column. */
function resolvedFields(): Set<string> {
  const storage = getMetadataStorage();
  const names = new Map(storage.objectTypes.map((t) => [t.target, t.name]));
  const out = new Set<string>();
  for (const r of storage.fieldResolvers) {
    const target = r.getObjectType?.() ?? r.resolverClassMetadata?.getObjectType?.();
    const typeName = target ? names.get(target as Function) : undefined;
    if (typeName) out.add(`${typeName}.${r.schemaName}`);
  }
  return out;
}

/** The GraphQL name of each value of an enum, by the value resolvers return (and a column stores). */
const enumNames = (type: GraphQLEnumType): ReadonlyMap<string, string> => new Map(type.getValues().map((v) => [String(v.value), v.name]));

/** The SQL of a scalar or enum field stored in `propertyPath`, or undefined when it cannot be compiled exactly. */
function columnSource(ds: DataSource, entity: EntityTarget<ObjectLiteral>, propertyPath: string, type: GraphQLOutputType): FieldSource | undefined {
  const column = ds.getMetadata(entity).findColumnWithPropertyPath(propertyPath);
  if (!column || column.transformer || typeof column.type !== 'string') return undefined;
  const quoted = `"${column.databaseName.replace(/"/g, '""')}"`;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const item = getNullableType(nullable.ofType);
    if (!column.isArray || !isScalarType(item) || item.name !== 'String' || !SCALAR_COLUMNS.String.types.has(column.type)) return undefined;
    const sql = (a: string) => `to_json(${a}.${quoted})`;
    // A list carries a value when one of its items is not null (response-coordinates.ts).
    return { kind: 'column', sql, plain: sql, present: (a) => `EXISTS (SELECT FROM unnest(${a}.${quoted}) e_ WHERE e_ IS NOT NULL)` };
  }
  if (column.isArray) return undefined;
  if (isEnumType(nullable)) {
    if (column.type !== 'enum') return undefined;
    const cases = nullable.getValues().map((v) => `WHEN ${quoteLiteral(String(v.value))} THEN ${quoteLiteral(v.name)}`).join(' ');
    // As a plain column the stored value is sent as it is and named in Node.
    const names = enumNames(nullable);
    const named = (a: string) => `CASE ${a}.${quoted}::text ${cases} END`;
    // Named whenever stored, when every value the column can hold has a name.
    const alwaysNamed = !column.isNullable && Array.isArray(column.enum) && column.enum.every((v) => names.has(String(v)));
    return {
      kind: 'column',
      sql: named,
      plain: (a) => `${a}.${quoted}`,
      ...(alwaysNamed ? {} : { present: (a: string) => `${named(a)} IS NOT NULL` }),
      decode: (value) => (value === null ? null : (names.get(value as string) ?? null)),
    };
  }
  if (!isScalarType(nullable)) return undefined;
  // A bigint is read as a string (pg's and TypeORM's) and served as a String: as text, not a JSON number.
  const mapping = nullable.name === 'String' && BIGINT.has(column.type) ? { types: BIGINT, sql: (c: string) => `${c}::text` } : SCALAR_COLUMNS[nullable.name];
  if (!mapping || !mapping.types.has(column.type)) return undefined;
  const sql = (a: string) => mapping.sql(`${a}.${quoted}`);
  return { kind: 'column', sql, plain: sql, ...(column.isNullable ? { present: (a: string) => `${a}.${quoted} IS NOT NULL` } : {}) };
}

/** The types and root fields that can be compiled, worked out once from the schema and TypeORM's metadata. */
class Catalog {
  readonly roots = new Map<string, RootSource>();
  /** The order type: a root row whose subject is its order's customer joins it (`subjectViaOrder`). */
  readonly order: TableType;

  constructor(schema: GraphQLSchema, ds: DataSource) {
    const resolved = resolvedFields();
    const root = schema.getQueryType();
    if (!root) throw new Error('read plans: the schema has no Query type');
    const objectType = (name: string) => {
      const type = schema.getType(name);
      if (!isObjectType(type)) throw new Error(`read plans: ${name} is not an object type of the schema`);
      return type;
    };
    /** Scalar fields of `typeName` read from the entity's columns (under `prefix` for an embedded object). */
    const scalarFields = (typeName: string, entity: EntityTarget<ObjectLiteral>, prefix?: string) => {
      const fields = new Map<string, FieldSource>();
      for (const field of Object.values(objectType(typeName).getFields())) {
        if (resolved.has(`${typeName}.${field.name}`) || field.args.length > 0) continue;
        if (isObjectType(getNamedType(field.type))) continue;
        const source = columnSource(ds, entity, prefix ? `${prefix}.${field.name}` : field.name, field.type);
        if (source) fields.set(field.name, source);
      }
      return fields;
    };
    const viaOrder = (a: string) => `(SELECT o_s."customer_id" FROM "order" o_s WHERE o_s."id" = ${a}."order_id")`;
    const tableType = (typeName: string, ref: { entity: EntityTarget<ObjectLiteral>; table: ScopedTable }, subject: (a: string) => string): TableType => ({
      typeName,
      table: ref.table,
      reader: rowReader(ds, ref.entity),
      subject,
      fields: scalarFields(typeName, ref.entity),
      ...(subject === viaOrder ? { subjectViaOrder: '"order_id"' } : {}),
    });
    const order = tableType('Order', TABLES.order, (a) => `${a}."customer_id"`);
    const item = tableType('OrderItem', TABLES.orderItem, viaOrder);
    const shipment = tableType('Shipment', TABLES.shipment, viaOrder);
    const payment = tableType('PaymentVerification', TABLES.payment, viaOrder);
    this.order = order;

    // Relations inside one order only (see the module comment on subjects).
    order.fields.set('shippingAddress', { kind: 'embedded', target: { typeName: 'ShippingAddress', fields: scalarFields('ShippingAddress', TABLES.order.entity, 'shipping') } });
    order.fields.set('customs', { kind: 'embedded', target: { typeName: 'CustomsDeclaration', fields: scalarFields('CustomsDeclaration', TABLES.order.entity, 'customs') } });
    const many = (target: TableType, foreignKey: string, order: ChildOrder, link?: ScopeLink): FieldSource => ({
      kind: 'many',
      target,
      link,
      foreignKey: target.reader.column(foreignKey),
      order,
      columns: order.by.map(([property, direction]) => [target.reader.column(property), direction] as const),
      tie: target.reader.column(order.tie),
    });
    order.fields.set('items', many(item, 'orderId', CHILD_ORDER.itemsByOrder, 'order>order_item'));
    // An item's attributes: its specification's entries, as its resolver lists them (in Node).
    const specification = item.reader.column('specification');
    // Object.entries lists a JSON object's keys, an array's items, a string's characters; of anything else, none.
    const hasEntries = (a: string) =>
      `CASE jsonb_typeof(${a}.${specification}) WHEN 'object' THEN ${a}.${specification} <> '{}'::jsonb WHEN 'array' THEN ${a}.${specification} <> '[]'::jsonb WHEN 'string' THEN ${a}.${specification} <> '""'::jsonb ELSE false END`;
    item.fields.set('attributes', { kind: 'entries', sql: (a) => `${a}.${specification}`, present: hasEntries, typeName: 'ItemAttribute' });
    order.fields.set('shipments', many(shipment, 'orderId', CHILD_ORDER.shipmentsByOrder, 'order>shipment'));
    order.fields.set('paymentVerifications', many(payment, 'orderId', CHILD_ORDER.paymentsByOrder, 'order>payment_verification'));
    // A shipment's scans: each carries its own scope condition (no link carries scope to them).
    const viaShipment = (a: string) => `(SELECT o_s."customer_id" FROM "shipment" s_s JOIN "order" o_s ON o_s."id" = s_s."order_id" WHERE s_s."id" = ${a}."shipment_id")`;
    const event = tableType('ShipmentEvent', TABLES.shipmentEvent, viaShipment);
    shipment.fields.set('events', many(event, 'shipmentId', CHILD_ORDER.eventsByShipment));
    shipment.fields.set('order', { kind: 'one', target: order, foreignKey: shipment.reader.column('orderId'), link: 'shipment>order' });
    payment.fields.set('order', { kind: 'one', target: order, foreignKey: payment.reader.column('orderId'), link: 'payment_verification>order' });
    // Reference rows about no customer (policy/tables.ts declares them no subject): a partner and
    // a policy version add none, so they may be joined from any row. Never a root here, they have
    // no subject column. Each carries its own scope condition, as the loaders' byIdLoader adds it.
    const reference = (typeName: string, ref: { entity: EntityTarget<ObjectLiteral>; table: ScopedTable }) => tableType(typeName, ref, () => 'NULL::uuid');
    const partner = reference('Partner', TABLES.partner);
    const policyVersion = reference('PolicyVersion', TABLES.policyVersion);
    const one = (from: TableType, target: TableType, foreignKey: string): FieldSource => ({ kind: 'one', target, foreignKey: from.reader.column(foreignKey) });
    order.fields.set('platformPartner', one(order, partner, 'platformPartnerId'));
    order.fields.set('policyVersion', one(order, policyVersion, 'policyVersionId'));
    shipment.fields.set('carrier', one(shipment, partner, 'logisticsPartnerId'));
    payment.fields.set('provider', one(payment, partner, 'providerId'));

    // A customer and what is theirs: every row below is the customer's (a case's messages and
    // records are its customer's), so the customer is the subject of all a root row brings. A
    // case's order is its customer's (the database holds it so: migration CaseOrderOfCustomer),
    // so a case's order and an order's cases stay inside one customer's rows too.
    const customer = tableType('Customer', TABLES.customer, (a) => `${a}."id"`);
    const address = tableType('Address', TABLES.address, (a) => `${a}."customer_id"`);
    const afterSalesCase = tableType('AfterSalesCase', TABLES.afterSalesCase, (a) => `${a}."customer_id"`);
    const viaCase = (a: string) => `(SELECT k_s."customer_id" FROM "after_sales_case" k_s WHERE k_s."id" = ${a}."case_id")`;
    const message = tableType('CaseMessage', TABLES.caseMessage, viaCase);
    const record = tableType('CaseRecord', TABLES.caseRecord, viaCase);
    const page = (target: TableType, foreignKey: string, orderings: Orderings): FieldSource => ({ kind: 'page', target, foreignKey: target.reader.column(foreignKey), orderings });
    customer.fields.set('addresses', many(address, 'customerId', CHILD_ORDER.addressesByCustomer));
    customer.fields.set('orders', page(order, 'customerId', OrderOrder));
    customer.fields.set('afterSalesCases', page(afterSalesCase, 'customerId', CaseOrder));
    afterSalesCase.fields.set('messages', many(message, 'caseId', CHILD_ORDER.messagesByCase));
    afterSalesCase.fields.set('records', many(record, 'caseId', CHILD_ORDER.recordsByCase));
    // Each carries its own scope condition (no link carries scope between an order and its cases), as the loaders add it.
    afterSalesCase.fields.set('order', one(afterSalesCase, order, 'orderId'));
    order.fields.set('afterSalesCases', many(afterSalesCase, 'orderId', CHILD_ORDER.casesByOrder));
    // An order's or a case's customer is the subject of the row it is reached from; no link
    // carries the scope to a customer, so it carries its own condition (as the customer loader).
    order.fields.set('customer', one(order, customer, 'customerId'));
    afterSalesCase.fields.set('customer', one(afterSalesCase, customer, 'customerId'));
    // A customer's consent grants (each the customer's, with its own scope condition: a third
    // party sees the one it acts under), the partner each authorizes and the customer who gave it.
    const consentGrant = tableType('ConsentGrant', TABLES.consentGrant, (a) => `${a}."customer_id"`);
    consentGrant.fields.set('grantee', one(consentGrant, partner, 'granteePartnerId'));
    consentGrant.fields.set('customer', one(consentGrant, customer, 'customerId'));
    customer.fields.set('consentGrants', many(consentGrant, 'customerId', CHILD_ORDER.consentGrantsByCustomer));
    // A customer's privacy requests (with their changes of status) and legal holds, all theirs.
    // A hold is on a customer or on an order (never both: the table's CHECK): an order hold's
    // subject is its order's customer, as policy/tables.ts reads it, so its order is the
    // subject's; the order carries its own scope condition.
    const privacyRequest = tableType('PrivacyRequest', TABLES.privacyRequest, (a) => `${a}."customer_id"`);
    const viaRequest = (a: string) => `(SELECT r_s."customer_id" FROM "privacy_request" r_s WHERE r_s."id" = ${a}."request_id")`;
    const transition = tableType('PrivacyRequestTransition', TABLES.privacyRequestTransition, viaRequest);
    const legalHold = tableType('LegalHold', TABLES.legalHold, (a) => `coalesce(${a}."customer_id", ${viaOrder(a)})`);
    legalHold.fields.set('order', one(legalHold, order, 'orderId'));
    privacyRequest.fields.set('customer', one(privacyRequest, customer, 'customerId'));
    privacyRequest.fields.set('transitions', many(transition, 'requestId', CHILD_ORDER.transitionsByRequest));
    legalHold.fields.set('customer', one(legalHold, customer, 'customerId'));
    customer.fields.set('privacyRequests', many(privacyRequest, 'customerId', CHILD_ORDER.privacyRequestsByCustomer));
    // A customer's cookie choices (theirs, each with its own scope condition): those in force and
    // the whole history, each under the policy version it was made under (a reference row).
    const preference = tableType('PreferenceConsent', TABLES.preferenceConsent, (a) => `${a}."customer_id"`);
    preference.fields.set('policyVersion', one(preference, policyVersion, 'policyVersionId'));
    const [partition, latest] = [preference.reader.column(LATEST_PREFERENCES.partition), preference.reader.column(LATEST_PREFERENCES.latest)];
    customer.fields.set('preferenceConsents', { kind: 'latest', target: preference, foreignKey: preference.reader.column('customerId'), partition, latest });
    customer.fields.set('preferenceHistory', page(preference, 'customerId', PreferenceHistoryOrder));
    // A case's attachments are its customer's; a link to download one is sealed per response in
    // Node, of the attachment's id, for the caller and what the read served, as its resolver
    // seals it (never null where the attachment is there).
    const attachment = tableType('CaseAttachment', TABLES.caseAttachment, viaCase);
    const attachmentId = (a: string) => `${a}."id"`;
    attachment.fields.set('downloadUrl', {
      kind: 'column',
      sql: attachmentId,
      plain: attachmentId,
      finish: (id, ctx) => ctx.attachmentLinks.issue(id as string, ctx.caller, ctx.served),
    });
    afterSalesCase.fields.set('attachments', many(attachment, 'caseId', CHILD_ORDER.attachmentsByCase));
    customer.fields.set('legalHolds', many(legalHold, 'customerId', CHILD_ORDER.legalHoldsByCustomer));

    this.roots.set('order', { kind: 'byId', type: order });
    this.roots.set('shipment', { kind: 'byId', type: shipment });
    this.roots.set('paymentVerification', { kind: 'byId', type: payment });
    this.roots.set('customer', { kind: 'byId', type: customer });
    this.roots.set('afterSalesCase', { kind: 'byId', type: afterSalesCase });
    this.roots.set('consentGrant', { kind: 'byId', type: consentGrant });
    this.roots.set('privacyRequest', { kind: 'byId', type: privacyRequest });
    // Overdue: past its due time, by the request's clock (as the resolver reads it), and still open.
    const [dueAt, status] = [privacyRequest.reader.column('dueAt'), privacyRequest.reader.column('status')];
    const overdue = (a: string, r: Render) => `(${a}.${dueAt} IS NOT NULL AND ${a}.${dueAt} < ${r.param((q) => q.ctx.rights.now(), 'timestamptz')} AND ${a}.${status} = ANY(${r.param(() => OPEN_STATUSES, '')}))`;
    privacyRequest.fields.set('overdue', { kind: 'column', sql: overdue, plain: overdue });
    // What was done, as canonical JSON (its resolver writes it so), made in Node of the document.
    const result = (a: string) => `${a}.${privacyRequest.reader.column('result')}`;
    // Its resolver makes null of a falsy document (JSON null, false, 0, "") and fails on a number
    // JSON.parse reads as no finite one: any other carries a value. Numbers as Node reads them: a
    // number too small for a double reads as 0, too large (anywhere in the document) as Infinity.
    const truthy = (a: string) =>
      `CASE jsonb_typeof(${result(a)}) WHEN 'object' THEN ${noInfinity(result(a))} WHEN 'array' THEN ${noInfinity(result(a))} WHEN 'string' THEN ${result(a)} <> '""'::jsonb
        WHEN 'number' THEN abs(${result(a)}::numeric) > ${DOUBLE_ZERO_UP_TO} AND abs(${result(a)}::numeric) < ${DOUBLE_INFINITY_FROM} WHEN 'boolean' THEN ${result(a)} = 'true'::jsonb ELSE false END`;
    privacyRequest.fields.set('result', { kind: 'column', sql: result, plain: result, present: truthy, finish: (value) => (value ? canonicalJson(value) : null) });
    // What the caller may do to the request now: the statement carries what the rule reads (the
    // request's type and status) and Node answers by the resolver's own function (privacy-rights.ts
    // `actionsOn`: the caller's policy and the rule table, never written again in SQL). For the
    // audit it carries a value where it lists an action: where the request's type and status are
    // among the states `statesWithActions` works out by that function for the caller's view, bound.
    const type = privacyRequest.reader.column('type');
    const state = (a: string) => `json_build_array(${a}.${type}, ${a}.${status})`;
    const actionType = schema.getType('PrivacyRequestAction');
    if (!isEnumType(actionType)) throw new Error('read plans: PrivacyRequestAction is not an enum type of the schema');
    const actionNames = enumNames(actionType);
    privacyRequest.fields.set('actions', {
      kind: 'column',
      sql: state,
      plain: state,
      present: (a, r) => `(${a}.${type}::text || '/' || ${a}.${status}::text) = ANY(${r.param((q) => statesWithActions(q.ctx.policy), 'text[]')})`,
      finish: (value, ctx) => {
        const [requestType, requestStatus] = value as [PrivacyRequestType, PrivacyRequestStatus];
        return actionsOn({ type: requestType, status: requestStatus }, ctx.policy).map((action) => actionNames.get(action));
      },
    });

    // Rows about no customer (policy/tables.ts declares them no subject): a partner, the policy
    // versions, a partner's webhook endpoints and page views. Their root rows record none.
    const endpoint = reference('WebhookEndpoint', TABLES.webhookEndpoint);
    const behaviorEvent = reference('BehaviorEvent', TABLES.behaviorEvent);
    // A delivery is about the customer of the shipment or payment verification it notified of
    // (its resource, as policy/tables.ts reads it); its endpoint is the partner's own, about no one.
    const delivery = tableType(
      'WebhookDelivery',
      TABLES.webhookDelivery,
      (a) =>
        `CASE WHEN ${a}."event_type"::text = 'payment_verification.changed'` +
        ` THEN (SELECT o_s."customer_id" FROM "payment_verification" p_s JOIN "order" o_s ON o_s."id" = p_s."order_id" WHERE p_s."id" = ${a}."resource_id")` +
        ` ELSE (SELECT o_s."customer_id" FROM "shipment" s_s JOIN "order" o_s ON o_s."id" = s_s."order_id" WHERE s_s."id" = ${a}."resource_id") END`,
    );
    delivery.fields.set('endpoint', one(delivery, endpoint, 'endpointId'));
    this.roots.set('partner', { kind: 'byId', type: partner });
    this.roots.set('webhookDelivery', { kind: 'byId', type: delivery });
    // Plain lists, in their resolvers' order and limit.
    // Their arguments go through the argument rule as every root's do (argument-rules.ts): a
    // member the caller may not send, its default included, is refused on graphql-js.
    const rows = (name: string, type: TableType, orderBy: ReadonlyArray<readonly [string, 'ASC' | 'DESC']>, more: { limit?: number; where?: (args: Record<string, unknown>, alias: string) => string } = {}): RootSource => ({
      kind: 'rows',
      type,
      orderBy: orderBy.map(([property, direction]) => [type.reader.column(property), direction] as const),
      check: argumentCheck('Query', root.getFields()[name]!),
      ...more,
    });
    this.roots.set('policyVersions', rows('policyVersions', policyVersion, ROOT_LISTS.policyVersions.orderBy, { limit: ROOT_LISTS.policyVersions.limit }));
    this.roots.set('webhookEndpoints', rows('webhookEndpoints', endpoint, ROOT_LISTS.webhookEndpoints.orderBy));
    const released = legalHold.reader.column('releasedAt');
    this.roots.set('legalHolds', rows('legalHolds', legalHold, ROOT_LISTS.legalHolds.orderBy, { limit: ROOT_LISTS.legalHolds.limit, where: (args, a) => (args.activeOnly === true ? ` AND ${a}.${released} IS NULL` : '') }));
    // Root lists, with their filters as the resolvers apply them.
    const inputs = new Map(getMetadataStorage().inputTypes.map((t) => [t.name, t.target]));
    const list = (name: string, type: TableType, orderings: Orderings, members: Record<string, FilterMember>) => {
      const field = root.getFields()[name]!;
      const filterType = getNamedType(field.args.find((a) => a.name === 'filter')!.type);
      const input = inputs.get(filterType.name);
      const fields = Object.keys((filterType as GraphQLInputObjectType).getFields());
      if (!input || fields.some((f) => !members[f]) || Object.keys(members).some((m) => !fields.includes(m))) {
        throw new Error(`read plans: the members of ${filterType.name} are not those compiled for ${name}`);
      }
      for (const m of Object.values(members)) if (m.kind !== 'condition') type.reader.column(m.property);
      this.roots.set(name, { kind: 'list', type, orderings, filter: { members, input }, check: argumentCheck('Query', field) });
    };
    const statuses = { property: 'status', kind: 'in' } as const;
    const id = (property: string) => ({ property, kind: 'id' }) as const;
    const range = (from: string, to: string, property: string) => ({ [from]: { property, kind: 'from' }, [to]: { property, kind: 'to' } }) as const;
    const created = range('createdFrom', 'createdTo', 'createdAt');
    list('orders', order, OrderOrder, {
      statuses,
      customerId: id('customerId'),
      channel: { property: 'channel', kind: 'equals' },
      platformPartnerId: id('platformPartnerId'),
      ...range('placedFrom', 'placedTo', 'placedAt'),
    });
    list('shipments', shipment, ShipmentOrder, { statuses, logisticsPartnerId: id('logisticsPartnerId'), orderId: id('orderId'), ...created });
    list('paymentVerifications', payment, PaymentOrder, { statuses, providerId: id('providerId'), orderId: id('orderId'), ...created });
    list('customers', customer, CustomerOrder, { status: { property: 'status', kind: 'equals' }, ...created });
    list('partners', partner, PartnerOrder, { kind: { property: 'kind', kind: 'equals' }, status: { property: 'status', kind: 'equals' } });
    list('webhookDeliveries', delivery, WebhookDeliveryOrder, { statuses, endpointId: id('endpointId'), eventId: id('eventId') });
    list('behaviorEvents', behaviorEvent, BehaviorEventOrder, range('occurredFrom', 'occurredTo', 'occurredAt'));
    list('privacyRequests', privacyRequest, PrivacyRequestOrder, {
      statuses,
      types: { property: 'type', kind: 'in' },
      customerId: id('customerId'),
      overdue: { kind: 'condition', sql: (a, value, r) => (typeof value !== 'boolean' ? undefined : ` AND ${value ? '' : 'NOT '}${overdue(a, r)}`) },
    });
    list('afterSalesCases', afterSalesCase, CaseOrder, {
      statuses,
      types: { property: 'type', kind: 'in' },
      customerId: id('customerId'),
      orderId: id('orderId'),
      ...range('openedFrom', 'openedTo', 'openedAt'),
    });
  }
}

class Unsupported extends Error {}
const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

/** Field nodes of `set` on `type`, in response order; anything graphql-js would merge or skip is unsupported. */
function fieldsIn(type: GraphQLObjectType, set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FieldNode[] {
  const out: FieldNode[] = [];
  const seen = new Set<string>();
  const visit = (s: SelectionSetNode, spread: Set<string>) => {
    for (const selection of s.selections) {
      if (selection.directives?.length) unsupported('directives');
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (seen.has(key)) unsupported(`response key ${key} selected twice`);
        // Objects are assembled in Node by assigning response keys: this one would set a prototype.
        if (key === '__proto__') unsupported('response key __proto__');
        seen.add(key);
        out.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition && selection.typeCondition.name.value !== type.name) unsupported('type condition');
        visit(selection.selectionSet, spread);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || spread.has(selection.name.value) || fragment.typeCondition.name.value !== type.name) unsupported('fragment');
        visit(fragment!.selectionSet, new Set([...spread, selection.name.value]));
      }
    }
  };
  visit(set, new Set());
  return out;
}

/** Adds `Type.field` to the coordinates the caller's view decides, unless it is structure; returns it (undefined for structure). */
function select(coordinates: Coordinates, typeName: string, fieldName: string): string | undefined {
  if (classify(typeName, fieldName)?.class === STRUCTURE) return undefined;
  const coordinate = `${typeName}.${fieldName}`;
  coordinates.add(coordinate);
  return coordinate;
}

function compileObject(
  schema: GraphQLSchema,
  shape: ObjectShape,
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  coordinates: Coordinates,
): Selection {
  const type = schema.getType(shape.typeName) as GraphQLObjectType;
  const keys: Selection['keys'] = [];
  const masks: Selection['masks'] = [];
  const below: Selection['below'] = [];
  const finishes: NonNullable<Selection['finishes']> = [];
  // Whether a key without a bit of its own reports bits of coordinates below it (`entries`).
  let tracksBelow = false;
  for (const node of fieldsIn(type, set, fragments)) {
    const key = node.alias?.value ?? node.name.value;
    const name = node.name.value;
    if (name === '__typename') {
      keys.push({ key, sql: () => plainPart(`${quoteLiteral(shape.typeName)}::text`), cell: { kind: 'typename', name: shape.typeName } });
      continue;
    }
    const source = shape.fields.get(name);
    const field = type.getFields()[name];
    if (!field) return unsupported(`${shape.typeName}.${name}`);
    const coordinate = select(coordinates, shape.typeName, name);
    // A field the view may deny: where it does, its cell is null and graphql-js's FORBIDDEN is
    // raised in its place (a non-null one would null its parent: graphql-js answers that).
    if (coordinate && !isNonNullType(field.type)) coordinates.deniable.add(coordinate);
    const bit = coordinates.bitOf(coordinate);
    const where = { coordinate, node, ...(field.args.length > 0 ? { field } : {}), ...(bit !== undefined ? { bit } : {}) };
    if (!source || (node.arguments?.length && source.kind !== 'page')) {
      // Not compiled: answered here only for a view that denies it (its selection is never read).
      if (!coordinate || isNonNullType(field.type)) return unsupported(`${shape.typeName}.${name}`);
      coordinates.deniedOnly.add(coordinate);
      keys.push({ key, sql: () => plainPart('NULL'), cell: { kind: 'deniedOnly' }, ...where });
      continue;
    }
    if (source.kind === 'column') {
      if (node.selectionSet) unsupported('selection on a scalar');
      // A value never null (and no list, which may be empty) is there whenever its object is.
      const present = source.present;
      const word = bit !== undefined ? wordOf(bit) : undefined;
      const sql = (a: string, r: Render): Part => {
        const part = plainPart(source.sql(a, r));
        if (r.carried && bit !== undefined) {
          if (present === undefined) part.bits = bit;
          else part.terms.push({ word: word!.word, sql: `CASE WHEN ${present(a, r)} THEN ${word!.value} ELSE 0 END` });
        }
        return part;
      };
      keys.push({ key, sql, cell: { kind: 'column', plain: source.plain, decode: source.decode, ...(source.finish ? { finished: true } : {}) }, ...where });
      if (source.finish) finishes.push({ key, coordinate, finish: source.finish, node, nullable: !isNonNullType(field.type) });
      const mask = classify(shape.typeName, name)?.mask;
      if (mask && mask !== 'shown') masks.push({ key, coordinate: `${shape.typeName}.${name}`, mask });
      continue;
    }
    if (!node.selectionSet) return unsupported('object without selection');
    if (source.kind === 'entries') {
      const entryType = schema.getType(source.typeName) as GraphQLObjectType;
      // The bits of the entries' coordinates (and the field's own): each carries a value whenever the list has an entry.
      let entryBits = bit ?? 0n;
      const parts = coordinates.below(coordinate, () =>
        fieldsIn(entryType, node.selectionSet!, fragments).map((f) => {
          const part = { key: f.alias?.value ?? f.name.value, name: f.name.value };
          if (part.name === '__typename') return part;
          if (!ENTRY_FIELDS.has(part.name) || f.selectionSet || classify(entryType.name, part.name)?.mask) unsupported(`${entryType.name}.${part.name}`);
          entryBits |= coordinates.bitOf(select(coordinates, entryType.name, part.name)) ?? 0n;
          return part;
        }),
      );
      const typeName = entryType.name;
      const finish = (value: unknown) =>
        Object.entries((value ?? {}) as Record<string, unknown>).map(([name, v]) => {
          const entry: Record<string, unknown> = {};
          for (const p of parts) entry[p.key] = p.name === 'name' ? name : p.name === 'value' ? String(v) : typeName;
          return entry;
        });
      const present = source.present;
      const sql = (a: string, r: Render): Part => {
        const part = plainPart(source.sql(a));
        if (r.carried) for (const [word, value] of wordsOf({ bits: entryBits, terms: [] })) part.terms.push({ word, sql: `CASE WHEN ${present(a)} THEN ${value} ELSE 0 END` });
        return part;
      };
      tracksBelow ||= entryBits !== 0n;
      keys.push({ key, sql, cell: { kind: 'column', plain: source.sql, finished: true }, ...where });
      finishes.push({ key, coordinate, finish, node, nullable: !isNonNullType(field.type) });
      continue;
    }
    if (source.kind === 'page') {
      const page = coordinates.below(coordinate, () => compilePage(schema, field, node, source, fragments, coordinates));
      // A page is an object whenever its parent is there (json_build_object): its own bit goes with its nodes'.
      const list = (a: string, r: Render): Built => {
        const built = page.list(a, r);
        return r.carried && bit !== undefined ? { ...built, bits: wordsOf({ bits: bit, terms: [...(built.bits ?? [])].map(([word, sql]) => ({ word, sql: `(${sql})` })) }) } : built;
      };
      const finishing = page.nodes !== undefined && finishesBelow(page.nodes);
      keys.push({ key, sql: (a, r) => nestedList(list(a, r), r), cell: { kind: 'json', selection: page.nodes, seals: page.shape.seals || (page.nodes !== undefined && sealsBelow(page.nodes)), finishes: finishing, list }, ...where });
      // A page without objects (edges with cursors alone) is still below, for its cursors.
      below.push({ key, selection: page.nodes ?? { keys: [], masks: [], below: [], tracks: false }, page: page.shape });
      continue;
    }
    const inner = coordinates.below(coordinate, () => compileObject(schema, source.target, node.selectionSet!, fragments, coordinates));
    below.push({ key, selection: inner });
    // Bits are reported (a lateral join) only for what holds a tracked coordinate.
    const tracks = bit !== undefined || inner.tracks;
    if (source.kind === 'embedded') {
      // An object of its parent's own columns: there whenever its parent is.
      const sql = (a: string, r: Render): Part => {
        const part = renderObject(inner, a, r);
        if (r.carried && bit !== undefined) part.bits |= bit;
        return part;
      };
      keys.push({ key, sql, cell: { kind: 'embedded', selection: inner }, ...where });
    } else if (source.kind === 'one') {
      const { target, foreignKey, link } = source;
      keys.push({
        key,
        sql: (a, r) => {
          const c = r.next();
          const object = renderObject(inner, c, r);
          const tail = `FROM ${target.reader.table} ${c}${object.from} WHERE ${c}."id" = ${a}.${foreignKey}${r.scope(target.table, c, link)}`;
          if (!r.carried || !tracks) return plainPart(`(SELECT ${object.value} ${tail})`);
          const n = r.next();
          const words = [...wordsOf(object, bit)];
          return {
            value: `${n}.j`,
            bits: 0n,
            terms: words.map(([word]) => ({ word, sql: `coalesce(${n}.m${word}, 0)` })),
            from: ` LEFT JOIN LATERAL (SELECT ${object.value} AS j${words.map(([word, sql]) => `, ${sql} AS m${word}`).join('')} ${tail}) ${n} ON TRUE`,
          };
        },
        cell: { kind: 'one', selection: inner, target, foreignKey, link },
        ...where,
      });
    } else if (source.kind === 'latest') {
      const { target, foreignKey, partition, latest } = source;
      const list = (a: string, r: Render): Built => {
        const [d, c] = [r.next(), r.next()];
        const rows = `SELECT DISTINCT ON (${d}.${partition}) * FROM ${target.reader.table} ${d} WHERE ${d}.${foreignKey} = ${a}."id"${r.scope(target.table, d)} ORDER BY ${d}.${partition}, ${d}.${latest} DESC, ${d}."id" DESC`;
        const object = renderObject(inner, c, r);
        return {
          json: `coalesce(json_agg(${object.value} ORDER BY ${c}.${partition}), '[]'::json)`,
          tail: `FROM (${rows}) ${c}${object.from}`,
          // The list's own bit with each item's: set when it has one.
          ...(r.carried && tracks ? { bits: eachWord(wordsOf(object, bit), (sql) => `coalesce(bit_or(${sql}), 0)`) } : {}),
        };
      };
      keys.push({ key, sql: (a, r) => nestedList(list(a, r), r), cell: { kind: 'json', selection: inner, seals: sealsBelow(inner), finishes: finishesBelow(inner), list }, ...where });
    } else {
      const { target, foreignKey, columns, tie, link } = source;
      const list = (a: string, r: Render): Built => {
        const c = r.next();
        // Ordered only by what the caller's view shows: asked, as the text depends on it.
        const shown = r.ask((q) => visibleOrderKeys(source.order, q.ctx.policy.decide));
        const order = [...columns.slice(0, shown), [tie, 'ASC'] as const].map(([column, direction]) => `${c}.${column} ${direction}`).join(', ');
        const object = renderObject(inner, c, r);
        return {
          json: `coalesce(json_agg(${object.value} ORDER BY ${order}), '[]'::json)`,
          tail: `FROM ${target.reader.table} ${c}${object.from} WHERE ${c}.${foreignKey} = ${a}."id"${r.scope(target.table, c, link)}`,
          // The list's own bit with each item's: set when it has one.
          ...(r.carried && tracks ? { bits: eachWord(wordsOf(object, bit), (sql) => `coalesce(bit_or(${sql}), 0)`) } : {}),
        };
      };
      keys.push({ key, sql: (a, r) => nestedList(list(a, r), r), cell: { kind: 'json', selection: inner, seals: sealsBelow(inner), finishes: finishesBelow(inner), list }, ...where });
    }
  }
  if (keys.length === 0 || keys.length > MAX_KEYS_PER_OBJECT) unsupported('object size');
  return { keys, masks, below, tracks: tracksBelow || keys.some((k) => k.bit !== undefined) || below.some((b) => b.selection.tracks), ...(finishes.length > 0 ? { finishes } : {}) };
}

/** Calls `visit` with each of a root field's objects, or lists of them, and its path: the field's object, a connection's `nodes`, each edge's `node`. */
function eachRootValue(step: RootStep, value: unknown, visit: (value: unknown, path: Array<string | number>) => void): void {
  if (value === null || value === undefined) return;
  if (step.source.kind !== 'list') return visit(value, [step.responseKey]);
  for (const k of step.connectionKeys) {
    const list = (value as Record<string, unknown>)[k.key];
    if (k.edges) {
      const nodes = k.edges.filter((e) => e.name === 'node');
      (list as Array<Record<string, unknown>>).forEach((edge, i) => {
        for (const e of nodes) visit(edge[e.key], [step.responseKey, k.key, i, e.key]);
      });
    } else if (!k.typename && !k.pageInfo) visit(list, [step.responseKey, k.key]);
  }
}

/**
 * Raises `deny` for every place in `value` (an object of `selection`, a list of them, or their
 * JSON text) where a field in `denied` is selected, in response order; nothing below a denied
 * field is visited, as graphql-js resolves nothing there.
 */
function denyBelow(
  selection: Selection,
  value: unknown,
  path: ReadonlyArray<string | number>,
  denied: ReadonlySet<string>,
  deny: (coordinate: string, node: FieldNode, path: ReadonlyArray<string | number>) => void,
): void {
  const sent = value instanceof JsonText ? value.toJSON() : value;
  if (Array.isArray(sent)) {
    sent.forEach((item, i) => denyBelow(selection, item, [...path, i], denied, deny));
    return;
  }
  if (!sent || typeof sent !== 'object') return;
  const object = sent as Record<string, unknown>;
  for (const k of selection.keys) {
    if (k.coordinate !== undefined && denied.has(k.coordinate)) {
      deny(k.coordinate, k.node!, [...path, k.key]);
      continue;
    }
    const below = selection.below.find((b) => b.key === k.key);
    if (!below || !holdsAny(below.selection, denied)) continue;
    const child = object[k.key] instanceof JsonText ? (object[k.key] as JsonText).toJSON() : object[k.key];
    if (!below.page) denyBelow(below.selection, child, [...path, k.key], denied, deny);
    else if (child && typeof child === 'object') eachPageValue(below.page, child as Record<string, unknown>, [...path, k.key], (v, p) => denyBelow(below.selection, v, p, denied, deny));
  }
}

/**
 * Whether graphql-js, with the field rules, records the subject of a root row selected as
 * `selection`: it does when a field of the row that is not structure is allowed (masked or
 * shown); not when every such field is denied and nothing below is reached; undefined (it would
 * depend on the rows below) when only structure leads further down.
 */
function recordsSubject(selection: Selection, denied: ReadonlySet<string>): boolean | undefined {
  if (selection.keys.some((k) => k.coordinate !== undefined && !denied.has(k.coordinate))) return true;
  const reached = (s: Selection): boolean => s.keys.some((k) => k.coordinate !== undefined && !denied.has(k.coordinate)) || s.below.some((b) => reached(b.selection));
  const structure = selection.below.filter((b) => selection.keys.find((k) => k.key === b.key)?.coordinate === undefined);
  return structure.some((b) => reached(b.selection)) ? undefined : false;
}

/** Whether any object of `selection` or below it has a field finished in Node. */
function finishesBelow(selection: Selection): boolean {
  return selection.finishes !== undefined || selection.below.some((b) => finishesBelow(b.selection));
}

/**
 * Finishes, in place, the fields of `value` (an object or a list of them, at `path`) and below it
 * that Node makes of what their column holds, as their resolvers make them; a denied one stays
 * null. A value made asynchronously is set when its promise settles: each is added to `pending`,
 * which the caller awaits before it reads the objects again. A finish that fails (throws or
 * rejects) leaves its field null and hands its error, located at the field's path, to `failed`,
 * as graphql-js answers a resolver's failure; on a field that may not be null it fails the request.
 */
function finishValues(
  selection: Selection,
  value: unknown,
  path: ReadonlyArray<string | number>,
  denied: ReadonlySet<string>,
  ctx: RequestContext,
  pending: Array<Promise<void>>,
  failed: (error: GraphQLError) => void,
): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => finishValues(selection, item, [...path, i], denied, ctx, pending, failed));
    return;
  }
  if (!value || typeof value !== 'object' || value instanceof JsonText) return;
  const object = value as Record<string, unknown>;
  for (const f of selection.finishes ?? []) {
    if (f.coordinate !== undefined && denied.has(f.coordinate)) continue;
    const fail = (error: unknown) => {
      if (!f.nullable) throw error;
      object[f.key] = null;
      failed(locatedError(error, f.node, [...path, f.key]));
    };
    let finished: unknown;
    try {
      finished = f.finish(object[f.key], ctx);
    } catch (error) {
      fail(error);
      continue;
    }
    if (finished instanceof Promise) pending.push(finished.then((v: unknown) => void (object[f.key] = v), fail));
    else object[f.key] = finished;
  }
  for (const b of selection.below) {
    if (!finishesBelow(b.selection)) continue;
    const child = object[b.key];
    if (!b.page) finishValues(b.selection, child, [...path, b.key], denied, ctx, pending, failed);
    else if (child && typeof child === 'object') eachPageValue(b.page, child as Record<string, unknown>, [...path, b.key], (v, p) => finishValues(b.selection, v, p, denied, ctx, pending, failed));
  }
}

/** Whether any object of `selection` has a field that can be masked. */
function canMask(selection: Selection): boolean {
  return selection.masks.length > 0 || selection.below.some((b) => canMask(b.selection));
}

/** Masks, in place, the values at the coordinates in `masked` of `value` (an object or a list of them) and what is below it. */
function applyMasks(selection: Selection, value: unknown, masked: ReadonlySet<string>): void {
  // Left as JSON text only where no mask applies below (renderRow).
  if (value instanceof JsonText) return;
  if (Array.isArray(value)) {
    for (const item of value) applyMasks(selection, item, masked);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  for (const m of selection.masks) if (masked.has(m.coordinate)) object[m.key] = applyMask(m.mask, object[m.key]);
  for (const b of selection.below) {
    const child = object[b.key];
    if (!b.page) applyMasks(b.selection, child, masked);
    else if (child && typeof child === 'object') eachPageValue(b.page, child as Record<string, unknown>, [], (v) => applyMasks(b.selection, v, masked));
  }
}

const isSent = (value: unknown) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0);

/**
 * The conditions of a root list's coerced `filter` (`filterOf` a request) on the row at `alias`,
 * as its resolver adds them. Throws NeedsGraphqlJs when the filter is invalid (type-graphql's
 * validation, a malformed id, a range that starts after it ends, a member not compiled): graphql-js
 * then reports it. The text depends on which members are sent (and on a `condition` member's
 * value: asked); their values are parameters.
 */
function filterSql(spec: FilterSpec, type: TableType, alias: string, filterOf: (q: Request) => unknown, r: Render): string {
  if (r.ask((q) => filterOf(q) == null)) return '';
  const valuesOf = (q: Request) => filterOf(q) as Record<string, unknown>;
  const invalid = (): never => {
    throw new NeedsGraphqlJs();
  };
  r.ask((q) => {
    const instance = Object.assign(Object.create(spec.input.prototype as object) as object, valuesOf(q));
    // As type-graphql validates an argument (its validate-arg.ts): missing members skipped.
    if (validateSync(instance, { forbidUnknownValues: false, skipMissingProperties: true }).length > 0) invalid();
  });
  // The members sent, in the order the coerced filter lists them (NUL never in a GraphQL name).
  const sent = r.ask((q) => {
    const values = valuesOf(q);
    return Object.keys(values).filter((name) => isSent(values[name])).join('\u0000');
  });
  let sql = '';
  const range = new Map<string, { from?: string; to?: string }>();
  for (const name of sent === '' ? [] : sent.split('\u0000')) {
    const member = spec.members[name];
    if (!member) return invalid();
    const value = (q: Request) => valuesOf(q)[name];
    if (member.kind === 'condition') {
      const condition = member.sql(alias, r.ask(value), r);
      if (condition === undefined) return invalid();
      sql += condition;
      continue;
    }
    const column = `${alias}.${type.reader.column(member.property)}`;
    if (member.kind === 'in') {
      r.ask((q) => Array.isArray(value(q)) || invalid());
      sql += ` AND ${column} = ANY(${r.param(value, '')})`;
    } else if (member.kind === 'id') {
      r.ask((q) => {
        const id = value(q);
        return (typeof id === 'string' && UUID.test(id)) || invalid();
      });
      sql += ` AND ${column} = ${r.param((q) => (value(q) as string).toLowerCase(), 'uuid')}`;
    } else if (member.kind === 'equals') {
      sql += ` AND ${column} = ${r.param(value, '')}`;
    } else {
      r.ask((q) => value(q) instanceof Date || invalid());
      const bounds = range.get(member.property) ?? {};
      bounds[member.kind] = name;
      range.set(member.property, bounds);
      sql += ` AND ${column} ${member.kind === 'from' ? '>=' : '<'} ${r.param(value, 'timestamptz')}`;
    }
  }
  for (const { from, to } of range.values()) {
    if (from && to) r.ask((q) => !((valuesOf(q)[from] as Date) > (valuesOf(q)[to] as Date)) || invalid());
  }
  return sql;
}

/** PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1): a longer column name is cut. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * An object inside the JSON PostgreSQL builds (a list's item, a page's node, and what is below
 * them): a row whose columns are named by the response keys, which json_agg and the enclosing
 * rows write as a JSON object. Measured against json_build_object, PostgreSQL writes such a row
 * at about two thirds of the CPU: json_build_object works out the type of every key and every
 * value on every call, a row's columns are named once. A response key too long to be a column
 * name (an alias of over 63 bytes) keeps json_build_object.
 *
 * The row is a lateral subquery without a FROM of its own, joined beside the object's table
 * (`from`), and the value is its alias: the planner folds it into the enclosing scan as a row
 * expression. Written as a scalar subquery in the value (`(SELECT r FROM (SELECT …) r)`), the
 * same row cost a subplan started at every execution and run once per row.
 */
function renderObject(selection: Selection, alias: string, r: Render): Part {
  const object: Part = { value: '', bits: 0n, terms: [], from: '' };
  const values = selection.keys.map((k) => {
    if (deniedCell(k, r)) return 'NULL';
    const part = k.sql(alias, r);
    object.bits |= part.bits;
    object.terms.push(...part.terms);
    object.from += part.from;
    return part.value;
  });
  if (selection.keys.some((k) => Buffer.byteLength(k.key) > MAX_IDENTIFIER_BYTES)) {
    object.value = `json_build_object(${selection.keys.map((k, i) => `${quoteLiteral(k.key)}, ${values[i]}`).join(', ')})`;
  } else {
    const row = r.next();
    object.from += ` CROSS JOIN LATERAL (SELECT ${selection.keys.map((k, i) => `${values[i]} AS "${k.key}"`).join(', ')}) ${row}`;
    object.value = row;
  }
  return object;
}

/**
 * Whether a key's field is denied to the caller: its cell is then null, as graphql-js leaves it,
 * and nothing below it is read. graphql-js coerces a field's arguments before the field rule
 * denies it; one it would refuse leaves the operation to graphql-js (NeedsGraphqlJs).
 */
function deniedCell(k: Selection['keys'][number], r: Render): boolean {
  if (k.coordinate === undefined || !r.denied.has(k.coordinate)) return false;
  const { field, node } = k;
  if (field && node) r.ask((q) => void q.args(field, node));
  return true;
}

/** Whether any coordinate in `coordinates` is selected in `selection` or below it. */
function holdsAny(selection: Selection, coordinates: ReadonlySet<string>): boolean {
  if (coordinates.size === 0) return false;
  return selection.keys.some((k) => k.coordinate !== undefined && coordinates.has(k.coordinate)) || selection.below.some((b) => holdsAny(b.selection, coordinates));
}

/**
 * What a JSON column of a root row (a list or a page PostgreSQL built, read as text: json-text.ts)
 * becomes in the object: a `JsonText` for a body written by `stringifyResult`, else its value.
 */
type JsonCell = (text: string, parse: boolean) => unknown;

/** The select list and joins of a root row being rendered by `renderRow`. */
interface RowSql {
  columns: string[];
  joins: string[];
  /** Aliases of the rows joined so far, by join condition: a row is joined once, however many keys read it. */
  joined: Map<string, string>;
  /** Cells of the row that report words of bits so far (`BuildEnv.words`). */
  words: number;
}

/** ORs into `carried` the words of bits `text` holds (comma-separated), each at its shift. */
function orWords(carried: { bits: bigint }, text: string, shifts: readonly bigint[]): void {
  if (shifts.length === 1) {
    carried.bits |= BigInt(text) << shifts[0]!;
    return;
  }
  const values = text.split(',');
  for (let i = 0; i < shifts.length; i++) carried.bits |= BigInt(values[i]!) << shifts[i]!;
}

/**
 * Joins (LEFT JOIN) the `target` row whose id is in `alias`.`foreignKey`, under `condition` (the
 * target's scope condition for the new alias, '' where none applies). A join without a condition
 * is made once and shared (a root row's order, for its subject and for its `order` field); one
 * with a condition is its own, as its parameters are.
 */
function joinOnce(out: RowSql, r: Render, target: TableType, alias: string, foreignKey: string, condition: (c: string) => string): string {
  const c = r.next();
  const scope = condition(c);
  const key = `${target.reader.table} ${alias}.${foreignKey}`;
  if (!scope) {
    const known = out.joined.get(key);
    if (known) return known;
    out.joined.set(key, c);
  }
  out.joins.push(` LEFT JOIN ${target.reader.table} ${c} ON ${c}."id" = ${alias}.${foreignKey}${scope}`);
  return c;
}

/**
 * A root row's object as plain columns: its scalars, its embedded objects and its to-one
 * relations (each row joined once) are columns of the statement, and Node assembles the object
 * from them; lists and pages stay JSON that PostgreSQL builds. Measured on the benchmark's
 * shapes, PostgreSQL spends far less on plain columns than on building a JSON object per row
 * (json_build_object works out each value's type for every row), and Node's cost of assembling
 * is no more than that of parsing the JSON. Returns the function that assembles the object.
 */
function renderRow(selection: Selection, alias: string, r: Render, out: RowSql): Build {
  // The object's keys and, by position, how each value is read from the row (`objectShape`).
  const keys: string[] = [];
  const values: Array<Value<Row, BuildEnv>> = [];
  // What a row reports besides its object: the words of bits of its finished cells, read before the object is made.
  const reports: Array<(row: Row, env: BuildEnv) => void> = [];
  const part = (key: string, value: Value<Row, BuildEnv>) => {
    keys.push(key);
    values.push(value);
  };
  // A column's position in the row (its name in the text only labels it).
  const column = (sql: string) => {
    const n = out.columns.length;
    out.columns.push(`${sql} AS c${n}`);
    return n;
  };
  // What the response carries (`Part`): a root row's own cells are read here, the bits of its lists and pages come before their text.
  const carried = r.carried;
  for (const k of selection.keys) {
    const { key, cell } = k;
    // The coordinate's bit, by position (`BuildEnv.seen`).
    const tracked = carried && k.bit !== undefined ? k.bit.toString(2).length - 1 : undefined;
    if (deniedCell(k, r)) {
      part(key, () => null);
    } else if (cell.kind === 'deniedOnly') {
      throw new Error(`read plans: ${k.coordinate} is read only where it is denied`);
    } else if (cell.kind === 'typename') {
      const name = cell.name;
      part(key, () => name);
    } else if (cell.kind === 'column') {
      const name = column(cell.plain(alias, r));
      const decode = cell.decode;
      if (tracked !== undefined && !(cell.finished && carried)) {
        // A cell's value, and whether it carries one, until a row's has.
        part(key, (row, env) => {
          const value = decode ? decode(row[name]) : row[name];
          const seen = env.carried!.seen;
          if (seen[tracked] === 0 && hasValue(value)) seen[tracked] = 1;
          return value;
        });
      } else part(key, decode ? (row) => decode(row[name]) : (row) => row[name]);
      if (cell.finished && carried) {
        // Finished in Node later (`finishValues`): the bits its SQL reports, in a column of its words (comma-separated).
        const words = [...wordsOf(k.sql(alias, r))];
        if (words.length > 0) {
          const shifts = words.map(([word]) => BigInt(word) * WORD_BITS);
          const bits = column(words.map(([, sql]) => `(${sql})::text`).join(` || ',' || `));
          const w = out.words++;
          reports.push((row, env) => {
            const text = row[bits] as string;
            if (env.words[w] === text) return;
            orWords(env.carried!, text, shifts);
            env.words[w] = text;
          });
        }
      }
    } else if (cell.kind === 'json') {
      // As text: pg leaves it unparsed (a plain column of type json, such as customs' HS codes,
      // is still parsed by pg).
      const built = cell.list(alias, r);
      // Parsed where masks apply below it, cursors are sealed in it or values finished (all in Node); else left as text.
      const parse = cell.seals || cell.finishes || (cell.selection !== undefined && holdsAny(cell.selection, r.masked));
      if (built.bits === undefined || built.bits.size === 0) {
        const name = column(`(SELECT ${built.json} ${built.tail})::text`);
        part(key, (row, env) => (row[name] === null ? null : env.json(row[name] as string, parse)));
      } else {
        // Its words of bits (comma-separated), a space, its text: never null.
        const words = [...built.bits];
        const shifts = words.map(([word]) => BigInt(word) * WORD_BITS);
        const name = column(`(SELECT ${words.map(([, sql]) => `(${sql})::text`).join(` || ',' || `)} || ' ' || (${built.json})::text ${built.tail})`);
        const w = out.words++;
        part(key, (row, env) => {
          const text = row[name] as string;
          const last = env.words[w];
          let space: number;
          if (last !== undefined && text.charCodeAt(last.length) === 32 && text.startsWith(last)) space = last.length;
          else {
            space = text.indexOf(' ');
            const head = text.slice(0, space);
            orWords(env.carried!, head, shifts);
            env.words[w] = head;
          }
          return env.json(text.slice(space + 1), parse);
        });
      }
    } else if (cell.kind === 'embedded') {
      const build = renderRow(cell.selection, alias, r, out);
      if (tracked !== undefined) {
        part(key, (row, env) => {
          const object = build(row, env);
          env.carried!.seen[tracked] = 1;
          return object;
        });
      } else part(key, build);
    } else {
      const { target, foreignKey, link } = cell;
      const c = joinOnce(out, r, target, alias, foreignKey, (c) => r.scope(target.table, c, link));
      // Whether the join found a row tells one outside the scope (or missing) from one that is
      // there: a boolean, not the id (one byte on the wire for each row, not a uuid's 36).
      const present = column(`${c}."id" IS NOT NULL`);
      const build = renderRow(cell.selection, c, r, out);
      if (tracked !== undefined) {
        part(key, (row, env) => {
          if (row[present] !== true) return null;
          const object = build(row, env);
          env.carried!.seen[tracked] = 1;
          return object;
        });
      } else part(key, (row, env) => (row[present] !== true ? null : build(row, env)));
    }
  }
  const make = objectShape(keys, values);
  if (reports.length === 0) return make;
  return (row, env) => {
    for (const report of reports) report(row, env);
    return make(row, env);
  };
}

/** A root connection's page as its edges are made from it (`edgeShape`): its rows, their objects, and how a row's cursor is sealed. */
interface EdgesOf {
  rows: readonly Row[];
  nodes: ReadonlyArray<Record<string, unknown>>;
  seal: ((row: Row) => string) | undefined;
}

/** How a root connection's edge is made, by its selection (`RootStep.connectionKeys`' edges): one object literal per selection (`objectShape`). */
const edgeShapes = new WeakMap<object, (n: number, page: EdgesOf) => Record<string, unknown>>();
function edgeShape(parts: ReadonlyArray<{ key: string; name: string; typename?: string }>): (n: number, page: EdgesOf) => Record<string, unknown> {
  let shape = edgeShapes.get(parts);
  if (!shape) {
    const values = parts.map((e): Value<number, EdgesOf> => {
      const typename = e.typename;
      if (typename !== undefined) return () => typename;
      return e.name === 'cursor' ? (n, page) => page.seal!(page.rows[n]!) : (n, page) => page.nodes[n];
    });
    edgeShapes.set(parts, (shape = objectShape(parts.map((e) => e.key), values)));
  }
  return shape;
}

/** Whether a root row's cell carries a value, as response-coordinates.ts counts it: not null; a list, with an item not null. */
function hasValue(value: unknown): boolean {
  return value !== null && value !== undefined && (!Array.isArray(value) || value.some((item) => item !== null && item !== undefined));
}

/** The keys of a `pageInfo` selection: `hasNextPage`, `hasPreviousPage`, `startCursor`, `endCursor` (sealed in Node) and `__typename`. */
const PAGE_INFO_KEYS = ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor', '__typename'];
function pageInfoKeys(schema: GraphQLSchema, set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, coordinates: Coordinates) {
  const allowed = PAGE_INFO_KEYS;
  return fieldsIn(schema.getType('PageInfo') as GraphQLObjectType, set, fragments).map((p) => {
    if (!allowed.includes(p.name.value)) unsupported(`PageInfo.${p.name.value}`);
    if (p.name.value !== '__typename') select(coordinates, 'PageInfo', p.name.value);
    return { key: p.alias?.value ?? p.name.value, name: p.name.value };
  });
}

/**
 * Where a nested connection holds its rows' objects and their cursors, by response key: `nodes`,
 * each edge's `node` and `cursor`, `pageInfo`'s `startCursor` and `endCursor`. Cursors are sealed
 * in Node (`sealPages`), so a page that answers any is parsed, not left as JSON text.
 */
interface PageShape {
  nodes: string[];
  edges: Array<{ key: string; nodes: string[]; cursors: string[] }>;
  infos: Array<{ key: string; cursors: string[] }>;
  seals: boolean;
}

/** A page size `first` as written into a statement: an integer from 1 to MAX_PAGE_SIZE, else graphql-js reports it (NeedsGraphqlJs). */
function pageSize(first: unknown): number {
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new NeedsGraphqlJs();
  return first;
}

/**
 * The comparison of a row's (sort value, id) with the position the field's `after` cursor opens
 * to (`Request.position`), after it in `ordering`: `op (value, id)` with both as parameters.
 */
function afterPosition(field: GraphQLField<unknown, unknown>, node: FieldNode, list: ScopedTable, ordering: Ordering, r: Render): string {
  const op = ordering.direction === 'DESC' ? '<' : '>';
  const v = r.param((q) => q.position(field, node, list, ordering).v, ordering.kind === 'timestamp' ? 'timestamptz' : '');
  return `${op} (${v}, ${r.param((q) => q.position(field, node, list, ordering).i, 'uuid')})`;
}

/**
 * A nested connection: `nodes`, `edges` (`cursor`, `node`) and `pageInfo` (`hasNextPage`,
 * `hasPreviousPage`, `startCursor`, `endCursor`) of one page of the parent's rows, read as
 * childPageLoader reads it: in the scope, after the cursor, ordered by the ordering the caller
 * may use and then id, `first` rows (one more to tell whether there is a next page). A cursor
 * leaves PostgreSQL as its row's position (sort value and id, as cursor-seal.ts seals them) and
 * is sealed in Node.
 */
function compilePage(
  schema: GraphQLSchema,
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  source: Extract<FieldSource, { kind: 'page' }>,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  coordinates: Coordinates,
): { list: (alias: string, r: Render) => Built; nodes?: Selection; shape: PageShape } {
  const connection = getNullableType(field.type) as GraphQLObjectType;
  type Part = 'nodes' | 'typename' | { pageInfo: Array<{ key: string; name: string }> } | { edges: Array<{ key: string; name: string }> };
  const parts: Array<{ key: string; part: Part }> = [];
  const shape: PageShape = { nodes: [], edges: [], infos: [], seals: false };
  let inner: Selection | undefined;
  const nodesOf = (set: SelectionSetNode) => {
    if (inner) unsupported(`${connection.name}: nodes selected twice`);
    inner = compileObject(schema, source.target, set, fragments, coordinates);
  };
  for (const f of fieldsIn(connection, node.selectionSet!, fragments)) {
    const key = f.alias?.value ?? f.name.value;
    if (f.name.value === '__typename') parts.push({ key, part: 'typename' });
    else if (f.name.value === 'nodes' && f.selectionSet) {
      select(coordinates, connection.name, 'nodes');
      nodesOf(f.selectionSet);
      parts.push({ key, part: 'nodes' });
      shape.nodes.push(key);
    } else if (f.name.value === 'pageInfo' && f.selectionSet) {
      select(coordinates, connection.name, 'pageInfo');
      const pageInfo = pageInfoKeys(schema, f.selectionSet, fragments, coordinates);
      parts.push({ key, part: { pageInfo } });
      shape.infos.push({ key, cursors: pageInfo.filter((p) => p.name === 'startCursor' || p.name === 'endCursor').map((p) => p.key) });
    } else if (f.name.value === 'edges' && f.selectionSet) {
      select(coordinates, connection.name, 'edges');
      const edge = getNamedType(connection.getFields().edges!.type) as GraphQLObjectType;
      const edges = fieldsIn(edge, f.selectionSet, fragments).map((e) => {
        const name = e.name.value;
        if (name === 'node' && e.selectionSet) {
          select(coordinates, edge.name, 'node');
          nodesOf(e.selectionSet);
        } else if (name === 'cursor') select(coordinates, edge.name, 'cursor');
        else if (name !== '__typename') unsupported(`${edge.name}.${name}`);
        return { key: e.alias?.value ?? name, name };
      });
      parts.push({ key, part: { edges } });
      shape.edges.push({ key, nodes: edges.filter((e) => e.name === 'node').map((e) => e.key), cursors: edges.filter((e) => e.name === 'cursor').map((e) => e.key) });
    } else unsupported(`${connection.name}.${f.name.value}`);
  }
  shape.seals = shape.edges.some((e) => e.cursors.length > 0) || shape.infos.some((i) => i.cursors.length > 0);
  const edgeName = getNamedType(connection.getFields().edges?.type ?? connection.getFields().nodes!.type).name;
  const { target, foreignKey, orderings } = source;
  const nodes = inner;
  const nextPage = parts.some((p) => typeof p.part === 'object' && 'pageInfo' in p.part && p.part.pageInfo.some((i) => i.name === 'hasNextPage'));
  const list = (a: string, r: Render): Built => {
    const first = r.ask((q) => pageSize(q.args(field, node).first));
    const ordering = r.ask((q) => {
      const orderBy = q.args(field, node).orderBy as string | null | undefined;
      if (orderBy != null && q.ctx.policy.decideArgument(orderings.coordinate(orderBy)) !== 'visible') throw new NeedsGraphqlJs();
      return orderings.pick(orderBy, q.ctx.policy.decideArgument);
    });
    if (shape.seals) r.sealing.set(shape, { list: target.table, ordering });
    const c = r.next();
    const sort = target.reader.column(ordering.property);
    const direction = ordering.direction;
    let where = `${c}.${foreignKey} = ${a}."id"${r.scope(target.table, c)}`;
    const after = r.ask((q) => q.args(field, node).after != null);
    if (after) where += ` AND (${c}.${sort}, ${c}."id") ${afterPosition(field, node, target.table, ordering, r)}`;
    // `first` is an integer from 1 to MAX_PAGE_SIZE (checked above): written into the text, as for
    // root lists. One row more only when hasNextPage is asked for.
    const order = `${c}.${sort} ${direction}, ${c}."id" ${direction}`;
    const page = `(SELECT * FROM ${target.reader.table} ${c} WHERE ${where} ORDER BY ${order} LIMIT ${first + (nextPage ? 1 : 0)})`;
    const rows = r.next();
    const rendered = nodes ? renderObject(nodes, rows, r) : undefined;
    const object = rendered?.value ?? 'NULL';
    const only = nextPage ? ` FILTER (WHERE ${rows}.rn_ <= ${first})` : '';
    const rowOrder = (d: 'ASC' | 'DESC') => `${rows}.${sort} ${d}, ${rows}."id" ${d}`;
    // A row's position, as cursor-seal.ts seals it: [sort value (a time as toISOString writes it), id].
    const position = `json_build_array(${ordering.kind === 'timestamp' ? DATE_TIME_ISO(`${rows}.${sort}`) : `${rows}.${sort}`}, ${rows}."id")`;
    const cells = parts.map(({ key, part }) => {
      if (part === 'typename') return `${quoteLiteral(key)}, ${quoteLiteral(connection.name)}::text`;
      if (part === 'nodes') return `${quoteLiteral(key)}, coalesce(json_agg(${object} ORDER BY ${rowOrder(direction)})${only}, '[]'::json)`;
      if ('edges' in part) {
        const edge = part.edges.map((e) => `${quoteLiteral(e.key)}, ${e.name === 'node' ? object : e.name === 'cursor' ? position : `${quoteLiteral(edgeName)}::text`}`);
        return `${quoteLiteral(key)}, coalesce(json_agg(json_build_object(${edge.join(', ')}) ORDER BY ${rowOrder(direction)})${only}, '[]'::json)`;
      }
      const reverse = direction === 'ASC' ? 'DESC' : 'ASC';
      const info = part.pageInfo.map((p) => {
        const value =
          p.name === 'hasNextPage'
            ? `count(*) > ${first}`
            : p.name === 'hasPreviousPage'
              ? after
                ? 'true'
                : 'false'
              : p.name === 'startCursor' || p.name === 'endCursor'
                ? `(array_agg(${position} ORDER BY ${rowOrder(p.name === 'startCursor' ? direction : reverse)})${only})[1]`
                : `'PageInfo'::text`;
        return `${quoteLiteral(p.key)}, ${value}`;
      });
      return `${quoteLiteral(key)}, json_build_object(${info.join(', ')})`;
    });
    const numbered = nextPage ? `(SELECT ${c}.*, row_number() OVER (ORDER BY ${order}) AS rn_ FROM ${page} ${c})` : page;
    return {
      json: `json_build_object(${cells.join(', ')})`,
      tail: `FROM ${numbered} ${rows}${rendered?.from ?? ''}`,
      // The bits of the rows on the page (not the one read to tell whether there is a next page).
      ...(r.carried && nodes?.tracks ? { bits: eachWord(wordsOf(rendered!), (sql) => `coalesce(bit_or(${sql})${only}, 0)`) } : {}),
    };
  };
  return { list, nodes, shape };
}

/**
 * Seals, in place, the cursors of the pages below `selection` in `value` (an object or a list of
 * them): each position PostgreSQL wrote becomes a cursor sealed for the page's list and
 * ordering, one per row (an edge and endCursor naming the same row share it), as toPage seals them.
 */
function sealPages(selection: Selection, value: unknown, sealing: ReadonlyMap<PageShape, { list: string; ordering: Ordering }>, ctx: RequestContext): void {
  if (Array.isArray(value)) {
    for (const item of value) sealPages(selection, item, sealing, ctx);
    return;
  }
  if (!value || typeof value !== 'object' || value instanceof JsonText) return;
  for (const b of selection.below) {
    const child = (value as Record<string, unknown>)[b.key];
    if (!b.page) {
      sealPages(b.selection, child, sealing, ctx);
      continue;
    }
    if (!child || typeof child !== 'object') continue;
    const page = child as Record<string, Array<Record<string, unknown>> & Record<string, unknown>>;
    const how = sealing.get(b.page);
    if (how) {
      const sealed = new Map<string, string>();
      const seal = (position: unknown) => {
        if (!Array.isArray(position)) return null;
        const [v, i] = position as [unknown, string];
        const key = `${String(v)} ${i}`;
        let cursor = sealed.get(key);
        if (cursor === undefined) sealed.set(key, (cursor = ctx.cursors.seal(how.list, how.ordering, v, i)));
        return cursor;
      };
      for (const e of b.page.edges) for (const edge of page[e.key] ?? []) for (const c of e.cursors) edge[c] = seal(edge[c]);
      for (const i of b.page.infos) for (const c of i.cursors) (page[i.key] as Record<string, unknown>)[c] = seal((page[i.key] as Record<string, unknown>)[c]);
    }
    for (const n of b.page.nodes) sealPages(b.selection, page[n], sealing, ctx);
    for (const e of b.page.edges) for (const edge of page[e.key] ?? []) for (const n of e.nodes) sealPages(b.selection, edge[n], sealing, ctx);
  }
}

/** Whether a page below `selection` answers cursors (sealed in Node: the JSON holding it is parsed). */
function sealsBelow(selection: Selection): boolean {
  return selection.below.some((b) => b.page?.seals || sealsBelow(b.selection));
}

/** Calls `visit` with what a page holds of its rows' objects (a list of them, at the path of each), in response order. */
function eachPageValue(shape: PageShape, page: Record<string, unknown>, path: ReadonlyArray<string | number>, visit: (value: unknown, path: ReadonlyArray<string | number>) => void): void {
  for (const n of shape.nodes) visit(page[n], [...path, n]);
  for (const e of shape.edges) {
    const edges = page[e.key];
    if (Array.isArray(edges)) edges.forEach((edge: Record<string, unknown>, i) => e.nodes.forEach((n) => visit(edge[n], [...path, e.key, i, n])));
  }
}

function compileRoot(
  schema: GraphQLSchema,
  catalog: Catalog,
  root: GraphQLObjectType,
  node: FieldNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  coordinates: Coordinates,
): RootStep {
  const name = node.name.value;
  const source = catalog.roots.get(name);
  const field = root.getFields()[name];
  if (!source || !field || !node.selectionSet) return unsupported(`root field ${name}`);
  const responseKey = node.alias?.value ?? name;
  const coordinate = select(coordinates, root.name, name);
  if (coordinate) (isNonNullType(field.type) ? coordinates.nonNullRoots : coordinates.deniable).add(coordinate);
  // What a plan reports it carries is read from its rows, not from the root fields above them.
  if (coordinates.bitOf(coordinate) !== undefined) coordinates.untracked = true;
  return { coordinate, ...coordinates.below(coordinate, () => compileRootSelection(schema, source, field, node, responseKey, fragments, coordinates)) };
}

/** What a root field selects (below its own coordinate). */
function compileRootSelection(
  schema: GraphQLSchema,
  source: RootSource,
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  responseKey: string,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  coordinates: Coordinates,
): Omit<RootStep, 'coordinate'> {
  if (!node.selectionSet) return unsupported('root field without selection');
  if (source.kind !== 'list') {
    return { responseKey, field, node, source, connectionKeys: [], object: compileObject(schema, source.type, node.selectionSet, fragments, coordinates) };
  }
  const connection = getNullableType(field.type) as GraphQLObjectType;
  const connectionKeys: RootStep['connectionKeys'] = [];
  let object: Selection | undefined;
  for (const inner of fieldsIn(connection, node.selectionSet, fragments)) {
    const key = inner.alias?.value ?? inner.name.value;
    if (inner.name.value === '__typename') connectionKeys.push({ key, typename: connection.name });
    else if (inner.name.value === 'nodes' && !object && inner.selectionSet) {
      select(coordinates, connection.name, 'nodes');
      object = compileObject(schema, source.type, inner.selectionSet, fragments, coordinates);
      connectionKeys.push({ key });
    } else if (inner.name.value === 'pageInfo' && inner.selectionSet) {
      select(coordinates, connection.name, 'pageInfo');
      connectionKeys.push({ key, pageInfo: pageInfoKeys(schema, inner.selectionSet, fragments, coordinates) });
    } else if (inner.name.value === 'edges' && inner.selectionSet) {
      // Edges: a sealed cursor per row (sealed in Node, as toPage seals it) and the row's object.
      select(coordinates, connection.name, 'edges');
      const edge = getNamedType(connection.getFields().edges!.type) as GraphQLObjectType;
      const parts = fieldsIn(edge, inner.selectionSet, fragments).map((e) => {
        const name = e.name.value;
        const part = { key: e.alias?.value ?? name, name, ...(name === '__typename' ? { typename: edge.name } : {}) };
        if (name === 'node' && !object && e.selectionSet) {
          select(coordinates, edge.name, 'node');
          object = compileObject(schema, source.type, e.selectionSet, fragments, coordinates);
        } else if (name === 'cursor') select(coordinates, edge.name, 'cursor');
        else if (name !== '__typename') unsupported(`${edge.name}.${name}`);
        return part;
      });
      connectionKeys.push({ key, edges: parts });
    } else unsupported(`${connection.name}.${inner.name.value}`);
  }
  if (!object) return unsupported('connection without nodes');
  return { responseKey, field, node, source, connectionKeys, object };
}

/** Compiles `document`'s operation, or says why any part of it is outside the catalog. */
function compile(schema: GraphQLSchema, catalog: Catalog, document: DocumentNode, operation: OperationDefinitionNode): { steps: RootStep[]; coordinates: Coordinates } | { reason: string } {
  if (operation.operation !== 'query') return { reason: 'not a query' };
  if (operation.directives?.length) return { reason: 'directives' };
  const root = schema.getQueryType();
  if (!root) return { reason: 'no Query type' };
  const fragments = fragmentsOf(document);
  const coordinates = new Coordinates();
  try {
    const steps = fieldsIn(root, operation.selectionSet, fragments).map((node) => {
      if (node.name.value === '__typename' || node.name.value.startsWith('__')) unsupported('introspection at the root');
      return compileRoot(schema, catalog, root, node, fragments, coordinates);
    });
    return steps.length > 0 ? { steps, coordinates } : { reason: 'no root field' };
  } catch (error) {
    if (error instanceof Unsupported) return { reason: error.message };
    throw error;
  }
}

/** A root step's statement for one request: its text, what assembles its rows' objects, and, for a page, how its rows become one. */
interface StepStatement {
  sql: string;
  /** Each parameter's value, of the request (`Render.param`). */
  binders: ReadonlyArray<(q: Request) => unknown>;
  build: Build;
  /** Where a row holds its subject (the column after those `build` reads); its sort value and id follow it on a page whose cursors are sealed. */
  subject: number;
  /** A root list's page: its size, whether it starts after a cursor, whether its rows' cursors are sealed (for `list` in `ordering`). */
  page?: { first: number; after: boolean; cursors: boolean; list: ScopedTable; ordering: Ordering };
  /** The pages below whose cursors are sealed in Node (`sealPages`), each for its list and ordering. */
  sealing: ReadonlyArray<readonly [PageShape, { list: string; ordering: Ordering }]>;
}

/** Templates a root step keeps; past this, they are forgotten and made afresh. */
const TEMPLATES_PER_STEP = 64;

/** A node of a step's templates: the question its requests are asked next and a node per answer, or, when nothing more is asked, the template. */
interface TemplateNode {
  question?: (q: Request) => unknown;
  answers?: Map<unknown, TemplateNode>;
  statement?: StepStatement;
}

/**
 * A root step's statements, rendered once per everything their text depends on. Rendering asks
 * the request each thing the text depends on (`Render.ask`: the view's decisions, whether the
 * run reports what it carries, the scope's shape, the arguments' shape: page size, ordering,
 * a cursor there or not, the filter's members) and binds its values as parameters; the template
 * keeps the questions, in the order they were asked, as a tree by answer. A later request is
 * asked the same questions down that tree and, where its answers lead to a template, gets that
 * text with its own values; elsewhere the statement is rendered for it and kept. Rendering is
 * deterministic in the answers, so the text is the one a fresh render would give the request.
 */
class Templates {
  private root: TemplateNode = {};
  private count = 0;

  constructor(
    private readonly render: (r: Render) => Omit<StepStatement, 'binders' | 'sealing'>,
    /** How many it keeps: none renders every statement afresh. */
    private readonly limit: number,
  ) {}

  /** The statement for `q`; throws NeedsGraphqlJs where graphql-js must answer. */
  for(q: Request): StepStatement {
    let node = this.root;
    while (node.question) {
      const next = node.answers!.get(node.question(q));
      if (next === undefined) return this.add(q);
      node = next;
    }
    return node.statement ?? this.add(q);
  }

  private add(q: Request): StepStatement {
    const asked: Array<readonly [(q: Request) => unknown, unknown]> = [];
    const binders: Array<(q: Request) => unknown> = [];
    // The functions a template keeps may hold on to what rendering used: not to this request.
    let rendering: Request | undefined = q;
    const ask = <T>(question: (q: Request) => T): T => {
      if (rendering === undefined) throw new Error('read plans: a template asked a question after it was rendered');
      const answer = question(rendering);
      asked.push([question, answer]);
      return answer;
    };
    let n = 0;
    // The scope's shape decides the text of every condition and what it carries over
    // (RowScope.shape): asked once, and the conditions read from the request that renders.
    ask(scopeShape);
    const r: Render = {
      next: () => `t${n++}`,
      ask,
      param(value, cast) {
        binders.push(value);
        return `$${binders.length}${cast ? `::${cast}` : ''}`;
      },
      // Every row a statement starts from carries its condition, so a row reached from it over
      // a link the scope carries over is in scope without one.
      scope(table, alias, link) {
        if (rendering === undefined) throw new Error('read plans: a template asked for a scope condition after it was rendered');
        const scope = rendering.ctx.scope;
        if (link !== undefined && scope.carriesOver(link)) return '';
        const sql = scope.condition(table, alias)?.sql;
        return sql === undefined ? '' : ` AND ${scopeParams(sql, binders)}`;
      },
      denied: ask((q) => q.denied),
      masked: ask((q) => q.masked),
      carried: ask((q) => q.carries),
      sealing: new Map(),
    };
    let rendered: Omit<StepStatement, 'binders' | 'sealing'>;
    try {
      rendered = this.render(r);
    } finally {
      rendering = undefined;
    }
    const statement: StepStatement = { ...rendered, binders, sealing: [...r.sealing] };
    if (this.limit === 0) return statement;
    if (this.count >= this.limit) {
      this.root = {};
      this.count = 0;
    }
    let node = this.root;
    for (const [question, answer] of asked) {
      if (!node.question) {
        node.question = question;
        node.answers = new Map();
      }
      let next = node.answers!.get(answer);
      if (next === undefined) node.answers!.set(answer, (next = {}));
      node = next;
    }
    node.statement = statement;
    this.count += 1;
    return statement;
  }
}

/** The question every template asks first: the scope's shape, which decides its conditions' text. */
const scopeShape = (q: Request): string => q.ctx.scope.shape;

/** What stands in for a scope condition's named parameters: each reads as its own name (`scopeParams`). */
const PARAMETER_NAMES = new Proxy({} as Record<string, unknown>, { has: () => true, get: (_target, name) => name });

/**
 * A scope condition's SQL (`:name` parameters) with positional placeholders after the `binders`
 * so far, each bound to the value the request's scope gives its name (toPositional numbers them).
 */
function scopeParams(sql: string, binders: Array<(q: Request) => unknown>): string {
  const names: unknown[] = new Array(binders.length);
  const positional = toPositional(sql, PARAMETER_NAMES, names);
  for (const name of names.slice(binders.length) as string[]) {
    binders.push((q) => {
      const params = q.ctx.scope.params;
      if (!(name in params)) throw new Error(`read plans: the scope gives no value for :${name}`);
      return params[name];
    });
  }
  return positional;
}

/** A root step's statement rendered for the request `r` asks: its text and what assembles its rows. */
function renderStep(step: RootStep, catalog: Catalog, r: Render): Omit<StepStatement, 'binders' | 'sealing'> {
  const { field, node } = step;
  const type = step.source.type;
  const t = r.next();
  const row: RowSql = { columns: [], joins: [], joined: new Map(), words: 0 };
  // The subject first: its join of the row's order (no condition) is the one an `order`
  // reached over a link the scope carries over shares.
  const subject = type.subjectViaOrder ? `${joinOnce(row, r, catalog.order, t, type.subjectViaOrder, () => '')}."customer_id"` : type.subject(t);
  const build = renderRow(step.object, t, r, row);
  // Every key of the row may be denied: it then reads no column, only its subject.
  const head = `SELECT ${[...row.columns, `${subject} AS subject`].join(', ')}`;
  const at = row.columns.length;
  let sql = ` FROM ${type.reader.table} ${t}${row.joins.join('')} WHERE TRUE`;
  if (step.source.kind === 'byId') {
    const id = r.param((q) => {
      const value = q.args(field, node).id;
      if (typeof value !== 'string' || !UUID.test(value)) throw new NeedsGraphqlJs();
      return value.toLowerCase();
    }, 'uuid');
    return { sql: `${head}${sql} AND ${t}."id" = ${id}${r.scope(type.table, t)}`, build, subject: at };
  }
  if (step.source.kind === 'rows') {
    const { orderBy, limit, where, check } = step.source;
    // A member the caller may not send is refused on graphql-js, with its FORBIDDEN and its audit record.
    r.ask((q) => {
      if (check(q.args(field, node), q.ctx.policy.decideArgument)) throw new NeedsGraphqlJs();
    });
    const order = orderBy.map(([column, direction]) => `${t}.${column} ${direction}`).join(', ');
    // The conditions its arguments add are text: asked.
    return { sql: `${head}${sql}${r.scope(type.table, t)}${where ? r.ask((q) => where(q.args(field, node), t)) : ''} ORDER BY ${order}${limit ? ` LIMIT ${limit}` : ''}`, build, subject: at };
  }
  const source = step.source;
  const first = r.ask((q) => pageSize(q.args(field, node).first));
  // A filter member or ordering the caller may not send is refused on graphql-js, by the same
  // check (argument-rules.ts), with its FORBIDDEN and its audit record.
  r.ask((q) => {
    if (source.check(q.args(field, node), q.ctx.policy.decideArgument)) throw new NeedsGraphqlJs();
  });
  const ordering = r.ask((q) => source.orderings.pick(q.args(field, node).orderBy as string | null | undefined, q.ctx.policy.decideArgument));
  sql += r.scope(type.table, t);
  sql += filterSql(source.filter, type, t, (q) => q.args(field, node).filter, r);
  const column = `${t}.${type.reader.column(ordering.property)}`;
  const after = r.ask((q) => q.args(field, node).after != null);
  if (after) sql += ` AND (${column}, ${t}."id") ${afterPosition(field, node, type.table, ordering, r)}`;
  // Cursors are sealed in Node from each row's sort value and id (`run`).
  const cursors = step.connectionKeys.some((k) => k.edges?.some((e) => e.name === 'cursor') || k.pageInfo?.some((p) => p.name === 'startCursor' || p.name === 'endCursor'));
  sql = `${head}${cursors ? `, ${column} AS sort_v, ${t}."id" AS sort_i` : ''}${sql}`;
  // One row more tells whether there is a next page, when that is asked.
  const limit = first + (step.connectionKeys.some((k) => k.pageInfo?.some((p) => p.name === 'hasNextPage')) ? 1 : 0);
  // The page size is written into the statement, not sent as a parameter: with LIMIT $n
  // PostgreSQL cannot cost a generic plan (it assumes a tenth of the rows) and so plans
  // every execution afresh, 0.15-0.35 ms of its CPU per page. `first` is an integer
  // from 1 to MAX_PAGE_SIZE (pageSize), so the text stays safe and the prepared
  // statements few: one per page size in use.
  sql += ` ORDER BY ${column} ${ordering.direction}, ${t}."id" ${ordering.direction} LIMIT ${limit}`;
  return { sql, build, subject: at, page: { first, after, cursors, list: type.table, ordering } };
}

/** Distinct statement texts sent as prepared statements; past this, statements are sent unprepared (each connection keeps what it prepares). */
const MAX_PREPARED_PLANS = 200;

export interface ReadPlansOptions {
  /** Whether statements are kept as templates (`Templates`); false renders each afresh, as tests compare them. Default true. */
  templates?: boolean;
}

export class ReadPlans {
  private readonly catalog: Catalog;
  private readonly prepared = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly ds: DataSource,
    private readonly options: ReadPlansOptions = {},
  ) {
    this.catalog = new Catalog(schema, ds);
  }

  /** The fields of `typeName` a plan reads (none for a type it does not reach), and the root fields it compiles under `Query`. */
  compiledFields(typeName: string): ReadonlySet<string> {
    if (typeName === this.schema.getQueryType()?.name) return new Set(this.catalog.roots.keys());
    const fields = new Map<string, ReadonlySet<string>>();
    const visit = (shape: ObjectShape) => {
      if (fields.has(shape.typeName)) return;
      fields.set(shape.typeName, new Set(shape.fields.keys()));
      for (const source of shape.fields.values()) {
        if (source.kind === 'entries') fields.set(source.typeName, ENTRY_FIELDS);
        else if (source.kind !== 'column') visit(source.target);
      }
    };
    for (const root of this.catalog.roots.values()) visit(root.type);
    return fields.get(typeName) ?? new Set();
  }

  /** Why `operation` has no plan (it runs on graphql-js), or undefined when it has one. */
  reasonFor(document: DocumentNode, operation: OperationDefinitionNode): string | undefined {
    const compiled = compile(this.schema, this.catalog, document, operation);
    return 'reason' in compiled ? compiled.reason : undefined;
  }

  /** The plan of `operation`, or undefined when it must run on graphql-js. Pure: cache the answer per document. */
  planFor(document: DocumentNode, operation: OperationDefinitionNode): ReadPlan | undefined {
    const compiled = compile(this.schema, this.catalog, document, operation);
    if ('reason' in compiled) return undefined;
    const { steps, coordinates } = compiled;
    const schema = this.schema;
    const catalog = this.catalog;
    const ds = this.ds;
    const prepared = this.prepared;
    const maskable = steps.some((step) => canMask(step.object));
    const finishing = steps.filter((step) => finishesBelow(step.object));
    const decisions = new BoundedCache<PlanDecision>(DECISIONS_PER_PLAN);
    const templates = steps.map((step) => new Templates((r) => renderStep(step, catalog, r), this.options.templates === false ? 0 : TEMPLATES_PER_STEP));
    const decide = (view: PolicyView): PlanDecision => decisions.getOrCompute(view.key, () => decidePlan(coordinates, view, steps));
    const readsDeniedOnly = coordinates.deniedOnly.size > 0;
    return {
      unusableFor(view) {
        if (!view) return readsDeniedOnly ? `${[...coordinates.deniedOnly].join(', ')} not compiled, and not denied` : undefined;
        const decision = decide(view);
        if (decision.unusable !== undefined) return decision.unusable;
        if (decision.records.includes(undefined)) return 'whose data it is depends on rows below a root row';
        return undefined;
      },
      async run(ctx, rawVariables, options = {}) {
        // With the field rules (protections on, a field denied or masked): a denied field is null
        // with its FORBIDDEN in its place, masked ones are masked below, in one pass over the
        // result. Without them nothing is denied, so a field read only where it is denied cannot be.
        const decision = options.masking ? decide(ctx.policy) : undefined;
        if (decision ? decision.unusable !== undefined : readsDeniedOnly) return undefined;
        const denied = decision?.denied ?? NOTHING;
        // Whether each root row's subject is recorded: with the field rules, graphql-js records an
        // object when a field of it that is not structure is allowed (field-rules.ts).
        // Without them, every root row's subject is.
        const records = decision?.records;
        if (records?.includes(undefined)) return undefined;
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
        if (coerced.errors) return undefined;
        const masking = decision !== undefined && decision.masked.size > 0 && maskable;
        const masked = masking ? decision.masked : NOTHING;
        // The JSON PostgreSQL built (lists and pages) stays text, for the body, unless masks apply
        // to a list (it is parsed, to be masked in Node) or the caller wants objects.
        const text = options.jsonText === true;
        let carriesText = false;
        const json: JsonCell = text ? (value, parse) => (parse ? JSON.parse(value) : ((carriesText = true), new JsonText(value))) : (value) => JSON.parse(value) as unknown;
        const carried = options.audited && !coordinates.untracked ? { bits: 0n, seen: new Uint8Array(coordinates.tracked.length) } : undefined;

        const argsOf = new Map<FieldNode, Record<string, unknown> | undefined>();
        const positions = new Map<FieldNode, { v: unknown; i: unknown }>();
        const request: Request = {
          ctx,
          args(field, node) {
            let args = argsOf.get(node);
            if (args === undefined && !argsOf.has(node)) {
              try {
                args = getArgumentValues(field, node, coerced.coerced);
              } catch {
                args = undefined;
              }
              argsOf.set(node, args);
            }
            if (args === undefined) throw new NeedsGraphqlJs();
            return args;
          },
          position(field, node, list, ordering) {
            let position = positions.get(node);
            if (position === undefined) {
              try {
                const args = request.args(field, node);
                position = ctx.cursors.open(args.after as string, cursorList(list, args.filter), ordering);
              } catch {
                throw new NeedsGraphqlJs(); // graphql-js refuses it with its BAD_USER_INPUT
              }
              positions.set(node, position);
            }
            return position;
          },
          denied,
          masked,
          carries: carried !== undefined,
        };
        const sealing = new Map<PageShape, { list: string; ordering: Ordering }>();
        const statements: Array<{ sql?: string; values: unknown[]; step: RootStep; build: Build; subject: number; page?: { first: number; after: boolean; seal?: (row: Row) => string } }> = [];
        for (const [i, step] of steps.entries()) {
          let statement: StepStatement;
          let values: unknown[];
          try {
            // graphql-js reports arguments it refuses where they belong, with the field's path.
            request.args(step.field, step.node);
            if (step.coordinate !== undefined && denied.has(step.coordinate)) {
              statements.push({ values: [], step, build: () => ({}), subject: 0 }); // null, and its FORBIDDEN
              continue;
            }
            statement = templates[i]!.for(request);
            values = statement.binders.map((value) => value(request));
          } catch (error) {
            if (error instanceof NeedsGraphqlJs) return undefined; // graphql-js reports it where it belongs
            throw error;
          }
          for (const [shape, how] of statement.sealing) sealing.set(shape, how);
          const page = statement.page;
          if (!page) {
            statements.push({ sql: statement.sql, values, step, build: statement.build, subject: statement.subject });
            continue;
          }
          // Cursors are sealed in Node from each row's sort value and id, as toPage seals them
          // (pagination.ts): one cursor per row, whichever edge or pageInfo field names it.
          const sealed = new Map<Row, string>();
          const { ordering } = page;
          // Sealed for the list under the filter it was read with, as pagination.ts seals a page's cursors.
          const list = cursorList(page.list, request.args(step.field, step.node).filter);
          const sort = statement.subject + 1;
          const seal = (row: Row) => {
            let cursor = sealed.get(row);
            if (cursor === undefined) sealed.set(row, (cursor = ctx.cursors.seal(list, ordering, row[sort], row[sort + 1] as string)));
            return cursor;
          };
          statements.push({ sql: statement.sql, values, step, build: statement.build, subject: statement.subject, page: { first: page.first, after: page.after, ...(page.cursors ? { seal } : {}) } });
        }
        const results = await Promise.allSettled(
          statements.map(async ({ sql, values }) => {
            if (sql === undefined) return [];
            if (!prepared.has(sql) && prepared.size < MAX_PREPARED_PLANS) prepared.add(sql);
            return readRowArrays(ds, sql, values, { prepared: prepared.has(sql) });
          }),
        );
        const data: Record<string, unknown> = {};
        // A statement that failed is its root field's error, at its path, as a resolver's failure
        // is on graphql-js (masked on the way out); a root that may not be null nulls `data`.
        const failed: GraphQLError[] = [];
        let failedNonNull = false;
        statements.forEach(({ sql, step, build, subject, page }, i) => {
          const settled = results[i]!;
          if (sql === undefined || settled.status === 'rejected') {
            data[step.responseKey] = null;
            if (settled.status === 'rejected') {
              failed.push(locatedError(settled.reason, step.node, [step.responseKey]));
              failedNonNull ||= isNonNullType(step.field.type);
            }
            return;
          }
          const read = settled.value;
          const rows = page ? read.slice(0, page.first) : read;
          if (records === undefined || records[i]) {
            const subjects: string[] = [];
            for (const row of rows) if (typeof row[subject] === 'string') subjects.push(row[subject] as string);
            ctx.disclosures.subjectsOfRows(subjects);
          }
          const env: BuildEnv = { json, carried, words: [] };
          const nodes = rows.map((row) => build(row, env));
          if (step.source.kind === 'rows') {
            data[step.responseKey] = nodes;
          } else if (!page) {
            data[step.responseKey] = nodes[0] ?? null;
          } else {
            const connection: Record<string, unknown> = {};
            for (const k of step.connectionKeys) {
              if (k.typename) connection[k.key] = k.typename;
              else if (k.pageInfo) {
                const info: Record<string, unknown> = {};
                for (const p of k.pageInfo) {
                  const edge = p.name === 'startCursor' ? rows[0] : p.name === 'endCursor' ? rows[rows.length - 1] : undefined;
                  if (p.name === 'startCursor' || p.name === 'endCursor') info[p.key] = edge ? page.seal!(edge) : null;
                  else info[p.key] = p.name === 'hasNextPage' ? read.length > page.first : p.name === 'hasPreviousPage' ? page.after : 'PageInfo';
                }
                connection[k.key] = info;
              } else if (k.edges) {
                const edges: EdgesOf = { rows, nodes, seal: page.seal };
                const edge = edgeShape(k.edges);
                connection[k.key] = rows.map((_row, n) => edge(n, edges));
              } else connection[k.key] = nodes;
            }
            data[step.responseKey] = connection;
          }
        });
        if (finishing.length > 0) {
          const pending: Array<Promise<void>> = [];
          const push = (error: GraphQLError) => void failed.push(error);
          for (const step of finishing) eachRootValue(step, data[step.responseKey], (value, path) => finishValues(step.object, value, path, denied, ctx, pending, push));
          if (pending.length > 0) await Promise.all(pending);
        }
        if (sealing.size > 0) for (const step of steps) eachRootValue(step, data[step.responseKey], (value) => sealPages(step.object, value, sealing, ctx));
        if (decision && decision.masked.size > 0) {
          for (const coordinate of decision.masked) ctx.disclosures.mask(coordinate);
          if (masking) for (const step of steps) eachRootValue(step, data[step.responseKey], (value) => applyMasks(step.object, value, masked));
        }
        const out = { data: carriesText ? carryingJsonText(data) : data };
        if (carried) {
          const carriedCoordinates = new Set<string>();
          for (let i = 0; i < coordinates.tracked.length; i++) if (carried.seen[i] === 1 || (carried.bits >> BigInt(i)) & 1n) carriedCoordinates.add(coordinates.tracked[i]!);
          // For this very `data` (a denied root field that may not be null answers none: below).
          ctx.disclosures.carriedByPlan(out.data, carriedCoordinates);
        }
        if (denied.size === 0 && failed.length === 0) return out;
        // Each denied field where graphql-js would reach it: null (the statement's, or Node's) and
        // its FORBIDDEN, as the field rule raises it (field-rules.ts), in response order.
        const errors: GraphQLError[] = [...failed];
        const deny = (coordinate: string, node: FieldNode, path: ReadonlyArray<string | number>) => {
          ctx.disclosures.deny(coordinate);
          errors.push(locatedError(forbidden(deniedMessage(coordinate)), node, path));
        };
        for (const step of steps) {
          if (step.coordinate !== undefined && denied.has(step.coordinate)) deny(step.coordinate, step.node, [step.responseKey]);
          else if (holdsAny(step.object, denied)) eachRootValue(step, data[step.responseKey], (value, path) => denyBelow(step.object, value, path, denied, deny));
        }
        // A denied root field that may not be null (the only one: decidePlan) nulls the whole data.
        if (failedNonNull || steps.some((step) => step.coordinate !== undefined && denied.has(step.coordinate) && coordinates.nonNullRoots.has(step.coordinate))) return { data: null, errors };
        return errors.length > 0 ? { ...out, errors } : out;
      },
    };
  }
}

