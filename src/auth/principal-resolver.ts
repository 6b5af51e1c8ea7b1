/**
 * Turns verified token claims into a Principal by checking the database: a signed token is not
 * enough on its own, because partners are suspended, customers erased and consent grants
 * withdrawn or expired long before the tokens that name them run out.
 *
 *   logistics_partner / payment_provider / platform_operator   the partner exists, is active, and
 *                                  is of the matching partner kind (logistics / payment / platform)
 *   customer                       the customer exists and is active (not erased)
 *   third_party                    the partner exists, is active and is a third_party partner; the
 *                                  grant exists, names that partner as grantee, is in force (granted,
 *                                  not withdrawn, expires_at after now) and its customer is active
 *   staff                          no look-up: staff identities live with the identity provider
 *
 * Any other outcome is AuthenticationError (the token names no usable principal).
 *
 * Partner look-ups are cached per (kind, id) for `cacheTtlMs` (default 2 s, at most 10 s), so a
 * partner's burst of requests costs one query while a suspension still takes effect within
 * seconds. Customers and grants are never cached: an erasure or a withdrawal refuses the very next
 * request (one primary-key look-up each). The cache holds rows, not verdicts: expiry is
 * re-checked against the clock on every resolve, and concurrent look-ups of one key share one query.
 */
import type { DataSource } from 'typeorm';
import { integerOption } from '../platform/options';
import { DATA_CATEGORIES, isPurpose, type DataCategory } from '../policy/vocabulary';
import { AuthenticationError } from './authentication-error';
import type { PartnerPrincipalKind, TokenClaims } from './claims';
import type { Principal, ThirdPartyPrincipal } from '../policy/principal';

export interface PrincipalResolver {
  resolve(claims: TokenClaims): Promise<Principal>;
  /** Forgets every cached look-up (e.g. right after suspending a partner). */
  clear(): void;
}

export interface PrincipalResolverOptions {
  /** How long a look-up is reused; 0 disables the cache. Default 2000, at most 10000. */
  cacheTtlMs?: number;
  /** Most cached look-ups kept; the oldest go first. Default 10000. */
  maxEntries?: number;
  /** Milliseconds since the epoch; injectable so tests can step over the TTL without sleeping. */
  now?: () => number;
}

export const DEFAULT_CACHE_TTL_MS = 2000;
export const MAX_CACHE_TTL_MS = 10_000;

/** The `partner.kind` each partner principal kind must have. */
const PARTNER_KIND_OF: Readonly<Record<PartnerPrincipalKind | 'third_party', string>> = {
  logistics_partner: 'logistics',
  payment_provider: 'payment',
  platform_operator: 'platform',
  third_party: 'third_party',
};

interface PartnerRow {
  kind: string;
  status: string;
}
interface CustomerRow {
  status: string;
}
interface GrantRow {
  customer_id: string;
  grantee_partner_id: string;
  categories: string[];
  purpose: string;
  granted_at: Date;
  expires_at: Date;
  withdrawn_at: Date | null;
  customer_status: string;
}

const SELECT_PARTNER = 'SELECT kind, status FROM partner WHERE id = $1';
const SELECT_CUSTOMER = 'SELECT status FROM customer WHERE id = $1';
const SELECT_GRANT = `
  SELECT g.customer_id, g.grantee_partner_id, g.categories, g.purpose, g.granted_at, g.expires_at, g.withdrawn_at,
         c.status AS customer_status
    FROM consent_grant g
    JOIN customer c ON c.id = g.customer_id
   WHERE g.id = $1`;

function getValidMaxEntries(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`createPrincipalResolver: expected maxEntries to be a positive integer, got ${String(value)}`);
  }
  return value;
}

function isDataCategory(value: unknown): value is DataCategory {
  return typeof value === 'string' && (DATA_CATEGORIES as readonly string[]).includes(value);
}

function refuse(reason: string): never {
  throw new AuthenticationError(`principal: ${reason}`);
}

export function createPrincipalResolver(
  dataSource: Pick<DataSource, 'query'>,
  options: PrincipalResolverOptions = {},
): PrincipalResolver {
  const ttlMs = integerOption('createPrincipalResolver', 'cacheTtlMs', options.cacheTtlMs, DEFAULT_CACHE_TTL_MS, 0, MAX_CACHE_TTL_MS);
  const maxEntries = getValidMaxEntries(options.maxEntries ?? 10_000);
  const now = options.now ?? Date.now;
  const cache = new Map<string, { until: number; row: Promise<unknown> }>();

  /** The single row `sql` selects for `id`, or null; cached under `key` for the TTL when `cacheable`. */
  function lookUp<Row>(key: string, sql: string, id: string, cacheable = true): Promise<Row | null> {
    const at = now();
    const hit = cacheable ? cache.get(key) : undefined;
    if (hit !== undefined && hit.until > at) return hit.row as Promise<Row | null>;
    const row = dataSource.query(sql, [id]).then((rows: Row[]) => rows[0] ?? null);
    if (ttlMs > 0 && cacheable) {
      cache.delete(key);
      while (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      const entry = { until: at + ttlMs, row };
      cache.set(key, entry);
      // A failed query is not remembered: the next request asks again.
      row.catch(() => {
        if (cache.get(key) === entry) cache.delete(key);
      });
    }
    return row;
  }

  async function activePartner(kind: PartnerPrincipalKind | 'third_party', partnerId: string): Promise<void> {
    const partner = await lookUp<PartnerRow>(`partner:${partnerId}`, SELECT_PARTNER, partnerId);
    if (partner === null) refuse(`${kind} ${partnerId}: no such partner`);
    if (partner.status !== 'active') refuse(`${kind} ${partnerId}: partner is ${partner.status}`);
    const expected = PARTNER_KIND_OF[kind];
    if (partner.kind !== expected) refuse(`${kind} ${partnerId}: expected a ${expected} partner, got a ${partner.kind} partner`);
  }

  async function thirdParty(claims: Extract<TokenClaims, { kind: 'third_party' }>): Promise<ThirdPartyPrincipal> {
    await activePartner('third_party', claims.partnerId);
    // Never cached: a customer's withdrawal takes effect on the very next request (policy §6).
    const grant = await lookUp<GrantRow>(`grant:${claims.grantId}`, SELECT_GRANT, claims.grantId, false);
    const which = `third_party ${claims.partnerId}, grant ${claims.grantId}`;
    if (grant === null) refuse(`${which}: no such grant`);
    if (grant.grantee_partner_id !== claims.partnerId) refuse(`${which}: the grant names another grantee`);
    const at = now();
    if (grant.withdrawn_at !== null) refuse(`${which}: withdrawn at ${grant.withdrawn_at.toISOString()}`);
    if (grant.granted_at.getTime() > at) refuse(`${which}: not in force until ${grant.granted_at.toISOString()}`);
    if (grant.expires_at.getTime() <= at) refuse(`${which}: expired at ${grant.expires_at.toISOString()}`);
    if (grant.customer_status !== 'active') refuse(`${which}: the granting customer is ${grant.customer_status}`);
    const purpose = grant.purpose;
    if (!isPurpose(purpose)) refuse(`${which}: the grant's purpose ${JSON.stringify(purpose)} is not a purpose`);
    const unknown = grant.categories.filter((category) => !isDataCategory(category));
    if (unknown.length > 0 || grant.categories.length === 0) {
      refuse(`${which}: the grant's categories ${JSON.stringify(grant.categories)} are not all data categories`);
    }
    return {
      kind: 'third_party',
      subject: claims.subject,
      partnerId: claims.partnerId,
      grantId: claims.grantId,
      customerId: grant.customer_id,
      categories: Object.freeze([...new Set(grant.categories as DataCategory[])]),
      grantPurpose: purpose,
    };
  }

  async function resolve(claims: TokenClaims): Promise<Principal> {
    switch (claims.kind) {
      case 'staff':
        return { kind: 'staff', subject: claims.subject, roles: claims.roles };
      case 'logistics_partner':
      case 'payment_provider':
      case 'platform_operator':
        await activePartner(claims.kind, claims.partnerId);
        return { kind: claims.kind, subject: claims.subject, partnerId: claims.partnerId };
      case 'customer': {
        // Never cached: an erasure refuses the erased customer's very next request (policy §6).
        const customer = await lookUp<CustomerRow>(`customer:${claims.customerId}`, SELECT_CUSTOMER, claims.customerId, false);
        if (customer === null) refuse(`customer ${claims.customerId}: no such customer`);
        if (customer.status !== 'active') refuse(`customer ${claims.customerId}: customer is ${customer.status}`);
        return { kind: 'customer', subject: claims.subject, customerId: claims.customerId };
      }
      case 'third_party':
        return thirdParty(claims);
    }
  }

  return {
    async resolve(claims) {
      return Object.freeze(await resolve(claims));
    },
    clear() {
      cache.clear();
    },
  };
}
