import {
  SignJWT,
  UnsecuredJWT,
  createLocalJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JWTHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose';
import { loadAuthConfig, type AuthConfig } from '../../src/auth/auth-config';
import { AuthenticationError, WWW_AUTHENTICATE_CHALLENGE } from '../../src/auth/authentication-error';
import { KeySourceUnavailableError, createTokenVerifier } from '../../src/auth/token-verifier';
import { UNAUTHENTICATED_MESSAGE } from '../../src/platform/errors';
import { authFailure, bearer, devConfig, nowSeconds, validClaims, without } from './auth-fixtures';

/** Signs `claims` exactly as given (no defaults added), with any header and key. */
async function signToken(
  claims: Record<string, unknown>,
  key: Parameters<SignJWT['sign']>[0],
  header: Partial<JWTHeaderParameters> & { alg: string } = { alg: 'HS256' },
  signOptions?: Parameters<SignJWT['sign']>[1],
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as JWTHeaderParameters).sign(key, signOptions);
}

const dev = devConfig();
const secret = dev.devSecret!;
const otherSecret = new TextEncoder().encode('another-secret-of-at-least-thirty-two-bytes');

interface KeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}
let rsa: KeyPair;
let otherRsa: KeyPair;
let ec: KeyPair;
let rsaPem: string;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  otherRsa = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  rsaPem = await exportSPKI(rsa.publicKey);
});

const productionWithKey = (): AuthConfig => loadAuthConfig({ JWT_PUBLIC_KEY: rsaPem }, 'production');

describe('createTokenVerifier (development, HS256)', () => {
  const verifier = createTokenVerifier(dev);

  it('returns the parsed claims of a valid token', async () => {
    const claims = validClaims(dev);
    await expect(verifier.verify(bearer(await signToken(claims, secret)))).resolves.toEqual({
      kind: 'staff',
      subject: 'alice@store.example',
      roles: ['customer_service'],
      purposes: ['after_sales'],
      issuedAt: claims.iat,
      expiresAt: claims.exp,
    });
  });

  it.each([
    ['exp 10 s ago', { exp: nowSeconds() - 10 }],
    ['nbf 10 s ahead', { nbf: nowSeconds() + 10 }],
    ['iat 10 s ahead', { iat: nowSeconds() + 10 }],
    ['an audience array containing ours', { aud: ['other', 'need-to-know'] }],
    ['a lower-case scheme', {}, 'bearer'],
  ])('accepts %s (clock tolerance 30 s; scheme is case-insensitive)', async (_, overrides, scheme = 'Bearer') => {
    const token = await signToken(validClaims(dev, overrides), secret);
    await expect(verifier.verify(`${scheme} ${token}`)).resolves.toMatchObject({ kind: 'staff' });
  });

  type Case = [string, () => Promise<string | undefined>, RegExp];
  const now = nowSeconds();
  const cases: Case[] = [
    ['no Authorization header', async () => undefined, /^no Authorization header$/],
    ['an empty Authorization header', async () => '', /^no Authorization header$/],
    ['another scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, /expected the Bearer scheme/],
    ['the scheme without a token', async () => 'Bearer ', /expected "Bearer <compact JWS>"/],
    ['a token that is not a JWS', async () => 'Bearer not-a-jwt', /expected "Bearer <compact JWS>"/],
    ['two tokens', async () => `Bearer ${await signToken(validClaims(dev), secret)} x`, /expected "Bearer <compact JWS>"/],
    ['segments that are not base64url JSON', async () => 'Bearer aaaa.bbbb.cccc', /^ERR_JWS_INVALID: /],
    ['an oversized header', async () => `Bearer ${'a'.repeat(9000)}.b.c`, /longer than 8192/],
    ['a signature by another secret', async () => bearer(await signToken(validClaims(dev), otherSecret)), /^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    [
      'a tampered payload',
      async () => {
        const [head, , signature] = (await signToken(validClaims(dev), secret)).split('.');
        const forged = Buffer.from(JSON.stringify(validClaims(dev, { roles: ['compliance_officer'] }))).toString('base64url');
        return `Bearer ${head}.${forged}.${signature}`;
      },
      /^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/,
    ],
    ['alg none', async () => bearer(new UnsecuredJWT(validClaims(dev)).encode()), /^ERR_JOSE_ALG_NOT_ALLOWED/],
    ['an algorithm that is not pinned (HS512)', async () => bearer(await signToken(validClaims(dev), secret, { alg: 'HS512' })), /^ERR_JOSE_ALG_NOT_ALLOWED/],
    ['an expired token', async () => bearer(await signToken(validClaims(dev, { exp: now - 60 }), secret)), /^ERR_JWT_EXPIRED: "exp"/],
    ['nbf in the future', async () => bearer(await signToken(validClaims(dev, { nbf: now + 120 }), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: "nbf"/],
    ['iat in the future beyond the tolerance', async () => bearer(await signToken(validClaims(dev, { iat: now + 120 }), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: "iat" .*in the past/],
    [
      'a token older than the maximum age',
      async () => bearer(await signToken(validClaims(dev, { iat: now - 86400 - 120, exp: now + 600 }), secret)),
      /^ERR_JWT_EXPIRED: "iat" .*too far in the past/,
    ],
    ['no exp', async () => bearer(await signToken(without(validClaims(dev), 'exp'), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "exp"/],
    ['no iat', async () => bearer(await signToken(without(validClaims(dev), 'iat'), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "iat"/],
    ['no sub', async () => bearer(await signToken(without(validClaims(dev), 'sub'), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "sub"/],
    ['no iss', async () => bearer(await signToken(without(validClaims(dev), 'iss'), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "iss"/],
    ['no aud', async () => bearer(await signToken(without(validClaims(dev), 'aud'), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "aud"/],
    ['a wrong iss', async () => bearer(await signToken(validClaims(dev, { iss: 'someone-else' }), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "iss"/],
    ['a wrong aud', async () => bearer(await signToken(validClaims(dev, { aud: 'another-api' }), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "aud"/],
    ['exp that is not a number', async () => bearer(await signToken(validClaims(dev, { exp: String(now + 600) }), secret)), /^ERR_JWT_CLAIM_VALIDATION_FAILED: "exp" claim must be a number/],
    [
      'an unknown crit header parameter',
      async () => bearer(await signToken(validClaims(dev), secret, { alg: 'HS256', crit: ['urn:example:policy'], 'urn:example:policy': 1 } as never, { crit: { 'urn:example:policy': true } })),
      /^ERR_JOSE_NOT_SUPPORTED: Extension Header Parameter "urn:example:policy" is not recognized/,
    ],
    ['a sub that is not a string', async () => bearer(await signToken(validClaims(dev, { sub: 42 }), secret)), /^token claims: "sub": expected a non-empty string/],
    ['an unknown kind', async () => bearer(await signToken(validClaims(dev, { kind: 'robot' }), secret)), /^token claims: "kind": expected one of/],
    ['staff without roles', async () => bearer(await signToken(without(validClaims(dev), 'roles'), secret)), /^token claims: "roles": expected a non-empty array, got nothing/],
  ];

  it.each(cases)('refuses %s with UNAUTHENTICATED and says why in the reason', async (_, header, reason) => {
    const error = await authFailure(async () => verifier.verify(await header()));
    expect(error.reason).toMatch(reason);
  });
});

describe('AuthenticationError', () => {
  it('shows the caller one constant message, code and challenge, and keeps the reason to the server', async () => {
    const error = await authFailure(() => createTokenVerifier(dev).verify('Bearer a.b.c'));
    const json = JSON.parse(JSON.stringify(error.toJSON()));
    expect(json.message).toBe(UNAUTHENTICATED_MESSAGE);
    expect(json.extensions.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(json)).not.toContain('ERR_');
    expect(error.extensions.http).toEqual({ status: 401, headers: new Map([['www-authenticate', WWW_AUTHENTICATE_CHALLENGE]]) });
    expect(WWW_AUTHENTICATE_CHALLENGE).toBe('Bearer error="invalid_token"');
  });
});

describe('createTokenVerifier (production, RS256 public key)', () => {
  it('accepts an RS256 token signed by the private key', async () => {
    const config = productionWithKey();
    const token = await signToken(validClaims(config), rsa.privateKey, { alg: 'RS256' });
    await expect(createTokenVerifier(config).verify(bearer(token))).resolves.toMatchObject({ kind: 'staff' });
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    [
      'an HS256 token using the public key PEM as HMAC secret (algorithm confusion)',
      async () => signToken(validClaims(productionWithKey()), new TextEncoder().encode(rsaPem), { alg: 'HS256' }),
      /^ERR_JOSE_ALG_NOT_ALLOWED/,
    ],
    ['an HS256 token signed with the development secret', async () => signToken(validClaims(productionWithKey()), secret), /^ERR_JOSE_ALG_NOT_ALLOWED/],
    ['an RS256 token signed by another key', async () => signToken(validClaims(productionWithKey()), otherRsa.privateKey, { alg: 'RS256' }), /^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    ['an ES256 token where RS256 is configured', async () => signToken(validClaims(productionWithKey()), ec.privateKey, { alg: 'ES256' }), /^ERR_JOSE_ALG_NOT_ALLOWED/],
    ['alg none', async () => new UnsecuredJWT(validClaims(productionWithKey())).encode(), /^ERR_JOSE_ALG_NOT_ALLOWED/],
  ])('refuses %s', async (_, token, reason) => {
    const error = await authFailure(async () => createTokenVerifier(productionWithKey()).verify(bearer(await token())));
    expect(error.reason).toMatch(reason);
  });

  it('refuses the public key used as HMAC secret even in development, where HS256 is allowed', async () => {
    const config = loadAuthConfig({ JWT_PUBLIC_KEY: rsaPem }, 'development');
    expect(config.algorithms).toEqual(['HS256', 'RS256']);
    const forged = await signToken(validClaims(config), new TextEncoder().encode(rsaPem), { alg: 'HS256' });
    const error = await authFailure(() => createTokenVerifier(config).verify(bearer(forged)));
    expect(error.reason).toMatch(/^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    const genuine = await signToken(validClaims(config), rsa.privateKey, { alg: 'RS256' });
    await expect(createTokenVerifier(config).verify(bearer(genuine))).resolves.toMatchObject({ kind: 'staff' });
  });
});

describe('createTokenVerifier (production, a public key rotated with JWT_PUBLIC_KEY_PREVIOUS)', () => {
  let newRsaPem: string;
  let ecPem: string;
  let third: KeyPair;
  beforeAll(async () => {
    newRsaPem = await exportSPKI(otherRsa.publicKey);
    ecPem = await exportSPKI(ec.publicKey);
    third = await generateKeyPair('RS256', { extractable: true });
  });
  const rotated = () => loadAuthConfig({ JWT_PUBLIC_KEY: newRsaPem, JWT_PUBLIC_KEY_PREVIOUS: rsaPem }, 'production');

  it('accepts tokens of the new key and of the previous one', async () => {
    const config = rotated();
    for (const key of [otherRsa.privateKey, rsa.privateKey]) {
      await expect(createTokenVerifier(config).verify(bearer(await signToken(validClaims(config), key, { alg: 'RS256' })))).resolves.toMatchObject({ kind: 'staff' });
    }
  });

  it('refuses a token of a key it never had, and, once the previous key is dropped, that key’s tokens for the same reason', async () => {
    const config = rotated();
    const stranger = await authFailure(async () => createTokenVerifier(config).verify(bearer(await signToken(validClaims(config), third.privateKey, { alg: 'RS256' }))));
    const newOnly = loadAuthConfig({ JWT_PUBLIC_KEY: newRsaPem }, 'production');
    const dropped = await authFailure(async () => createTokenVerifier(newOnly).verify(bearer(await signToken(validClaims(newOnly), rsa.privateKey, { alg: 'RS256' }))));
    expect(stranger.reason).toMatch(/^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    expect(dropped.reason).toBe(stranger.reason);
  });

  it('refuses an expired token of the previous key for its expiry, as the current key would', async () => {
    const config = rotated();
    const expired = await signToken(validClaims(config, { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }), rsa.privateKey, { alg: 'RS256' });
    expect((await authFailure(() => createTokenVerifier(config).verify(bearer(expired)))).reason).toMatch(/^ERR_JWT_EXPIRED/);
  });

  it('carries a change of algorithm (RS256 to ES256): each key only ever verifies under its own', async () => {
    const config = loadAuthConfig({ JWT_PUBLIC_KEY: ecPem, JWT_PUBLIC_KEY_PREVIOUS: rsaPem }, 'production');
    expect(config.algorithms).toEqual(['ES256', 'RS256']);
    await expect(createTokenVerifier(config).verify(bearer(await signToken(validClaims(config), ec.privateKey, { alg: 'ES256' })))).resolves.toMatchObject({ kind: 'staff' });
    await expect(createTokenVerifier(config).verify(bearer(await signToken(validClaims(config), rsa.privateKey, { alg: 'RS256' })))).resolves.toMatchObject({ kind: 'staff' });
    await authFailure(async () => createTokenVerifier(config).verify(bearer(await signToken(validClaims(config), third.privateKey, { alg: 'RS256' }))));
    await authFailure(async () => createTokenVerifier(config).verify(bearer(await signToken(validClaims(config), new TextEncoder().encode(rsaPem), { alg: 'HS256' }))));
  });
});

describe('createTokenVerifier (production, JWKS)', () => {
  const jwksConfig = (): AuthConfig => loadAuthConfig({ JWT_JWKS_URL: 'https://id.store.example/.well-known/jwks.json' }, 'production');
  let jwks: JWTVerifyGetKey;

  beforeAll(async () => {
    jwks = createLocalJWKSet({
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ],
    });
  });

  it.each([
    ['RS256', 'rsa-1', () => rsa.privateKey],
    ['ES256', 'ec-1', () => ec.privateKey],
  ])('accepts an %s token whose kid is in the set', async (alg, kid, key) => {
    const config = jwksConfig();
    const token = await signToken(validClaims(config), key(), { alg, kid });
    await expect(createTokenVerifier(config, { jwks }).verify(bearer(token))).resolves.toMatchObject({ kind: 'staff' });
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ['a kid that matches no key', async () => signToken(validClaims(jwksConfig()), rsa.privateKey, { alg: 'RS256', kid: 'retired-7' }), /^ERR_JWKS_NO_MATCHING_KEY/],
    ['a known kid, signed by another key', async () => signToken(validClaims(jwksConfig()), otherRsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }), /^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    ['an HS256 token', async () => signToken(validClaims(jwksConfig()), secret, { alg: 'HS256', kid: 'rsa-1' }), /^ERR_JOSE_ALG_NOT_ALLOWED/],
  ])('refuses %s', async (_, token, reason) => {
    const error = await authFailure(async () => createTokenVerifier(jwksConfig(), { jwks }).verify(bearer(await token())));
    expect(error.reason).toMatch(reason);
  });

  it('reports an unreachable key set as the server’s failure, not the caller’s', async () => {
    const unreachable: JWTVerifyGetKey = async () => {
      throw new TypeError('fetch failed');
    };
    const token = await signToken(validClaims(jwksConfig()), rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    const failure = createTokenVerifier(jwksConfig(), { jwks: unreachable }).verify(bearer(token));
    await expect(failure).rejects.toBeInstanceOf(KeySourceUnavailableError);
    await expect(failure).rejects.not.toBeInstanceOf(AuthenticationError);
  });

  it('carries a rotation: a set with the old and the new key accepts both; once the old one is withdrawn, its tokens are refused as an unknown kid is', async () => {
    const config = jwksConfig();
    const old = await signToken(validClaims(config), rsa.privateKey, { alg: 'RS256', kid: 'key-2025' });
    const fresh = await signToken(validClaims(config), otherRsa.privateKey, { alg: 'RS256', kid: 'key-2026' });
    const both = createLocalJWKSet({
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'key-2025', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(otherRsa.publicKey)), kid: 'key-2026', alg: 'RS256', use: 'sig' },
      ],
    });
    const newOnly = createLocalJWKSet({ keys: [{ ...(await exportJWK(otherRsa.publicKey)), kid: 'key-2026', alg: 'RS256', use: 'sig' }] });
    for (const token of [old, fresh]) await expect(createTokenVerifier(config, { jwks: both }).verify(bearer(token))).resolves.toMatchObject({ kind: 'staff' });
    await expect(createTokenVerifier(config, { jwks: newOnly }).verify(bearer(fresh))).resolves.toMatchObject({ kind: 'staff' });
    expect((await authFailure(() => createTokenVerifier(config, { jwks: newOnly }).verify(bearer(old)))).reason).toMatch(/^ERR_JWKS_NO_MATCHING_KEY/);
  });

  it('refuses an injected key set when the configuration names no JWKS URL', () => {
    expect(() => createTokenVerifier(dev, { jwks })).toThrow('createTokenVerifier: options.jwks given, but the configuration has no jwksUrl');
  });
});

describe('createTokenVerifier: verified tokens are reused, never past their validity', () => {
  const jwksConfig = (): AuthConfig => loadAuthConfig({ JWT_JWKS_URL: 'https://id.store.example/.well-known/jwks.json' }, 'production');
  let keySet: JWTVerifyGetKey;
  beforeAll(async () => {
    keySet = createLocalJWKSet({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }] });
  });

  /** A verifier on a clock the test moves, counting how often it needed a key (one per signature check). */
  function counted(options: { cacheTtlMs?: number } = {}) {
    const clock = { ms: Date.now() };
    const calls = { keys: 0 };
    const jwks: JWTVerifyGetKey = (header, token) => {
      calls.keys += 1;
      return keySet(header, token);
    };
    const verifier = createTokenVerifier(jwksConfig(), { jwks, now: () => clock.ms, ...options });
    return { verifier, clock, calls };
  }
  const rsaToken = (overrides: Record<string, unknown> = {}) => signToken(validClaims(jwksConfig(), overrides), rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });

  it('checks a token’s signature once while it is reused within the TTL, and again after it', async () => {
    const { verifier, clock, calls } = counted();
    const token = bearer(await rsaToken());
    const first = await verifier.verify(token);
    clock.ms += 29_000;
    await expect(verifier.verify(token)).resolves.toEqual(first);
    expect(calls.keys).toBe(1);
    clock.ms += 2_000;
    await expect(verifier.verify(token)).resolves.toEqual(first);
    expect(calls.keys).toBe(2);
  });

  it('refuses a remembered token once it has expired, tolerance included', async () => {
    const { verifier, clock } = counted({ cacheTtlMs: 300_000 });
    const exp = Math.floor(clock.ms / 1000) + 60;
    const token = bearer(await rsaToken({ exp }));
    await expect(verifier.verify(token)).resolves.toMatchObject({ expiresAt: exp });
    clock.ms = (exp + 29) * 1000; // within the 30 s clock tolerance: still accepted
    await expect(verifier.verify(token)).resolves.toMatchObject({ expiresAt: exp });
    clock.ms = (exp + 30) * 1000;
    expect((await authFailure(() => verifier.verify(token))).reason).toMatch(/^ERR_JWT_EXPIRED: "exp"/);
  });

  it('refuses a remembered token once it is older than the maximum age', async () => {
    const config = jwksConfig();
    const { verifier, clock } = counted({ cacheTtlMs: 300_000 });
    const iat = Math.floor(clock.ms / 1000) - config.maxTokenAgeSeconds - 25;
    const token = bearer(await rsaToken({ iat, exp: iat + config.maxTokenAgeSeconds + 3600 }));
    await expect(verifier.verify(token)).resolves.toMatchObject({ issuedAt: iat });
    clock.ms += 10_000;
    expect((await authFailure(() => verifier.verify(token))).reason).toMatch(/^ERR_JWT_EXPIRED: "iat" .*too far in the past/);
  });

  it('never lets a remembered token vouch for another text: a changed signature is checked and refused', async () => {
    const { verifier, calls } = counted();
    const genuine = await rsaToken();
    await verifier.verify(bearer(genuine));
    const [head, payload] = genuine.split('.');
    const forged = `${head}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    expect((await authFailure(() => verifier.verify(bearer(forged)))).reason).toMatch(/^ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    expect(calls.keys).toBe(2);
  });

  it('remembers a token under the Authorization header it came in: written another way, it is taken out and checked again', async () => {
    const { verifier, calls } = counted();
    const text = await rsaToken();
    const claims = await verifier.verify(`Bearer ${text}`);
    await expect(verifier.verify(`Bearer ${text}`)).resolves.toBe(claims);
    expect(calls.keys).toBe(1);
    await expect(verifier.verify(`bearer  ${text}`)).resolves.toEqual(claims);
    expect(calls.keys).toBe(2);
    expect((await authFailure(() => verifier.verify(`Bearer ${text} extra`))).reason).toBe('Authorization header: expected "Bearer <compact JWS>"');
    expect((await authFailure(() => verifier.verify(text))).reason).toBe('Authorization header: expected the Bearer scheme');
    expect(calls.keys).toBe(2);
  });

  it('does not remember failures, nor anything with a TTL of 0', async () => {
    const { verifier, calls } = counted({ cacheTtlMs: 0 });
    const token = bearer(await rsaToken());
    await verifier.verify(token);
    await verifier.verify(token);
    expect(calls.keys).toBe(2);
    const refused = bearer(await signToken(validClaims(jwksConfig()), otherRsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }));
    const withCache = counted();
    for (let i = 0; i < 2; i++) await authFailure(() => withCache.verifier.verify(refused));
    expect(withCache.calls.keys).toBe(2);
  });

  it('hands out frozen claims, so one request cannot change what the next one is told', async () => {
    const { verifier } = counted();
    const token = bearer(await rsaToken());
    const claims = await verifier.verify(token);
    expect(Object.isFrozen(claims)).toBe(true);
    expect(Object.isFrozen(claims.purposes)).toBe(true);
    expect(claims.kind === 'staff' && Object.isFrozen(claims.roles)).toBe(true);
  });

  it.each([
    [{ cacheTtlMs: -1 }, 'cacheTtlMs to be an integer from 0 to 300000, got -1'],
    [{ cacheTtlMs: 300_001 }, 'cacheTtlMs to be an integer from 0 to 300000, got 300001'],
    [{ cacheSize: 0 }, 'cacheSize to be an integer from 1 to 1000000, got 0'],
  ])('refuses the option %j', (options, message) => {
    expect(() => createTokenVerifier(dev, options)).toThrow(`createTokenVerifier: expected ${message}`);
  });
});
