/**
 * What the fault suite and the soak run against: a PostgreSQL cluster and a Redis of their own
 * (random loopback ports, temporary directory), the demo data migrated and seeded into it, the
 * ids the load uses, tokens for its callers, and the environment a gateway process gets.
 * `release()` stops everything that was started, and a process exit kills what is left.
 */
import 'reflect-metadata';
import { Client, Pool } from 'pg';
import { loadAuthConfig } from '../src/auth/auth-config';
import { mintDevToken } from '../src/auth/dev-token';
import { createDataSource } from '../src/data-source';
import { DEMO_IDS } from '../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../src/seed/seed';
import { GatewayProcess, type GatewayProcessOptions } from './gateway-process';
import type { Fixtures, Tokens } from './load';
import { PostgresCluster } from './postgres-cluster';
import { RedisServer } from './redis-server';

const DATABASE = 'need_to_know';
/** The misses budget a gateway of the suite gets (small: the replicas' shared-limit check spends it). */
export const MISSES_PER_MINUTE = 20;

export class Environment {
  readonly gateways: GatewayProcess[] = [];
  private readonly onExit = () => this.killNow();

  private constructor(
    readonly cluster: PostgresCluster,
    readonly redis: RedisServer,
    /** Connections for the suite's own checks (application_name fault-suite). */
    readonly admin: Pool,
    readonly fixtures: Fixtures,
    readonly tokens: Tokens,
  ) {
    process.once('exit', this.onExit);
  }

  static async start(log: (line: string) => void): Promise<Environment> {
    log('starting PostgreSQL (initdb in a temporary directory) and Redis');
    const cluster = await PostgresCluster.create({ log: () => undefined });
    let redis: RedisServer | undefined;
    try {
      redis = await RedisServer.create(() => undefined);
      log(`PostgreSQL on 127.0.0.1:${cluster.port}, Redis on 127.0.0.1:${redis.port}; migrating and seeding the demo data`);
      const fixtures = await prepareDatabase(cluster);
      const admin = new Pool({ connectionString: cluster.url(DATABASE), max: 2, application_name: 'fault-suite' });
      // The suite's own idle connections die with the faults it injects; it does not mind.
      admin.on('error', () => undefined);
      return new Environment(cluster, redis, admin, fixtures, await mintTokens());
    } catch (error) {
      redis?.killNow();
      await cluster.destroy();
      throw error;
    }
  }

  get databaseUrl(): string {
    return this.cluster.url(DATABASE);
  }

  /** The environment of a gateway process on this database and Redis, plus `extra`. */
  gatewayEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redis.url,
      // The load is one principal per kind at hundreds of requests a second: far over a real budget.
      RATE_LIMIT_FIELDS_PER_MINUTE: '10000000',
      RATE_LIMIT_MISSES_PER_MINUTE: String(MISSES_PER_MINUTE),
      ...extra,
    };
  }

  async startGateway(options: Omit<GatewayProcessOptions, 'env'> & { env?: Record<string, string> }): Promise<GatewayProcess> {
    const gateway = await GatewayProcess.start({ ...options, env: this.gatewayEnv(options.env) });
    this.gateways.push(gateway);
    return gateway;
  }

  killNow(): void {
    for (const g of this.gateways) g.killNow();
    this.redis.killNow();
    this.cluster.killNow();
  }

  async release(): Promise<void> {
    process.off('exit', this.onExit);
    for (const g of this.gateways) if (g.running) await g.terminate(5000).catch(() => g.killNow());
    await this.admin.end().catch(() => undefined);
    await this.redis.stop().catch(() => undefined);
    await this.cluster.destroy().catch(() => undefined);
  }
}

async function prepareDatabase(cluster: PostgresCluster): Promise<Fixtures> {
  const client = new Client({ connectionString: cluster.url('postgres') });
  await client.connect();
  await client.query(`CREATE DATABASE ${DATABASE}`);
  await client.end();
  const ds = createDataSource({ url: cluster.url(DATABASE), poolSize: 2, statementTimeoutMs: 120_000, applicationName: 'fault-suite-setup' });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    await seedDatabase(ds, { ...DEMO_SEED, progress: false });
    const ids = async (sql: string, params: unknown[] = []) => ((await ds.query(sql, params)) as Array<{ id: string }>).map((row) => row.id);
    const fixtures: Fixtures = {
      shipmentIds: await ids('SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 50', [DEMO_IDS.logisticsPartners[0]]),
      // A provider reports only on orders its checkout assigned it, in the order's currency.
      orders: (await ds.query('SELECT id, currency FROM "order" WHERE payment_provider_id = $1 ORDER BY id LIMIT 50', [DEMO_IDS.paymentProviders[0]])) as Array<{ id: string; currency: string }>,
      caseIds: await ids(`SELECT id FROM after_sales_case WHERE status <> 'closed' ORDER BY id LIMIT 20`),
      customerIds: await ids('SELECT id FROM customer ORDER BY id LIMIT 30'),
    };
    const empty = Object.entries(fixtures).filter(([, list]) => list.length === 0).map(([name]) => name);
    if (empty.length > 0) throw new Error(`the demo data has none of: ${empty.join(', ')} (the load needs them)`);
    return fixtures;
  } finally {
    await ds.destroy();
  }
}

async function mintTokens(): Promise<Tokens> {
  const config = loadAuthConfig({}, 'test');
  return {
    carrier: await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, config),
    provider: await mintDevToken({ kind: 'payment_provider', partnerId: DEMO_IDS.paymentProviders[0], purposes: ['payment_settlement'] }, config),
    staff: await mintDevToken({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales', 'fulfillment'] }, config),
  };
}
