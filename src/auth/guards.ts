/**
 * Whom a write acts for. Whether a caller may call a write at all is the disclosure matrix's
 * decision (`MatrixRow.operations`, applied by the field rules before any resolver runs); these
 * only read the acting partner or customer off the caller, for the resolver to scope its write
 * by. start-up (checkOperations) refuses a matrix that grants a write to a kind of principal the
 * write cannot act for, so a mismatch here is a bug, never a caller's doing: it is thrown as an
 * ordinary Error and masked as INTERNAL_SERVER_ERROR.
 */
import type { RequestContext } from '../context';

/** The partner a write by a partner principal acts for. */
export function actingPartner(ctx: RequestContext, operation: string): string {
  const p = ctx.caller.principal;
  if (p.kind === 'staff' || p.kind === 'customer') throw new Error(`${operation} acts for a partner, but the caller is ${p.kind} (src/policy/operations.ts)`);
  return p.partnerId;
}

/** The customer a write acts for when the caller is that customer; undefined for staff, who name the customer. */
export function actingCustomer(ctx: RequestContext): string | undefined {
  const p = ctx.caller.principal;
  return p.kind === 'customer' ? p.customerId : undefined;
}

/** The customer a write that acts for customers only acts for: the caller itself. */
export function actingCustomerOnly(ctx: RequestContext, operation: string): string {
  const p = ctx.caller.principal;
  if (p.kind !== 'customer') throw new Error(`${operation} acts for a customer, but the caller is ${p.kind} (src/policy/operations.ts)`);
  return p.customerId;
}
