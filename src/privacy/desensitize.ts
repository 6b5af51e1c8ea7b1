/**
 * Technical data is made non-identifiable at ingest (policy §2.3, §4): the address is cut to
 * its network (IPv4 /24, IPv6 /48), the user agent to a browser family and a device class, and
 * the visitor id to a keyed HMAC under a secret that changes every day, so one day's visitor
 * cannot be linked to the next day's. None of the raw values is stored.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** The classes a user agent is reduced to at ingest: all that is kept of it, with the browser family. */
export enum DeviceClass {
  DESKTOP = 'desktop',
  MOBILE = 'mobile',
  TABLET = 'tablet',
  BOT = 'bot',
  OTHER = 'other',
}

export function truncateIp(ip: string): string | undefined {
  if (isIPv4(ip)) {
    const [a, b, c] = ip.split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  if (!isIPv6(ip)) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return truncateIp(mapped[1]);
  const [head, tail = ''] = ip.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  const prefix = groups.slice(0, 3).map((g) => parseInt(g, 16).toString(16));
  return `${prefix.join(':')}::/48`;
}

const BROWSERS: Array<[RegExp, string]> = [
  [/edg(e|a|ios)?\//i, 'Edge'],
  [/opr\/|opera/i, 'Opera'],
  [/samsungbrowser\//i, 'Samsung Internet'],
  [/firefox\/|fxios\//i, 'Firefox'],
  [/chrome\/|crios\//i, 'Chrome'],
  [/safari\//i, 'Safari'],
];

export function reduceUserAgent(userAgent: string): { browserFamily: string; deviceClass: DeviceClass } {
  const ua = userAgent.slice(0, 1000);
  let deviceClass = DeviceClass.OTHER;
  if (/bot|crawler|spider|curl|wget|python-requests/i.test(ua)) deviceClass = DeviceClass.BOT;
  else if (/ipad|tablet|(android(?!.*mobile))/i.test(ua)) deviceClass = DeviceClass.TABLET;
  else if (/mobi|iphone|android/i.test(ua)) deviceClass = DeviceClass.MOBILE;
  else if (/windows|macintosh|x11|linux|cros/i.test(ua)) deviceClass = DeviceClass.DESKTOP;
  const browserFamily = deviceClass === DeviceClass.BOT ? 'Bot' : (BROWSERS.find(([re]) => re.test(ua))?.[1] ?? 'Other');
  return { browserFamily, deviceClass };
}

/**
 * The master secret of the daily keys and, across a rotation, the one it replaced: `since` is the
 * first UTC day (YYYY-MM-DD) pseudonymized under the current master; earlier days stay under the
 * previous one. So no day's visitors are split between two keys (a visitor counted twice), and a
 * refusal recorded under a day's pseudonym keeps meeting that day's views, late ones included.
 */
export interface PseudonymSecrets {
  behaviorPseudonymKey: string;
  behaviorPseudonymRotation?: { readonly previousKey: string; readonly since: string };
}

/** The master secret the day of `at` is pseudonymized under. */
export function pseudonymMaster(secrets: PseudonymSecrets, at: Date): string {
  const rotation = secrets.behaviorPseudonymRotation;
  return rotation !== undefined && at.toISOString().slice(0, 10) < rotation.since ? rotation.previousKey : secrets.behaviorPseudonymKey;
}

/** The day's key: an HMAC of the UTC date under the master secret. */
export function dailyKey(masterSecret: string, at: Date): Buffer {
  return createHmac('sha256', masterSecret).update(at.toISOString().slice(0, 10)).digest();
}

/** 43 characters of base64url: the HMAC-SHA256 of the visitor id under the day's key. */
export function pseudonymizeVisitor(masterSecret: string, visitorId: string, at: Date): string {
  return createHmac('sha256', dailyKey(masterSecret, at)).update(visitorId).digest('base64url');
}

/**
 * A path segment that looks like it names someone or something of theirs rather than a page: a
 * UUID, a run of six or more digits (order, tracking and phone numbers), an email address, or a
 * long token of letters and digits without hyphens (slugs have hyphens; session ids and codes do not).
 */
const IDENTIFIER_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|\d{6,}|@|%40|^(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{16,}$/i;

/**
 * Only the path of a page, with identifier-like segments replaced by `:id`: query strings,
 * fragments and such segments can carry personal data, and a page is a dimension analytics
 * groups by (`/orders/ORD-20251234` is stored as `/orders/:id`).
 */
export function pagePath(page: string): string {
  const cut = page.split(/[?#]/, 1)[0];
  let path: string;
  try {
    path = new URL(cut, 'https://store.invalid').pathname;
  } catch {
    return '/';
  }
  return path
    .split('/')
    .map((segment) => (IDENTIFIER_SEGMENT.test(segment) ? ':id' : segment))
    .join('/')
    .slice(0, 500);
}
