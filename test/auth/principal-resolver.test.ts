import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { TokenClaims } from '../../src/auth/claims';
import { createPrincipalResolver, type PrincipalResolver } from '../../src/auth/principal-resolver';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { DAY_MS, authFailure, insertCustomer, insertGrant, insertPartner } from './auth-fixtures';

const times = { subject: 'sub-1', issuedAt: 0, expiresAt: 0 };

let db: TestDatabase;
let ds: DataSource;
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  ds = db.dataSource;
  ids.logistics = await insertPartner(ds, 'logistics');
  ids.logisticsSuspended = await insertPartner(ds, 'logistics', 'suspended');
  ids.payment = await insertPartner(ds, 'payment');
  ids.platform = await insertPartner(ds, 'platform');
  ids.thirdParty = await insertPartner(ds, 'third_party');
  ids.otherThirdParty = await insertPartner(ds, 'third_party');
  ids.thirdPartySuspended = await insertPartner(ds, 'third_party', 'suspended');
  ids.customer = await insertCustomer(ds);
  // Erased after granting (a row about a customer is written only while they are active).
  ids.erased = await insertCustomer(ds);
  const grant = { customerId: ids.customer, partnerId: ids.thirdParty };
  ids.grant = await insertGrant(ds, { ...grant, categories: ['order.status', 'order.reference'] });
  ids.withdrawnGrant = await insertGrant(ds, { ...grant, withdrawnAt: new Date(Date.now() - 60_000) });
  ids.expiredGrant = await insertGrant(ds, { ...grant, grantedAt: new Date(Date.now() - 10 * DAY_MS), expiresAt: new Date(Date.now() - 1000) });
  ids.futureGrant = await insertGrant(ds, { ...grant, grantedAt: new Date(Date.now() + DAY_MS), expiresAt: new Date(Date.now() + 2 * DAY_MS) });
  ids.foreignGrant = await insertGrant(ds, { customerId: ids.customer, partnerId: ids.otherThirdParty });
  ids.erasedCustomerGrant = await insertGrant(ds, { customerId: ids.erased, partnerId: ids.thirdParty });
  await ds.query(`UPDATE customer SET status = 'erased' WHERE id = $1`, [ids.erased]);
  ids.suspendedGranteeGrant = await insertGrant(ds, { customerId: ids.customer, partnerId: ids.thirdPartySuspended });
  ids.unknownCategoryGrant = await insertGrant(ds, { ...grant, categories: ['order.status', 'shoe.size'] });
});

afterAll(async () => {
  await db?.drop();
});

const partner = (kind: 'logistics_partner' | 'payment_provider' | 'platform_operator', partnerId: () => string) => (): TokenClaims => ({
  kind,
  ...times,
  partnerId: partnerId(),
  purposes: ['fulfillment'],
});
const customer = (customerId: () => string) => (): TokenClaims => ({ kind: 'customer', ...times, customerId: customerId(), purposes: ['after_sales'] });
const thirdParty = (partnerId: () => string, grantId: () => string) => (): TokenClaims => ({
  kind: 'third_party',
  ...times,
  partnerId: partnerId(),
  grantId: grantId(),
  purposes: ['authorized_sharing'],
});

describe('createPrincipalResolver', () => {
  let resolver: PrincipalResolver;
  beforeEach(() => {
    resolver = createPrincipalResolver(ds);
  });

  it('resolves staff from the token alone', async () => {
    await expect(resolver.resolve({ kind: 'staff', ...times, roles: ['fulfillment'], purposes: ['fulfillment'] })).resolves.toEqual({
      kind: 'staff',
      subject: 'sub-1',
      roles: ['fulfillment'],
    });
  });

  it.each([
    ['logistics_partner', 'logistics'],
    ['payment_provider', 'payment'],
    ['platform_operator', 'platform'],
  ] as const)('resolves an active %s', async (kind, row) => {
    await expect(resolver.resolve(partner(kind, () => ids[row]!)())).resolves.toEqual({ kind, subject: 'sub-1', partnerId: ids[row] });
  });

  it('resolves an active customer', async () => {
    await expect(resolver.resolve(customer(() => ids.customer!)())).resolves.toEqual({ kind: 'customer', subject: 'sub-1', customerId: ids.customer });
  });

  it('resolves a third party with the customer, categories and purpose of its grant', async () => {
    await expect(resolver.resolve(thirdParty(() => ids.thirdParty!, () => ids.grant!)())).resolves.toEqual({
      kind: 'third_party',
      subject: 'sub-1',
      partnerId: ids.thirdParty,
      grantId: ids.grant,
      customerId: ids.customer,
      categories: ['order.status', 'order.reference'],
      grantPurpose: 'authorized_sharing',
    });
  });

  it.each<[string, () => TokenClaims, RegExp]>([
    ['an unknown partner', partner('logistics_partner', () => randomUUID()), /^principal: logistics_partner .*: no such partner$/],
    ['a suspended partner', partner('logistics_partner', () => ids.logisticsSuspended!), /: partner is suspended$/],
    ['a payment partner posing as a carrier', partner('logistics_partner', () => ids.payment!), /: expected a logistics partner, got a payment partner$/],
    ['a carrier posing as a payment provider', partner('payment_provider', () => ids.logistics!), /: expected a payment partner, got a logistics partner$/],
    ['a third party posing as a platform', partner('platform_operator', () => ids.thirdParty!), /: expected a platform partner, got a third_party partner$/],
    ['an unknown customer', customer(() => randomUUID()), /^principal: customer .*: no such customer$/],
    ['an erased customer', customer(() => ids.erased!), /: customer is erased$/],
    ['a third party that is a carrier', thirdParty(() => ids.logistics!, () => ids.grant!), /: expected a third_party partner, got a logistics partner$/],
    ['a suspended third party', thirdParty(() => ids.thirdPartySuspended!, () => ids.suspendedGranteeGrant!), /: partner is suspended$/],
    ['an unknown grant', thirdParty(() => ids.thirdParty!, () => randomUUID()), /: no such grant$/],
    ['a withdrawn grant', thirdParty(() => ids.thirdParty!, () => ids.withdrawnGrant!), /: withdrawn at /],
    ['an expired grant', thirdParty(() => ids.thirdParty!, () => ids.expiredGrant!), /: expired at /],
    ['a grant not yet in force', thirdParty(() => ids.thirdParty!, () => ids.futureGrant!), /: not in force until /],
    ["another third party's grant", thirdParty(() => ids.thirdParty!, () => ids.foreignGrant!), /: the grant names another grantee$/],
    ['a grant from an erased customer', thirdParty(() => ids.thirdParty!, () => ids.erasedCustomerGrant!), /: the granting customer is erased$/],
    ['a grant with a category the policy does not know', thirdParty(() => ids.thirdParty!, () => ids.unknownCategoryGrant!), /are not all data categories$/],
  ])('refuses %s', async (_, claims, reason) => {
    const error = await authFailure(() => resolver.resolve(claims()));
    expect(error.reason).toMatch(reason);
  });
});

describe('createPrincipalResolver cache', () => {
  function counting(): { source: Pick<DataSource, 'query'>; statements: Array<[string, unknown[] | undefined]> } {
    const statements: Array<[string, unknown[] | undefined]> = [];
    return {
      statements,
      source: {
        query: ((sql: string, params?: unknown[]) => {
          statements.push([sql.trim().split(/\s+/).slice(0, 4).join(' '), params]);
          return ds.query(sql, params);
        }) as DataSource['query'],
      },
    };
  }

  it('issues one parameterised statement per look-up, selecting only the columns it needs', async () => {
    const { source, statements } = counting();
    const resolver = createPrincipalResolver(source);
    await resolver.resolve(thirdParty(() => ids.thirdParty!, () => ids.grant!)());
    await resolver.resolve(customer(() => ids.customer!)());
    expect(statements).toEqual([
      ['SELECT kind, status FROM', [ids.thirdParty]],
      ['SELECT g.customer_id, g.grantee_partner_id, g.categories,', [ids.grant]],
      ['SELECT status FROM customer', [ids.customer]],
    ]);
  });

  it('answers concurrent and repeated look-ups of one principal with one query', async () => {
    const { source, statements } = counting();
    const resolver = createPrincipalResolver(source);
    const claims = partner('logistics_partner', () => ids.logistics!)();
    await Promise.all([resolver.resolve(claims), resolver.resolve(claims), resolver.resolve(claims)]);
    await resolver.resolve(claims);
    expect(statements).toHaveLength(1);
  });

  it('lets a suspension take effect once the TTL has passed, not before', async () => {
    const id = await insertPartner(ds, 'payment');
    let now = Date.now();
    const resolver = createPrincipalResolver(ds, { cacheTtlMs: 2000, now: () => now });
    const claims = partner('payment_provider', () => id)();
    await expect(resolver.resolve(claims)).resolves.toMatchObject({ partnerId: id });

    await ds.query(`UPDATE partner SET status = 'suspended' WHERE id = $1`, [id]);
    now += 1999;
    await expect(resolver.resolve(claims)).resolves.toMatchObject({ partnerId: id });
    now += 2;
    expect((await authFailure(() => resolver.resolve(claims))).reason).toMatch(/: partner is suspended$/);
  });

  it('never caches customers: an erasure takes effect on the next request, whatever the TTL', async () => {
    const [{ id }] = await ds.query(`INSERT INTO customer (account_name, email, phone) VALUES ('Cached Casey', 'casey-' || gen_random_uuid() || '@example.com', '+44 20 7946 0000') RETURNING id`);
    const resolver = createPrincipalResolver(ds, { cacheTtlMs: 10_000 });
    const claims = customer(() => id)();
    await expect(resolver.resolve(claims)).resolves.toMatchObject({ customerId: id });
    await ds.query(`UPDATE customer SET status = 'erased' WHERE id = $1`, [id]);
    expect((await authFailure(() => resolver.resolve(claims))).reason).toMatch(/: customer is erased$/);
  });

  it('never caches grants: a withdrawal takes effect on the next request, whatever the TTL', async () => {
    const grantId = await insertGrant(ds, { customerId: ids.customer!, partnerId: ids.thirdParty! });
    const resolver = createPrincipalResolver(ds, { cacheTtlMs: 10_000 });
    const claims = thirdParty(() => ids.thirdParty!, () => grantId)();
    await expect(resolver.resolve(claims)).resolves.toMatchObject({ grantId });
    await ds.query(`UPDATE consent_grant SET withdrawn_at = now() WHERE id = $1`, [grantId]);
    expect((await authFailure(() => resolver.resolve(claims))).reason).toMatch(/: withdrawn at /);
  });

  it('checks grant expiry against the clock even while the row is cached', async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const grantId = await insertGrant(ds, { customerId: ids.customer!, partnerId: ids.thirdParty!, expiresAt });
    let now = Date.now();
    const resolver = createPrincipalResolver(ds, { cacheTtlMs: 10_000, now: () => now });
    const claims = thirdParty(() => ids.thirdParty!, () => grantId)();
    await expect(resolver.resolve(claims)).resolves.toMatchObject({ grantId });
    now = expiresAt.getTime();
    expect((await authFailure(() => resolver.resolve(claims))).reason).toMatch(/: expired at /);
  });

  it('does not cache with a TTL of 0', async () => {
    const { source, statements } = counting();
    const resolver = createPrincipalResolver(source, { cacheTtlMs: 0 });
    const claims = customer(() => ids.customer!)();
    await resolver.resolve(claims);
    await resolver.resolve(claims);
    expect(statements).toHaveLength(2);
  });

  it('does not remember a failed query', async () => {
    let fail = true;
    const source = {
      query: ((sql: string, params?: unknown[]) => (fail ? Promise.reject(new Error('connection reset')) : ds.query(sql, params))) as DataSource['query'],
    };
    const resolver = createPrincipalResolver(source);
    const claims = customer(() => ids.customer!)();
    await expect(resolver.resolve(claims)).rejects.toThrow('connection reset');
    fail = false;
    await expect(resolver.resolve(claims)).resolves.toMatchObject({ customerId: ids.customer });
  });

  it.each([-1, 10_001, 1.5])('refuses a cacheTtlMs of %p', (cacheTtlMs) => {
    expect(() => createPrincipalResolver(ds, { cacheTtlMs })).toThrow(
      `createPrincipalResolver: expected cacheTtlMs to be an integer from 0 to 10000, got ${cacheTtlMs}`,
    );
  });
});
