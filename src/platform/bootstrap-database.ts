/**
 * Finds the database the process should use: DATABASE_URL when set, otherwise the embedded
 * PostgreSQL under the data directory (started here, stopped by the returned `stop`).
 */
import type { Config } from './config';
import { startEmbeddedPostgres } from './embedded-postgres';
import type { Logger } from './logger';

export const EMBEDDED_DATABASE_NAME = 'need_to_know';

export interface DatabaseLocation {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function locateDatabase(config: Config, logger: Logger): Promise<DatabaseLocation> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  }
  logger.info({ dataDir: config.dataDir, port: config.embeddedPgPort }, 'DATABASE_URL is not set: starting the embedded PostgreSQL');
  const handle = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    database: EMBEDDED_DATABASE_NAME,
    onLog: (message) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
  });
  return { url: handle.url(EMBEDDED_DATABASE_NAME), embedded: true, stop: () => handle.stop() };
}
