/**
 * The loaders' read path, without TypeORM's query builder and hydrator: what a request spends
 * per row matters when one request reads hundreds of rows.
 *
 * `rowReader(ds, entity)` works out once per entity, from TypeORM's own metadata, the column list
 * to select and how a raw `pg` row becomes the entity object `getMany()` would have returned
 * (same properties, embedded objects, null handling and value conversion: columns whose raw `pg`
 * value is already what TypeORM hydrates are copied, every other column goes through the
 * driver's `prepareHydratedValue`, transformers included). `readRows` runs one statement — in
 * the request's transaction once it is open (request-transaction.ts), else on the data source's
 * read pool; as a named prepared statement when the caller says the text is one of a fixed set
 * (PostgreSQL then parses it once per connection) — and keeps what the TypeORM path gave: the
 * SQL statement counter, replica routing, and slow or failed statements reported to the data
 * source's logger.
 */
import { createHash } from 'node:crypto';
import type { Pool, QueryArrayConfig, QueryConfig } from 'pg';
import { BoundedCache } from './bounded-cache';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { DriverUtils } from 'typeorm/driver/DriverUtils';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { RequestTransaction } from './request-transaction';
import { recordSqlStatement } from './sql-counter';

export interface RowReader<E> {
  /** The quoted table name. */
  table: string;
  /** The select list for table alias `alias`, e.g. `t."id", t."order_id"`. */
  columns(alias: string): string;
  /** The quoted database column of an entity property path, e.g. `shipping.city` -> `"ship_city"`. */
  column(propertyPath: string): string;
  /** The entity object of one raw row selected with `columns()`. */
  toEntity(row: Record<string, unknown>): E;
  /** The entity object of one raw row TypeORM's query builder selected (`<alias>_<column>` names). */
  toEntityFromAliased(row: Record<string, unknown>, alias: string): E;
}

/** Column types whose raw `pg` value is exactly what TypeORM's PostgreSQL driver hydrates. */
const RAW_IS_HYDRATED = new Set([
  'uuid', 'varchar', 'character varying', 'char', 'character', 'text', 'citext',
  'smallint', 'int2', 'integer', 'int', 'int4', 'bigint', 'int8', 'numeric', 'decimal',
  'boolean', 'bool', 'json', 'jsonb', 'timestamptz', 'timestamp with time zone',
]);

interface Slot {
  name: string;
  /** Property names from the entity down to the value: `['shipping', 'city']`. */
  path: string[];
  /** Prototypes of the objects along `path` (the embedded classes). */
  embedded: object[];
  convert?: (value: unknown) => unknown;
}

const readers = new WeakMap<DataSource, Map<EntityTarget<ObjectLiteral>, RowReader<ObjectLiteral>>>();

function slotOf(ds: DataSource, column: ColumnMetadata): Slot {
  const embedded: object[] = [];
  for (let e = column.embeddedMetadata; e; e = e.parentEmbeddedMetadata) embedded.unshift((e.type as { prototype: object }).prototype);
  const type = typeof column.type === 'string' ? column.type : undefined;
  const enumArray = column.isArray && (type === 'enum' || type === 'simple-enum');
  const raw = type !== undefined && !column.transformer && !enumArray && (type === 'enum' || RAW_IS_HYDRATED.has(type));
  return {
    name: column.databaseName,
    path: column.propertyPath.split('.'),
    embedded,
    convert: raw ? undefined : (value) => ds.driver.prepareHydratedValue(value, column),
  };
}

export function rowReader<E extends ObjectLiteral>(ds: DataSource, entity: EntityTarget<E>): RowReader<E> {
  let perSource = readers.get(ds);
  if (!perSource) readers.set(ds, (perSource = new Map()));
  const known = perSource.get(entity as EntityTarget<ObjectLiteral>);
  if (known) return known as RowReader<E>;

  const metadata = ds.getMetadata(entity);
  // What getMany() selects: every selectable column that is a property of the entity.
  const slots = metadata.columns.filter((c) => c.isSelect && !c.isVirtual).map((c) => slotOf(ds, c));
  const prototype = typeof metadata.target === 'function' ? (metadata.target.prototype as object) : Object.prototype;
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

  const build = (row: Record<string, unknown>, names: readonly string[]): E => {
    const entityObject = Object.create(prototype) as Record<string, unknown>;
    for (let s = 0; s < slots.length; s++) {
      const slot = slots[s]!;
      let value = row[names[s]!];
      if (value === undefined) continue;
      if (slot.convert) value = slot.convert(value);
      let target = entityObject;
      for (let i = 0; i < slot.path.length - 1; i++) {
        const key = slot.path[i]!;
        target = (target[key] ??= Object.create(slot.embedded[i]!)) as Record<string, unknown>;
      }
      target[slot.path[slot.path.length - 1]!] = value;
    }
    return entityObject as E;
  };

  const plainNames = slots.map((s) => s.name);
  // TypeORM's select aliases: `<alias>_<column>`, hashed when longer than PostgreSQL allows.
  const aliasedNames = new Map<string, string[]>();
  const namesFor = (alias: string) => {
    let names = aliasedNames.get(alias);
    if (!names) aliasedNames.set(alias, (names = slots.map((s) => DriverUtils.buildAlias(ds.driver, undefined, alias, s.name))));
    return names;
  };

  const reader: RowReader<E> = {
    table: quote(metadata.tableName),
    columns: (alias) => slots.map((s) => `${alias}.${quote(s.name)}`).join(', '),
    column(propertyPath) {
      const column = metadata.findColumnWithPropertyPath(propertyPath);
      if (!column) throw new Error(`rowReader: ${propertyPath} is not a column of ${metadata.tableName}`);
      return quote(column.databaseName);
    },
    toEntity: (row) => build(row, plainNames),
    toEntityFromAliased: (row, alias) => build(row, namesFor(alias)),
  };
  perSource.set(entity as EntityTarget<ObjectLiteral>, reader as unknown as RowReader<ObjectLiteral>);
  return reader;
}

/**
 * `:name` parameters (as row-scope conditions write them) to `$n`, appending their values to
 * `values`. `::type` casts are left alone.
 */
export function toPositional(sql: string, params: Record<string, unknown>, values: unknown[]): string {
  return sql.replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_match, name: string) => {
    if (!(name in params)) throw new Error(`toPositional: no value for :${name}`);
    values.push(params[name]);
    return `$${values.length}`;
  });
}

/** Where reads go: a replica when TypeORM replication is configured (as its query builder picks), else the primary. */
function readPoolOf(ds: DataSource): Pool {
  const driver = ds.driver as unknown as { master?: Pool; slaves?: Pool[] };
  if (!ds.isInitialized || !driver.master) throw new Error('readRows: expected an initialized PostgreSQL data source');
  const replicas = driver.slaves ?? [];
  return replicas.length > 0 ? replicas[Math.floor(Math.random() * replicas.length)]! : driver.master;
}

/** Names of prepared statement texts, kept for the texts in use (a fixed, small set; bounded all the same). */
const statementNames = new BoundedCache<string>(1000);

/** A stable prepared-statement name for a statement text: the same text always gets the same name. */
function statementName(sql: string): string {
  return statementNames.getOrCompute(sql, () => `ntk_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`);
}

interface ReadOptions {
  prepared?: boolean;
  transaction?: RequestTransaction;
}

/**
 * Runs one read statement and returns its rows. `prepared: true` only for texts from a fixed,
 * small set: each connection keeps every statement it has prepared. Once the request's
 * `transaction` is open the statement runs in it, on the primary: a request that has written
 * reads what it wrote.
 */
export async function readRows(ds: DataSource, sql: string, values: unknown[], options: ReadOptions = {}): Promise<Array<Record<string, unknown>>> {
  return (await read(ds, sql, values, options, false)) as Array<Record<string, unknown>>;
}

/**
 * `readRows`, each row an array of its cells in the order the statement selects them. pg makes
 * an object row as a copy of one object per row, a copy V8 makes on its slow path once the
 * process has read rows of more than a few shapes; an array is made as it is filled.
 */
export async function readRowArrays(ds: DataSource, sql: string, values: unknown[], options: ReadOptions = {}): Promise<unknown[][]> {
  return (await read(ds, sql, values, options, true)) as unknown[][];
}

async function read(ds: DataSource, sql: string, values: unknown[], options: ReadOptions, arrays: boolean): Promise<unknown[]> {
  recordSqlStatement(sql);
  const started = performance.now();
  try {
    const name = options.prepared ? statementName(sql) : undefined;
    let statement: QueryConfig | QueryArrayConfig;
    if (arrays) statement = name ? { name, text: sql, values, rowMode: 'array' } : { text: sql, values, rowMode: 'array' };
    else statement = name ? { name, text: sql, values } : { text: sql, values };
    const result = await (options.transaction?.isOpen ? options.transaction.query(statement) : readPoolOf(ds).query(statement));
    return result.rows as unknown[];
  } catch (error) {
    // Parameters stay out of logs: they may carry personal data.
    ds.logger.logQueryError(error as Error, sql);
    throw error;
  } finally {
    const ms = performance.now() - started;
    const slow = ds.options.maxQueryExecutionTime;
    if (slow && ms > slow) ds.logger.logQuerySlow(ms, sql);
  }
}
