/**
 * A month of audit events is analyzed again when it has grown by half and by 10,000 events
 * (migration 1795000014100): every partition of audit_event carries the two autovacuum settings,
 * the default one and the months prepared later included, a new month keeps its other
 * protections, and the revert takes the settings off again.
 */
import type { DataSource } from 'typeorm';
import { createTestDatabase, revertMigrationsThrough, type TestDatabase } from '../harness/database';

const SETTINGS = ['autovacuum_analyze_threshold=10000', 'autovacuum_analyze_scale_factor=0.5'];

/** Each partition of audit_event with its storage parameters (none: an empty list). */
async function partitionOptions(dataSource: DataSource): Promise<Record<string, string[]>> {
  const rows: Array<{ name: string; options: string[] | null }> = await dataSource.query(
    `SELECT c.relname AS name, c.reloptions AS options FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_event'::regclass`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.options ?? []]));
}

describe('audit partitions analyzed when a month has grown by half', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('on every partition there is, the default one included', async () => {
    const options = await partitionOptions(db.dataSource);
    // The migrations prepare the current month and the 12 after it, besides the default partition.
    expect(Object.keys(options).length).toBeGreaterThanOrEqual(14);
    expect(options).toHaveProperty('audit_event_default');
    for (const list of Object.values(options)) expect(list).toEqual(SETTINGS);
  });

  it('on a month prepared later, which still refuses TRUNCATE and keeps UPDATE and DELETE revoked', async () => {
    await db.dataSource.query(`SELECT audit_event_ensure_partition('2031-05-01'::date)`);
    expect((await partitionOptions(db.dataSource)).audit_event_y2031m05).toEqual(SETTINGS);
    await expect(db.dataSource.query(`TRUNCATE audit_event_y2031m05`)).rejects.toMatchObject({ message: expect.stringContaining('append-only') });
    // Its privileges as the default partition's, which the partitions migration revoked UPDATE, DELETE and TRUNCATE on.
    const acl: Array<{ name: string; acl: string }> = await db.dataSource.query(
      `SELECT relname AS name, relacl::text AS acl FROM pg_class WHERE relname IN ('audit_event_default', 'audit_event_y2031m05') ORDER BY 1`,
    );
    expect(acl[1]!.acl).toBe(acl[0]!.acl);
    expect(acl[0]!.acl).not.toMatch(/=[a-zA-Z]*[wdD]/);
  });

  it('taken off every partition by the revert, and off the months prepared after it', async () => {
    const scratch = await createTestDatabase();
    try {
      await revertMigrationsThrough(scratch.dataSource, 'AuditPartitionAnalyze1795000014100');
      await scratch.dataSource.query(`SELECT audit_event_ensure_partition('2031-06-01'::date)`);
      const reverted = await partitionOptions(scratch.dataSource);
      expect(reverted).toHaveProperty('audit_event_y2031m06');
      for (const list of Object.values(reverted)) expect(list).toEqual([]);
      await scratch.dataSource.runMigrations();
      for (const list of Object.values(await partitionOptions(scratch.dataSource))) expect(list).toEqual(SETTINGS);
    } finally {
      await scratch.drop();
    }
  });
});
