/**
 * Authentication and declared purpose over real HTTP: every token failure is the same 401,
 * reveals nothing and runs nothing; every principal kind x purpose gets the answer the design
 * gives it.
 */
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { loadAuthConfig, type AuthConfig } from '../../src/auth/auth-config';
import { createAuthenticator } from '../../src/auth/authenticate';
import { createPrincipalResolver } from '../../src/auth/principal-resolver';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { DEFAULT_RATE_LIMITS } from '../../src/hardening/rate-limit';
import { totalSqlStatements } from '../../src/platform/sql-counter';
import { PURPOSES, type Purpose } from '../../src/policy/vocabulary';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';

const QUERY = { query: '{ __typename }' };
/** Reads for legal compliance name the legal case they are for. */
/** The reference headers compliance officers' reads need (served-request.ts); sent for every purpose, used where the row asks. */
const legalCase = (_purpose: Purpose): Record<string, string> => ({ 'x-legal-case': 'CASE-2026-042', 'x-privacy-request': SERVED_REQUEST });

const UNAUTHENTICATED_BODY = {
  errors: [{ message: 'Authentication required: send a valid bearer token', extensions: { code: 'UNAUTHENTICATED' } }],
};

describe('authentication over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  const secret = () => gw.authConfig.devSecret!;
  const now = () => Math.floor(Date.now() / 1000);
  const staffClaims = { kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] };
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: Parameters<SignJWT["sign"]>[0] = secret()) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', ...header })
      .sign(key, { crit: Object.fromEntries(((header.crit as string[] | undefined) ?? []).map((name) => [name, true])) });
  const good = (extra: Record<string, unknown> = {}) => ({
    ...staffClaims,
    sub: 'alice',
    iss: gw.authConfig.issuer,
    aud: gw.authConfig.audience,
    iat: now(),
    exp: now() + 600,
    ...extra,
  });
  const mint = (options: Omit<DevTokenOptions, 'purposes'> & { purposes: Purpose[] }) => mintDevToken(options, gw.authConfig);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    // Every refusal here comes from one address, far more than a minute's budget of them allows
    // (refusal-budgets.test.ts tests that budget): this gateway's is beyond what the file sends.
    gw = await startHttpGateway(db, { rateLimits: { ...DEFAULT_RATE_LIMITS, unauthenticatedPerMinute: 100_000 } });
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  const TOKEN_FAILURES: Array<[string, () => Promise<string | undefined>]> = [
    ['no Authorization header', async () => undefined],
    ['a Basic credential', async () => 'Basic YWxpY2U6c2VjcmV0'],
    ['Bearer with no token', async () => 'Bearer '],
    ['a malformed token', async () => 'Bearer not.a.jwt'],
    ['a bad signature', async () => `Bearer ${await sign(good(), {}, new TextEncoder().encode('another-secret-another-secret-123'))}`],
    ['alg none', async () => `Bearer ${new UnsecuredJWT(good()).encode()}`],
    [
      'an RS256 token (only HS256 is configured in development)',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return `Bearer ${await new SignJWT(good()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)}`;
      },
    ],
    ['an expired token', async () => `Bearer ${await sign(good({ iat: now() - 7200, exp: now() - 3600 }))}`],
    ['a token not valid yet', async () => `Bearer ${await sign(good({ nbf: now() + 3600 }))}`],
    ['a token issued in the future', async () => `Bearer ${await sign(good({ iat: now() + 3600, exp: now() + 7200 }))}`],
    ['a token older than the maximum age', async () => `Bearer ${await sign(good({ iat: now() - 90000, exp: now() + 600 }))}`],
    ['no exp', async () => `Bearer ${await sign((({ exp: _e, ...rest }) => rest)(good()))}`],
    ['no sub', async () => `Bearer ${await sign((({ sub: _s, ...rest }) => rest)(good()))}`],
    ['a wrong issuer', async () => `Bearer ${await sign(good({ iss: 'someone-else' }))}`],
    ['a wrong audience', async () => `Bearer ${await sign(good({ aud: 'another-api' }))}`],
    ['an unknown crit header', async () => `Bearer ${await sign(good(), { crit: ['x-unknown'], 'x-unknown': 1 })}`],
    ['an unknown principal kind', async () => `Bearer ${await sign(good({ kind: 'admin' }))}`],
    ['a partner that does not exist', async () => `Bearer ${await mint({ kind: 'logistics_partner', partnerId: '00000000-0000-4000-8000-000000000000', purposes: ['fulfillment'] })}`],
    ['a suspended partner', async () => `Bearer ${await mint({ kind: 'logistics_partner', partnerId: DEMO_IDS.suspendedLogisticsPartner, purposes: ['fulfillment'] })}`],
    ['a partner of another kind', async () => `Bearer ${await mint({ kind: 'logistics_partner', partnerId: DEMO_IDS.paymentProviders[0], purposes: ['fulfillment'] })}`],
    ['a withdrawn grant', async () => `Bearer ${await mint({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: DEMO_IDS.withdrawnConsentGrant, purposes: ['authorized_sharing'] })}`],
    ['an expired grant', async () => `Bearer ${await mint({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: DEMO_IDS.expiredConsentGrant, purposes: ['authorized_sharing'] })}`],
  ];

  it.each(TOKEN_FAILURES)('%s: 401, the same body and challenge, and no GraphQL work', async (_label, token) => {
    const authorization = await token();
    const before = totalSqlStatements();
    const r = await gw.post(QUERY, authorization === undefined ? {} : { authorization });
    const statements = totalSqlStatements() - before;
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(r.json).toEqual(UNAUTHENTICATED_BODY);
    // At most the principal look-ups (partner, grant); no resolver ran.
    expect(statements).toBeLessThanOrEqual(2);
  });

  const PRINCIPALS: Array<{ label: string; options: Omit<DevTokenOptions, 'purposes'>; allowed: Purpose[] }> = [
    { label: 'logistics partner', options: { kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0] }, allowed: ['fulfillment'] },
    { label: 'payment provider', options: { kind: 'payment_provider', partnerId: DEMO_IDS.paymentProviders[0] }, allowed: ['payment_settlement'] },
    { label: 'platform operator', options: { kind: 'platform_operator', partnerId: DEMO_IDS.platformOperator }, allowed: ['platform_operation'] },
    { label: 'customer', options: { kind: 'customer', customerId: DEMO_IDS.demoCustomer }, allowed: ['data_subject_request', 'after_sales'] },
    {
      label: 'third party',
      options: { kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: DEMO_IDS.consentGrant },
      allowed: ['authorized_sharing'],
    },
    { label: 'staff customer_service', options: { kind: 'staff', roles: ['customer_service'] }, allowed: ['after_sales', 'fulfillment', 'data_subject_request'] },
    { label: 'staff fulfillment', options: { kind: 'staff', roles: ['fulfillment'] }, allowed: ['fulfillment'] },
    { label: 'staff fraud_analyst', options: { kind: 'staff', roles: ['fraud_analyst'] }, allowed: ['fraud_prevention'] },
    { label: 'staff data_analyst', options: { kind: 'staff', roles: ['data_analyst'] }, allowed: ['analytics'] },
    { label: 'staff compliance_officer', options: { kind: 'staff', roles: ['compliance_officer'] }, allowed: ['legal_compliance', 'data_subject_request'] },
    { label: 'staff storefront', options: { kind: 'staff', roles: ['storefront'] }, allowed: ['analytics'] },
  ];

  const PURPOSE_CASES = PRINCIPALS.flatMap((p) =>
    PURPOSES.map((purpose) => ({ ...p, purpose, ok: p.allowed.includes(purpose) })),
  );

  it.each(PURPOSE_CASES)('$label declaring $purpose: allowed=$ok', async ({ options, purpose, ok, allowed }) => {
    // The token lists the purpose and another one, so the header has to choose.
    const other = allowed.find((a) => a !== purpose) ?? PURPOSES.find((a) => a !== purpose)!;
    const token = await mint({ ...options, purposes: [purpose, other] });
    const r = await gw.post(QUERY, { authorization: `Bearer ${token}`, 'x-purpose': purpose, ...legalCase(purpose) });
    if (ok) {
      expect({ status: r.status, body: r.json }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    } else {
      expect({ status: r.status, code: r.json.errors[0].extensions.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
      expect(r.json.data).toBeUndefined();
    }
  });

  it.each(PRINCIPALS)('$label: a token with one purpose may omit X-Purpose', async ({ options, allowed }) => {
    const token = await mint({ ...options, purposes: [allowed[0]] });
    const r = await gw.post(QUERY, { authorization: `Bearer ${token}`, ...legalCase(allowed[0]) });
    expect(r.status).toBe(200);
  });

  it.each(PRINCIPALS)('$label: several purposes and no X-Purpose is BAD_USER_INPUT', async ({ options, allowed }) => {
    const token = await mint({ ...options, purposes: [allowed[0], allowed[1] ?? (allowed[0] === 'analytics' ? 'fulfillment' : 'analytics')] });
    const r = await gw.post(QUERY, { authorization: `Bearer ${token}` });
    expect({ status: r.status, code: r.json.errors[0].extensions.code }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
  });

  it('a purpose the token does not list is FORBIDDEN; an unknown one is BAD_USER_INPUT', async () => {
    const token = await mint({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] });
    const notListed = await gw.post(QUERY, { authorization: `Bearer ${token}`, 'x-purpose': 'fulfillment' });
    expect({ status: notListed.status, code: notListed.json.errors[0].extensions.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    const unknown = await gw.post(QUERY, { authorization: `Bearer ${token}`, 'x-purpose': 'marketing' });
    expect({ status: unknown.status, code: unknown.json.errors[0].extensions.code }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
  });

  it('withdrawing a grant takes effect on the next request', async () => {
    const token = await mint({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: DEMO_IDS.consentGrant, purposes: ['authorized_sharing'] });
    expect((await gw.post(QUERY, { authorization: `Bearer ${token}` })).status).toBe(200);
    await db.dataSource.query(`UPDATE consent_grant SET withdrawn_at = now() WHERE id = $1`, [DEMO_IDS.consentGrant]);
    try {
      expect((await gw.post(QUERY, { authorization: `Bearer ${token}` })).status).toBe(401);
    } finally {
      await db.dataSource.query(`UPDATE consent_grant SET withdrawn_at = NULL WHERE id = $1`, [DEMO_IDS.consentGrant]);
    }
  });
});

/**
 * The production arrangement over HTTP: keys from the identity provider's key set (JWKS),
 * RS256 and ES256 only. Every way of forging or misdirecting a token is the same 401 as above.
 */
describe('authentication over HTTP against a key set', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let config: AuthConfig;
  let rsa: CryptoKeyPair;
  let attacker: CryptoKeyPair;
  let publicPem: string;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'], sub: 'alice', iss: config.issuer, aud: config.audience, iat: now(), exp: now() + 600 });
  const sign = (header: Record<string, unknown>, key: Parameters<SignJWT['sign']>[0], body: Record<string, unknown> = claims()) => new SignJWT(body).setProtectedHeader(header as never).sign(key);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    rsa = (await generateKeyPair('RS256', { extractable: true })) as CryptoKeyPair;
    attacker = (await generateKeyPair('RS256', { extractable: true })) as CryptoKeyPair;
    publicPem = await exportSPKI(rsa.publicKey);
    config = loadAuthConfig({ JWT_JWKS_URL: 'https://idp.invalid/.well-known/jwks.json' }, 'production');
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }] });
    gw = await startHttpGateway(db, {
      authenticate: createAuthenticator({ verifier: createTokenVerifier(config, { jwks }), resolver: createPrincipalResolver(db.dataSource, { cacheTtlMs: 0 }) }),
      rateLimits: { ...DEFAULT_RATE_LIMITS, unauthenticatedPerMinute: 100_000 },
    });
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  it("a token of the set's key is served", async () => {
    const r = await gw.post(QUERY, { authorization: `Bearer ${await sign({ alg: 'RS256', kid: 'idp-1' }, rsa.privateKey)}` });
    expect({ status: r.status, body: r.json }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it.each<[string, () => Promise<string>]>([
    ['a kid the set does not have', () => sign({ alg: 'RS256', kid: 'idp-2' }, rsa.privateKey)],
    ['a kid like a path', () => sign({ alg: 'RS256', kid: '../../idp-1' }, rsa.privateKey)],
    ["the set's kid, signed by another key", () => sign({ alg: 'RS256', kid: 'idp-1' }, attacker.privateKey)],
    ['no kid, signed by another key', () => sign({ alg: 'RS256' }, attacker.privateKey)],
    ['its own key embedded in the header', async () => sign({ alg: 'RS256', jwk: await exportJWK(attacker.publicKey) }, attacker.privateKey)],
    ['a key set URL of its own in the header', () => sign({ alg: 'RS256', kid: 'idp-1', jku: 'https://evil.example/jwks.json' }, attacker.privateKey)],
    ['HS256 with the public key (PEM) as the secret', () => sign({ alg: 'HS256', kid: 'idp-1' }, new TextEncoder().encode(publicPem))],
    ["HS256 with the key's modulus as the secret", async () => sign({ alg: 'HS256', kid: 'idp-1' }, new TextEncoder().encode((await exportJWK(rsa.publicKey)).n!))],
    ['alg none', async () => new UnsecuredJWT(claims()).encode()],
    ['PS256, an algorithm not pinned', async () => sign({ alg: 'PS256', kid: 'idp-1' }, (await generateKeyPair('PS256')).privateKey)],
    ['expired', () => sign({ alg: 'RS256', kid: 'idp-1' }, rsa.privateKey, { ...claims(), iat: now() - 7200, exp: now() - 3600 })],
    ['not valid yet', () => sign({ alg: 'RS256', kid: 'idp-1' }, rsa.privateKey, { ...claims(), nbf: now() + 3600 })],
    ['another audience', () => sign({ alg: 'RS256', kid: 'idp-1' }, rsa.privateKey, { ...claims(), aud: 'another-api' })],
    ['another issuer', () => sign({ alg: 'RS256', kid: 'idp-1' }, rsa.privateKey, { ...claims(), iss: 'https://evil.example' })],
  ])('%s: 401, the same body and challenge, and no GraphQL work', async (_label, token) => {
    const before = totalSqlStatements();
    const r = await gw.post(QUERY, { authorization: `Bearer ${await token()}` });
    expect({ status: r.status, challenge: r.headers.get('www-authenticate'), body: r.json, statements: totalSqlStatements() - before }).toEqual({
      status: 401,
      challenge: 'Bearer error="invalid_token"',
      body: UNAUTHENTICATED_BODY,
      statements: 0,
    });
  });
});
