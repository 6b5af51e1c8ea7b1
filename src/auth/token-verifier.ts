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
 */
import {
  createRemoteJWKSet,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type FlattenedJWSInput,
  type CompactJWSHeaderParameters,
  type JWTVerifyGetKey,
  type JWK,
  type KeyObject,
} from 'jose';
import type { AuthConfig, TokenAlgorithm } from './auth-config';
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
}

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

export function createTokenVerifier(config: AuthConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  if (config.algorithms.length === 0) throw new TypeError('createTokenVerifier: the configuration pins no algorithm');
  const getKey = keyResolver(config, options);
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

  return {
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, getKey, verifyOptions));
      } catch (error) {
        if (error instanceof AuthenticationError || error instanceof KeySourceUnavailableError) throw error;
        const code = errorCode(error) ?? (error as Error)?.name ?? 'Error';
        throw new AuthenticationError(`${code}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      return parseClaims(payload);
    },
  };
}
