/**
 * Who is asking. A principal is established per request from a verified token and a database
 * look-up (the partner, customer or grant must exist and be usable); nothing else creates one.
 */
import type { DataCategory, PrincipalKind, Purpose, StaffRole } from './vocabulary';

interface PrincipalBase {
  kind: PrincipalKind;
  /** The token subject: a person or system at the principal's organisation. */
  subject: string;
}

export interface StaffPrincipal extends PrincipalBase {
  kind: 'staff';
  roles: readonly StaffRole[];
}

export interface PartnerPrincipal extends PrincipalBase {
  kind: 'logistics_partner' | 'payment_provider' | 'platform_operator';
  partnerId: string;
}

export interface CustomerPrincipal extends PrincipalBase {
  kind: 'customer';
  customerId: string;
}

export interface ThirdPartyPrincipal extends PrincipalBase {
  kind: 'third_party';
  partnerId: string;
  grantId: string;
  /** The customer who granted access, and what the grant covers. */
  customerId: string;
  categories: readonly DataCategory[];
  grantPurpose: Purpose;
}

export type Principal = StaffPrincipal | PartnerPrincipal | CustomerPrincipal | ThirdPartyPrincipal;

/** A principal together with the purpose it declared for this request. */
export interface Caller {
  principal: Principal;
  purpose: Purpose;
}

export function hasRole(principal: Principal, role: StaffRole): boolean {
  return principal.kind === 'staff' && principal.roles.includes(role);
}

/*
 * Which kind of principal carries a partner, a customer or a grant is said here once; row scope,
 * cursors, the audit log and the writes all read it through these.
 */

/** The partner id a principal acts for, if it is a partner of any kind (a third party included). */
export function partnerIdOf(principal: Principal): string | undefined {
  return principal.kind === 'staff' || principal.kind === 'customer' ? undefined : principal.partnerId;
}

/** The customer whose data a principal is about: the customer itself, or the customer who granted a third party. */
export function customerIdOf(principal: Principal): string | undefined {
  return principal.kind === 'customer' || principal.kind === 'third_party' ? principal.customerId : undefined;
}

/** The consent grant a third party acts under. */
export function grantIdOf(principal: Principal): string | undefined {
  return principal.kind === 'third_party' ? principal.grantId : undefined;
}

/**
 * Who a principal is for budgets and stores kept per principal (rate limits, idempotency keys):
 * a staff member by token subject, a customer by customer, a third party by grant, a partner
 * by partner, whichever of its systems calls.
 */
export function principalKey(p: Principal): string {
  switch (p.kind) {
    case 'staff':
      return `staff:${p.subject}`;
    case 'customer':
      return `customer:${p.customerId}`;
    case 'third_party':
      return `third_party:${p.partnerId}:${p.grantId}`;
    default:
      return `${p.kind}:${p.partnerId}`;
  }
}
