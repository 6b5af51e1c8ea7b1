/**
 * The data source for the TypeORM CLI (`npx typeorm -d dist/ormconfig.js migration:show`).
 * It needs DATABASE_URL; the gateway itself starts an embedded PostgreSQL when that is unset.
 */
import 'reflect-metadata';
import { createDataSource } from './src/data-source';

const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error('ormconfig: set DATABASE_URL (the embedded database is at postgres://postgres:need-to-know-dev@127.0.0.1:54329/need_to_know while the gateway runs)');
}

export default createDataSource({ url });
