/**
 * `npm run bench:audit`: what one audit event costs, measured alone, on the benchmark database.
 *
 * A request's disclosure event is shaped as the manifest's (benchmark scenario 1): a carrier
 * under `fulfillment`, 50 customers as subjects (one of 20 recurring sets, as repeated pages
 * bring), 14 coordinates; or, with `--subjects one`, as a point read's (scenario 4): staff, one
 * customer not named by any event before (a new id per event), the same coordinates. `--concurrency` callers append events one after another through one
 * AuditLog, so group commit forms batches as under load. In each of `--rounds` rounds it reads,
 * per event:
 * - the CPU time of this process (the record, its hash, the batch JSON, the pg round trips),
 * - the CPU time of the audit log's PostgreSQL backends (by application name, from /proc),
 * - the audit log's statements,
 * - the bytes the audit tables and their indexes grew by (pg_total_relation_size),
 * and prints the median and spread of the rounds, with the rows' JSON as sent.
 *
 *   npm run bench:audit -- [--events N] [--rounds R] [--concurrency C] [--subjects sets|one]
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AuditOperationType, AuditOutcome } from '../src/audit/audit-event.entity';
import { AuditLog } from '../src/audit/audit-log';
import { rowJsonOf, toAuditRecord, CheckedLists, type AuditEventInput } from '../src/audit/audit-record';
import { createDataSource } from '../src/data-source';
import { totalSqlStatements } from '../src/platform/sql-counter';
import { procStats } from '../faults/processes';
import { DEFAULT_BENCH_PG_PORT, openBenchDatabase } from './bench-database';
import { COORDINATES, pointReadEvent } from './audit-bench-events';
import { medianAndSpread } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const APPLICATION = 'need-to-know-bench-audit';

const log = (line: string) => process.stderr.write(`bench:audit: ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { events: { type: 'string' }, rounds: { type: 'string' }, concurrency: { type: 'string' }, subjects: { type: 'string', default: 'sets' } },
    strict: true,
  });
  const count = (name: string, raw: string | undefined, fallback: number) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
    return n;
  };
  const events = count('events', values.events, 2000);
  const rounds = count('rounds', values.rounds, 5);
  const concurrency = count('concurrency', values.concurrency, 8);
  const subjects = values.subjects;
  if (subjects !== 'sets' && subjects !== 'one') throw new Error(`--subjects: expected sets or one, got ${JSON.stringify(subjects)}`);

  const db = await openBenchDatabase({
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: path.join(ROOT, '.data', 'bench'),
    port: DEFAULT_BENCH_PG_PORT,
    log,
  });
  const ds = createDataSource({ url: db.url, poolSize: 2, statementTimeoutMs: 60_000, applicationName: APPLICATION, idleTimeoutMs: 0 });
  await ds.initialize();
  const audit = new AuditLog(ds);
  try {
    const customers: string[] = (await db.dataSource.query(`SELECT id FROM customer ORDER BY id LIMIT 1000`)).map((r: { id: string }) => r.id);
    const sets = Array.from({ length: 20 }, (_, s) => customers.slice(s * 50, s * 50 + 50));
    let n = 0;
    const event = (): AuditEventInput =>
      subjects === 'sets'
        ? {
            requestId: randomUUID(),
            principal: { kind: 'logistics_partner', id: 'bench-carrier-a', roles: [], partnerId: db.fixtures.logisticsPartner },
            purpose: 'fulfillment',
            operationType: AuditOperationType.QUERY,
            operationName: 'Manifest',
            operationHash: randomBytes(32).toString('hex'),
            subjectIds: sets[n++ % sets.length],
            disclosed: COORDINATES,
            outcome: AuditOutcome.OK,
          }
        : pointReadEvent();
    const sentBytes = rowJsonOf(toAuditRecord(event(), new CheckedLists()), '1').length;
    const backendsCpuMs = async () => {
      const pids = new Set<number>(
        (await db.dataSource.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [APPLICATION])).map((r: { pid: number }) => r.pid),
      );
      let ticks = 0;
      for (const { pid, fields } of procStats() ?? []) if (pids.has(pid)) ticks += Number(fields[11]) + Number(fields[12]);
      return (ticks * 1000) / 100;
    };
    const storedBytes = async () =>
      Number(
        (
          await db.dataSource.query(
            `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
             WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'audit_event'::regclass) OR c.relname IN ('audit_subject_set', 'audit_coordinate_set', 'audit_seal')`,
          )
        )[0].bytes,
      );
    const append = async (total: number) => {
      let left = total;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left > 0) {
            left -= 1;
            await audit.append(event());
          }
        }),
      );
    };
    await append(Math.min(500, events)); // warm-up: connections, prepared statement, stored subject sets
    const figures: Array<{ node: number; pg: number; statements: number; bytes: number; batch: number }> = [];
    for (let r = 0; r < rounds; r++) {
      const lastSeal = BigInt(audit.batches.at(-1)?.sealId ?? 0);
      const cpu = process.cpuUsage();
      const pg = await backendsCpuMs();
      const statements = totalSqlStatements('audit');
      const bytes = await storedBytes();
      await append(events);
      const used = process.cpuUsage(cpu);
      const batches = audit.batches.filter((batch) => BigInt(batch.sealId) > lastSeal);
      figures.push({
        node: (used.user + used.system) / 1000 / events,
        pg: ((await backendsCpuMs()) - pg) / events,
        statements: (totalSqlStatements('audit') - statements) / events,
        bytes: ((await storedBytes()) - bytes) / events,
        batch: batches.reduce((s, b) => s + b.events, 0) / Math.max(1, batches.length),
      });
      log(`round ${r + 1}: ${JSON.stringify(figures.at(-1))}`);
    }
    const line = (name: string, xs: number[], digits: number, unit: string) => {
      const m = medianAndSpread(xs)!;
      return `${name.padEnd(28)} ${m.median.toFixed(digits)} (${m.min.toFixed(digits)}–${m.max.toFixed(digits)}) ${unit}`;
    };
    const out = [
      `audit event cost: ${events} events per round, ${rounds} rounds, ${concurrency} callers, ${subjects === 'sets' ? '50 subjects (20 recurring sets)' : 'one new subject per event'}, ${COORDINATES.length} coordinates`,
      line('node CPU per event', figures.map((f) => f.node * 1000), 0, 'µs'),
      line('PostgreSQL CPU per event', figures.map((f) => f.pg * 1000), 0, 'µs'),
      line('statements per event', figures.map((f) => f.statements), 3, ''),
      line('events per batch', figures.map((f) => f.batch), 1, ''),
      line('stored bytes per event', figures.map((f) => f.bytes), 0, 'B (tables and indexes)'),
      `row JSON sent per event      ${sentBytes} B`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'audit-latest.json'), `${JSON.stringify({ events, rounds, concurrency, sentBytes, figures }, null, 2)}\n`);
  } finally {
    await audit.close();
    await ds.destroy();
    await db.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench:audit: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
