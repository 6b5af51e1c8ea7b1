/**
 * Who may call a mutation at all. Field-level disclosure is the policy layer's job; these
 * guards only decide whether a kind of principal can perform a write, and give the acting
 * partner, customer or staff member.
 */
import type { RequestContext } from '../context';
import { forbidden } from '../platform/errors';
import type { StaffRole } from '../policy/vocabulary';
import type { CustomerPrincipal, PartnerPrincipal, Principal, StaffPrincipal } from './principal';

export function requirePartner(ctx: RequestContext, kind: PartnerPrincipal['kind'], operation: string): PartnerPrincipal {
  const p: Principal = ctx.caller.principal;
  if (p.kind !== kind) throw forbidden(`${operation} is not available to this principal`);
  return p;
}

export function requireStaff(ctx: RequestContext, roles: readonly StaffRole[], operation: string): StaffPrincipal {
  const p = ctx.caller.principal;
  if (p.kind !== 'staff' || !p.roles.some((r) => roles.includes(r))) {
    throw forbidden(`${operation} is not available to this principal`);
  }
  return p;
}

export function requireCustomerOrStaff(
  ctx: RequestContext,
  roles: readonly StaffRole[],
  operation: string,
): CustomerPrincipal | StaffPrincipal {
  const p = ctx.caller.principal;
  if (p.kind === 'customer') return p;
  return requireStaff(ctx, roles, operation);
}
