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

  it('mark the idempotency records kept before fingerprints were keyed as such, and those the previous release still writes during the upgrade too', async () => {
    const scratch = await createTestDatabase();
    try {
      await revertMigrationsThrough(scratch.dataSource, 'IdempotencyKeyedFingerprints1795000014432');
      const insert = (keyHash: string) =>
        scratch.dataSource.query(
          `INSERT INTO idempotency_record (key_hash, fingerprint, request_id, created_at, expires_at, status, response, disclosure) VALUES ($1, $2, $3, now(), now() + interval '1 hour', 200, '\\x00', '\\x00')`,
          [keyHash, 'b'.repeat(64), `request-${keyHash.slice(0, 1)}`],
        );
      await insert('a'.repeat(64));
      await scratch.dataSource.runMigrations();
      // A gateway of the previous release, still running during the upgrade, writes records of the old kind.
      await insert('c'.repeat(64));
      expect(await scratch.dataSource.query(`SELECT left(key_hash, 1) AS k, fingerprint_keyed FROM idempotency_record ORDER BY key_hash`)).toEqual([
        { k: 'a', fingerprint_keyed: false },
        { k: 'c', fingerprint_keyed: false },
      ]);
    } finally {
      await scratch.drop();
    }
  });

  it("hold an after-sales case's order to the case's customer, for rows stored before as for rows written after", async () => {
    const scratch = await createTestDatabase();
    try {
      await seedDatabase(scratch.dataSource, { ...DEMO_SEED, progress: false });
      const q = (sql: string, params: unknown[] = []) => scratch.dataSource.query(sql, params) as Promise<Array<Record<string, string>>>;
      // A case on an order, another order of the same customer, and an order of someone else.
      const [k] = await q(`SELECT k.id, k.customer_id, k.order_id FROM after_sales_case k WHERE k.order_id IS NOT NULL AND EXISTS (SELECT 1 FROM "order" o WHERE o.customer_id = k.customer_id AND o.id <> k.order_id) ORDER BY k.id LIMIT 1`);
      const [own] = await q(`SELECT id FROM "order" WHERE customer_id = $1 AND id <> $2 ORDER BY id LIMIT 1`, [k!.customer_id, k!.order_id]);
      const [other] = await q(`SELECT id, customer_id FROM "order" WHERE customer_id <> $1 ORDER BY id LIMIT 1`, [k!.customer_id]);
      const insert = (orderId: string) =>
        q(`INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at) VALUES ($1, $2, 'complaint', 'open', 'Wrong size', now())`, [k!.customer_id, orderId]);
      await expect(insert(other!.id)).rejects.toThrow(/another customer/);
      await expect(q(`UPDATE after_sales_case SET order_id = $2 WHERE id = $1`, [k!.id, other!.id])).rejects.toThrow(/another customer/);
      await expect(q(`UPDATE after_sales_case SET customer_id = $2 WHERE id = $1`, [k!.id, other!.customer_id])).rejects.toThrow(/another customer/);
      await expect(q(`UPDATE "order" SET customer_id = $2 WHERE id = $1`, [k!.order_id, other!.customer_id])).rejects.toThrow(/differ from its after-sales cases/);
      // Its customer's own orders, and none, are accepted.
      await insert(own!.id);
      await q(`UPDATE after_sales_case SET order_id = $2 WHERE id = $1`, [k!.id, own!.id]);
      await q(`UPDATE after_sales_case SET order_id = NULL WHERE id = $1`, [k!.id]);
      // Before the rule: a stored case naming another customer's order stops the migration.
      await revertMigrationsThrough(scratch.dataSource, 'CaseOrderOfCustomer1795000013500');
      await q(`UPDATE after_sales_case SET order_id = $2 WHERE id = $1`, [k!.id, other!.id]);
      await expect(scratch.dataSource.runMigrations()).rejects.toThrow(/1 after-sales case\(s\) name an order of another customer/);
      await q(`UPDATE after_sales_case SET order_id = $2 WHERE id = $1`, [k!.id, own!.id]);
      await scratch.dataSource.runMigrations();
      await expect(q(`UPDATE after_sales_case SET order_id = $2 WHERE id = $1`, [k!.id, other!.id])).rejects.toThrow(/another customer/);
    } finally {
      await scratch.drop();
    }
  });

  it('make a hold on an order name no customer, for rows stored before as for rows written after', async () => {
    const scratch = await createTestDatabase();
    try {
      await seedDatabase(scratch.dataSource, { ...DEMO_SEED, progress: false });
      const q = (sql: string, params: unknown[] = []) => scratch.dataSource.query(sql, params) as Promise<Array<Record<string, string>>>;
      const [order] = await q(`SELECT id, customer_id FROM "order" ORDER BY id LIMIT 1`);
      const hold = (customerId: string | null) =>
        q(`INSERT INTO legal_hold (scope, customer_id, order_id, reason, case_reference, placed_by, placed_at) VALUES ('order', $1, $2, 'Fraud inquiry', 'FR-1', 'officer', now()) RETURNING id`, [
          customerId,
          order!.id,
        ]);
      await expect(hold(order!.customer_id!)).rejects.toThrow(/legal_hold_scope_target/);
      const [{ id }] = await hold(null);
      await expect(q(`UPDATE legal_hold SET customer_id = $2 WHERE id = $1`, [id, order!.customer_id])).rejects.toThrow(/legal_hold_scope_target/);
      // Before the rule: a stored order hold naming a customer stops the migration.
      await revertMigrationsThrough(scratch.dataSource, 'OrderHoldNamesNoCustomer1795000013501');
      await q(`UPDATE legal_hold SET customer_id = $2 WHERE id = $1`, [id, order!.customer_id]);
      await expect(scratch.dataSource.runMigrations()).rejects.toThrow(/1 order hold\(s\) name a customer too/);
      await q(`UPDATE legal_hold SET customer_id = NULL WHERE id = $1`, [id]);
      await scratch.dataSource.runMigrations();
      await expect(q(`UPDATE legal_hold SET customer_id = $2 WHERE id = $1`, [id, order!.customer_id])).rejects.toThrow(/legal_hold_scope_target/);
    } finally {
      await scratch.drop();
    }
  });
});
