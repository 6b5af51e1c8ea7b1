/**
 * Running one operation on two gateways and reading back what each answered: the response (its
 * cursors as the positions they hold), the audit event it wrote, the statements it sent and
 * whether one was a compiled read's (src/execution/read-plans.ts). Shared by the equivalence
 * tests of compiled reads.
 */
import { createDecipheriv, hkdfSync } from 'node:crypto';
import type { Caller } from '../../src/policy/principal';
import { countSql } from '../../src/platform/sql-counter';
import type { Gateway } from '../../src/server';
import { lastEvent, type Outcome } from '../audit/audit-harness';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import type { TestDatabase } from './database';
import { DEFAULT_RATE_LIMITS } from '../../src/hardening/rate-limit';
import { createTestGateway, TEST_SECRETS } from './gateway';
import type { HttpGateway } from './http';
import { SERVED_REQUEST } from './privacy-request-fixture';

/** The position a sealed cursor holds (read without its binding: the equivalence is of positions; a test below checks the binding). */
export function position(cursor: string): unknown {
  const raw = Buffer.from(cursor, 'base64url');
  const key = Buffer.from(hkdfSync('sha256', TEST_SECRETS.cursorSecret, 'need-to-know', 'cursor v1', 32));
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 13), { authTagLength: 16 });
  return JSON.parse(decipher.update(raw.subarray(29)).toString('utf8'));
}

/** `value` with every cursor (random per sealing) replaced by the position it holds. */
export function withPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPositions);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, typeof v === 'string' && /^(c|cursor|startCursor|endCursor)$/.test(k) ? { position: position(v) } : withPositions(v)]),
  );
}

/** Rate limits for tests that are refused and miss more often in a minute than the budgets allow, on purpose: the budgets are not what they test. */
export const UNLIMITED_REFUSALS = { ...DEFAULT_RATE_LIMITS, refusalsPerMinute: 1_000_000, missesPerMinute: 1_000_000 };

/** Two gateways over `db`: one with compiled reads, one resolving every read on graphql-js. */
export async function compiledAndPlain(db: TestDatabase): Promise<{ compiled: Gateway; plain: Gateway }> {
  const { gateway: compiled } = await createTestGateway(db, { rateLimits: UNLIMITED_REFUSALS });
  const { gateway: plain } = await createTestGateway(db, { compiledReads: false, rateLimits: UNLIMITED_REFUSALS });
  return { compiled, plain };
}

/** A compiled read's statement: its root rows name the request's subject (read-plans.ts), which no loader's statement does. */
export const isCompiled = (text: string) => / AS subject( FROM|,)/.test(text);

export async function outcomeAndEvent(gateway: Gateway, db: TestDatabase, query: string, caller: Caller, variables?: Record<string, unknown>) {
  const { result: response, sql } = await countSql(() => gateway.execute(query, caller, variables, REFERENCES));
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  const raw = { status: response.http.status ?? 200, ...JSON.parse(JSON.stringify(response.body.singleResult)) };
  const result = withPositions(raw);
  const event = await lastEvent(db.dataSource);
  const { id: _i, requestId: _r, at: _a, sealId: _s, hash: _h, ...content } = event as unknown as Record<string, unknown>;
  return { outcome: result as Outcome, event: content, statements: sql.count, texts: sql.statements, compiled: sql.statements.some(isCompiled) };
}

/** What a read serves, where its matrix row asks (sent in process and as the X-Legal-Case and X-Privacy-Request headers): the request is insertServedRequest's. */
export const REFERENCES = { legalCaseReference: 'CASE-2026-001', privacyRequestReference: SERVED_REQUEST };

/** Over HTTP, a test's caller travels as base64url JSON in the Authorization header (see `callerFrom`). */
export const bearerOf = (caller: Caller) => `Bearer ${Buffer.from(JSON.stringify(caller)).toString('base64url')}`;
export const callerFrom = async (headers: { authorization?: string }): Promise<Caller> => JSON.parse(Buffer.from(headers.authorization!.slice('Bearer '.length), 'base64url').toString());

/** A response body read back: status and result as sent, with cursors as positions; `text` the body itself. */
export async function httpOutcomeAndEvent(gateway: HttpGateway, db: TestDatabase, query: string, caller: Caller, variables?: Record<string, unknown>) {
  const response = await gateway.post({ query, variables }, { authorization: bearerOf(caller), 'x-legal-case': REFERENCES.legalCaseReference, 'x-privacy-request': REFERENCES.privacyRequestReference });
  const event = await lastEvent(db.dataSource);
  const { id: _i, requestId: _r, at: _a, sealId: _s, hash: _h, ...content } = event as unknown as Record<string, unknown>;
  return { outcome: withPositions({ status: response.status, ...response.json }) as Outcome, event: content, text: response.text };
}

/**
 * PostgreSQL's spacing in JSON it built (json_agg's `, \n ` between a list's items,
 * json_build_object's `"key" : value`): `JSON.stringify` never writes it.
 */
export const builtByPostgres = (body: string) => /, \n |" : /.test(body);

/**
 * Webhook endpoints, and deliveries to them about shipments and payment verifications of the demo
 * customer and of others (the seed holds none), for `partners` and for one partner besides them.
 * Answers a delivery of the first partner's and one of the other partner's.
 */
export async function seedWebhookDeliveries(db: TestDatabase, partners: string[]): Promise<string[]> {
  const [other] = (await db.dataSource.query(`SELECT id FROM partner WHERE kind = 'logistics' AND id <> ALL($1::uuid[]) ORDER BY id LIMIT 1`, [partners])) as Array<{ id: string }>;
  const out: string[] = [];
  for (const partner of [...partners, other!.id]) {
    const [endpoint] = (await db.dataSource.query(
      `INSERT INTO webhook_endpoint (partner_id, url, purpose, sealed_secret, created_at) VALUES ($1, 'https://hooks.example/ntk', 'fulfillment', '\\x00', now()) RETURNING id`,
      [partner],
    )) as Array<{ id: string }>;
    // Two resources of each kind: the demo customer's first, then another customer's.
    const delivered = (await db.dataSource.query(
      `INSERT INTO webhook_delivery (event_id, endpoint_id, partner_id, event_type, resource_id, occurred_at, tx_id, status, attempts, next_attempt_at, last_attempt_at, last_response_status, delivered_at)
       SELECT gen_random_uuid(), $1, $2, r.kind::webhook_event_type, r.id, now() - r.n * interval '1 minute', txid_current(), 'delivered', 1, now(), now(), 204, now()
       FROM (
         (SELECT 'shipment.changed' AS kind, s.id, 1 AS n FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id = $3 ORDER BY s.id LIMIT 1)
         UNION ALL (SELECT 'shipment.changed', s.id, 2 FROM shipment s JOIN "order" o ON o.id = s.order_id WHERE o.customer_id <> $3 ORDER BY s.id LIMIT 1)
         UNION ALL (SELECT 'payment_verification.changed', p.id, 3 FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE o.customer_id = $3 ORDER BY p.id LIMIT 1)
         UNION ALL (SELECT 'payment_verification.changed', p.id, 4 FROM payment_verification p JOIN "order" o ON o.id = p.order_id WHERE o.customer_id <> $3 ORDER BY p.id LIMIT 1)
       ) r RETURNING id`,
      [endpoint!.id, partner, DEMO_IDS.demoCustomer],
    )) as Array<{ id: string }>;
    if (partner === partners[0] || partner === other!.id) out.push(delivered[0]!.id);
  }
  return out;
}
