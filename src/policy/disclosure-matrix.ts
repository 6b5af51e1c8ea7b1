/**
 * THE DISCLOSURE MATRIX — the only source of truth for who sees what, for which purpose.
 *
 * One row per principal (staff per role) and purpose: the data categories it sees (visible or
 * masked; any category not listed is denied), fields withheld despite their category, the rows
 * it may read, and the writes it may perform. Field rules, row scope, masking, the partner
 * contracts and docs/disclosure-matrix.md are all derived from this file.
 */
import type { DataCategory, Purpose, StaffRole } from './vocabulary';
import { DATA_CATEGORIES } from './vocabulary';

export type Visibility = 'visible' | 'masked';

/** Which rows a row of the matrix may read (see tables.ts for the SQL of each, per table). */
export type RowScopeKind =
  | 'all'
  | 'own_shipments'
  | 'own_payments'
  | 'platform_orders'
  | 'orders_paid_to_delivered'
  | 'self'
  | 'granted_customer'
  | 'page_views'
  | 'none';

export type MatrixPrincipal =
  | 'logistics_partner'
  | 'payment_provider'
  | 'platform_operator'
  | 'customer'
  | 'third_party'
  | `staff:${StaffRole}`;

export interface MatrixRow {
  principal: MatrixPrincipal;
  purpose: Purpose;
  /** Categories seen. `grant` (third parties): the categories of the caller's consent grant, and GRANTEE_SEES. */
  sees: Partial<Record<DataCategory, Visibility>> | 'grant';
  /** Fields withheld although their category is seen, and why. */
  withhold?: Readonly<Record<string, string>>;
  rows: RowScopeKind;
  /** Mutations this row may call (their row scope still applies; see operations.ts). */
  operations?: readonly string[];
  /**
   * Reads under this row serve a legal case or a privacy request: every one is flagged in the
   * audit log with the reference of what it serves, sent in a header (audit/served-request.ts).
   * `required`: a request without the reference is refused before anything runs — unless it
   * reads nothing but `unreferenced`: the coordinates (Type.field) of the list of what is served,
   * read to choose the case or request the next reads serve. Ids and paging come with them; any
   * other field, a link not listed, or a write needs the reference. Such a read is flagged and
   * audited like any other, without a reference.
   */
  serves?: { reference: 'legal_case' | 'privacy_request'; required: boolean; unreferenced?: readonly string[] };
  /**
   * Reads rows an erasure kept and restricted (retention window or legal hold; row-scope.ts):
   * for every other row of the matrix they are as rows that do not exist.
   */
  readsRestricted?: boolean;
  /** One line for the report. */
  why: string;
}

const v = 'visible' as const;
const all = (except: DataCategory[] = []): Partial<Record<DataCategory, Visibility>> =>
  Object.fromEntries(DATA_CATEGORIES.filter((c) => !except.includes(c)).map((c) => [c, v]));

const CUSTOMER_SERVICE: Partial<Record<DataCategory, Visibility>> = {
  'identity.account_name': v,
  'identity.recipient_name': v,
  'contact.email': v,
  'contact.phone': v,
  'contact.emergency': v,
  'contact.address': v,
  'order.reference': v,
  'order.status': v,
  'order.items': v,
  'order.financial': v,
  'customs.declaration': v,
  'shipment.tracking': v,
  'communication.content': v,
  'communication.record': v,
};

/** A partner manages its own change notifications (domains/webhooks): endpoints, secrets, redelivery. */
const WEBHOOK_OPERATIONS = ['registerWebhookEndpoint', 'rotateWebhookSecret', 'disableWebhookEndpoint', 'redeliverWebhook'] as const;

export const MATRIX: readonly MatrixRow[] = [
  {
    principal: 'logistics_partner',
    purpose: 'fulfillment',
    sees: {
      'order.reference': v,
      'identity.recipient_name': v,
      'contact.address': v,
      'contact.phone': v,
      'order.items': v,
      'customs.declaration': v,
      'shipment.tracking': v,
      'integration.webhook': v,
      'integration.delivery': v,
    },
    withhold: {
      'Order.customer': 'the carrier delivers to the recipient of the shipping snapshot, not to the account holder',
      'Query.customer': "the account holder's own contact data is not the recipient's",
      'Query.customers': "the account holder's own contact data is not the recipient's",
      'OrderItem.sku': 'customs and delivery need what the parcel holds and how many, not the store\'s stock codes',
      'OrderItem.position': 'not needed to deliver',
      'OrderItem.attributes': 'size and colour are not needed to deliver or clear customs',
    },
    rows: 'own_shipments',
    operations: ['recordShipmentTracking', 'recordShipmentEvents', ...WEBHOOK_OPERATIONS],
    why: 'deliver its own parcels and clear customs: recipient, address, phone, contents',
  },
  {
    principal: 'payment_provider',
    purpose: 'payment_settlement',
    sees: { 'order.reference': v, 'order.financial': v, 'payment.settlement': v, 'integration.webhook': v, 'integration.delivery': v },
    withhold: {
      'Order.items': 'settlement needs the order total, not what was bought (unit prices are financial data, the items are not)',
    },
    rows: 'own_payments',
    operations: ['recordPaymentResult', ...WEBHOOK_OPERATIONS],
    why: 'verify and settle the payments it processed',
  },
  {
    principal: 'platform_operator',
    purpose: 'platform_operation',
    sees: { 'order.reference': v, 'order.status': v, 'order.financial': v },
    withhold: {
      'Order.items': 'the platform reconciles totals; what was bought is not its business (unit prices alone would be)',
    },
    rows: 'platform_orders',
    why: 'operate the orders sold through its platform',
  },
  {
    principal: 'staff:customer_service',
    purpose: 'after_sales',
    sees: CUSTOMER_SERVICE,
    rows: 'all',
    operations: ['openAfterSalesCase', 'postCaseMessage', 'updateAfterSalesCase', 'addCaseRecord', 'attachCaseUpload'],
    why: 'answer customers: their contact data, orders, deliveries, payment status and cases (not settlement references)',
  },
  {
    principal: 'staff:customer_service',
    purpose: 'fulfillment',
    sees: (({ 'contact.emergency': _e, 'communication.content': _c, 'communication.record': _r, ...rest }) => rest)(CUSTOMER_SERVICE),
    rows: 'all',
    why: 'sort out deliveries; the emergency contact and case conversations are for after-sales only',
  },
  {
    principal: 'staff:fulfillment',
    purpose: 'fulfillment',
    sees: {
      'order.reference': v,
      'order.items': v,
      'identity.recipient_name': v,
      'contact.address': v,
      'customs.declaration': v,
    },
    rows: 'orders_paid_to_delivered',
    why: 'pick, pack and label orders that are paid and not yet delivered',
  },
  {
    principal: 'staff:fraud_analyst',
    purpose: 'fraud_prevention',
    sees: {
      'order.reference': v,
      'order.status': v,
      'order.items': v,
      'order.financial': v,
      'payment.settlement': v,
      'technical.behavior': v,
      'contact.email': 'masked',
    },
    rows: 'all',
    why: 'spot fraudulent orders and payments; the email only masked',
  },
  {
    principal: 'staff:data_analyst',
    purpose: 'analytics',
    // Aggregates only (design §3): never a page view, a pseudonym or an address prefix.
    sees: { 'technical.aggregate': v },
    rows: 'page_views',
    why: 'analyse visitor behaviour in daily aggregates, every published cell counting at least k distinct visitors; never a single page view or visitor',
  },
  {
    principal: 'staff:compliance_officer',
    purpose: 'legal_compliance',
    sees: all(),
    rows: 'all',
    operations: ['placeLegalHold', 'releaseLegalHold', 'verifyAuditLog'],
    serves: { reference: 'legal_case', required: true },
    readsRestricted: true,
    why: 'answer legal inquiries and audits; every read is flagged with its case reference',
  },
  {
    principal: 'staff:compliance_officer',
    purpose: 'data_subject_request',
    sees: all(),
    withhold: {
      'Query.auditEvents':
        "the audit log as a whole is read for legal cases only (legal_compliance, with a case reference); a data-subject request is answered from that customer's own records",
      'Query.auditIntegrity': 'the state of the audit log as a whole is a legal_compliance matter, not part of answering one customer\'s request',
      'Query.retentionPreview': "what the next retention run would do to the whole store is a legal_compliance matter, not part of answering one customer's request",
      'Query.disclosureMatrix': "who may see what under the policy as a whole is read for a legal case (legal_compliance), not to answer one customer's request",
      'Query.legalHolds':
        "every legal hold in the store, with the legal matters behind them, is a legal_compliance matter; the holds on the request's customer are read through Customer.legalHolds",
      'Query.webhookEndpoints': "partners' notification endpoints are about no customer: not part of answering one customer's request",
      'Query.webhookDeliveries':
        "every partner's notifications about every customer are read for a legal case (legal_compliance); the request's customer's own are in their access export",
      'Query.webhookDelivery':
        "a partner's notification looked up by id is read for a legal case (legal_compliance); the request's customer's own are in their access export",
    },
    rows: 'all',
    // The export link answers an access request the officer works (the officer reads the export itself anyway).
    operations: ['assignPrivacyRequest', 'completePrivacyRequest', 'rejectPrivacyRequest', 'createPrivacyExportLink'],
    serves: {
      reference: 'privacy_request',
      required: true,
      // The queue: which requests are open, of what kind, for which customer (the id only), when
      // due and with whom — what it takes to pick the request the next reads serve; the same of
      // one request looked up by its id.
      unreferenced: [
        'Query.privacyRequests',
        'Query.privacyRequest',
        'PrivacyRequest.type',
        'PrivacyRequest.status',
        'PrivacyRequest.receivedAt',
        'PrivacyRequest.verifiedAt',
        'PrivacyRequest.dueAt',
        'PrivacyRequest.overdue',
        'PrivacyRequest.handler',
        'PrivacyRequest.openedVia',
        'PrivacyRequest.customer',
      ],
    },
    why: "work the queue of data-subject requests and carry them out on any customer's data; every read is flagged with the privacy request it serves",
  },
  {
    principal: 'staff:customer_service',
    purpose: 'data_subject_request',
    sees: { 'identity.account_name': v, 'contact.email': 'masked', 'rights.request': v },
    withhold: {
      'PrivacyRequest.resultSummary':
        "an erasure's outcome says what a legal hold kept (audit.record, which this row does not see) of any customer; the request's status says it was carried out",
      'PrivacyRequest.result':
        "an erasure's outcome says whether a legal hold kept the customer (audit.record, which this row does not see) of any customer; the request's status says it was carried out",
    },
    rows: 'all',
    operations: ['submitPrivacyRequest', 'verifyPrivacyRequest', 'resendPrivacyRequestCode', 'rectifyPersonalData'],
    serves: { reference: 'privacy_request', required: false },
    why: "open a data-subject request on a customer's behalf, pass on the code the customer reads out, and enter the corrections they ask for; the email only masked, to confirm where the code went",
  },
  {
    principal: 'staff:storefront',
    purpose: 'analytics',
    sees: {},
    rows: 'none',
    operations: ['ingestBehaviorEvents', 'recordPreferenceChoices'],
    why: "send page views for desensitized storage and record visitors' cookie choices; it reads nothing",
  },
  {
    principal: 'customer',
    purpose: 'data_subject_request',
    sees: all(['audit.record', 'technical.behavior', 'technical.aggregate', 'integration.webhook', 'integration.delivery', 'policy.disclosure']),
    rows: 'self',
    // Consent is the customer's own to give and withdraw (policy §5, §6): managed under the
    // purpose of their data-subject rights, never under after-sales.
    operations: [
      'grantConsent',
      'withdrawConsent',
      'recordPreferenceChoices',
      'submitPrivacyRequest',
      'verifyPrivacyRequest',
      'resendPrivacyRequestCode',
      'rectifyPersonalData',
      'createPrivacyExportLink',
    ],
    // The customer is the data subject: the read is flagged, and names their request when they send it.
    serves: { reference: 'privacy_request', required: false },
    why: 'inquire into everything held about themselves, correct it, have it erased, object to analytics, authorize third parties and withdraw that consent, and change their cookie choices',
  },
  {
    principal: 'customer',
    purpose: 'after_sales',
    sees: all(['audit.record', 'technical.behavior', 'technical.aggregate', 'rights.request', 'consent.record', 'consent.grant', 'payment.settlement', 'integration.webhook', 'integration.delivery', 'policy.disclosure']),
    rows: 'self',
    operations: ['openAfterSalesCase', 'postCaseMessage', 'attachCaseUpload'],
    why: 'follow their orders and deliveries, talk to customer service and send it proof',
  },
  {
    principal: 'third_party',
    purpose: 'authorized_sharing',
    sees: 'grant',
    rows: 'granted_customer',
    why: "see what the customer's consent grant names, about that customer only, until it expires or is withdrawn; and the terms of that grant",
  },
];

/**
 * Categories a consent grant may name: never the audit log, rights requests, settlement data or
 * behaviour (which is not linked to the customer anyway), and never the emergency contact — that
 * is another person's data, not the customer's to share. Nor the terms of grants: the grantee
 * always sees those of its own grant (GRANTEE_SEES), and never another's. Nor a partner's
 * webhook integration, which is about no customer, nor the record of what a partner was
 * notified of, which is the partner's record of its own work. Nor the disclosure policy, which
 * is about no customer and not theirs to share.
 */
export const GRANTABLE_CATEGORIES: readonly DataCategory[] = DATA_CATEGORIES.filter(
  (c) =>
    !['audit.record', 'rights.request', 'payment.settlement', 'technical.behavior', 'technical.aggregate', 'contact.emergency', 'consent.grant', 'integration.webhook', 'integration.delivery', 'policy.disclosure'].includes(c),
);

/**
 * What a third party sees whatever its grant names: the terms of the grant it acts under — what
 * it may see, for what, until when. Its row scope holds that one grant (row-scope.ts), so this
 * is never another grant of the customer's.
 */
export const GRANTEE_SEES: Readonly<Partial<Record<DataCategory, Visibility>>> = { 'consent.grant': v };
