import { createTestDatabase, type TestDatabase } from './harness/database';

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
});
