/**
 * The deterministic seed: a believable store (customers, orders in every status, split
 * shipments, payments, after-sales cases, behaviour events, consents, privacy requests, a legal
 * hold) generated from one PRNG seed. Same options, same rows, byte for byte, ids included; the
 * rows in DEMO_IDS exist with the same ids whatever the options.
 *
 * Rows are generated customer by customer into column buffers and written with multi-row
 * `INSERT ... SELECT FROM unnest(...)` statements, all inside one transaction: a seed that fails
 * leaves nothing behind.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { DataSource, QueryRunner } from 'typeorm';
import { pendingMigrations } from '../platform/database';
import { BehaviorRows } from './behavior-rows';
import { RowSink } from './batch-insert';
import { CustomerGraph, DEMO_CUSTOMER_MIN_ORDERS } from './customer-graph';
import { DEMO_IDS } from './demo-ids';
import { Random, distribute } from './random';
import { pushConsentGrants, pushPartnersAndPolicies, pushRequestsAndHold } from './reference-rows';
import { SEED_TABLES } from './tables';

export interface SeedOptions {
  /** Number of customers, e.g. demo 60, bench 10000. */
  customers: number;
  /** Average orders per customer; total orders = customers * ordersPerCustomer (rounded). */
  ordersPerCustomer: number;
  /** Average items per order; total items = orders * itemsPerOrder (rounded). */
  itemsPerOrder: number;
  /** PRNG seed: the same options give byte-identical data, ids included. */
  seed: number;
  /** Show a cli-progress bar on stderr; defaults to whether stderr is a terminal. */
  progress?: boolean;
  /** Called after every batch and at the end of every stage with that stage's progress. */
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface SeedReport {
  /** Rows written per table. */
  counts: Record<string, number>;
  ms: number;
}

/** Small and fast (well under 3 s): what `seed` writes for a development database. */
export const DEMO_SEED: SeedOptions = { customers: 60, ordersPerCustomer: 4, itemsPerOrder: 3, seed: 20260101 };

/** 10,000 customers, 50,000 orders, 150,000 items: the benchmark's data set. */
export const BENCH_SEED: SeedOptions = { customers: 10_000, ordersPerCustomer: 5, itemsPerOrder: 3, seed: 1795 };

/** Rows per INSERT statement. */
const BATCH_ROWS = 5000;
/** Page views per customer, up to MAX_BEHAVIOR_EVENTS: the demo's 2,400 over 28 days give days with crowds. */
const BEHAVIOR_EVENTS_PER_CUSTOMER = 40;
const MAX_BEHAVIOR_EVENTS = 100_000;

function validOptions(options: SeedOptions): SeedOptions {
  const check = (name: keyof SeedOptions, ok: boolean, expected: string) => {
    if (!ok) throw new Error(`seed option ${name}: expected ${expected}, got ${JSON.stringify(options[name])}`);
  };
  check('customers', Number.isInteger(options.customers) && options.customers >= 1 && options.customers <= 10_000_000, 'an integer from 1 to 10,000,000');
  check('ordersPerCustomer', Number.isFinite(options.ordersPerCustomer) && options.ordersPerCustomer >= 0 && options.ordersPerCustomer <= 100, 'a number from 0 to 100');
  check('itemsPerOrder', Number.isFinite(options.itemsPerOrder) && options.itemsPerOrder >= 1 && options.itemsPerOrder <= 50, 'a number from 1 to 50');
  check('seed', Number.isSafeInteger(options.seed), 'a safe integer');
  return options;
}

/** true when the database already holds seeded data (the fixed demo partners exist). */
export async function isSeeded(dataSource: DataSource): Promise<boolean> {
  const [{ t }] = await dataSource.query(`SELECT to_regclass('public.partner') AS t`);
  if (t === null) return false;
  const rows = await dataSource.query(`SELECT 1 FROM partner WHERE id = ANY($1::uuid[])`, [
    [...DEMO_IDS.logisticsPartners, ...DEMO_IDS.paymentProviders],
  ]);
  return rows.length > 0;
}

async function assertReady(dataSource: DataSource): Promise<void> {
  const [{ t }] = await dataSource.query(`SELECT to_regclass('public.customer') AS t`);
  if (t === null) {
    throw new Error('the database has no "customer" table: run the migrations first (`migrate`), then seed');
  }
  const pending = await pendingMigrations(dataSource);
  if (pending.length > 0) {
    throw new Error(`the database is missing migrations ${pending.join(', ')}: run the migrations first (\`migrate\`), then seed`);
  }
  if (await isSeeded(dataSource)) {
    throw new Error('the database already holds seeded data (the demo partners exist): seed an empty, migrated database');
  }
}

/** One stage's progress, to the callback and (when on) to a bar on stderr. */
class StageProgress {
  private bar: SingleBar | undefined;
  private done = 0;

  constructor(
    private readonly stage: string,
    private readonly total: number,
    showBar: boolean,
    private readonly onProgress: SeedOptions['onProgress'],
  ) {
    if (showBar) {
      this.bar = new SingleBar(
        {
          stream: process.stderr,
          format: `seed ${stage.padEnd(16)} [{bar}] {value}/{total}`,
          hideCursor: true,
          // An explicit `progress: true` on a non-terminal (CI logs) still prints, every few seconds.
          noTTYOutput: true,
          notTTYSchedule: 5000,
        },
        Presets.shades_classic,
      );
      this.bar.start(total, 0);
    }
  }

  update(done: number): void {
    this.done = done;
    this.bar?.update(done);
    this.onProgress?.(done, this.total, this.stage);
  }

  finish(): void {
    if (this.done !== this.total) this.update(this.total);
    this.bar?.stop();
  }

  /** Stops the bar where it is, so a failed seed does not leave a redraw timer running. */
  abandon(): void {
    this.bar?.stop();
  }
}

export async function seedDatabase(dataSource: DataSource, options: SeedOptions): Promise<SeedReport> {
  const started = process.hrtime.bigint();
  const { customers, ordersPerCustomer, itemsPerOrder, seed } = validOptions(options);
  const showBar = options.progress ?? Boolean(process.stderr.isTTY);
  let current: StageProgress | undefined;
  const stage = (name: string, total: number) => (current = new StageProgress(name, total, showBar, options.onProgress));
  await assertReady(dataSource);

  // How many orders each customer gets and how many items each order gets, drawn up front so
  // the totals are exact while rows are generated one customer at a time.
  const orderMins = new Array<number>(customers).fill(ordersPerCustomer >= 1 ? 1 : 0);
  orderMins[0] = DEMO_CUSTOMER_MIN_ORDERS;
  const orderCounts = distribute(
    Random.stream(seed, 'order-counts'),
    Math.round(customers * ordersPerCustomer),
    orderMins,
    Math.max(1, Math.round(2 * ordersPerCustomer - 1)),
  );
  const totalOrders = orderCounts.reduce((sum, n) => sum + n, 0);
  const itemCounts = distribute(
    Random.stream(seed, 'item-counts'),
    Math.round(totalOrders * itemsPerOrder),
    new Array<number>(totalOrders).fill(1),
    Math.max(1, Math.round(2 * itemsPerOrder - 1)),
  );

  const runner: QueryRunner = dataSource.createQueryRunner();
  await runner.connect();
  const run = (sql: string, params: unknown[]) => runner.query(sql, params);
  const sink = new RowSink(SEED_TABLES);
  // At most one flush in flight: the next rows are generated while the database writes the last
  // ones, and a flush starts only after the previous one finished, so parents still land first.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    await inFlight;
    inFlight = sink.flush(run, BATCH_ROWS);
    // Observed by the next flush or by the final await; this only keeps it from counting as unhandled meanwhile.
    inFlight.catch(() => undefined);
  };
  try {
    await runner.startTransaction();
    // A batch of 5,000 rows takes well under a second; the limit only stops a stuck seed. The
    // pool's statement timeout is tuned for API queries, not for bulk loads.
    await runner.query(`SET LOCAL statement_timeout = '300s'`);

    const reference = stage('reference data', 1);
    pushPartnersAndPolicies(sink);
    await flush();
    reference.finish();

    const people = stage('customers', customers);
    const graph = new CustomerGraph(Random.stream(seed, 'customers'), sink, itemCounts);
    const firstCustomers: string[] = [];
    for (let i = 0; i < customers; i++) {
      const id = graph.customer(i, orderCounts[i]!);
      if (firstCustomers.length < 6) firstCustomers.push(id);
      if (sink.largestPending >= BATCH_ROWS) {
        await flush();
        people.update(i + 1);
      }
    }
    await flush();
    people.finish();

    const eventTotal = Math.min(customers * BEHAVIOR_EVENTS_PER_CUSTOMER, MAX_BEHAVIOR_EVENTS);
    const behaviour = stage('behaviour events', eventTotal);
    const visitors = new BehaviorRows(Random.stream(seed, 'behavior'), sink);
    for (let done = 0; done < eventTotal; ) {
      const n = Math.min(BATCH_ROWS, eventTotal - done);
      visitors.pushEvents(n);
      await flush();
      done += n;
      behaviour.update(done);
    }
    behaviour.finish();

    const rights = stage('consents, rights', 1);
    pushConsentGrants(sink);
    pushRequestsAndHold(sink, Random.stream(seed, 'requests'), firstCustomers);
    await flush();
    rights.finish();

    await inFlight;
    await runner.commitTransaction();
  } catch (error) {
    current?.abandon();
    await inFlight.catch(() => undefined);
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
  return { counts: sink.counts(), ms: Number((process.hrtime.bigint() - started) / 1_000_000n) };
}
