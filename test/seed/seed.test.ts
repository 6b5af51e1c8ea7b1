import type { DataSource } from 'typeorm';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, isSeeded, seedDatabase, type SeedOptions, type SeedReport } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';

const ALL_STATUSES = ['cancelled', 'completed', 'delivered', 'packed', 'paid', 'placed', 'refunded', 'shipped'];
const quiet = (options: SeedOptions): SeedOptions => ({ ...options, progress: false });

/** md5 of every row of every table in the public schema, rows sorted by their text form. */
async function digest(ds: DataSource): Promise<Record<string, string>> {
  const tables: { name: string }[] = await ds.query(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration' ORDER BY 1`,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [{ d }] = await ds.query(`SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS d FROM "${name}" t`);
    out[name] = d;
  }
  return out;
}

async function one<T = Record<string, unknown>>(ds: DataSource, sql: string, params: unknown[] = []): Promise<T> {
  const rows = await ds.query(sql, params);
  return rows[0] as T;
}

describe('seedDatabase', () => {
  let a: TestDatabase;
  let b: TestDatabase;
  let c: TestDatabase;
  let report: SeedReport;
  let seededBefore: boolean;
  const progress: { done: number; total: number; stage: string }[] = [];

  beforeAll(async () => {
    [a, b, c] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    seededBefore = await isSeeded(a.dataSource);
    report = await seedDatabase(a.dataSource, {
      ...quiet(DEMO_SEED),
      onProgress: (done, total, stage) => progress.push({ done, total, stage }),
    });
    await seedDatabase(b.dataSource, quiet(DEMO_SEED));
    await seedDatabase(c.dataSource, quiet({ ...DEMO_SEED, seed: DEMO_SEED.seed + 1 }));
  });
  afterAll(() => Promise.all([a, b, c].map((db) => db?.drop())));

  describe('determinism', () => {
    it('writes byte-identical rows, ids included, for the same options', async () => {
      const [first, second] = await Promise.all([digest(a.dataSource), digest(b.dataSource)]);
      expect(Object.keys(first)).toEqual(expect.arrayContaining(['order', 'order_item', 'shipment', 'behavior_event']));
      expect(second).toEqual(first);
    });

    it('writes other customers and orders for another PRNG seed, but the same well-known rows', async () => {
      const [first, other] = await Promise.all([digest(a.dataSource), digest(c.dataSource)]);
      for (const table of ['customer', 'address', 'order', 'order_item', 'shipment', 'payment_verification', 'behavior_event']) {
        expect({ table, digest: other[table] }).not.toEqual({ table, digest: first[table] });
      }
      for (const table of ['partner', 'policy_version', 'consent_grant']) {
        expect({ table, digest: other[table] }).toEqual({ table, digest: first[table] });
      }
    });
  });

  describe('isSeeded', () => {
    it('is false on a migrated, empty database and true once seeded', async () => {
      expect(seededBefore).toBe(false);
      expect(await isSeeded(a.dataSource)).toBe(true);
    });
  });

  describe('the report and progress', () => {
    it('counts exactly customers x ordersPerCustomer orders and orders x itemsPerOrder items', () => {
      expect({ customer: report.counts.customer, order: report.counts.order, order_item: report.counts.order_item }).toEqual({
        customer: 60,
        order: 240,
        order_item: 720,
      });
    });

    it('reports the rows that are in the database', async () => {
      for (const [table, count] of Object.entries(report.counts)) {
        const { n } = await one<{ n: number }>(a.dataSource, `SELECT count(*)::int AS n FROM "${table}"`);
        expect({ table, n }).toEqual({ table, n: count });
      }
    });

    it('tells onProgress about every stage, ending each at its total', () => {
      const stages = [...new Set(progress.map((p) => p.stage))];
      expect(stages).toEqual(['reference data', 'customers', 'behaviour events', 'consents, rights']);
      for (const stage of stages) {
        const last = progress.filter((p) => p.stage === stage).pop()!;
        expect(last.done).toBe(last.total);
      }
    });
  });

  describe('orders', () => {
    it('are in every status', async () => {
      const rows: { status: string }[] = await a.dataSource.query(`SELECT DISTINCT status::text FROM "order" ORDER BY 1`);
      expect(rows.map((r) => r.status)).toEqual(ALL_STATUSES);
    });

    it('carry timestamps, shipments and payments that agree with their status', async () => {
      const rows: { status: string; orders: number; completed: number; shipped: number; paid: number }[] = await a.dataSource.query(`
        SELECT o.status::text, count(*)::int AS orders, count(o.completed_at)::int AS completed,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM shipment s WHERE s.order_id = o.id))::int AS shipped,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM payment_verification p WHERE p.order_id = o.id AND p.status <> 'failed'))::int AS paid
        FROM "order" o GROUP BY 1`);
      for (const r of rows) {
        const over = ['completed', 'cancelled', 'refunded'].includes(r.status);
        const shipped = ['packed', 'shipped', 'delivered', 'completed'].includes(r.status);
        const unpaid = ['placed', 'cancelled'].includes(r.status);
        expect({ status: r.status, completed: r.completed }).toEqual({ status: r.status, completed: over ? r.orders : 0 });
        if (r.status !== 'refunded') expect({ status: r.status, shipped: r.shipped }).toEqual({ status: r.status, shipped: shipped ? r.orders : 0 });
        expect({ status: r.status, paid: r.paid }).toEqual({ status: r.status, paid: unpaid ? 0 : r.orders });
      }
    });

    it('total the sum of their items, and every order has items', async () => {
      const mismatched = await one<{ n: number }>(a.dataSource, `
        SELECT count(*)::int AS n FROM "order" o
        WHERE o.total_amount IS DISTINCT FROM (SELECT sum(i.quantity * i.unit_price) FROM order_item i WHERE i.order_id = o.id)`);
      expect(mismatched.n).toBe(0);
    });

    it('copy the shipping snapshot from one of the customer\'s addresses', async () => {
      const strays = await one<{ n: number }>(a.dataSource, `
        SELECT count(*)::int AS n FROM "order" o WHERE NOT EXISTS (
          SELECT 1 FROM address a WHERE a.customer_id = o.customer_id AND a.recipient_name = o.ship_recipient_name
            AND a.line1 = o.ship_line1 AND a.postal_code = o.ship_postal_code AND a.country = o.ship_country AND a.phone = o.ship_phone)`);
      expect(strays.n).toBe(0);
    });

    it('declare customs exactly when shipped abroad', async () => {
      const rows: { abroad: boolean; declared: boolean; n: number }[] = await a.dataSource.query(`
        SELECT ship_country <> 'GB' AS abroad, (customs_declared_value IS NOT NULL AND cardinality(customs_hs_codes) > 0) AS declared, count(*)::int AS n
        FROM "order" GROUP BY 1, 2 ORDER BY 1, 2`);
      expect(rows.map(({ abroad, declared }) => ({ abroad, declared }))).toEqual([
        { abroad: false, declared: false },
        { abroad: true, declared: true },
      ]);
    });

    it('include some sold through the platform partner, and only those name it', async () => {
      const rows: { channel: string; partner: string | null }[] = await a.dataSource.query(
        `SELECT DISTINCT channel::text, platform_partner_id AS partner FROM "order" ORDER BY 1`,
      );
      expect(rows).toEqual([
        { channel: 'own_store', partner: null },
        { channel: 'platform', partner: DEMO_IDS.platformOperator },
      ]);
    });
  });

  describe('shipments and payments', () => {
    it('split some orders across two different logistics partners', async () => {
      const split = await one<{ n: number; demo: number }>(a.dataSource, `
        SELECT count(*)::int AS n, count(*) FILTER (WHERE o.customer_id = $1)::int AS demo
        FROM "order" o WHERE (SELECT count(DISTINCT s.logistics_partner_id) FROM shipment s WHERE s.order_id = o.id) = 2`, [DEMO_IDS.demoCustomer]);
      expect(split.n).toBeGreaterThan(1);
      expect(split.demo).toBeGreaterThanOrEqual(1);
    });

    it('give logistics partner A at least 10 shipments, each with 1 to 4 events', async () => {
      const a1 = await one<{ n: number; fewest: number; most: number }>(a.dataSource, `
        SELECT count(*)::int AS n, min(e)::int AS fewest, max(e)::int AS most FROM (
          SELECT (SELECT count(*) FROM shipment_event e WHERE e.shipment_id = s.id) AS e FROM shipment s WHERE s.logistics_partner_id = $1) x`,
        [DEMO_IDS.logisticsPartners[0]]);
      expect(a1.n).toBeGreaterThanOrEqual(10);
      expect(a1.fewest).toBeGreaterThanOrEqual(1);
      expect(a1.most).toBeLessThanOrEqual(4);
    });

    it('hold card brand and last four only for card payments, and settlement data only when settled', async () => {
      const bad = await one<{ card: number; settled: number; amount: number }>(a.dataSource, `
        SELECT count(*) FILTER (WHERE (p.method = 'card') <> (p.card_brand IS NOT NULL AND p.card_last4 IS NOT NULL))::int AS card,
               count(*) FILTER (WHERE (p.status IN ('settled', 'chargeback')) <> (p.settled_at IS NOT NULL AND p.settlement_batch_ref IS NOT NULL))::int AS settled,
               count(*) FILTER (WHERE p.amount <> o.total_amount OR p.currency <> o.currency)::int AS amount
        FROM payment_verification p JOIN "order" o ON o.id = p.order_id`);
      expect(bad).toEqual({ card: 0, settled: 0, amount: 0 });
    });
  });

  describe('the well-known rows of DEMO_IDS', () => {
    it('are partners of the right kind and status', async () => {
      const expected = [
        { id: DEMO_IDS.logisticsPartners[0], kind: 'logistics', status: 'active' },
        { id: DEMO_IDS.logisticsPartners[1], kind: 'logistics', status: 'active' },
        { id: DEMO_IDS.suspendedLogisticsPartner, kind: 'logistics', status: 'suspended' },
        { id: DEMO_IDS.paymentProviders[0], kind: 'payment', status: 'active' },
        { id: DEMO_IDS.paymentProviders[1], kind: 'payment', status: 'active' },
        { id: DEMO_IDS.platformOperator, kind: 'platform', status: 'active' },
        { id: DEMO_IDS.thirdParty, kind: 'third_party', status: 'active' },
      ].sort((x, y) => x.id.localeCompare(y.id));
      const rows = await a.dataSource.query(`SELECT id, kind::text, status::text FROM partner ORDER BY id`);
      expect(rows).toEqual(expected);
    });

    it('include an active, a withdrawn and an expired grant of the demo customer to the third party', async () => {
      const rows: Record<string, unknown>[] = await a.dataSource.query(
        `SELECT id, customer_id, grantee_partner_id, categories, purpose, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS expires,
                withdrawn_at IS NOT NULL AS withdrawn, expires_at < now() AS expired
         FROM consent_grant WHERE id = ANY($1::uuid[]) ORDER BY granted_at`,
        [[DEMO_IDS.consentGrant, DEMO_IDS.withdrawnConsentGrant, DEMO_IDS.expiredConsentGrant]],
      );
      const common = {
        customer_id: DEMO_IDS.demoCustomer,
        grantee_partner_id: DEMO_IDS.thirdParty,
        categories: ['identity.account_name', 'order.reference', 'order.status'],
        purpose: 'authorized_sharing',
      };
      expect(rows).toEqual([
        { ...common, id: DEMO_IDS.expiredConsentGrant, expires: '2025-01-01', withdrawn: false, expired: true },
        { ...common, id: DEMO_IDS.withdrawnConsentGrant, expires: '2099-12-31', withdrawn: true, expired: false },
        { ...common, id: DEMO_IDS.consentGrant, expires: '2099-12-31', withdrawn: false, expired: false },
      ]);
    });

    it('give the demo customer at least 20 orders in every status and a case with messages', async () => {
      const demo = await one<{ orders: number; statuses: string[]; messages: number }>(a.dataSource, `
        SELECT (SELECT count(*)::int FROM "order" WHERE customer_id = $1) AS orders,
               (SELECT array_agg(DISTINCT status::text ORDER BY status::text) FROM "order" WHERE customer_id = $1) AS statuses,
               (SELECT max(n)::int FROM (SELECT count(m.*) AS n FROM after_sales_case c JOIN case_message m ON m.case_id = c.id
                                           WHERE c.customer_id = $1 GROUP BY c.id) x) AS messages`, [DEMO_IDS.demoCustomer]);
      expect(demo.orders).toBeGreaterThanOrEqual(20);
      expect(demo.statuses).toEqual(ALL_STATUSES);
      expect(demo.messages).toBeGreaterThanOrEqual(1);
    });

    it('reference the current policy version from recent orders', async () => {
      const used: { id: string }[] = await a.dataSource.query(`SELECT DISTINCT policy_version_id AS id FROM "order"`);
      expect(used.map((u) => u.id)).toContain(DEMO_IDS.policyVersion);
    });

    it('put the legal hold on a seeded customer', async () => {
      const hold = await one(a.dataSource, `SELECT scope::text, released_at, customer_id IN (SELECT id FROM customer) AS known FROM legal_hold WHERE id = $1`, [DEMO_IDS.legalHold]);
      expect(hold).toEqual({ scope: 'customer', released_at: null, known: true });
    });
  });

  describe('the rest of the store', () => {
    it('has privacy requests in every status', async () => {
      const rows: { status: string }[] = await a.dataSource.query(`SELECT DISTINCT status::text FROM privacy_request ORDER BY 1`);
      expect(rows.map((r) => r.status)).toEqual(['completed', 'identity_verified', 'in_progress', 'received', 'rejected']);
    });

    it('stores behaviour events that are desensitized and linked to no customer', async () => {
      const bad = await one<{ n: number; total: number }>(a.dataSource, `
        SELECT count(*) FILTER (WHERE visitor_pseudonym !~ '^[A-Za-z0-9_-]{43}$' OR ip_prefix !~ '/(24|48)$')::int AS n, count(*)::int AS total
        FROM behavior_event`);
      expect(bad).toEqual({ n: 0, total: 2400 });
    });

    it('stores attachment hashes as 64 lowercase hex digits under unique storage keys', async () => {
      const att = await one<{ n: number; keys: number; hashes: number }>(a.dataSource, `
        SELECT count(*)::int AS n, count(DISTINCT storage_key)::int AS keys, count(*) FILTER (WHERE sha256 ~ '^[0-9a-f]{64}$')::int AS hashes FROM case_attachment`);
      expect(att.n).toBeGreaterThan(0);
      expect(att).toEqual({ n: att.n, keys: att.n, hashes: att.n });
    });
  });
});

describe('seedDatabase refuses', () => {
  // `seeded` holds a tiny seed: 2 customers asking for 1 order each, fewer than the demo customer's 20.
  let seeded: TestDatabase;
  let unmigrated: TestDatabase;
  let clash: TestDatabase;

  beforeAll(async () => {
    [seeded, unmigrated, clash] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    await unmigrated.dataSource.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await seedDatabase(seeded.dataSource, quiet({ customers: 2, ordersPerCustomer: 1, itemsPerOrder: 1, seed: 9 }));
  });
  afterAll(() => Promise.all([seeded, unmigrated, clash].map((db) => db?.drop())));

  it('an unmigrated database, saying to run the migrations first', async () => {
    expect(await isSeeded(unmigrated.dataSource)).toBe(false);
    await expect(seedDatabase(unmigrated.dataSource, quiet(DEMO_SEED))).rejects.toThrow(/run the migrations first/);
  });

  it('a database that is already seeded', async () => {
    await expect(seedDatabase(seeded.dataSource, quiet(DEMO_SEED))).rejects.toThrow(/already holds seeded data/);
  });

  it('options that make no sense, naming the option', async () => {
    await expect(seedDatabase(clash.dataSource, quiet({ ...DEMO_SEED, customers: 0 }))).rejects.toThrow(
      'seed option customers: expected an integer from 1 to 10,000,000, got 0',
    );
  });

  it('to leave half a seed behind when a row clashes midway', async () => {
    await clash.dataSource.query(`INSERT INTO customer (account_name, email, phone) VALUES ('Someone', 'JORDAN.DEMO@example.com', '+44 7700 900999')`);
    await expect(seedDatabase(clash.dataSource, quiet(DEMO_SEED))).rejects.toThrow(/customer_email_active_unique/);
    const left = await one<{ partners: number; customers: number }>(
      clash.dataSource,
      `SELECT (SELECT count(*)::int FROM partner) AS partners, (SELECT count(*)::int FROM customer) AS customers`,
    );
    expect(left).toEqual({ partners: 0, customers: 1 });
    expect(await isSeeded(clash.dataSource)).toBe(false);
  });

  it('to give the demo customer fewer than 20 orders, even when the options ask for fewer orders in all', async () => {
    const rows: { customer_id: string; n: number }[] = await seeded.dataSource.query(
      `SELECT customer_id, count(*)::int AS n FROM "order" GROUP BY 1 ORDER BY 2 DESC`,
    );
    expect(rows[0]).toEqual({ customer_id: DEMO_IDS.demoCustomer, n: 20 });
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(21);
  });
});
