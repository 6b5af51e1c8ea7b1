/**
 * A database of the test file's own, cloned from the migrated template that global-setup built.
 *
 *   const db = await createTestDatabase();   // in beforeAll
 *   ... db.dataSource, db.url ...
 *   await db.drop();                          // in afterAll
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/data-source';

export interface TestDatabase {
  url: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is unset: run the tests through jest so test/harness/global-setup.ts runs`);
  return value;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = env('NTK_TEST_ADMIN_URL');
  const template = env('NTK_TEST_TEMPLATE');
  const name = `ntk_t_${env('NTK_TEST_RUN_PID')}_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)} TEMPLATE ${admin.escapeIdentifier(template)}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dataSource = createDataSource({ url, poolSize: 5 });
  await dataSource.initialize();
  return {
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Reverts the migrations applied after `name` and `name` itself, newest first, so a test of
 * one migration's `down` holds however many migrations come after it.
 */
export async function revertMigrationsThrough(dataSource: DataSource, name: string): Promise<void> {
  for (;;) {
    const [last]: Array<{ name: string }> = await dataSource.query(`SELECT name FROM schema_migration ORDER BY "timestamp" DESC LIMIT 1`);
    if (!last) throw new Error(`migration ${name} is not applied`);
    await dataSource.undoLastMigration();
    if (last.name === name) return;
  }
}
