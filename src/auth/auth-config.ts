/**
 * How bearer tokens are verified, parsed once from the environment into a frozen object.
 *
 * Development and test sign and verify HS256 with a development secret (a fixed default, so a
 * fresh checkout works). Production verifies only asymmetric signatures (RS256 / ES256) against
 * a JWKS URL or a configured public key, and refuses to start with a development secret or with
 * no key at all: a shared secret in production would let anyone who holds it mint any principal.
 *
 *   JWT_ISSUER                   expected `iss` (default `need-to-know-dev`)
 *   JWT_AUDIENCE                 expected `aud` (default `need-to-know`)
 *   JWT_DEV_SECRET               HS256 secret, development/test only (at least 32 bytes)
 *   JWT_PUBLIC_KEY               SPKI PEM (RSA >= 2048 bits -> RS256, EC P-256 -> ES256); `\n` escapes allowed
 *   JWT_PUBLIC_KEY_PREVIOUS      with JWT_PUBLIC_KEY: the key(s) it replaced (PEM blocks one after another, at
 *                                most 3), whose tokens are still accepted until they expire (JWT_MAX_AGE_SECONDS)
 *   JWT_JWKS_URL                 JWKS endpoint (https in production); RS256 and ES256 accepted
 *   JWT_MAX_AGE_SECONDS          oldest `iat` accepted (default 86400)
 *   JWT_CLOCK_TOLERANCE_SECONDS  skew allowed on exp / nbf / iat (default 30, at most 60)
 *
 * Outside production a JWKS URL or public key may be configured as well; tokens are then accepted
 * under either key, each strictly under its own algorithm (see token-verifier.ts).
 *
 * Rotating the signer's key: a JWKS publishes the new key beside the old one (each with its
 * `kid`) and drops the old one later; a configured public key lists the old one in
 * JWT_PUBLIC_KEY_PREVIOUS for as long as tokens it signed live (JWT_MAX_AGE_SECONDS).
 */
import { createPublicKey } from 'node:crypto';
import { ConfigError, type NodeEnv } from '../platform/config';

export type TokenAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface AuthConfig {
  readonly issuer: string;
  readonly audience: string;
  /** The only `alg` values accepted; anything else (including `none`) is rejected. */
  readonly algorithms: readonly TokenAlgorithm[];
  /** HS256 key; present only outside production. Its presence is what makes minting possible. */
  readonly devSecret?: Uint8Array;
  /** SPKI PEM of the token signer's public key. */
  readonly publicKey?: string;
  /** SPKI PEMs of the keys `publicKey` replaced: their tokens still verify, each under its own algorithm. */
  readonly previousPublicKeys?: readonly string[];
  readonly jwksUrl?: string;
  readonly maxTokenAgeSeconds: number;
  readonly clockToleranceSeconds: number;
}

/** The development secret used when JWT_DEV_SECRET is unset. Public by design: never valid in production. */
export const DEV_SECRET_DEFAULT = 'need-to-know-development-secret-not-for-production';

export const DEFAULT_ISSUER = 'need-to-know-dev';
export const DEFAULT_AUDIENCE = 'need-to-know';
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 24 * 60 * 60;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;
const MAX_MAX_TOKEN_AGE_SECONDS = 7 * 24 * 60 * 60;
const MIN_DEV_SECRET_BYTES = 32;
const MIN_RSA_BITS = 2048;
const NODE_ENVS: readonly NodeEnv[] = ['development', 'test', 'production'];

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function claimValue(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  if (value === undefined) return fallback;
  if (value.trim() === '' || value !== value.trim()) {
    throw new ConfigError(`${name}: expected a non-empty value without surrounding spaces, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The algorithm a configured public key verifies, checked for strength; `name` is the variable that named it. */
export function publicKeyAlgorithm(pem: string, name = 'JWT_PUBLIC_KEY'): TokenAlgorithm {
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new ConfigError(
      `${name}: expected a PEM public key ("-----BEGIN PUBLIC KEY-----"), got one that cannot be read (${(error as Error).message})`,
    );
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new ConfigError(`${name}: expected an RSA key of at least ${MIN_RSA_BITS} bits, got ${details.modulusLength} bits`);
    }
    return 'RS256';
  }
  if (type === 'ec' && details.namedCurve === 'prime256v1') return 'ES256';
  throw new ConfigError(
    `${name}: expected an RSA (RS256) or EC P-256 (ES256) public key, got ${type}${details.namedCurve ? ` ${details.namedCurve}` : ''}`,
  );
}

const MAX_PREVIOUS_PUBLIC_KEYS = 3;
const PEM_PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/**
 * The key a PEM holds, as its DER SubjectPublicKeyInfo: one value for one key, whatever the PEM's
 * form (SPKI or PKCS#1), line width or line ends. Called on a PEM publicKeyAlgorithm accepted.
 */
function keyMaterial(pem: string): string {
  return createPublicKey({ key: pem, format: 'pem' }).export({ type: 'spki', format: 'der' }).toString('base64');
}

/**
 * JWT_PUBLIC_KEY_PREVIOUS: PEM blocks, each checked as JWT_PUBLIC_KEY is; only beside
 * JWT_PUBLIC_KEY, never that key again nor one key twice — compared as keys, not as text, so a
 * copy wrapped or encoded differently is refused too.
 */
function previousPublicKeys(raw: string, current: string | undefined): string[] {
  const name = 'JWT_PUBLIC_KEY_PREVIOUS';
  if (current === undefined) {
    throw new ConfigError(`${name}: expected only beside JWT_PUBLIC_KEY (a JWKS rotates by publishing the new key beside the old one), got no JWT_PUBLIC_KEY`);
  }
  const text = raw.replace(/\\n/g, '\n');
  const pems = (text.match(PEM_PUBLIC_KEY) ?? []).map((pem) => pem.trim());
  if (pems.length === 0 || text.replace(PEM_PUBLIC_KEY, '').trim() !== '') {
    throw new ConfigError(`${name}: expected one or more PEM public keys ("-----BEGIN PUBLIC KEY-----" ... "-----END PUBLIC KEY-----") one after another, and nothing else`);
  }
  if (pems.length > MAX_PREVIOUS_PUBLIC_KEYS) throw new ConfigError(`${name}: expected at most ${MAX_PREVIOUS_PUBLIC_KEYS} keys, got ${pems.length}`);
  const currentKey = keyMaterial(current);
  const keys = pems.map((pem, i) => {
    const which = `${name} (key ${i + 1} of ${pems.length})`;
    publicKeyAlgorithm(pem, which);
    const key = keyMaterial(pem);
    if (key === currentKey) throw new ConfigError(`${which}: expected a key JWT_PUBLIC_KEY replaced, got JWT_PUBLIC_KEY itself`);
    return key;
  });
  keys.forEach((key, i) => {
    if (keys.indexOf(key) !== i) throw new ConfigError(`${name} (key ${i + 1} of ${pems.length}): expected each key once, got it twice`);
  });
  return pems;
}

function jwksUrlOf(raw: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`JWT_JWKS_URL: expected an absolute URL, got ${JSON.stringify(raw)}`);
  }
  const allowed = production ? ['https:'] : ['https:', 'http:'];
  if (!allowed.includes(url.protocol)) {
    throw new ConfigError(`JWT_JWKS_URL: expected an ${allowed.join(' or ')} URL${production ? ' in production' : ''}, got ${JSON.stringify(raw)}`);
  }
  return url.toString();
}

export function loadAuthConfig(
  env: NodeJS.ProcessEnv = process.env,
  nodeEnv: NodeEnv = (env.NODE_ENV as NodeEnv | undefined) ?? 'development',
): AuthConfig {
  if (!NODE_ENVS.includes(nodeEnv)) {
    // An unknown environment must not silently fall back to development keys.
    throw new ConfigError(`NODE_ENV: expected one of ${NODE_ENVS.join(', ')}, got ${JSON.stringify(nodeEnv)}`);
  }
  const production = nodeEnv === 'production';
  const issuer = claimValue(env, 'JWT_ISSUER', DEFAULT_ISSUER);
  const audience = claimValue(env, 'JWT_AUDIENCE', DEFAULT_AUDIENCE);
  const maxTokenAgeSeconds = integer(env, 'JWT_MAX_AGE_SECONDS', DEFAULT_MAX_TOKEN_AGE_SECONDS, 60, MAX_MAX_TOKEN_AGE_SECONDS);
  const clockToleranceSeconds = integer(
    env,
    'JWT_CLOCK_TOLERANCE_SECONDS',
    DEFAULT_CLOCK_TOLERANCE_SECONDS,
    0,
    MAX_CLOCK_TOLERANCE_SECONDS,
  );

  const rawPublicKey = nonEmpty(env, 'JWT_PUBLIC_KEY');
  const rawJwksUrl = nonEmpty(env, 'JWT_JWKS_URL');
  const rawDevSecret = nonEmpty(env, 'JWT_DEV_SECRET');
  const rawPreviousPublicKeys = nonEmpty(env, 'JWT_PUBLIC_KEY_PREVIOUS');

  if (rawPublicKey !== undefined && rawJwksUrl !== undefined) {
    throw new ConfigError('JWT_PUBLIC_KEY and JWT_JWKS_URL: expected at most one of them, got both');
  }
  if (production) {
    if (rawDevSecret !== undefined) {
      throw new ConfigError(
        'JWT_DEV_SECRET: a development secret is refused in production (NODE_ENV=production); unset it and set JWT_JWKS_URL or JWT_PUBLIC_KEY',
      );
    }
    if (rawPublicKey === undefined && rawJwksUrl === undefined) {
      throw new ConfigError(
        'JWT_JWKS_URL or JWT_PUBLIC_KEY: production (NODE_ENV=production) verifies RS256/ES256 tokens and needs one of them, got neither',
      );
    }
  }

  const publicKey = rawPublicKey?.replace(/\\n/g, '\n').trim();
  // Checked before the previous keys, which are compared with it as keys.
  const currentAlgorithm = publicKey === undefined ? undefined : publicKeyAlgorithm(publicKey);
  const previousKeys = rawPreviousPublicKeys === undefined ? undefined : previousPublicKeys(rawPreviousPublicKeys, publicKey);
  const jwksUrl = rawJwksUrl === undefined ? undefined : jwksUrlOf(rawJwksUrl.trim(), production);

  const algorithms: TokenAlgorithm[] = [];
  let devSecret: Uint8Array | undefined;
  if (!production) {
    const secret = rawDevSecret ?? DEV_SECRET_DEFAULT;
    devSecret = new TextEncoder().encode(secret);
    if (devSecret.byteLength < MIN_DEV_SECRET_BYTES) {
      throw new ConfigError(`JWT_DEV_SECRET: expected at least ${MIN_DEV_SECRET_BYTES} bytes, got ${devSecret.byteLength}`);
    }
    algorithms.push('HS256');
  }
  if (currentAlgorithm !== undefined) algorithms.push(currentAlgorithm);
  for (const pem of previousKeys ?? []) {
    const algorithm = publicKeyAlgorithm(pem);
    if (!algorithms.includes(algorithm)) algorithms.push(algorithm);
  }
  if (jwksUrl !== undefined) algorithms.push('RS256', 'ES256');

  return Object.freeze({
    issuer,
    audience,
    algorithms: Object.freeze(algorithms),
    ...(devSecret !== undefined && { devSecret }),
    ...(publicKey !== undefined && { publicKey }),
    ...(previousKeys !== undefined && { previousPublicKeys: Object.freeze(previousKeys) }),
    ...(jwksUrl !== undefined && { jwksUrl }),
    maxTokenAgeSeconds,
    clockToleranceSeconds,
  });
}
