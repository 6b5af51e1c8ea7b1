/**
 * Consent the customer controls, over HTTP with real tokens and principal look-ups: a customer
 * authorizes a third party, the third party reads what the grant names (and the grant's terms),
 * the customer withdraws, and the third party's next request is refused. Every grant and
 * withdrawal is in the audit log with the customer as its subject. Then what a grant may not
 * be, and a grant outside the caller's scope answered exactly as one that does not exist.
 */
import { EVENT_SETS, EVENT_SETS_JOIN } from '../../src/audit/audit-record';
import type { Caller } from '../../src/policy/principal';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { countSql } from '../../src/platform/sql-counter';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { as } from '../harness/principals';

const DAY_MS = 86400_000;
const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id categories purpose grantedAt expiresAt withdrawnAt grantee { id name } } }`;
const WITHDRAW = `mutation($input: WithdrawConsentInput!) { withdrawConsent(input: $input) { id withdrawnAt } }`;
const RANDOM_ID = '6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e';

describe('consent the customer controls, over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  /** In process, where the statements a request issues can be counted. */
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  let stopInProcess: () => Promise<void>;
  const mint = (options: DevTokenOptions) => mintDevToken(options, gw.authConfig);
  const customerToken = () => mint({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'] });
  const call = async (token: string, query: string, variables?: Record<string, unknown>) => {
    const r = await gw.post({ query, variables }, { authorization: `Bearer ${token}` });
    return { status: r.status, body: r.json as ExecuteResult };
  };
  const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    const inProcess = await createTestGateway(db);
    ({ execute } = inProcess);
    stopInProcess = () => inProcess.gateway.stop();
  });
  afterAll(async () => {
    await gw.close();
    await stopInProcess();
    await db.drop();
  });

  it('a customer grants, the third party reads, the customer withdraws, and the next read is refused', async () => {
    const customer = await customerToken();

    // The third parties the customer may authorize.
    const listed = await call(customer, `{ partners(first: 20, filter: { kind: THIRD_PARTY, status: ACTIVE }) { nodes { id name } } }`);
    expect(listed.body.data!.partners.nodes.map((p: { id: string }) => p.id)).toContain(DEMO_IDS.thirdParty);

    const expiresAt = inDays(30);
    const granted = await call(customer, GRANT, {
      input: { granteeId: DEMO_IDS.thirdParty, categories: ['order.status', 'identity.account_name', 'order.status'], expiresAt },
    });
    expect(granted.body.errors).toBeUndefined();
    const grant = granted.body.data!.grantConsent;
    expect(grant).toMatchObject({
      categories: ['identity.account_name', 'order.status'],
      purpose: 'authorized_sharing',
      expiresAt,
      withdrawnAt: null,
      grantee: { id: DEMO_IDS.thirdParty },
    });
    const [stored] = await db.dataSource.query(`SELECT customer_id, grantee_partner_id, categories, purpose, withdrawn_at FROM consent_grant WHERE id = $1`, [grant.id]);
    expect(stored).toEqual({
      customer_id: DEMO_IDS.demoCustomer,
      grantee_partner_id: DEMO_IDS.thirdParty,
      categories: ['identity.account_name', 'order.status'],
      purpose: 'authorized_sharing',
      withdrawn_at: null,
    });

    // The third party reads what the grant names, and the terms of its grant.
    const third = await mint({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: grant.id, purposes: ['authorized_sharing'] });
    const read = await call(
      third,
      `{ customer(id: "${DEMO_IDS.demoCustomer}") { accountName orders(first: 2) { nodes { status } } }
         consentGrant(id: "${grant.id}") { categories purpose expiresAt withdrawnAt } }`,
    );
    expect(read.status).toBe(200);
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data!.customer.accountName).toBe('Jordan Demo');
    expect(read.body.data!.customer.orders.nodes).toHaveLength(2);
    expect(read.body.data!.consentGrant).toEqual({ categories: ['identity.account_name', 'order.status'], purpose: 'authorized_sharing', expiresAt: grant.expiresAt, withdrawnAt: null });
    // What the grant does not name stays refused.
    const email = await call(third, `{ customer(id: "${DEMO_IDS.demoCustomer}") { email } }`);
    expect(email.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);

    const withdrawn = await call(customer, WITHDRAW, { input: { grantId: grant.id } });
    expect(withdrawn.body.errors).toBeUndefined();
    expect(withdrawn.body.data!.withdrawConsent.withdrawnAt).toEqual(expect.any(String));

    // The very next request under the grant is refused, as any unusable token is.
    const after = await call(third, `{ consentGrant(id: "${grant.id}") { categories } }`);
    expect(after).toEqual({ status: 401, body: { errors: [{ message: 'Authentication required: send a valid bearer token', extensions: { code: 'UNAUTHENTICATED' } }] } });

    // Both writes are in the audit log, by the customer, about the customer.
    const events: Array<{ operation_name: string | null; principal_kind: string; customer_id: string; outcome: string; subject_ids: string[] }> = await db.dataSource.query(
      `SELECT e.operation_name, e.principal_kind, e.customer_id, e.outcome, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN}
        WHERE e.operation_type = 'mutation' AND e.customer_id = $1 ORDER BY e.at, e.id`,
      [DEMO_IDS.demoCustomer],
    );
    const writes = events.filter((e) => e.principal_kind === 'customer').map((e) => ({ outcome: e.outcome, subjects: e.subject_ids }));
    expect(writes).toEqual([
      { outcome: 'ok', subjects: [DEMO_IDS.demoCustomer] },
      { outcome: 'ok', subjects: [DEMO_IDS.demoCustomer] },
    ]);
  });

  it('answers a withdrawal of a grant already withdrawn with the grant as it is', async () => {
    const customer = await customerToken();
    const first = await call(customer, WITHDRAW, { input: { grantId: DEMO_IDS.withdrawnConsentGrant } });
    const [row] = await db.dataSource.query(`SELECT withdrawn_at FROM consent_grant WHERE id = $1`, [DEMO_IDS.withdrawnConsentGrant]);
    expect(first.body.data!.withdrawConsent.withdrawnAt).toBe(row.withdrawn_at.toISOString());
    expect(row.withdrawn_at.getUTCFullYear()).toBe(2024);
  });

  it('shows a third party the terms of its own grant whatever the grant names, and no other grant', async () => {
    const customer = await customerToken();
    const granted = await call(customer, GRANT, { input: { granteeId: DEMO_IDS.thirdParty, categories: ['order.reference'], expiresAt: inDays(7) } });
    const grantId = granted.body.data!.grantConsent.id;
    const third = await mint({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId, purposes: ['authorized_sharing'] });
    const own = await call(third, `{ consentGrant(id: "${grantId}") { categories grantee { id } } }`);
    expect(own.body).toEqual({ data: { consentGrant: { categories: ['order.reference'], grantee: { id: DEMO_IDS.thirdParty } } } });
    // Another grant of the same customer to the same third party answers as one that does not exist.
    const other = await call(third, `{ consentGrant(id: "${DEMO_IDS.consentGrant}") { categories } }`);
    const missing = await call(third, `{ consentGrant(id: "${RANDOM_ID}") { categories } }`);
    expect(other.body).toEqual({ data: { consentGrant: null } });
    expect(other.body).toEqual(missing.body);
  });

  it.each([
    ['a category no grant may name (the emergency contact)', { categories: ['contact.emergency'] }, /input\.categories/],
    ['the audit log', { categories: ['audit.record'] }, /input\.categories/],
    ['a category that does not exist', { categories: ['order.everything'] }, /input\.categories/],
    ['an expiry more than a year ahead', { expiresAt: inDays(367) }, /input\.expiresAt/],
    ['an expiry in the past', { expiresAt: inDays(-1) }, /input\.expiresAt/],
    ['a purpose a third party cannot declare', { purpose: 'analytics' }, /input\.purpose/],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_label, change, message) => {
    const customer = await customerToken();
    const [{ n: before }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM consent_grant`);
    const r = await call(customer, GRANT, { input: { granteeId: DEMO_IDS.thirdParty, categories: ['order.status'], expiresAt: inDays(30), ...change } });
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors?.[0].message).toMatch(message);
    const [{ n: after }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM consent_grant`);
    expect(after).toBe(before);
  });

  it('grants only to an active third party: a carrier, a suspended third party and an id that exists nowhere answer alike', async () => {
    const [{ id: suspended }] = await db.dataSource.query(`INSERT INTO partner (kind, name, status) VALUES ('third_party', 'Dormant Rewards', 'suspended') RETURNING id`);
    const customer = await customerToken();
    const answers = [];
    for (const granteeId of [DEMO_IDS.logisticsPartners[0], suspended, RANDOM_ID]) {
      answers.push((await call(customer, GRANT, { input: { granteeId, categories: ['order.status'], expiresAt: inDays(30) } })).body);
    }
    expect(answers[0].errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('lets a customer manage consent under data_subject_request only, never under after_sales', async () => {
    const token = await mint({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales'] });
    const r = await call(token, GRANT, { input: { granteeId: DEMO_IDS.thirdParty, categories: ['order.status'], expiresAt: inDays(30) } });
    expect(r.body.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['grantConsent']]]);
  });

  it("answers a withdrawal of another customer's grant exactly as one of a grant that does not exist, and withdraws nothing", async () => {
    const [{ id: other }] = await db.dataSource.query(`SELECT id FROM customer WHERE id <> $1 AND status = 'active' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    const theirs = await execute(GRANT, as.customer(other, 'data_subject_request'), {
      input: { granteeId: DEMO_IDS.thirdParty, categories: ['order.status'], expiresAt: new Date(Date.now() + 30 * DAY_MS).toISOString() },
    });
    const foreignId = theirs.data!.grantConsent.id as string;
    const demo = as.customer(DEMO_IDS.demoCustomer, 'data_subject_request');
    const foreign = await countSql(() => execute(WITHDRAW, demo, { input: { grantId: foreignId } }));
    const missing = await countSql(() => execute(WITHDRAW, demo, { input: { grantId: RANDOM_ID } }));
    expect(foreign.result).toEqual(missing.result);
    expect(foreign.result.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(foreign.sql.statements).toEqual(missing.sql.statements);
    const [row] = await db.dataSource.query(`SELECT withdrawn_at FROM consent_grant WHERE id = $1`, [foreignId]);
    expect(row.withdrawn_at).toBeNull();
  });
});
