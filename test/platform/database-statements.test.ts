/**
 * Statements given to the gateway's pg client as `{ text, values?, name?, rowMode? }` (readRows, the audit
 * writer) are handed to pg as a Query made from their text (platform/database.ts): they must
 * answer exactly as pg answers the object — prepared under their name, values beside the object
 * winning, callbacks and promises, errors — and any other object still goes to pg as it is.
 */
import type { Pool, QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/data-source';
import { createTestDatabase, type TestDatabase } from '../harness/database';

describe("the gateway's pg client, statements given as text, values and name", () => {
  let db: TestDatabase;
  let ds: DataSource;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, applicationName: 'statement-test', poolSize: 2 });
    await ds.initialize();
    pool = (ds.driver as unknown as { master: Pool }).master;
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db.drop();
  });

  it('prepares a named statement once per connection and answers it with the values of each call', async () => {
    const client = await pool.connect();
    try {
      const statement = { name: 'ntk-test-add-one', text: 'SELECT $1::int + 1 AS n', values: [1] };
      expect((await client.query(statement)).rows).toEqual([{ n: 2 }]);
      expect((await client.query({ ...statement, values: [41] })).rows).toEqual([{ n: 42 }]);
      const prepared = await client.query(`SELECT statement FROM pg_prepared_statements WHERE name = 'ntk-test-add-one'`);
      expect(prepared.rows).toEqual([{ statement: 'SELECT $1::int + 1 AS n' }]);
      // The caller's object is left as it was given.
      expect(statement).toEqual({ name: 'ntk-test-add-one', text: 'SELECT $1::int + 1 AS n', values: [1] });
    } finally {
      client.release();
    }
  });

  it('takes values given beside the object over its own, and answers callbacks as pg does', async () => {
    expect((await pool.query({ text: 'SELECT $1::text AS v', values: ['inside'] }, ['beside'])).rows).toEqual([{ v: 'beside' }]);
    const answered = await new Promise<QueryResult>((resolve, reject) => {
      pool.query({ text: 'SELECT $1::text AS v', values: ['inside'] }, (error: Error | undefined, result: QueryResult) => (error ? reject(error) : resolve(result)));
    });
    expect(answered.rows).toEqual([{ v: 'inside' }]);
    const client = await pool.connect();
    try {
      const byCallback = await new Promise<QueryResult>((resolve, reject) => {
        client.query({ text: 'SELECT $1::text AS v' } as unknown as string, ['beside'], (error: Error | undefined, result: QueryResult) => (error ? reject(error) : resolve(result)));
      });
      expect(byCallback.rows).toEqual([{ v: 'beside' }]);
    } finally {
      client.release();
    }
  });

  it("rejects a failing statement with PostgreSQL's error, its stack leading back to the caller, and the connection stays usable", async () => {
    const client = await pool.connect();
    try {
      const failing = async function aStatementThatFails() {
        return client.query({ name: 'ntk-test-divide', text: 'SELECT 1 / $1::int AS n', values: [0] });
      };
      const error = (await failing().then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; stack?: string } | undefined;
      expect(error?.code).toBe('22012');
      expect(error?.stack).toContain('database-statements.test');
      expect((await client.query({ name: 'ntk-test-divide', text: 'SELECT 1 / $1::int AS n', values: [1] })).rows).toEqual([{ n: 1 }]);
    } finally {
      client.release();
    }
  });

  it('answers a statement in row mode array with arrays, named or not, as pg answers its object', async () => {
    const client = await pool.connect();
    try {
      const statement = { name: 'ntk-test-array', text: 'SELECT $1::int AS a, $1::int + 1 AS b, NULL::text AS c', values: [1], rowMode: 'array' as const };
      const first = await client.query(statement);
      expect(first.rows).toEqual([[1, 2, null]]);
      expect(first.fields.map((field) => field.name)).toEqual(['a', 'b', 'c']);
      expect(first.rowCount).toBe(1);
      expect((await client.query({ ...statement, values: [41] })).rows).toEqual([[41, 42, null]]);
      const prepared = await client.query(`SELECT statement FROM pg_prepared_statements WHERE name = 'ntk-test-array'`);
      expect(prepared.rows).toEqual([{ statement: 'SELECT $1::int AS a, $1::int + 1 AS b, NULL::text AS c' }]);
      expect(statement).toEqual({ name: 'ntk-test-array', text: 'SELECT $1::int AS a, $1::int + 1 AS b, NULL::text AS c', values: [1], rowMode: 'array' });
      // The next statement on the connection, without a row mode, answers objects again.
      expect((await client.query({ text: 'SELECT 3 AS d' })).rows).toEqual([{ d: 3 }]);
    } finally {
      client.release();
    }
    const many = await pool.query({ text: 'SELECT n, n * 2 AS twice FROM generate_series(1, 3) n', values: [], rowMode: 'array' });
    expect(many.rows).toEqual([
      [1, 2],
      [2, 4],
      [3, 6],
    ]);
    expect((await pool.query({ text: 'SELECT $1::text AS v', values: ['inside'], rowMode: 'array' }, ['beside'])).rows).toEqual([['beside']]);
  });

  it("parses each column of an array row by its type, as pg's type parsers do", async () => {
    const result = await pool.query({
      text: `SELECT 7::int4 AS i, 8::int8 AS l, true AS b, '2020-01-02T03:04:05.678Z'::timestamptz AS t, '{1,2}'::int4[] AS a, '{"k":1}'::jsonb AS j, NULL::int4 AS n, 'x'::text AS s`,
      rowMode: 'array',
    });
    expect(result.rows).toEqual([[7, '8', true, new Date('2020-01-02T03:04:05.678Z'), [1, 2], { k: 1 }, null, 'x']]);
    expect(result.fields.map((field) => field.name)).toEqual(['i', 'l', 'b', 't', 'a', 'j', 'n', 's']);
    const empty = await pool.query({ text: 'SELECT 1 AS a WHERE false', rowMode: 'array' });
    expect(empty.rows).toEqual([]);
    expect(empty.fields.map((field) => field.name)).toEqual(['a']);
  });

  it("asks PostgreSQL to describe a named statement's columns once per connection, and answers every run as the first", async () => {
    const client = await pool.connect();
    const connection = (client as unknown as { connection: { describe(...args: unknown[]): unknown } }).connection;
    const describe = jest.spyOn(connection, 'describe');
    try {
      const statement = { name: 'ntk-test-described', text: `SELECT $1::int AS n, $1::int8 AS big, now() AS at, 'x'::text AS s WHERE $1::int > 0`, rowMode: 'array' as const };
      const first = await client.query({ ...statement, values: [1] });
      const fieldsOf = (result: QueryResult) => result.fields.map((field) => [field.name, field.dataTypeID]);
      const again = await client.query({ ...statement, values: [2] });
      const none = await client.query({ ...statement, values: [0] });
      const asObjects = await client.query({ name: statement.name, text: statement.text, values: [3] });
      expect(describe).toHaveBeenCalledTimes(1);
      expect(first.rows[0].slice(0, 2)).toEqual([1, '1']);
      expect(again.rows[0].slice(0, 2)).toEqual([2, '2']);
      expect(again.rows[0][2]).toBeInstanceOf(Date);
      expect(none.rows).toEqual([]);
      expect(asObjects.rows[0]).toMatchObject({ n: 3, big: '3', s: 'x' });
      for (const result of [again, none, asObjects]) expect(fieldsOf(result)).toEqual(fieldsOf(first));
      expect(fieldsOf(first)).toEqual([
        ['n', 23],
        ['big', 20],
        ['at', 1184],
        ['s', 25],
      ]);
      // A statement without columns (NoData) is described every time; a statement without a name too.
      const insert = { name: 'ntk-test-nodata', text: 'CREATE TEMP TABLE IF NOT EXISTS ntk_described (n int)' };
      await client.query(insert);
      await client.query(insert);
      expect((await client.query({ text: 'SELECT $1::int AS n', values: [5] })).rows).toEqual([{ n: 5 }]);
      expect((await client.query({ text: 'SELECT $1::int AS n', values: [6] })).rows).toEqual([{ n: 6 }]);
      expect(describe).toHaveBeenCalledTimes(5);
      // A value pg cannot bind fails the run with pg's error, and the connection stays usable.
      const unbindable = { toPostgres: () => { throw new Error('not bindable'); } };
      await expect(client.query({ ...statement, values: [unbindable] })).rejects.toThrow('not bindable');
      expect((await client.query({ text: 'SELECT 4 AS n', rowMode: 'array' })).rows).toEqual([[4]]);
      expect(describe).toHaveBeenCalledTimes(5);
    } finally {
      describe.mockRestore();
      client.release();
    }
    // Another connection describes it once for itself.
    const other = await pool.connect();
    const otherDescribe = jest.spyOn((other as unknown as { connection: { describe(...args: unknown[]): unknown } }).connection, 'describe');
    try {
      await other.query({ name: 'ntk-test-described-2', text: 'SELECT 1 AS one', rowMode: 'array' });
      await other.query({ name: 'ntk-test-described-2', text: 'SELECT 1 AS one', rowMode: 'array' });
      expect(otherDescribe).toHaveBeenCalledTimes(1);
    } finally {
      otherDescribe.mockRestore();
      other.release();
    }
  });

  it('runs a named statement again after a value of it failed to bind, whether its columns were known or it was its first run', async () => {
    const client = await pool.connect();
    try {
      const unbindable = { toPostgres: () => { throw new Error('not bindable'); } };
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      // Run before: its columns known.
      const known = { name: 'ntk-test-rebind-known', text: 'SELECT $1::int AS n', rowMode: 'array' as const };
      expect((await client.query({ ...known, values: [1] })).rows).toEqual([[1]]);
      await expect(client.query({ ...known, values: [unbindable] })).rejects.toThrow('not bindable');
      expect((await client.query({ ...known, values: [2] })).rows).toEqual([[2]]);
      await expect(client.query({ ...known, values: [circular] })).rejects.toThrow(/circular/i);
      expect((await client.query({ ...known, values: [3] })).rows).toEqual([[3]]);
      // Its first run: the value fails with the statement's Parse on its way.
      const fresh = { name: 'ntk-test-rebind-fresh', text: 'SELECT $1::text AS s', values: [unbindable] };
      await expect(client.query(fresh)).rejects.toThrow('not bindable');
      expect((await client.query({ ...fresh, values: ['x'] })).rows).toEqual([{ s: 'x' }]);
      const prepared = await client.query(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'ntk-test-rebind-%' ORDER BY name`);
      expect(prepared.rows).toEqual([{ name: 'ntk-test-rebind-fresh' }, { name: 'ntk-test-rebind-known' }]);
    } finally {
      client.release();
    }
  });

  it('hands any other object to pg as it is (its own type parsers, say)', async () => {
    const types = { getTypeParser: () => (value: string) => `parsed ${value}` };
    const result = await pool.query({ text: 'SELECT 1 AS a, 2 AS b', types } as never);
    expect((result as QueryResult).rows).toEqual([{ a: 'parsed 1', b: 'parsed 2' }]);
    const arrays = await pool.query({ text: 'SELECT 1 AS a', rowMode: 'array', types } as never);
    expect((arrays as QueryResult).rows).toEqual([['parsed 1']]);
  });
});
