/**
 * `npm run bench:audit-variants`: what a change to the audit tables' schema does to PostgreSQL's
 * CPU per audit event, variant by variant, interleaved so that load from other processes falls on
 * every variant alike.
 *
 * Each variant is a scratch database cloned from DATABASE_URL's database (a copy of the benchmark
 * data, migrated; prefilled with events by `--prefill`) and changed by the variant's DDL. One
 * AuditLog per variant, on a pool of one connection, writes batches of `--batch` point-read
 * events (`pointReadEvent`: staff, one customer not named before, 14 coordinates) with the writer's real statement;
 * the batches of the variants run one after another in a fresh random order each time, and the
 * CPU of each variant's backend is read from /proc/<pid>/schedstat (nanoseconds) around each
 * batch, so PostgreSQL must run on this machine. Prints each round's µs per event and ratio to the
 * first variant, then the median and spread of rounds. The scratch databases are dropped at the end.
 *
 *   DATABASE_URL=postgres://…/copy npm run bench:audit-variants -- --variants FILE.json
 *     [--batch 10] [--batches 150] [--rounds 8] [--prefill 0]
 *
 * FILE.json: [{ "name": "main" }, { "name": "main, again" }, { "name": "no seal index", "ddl": ["DROP INDEX audit_event_seal"] }]
 * (list the reference twice to see what a copy alone moves). A variant may write batches of its
 * own size (`"batch": 24`, else `--batch`): the same schema at several sizes splits a batch's cost
 * into what every statement pays and what each event adds. The DDL runs on the variant's one
 * connection, so a session setting (`SET commit_delay = 100`) holds for its batches too.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { AuditLog } from '../src/audit/audit-log';
import { createDataSource } from '../src/data-source';
import { pointReadEvent } from './audit-bench-events';
import { medianAndSpread } from './report';

const log = (line: string) => process.stderr.write(`bench:audit-variants: ${line}\n`);

interface Variant {
  name: string;
  ddl?: string[];
  /** Events per batch; default `--batch`. */
  batch?: number;
}

interface Running {
  name: string;
  database: string;
  dataSource: DataSource;
  audit: AuditLog;
  pid: number;
  batch: number;
}

/** CPU time of a process so far, in µs. */
const cpuMicros = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;

/** Writes one batch of `size` events and returns the backend's CPU for it, in µs. */
async function batchOn(v: Running, size: number): Promise<number> {
  const before = cpuMicros(v.pid);
  const appended = Array.from({ length: size }, () => v.audit.append(pointReadEvent()));
  await v.audit.flush();
  await Promise.all(appended);
  return cpuMicros(v.pid) - before;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { variants: { type: 'string' }, batch: { type: 'string' }, batches: { type: 'string' }, rounds: { type: 'string' }, prefill: { type: 'string' } },
    strict: true,
  });
  const count = (name: string, raw: string | undefined, fallback: number, min = 1) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer of at least ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const batch = count('batch', values.batch, 10);
  const batches = count('batches', values.batches, 150);
  const rounds = count('rounds', values.rounds, 8);
  const prefill = count('prefill', values.prefill, 0, 0);
  if (!values.variants) throw new Error('--variants: expected a JSON file listing the variants');
  const variants = JSON.parse(fs.readFileSync(values.variants, 'utf8')) as Variant[];
  const badBatch = (b: unknown) => b !== undefined && !(Number.isInteger(b) && (b as number) >= 1 && (b as number) <= 1000);
  if (!Array.isArray(variants) || variants.length === 0 || variants.some((v) => typeof v?.name !== 'string' || (v.ddl !== undefined && !Array.isArray(v.ddl)) || badBatch(v.batch))) {
    throw new Error(`--variants: expected [{ "name": string, "ddl"?: string[], "batch"?: 1 to 1000 }, …], got ${JSON.stringify(variants).slice(0, 200)}`);
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL: the database the variants are cloned from (a copy of the benchmark data)');
  const base = new URL(url);
  const template = base.pathname.slice(1);

  const source = createDataSource({ url, poolSize: 1 });
  await source.initialize();
  await source.runMigrations({ transaction: 'each' });
  if (prefill > 0) {
    const filler = new AuditLog(source, { windowMs: 0, maxBatchSize: 100 });
    for (let done = 0; done < prefill; done += 100) await Promise.all(Array.from({ length: Math.min(100, prefill - done) }, () => filler.append(pointReadEvent())));
    await filler.close();
    await source.query('ANALYZE audit_event');
    await source.query('ANALYZE audit_seal');
    log(`prefilled ${prefill} events`);
  }
  await source.destroy();

  const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  const running: Running[] = [];
  try {
    for (const [i, v] of variants.entries()) {
      const database = `${template}_variant_${i}`;
      await admin.query(`DROP DATABASE IF EXISTS "${database}"`);
      await admin.query(`CREATE DATABASE "${database}" TEMPLATE "${template}"`);
      const dataSource = createDataSource({ url: Object.assign(new URL(url), { pathname: `/${database}` }).toString(), poolSize: 1, idleTimeoutMs: 0 });
      await dataSource.initialize();
      for (const statement of v.ddl ?? []) await dataSource.query(statement);
      const [{ pid }] = await dataSource.query(`SELECT pg_backend_pid() AS pid`);
      const size = v.batch ?? batch;
      running.push({ name: v.name, database, dataSource, audit: new AuditLog(dataSource, { windowMs: 50, maxBatchSize: size }), pid, batch: size });
    }
    for (const v of running) for (let i = 0; i < 30; i++) await batchOn(v, v.batch); // warm-up: the plan, the stored coordinate set
    const perEvent: number[][] = [];
    for (let r = 0; r < rounds; r++) {
      const sums = running.map(() => 0);
      for (let b = 0; b < batches; b++) {
        const order = running.map((_, i) => i).sort(() => Math.random() - 0.5);
        for (const i of order) sums[i]! += await batchOn(running[i]!, running[i]!.batch);
      }
      const round = sums.map((s, i) => s / batches / running[i]!.batch);
      perEvent.push(round);
      log(`round ${r + 1}: ${running.map((v, i) => `${v.name} ${round[i]!.toFixed(1)} µs (${(round[i]! / round[0]!).toFixed(3)})`).join(' | ')}`);
    }
    const spread = (xs: number[], digits: number) => {
      const m = medianAndSpread(xs)!;
      return `${m.median.toFixed(digits)} (${m.min.toFixed(digits)}–${m.max.toFixed(digits)})`;
    };
    const lines = [
      `audit variants: batches of ${batch} point-read events (unless a variant names its own size), ${batches} batches per variant and round, ${rounds} rounds; backend CPU per event, median (min–max) of rounds; ratio to ${running[0]!.name}, round by round`,
      ...running.map((v, i) => `${v.name.padEnd(32)} ${spread(perEvent.map((p) => p[i]!), 1)} µs   ratio ${spread(perEvent.map((p) => p[i]! / p[0]!), 3)}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const v of running) {
      await v.audit.close();
      await v.dataSource.destroy();
      await admin.query(`DROP DATABASE IF EXISTS "${v.database}"`);
    }
    await admin.end();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench:audit-variants: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
