import { decodeJwt, decodeProtectedHeader, exportSPKI, generateKeyPair } from 'jose';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { DevTokenError, mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { PURPOSES } from '../../src/policy/vocabulary';
import { authFailure, bearer, devConfig } from './auth-fixtures';

const PARTNER = '0b5c1f2e-6d1a-4c8e-9f3b-2a7d4e6c8b10';
const CUSTOMER = '5e2a9c41-7b3d-4f60-8a1e-c93d2b7f4a05';
const GRANT = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const config = devConfig();
const verifier = createTokenVerifier(config);

describe('mintDevToken', () => {
  it.each<[string, DevTokenOptions, Record<string, unknown>]>([
    ['staff', { kind: 'staff', roles: ['customer_service'], purposes: ['after_sales', 'fulfillment'] }, { roles: ['customer_service'] }],
    ['logistics_partner', { kind: 'logistics_partner', partnerId: PARTNER, purposes: ['fulfillment'] }, { partnerId: PARTNER }],
    ['payment_provider', { kind: 'payment_provider', partnerId: PARTNER, purposes: ['payment_settlement'] }, { partnerId: PARTNER }],
    ['platform_operator', { kind: 'platform_operator', partnerId: PARTNER, purposes: ['platform_operation'] }, { partnerId: PARTNER }],
    ['customer', { kind: 'customer', customerId: CUSTOMER, purposes: ['data_subject_request'] }, { customerId: CUSTOMER }],
    ['third_party', { kind: 'third_party', partnerId: PARTNER, grantId: GRANT, purposes: ['authorized_sharing'] }, { partnerId: PARTNER, grantId: GRANT }],
  ])('mints a %s token the verifier accepts', async (kind, options, principalClaims) => {
    const token = await mintDevToken(options, config);
    const claims = await verifier.verify(bearer(token));
    expect(claims).toEqual({
      kind,
      subject: `${kind}-dev`,
      purposes: options.purposes,
      issuedAt: expect.any(Number),
      expiresAt: claims.issuedAt + 3600,
      ...principalClaims,
    });
  });

  it('signs HS256 with iss, aud, sub, iat and exp as asked', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await mintDevToken({ kind: 'staff', subject: 'bob', roles: ['fulfillment'], purposes: ['fulfillment'], ttlSeconds: 120 }, config);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = decodeJwt(token);
    expect(payload).toEqual({
      kind: 'staff',
      roles: ['fulfillment'],
      purposes: ['fulfillment'],
      sub: 'bob',
      iss: 'need-to-know-dev',
      aud: 'need-to-know',
      iat: expect.any(Number),
      exp: payload.iat! + 120,
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
  });

  it.each<[string, Partial<DevTokenOptions>, RegExp]>([
    ['another issuer', { issuer: 'elsewhere' }, /unexpected "iss"/],
    ['another audience', { audience: 'other-api' }, /unexpected "aud"/],
    ['another secret', { secret: 'a-secret-the-gateway-does-not-know-at-all' }, /SIGNATURE_VERIFICATION_FAILED/],
  ])('can mint a token with %s, which the gateway refuses', async (_, overrides, reason) => {
    const token = await mintDevToken({ kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'], ...overrides }, config);
    expect((await authFailure(() => verifier.verify(bearer(token)))).reason).toMatch(reason);
  });

  it.each<[string, DevTokenOptions, string]>([
    ['staff without roles', { kind: 'staff', purposes: ['fulfillment'] }, 'token claims: "roles": expected a non-empty array, got nothing'],
    ['a partner without a partner id', { kind: 'logistics_partner', purposes: ['fulfillment'] }, 'token claims: "partner_id": expected a uuid, got nothing'],
    ['a customer with a partner id', { kind: 'customer', customerId: CUSTOMER, partnerId: PARTNER, purposes: ['after_sales'] }, 'token claims: "partner_id" is not a claim of a customer token (expected customer_id)'],
    ['a third party without a grant', { kind: 'third_party', partnerId: PARTNER, purposes: ['authorized_sharing'] }, 'token claims: "grant_id": expected a uuid, got nothing'],
    ['an id that is not a uuid', { kind: 'customer', customerId: 'c-1', purposes: ['after_sales'] }, 'token claims: "customer_id": expected a uuid, got "c-1"'],
    ['no purposes', { kind: 'customer', customerId: CUSTOMER, purposes: [] }, 'token claims: "purposes": expected a non-empty array, got an array'],
    ['an unknown purpose', { kind: 'customer', customerId: CUSTOMER, purposes: ['marketing' as never] }, `token claims: "purposes": expected members of ${PURPOSES.join(', ')}, got "marketing"`],
    ['a ttl of 0', { kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'], ttlSeconds: 0 }, 'ttl: expected an integer number of seconds from 1 to 86400, got 0'],
    ['a ttl over the maximum token age', { kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'], ttlSeconds: 90000 }, 'ttl: expected an integer number of seconds from 1 to 86400, got 90000'],
  ])('refuses %s', async (_, options, message) => {
    const failure = mintDevToken(options, config);
    await expect(failure).rejects.toBeInstanceOf(DevTokenError);
    await expect(failure).rejects.toHaveProperty('message', message);
  });

  it('refuses to mint with production settings', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const production = loadAuthConfig({ JWT_PUBLIC_KEY: await exportSPKI(publicKey) }, 'production');
    const failure = mintDevToken({ kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'], secret: 'x'.repeat(40) }, production);
    await expect(failure).rejects.toThrow('Development tokens cannot be minted with production settings (no development secret is configured)');
  });
});
