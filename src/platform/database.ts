/**
 * The TypeORM data source. Migrations, never `synchronize`: the schema is what the migrations
 * in `src/platform/migrations` make it, and a test proves the entities agree with them.
 *
 * Faults. Every wait on the database is bounded, so a database that is down or hung fails a
 * request quickly (SERVICE_UNAVAILABLE, db-errors.ts) instead of holding it: a connection, or a
 * free slot of the pool, is waited for at most `connectTimeoutMs`; a statement's answer at most
 * the statement timeout plus two seconds, after which the connection is closed (gatewayClient:
 * PostgreSQL's own `statement_timeout` cannot fire in a server that is stopped). A connection
 * the server drops — a restart, a crash, `pg_terminate_backend` — is discarded by the pool: an
 * idle one at once (the pool's error handler here logs it), a checked-out one when its holder
 * releases it (every client listens for its own 'error', so the event never goes unheard and
 * never ends the process). The next request opens a new connection, so the process recovers by
 * itself as soon as the database answers again.
 */
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import pg from 'pg';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { SnakeNamingStrategy } from './naming-strategy';
import { CountingTypeOrmLogger } from './sql-counter';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
  /** How long an idle pooled connection stays open, in ms; 0 keeps it open. Default 10000 (pg's). */
  idleTimeoutMs?: number;
  /** How long to wait for a connection (a new one, or a free one of a full pool), in ms. Default 5000. */
  connectTimeoutMs?: number;
  onProblem?: (message: string, detail: Record<string, unknown>) => void;
  /** TLS to the server (tls.ts, databaseSslOptions); undefined leaves it to the connection string. */
  ssl?: false | ConnectionOptions;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** How much longer than the statement timeout a statement's answer is awaited before its connection is closed. */
export const ANSWER_GRACE_MS = 2000;

/** What a statement fails with when its connection was closed for want of an answer (db-errors.ts: unavailable). */
export const NO_ANSWER_MESSAGE = 'Query read timeout: the database did not answer, the connection was closed';

/**
 * The pool's pg client, with two changes.
 *
 * It always listens for its own 'error' event. A client checked out of the pool has no listener
 * of the pool's; its holder adds one, but one that takes it through a promise (TypeORM's query
 * runners, the audit writer) adds it a microtask later, and when the server ends the session in
 * that gap — the same network read that completed the hand-over can carry the termination —
 * the event would have no listener and end the process. Nothing is lost by listening here: a
 * client that failed is not queryable, every statement sent to it fails with the error, and the
 * pool discards it when it is released.
 *
 * It closes its connection when a statement gets no answer within `answerTimeoutMs`. pg's own
 * `query_timeout` fails the statement but keeps the connection, which then goes back to the pool
 * with the statement — or the transaction it was part of — still open on the server; closing it
 * makes every holder see a connection error and the pool discard it. The time counts from the
 * call, so a statement queued behind another on the same client waits for both.
 */
function gatewayClient(answerTimeoutMs: number): typeof pg.Client {
  type Callback = (...args: unknown[]) => unknown;
  return class GatewayClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', () => undefined);
    }

    override query(...args: any[]): any {
      const [config, values, callback] = args as [{ submit?: unknown; callback?: Callback } | string | null | undefined, unknown, unknown];
      if (config == null || (typeof config === 'object' && typeof config.submit === 'function')) return (super.query as Callback)(...args);
      const connection = (this as unknown as { connection?: { stream?: { destroy(error: Error): void } } }).connection;
      const timer = setTimeout(() => connection?.stream?.destroy(new Error(NO_ANSWER_MESSAGE)), answerTimeoutMs);
      timer.unref();
      const done = () => clearTimeout(timer);
      const wrap = (cb: Callback): Callback => (...results) => {
        done();
        return cb(...results);
      };
      try {
        const statement = typeof config === 'object' ? statementOfText(config as Record<string, unknown>, values) : undefined;
        if (statement) {
          const given = typeof values === 'function' ? values : callback;
          if (typeof given === 'function') {
            statement.callback = wrap(given as Callback);
            (super.query as Callback)(statement);
            return undefined;
          }
          // As pg answers an object without a callback: a promise, its error's stack leading back to the caller.
          return new Promise((resolve, reject) => {
            statement.callback = (error: Error | undefined, result: unknown) => {
              done();
              if (error) reject(error);
              else resolve(result);
            };
            try {
              (super.query as Callback)(statement);
            } catch (error) {
              done();
              reject(error);
            }
          }).catch((error: Error) => {
            Error.captureStackTrace(error);
            throw error;
          });
        }
        if (typeof values === 'function') return (super.query as Callback)(config, wrap(values as Callback));
        if (typeof callback === 'function') return (super.query as Callback)(config, values, wrap(callback as Callback));
        if (typeof config === 'object' && typeof config.callback === 'function') return (super.query as Callback)({ ...config, callback: wrap(config.callback) }, values);
        const result = (super.query as Callback)(config, values) as Promise<unknown>;
        result.then(done, done);
        return result;
      } catch (error) {
        done();
        throw error;
      }
    }
  } as unknown as typeof pg.Client;
}

/** What a statement the gateway sends may hold: anything else goes to pg as it is. */
const STATEMENT_KEYS = new Set(['name', 'text', 'values', 'rowMode']);

/** What of a pg Query a statement made from its text sets after it is made (pg 8.23's own fields). */
type TextQuery = pg.Query & { name?: string; callback?: unknown; types?: unknown; _rowMode?: string; _result?: unknown; _results?: unknown };

/** A statement's column as pg's RowDescription gives it. */
interface PgField {
  name: string;
  dataTypeID: number;
  format?: 'text' | 'binary';
}

/** A type parser source as pg takes it (a query's own `types`, else pg-types). */
interface PgTypes {
  getTypeParser(oid: number, format: 'text' | 'binary'): (value: unknown) => unknown;
}

/** pg's Result (exported, not typed): what parses a statement's rows. */
const PgResult = (pg as unknown as { Result: new (rowMode: string | undefined, types: unknown) => { fields: PgField[]; _parsers?: unknown[]; _types?: PgTypes } })
  .Result;

/**
 * pg's Result for rows as arrays, taking a statement's columns without the empty object row pg
 * prepares for object rows. pg (8.23) builds that object on every RowDescription, once per
 * statement run, as a null-prototype object copied by spread: V8 copies such an object on its slow
 * path (about 20 k instructions for a point read's ten columns), and a result of array rows never
 * uses it. Fields and their type parsers are set as pg sets them.
 */
class ArrayRowResult extends PgResult {
  addFields(fields: PgField[]): void {
    this.fields = fields;
    if (fields.length) this._parsers = new Array(fields.length);
    const source: PgTypes = this._types ?? (pg.types as PgTypes);
    for (let i = 0; i < fields.length; i++) this._parsers![i] = source.getTypeParser(fields[i].dataTypeID, fields[i].format || 'text');
  }
}

/** pg's Connection, as far as a statement run on it is concerned (pg 8.23). */
interface PgConnection {
  parse(config: { text: string; name: string | undefined; types: unknown }): void;
  bind(config: { portal: string; statement: string | undefined; values: unknown; binary: unknown; valueMapper: unknown }): void;
  describe(config: { type: 'P'; name: string }): void;
  sync(): void;
  /** Named statements PostgreSQL parsed on this connection, and those whose Parse is on its way. */
  submittedNamedStatements: Record<string, string>;
}

/** pg's value mapper for a statement's parameters, what its own prepare binds with (pg/lib/utils, not typed). */
const { prepareValue } = require('pg/lib/utils') as { prepareValue: unknown };

/** The columns of each named statement run on a connection, as PostgreSQL first described them. */
const describedOn = new WeakMap<PgConnection, Map<string, PgField[]>>();

/**
 * pg's Query, less the Describe of a named statement whose columns this connection already
 * knows. pg (8.23) asks PostgreSQL to describe the portal on every run, and parses the columns'
 * RowDescription again each time (names, types and formats: about 15 k instructions for a point
 * read's ten columns, and the server's work to write it). A named statement's columns are fixed
 * once it is prepared on a connection (should a table change under it, PostgreSQL refuses to run
 * it: "cached plan must not change result type"), so they are kept per connection and statement
 * name from the first RowDescription and handed to the result as pg hands it a fresh one. A
 * statement PostgreSQL answered without columns (NoData) is described every time.
 *
 * A value that cannot be bound (pg's value mapper throws: an object JSON cannot write, a
 * `toPostgres` that throws) fails the run before anything of it is sent but its Parse. pg (8.23)
 * then closes the named statement on the server and yet counts it as parsed (its ParseComplete
 * arrives after the Close was queued), so every later run of that name on the connection failed
 * with "prepared statement does not exist". Here the statement is left as parsed, on the server
 * as in pg's record of it, and the run fails alone: the next run binds it again.
 */
class DescribedQuery extends pg.Query {
  /** The connection this run asked to describe the statement on (kept from its first RowDescription). */
  private describing?: PgConnection;

  prepare(connection: PgConnection): void {
    const self = this as unknown as TextQuery & {
      text: string;
      portal: string;
      values: unknown;
      binary: unknown;
      rows: unknown;
      types: unknown;
      hasBeenParsed(connection: PgConnection): boolean;
      handleError(error: unknown, connection: PgConnection): void;
      _getRows(connection: PgConnection, rows: unknown): void;
    };
    const fields = self.name === undefined ? undefined : describedOn.get(connection)?.get(self.name);
    // pg's prepare: Parse unless parsed, Bind, Describe (unless the columns are known), Execute, Sync.
    if (!self.hasBeenParsed(connection)) {
      connection.parse({ text: self.text, name: self.name, types: self.types });
      if (self.name) connection.submittedNamedStatements[self.name] = self.text;
    }
    try {
      connection.bind({ portal: self.portal, statement: self.name, values: self.values, binary: self.binary, valueMapper: prepareValue });
    } catch (error) {
      // Nothing of the run was sent but its Parse, which stands: end the exchange, fail the run.
      connection.sync();
      self.handleError(error, connection);
      return;
    }
    if (fields === undefined) {
      this.describing = connection;
      connection.describe({ type: 'P', name: self.portal || '' });
    } else this.handleRowDescription({ fields });
    self._getRows(connection, self.rows);
  }

  handleRowDescription(message: { fields: PgField[] }): void {
    (pg.Query.prototype as unknown as { handleRowDescription(message: { fields: PgField[] }): void }).handleRowDescription.call(this, message);
    const name = (this as unknown as TextQuery).name;
    if (this.describing === undefined || name === undefined) return;
    let known = describedOn.get(this.describing);
    if (known === undefined) describedOn.set(this.describing, (known = new Map()));
    known.set(name, message.fields);
    this.describing = undefined;
  }
}

/**
 * A statement given as `{ text, values?, name?, rowMode? }` (readRows, the audit writer), as the
 * Query pg would make of it. pg (8.23) copies an object it is given through its property
 * descriptors before reading three fields (about 19 k instructions a statement, most of a point
 * read's statement on the Node side); a Query made from the text alone is not copied, and takes
 * the name (a prepared statement) once made. Values given beside the object win, as in pg.
 * `rowMode: 'array'` (compiled reads: pg then makes each row an array, not a copy of an object
 * per row) is set as pg's constructor sets it: its row mode and the result that parses its rows
 * (pg's, less the object row it would not use: ArrayRowResult);
 * test/platform/database-statements.test.ts holds pg to it.
 */
function statementOfText(config: Record<string, unknown>, values: unknown): TextQuery | undefined {
  if (typeof config.text !== 'string' || Object.getPrototypeOf(config) !== Object.prototype) return undefined;
  for (const key in config) if (!STATEMENT_KEYS.has(key)) return undefined;
  if (config.rowMode !== undefined && config.rowMode !== 'array') return undefined;
  const statement = new DescribedQuery(config.text, (values && typeof values !== 'function' ? values : config.values) as unknown[] | undefined) as TextQuery;
  if (config.name !== undefined) statement.name = config.name as string;
  if (config.rowMode === 'array') {
    statement._rowMode = 'array';
    statement._result = statement._results = new ArrayRowResult('array', statement.types);
  }
  return statement;
}

/** A data source over `options.url` with `entities` (src/data-source.ts names the gateway's). */
export function buildDataSource(options: DataSourceOptions, entities: MixedList<Function | string | EntitySchema>): DataSource {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
  const onProblem = options.onProblem ?? (() => undefined);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    // pg takes node's ConnectionOptions (checkServerIdentity included); TypeORM's type names TlsOptions.
    ...(options.ssl !== undefined ? { ssl: options.ssl as TlsOptions | false } : {}),
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    namingStrategy: new SnakeNamingStrategy(),
    logger: new CountingTypeOrmLogger(options.onProblem),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'need-to-know',
    connectTimeoutMS: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // An idle connection the server closed: the pool has already dropped it.
    poolErrorHandler: (error: { code?: string; message?: string }) =>
      onProblem('an idle database connection was closed by the server; the pool discarded it', { code: error.code, error: error.message }),
    extra: {
      statement_timeout: statementTimeoutMs,
      Client: gatewayClient(statementTimeoutMs + ANSWER_GRACE_MS),
      idle_in_transaction_session_timeout: 30000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 10000,
    },
  });
}

/** Names of the migrations known to the code that the database has not applied yet. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = await dataSource.query(`SELECT to_regclass('schema_migration') AS t`);
  const applied = new Set<string>();
  if (table[0].t !== null) {
    for (const row of await dataSource.query('SELECT name FROM schema_migration')) applied.add(row.name);
  }
  return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}
