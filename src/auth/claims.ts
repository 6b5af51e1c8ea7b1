/**
 * The claims contract of a bearer token (design §8), parsed from a verified JWT payload into a
 * discriminated union. A payload either matches the contract for its `kind` exactly or is
 * rejected: claims that belong to another kind (a `partner_id` on a customer token, `roles` on a
 * partner token) are rejected too, so one token can never be read two ways.
 *
 *   kind                 one of PRINCIPAL_KINDS
 *   sub                  non-empty string: the person or system the token was issued to
 *   roles                staff only: non-empty list of distinct STAFF_ROLES
 *   partner_id           logistics_partner, payment_provider, platform_operator, third_party: uuid
 *   customer_id          customer only: uuid
 *   grant_id             third_party only: uuid of the consent grant
 *   purposes             non-empty list of distinct PURPOSES the token may declare
 *   iat, exp             numeric dates (jose has already checked them against the clock)
 *
 * Whether a purpose is *allowed* to the principal is decided per request (purpose.ts): a token
 * may carry a purpose its principal cannot use, and declaring it is then FORBIDDEN, not a 401.
 */
import {
  PRINCIPAL_KINDS,
  PURPOSES,
  STAFF_ROLES,
  isPurpose,
  type PrincipalKind,
  type Purpose,
  type StaffRole,
} from '../policy/vocabulary';
import { AuthenticationError } from './authentication-error';

interface ClaimsBase {
  kind: PrincipalKind;
  subject: string;
  purposes: readonly Purpose[];
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

export interface StaffClaims extends ClaimsBase {
  kind: 'staff';
  roles: readonly StaffRole[];
}

export type PartnerPrincipalKind = 'logistics_partner' | 'payment_provider' | 'platform_operator';

export interface PartnerClaims extends ClaimsBase {
  kind: PartnerPrincipalKind;
  partnerId: string;
}

export interface CustomerClaims extends ClaimsBase {
  kind: 'customer';
  customerId: string;
}

export interface ThirdPartyClaims extends ClaimsBase {
  kind: 'third_party';
  partnerId: string;
  grantId: string;
}

export type TokenClaims = StaffClaims | PartnerClaims | CustomerClaims | ThirdPartyClaims;

/** The principal-specific claims each kind must carry; every other one of them is refused. */
const CLAIMS_BY_KIND: Readonly<Record<PrincipalKind, readonly PrincipalClaim[]>> = {
  staff: ['roles'],
  logistics_partner: ['partner_id'],
  payment_provider: ['partner_id'],
  platform_operator: ['partner_id'],
  customer: ['customer_id'],
  third_party: ['partner_id', 'grant_id'],
};
const PRINCIPAL_CLAIMS = ['roles', 'partner_id', 'customer_id', 'grant_id'] as const;
type PrincipalClaim = (typeof PRINCIPAL_CLAIMS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_SUBJECT_LENGTH = 255;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  return typeof value;
}

function reject(reason: string): never {
  throw new AuthenticationError(`token claims: ${reason}`);
}

function isKind(value: unknown): value is PrincipalKind {
  return typeof value === 'string' && (PRINCIPAL_KINDS as readonly string[]).includes(value);
}

function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

function uuid(payload: Record<string, unknown>, claim: string): string {
  const value = payload[claim];
  if (typeof value !== 'string' || !UUID.test(value)) reject(`"${claim}": expected a uuid, got ${describe(value)}`);
  return value.toLowerCase();
}

function distinctList<T extends string>(
  payload: Record<string, unknown>,
  claim: string,
  isMember: (value: unknown) => value is T,
  vocabulary: readonly string[],
): readonly T[] {
  const value = payload[claim];
  if (!Array.isArray(value) || value.length === 0) {
    reject(`"${claim}": expected a non-empty array, got ${describe(value)}`);
  }
  const seen = new Set<T>();
  for (const member of value) {
    if (!isMember(member)) reject(`"${claim}": expected members of ${vocabulary.join(', ')}, got ${describe(member)}`);
    if (seen.has(member)) reject(`"${claim}": ${JSON.stringify(member)} appears twice`);
    seen.add(member);
  }
  return Object.freeze([...seen]);
}

/**
 * Reads a verified JWT payload as TokenClaims, or throws AuthenticationError naming the first
 * claim that does not match the contract.
 */
export function parseClaims(payload: unknown): TokenClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    reject(`expected a JSON object, got ${describe(payload)}`);
  }
  const claims = payload as Record<string, unknown>;

  const kind = claims.kind;
  if (!isKind(kind)) reject(`"kind": expected one of ${PRINCIPAL_KINDS.join(', ')}, got ${describe(kind)}`);

  const subject = claims.sub;
  if (typeof subject !== 'string' || subject.trim() === '' || subject.length > MAX_SUBJECT_LENGTH) {
    reject(`"sub": expected a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters, got ${describe(subject)}`);
  }
  for (const claim of ['iat', 'exp'] as const) {
    if (typeof claims[claim] !== 'number' || !Number.isFinite(claims[claim])) {
      reject(`"${claim}": expected a numeric date, got ${describe(claims[claim])}`);
    }
  }

  const expected = CLAIMS_BY_KIND[kind];
  for (const claim of PRINCIPAL_CLAIMS) {
    if (!expected.includes(claim) && Object.hasOwn(claims, claim)) {
      reject(`"${claim}" is not a claim of a ${kind} token (expected ${expected.join(' and ')})`);
    }
  }

  const base = {
    subject,
    purposes: distinctList(claims, 'purposes', isPurpose, PURPOSES),
    issuedAt: claims.iat as number,
    expiresAt: claims.exp as number,
  };
  switch (kind) {
    case 'staff':
      return { kind, ...base, roles: distinctList(claims, 'roles', isStaffRole, STAFF_ROLES) };
    case 'logistics_partner':
    case 'payment_provider':
    case 'platform_operator':
      return { kind, ...base, partnerId: uuid(claims, 'partner_id') };
    case 'customer':
      return { kind, ...base, customerId: uuid(claims, 'customer_id') };
    case 'third_party':
      return { kind, ...base, partnerId: uuid(claims, 'partner_id'), grantId: uuid(claims, 'grant_id') };
  }
}
