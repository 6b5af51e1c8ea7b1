/**
 * Callers for in-process tests. They bypass token verification (tested on its own), not the
 * policy: the gateway treats them exactly as callers established from a token.
 */
import type { Caller } from '../../src/policy/principal';
import type { MatrixRow } from '../../src/policy/disclosure-matrix';
import type { Purpose, StaffRole } from '../../src/policy/vocabulary';
import { DEMO_IDS } from '../../src/seed/demo-ids';

export const as = {
  staff: (roles: StaffRole[], purpose: Purpose): Caller => ({ principal: { kind: 'staff', subject: `staff-${roles.join('+')}`, roles }, purpose }),
  logistics: (partnerId: string): Caller => ({ principal: { kind: 'logistics_partner', subject: 'carrier-api', partnerId }, purpose: 'fulfillment' }),
  payment: (partnerId: string): Caller => ({ principal: { kind: 'payment_provider', subject: 'psp-api', partnerId }, purpose: 'payment_settlement' }),
  platform: (partnerId: string): Caller => ({ principal: { kind: 'platform_operator', subject: 'platform-api', partnerId }, purpose: 'platform_operation' }),
  customer: (customerId: string, purpose: Purpose = 'after_sales'): Caller => ({ principal: { kind: 'customer', subject: `customer-${customerId}`, customerId }, purpose }),
  /** The demo customer's active grant: identity.account_name, order.reference, order.status. */
  thirdParty: (): Caller => ({
    principal: {
      kind: 'third_party',
      subject: 'tp',
      partnerId: DEMO_IDS.thirdParty,
      grantId: DEMO_IDS.consentGrant,
      customerId: DEMO_IDS.demoCustomer,
      categories: ['identity.account_name', 'order.reference', 'order.status'],
      grantPurpose: 'authorized_sharing',
    },
    purpose: 'authorized_sharing',
  }),
};

/** A caller of the demo data for one row of the disclosure matrix (legal_compliance reads also need a case reference). */
export function callerOfMatrixRow(row: MatrixRow): Caller {
  const purpose = row.purpose;
  switch (row.principal) {
    case 'logistics_partner':
      return { principal: { kind: 'logistics_partner', subject: 'carrier', partnerId: DEMO_IDS.logisticsPartners[0] }, purpose };
    case 'payment_provider':
      return { principal: { kind: 'payment_provider', subject: 'psp', partnerId: DEMO_IDS.paymentProviders[0] }, purpose };
    case 'platform_operator':
      return { principal: { kind: 'platform_operator', subject: 'platform', partnerId: DEMO_IDS.platformOperator }, purpose };
    case 'customer':
      return { principal: { kind: 'customer', subject: 'jordan', customerId: DEMO_IDS.demoCustomer }, purpose };
    case 'third_party':
      return { ...as.thirdParty(), purpose };
    default:
      return { principal: { kind: 'staff', subject: row.principal, roles: [row.principal.slice('staff:'.length) as never] }, purpose };
  }
}
