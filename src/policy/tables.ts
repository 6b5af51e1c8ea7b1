/**
 * One declaration per table the GraphQL API reads: which GraphQL types its rows become, whose
 * data a row is (the path to the customer it is about) and which rows each kind of row scope
 * reaches (as SQL). A table's privacy handlers (export, erasure, retention) are declared in
 * privacy/handlers/registry.ts, which start-up checks covers every table. Row scope (row-scope.ts), the types' row sources
 * (ROW_SOURCE) and the audit log's data subjects (audit/disclosure-recorder.ts) are all derived
 * from here, so a new table is one entry here and cannot be half-registered.
 *
 * Scope SQL: a boolean expression over the table's alias `a`, with the caller's ids as named
 * parameters :scopePartner, :scopeCustomer and :scopeGrant; 'all' lets every row in; a kind the
 * entry does not name reaches no row of the table (the matrix's `all` kind reaches every row of
 * every table and is not named here).
 */
import type { RowScopeKind } from './disclosure-matrix';

/** The kinds of row scope a table's entry can name. */
export type ScopeKind = Exclude<RowScopeKind, 'all'>;
export type ScopeRule = (alias: string) => string;

/**
 * Where the data subject of a row is found: the customer itself, or the order, shipment, payment
 * verification or case whose customer it is (resolved with one query for the whole response, unless the request read
 * that owner itself).
 */
export interface SubjectRef {
  customerId?: string;
  customerIds?: readonly string[];
  orderId?: string;
  shipmentId?: string;
  paymentVerificationId?: string;
  caseId?: string;
}

/** Objects embedded in a row (an order's shipping snapshot, an item's attributes) carry their row's subject here. */
export const OWNER = Symbol('owner');

export interface TableDeclaration {
  /** The GraphQL object types whose objects are this table's rows. */
  rows: readonly string[];
  /** Types embedded in a row (their subject is the row's, under OWNER), or computed from the table's rows. */
  embedded?: readonly string[];
  /** The data subject of a row, read off the row as the resolvers return it; absent for rows about no customer. */
  subject?: (row: any) => SubjectRef | undefined;
  /** The rows each kind of scope reaches. */
  scope: Partial<Record<ScopeKind, ScopeRule | 'all'>>;
  /**
   * Whether an erasure may keep a row of this table, marked restricted (`restricted_at`): an
   * erased customer's rows still inside their retention window or under a legal hold. Only a
   * view that reads restricted rows (MatrixRow.readsRestricted: legal_compliance) sees them. A
   * restricted row's children are restricted with it, so scope still carries over along every link.
   */
  restrictable?: true;
}

/**
 * The order statuses between payment and delivery: what a warehouse works on
 * (orders_paid_to_delivered). Delivered, completed, cancelled and refunded orders are out.
 */
export const PAID_TO_DELIVERED = ['paid', 'packed', 'shipped'] as const;
const paidToDelivered = (order: string) => `${order}.status IN (${PAID_TO_DELIVERED.map((s) => `'${s}'`).join(', ')})`;

const byCustomer: ScopeRule = (a) => `${a}.customer_id = :scopeCustomer`;
const ofOwnOrder: ScopeRule = (a) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND o_.customer_id = :scopeCustomer)`;
const ofOwnCase: ScopeRule = (a) => `EXISTS (SELECT 1 FROM after_sales_case c_ WHERE c_.id = ${a}.case_id AND c_.customer_id = :scopeCustomer)`;
const isScopePartner: ScopeRule = (a) => `${a}.id = :scopePartner`;
const ofScopePartner: ScopeRule = (a) => `${a}.partner_id = :scopePartner`;
const ofPlatformOrder: ScopeRule = (a) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND o_.platform_partner_id = :scopePartner)`;
const ofPaidToDeliveredOrder: ScopeRule = (a) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND ${paidToDelivered('o_')})`;
/** The customer's own rows: the same for the customer and for a third party the customer granted. */
const ownRows = (rule: ScopeRule) => ({ self: rule, granted_customer: rule });
/** Reference data every scope that reads orders may name. */
const REFERENCE_SCOPE = {
  own_shipments: 'all',
  own_payments: 'all',
  platform_orders: 'all',
  orders_paid_to_delivered: 'all',
  self: 'all',
  granted_customer: 'all',
} as const;

export const TABLES = {
  customer: {
    restrictable: true,
    rows: ['Customer'],
    subject: (p) => ({ customerId: p.id }),
    scope: ownRows((a) => `${a}.id = :scopeCustomer`),
  },
  address: {
    restrictable: true,
    rows: ['Address'],
    subject: (p) => ({ customerId: p.customerId }),
    scope: ownRows(byCustomer),
  },
  order: {
    restrictable: true,
    rows: ['Order'],
    embedded: ['ShippingAddress', 'CustomsDeclaration'],
    subject: (p) => ({ customerId: p.customerId }),
    scope: {
      own_shipments: (a) => `EXISTS (SELECT 1 FROM shipment s_ WHERE s_.order_id = ${a}.id AND s_.logistics_partner_id = :scopePartner)`,
      // The orders its checkout assigned it (it is asked to take their payment), and those it holds a verification of.
      own_payments: (a) =>
        `(${a}.payment_provider_id = :scopePartner OR EXISTS (SELECT 1 FROM payment_verification p_ WHERE p_.order_id = ${a}.id AND p_.provider_id = :scopePartner))`,
      platform_orders: (a) => `${a}.platform_partner_id = :scopePartner`,
      orders_paid_to_delivered: (a) => paidToDelivered(a),
      ...ownRows(byCustomer),
    },
  },
  order_item: {
    restrictable: true,
    rows: ['OrderItem'],
    embedded: ['ItemAttribute'],
    subject: (p) => ({ orderId: p.orderId }),
    scope: {
      own_shipments: (a) => `EXISTS (SELECT 1 FROM shipment s_ WHERE s_.order_id = ${a}.order_id AND s_.logistics_partner_id = :scopePartner)`,
      platform_orders: ofPlatformOrder,
      orders_paid_to_delivered: ofPaidToDeliveredOrder,
      ...ownRows(ofOwnOrder),
    },
  },
  shipment: {
    restrictable: true,
    rows: ['Shipment'],
    subject: (p) => ({ orderId: p.orderId }),
    scope: {
      own_shipments: (a) => `${a}.logistics_partner_id = :scopePartner`,
      orders_paid_to_delivered: ofPaidToDeliveredOrder,
      ...ownRows(ofOwnOrder),
    },
  },
  shipment_event: {
    restrictable: true,
    rows: ['ShipmentEvent'],
    subject: (p) => ({ shipmentId: p.shipmentId }),
    scope: {
      own_shipments: (a) => `EXISTS (SELECT 1 FROM shipment s_ WHERE s_.id = ${a}.shipment_id AND s_.logistics_partner_id = :scopePartner)`,
      ...ownRows((a) => `EXISTS (SELECT 1 FROM shipment s_ JOIN "order" o_ ON o_.id = s_.order_id WHERE s_.id = ${a}.shipment_id AND o_.customer_id = :scopeCustomer)`),
    },
  },
  payment_verification: {
    restrictable: true,
    rows: ['PaymentVerification'],
    subject: (p) => ({ orderId: p.orderId }),
    scope: {
      own_payments: (a) => `${a}.provider_id = :scopePartner`,
      platform_orders: ofPlatformOrder,
      ...ownRows(ofOwnOrder),
    },
  },
  after_sales_case: {
    restrictable: true,
    rows: ['AfterSalesCase'],
    subject: (p) => ({ customerId: p.customerId }),
    scope: ownRows(byCustomer),
  },
  case_message: { restrictable: true, rows: ['CaseMessage'], subject: (p) => ({ caseId: p.caseId }), scope: ownRows(ofOwnCase) },
  case_attachment: { restrictable: true, rows: ['CaseAttachment'], subject: (p) => ({ caseId: p.caseId }), scope: ownRows(ofOwnCase) },
  case_record: { restrictable: true, rows: ['CaseRecord'], subject: (p) => ({ caseId: p.caseId }), scope: ownRows(ofOwnCase) },
  behavior_event: {
    // Page views name no customer; aggregates are computed from the page views the caller's scope reaches.
    rows: ['BehaviorEvent'],
    embedded: ['BehaviorAggregateReport', 'BehaviorCell'],
    scope: { page_views: 'all' },
  },
  partner: {
    rows: ['Partner'],
    scope: { ...REFERENCE_SCOPE, own_shipments: isScopePartner, own_payments: isScopePartner, platform_orders: isScopePartner },
  },
  consent_grant: {
    rows: ['ConsentGrant'],
    subject: (p) => ({ customerId: p.customerId }),
    // A third party sees its own grant only; the customer sees all of theirs.
    scope: { self: byCustomer, granted_customer: (a) => `${a}.id = :scopeGrant` },
  },
  preference_consent: {
    restrictable: true,
    rows: ['PreferenceConsent'],
    // A visitor's choice (by pseudonym) is about no customer.
    subject: (p) => (p.customerId ? { customerId: p.customerId } : undefined),
    scope: ownRows(byCustomer),
  },
  privacy_request: {
    // An export and its download link are read off the request they answer (they carry its customerId).
    rows: ['PrivacyRequest', 'PrivacyExport', 'PrivacyExportLink'],
    subject: (p) => ({ customerId: p.customerId }),
    scope: { self: byCustomer },
  },
  privacy_request_transition: {
    rows: ['PrivacyRequestTransition'],
    subject: (p) => (p.customerId ? { customerId: p.customerId } : undefined),
    scope: { self: (a) => `EXISTS (SELECT 1 FROM privacy_request r_ WHERE r_.id = ${a}.request_id AND r_.customer_id = :scopeCustomer)` },
  },
  legal_hold: {
    rows: ['LegalHold'],
    subject: (p) => (p.customerId ? { customerId: p.customerId } : { orderId: p.orderId }),
    scope: {},
  },
  policy_version: { rows: ['PolicyVersion'], scope: REFERENCE_SCOPE },
  // A partner's own webhook endpoints and deliveries; about no customer (their payloads are never stored).
  webhook_endpoint: {
    rows: ['WebhookEndpoint'],
    embedded: ['WebhookEndpointSecret'],
    scope: { own_shipments: ofScopePartner, own_payments: ofScopePartner },
  },
  webhook_delivery: {
    rows: ['WebhookDelivery'],
    // A notification names the customer's shipment or payment verification it was about.
    subject: (p) => (p.eventType === 'payment_verification.changed' ? { paymentVerificationId: p.resourceId } : { shipmentId: p.resourceId }),
    scope: { own_shipments: ofScopePartner, own_payments: ofScopePartner },
    // An erasure keeps those of an order under a legal hold.
    restrictable: true,
  },
  audit_event: {
    rows: ['AuditEvent'],
    // Reading the log discloses whose data was accessed, and by whom.
    subject: (p) => ({ customerIds: p.customerId ? [...p.subjectIds, p.customerId] : p.subjectIds }),
    scope: {},
  },
  // The audit log's tamper evidence: about no customer, and read where the log is (scope 'all' only).
  audit_seal: { rows: ['AuditSeal', 'AuditIntegrity'], scope: {} },
  audit_verification: { rows: ['AuditVerificationResult'], scope: {} },
  // The preview of the next retention run is such a run's report, made by a dry run.
  retention_run: { rows: ['RetentionPreview'], embedded: ['RetentionTableCounts'], scope: {} },
} satisfies Record<string, TableDeclaration>;

export type ScopedTable = keyof typeof TABLES;

const entries = Object.entries(TABLES) as Array<[ScopedTable, TableDeclaration]>;

/**
 * The table whose row scope governs each GraphQL object type that carries data. Types missing
 * here carry no rows: Query, Mutation, connections, edges, PageInfo and mutation results.
 * `checkMatrix` fails start-up if a type with data fields is missing.
 */
export const ROW_SOURCE: Readonly<Record<string, ScopedTable>> = Object.fromEntries(
  entries.flatMap(([table, d]) => [...d.rows, ...(d.embedded ?? [])].map((type) => [type, table])),
);

/** How to find the data subject of an object of each GraphQL type. */
export const SUBJECT_OF: Readonly<Record<string, (parent: any) => SubjectRef | undefined>> = Object.fromEntries(
  entries.flatMap(([, d]) => [
    ...(d.subject ? d.rows.map((type) => [type, d.subject!] as const) : []),
    ...(d.subject ? (d.embedded ?? []).map((type) => [type, (p: any) => p[OWNER] as SubjectRef | undefined] as const) : []),
  ]),
);
