/**
 * No write widens what its writer can read. Every mutation is run as every row of the
 * disclosure matrix (each principal kind, each staff role, each purpose), on a target of its own,
 * a target outside its row scope and an id that does not exist; afterwards the caller can read
 * what it could read before plus, at most, the records the write created.
 *
 * What a caller can read is computed here, in SQL written from the design's words for each kind
 * of row scope — not with the gateway's row-scope code. And the other promises of a write:
 * - a target outside the scope answers exactly as one that does not exist: the same response,
 *   the same SQL statements and the same audit event, and nothing is written;
 * - a write the caller's row does not grant is refused and writes nothing;
 * - a write it grants, on a target of its own, succeeds (so this table could fail).
 */
import type { Caller } from '../../src/policy/principal';
import { countSql } from '../../src/platform/sql-counter';
import { MATRIX, type MatrixRow, type RowScopeKind } from '../../src/policy/disclosure-matrix';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { callerOfMatrixRow } from '../harness/principals';
import { lastEvent } from '../audit/audit-harness';
import type { Gateway } from '../../src/server';

const RANDOM_ID = '3f5e9c2a-8b1d-4e7f-a6c5-0d9e8f7a6b5c';
const WRITE_TABLES = [
  'customer',
  'order',
  'shipment',
  'shipment_event',
  'payment_verification',
  'after_sales_case',
  'case_message',
  'case_record',
  'behavior_event',
  'consent_grant',
  'preference_consent',
] as const;
type Table = (typeof WRITE_TABLES)[number];

interface Subject {
  partner?: string;
  customer?: string;
  grant?: string;
}

/** `table:id` of every row a scope of each kind lets its caller read, in the tables writes touch. */
const READABLE: Record<RowScopeKind, (s: Subject) => [string, unknown[]]> = {
  all: () => [WRITE_TABLES.map((t) => `SELECT '${t}:' || id AS row FROM "${t}"`).join(' UNION ALL '), []],
  none: () => [`SELECT NULL::text AS row WHERE false`, []],
  // A carrier: its shipments, their scans and the orders they belong to.
  own_shipments: ({ partner }) => [
    `SELECT 'shipment:' || id AS row FROM shipment WHERE logistics_partner_id = $1
     UNION ALL SELECT 'shipment_event:' || e.id FROM shipment_event e JOIN shipment s ON s.id = e.shipment_id WHERE s.logistics_partner_id = $1
     UNION ALL SELECT 'order:' || id FROM "order" WHERE id IN (SELECT order_id FROM shipment WHERE logistics_partner_id = $1)`,
    [partner],
  ],
  // A payment provider: its verifications, their orders, and the orders its checkout assigned it.
  own_payments: ({ partner }) => [
    `SELECT 'payment_verification:' || id AS row FROM payment_verification WHERE provider_id = $1
     UNION ALL SELECT 'order:' || id FROM "order" WHERE payment_provider_id = $1 OR id IN (SELECT order_id FROM payment_verification WHERE provider_id = $1)`,
    [partner],
  ],
  // A platform: the orders sold through it and their payments.
  platform_orders: ({ partner }) => [
    `SELECT 'order:' || id AS row FROM "order" WHERE platform_partner_id = $1
     UNION ALL SELECT 'payment_verification:' || p.id FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE o.platform_partner_id = $1`,
    [partner],
  ],
  // Fulfilment staff: orders paid and not yet delivered, and their shipments.
  orders_paid_to_delivered: () => [
    `SELECT 'order:' || id AS row FROM "order" WHERE status IN ('paid', 'packed', 'shipped')
     UNION ALL SELECT 'shipment:' || s.id FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.status IN ('paid', 'packed', 'shipped')`,
    [],
  ],
  // The page views analytics aggregates.
  page_views: () => [`SELECT 'behavior_event:' || id AS row FROM behavior_event`, []],
  // A customer: all their consent grants and choices.
  self: ({ customer }) => {
    const [sql, params] = ownCustomer({ customer });
    return [`${sql} UNION ALL SELECT 'consent_grant:' || id FROM consent_grant WHERE customer_id = $1`, params];
  },
  // A third party: of the customer's grants, only the one it acts under.
  granted_customer: ({ customer, grant }) => {
    const [sql, params] = ownCustomer({ customer });
    return [`${sql} UNION ALL SELECT 'consent_grant:' || id FROM consent_grant WHERE id = $2`, [...params, grant]];
  },
};

/** A customer's own records, their consent grants apart (for a third party: the granting customer's). */
function ownCustomer({ customer }: Subject): [string, unknown[]] {
  return [
    `SELECT 'customer:' || id AS row FROM customer WHERE id = $1
     UNION ALL SELECT 'preference_consent:' || id FROM preference_consent WHERE customer_id = $1
     UNION ALL SELECT 'order:' || id FROM "order" WHERE customer_id = $1
     UNION ALL SELECT 'shipment:' || s.id FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $1
     UNION ALL SELECT 'shipment_event:' || e.id FROM shipment_event e JOIN shipment s ON s.id = e.shipment_id JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $1
     UNION ALL SELECT 'payment_verification:' || p.id FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE o.customer_id = $1
     UNION ALL SELECT 'after_sales_case:' || id FROM after_sales_case WHERE customer_id = $1
     UNION ALL SELECT 'case_message:' || m.id FROM case_message m JOIN after_sales_case c ON c.id = m.case_id WHERE c.customer_id = $1
     UNION ALL SELECT 'case_record:' || r.id FROM case_record r JOIN after_sales_case c ON c.id = r.case_id WHERE c.customer_id = $1`,
    [customer],
  ];
}

function subjectOf(caller: Caller): Subject {
  const p = caller.principal;
  if (p.kind === 'customer') return { customer: p.customerId };
  if (p.kind === 'third_party') return { customer: p.customerId, grant: p.grantId };
  if (p.kind === 'staff') return {};
  return { partner: p.partnerId };
}

interface Mutation {
  name: string;
  /** The table of the record it targets; none for writes that only add records. */
  target?: Table;
  /** Among the rows of `target`, those that make a valid target of their own (an open case). */
  usable?: string;
  document: string;
  /** The input for a target id (and the caller); `n` makes unique values unique. */
  input(target: string, caller: Caller, n: number, db: TestDatabase): Promise<Record<string, unknown>>;
}

const MUTATIONS: Mutation[] = [
  {
    name: 'recordShipmentTracking',
    target: 'shipment',
    document: `mutation($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { id } }`,
    input: async (id, _c, n) => ({ shipmentId: id, trackingNumber: `WS-TRACK-${n}` }),
  },
  {
    name: 'recordShipmentEvents',
    target: 'shipment',
    document: `mutation($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`,
    input: async (id, _c, n) => ({ shipmentId: id, events: [{ eventId: `ws-${n}`, occurredAt: new Date(Date.UTC(2026, 0, 1, 0, n % 60)).toISOString(), location: 'Hub', description: `Scan ${n}` }] }),
  },
  {
    name: 'recordPaymentResult',
    target: 'order',
    document: `mutation($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id } }`,
    input: async (id, _c, n, db) => {
      const [order] = await db.dataSource.query(`SELECT currency FROM "order" WHERE id = $1`, [id]);
      return { orderId: id, providerReference: `ws-${n}`, method: 'WALLET', amount: '1.00', currency: order?.currency ?? 'EUR', status: 'AUTHORIZED' };
    },
  },
  {
    name: 'openAfterSalesCase',
    target: 'order',
    document: `mutation($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id } }`,
    input: async (id, caller, _n, db) => {
      const [order] = await db.dataSource.query(`SELECT customer_id FROM "order" WHERE id = $1`, [id]);
      const customerId = caller.principal.kind === 'customer' ? undefined : (order?.customer_id ?? DEMO_IDS.demoCustomer);
      return { orderId: id, ...(customerId ? { customerId } : {}), type: 'COMPLAINT', subject: 'Late parcel', message: 'Where is it?' };
    },
  },
  {
    name: 'postCaseMessage',
    target: 'after_sales_case',
    usable: `status <> 'closed'`,
    document: `mutation($input: PostCaseMessageInput!) { postCaseMessage(input: $input) { id } }`,
    input: async (id) => ({ caseId: id, body: 'Any news?' }),
  },
  {
    name: 'updateAfterSalesCase',
    target: 'after_sales_case',
    document: `mutation($input: UpdateCaseInput!) { updateAfterSalesCase(input: $input) { id } }`,
    input: async (id) => ({ caseId: id, status: 'WAITING_ON_CUSTOMER' }),
  },
  {
    name: 'addCaseRecord',
    target: 'after_sales_case',
    document: `mutation($input: AddCaseRecordInput!) { addCaseRecord(input: $input) { id } }`,
    input: async (id) => ({ caseId: id, action: 'called_customer' }),
  },
  {
    name: 'ingestBehaviorEvents',
    document: `mutation($input: IngestBehaviorEventsInput!) { ingestBehaviorEvents(input: $input) { accepted } }`,
    input: async (_id, _c, n) => ({
      events: [
        { visitorId: `v-${n}`, ip: '198.51.100.7', userAgent: 'Mozilla/5.0 Firefox/120.0', page: '/p', dwellMs: 10, clicks: 1, occurredAt: new Date().toISOString(), analyticsConsent: true },
      ],
    }),
  },
  {
    name: 'grantConsent',
    document: `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`,
    input: async () => ({ granteeId: DEMO_IDS.thirdParty, categories: ['order.status'], expiresAt: new Date(Date.now() + 30 * 86400_000).toISOString() }),
  },
  {
    name: 'withdrawConsent',
    target: 'consent_grant',
    document: `mutation($input: WithdrawConsentInput!) { withdrawConsent(input: $input) { id } }`,
    input: async (id) => ({ grantId: id }),
  },
  {
    name: 'recordPreferenceChoices',
    document: `mutation($input: RecordPreferenceChoicesInput!) { recordPreferenceChoices(input: $input) { accepted } }`,
    input: async (_id, caller, n) => ({
      ...(caller.principal.kind === 'customer' ? {} : { visitorId: `v-${n}` }),
      choices: [{ category: 'ANALYTICS', granted: n % 2 === 0 }],
    }),
  },
];

const refused = (r: ExecuteResult) => (r.errors ?? []).some((e) => e.extensions?.code === 'FORBIDDEN' || e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED');

describe('no write widens what its writer can read', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  /** The audit event of the last request, without what differs from one request to the next. */
  const eventContent = async () => {
    const { id: _i, requestId: _r, at: _a, sealId: _s, hash: _h, ...content } = (await lastEvent(db.dataSource)) as unknown as Record<string, unknown>;
    return content;
  };

  const readable = async (row: MatrixRow, caller: Caller): Promise<Set<string>> => {
    const [sql, params] = READABLE[row.rows](subjectOf(caller));
    const rows: Array<{ row: string }> = await db.dataSource.query(sql, params);
    return new Set(rows.map((r) => r.row));
  };

  /** Every row of the tables writes touch: its `table:id`, and a digest of all their content. */
  const snapshot = async (): Promise<{ ids: Set<string>; digest: string }> => {
    const rows: Array<{ t: string; ids: string[] | null; digest: string | null }> = await db.dataSource.query(
      WRITE_TABLES.map((t) => `SELECT '${t}' AS t, array_agg(id::text) AS ids, md5(string_agg(x::text, ',' ORDER BY x.id)) AS digest FROM "${t}" x`).join(' UNION ALL '),
    );
    return { ids: new Set(rows.flatMap((r) => (r.ids ?? []).map((id) => `${r.t}:${id}`))), digest: rows.map((r) => r.digest ?? '').join('|') };
  };

  /** A row of `table` the caller can read (a target of its own), and one it cannot (a foreign one). */
  const targets = async (m: Mutation, mine: Set<string>): Promise<{ own?: string; foreign?: string }> => {
    if (!m.target) return {};
    const rows: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM "${m.target}" ${m.usable ? `WHERE ${m.usable}` : ''} ORDER BY id`);
    return {
      own: rows.find((r) => mine.has(`${m.target}:${r.id}`))?.id,
      foreign: rows.find((r) => !mine.has(`${m.target}:${r.id}`))?.id,
    };
  };

  describe.each(MATRIX.map((row) => [`${row.principal} × ${row.purpose}`, row] as const))('%s', (_label, row) => {
    const caller = callerOfMatrixRow(row);

    it.each(MUTATIONS.map((m) => [m.name, m] as const))('%s', async (_name, m) => {
      const granted = row.operations?.includes(m.name) ?? false;
      const before = await readable(row, caller);
      const { own, foreign } = await targets(m, before);
      // Every write a row grants has a target of the row's own in the demo data.
      if (granted && m.target) expect(own).toBeDefined();

      // A target of its own (or, for a write that only adds records, a valid batch).
      if (own !== undefined || !m.target) {
        const input = await m.input(own ?? RANDOM_ID, caller, (n += 1), db);
        const stored = await snapshot();
        const r = await execute(m.document, caller, { input });
        const after = await readable(row, caller);
        const written = [...(await snapshot()).ids].filter((id) => !stored.ids.has(id));
        const gained = [...after].filter((id) => !before.has(id) && !written.includes(id));
        const lost = [...before].filter((id) => !after.has(id));
        expect({ gained, lost }).toEqual({ gained: [], lost: [] });
        if (granted) expect(r.errors).toBeUndefined();
        else {
          expect(refused(r)).toBe(true);
          expect(written).toEqual([]);
        }
      }

      // A target outside the scope, against an id that does not exist.
      if (m.target) {
        const inputs = { missing: await m.input(RANDOM_ID, caller, (n += 1), db), foreign: foreign && (await m.input(foreign, caller, (n += 1), db)) };
        const readableBefore = await readable(row, caller);
        const stored = await snapshot();
        const missing = await countSql(() => execute(m.document, caller, { input: inputs.missing }));
        const missingEvent = await eventContent();
        if (inputs.foreign) {
          const outside = await countSql(() => execute(m.document, caller, { input: inputs.foreign }));
          expect(outside.result).toEqual(missing.result);
          expect(outside.sql.statements).toEqual(missing.sql.statements);
          expect(await eventContent()).toEqual(missingEvent);
        }
        expect((await snapshot()).digest).toBe(stored.digest);
        expect(await readable(row, caller)).toEqual(readableBefore);
        if (granted) expect(missing.result.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
        else expect(refused(missing.result)).toBe(true);
      }
    });
  });
});
