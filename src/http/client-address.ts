/**
 * The client address of a request, which failed authentications are counted by
 * (hardening/rate-limit.ts): the socket's peer, or — when that peer is a proxy named in
 * TRUSTED_PROXIES — the address the nearest hop not trusted gave in X-Forwarded-For, read as
 * Express reads it (the `proxy-addr` library). Without TRUSTED_PROXIES the header is ignored,
 * since anyone can write it; behind a proxy that is not named, every client shares the proxy's
 * address and so its budget.
 */
import type http from 'node:http';
import proxyAddr from 'proxy-addr';

export type ClientAddressOf = (req: http.IncomingMessage) => string;

/**
 * `trusted`: addresses or CIDR ranges of the proxies in front, or proxy-addr's names for ranges
 * (`loopback`, `linklocal`, `uniquelocal`). Throws on anything else.
 */
export function clientAddressOf(trusted: readonly string[]): ClientAddressOf {
  const trust = proxyAddr.compile([...trusted]);
  return (req) => proxyAddr(req, trust);
}
