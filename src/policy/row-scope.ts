/**
 * Row scope: which rows of each table the caller may see, as SQL conditions. Every root field,
 * connection and DataLoader adds the condition for its table to its query, so a row outside the
 * scope is never read — it cannot be told from a row that does not exist: same response, same
 * statements. The scope comes from the caller's token and principal, never from an argument.
 */
import type { RowScopeKind } from './disclosure-matrix';

export type ScopedTable =
  | 'customer'
  | 'address'
  | 'order'
  | 'order_item'
  | 'shipment'
  | 'shipment_event'
  | 'payment_verification'
  | 'after_sales_case'
  | 'case_message'
  | 'case_attachment'
  | 'case_record'
  | 'behavior_event'
  | 'partner'
  | 'consent_grant'
  | 'preference_consent'
  | 'privacy_request'
  | 'legal_hold'
  | 'policy_version'
  | 'audit_event';

export interface SqlCondition {
  /** A boolean SQL expression over the table alias; parameters are named `:name`. */
  sql: string;
  params: Record<string, unknown>;
}

export interface RowScope {
  /** A short description for logs and the disclosure report. */
  readonly description: string;
  /** The condition on `table` (aliased `alias`), or `undefined` when every row is in scope. */
  condition(table: ScopedTable, alias: string): SqlCondition | undefined;
  /**
   * Whether every `link` row tied to an in-scope row is in scope too (see ScopeLink), so a
   * query that reaches it from such a row may leave its condition out.
   */
  carriesOver(link: ScopeLink): boolean;
}

/**
 * A link along which scope can carry over, within one order: `shipment>order` is the order of a
 * shipment, `order>order_item` the items of an order, and so on.
 */
export type ScopeLink =
  | 'shipment>order'
  | 'payment_verification>order'
  | 'order>order_item'
  | 'order>shipment'
  | 'order>payment_verification';

export const UNRESTRICTED: RowScope = { description: 'all rows', condition: () => undefined, carriesOver: () => true };

/** The scope's subject: a partner id, a customer id, or (third parties) a customer and a grant. */
export interface ScopeSubject {
  partnerId?: string;
  customerId?: string;
  grantId?: string;
}

const NONE = 'FALSE';

/**
 * The order statuses between payment and delivery: what a warehouse works on
 * (orders_paid_to_delivered). Delivered, completed, cancelled and refunded orders are out.
 */
export const PAID_TO_DELIVERED = ['paid', 'packed', 'shipped'] as const;
const paidToDelivered = (order: string) => `${order}.status IN (${PAID_TO_DELIVERED.map((s) => `'${s}'`).join(', ')})`;
type Rule = (a: string) => string;

/** SQL per table for each kind of scope; a table missing from a kind's map is out of scope. */
const RULES: Record<Exclude<RowScopeKind, 'all'>, Partial<Record<ScopedTable, Rule | 'all'>>> = {
  own_shipments: {
    shipment: (a) => `${a}.logistics_partner_id = :scopePartner`,
    shipment_event: (a) => `EXISTS (SELECT 1 FROM shipment s_ WHERE s_.id = ${a}.shipment_id AND s_.logistics_partner_id = :scopePartner)`,
    order: (a) => `EXISTS (SELECT 1 FROM shipment s_ WHERE s_.order_id = ${a}.id AND s_.logistics_partner_id = :scopePartner)`,
    order_item: (a) => `EXISTS (SELECT 1 FROM shipment s_ WHERE s_.order_id = ${a}.order_id AND s_.logistics_partner_id = :scopePartner)`,
    partner: (a) => `${a}.id = :scopePartner`,
    policy_version: 'all',
  },
  own_payments: {
    payment_verification: (a) => `${a}.provider_id = :scopePartner`,
    // The orders its checkout assigned it (it is asked to take their payment), and those it holds a verification of.
    order: (a) =>
      `(${a}.payment_provider_id = :scopePartner OR EXISTS (SELECT 1 FROM payment_verification p_ WHERE p_.order_id = ${a}.id AND p_.provider_id = :scopePartner))`,
    partner: (a) => `${a}.id = :scopePartner`,
    policy_version: 'all',
  },
  platform_orders: {
    order: (a) => `${a}.platform_partner_id = :scopePartner`,
    order_item: (a) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND o_.platform_partner_id = :scopePartner)`,
    payment_verification: (a) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND o_.platform_partner_id = :scopePartner)`,
    partner: (a) => `${a}.id = :scopePartner`,
    policy_version: 'all',
  },
  orders_paid_to_delivered: {
    order: (a) => paidToDelivered(a),
    order_item: (a) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND ${paidToDelivered('o_')})`,
    shipment: (a) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND ${paidToDelivered('o_')})`,
    partner: 'all',
    policy_version: 'all',
  },
  self: customerRules(false),
  granted_customer: customerRules(true),
  // The page views analytics aggregates; nothing that names a customer, a partner or an order.
  page_views: { behavior_event: 'all' },
  none: {},
};

/**
 * The links along which each kind's rules above carry scope over; each follows from the rules:
 * - own_shipments: an order is in scope when one of its shipments is, and an item when its order
 *   is; not order>shipment (another carrier's shipment of a split order stays out);
 * - own_payments: an order is in scope when one of its payments is (and when its checkout assigned
 *   the provider); not order>payment_verification (another provider's payment of the same order
 *   stays out);
 * - platform_orders, orders_paid_to_delivered and the customer kinds: every child is in scope
 *   exactly when its order is, so scope carries both ways between an order and its children.
 * A test checks each claim against the rules' SQL on the demo data.
 */
const LINKS: Record<Exclude<RowScopeKind, 'all'>, readonly ScopeLink[]> = {
  own_shipments: ['shipment>order', 'order>order_item'],
  own_payments: ['payment_verification>order'],
  platform_orders: ['payment_verification>order', 'order>order_item', 'order>payment_verification'],
  orders_paid_to_delivered: ['shipment>order', 'order>order_item', 'order>shipment'],
  self: ['shipment>order', 'payment_verification>order', 'order>order_item', 'order>shipment', 'order>payment_verification'],
  granted_customer: ['shipment>order', 'payment_verification>order', 'order>order_item', 'order>shipment', 'order>payment_verification'],
  page_views: [],
  none: [],
};

function customerRules(thirdParty: boolean): Partial<Record<ScopedTable, Rule | 'all'>> {
  const ownOrder = (a: string) => `EXISTS (SELECT 1 FROM "order" o_ WHERE o_.id = ${a}.order_id AND o_.customer_id = :scopeCustomer)`;
  const ownCase = (a: string) => `EXISTS (SELECT 1 FROM after_sales_case c_ WHERE c_.id = ${a}.case_id AND c_.customer_id = :scopeCustomer)`;
  const byCustomer = (a: string) => `${a}.customer_id = :scopeCustomer`;
  return {
    customer: (a) => `${a}.id = :scopeCustomer`,
    address: byCustomer,
    order: byCustomer,
    order_item: ownOrder,
    shipment: ownOrder,
    payment_verification: ownOrder,
    shipment_event: (a) =>
      `EXISTS (SELECT 1 FROM shipment s_ JOIN "order" o_ ON o_.id = s_.order_id WHERE s_.id = ${a}.shipment_id AND o_.customer_id = :scopeCustomer)`,
    after_sales_case: byCustomer,
    case_message: ownCase,
    case_attachment: ownCase,
    case_record: ownCase,
    // A third party sees its own grant only; the customer sees all of theirs.
    consent_grant: thirdParty ? (a) => `${a}.id = :scopeGrant` : byCustomer,
    preference_consent: byCustomer,
    ...(thirdParty ? {} : { privacy_request: byCustomer }),
    partner: 'all',
    policy_version: 'all',
  };
}

export function rowScope(kinds: readonly RowScopeKind[], subject: ScopeSubject): RowScope {
  if (kinds.includes('all')) return UNRESTRICTED;
  const params: Record<string, unknown> = {};
  if (subject.partnerId) params.scopePartner = subject.partnerId;
  if (subject.customerId) params.scopeCustomer = subject.customerId;
  if (subject.grantId) params.scopeGrant = subject.grantId;
  const scoped = kinds as ReadonlyArray<Exclude<RowScopeKind, 'all'>>;
  const ruleSets = scoped.map((k) => RULES[k]);
  return {
    description: kinds.join(' + '),
    // Several kinds combine with OR: a row in scope is in scope by some kind, so the link must
    // carry over in every kind that lets rows of its first table in at all.
    carriesOver(link) {
      const from = link.slice(0, link.indexOf('>')) as ScopedTable;
      return scoped.every((k) => RULES[k][from] === undefined || LINKS[k].includes(link));
    },
    condition(table, alias) {
      const rules = ruleSets.map((set) => set[table]);
      if (rules.includes('all')) return undefined;
      const parts = rules.filter((r): r is Rule => typeof r === 'function').map((r) => r(alias));
      if (parts.length === 0) return { sql: NONE, params: {} };
      return { sql: parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`, params };
    },
  };
}

/** Whether a scope of these kinds can ever return a row of `table` (otherwise its condition is FALSE). */
export function scopeReaches(kinds: readonly RowScopeKind[], table: ScopedTable): boolean {
  return kinds.some((kind) => kind === 'all' || RULES[kind][table] !== undefined);
}

/**
 * The table whose row scope governs each GraphQL object type that carries data. Embedded types
 * (an order's shipping snapshot and customs declaration, an item's attributes) come with their
 * owner's row. Types missing here carry no rows: Query, Mutation, connections, edges, PageInfo
 * and mutation results. `checkMatrix` fails start-up if a type with data fields is missing.
 */
export const ROW_SOURCE: Readonly<Record<string, ScopedTable>> = {
  Customer: 'customer',
  Address: 'address',
  Order: 'order',
  ShippingAddress: 'order',
  CustomsDeclaration: 'order',
  OrderItem: 'order_item',
  ItemAttribute: 'order_item',
  Shipment: 'shipment',
  ShipmentEvent: 'shipment_event',
  PaymentVerification: 'payment_verification',
  AfterSalesCase: 'after_sales_case',
  CaseMessage: 'case_message',
  CaseAttachment: 'case_attachment',
  CaseRecord: 'case_record',
  BehaviorEvent: 'behavior_event',
  // Aggregates are computed from the page views the caller's scope reaches.
  BehaviorAggregateReport: 'behavior_event',
  BehaviorCell: 'behavior_event',
  Partner: 'partner',
  ConsentGrant: 'consent_grant',
  PreferenceConsent: 'preference_consent',
  PrivacyRequest: 'privacy_request',
  LegalHold: 'legal_hold',
  PolicyVersion: 'policy_version',
  AuditEvent: 'audit_event',
};

export function isRowScopeKind(value: string): value is RowScopeKind {
  return value === 'all' || Object.hasOwn(RULES, value);
}
