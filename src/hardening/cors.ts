/**
 * CORS from an allowlist of origins (never `*`). Requests from a browser page on another origin
 * are refused outright (403) rather than merely left unreadable, so they cannot cause writes.
 * A page of the gateway's own origin (the compliance console at /console) is not cross-origin:
 * its Origin names the host it was loaded from, which is the request's Host.
 */
import type http from 'node:http';

export const ALLOWED_REQUEST_HEADERS = 'authorization, content-type, x-purpose, x-legal-case, x-privacy-request, idempotency-key, apollo-require-preflight, x-case-id, x-attachment-kind';
/** Response headers a page may read: which request it was, and whether it was an idempotent replay. */
export const EXPOSED_RESPONSE_HEADERS = 'x-request-id, idempotent-replayed';

export type CorsOutcome = 'no-origin' | 'same-origin' | 'allowed' | 'refused';

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}

export function applyCors(req: http.IncomingMessage, res: http.ServerResponse, allowlist: readonly string[]): CorsOutcome {
  const origin = req.headers.origin;
  if (origin === undefined) return 'no-origin';
  res.setHeader('vary', 'origin');
  if (isSameOrigin(origin, req.headers.host)) return 'same-origin';
  if (!allowlist.includes(origin)) return 'refused';
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-headers', ALLOWED_REQUEST_HEADERS);
  res.setHeader('access-control-expose-headers', EXPOSED_RESPONSE_HEADERS);
  res.setHeader('access-control-allow-methods', 'GET, POST');
  res.setHeader('access-control-max-age', '600');
  return 'allowed';
}
