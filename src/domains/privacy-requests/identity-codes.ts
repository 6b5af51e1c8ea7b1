/**
 * One-time codes that verify a requester is the customer (design §6): 6 digits, mailed to the
 * email on file, stored only as an HMAC under the gateway's secret (a database dump cannot be
 * tried against a million codes offline), valid 15 minutes and for 5 attempts; after that a new
 * code is needed. The code itself exists only in the mail; it never reaches a log.
 *
 * A new code brings no new guesses with it: a request takes REQUEST_CODE_FAILURES wrong codes in
 * all, whatever codes it was sent (a new code gets the attempts left, at most CODE_ATTEMPTS), and
 * the requests of one customer CUSTOMER_CODE_FAILURES in a day, whoever sends them — else
 * resending, or opening request after request, would multiply the one-in-a-million chance of a
 * guess. A spent budget refuses every code, the right one too, before any comparison.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_DIGITS = 6;
export const CODE_TTL_MS = 15 * 60_000;
export const CODE_ATTEMPTS = 5;
/** Codes one request may be sent, the first included. */
export const CODES_PER_REQUEST = 5;
/** The least time between two codes of one request. */
export const CODE_RESEND_AFTER_MS = 60_000;
/** Wrong codes one request may take, over all its codes. */
export const REQUEST_CODE_FAILURES = 10;
/** Wrong codes the requests of one customer may take within CUSTOMER_CODE_FAILURES_WINDOW_MS. */
export const CUSTOMER_CODE_FAILURES = 15;
export const CUSTOMER_CODE_FAILURES_WINDOW_MS = 24 * 3600_000;

/** The attempts a new code of a request that has taken `failures` wrong codes gets. */
export function attemptsOfNewCode(failures: number): number {
  return Math.max(0, Math.min(CODE_ATTEMPTS, REQUEST_CODE_FAILURES - failures));
}

export function newCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/** The code's hash, bound to its request: a code of one request never verifies another. */
export function codeHash(secret: string, requestId: string, code: string): string {
  return createHmac('sha256', `privacy-code:${secret}`).update(`${requestId}:${code}`).digest('hex');
}

/**
 * Whether `code` is the one `storedHash` was made of, under any of `secrets` (PRIVACY_SECRET and
 * those it replaced: a code mailed just before a rotation still verifies for its 15 minutes). Every
 * secret is tried whichever matches, so a code under a previous secret and a wrong one take as long.
 */
export function codeMatches(secrets: readonly string[], requestId: string, code: string, storedHash: string): boolean {
  if (!/^\d+$/.test(code) || code.length !== CODE_DIGITS) return false;
  const b = Buffer.from(storedHash, 'hex');
  let matches = false;
  for (const secret of secrets) {
    const a = Buffer.from(codeHash(secret, requestId, code), 'hex');
    matches = (a.length === b.length && timingSafeEqual(a, b)) || matches;
  }
  return matches;
}
