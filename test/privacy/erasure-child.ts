/**
 * Run by erasure-atomicity.test.ts as a process of its own (compiled to dist/): erases one
 * customer in one transaction, and after the table named stops, says so on stdout, and waits to
 * be killed. Arguments: database URL, customer id, table to stop after.
 */
import 'reflect-metadata';
import { createDataSource } from '../../src/data-source';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';

async function main(): Promise<void> {
  const [url, customerId, stopAfter] = process.argv.slice(2);
  const ds = createDataSource({ url, poolSize: 1 });
  await ds.initialize();
  const runner = ds.createQueryRunner('master');
  await runner.connect();
  await runner.startTransaction();
  await eraseCustomer(runner.manager, customerId, new Date(), {
    afterTable: async (table) => {
      if (table !== stopAfter) return;
      process.stdout.write(`stopped after ${table}\n`);
      await new Promise(() => undefined);
    },
  });
  process.stdout.write('finished without stopping\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
