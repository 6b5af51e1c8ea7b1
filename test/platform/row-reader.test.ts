/**
 * The loaders' row reader must hand resolvers exactly what TypeORM's `getMany()` would: same
 * prototypes, properties, embedded objects and values, for every entity, read by plain SQL
 * (`toEntity`) or by the query builder's SQL (`toEntityFromAliased`).
 */
import { isDeepStrictEqual } from 'node:util';
import { ENTITIES } from '../../src/data-source';
import { readRowArrays, readRows, rowReader, toPositional } from '../../src/platform/row-reader';
import { countSql } from '../../src/platform/sql-counter';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';

/** Tables the demo seed leaves empty: compared too, but nothing there can differ. */
const EMPTY_AFTER_SEED = new Set(['AuditEventEntity', 'AuditSealEntity', 'AuditSubjectSetEntity', 'AuditCoordinateSetEntity', 'AuditVerificationEntity', 'IdempotencyRecordEntity', 'TrustedDocumentEntity']);

describe('rowReader', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    // The seed attaches its proof directly; a pending upload is written here so there is one to read.
    await db.dataSource.query(
      `INSERT INTO attachment_upload (id, case_id, uploader, kind, content_type, size_bytes, sha256, storage_key, uploaded_at, expires_at)
       SELECT gen_random_uuid(), id, repeat('a', 64), 'photo', 'image/jpeg', 1234, repeat('b', 64), 'after-sales/' || id || '/pending', now(), now() + interval '1 day'
         FROM after_sales_case ORDER BY id LIMIT 2`,
    );
    // Rows of the tables the retention job writes, which the seed leaves empty.
    await db.dataSource.query(`INSERT INTO retention_run (as_of, started_at, finished_at, batches, report) VALUES ('2026-12-01', '2026-12-01T01:00:00Z', NULL, 3, '{"report":{"ordersCompleted":2}}')`);
    await db.dataSource.query(`INSERT INTO audit_expiry (partition, from_at, to_at, events, first_seal, last_seal, expired_at) VALUES ('audit_event_y2022m10', '2022-10-01', '2022-11-01', 12, 4, 9, '2026-12-01')`);
    await db.dataSource.query(`INSERT INTO audit_expired_leaf (seal_id, position, hash) VALUES (9, 2, repeat('a', 64))`);
    await db.dataSource.query(`INSERT INTO audit_set_candidate (kind, hash) VALUES ('subject', repeat('c', 64)), ('coordinate', repeat('d', 64))`);
    // The seed writes no data-subject request steps: one row each, a mail body's bytes included.
    const [{ id: requestId, customer_id: customerId }] = await db.dataSource.query(`SELECT id, customer_id FROM privacy_request ORDER BY id LIMIT 1`);
    await db.dataSource.query(`INSERT INTO privacy_request_transition (request_id, from_status, to_status, at, actor_kind, actor, note) VALUES ($1, 'received', 'identity_verified', now(), 'customer', 'c', NULL)`, [requestId]);
    await db.dataSource.query(`INSERT INTO privacy_request_code (request_id, code_hash, issued_at, expires_at, attempts_left) VALUES ($1, repeat('a', 64), now(), now() + interval '15 minutes', 5)`, [requestId]);
    await db.dataSource.query(`INSERT INTO privacy_export_link (request_id, token_hash, created_at, expires_at) VALUES ($1, repeat('b', 64), now(), now() + interval '1 hour')`, [requestId]);
    await db.dataSource.query(
      `INSERT INTO mail_outbox (customer_id, topic, to_address, subject, sealed_body, next_attempt_at, created_at) VALUES ($1, 'privacy_request:' || $2, 'a@example.com', 's', '\\x00ff10'::bytea, now(), now())`,
      [customerId, requestId],
    );
    // A webhook endpoint (sealed bytes, a rotation in its grace period), and the delivery its trigger writes for a change.
    const [{ id: endpointId }] = await db.dataSource.query(
      `INSERT INTO webhook_endpoint (partner_id, url, purpose, sealed_secret, sealed_previous_secret, previous_secret_expires_at, created_at, secret_rotated_at)
       SELECT logistics_partner_id, 'https://carrier.example/hooks', 'fulfillment', '\\x01ff'::bytea, '\\x02'::bytea, now() + interval '1 day', now(), now() FROM shipment ORDER BY id LIMIT 1 RETURNING id`,
    );
    await db.dataSource.query(`UPDATE shipment SET status = 'exception' WHERE id = (SELECT id FROM shipment ORDER BY id LIMIT 1)`);
    await db.dataSource.query(`UPDATE webhook_delivery SET attempts = 2, last_attempt_at = now(), last_response_status = 503, last_error = 'the endpoint answered HTTP 503' WHERE endpoint_id = $1`, [endpointId]);
  });
  afterAll(() => db.drop());

  it.each(ENTITIES.map((entity) => [(entity as { name: string }).name, entity] as const))(
    'reads %s rows as getMany() does',
    async (name, entity) => {
      const ds = db.dataSource;
      const key = ds.getMetadata(entity).primaryColumns[0]!;
      const query = () => ds.getRepository(entity).createQueryBuilder('t').orderBy(`t.${key.propertyName}`).limit(200);
      const expected = await query().getMany();
      const reader = rowReader(ds, entity);
      const plain = (await readRows(ds, `SELECT ${reader.columns('t')} FROM ${reader.table} t ORDER BY t.${key.databaseName} LIMIT 200`, [])).map(reader.toEntity);
      const [sql, parameters] = query().getQueryAndParameters();
      const aliased = (await readRows(ds, sql, parameters)).map((row) => reader.toEntityFromAliased(row, 't'));
      expect(expected.length > 0 || EMPTY_AFTER_SEED.has(name)).toBe(true);
      expect(isDeepStrictEqual(plain, expected)).toBe(true);
      expect(isDeepStrictEqual(aliased, expected)).toBe(true);
    },
  );

  it('reads rows as arrays of their cells in select order, prepared or not', async () => {
    const sql = `SELECT $1::int AS one, 'x'::text AS two, NULL::int AS three, true AS one`;
    const { sql: counted } = await countSql(async () => {
      expect(await readRowArrays(db.dataSource, sql, [1], { prepared: true })).toEqual([[1, 'x', null, true]]);
      expect(await readRowArrays(db.dataSource, sql, [2], { prepared: true })).toEqual([[2, 'x', null, true]]);
      expect(await readRowArrays(db.dataSource, sql, [3])).toEqual([[3, 'x', null, true]]);
    });
    expect(counted.count).toBe(3);
    expect(await readRowArrays(db.dataSource, 'SELECT 1 AS n WHERE false', [])).toEqual([]);
  });

  it('counts every statement it runs, prepared or not', async () => {
    const { sql } = await countSql(async () => {
      await readRows(db.dataSource, 'SELECT 1 AS one', [], { prepared: true });
      await readRows(db.dataSource, 'SELECT 1 AS one', [], { prepared: true });
      await readRows(db.dataSource, 'SELECT $1::int AS two', [2]);
    });
    expect(sql.count).toBe(3);
  });
});

describe('toPositional', () => {
  it('numbers named parameters after the ones already taken and leaves casts alone', () => {
    const values: unknown[] = ['x'];
    const sql = toPositional('t.a = :scopePartner AND t.b::text = :other AND t.c = :scopePartner', { scopePartner: 'p', other: 'o' }, values);
    expect(sql).toBe('t.a = $2 AND t.b::text = $3 AND t.c = $4');
    expect(values).toEqual(['x', 'p', 'o', 'p']);
  });

  it('refuses a parameter it has no value for', () => {
    expect(() => toPositional('t.a = :missing', {}, [])).toThrow('toPositional: no value for :missing');
  });
});
