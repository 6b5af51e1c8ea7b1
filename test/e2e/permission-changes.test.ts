/**
 * A permission taken away takes effect on the very next request, with every cache of a deployed
 * gateway warm: the token verifier's, the principal look-ups' (default time to live), the routing
 * and compiled-plan caches, persisted queries. Each case reads once to warm them, changes the
 * permission in the database as the gateway's own writes or an operator would, and asks again at
 * once with the same token and document.
 */
import { createHash } from 'node:crypto';
import { createAuthenticator } from '../../src/auth/authenticate';
import { createPrincipalResolver, DEFAULT_CACHE_TTL_MS } from '../../src/auth/principal-resolver';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

describe('a permission taken away, on the very next request', () => {
  let db: TestDatabase;
  let gw: HttpGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    const authConfig = loadAuthConfig({}, 'test');
    // As deployed: look-ups cached for their default time (the harness's own caches nothing).
    const resolver = createPrincipalResolver(db.dataSource, { cacheTtlMs: DEFAULT_CACHE_TTL_MS });
    gw = await startHttpGateway(db, { authenticate: createAuthenticator({ verifier: createTokenVerifier(authConfig), resolver }) });
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  /** A fresh customer with one order, so that each case changes rows of its own. */
  const newCustomer = async (): Promise<string> => {
    const [{ id }] = await db.dataSource.query(
      `INSERT INTO customer (account_name, email, phone, preferred_language, status, analytics_objection) SELECT account_name, 'x' || gen_random_uuid() || '@example.com', phone, preferred_language, 'active', false FROM customer WHERE id = $1 RETURNING id`,
      [DEMO_IDS.demoCustomer],
    );
    return id;
  };
  const newGrant = async (customerId: string): Promise<string> => {
    const [{ id }] = await db.dataSource.query(
      `INSERT INTO consent_grant (customer_id, grantee_partner_id, categories, purpose, granted_at, expires_at)
       SELECT $2, grantee_partner_id, categories, purpose, now(), expires_at FROM consent_grant WHERE id = $1 RETURNING id`,
      [DEMO_IDS.consentGrant, customerId],
    );
    return id;
  };

  const READ = (customerId: string) => `{ customer(id: "${customerId}") { accountName } }`;
  type Case = [label: string, setUp: () => Promise<{ token: DevTokenOptions; query: string; persisted?: boolean; change: () => Promise<unknown> }>];
  /** A third party reading the customer of a grant of its own, and `change` applied to that grant or customer. */
  const grantCase = (change: (ids: { grantId: string; customerId: string }) => Promise<unknown>, persisted = false) => async () => {
    const customerId = await newCustomer();
    const grantId = await newGrant(customerId);
    return {
      token: { kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId, purposes: ['authorized_sharing'] } as DevTokenOptions,
      query: READ(customerId),
      persisted,
      change: () => change({ grantId, customerId }),
    };
  };
  const withdraw = ({ grantId }: { grantId: string }) => db.dataSource.query(`UPDATE consent_grant SET withdrawn_at = now() WHERE id = $1`, [grantId]);
  const cases: Case[] = [
    ['a consent grant withdrawn', grantCase(withdraw)],
    ['a consent grant expired', grantCase(({ grantId }) => db.dataSource.query(`UPDATE consent_grant SET expires_at = now() - interval '1 millisecond' WHERE id = $1`, [grantId]))],
    ['a consent grant withdrawn, read through a persisted query', grantCase(withdraw, true)],
    ["the grant's customer erased", grantCase(({ customerId }) => db.dataSource.query(`UPDATE customer SET status = 'erased' WHERE id = $1`, [customerId]))],
    [
      'a customer erased, reading their own data',
      async () => {
        const customerId = await newCustomer();
        return {
          token: { kind: 'customer', customerId, purposes: ['after_sales'] },
          query: READ(customerId),
          change: () => db.dataSource.query(`UPDATE customer SET status = 'erased' WHERE id = $1`, [customerId]),
        };
      },
    ],
  ];

  it.each(cases)('%s: the next request is refused with 401, as any token that names no usable principal', async (_label, setUp) => {
    const { token, query, persisted, change } = await setUp();
    const headers = { authorization: `Bearer ${await mintDevToken(token, gw.authConfig)}` };
    const body = persisted ? { query, extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } } } : { query };
    // Twice: the second request finds every cache warm (a persisted query then sends its hash alone).
    for (const warm of [body, persisted ? { extensions: body.extensions } : body]) {
      const r = await gw.post(warm, headers);
      expect([r.status, r.json.errors]).toEqual([200, undefined]);
    }
    await change();
    const next = await gw.post(persisted ? { extensions: body.extensions } : body, headers);
    expect({ status: next.status, codes: next.json.errors?.map((e: any) => e.extensions.code), data: next.json.data }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'], data: undefined });
  });
});
