import { openRecord, RESPONSE_BOX_USE } from '../src/idempotency/idempotency';
import { SecretBox } from '../src/platform/secret-box';
import { DEMO_SEED, seedDatabase } from '../src/seed/seed';
import { createTestDatabase, revertMigrationsThrough, type TestDatabase } from './harness/database';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('leave nothing for TypeORM to synchronize: entities and migrations describe the same schema', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('are all applied in the template every test database is cloned from', async () => {
    expect(await db.dataSource.showMigrations()).toBe(false);
  });

  it('make the database refuse card digits that are not exactly four digits', async () => {
    await expect(
      db.dataSource.query(`INSERT INTO payment_verification (order_id, provider_id, provider_reference, method, card_last4, amount, currency, status) VALUES (gen_random_uuid(), gen_random_uuid(), 'x', 'card', '41a1', 1, 'EUR', 'settled')`),
    ).rejects.toThrow(/payment_card_last4_digits/);
  });

  it('give existing shipments and scans what the status order and event ids need, as the seed writes them', async () => {
    const scratch = await createTestDatabase();
    try {
      await seedDatabase(scratch.dataSource, { ...DEMO_SEED, progress: false });
      // One parcel held up after leaving the hub: in exception, its progress the status before.
      await scratch.dataSource.query(`
        WITH s AS (SELECT id, logistics_partner_id FROM shipment WHERE status = 'out_for_delivery' ORDER BY id LIMIT 1),
        e AS (INSERT INTO shipment_event (shipment_id, carrier_id, carrier_event_id, occurred_at, location, description, status)
              SELECT id, logistics_partner_id, 'held-1', '2026-01-02T00:00:00Z', 'Depot', 'Held at customs', 'exception' FROM s)
        UPDATE shipment SET status = 'exception', progress = 'out_for_delivery', status_at = '2026-01-02T00:00:00Z' WHERE id = (SELECT id FROM s)`);
      const state = `SELECT id, status, progress, status_at FROM shipment ORDER BY id`;
      const carriers = `SELECT e.id, e.carrier_id FROM shipment_event e ORDER BY e.id`;
      const [seeded, seededCarriers] = [await scratch.dataSource.query(state), await scratch.dataSource.query(carriers)];
      expect(seeded.filter((r: { status: string }) => r.status === 'exception')).toEqual([expect.objectContaining({ progress: 'out_for_delivery' })]);
      await revertMigrationsThrough(scratch.dataSource, 'ShipmentScans1795000001600'); // the columns go
      await scratch.dataSource.runMigrations();
      expect(await scratch.dataSource.query(state)).toEqual(seeded);
      expect(await scratch.dataSource.query(carriers)).toEqual(seededCarriers);
      const [ids] = await scratch.dataSource.query(`SELECT count(*)::int AS n, count(DISTINCT carrier_event_id)::int AS distinct FROM shipment_event`);
      expect(ids.distinct).toBe(ids.n);
    } finally {
      await scratch.drop();
    }
  });

  it('drop the clear responses of existing idempotency records, which then never open: their retries are refused, not run again', async () => {
    const scratch = await createTestDatabase();
    try {
      await revertMigrationsThrough(scratch.dataSource, 'IdempotencySealed1795000009500');
      const [keyHash, requestId] = ['a'.repeat(64), 'request-before-sealing'];
      await scratch.dataSource.query(
        `INSERT INTO idempotency_record (key_hash, fingerprint, request_id, created_at, expires_at, status, response, disclosure)
         VALUES ($1, $2, $3, now(), now() + interval '1 hour', 200, '{"data":{"openAfterSalesCase":{"subject":"Ada Lovelace"}}}', '{"subjectIds":["c-1"]}')`,
        [keyHash, 'b'.repeat(64), requestId],
      );
      await scratch.dataSource.runMigrations();
      const [row] = await scratch.dataSource.query(`SELECT status, response, disclosure FROM idempotency_record WHERE key_hash = $1`, [keyHash]);
      expect({ status: row.status, response: row.response.toString('latin1'), disclosure: row.disclosure.toString('latin1') }).toEqual({ status: 200, response: '', disclosure: '' });
      expect(openRecord(new SecretBox('any secret', RESPONSE_BOX_USE), keyHash, requestId, row)).toBeUndefined();
    } finally {
      await scratch.drop();
    }
  });
});
