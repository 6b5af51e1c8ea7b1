/**
 * `npm run faults [-- --short] [--faults a,b] [--no-replicas] [--json FILE]`: the fault suite
 * (suite.ts) against a PostgreSQL and a Redis it starts itself on random loopback ports. Prints
 * the per-fault table; exits 1 when anything did not hold.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { renderReport } from './report';
import { FAULT_NAMES, runFaultSuite, type FaultName } from './suite';

const USAGE = `usage: npm run faults -- [--short] [--faults ${FAULT_NAMES.join(',')}] [--no-replicas] [--json FILE]
  --short        5 s outages and 6 workers (what npm test runs); default: 10 s outages and 10 workers
  --faults       a comma-separated subset, in the order given
  --no-replicas  skip the two-replica and SIGTERM checks
  --json FILE    also write every figure to FILE`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { short: { type: 'boolean' }, faults: { type: 'string' }, 'no-replicas': { type: 'boolean' }, json: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let faults: FaultName[] | undefined;
  if (values.faults) {
    faults = values.faults.split(',').map((f) => f.trim()) as FaultName[];
    const unknown = faults.filter((f) => !FAULT_NAMES.includes(f));
    if (unknown.length > 0) throw new Error(`--faults: unknown ${unknown.join(', ')}; expected some of ${FAULT_NAMES.join(', ')}`);
  }
  const started = Date.now();
  const result = await runFaultSuite({
    mode: values.short ? 'short' : 'full',
    faults,
    replicas: !values['no-replicas'],
    log: (line) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`),
  });
  process.stdout.write(`${renderReport(result)}\n`);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`faults: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(2);
});
