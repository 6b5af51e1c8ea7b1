/**
 * Once per `jest` run: find a PostgreSQL (DATABASE_URL, or an embedded one under
 * .data/test-pg), and build a migrated template database. Every test file clones the template
 * into a database of its own (see database.ts), so tests never see each other's rows.
 */
import 'reflect-metadata';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../../src/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/platform/embedded-postgres';
import { processAlive } from '../../faults/processes';

declare global {
  // eslint-disable-next-line no-var
  var __NTK_EMBEDDED__: EmbeddedPostgresHandle | undefined;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function globalSetup(): Promise<void> {
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const handle = await startEmbeddedPostgres({
      dataDir: path.resolve('.data/test-pg'),
      port: Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339),
      database: 'postgres',
    });
    globalThis.__NTK_EMBEDDED__ = handle;
    adminUrl = handle.url('postgres');
  }
  const template = `ntk_template_${process.pid}_0`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Leftovers of runs that were killed before their teardown: databases are named after the
    // process id of the run that made them, and only those of dead runs are dropped.
    const stale = await admin.query(`SELECT datname FROM pg_database WHERE datname ~ '^ntk_(template|t)_[0-9]+_'`);
    for (const row of stale.rows as Array<{ datname: string }>) {
      const pid = Number(/^ntk_(?:template|t)_(\d+)_/.exec(row.datname)?.[1]);
      if (processAlive(pid)) continue;
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(row.datname)} WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(template)}`);
  } finally {
    await admin.end();
  }
  const ds = createDataSource({ url: withDatabase(adminUrl, template), poolSize: 1 });
  await ds.initialize();
  await ds.runMigrations();
  await ds.destroy();
  process.env.NTK_TEST_ADMIN_URL = adminUrl;
  process.env.NTK_TEST_TEMPLATE = template;
  process.env.NTK_TEST_RUN_PID = String(process.pid);
}
