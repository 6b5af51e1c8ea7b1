/**
 * Development tokens for any principal, for the demo data, the tests, the benchmark and the
 * `token` CLI command.
 *
 * Minting needs the development secret, which only a non-production configuration has, so this
 * refuses to run with production settings. The claims are checked by the same parser the gateway
 * uses, so a minted token is never rejected for its shape (whether the principal it names exists
 * and is active is decided at request time). A token may carry a purpose its principal is not
 * allowed to declare; declaring it is then FORBIDDEN, which is what tests of that rule need.
 */
import { SignJWT } from 'jose';
import type { PrincipalKind, Purpose, StaffRole } from '../policy/vocabulary';
import type { AuthConfig } from './auth-config';
import { AuthenticationError } from './authentication-error';
import { parseClaims } from './claims';

export interface DevTokenOptions {
  kind: PrincipalKind;
  /** Default `${kind}-dev`. */
  subject?: string;
  roles?: readonly StaffRole[];
  partnerId?: string;
  customerId?: string;
  grantId?: string;
  purposes: readonly Purpose[];
  /** Lifetime in seconds, from 1 to the configuration's maximum token age. Default 3600. */
  ttlSeconds?: number;
  /** Override the configured issuer / audience / secret, e.g. to mint a token the gateway must refuse. */
  issuer?: string;
  audience?: string;
  secret?: string | Uint8Array;
}

export const DEFAULT_DEV_TOKEN_TTL_SECONDS = 3600;

/** A development token cannot be minted: production settings, or options that break the claims contract. */
export class DevTokenError extends Error {
  override name = 'DevTokenError';
}

export async function mintDevToken(options: DevTokenOptions, config: AuthConfig): Promise<string> {
  if (config.devSecret === undefined || !config.algorithms.includes('HS256')) {
    throw new DevTokenError('Development tokens cannot be minted with production settings (no development secret is configured)');
  }
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_DEV_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > config.maxTokenAgeSeconds) {
    throw new DevTokenError(`ttl: expected an integer number of seconds from 1 to ${config.maxTokenAgeSeconds}, got ${String(options.ttlSeconds)}`);
  }
  const issuedAt = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { kind: options.kind, purposes: options.purposes };
  if (options.roles !== undefined) payload.roles = options.roles;
  if (options.partnerId !== undefined) payload.partner_id = options.partnerId;
  if (options.customerId !== undefined) payload.customer_id = options.customerId;
  if (options.grantId !== undefined) payload.grant_id = options.grantId;
  const subject = options.subject ?? `${options.kind}-dev`;

  try {
    parseClaims({ ...payload, sub: subject, iat: issuedAt, exp: issuedAt + ttlSeconds });
  } catch (error) {
    if (error instanceof AuthenticationError) throw new DevTokenError(error.reason);
    throw error;
  }

  const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : (options.secret ?? config.devSecret);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(options.issuer ?? config.issuer)
    .setAudience(options.audience ?? config.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(secret);
}
