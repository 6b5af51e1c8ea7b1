/**
 * Callers for in-process tests. They bypass token verification (tested on its own), not the
 * policy: the gateway treats them exactly as callers established from a token.
 */
import type { Caller } from '../../src/auth/principal';
import type { Purpose, StaffRole } from '../../src/policy/vocabulary';

export const as = {
  staff: (roles: StaffRole[], purpose: Purpose): Caller => ({ principal: { kind: 'staff', subject: `staff-${roles.join('+')}`, roles }, purpose }),
  logistics: (partnerId: string): Caller => ({ principal: { kind: 'logistics_partner', subject: 'carrier-api', partnerId }, purpose: 'fulfillment' }),
  payment: (partnerId: string): Caller => ({ principal: { kind: 'payment_provider', subject: 'psp-api', partnerId }, purpose: 'payment_settlement' }),
  platform: (partnerId: string): Caller => ({ principal: { kind: 'platform_operator', subject: 'platform-api', partnerId }, purpose: 'platform_operation' }),
  customer: (customerId: string, purpose: Purpose = 'after_sales'): Caller => ({ principal: { kind: 'customer', subject: `customer-${customerId}`, customerId }, purpose }),
};
