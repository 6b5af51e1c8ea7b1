/**
 * The words of the disclosure policy (design §3): data categories, purposes, principal kinds and
 * staff roles. Everything that names one of these imports it from here.
 */

export const DATA_CATEGORIES = [
  'identity.account_name',
  'identity.recipient_name',
  'contact.email',
  'contact.phone',
  'contact.emergency',
  'contact.address',
  'order.reference',
  'order.status',
  'order.items',
  'order.financial',
  'customs.declaration',
  'shipment.tracking',
  'payment.settlement',
  'communication.content',
  'communication.record',
  'technical.behavior',
  /** Behaviour in aggregate: counts and sums over cells of at least k visitors (domains/analytics). */
  'technical.aggregate',
  'consent.record',
  /** The terms of a consent grant: grantee, categories, purpose, when granted, until when, withdrawn when. */
  'consent.grant',
  'rights.request',
  'audit.record',
  /**
   * A partner's own integration: the webhook endpoints it registered, their signing secrets, and
   * how its endpoints answered notifications (status, error, next try). About no customer.
   */
  'integration.webhook',
  /**
   * That a partner was notified of a change to a customer's shipment or payment: which change,
   * of what, when, and whether it arrived (never the notification's contents). About the
   * customer, for as long as the delivery is kept.
   */
  'integration.delivery',
  /**
   * The disclosure policy as enforced (policy/report.ts): every field of the schema, and who sees
   * it for which purpose. About no customer, but it names the fields hidden from partners' and
   * third parties' contracts, which they must not learn exist (design §4 step 4): it is for those
   * who answer for the policy, never for a partner, a third party or a customer.
   */
  'policy.disclosure',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

export const PURPOSES = [
  'fulfillment',
  'after_sales',
  'payment_settlement',
  'platform_operation',
  'fraud_prevention',
  'analytics',
  'legal_compliance',
  'data_subject_request',
  'authorized_sharing',
] as const;
export type Purpose = (typeof PURPOSES)[number];

export const PRINCIPAL_KINDS = [
  'staff',
  'logistics_partner',
  'payment_provider',
  'platform_operator',
  'customer',
  'third_party',
] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** `storefront` is the store's own web frontend: it ingests behaviour events and reads nothing personal. */
export const STAFF_ROLES = [
  'customer_service',
  'fulfillment',
  'fraud_analyst',
  'data_analyst',
  'compliance_officer',
  'storefront',
] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** The purposes each principal kind (and each staff role) may declare. */
export const PURPOSES_BY_KIND: Readonly<Record<Exclude<PrincipalKind, 'staff'>, readonly Purpose[]>> = {
  logistics_partner: ['fulfillment'],
  payment_provider: ['payment_settlement'],
  platform_operator: ['platform_operation'],
  customer: ['data_subject_request', 'after_sales'],
  third_party: ['authorized_sharing'],
};

export const PURPOSES_BY_ROLE: Readonly<Record<StaffRole, readonly Purpose[]>> = {
  customer_service: ['after_sales', 'fulfillment', 'data_subject_request'],
  fulfillment: ['fulfillment'],
  fraud_analyst: ['fraud_prevention'],
  data_analyst: ['analytics'],
  compliance_officer: ['legal_compliance', 'data_subject_request'],
  storefront: ['analytics'],
};

export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && (PURPOSES as readonly string[]).includes(value);
}
