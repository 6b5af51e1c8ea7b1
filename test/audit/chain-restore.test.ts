/**
 * A chain that cannot fork silently. A running gateway remembers the newest audit seal and
 * chains its next batch to it; when the database under it is restored from a backup, or fails
 * over to a replica that was behind, that seal may be gone. The writer must then read the chain
 * again instead of writing seals after one the database does not hold — which `audit verify`
 * would report as tampering on an untouched log, with later batches failing on subject sets
 * that are gone too.
 *
 * Both cases run under one gateway that keeps serving reads (group commit) and writes (each
 * sealed in its own transaction): the database is dropped and created
 * again (empty, migrated, seeded), and, separately, dropped and restored from a `pg_dump`
 * taken before the last traffic. After each, the traffic is answered and the log verifies.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { verifyAuditLog } from '../../src/audit/verify';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { callers, run } from './audit-harness';

const MANIFEST = `{ shipments(first: 5) { nodes { trackingNumber order { orderNumber shippingAddress { recipientName city } } } } }`;
const CASES = `{ afterSalesCases(first: 3) { nodes { subject status } } }`;
const SCAN = `mutation($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`;

describe('the audit chain after the database is replaced under a running gateway', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let scratch: string;
  const admin = () => new Client({ connectionString: process.env.NTK_TEST_ADMIN_URL });
  const name = () => new URL(db.url).pathname.slice(1);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway } = await createTestGateway(db));
    scratch = mkdtempSync(path.join(tmpdir(), 'ntk-restore-'));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  let scans = 0;
  /** Concurrent reads by several principals and a carrier's writes (sealed in their own transactions); every one must be answered. */
  async function traffic(rounds = 3): Promise<void> {
    const [{ id: shipmentId }] = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1`, [DEMO_IDS.logisticsPartners[0]]);
    for (let round = 0; round < rounds; round++) {
      scans += 1;
      const responses = await Promise.all([
        run(gateway, SCAN, callers.logistics(DEMO_IDS.logisticsPartners[0]), {
          input: { shipmentId, events: [{ eventId: `restore-${scans}`, occurredAt: new Date().toISOString(), location: 'Hub', description: 'sorted' }] },
        }),
        run(gateway, MANIFEST, callers.logistics(DEMO_IDS.logisticsPartners[0])),
        run(gateway, MANIFEST, callers.logistics(DEMO_IDS.logisticsPartners[1])),
        run(gateway, CASES, callers.staff(['customer_service'], 'after_sales')),
        run(gateway, CASES, callers.customer(DEMO_IDS.demoCustomer)),
      ]);
      expect(responses.map((r) => [r.status, r.errors])).toEqual(responses.map(() => [200, undefined]));
    }
  }

  async function seals(): Promise<number[]> {
    return (await db.dataSource.query(`SELECT id FROM audit_seal ORDER BY id`)).map((r: { id: string }) => Number(r.id));
  }

  async function expectIntact(): Promise<void> {
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, problems: result.problems }).toEqual({ intact: true, problems: [] });
  }

  /** Drops the gateway's database (its connections are cut) and creates it again from `template`. */
  async function replaceDatabase(template: string): Promise<void> {
    const c = admin();
    await c.connect();
    try {
      await c.query(`DROP DATABASE ${c.escapeIdentifier(name())} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(name())} TEMPLATE ${c.escapeIdentifier(template)}`);
    } finally {
      await c.end();
    }
  }

  it('dropped and created again: the log starts again at seal 1 and verifies', async () => {
    await traffic();
    expect((await seals()).length).toBeGreaterThan(2);
    await expectIntact();

    await replaceDatabase(process.env.NTK_TEST_TEMPLATE!);
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    expect(await seals()).toEqual([]);
    await traffic();

    const after = await seals();
    expect(after.length).toBeGreaterThan(2);
    expect(after).toEqual(after.map((_, i) => i + 1));
    await expectIntact();
  });

  it('restored from a pg_dump taken earlier: the log goes on from the dump\'s newest seal and verifies', async () => {
    await traffic();
    const dump = path.join(scratch, 'before.sql');
    execFileSync('pg_dump', ['--no-owner', '--file', dump, db.url], { stdio: 'pipe' });
    const inDump = await seals();
    // The gateway writes on: it now remembers seals the dump does not hold.
    await traffic();
    expect((await seals()).length).toBeGreaterThan(inDump.length);

    await replaceDatabase('template0');
    execFileSync('psql', ['--quiet', '--no-psqlrc', '-v', 'ON_ERROR_STOP=1', '--file', dump, db.url], { stdio: 'pipe' });
    expect(await seals()).toEqual(inDump);
    await traffic();

    const after = await seals();
    expect(after.slice(0, inDump.length)).toEqual(inDump);
    expect(after.length).toBeGreaterThan(inDump.length);
    expect(after).toEqual(after.map((_, i) => i + 1));
    await expectIntact();
  });
});
