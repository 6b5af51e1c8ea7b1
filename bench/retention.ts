/**
 * `npm run bench:retention -- --as-of DATE [--dry-run] [--batch N]`: runs the retention job once
 * over the database at DATABASE_URL with the given clock, and prints its report, its wall time,
 * the process's peak RSS and its peak heap (sampled every 50 ms). A real run anonymizes and
 * deletes: point it at a copy (CREATE DATABASE copy TEMPLATE seeded), one copy per real run.
 *
 * The closing note of issue 18 was measured with it over the benchmark data set
 * (`seed --size bench`), with --as-of 2030-01-01 so that every completed order has expired.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createDataSource } from '../src/data-source';
import { runRetention } from '../src/retention/retention-job';
import { describeReport } from '../src/retention/retention-report';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'as-of': { type: 'string' }, 'dry-run': { type: 'boolean' }, batch: { type: 'string' } }, strict: true });
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL: the database to run over (a copy: a real run changes it)');
  const asOf = new Date(values['as-of'] ?? Date.now());
  if (Number.isNaN(asOf.getTime())) throw new Error(`--as-of: expected an ISO-8601 date, got ${JSON.stringify(values['as-of'])}`);
  const batchSize = values.batch === undefined ? undefined : Number(values.batch);
  const dataSource = createDataSource({ url, poolSize: 2 });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
  const started = performance.now();
  try {
    const result = await runRetention(dataSource, { asOf, dryRun: values['dry-run'] === true, batchSize });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    if (!result.ran) throw new Error(result.reason);
    process.stdout.write(describeReport(result.report));
    process.stdout.write(
      `${values['dry-run'] ? 'dry run' : 'real run'}: ${seconds.toFixed(2)} s wall, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB, peak heap ${(peakHeap / 1048576).toFixed(1)} MB\n`,
    );
  } finally {
    clearInterval(sampler);
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:retention: ${(error as Error).message}\n`);
  process.exit(1);
});
