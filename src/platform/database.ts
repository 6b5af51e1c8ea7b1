/**
 * The TypeORM data source. Migrations, never `synchronize`: the schema is what the migrations
 * in `src/platform/migrations` make it, and a test proves the entities agree with them.
 */
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
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
  onProblem?: (message: string, detail: Record<string, unknown>) => void;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
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
    extra: {
      statement_timeout: options.statementTimeoutMs ?? 5000,
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
