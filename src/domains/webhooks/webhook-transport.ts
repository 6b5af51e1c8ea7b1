/**
 * The POST of one notification. Endpoints are URLs partners choose, called from inside the
 * store's network, so outside development the gateway refuses to call any address that is not
 * public — loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast and
 * reserved ranges, and the IPv6 ranges that carry an IPv4 address to a translator or tunnel
 * (NAT64, 6to4, Teredo, SIIT), which could carry a private one — checked on the address each connection actually uses (the resolver's answer,
 * not the name), so a name that resolves elsewhere later is caught too. Redirects are not followed.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const NOT_PUBLIC = new net.BlockList();
for (const [subnet, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(subnet, prefix, 'ipv4');
}
for (const [subnet, prefix] of [
  // IPv4-compatible (deprecated; :: and ::1 among them) and IPv4-translated (SIIT) addresses: an IPv4 address inside.
  ['::', 96],
  ['::ffff:0:0:0', 96],
  // NAT64, the well-known prefix and the one for local use: they reach IPv4 addresses, private ones too.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // IETF protocol assignments (Teredo among them, an IPv4 address inside), documentation, 6to4 (an IPv4 address inside).
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['3fff::', 20],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local: deprecated, still routed inside some networks.
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(subnet, prefix, 'ipv6');
}

/** Whether an IP address is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A connection refused before it was made: the URL's own address is not public (`address`), or
 * its name resolves to no public address (`name`). The second is the store's name resolution
 * speaking — an internal name resolves, a made-up one does not — so the worker tells the partner
 * no more than it would of a name that does not resolve at all.
 */
export class EndpointRefused extends Error {
  constructor(message: string, readonly refused: 'address' | 'name') {
    super(message);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** dns.lookup, answering only public addresses. */
function publicLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const usable = addresses.filter((a) => isPublicAddress(a.address));
    if (usable.length === 0) return callback(new EndpointRefused(`${hostname} resolves to no public address`, 'name'), []);
    if (options.all) return callback(null, usable);
    callback(null, usable[0].address, usable[0].family);
  });
}

/** How much of a receiver's answer body is taken off the wire before the connection is closed. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostOptions {
  timeoutMs: number;
  /** Development and tests: any address, loopback included. */
  allowLocal: boolean;
}

/** POSTs `body`; resolves with the HTTP status, rejects when no answer came (EndpointRefused when the address is not public). */
export function postNotification(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<number> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowLocal && net.isIP(host) && !isPublicAddress(host)) return Promise.reject(new EndpointRefused(`${host} is not a public address`, 'address'));
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: options.allowLocal ? undefined : (publicLookup as unknown as net.LookupFunction),
        timeout: options.timeoutMs,
      },
      (res) => {
        // Only the status counts. The body is neither kept nor read to its end: a receiver that
        // answers without end is hung up on after MAX_ANSWER_BYTES, not at the deadline.
        resolve(res.statusCode ?? 0);
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) req.destroy();
        });
      },
    );
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), options.timeoutMs);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    req.on('close', () => clearTimeout(deadline));
    req.end(body);
  });
}
