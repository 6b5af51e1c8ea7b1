/**
 * Verifies the bearer token of a request and returns its claims.
 *
 * Contract: `verify(header)` resolves only for a compact JWS whose `alg` is one the configuration
 * pins, signed by the configured key, with the expected `iss` and `aud`, with `exp`, `iat` and
 * `sub` present, not expired, not used before `nbf`, not issued in the future, no older than the
 * maximum token age (each within the clock tolerance), with no `crit` header parameter, and with
 * claims matching the contract in claims.ts. Everything else rejects with AuthenticationError.
 *
 * The key is chosen by the token's `alg`, never the other way round: HS256 only ever meets the
 * development secret and RS256/ES256 only ever meet the public key or the JWKS, so a token
 * "signed" HS256 with the public key as an HMAC secret cannot verify (and in production HS256 is
 * not among the pinned algorithms at all).
 *
 * The one failure that is not the caller's is a JWKS endpoint that cannot be reached or returns
 * garbage: that rejects with KeySourceUnavailableError, which the server must treat as its own
 * failure (masked 5xx), not as a bad token.
 *
 * Verified tokens are remembered. A client sends the same token with every request until it
 * expires, and checking its signature again each time costs more CPU than anything else in
 * authentication (an asynchronous WebCrypto job per request, an RSA or ECDSA verification in
 * production). So the claims of a token that verified are kept, keyed by the exact Authorization
 * header it came in, for `cacheTtlMs` (default 30 s), never past the moment the token itself
 * would stop verifying (`exp`, or `iat` plus the maximum age, each with the clock tolerance).
 * Failures are never kept.
 * A key withdrawn from the JWKS stops its tokens within that time at most; jose's JWKS cache
 * keeps a fetched key set for longer anyway.
 *
 * Keys the configured public key replaced (JWT_PUBLIC_KEY_PREVIOUS) are tried, each under its own
 * algorithm, for a token the current key did not verify; a token none verifies is refused with
 * the current key's reason, so dropping a previous key refuses its tokens as any other bad one.
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type FlattenedJWSInput,
  type CompactJWSHeaderParameters,
  type JWTVerifyGetKey,
  type JWK,
  type KeyObject,
} from 'jose';
import { BoundedCache } from '../platform/bounded-cache';
import { integerOption } from '../platform/options';
import { publicKeyAlgorithm, type AuthConfig, type TokenAlgorithm } from './auth-config';
import { AuthenticationError } from './authentication-error';
import { parseClaims, type TokenClaims } from './claims';

export interface TokenVerifier {
  verify(authorizationHeader: string | undefined): Promise<TokenClaims>;
}

export interface TokenVerifierOptions {
  /**
   * Resolves keys in place of fetching `config.jwksUrl`, e.g. `createLocalJWKSet(jwks)` in tests.
   * Only meaningful (and only accepted) when the configuration names a JWKS URL.
   */
  jwks?: JWTVerifyGetKey;
  /** How long a verified token is reused without verifying it again, in ms (0 to 300000; 0 never reuses). Default 30000. */
  cacheTtlMs?: number;
  /** Most verified tokens kept; the least recently used go first. Default 10000. */
  cacheSize?: number;
  /** Milliseconds since the epoch, for verification and the cache; injectable so tests can move the clock. */
  now?: () => number;
}

export const DEFAULT_VERIFIED_TOKEN_TTL_MS = 30_000;
const MAX_VERIFIED_TOKEN_TTL_MS = 300_000;
const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** The JWKS endpoint could not be reached or did not return a usable key set. Not the caller's fault. */
export class KeySourceUnavailableError extends Error {
  override name = 'KeySourceUnavailableError';
}

/** Longest Authorization header considered; real tokens are a few hundred bytes. */
const MAX_HEADER_LENGTH = 8192;
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
/** Errors from a key set that mean "no key for this token", i.e. the token's fault. */
const TOKEN_KEY_ERRORS = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS']);

type VerificationKey = CryptoKey | KeyObject | JWK | Uint8Array;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function bearerToken(authorizationHeader: string | undefined): string {
  if (authorizationHeader === undefined || authorizationHeader === '') {
    throw new AuthenticationError('no Authorization header');
  }
  if (authorizationHeader.length > MAX_HEADER_LENGTH) {
    throw new AuthenticationError(`Authorization header longer than ${MAX_HEADER_LENGTH} characters`);
  }
  if (!/^Bearer /i.test(authorizationHeader)) {
    throw new AuthenticationError('Authorization header: expected the Bearer scheme');
  }
  const match = BEARER.exec(authorizationHeader.trim());
  if (!match) throw new AuthenticationError('Authorization header: expected "Bearer <compact JWS>"');
  return match[1]!;
}

/** Picks the key for the token's algorithm; each key is reachable under its own algorithm only. */
function keyResolver(config: AuthConfig, options: TokenVerifierOptions): JWTVerifyGetKey {
  if (options.jwks !== undefined && config.jwksUrl === undefined) {
    throw new TypeError('createTokenVerifier: options.jwks given, but the configuration has no jwksUrl');
  }
  const jwks = config.jwksUrl === undefined ? undefined : (options.jwks ?? createRemoteJWKSet(new URL(config.jwksUrl)));
  const imported = new Map<TokenAlgorithm, Promise<CryptoKey>>();
  const currentAlgorithm = config.publicKey === undefined ? undefined : publicKeyAlgorithm(config.publicKey);

  return async (header: CompactJWSHeaderParameters, token: FlattenedJWSInput): Promise<VerificationKey> => {
    const alg = header.alg as TokenAlgorithm;
    // jose has already refused any alg outside config.algorithms before asking for a key.
    if (alg === 'HS256') {
      if (config.devSecret === undefined) throw new AuthenticationError('HS256 token, but no development secret is configured');
      return config.devSecret;
    }
    if (jwks !== undefined) {
      try {
        return await jwks(header, token);
      } catch (error) {
        const code = errorCode(error);
        if (code !== undefined && TOKEN_KEY_ERRORS.has(code)) throw error;
        throw new KeySourceUnavailableError(`JWKS ${config.jwksUrl}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (config.publicKey !== undefined) {
      // Another algorithm is pinned for a previous key only (tried after this one fails).
      if (alg !== currentAlgorithm) throw new AuthenticationError(`no current verification key for alg ${alg}`);
      let key = imported.get(alg);
      if (key === undefined) {
        key = importSPKI(config.publicKey, alg);
        imported.set(alg, key);
      }
      return key;
    }
    throw new AuthenticationError(`no verification key for alg ${alg}`);
  };
}

/** Keys JWT_PUBLIC_KEY replaced, each imported once under its own algorithm. */
function previousKeys(config: AuthConfig): Array<{ alg: TokenAlgorithm; key: Promise<CryptoKey> }> {
  return (config.previousPublicKeys ?? []).map((pem) => {
    const alg = publicKeyAlgorithm(pem);
    const key = importSPKI(pem, alg);
    key.catch(() => undefined);
    return { alg, key };
  });
}

/** The `alg` a token names, or undefined when its header cannot be read (it is then refused as it is). */
function algorithmOf(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    return undefined;
  }
}

/** Claims handed out more than once are frozen, so no caller can change what the next one gets. */
function frozen(claims: TokenClaims): TokenClaims {
  Object.freeze(claims.purposes);
  if (claims.kind === 'staff') Object.freeze(claims.roles);
  return Object.freeze(claims);
}

export function createTokenVerifier(config: AuthConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  if (config.algorithms.length === 0) throw new TypeError('createTokenVerifier: the configuration pins no algorithm');
  const getKey = keyResolver(config, options);
  const previous = previousKeys(config);
  const ttlMs = integerOption('createTokenVerifier', 'cacheTtlMs', options.cacheTtlMs, DEFAULT_VERIFIED_TOKEN_TTL_MS, 0, MAX_VERIFIED_TOKEN_TTL_MS);
  const verified = new BoundedCache<{ claims: TokenClaims; until: number }>(
    integerOption('createTokenVerifier', 'cacheSize', options.cacheSize, DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, 1, 1_000_000),
  );
  const now = options.now ?? Date.now;
  const tolerance = config.clockToleranceSeconds;
  const verifyOptions = {
    algorithms: [...config.algorithms],
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: ['exp', 'iat', 'sub'],
    maxTokenAge: config.maxTokenAgeSeconds,
    clockTolerance: config.clockToleranceSeconds,
    // No critical extension is understood: a token that marks any header parameter critical is refused.
    crit: {},
  };

  /** The token under the current key, or else under a previous key of its algorithm; the current key's failure otherwise. */
  async function verifySignature(token: string, currentDate: Date) {
    try {
      return await jwtVerify(token, getKey, { ...verifyOptions, currentDate });
    } catch (error) {
      if (previous.length === 0 || error instanceof KeySourceUnavailableError) throw error;
      const alg = algorithmOf(token);
      for (const candidate of previous.filter((p) => p.alg === alg)) {
        try {
          return await jwtVerify(token, await candidate.key, { ...verifyOptions, algorithms: [candidate.alg], currentDate });
        } catch (other) {
          // Signed by this key after all, but refused for its claims: that is the reason.
          if (errorCode(other) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw other;
        }
      }
      throw error;
    }
  }

  return {
    async verify(authorizationHeader) {
      const at = now();
      // Keyed by the header as sent: a header that verified names the same token again, so a
      // hit skips taking the token out of it too.
      const hit = ttlMs > 0 && authorizationHeader !== undefined ? verified.get(authorizationHeader) : undefined;
      if (hit !== undefined && at < hit.until) return hit.claims;
      const token = bearerToken(authorizationHeader);
      let payload: unknown;
      try {
        ({ payload } = await verifySignature(token, new Date(at)));
      } catch (error) {
        if (error instanceof AuthenticationError || error instanceof KeySourceUnavailableError) throw error;
        const code = errorCode(error) ?? (error as Error)?.name ?? 'Error';
        throw new AuthenticationError(`${code}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      const claims = frozen(parseClaims(payload));
      if (ttlMs > 0) {
        // jose refuses a token once now >= exp + tolerance, or now > iat + maximum age + tolerance (in whole seconds).
        const until = Math.min(at + ttlMs, (claims.expiresAt + tolerance) * 1000, (claims.issuedAt + config.maxTokenAgeSeconds + tolerance) * 1000);
        verified.set(authorizationHeader!, { claims, until });
      }
      return claims;
    },
  };
}
