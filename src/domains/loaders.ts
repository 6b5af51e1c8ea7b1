/**
 * The per-request loaders: one per relation, built lazily with the caller's row scope. A domain
 * reads another domain's rows only through these. They read through the request's transaction
 * once it is open, so a mutation sees its own writes.
 */
import type DataLoader from 'dataloader';
import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { PolicyView } from '../policy/policy-view';
import type { RowScope } from '../policy/row-scope';
import type { RequestTransaction } from '../platform/request-transaction';
import { byIdLoader, childPageLoader, childrenLoader, latestChildrenLoader, type TableRef } from '../enforcement/loader-factory';
import { PreferenceHistoryOrder } from '../platform/orderings';
import type { CursorCodec, Ordering, Page, PageArgs } from '../platform/pagination';
import { AfterSalesCaseEntity } from './after-sales/after-sales-case.entity';
import { CaseAttachmentEntity } from './after-sales/case-attachment.entity';
import { CaseMessageEntity } from './after-sales/case-message.entity';
import { CaseRecordEntity } from './after-sales/case-record.entity';
import { ConsentGrantEntity } from './consent/consent-grant.entity';
import { PreferenceConsentEntity } from './consent/preference-consent.entity';
import { AddressEntity } from './customers/address.entity';
import { CustomerEntity } from './customers/customer.entity';
import { BehaviorEventEntity } from './behavior/behavior-event.entity';
import { LegalHoldEntity } from './legal-holds/legal-hold.entity';
import { OrderItemEntity } from './orders/order-item.entity';
import { OrderEntity } from './orders/order.entity';
import { PartnerEntity } from './partners/partner.entity';
import { PaymentVerificationEntity } from './payments/payment-verification.entity';
import { PolicyVersionEntity } from './policy-versions/policy-version.entity';
import { PrivacyRequestTransitionEntity } from './privacy-requests/privacy-request-transition.entity';
import { PrivacyRequestEntity } from './privacy-requests/privacy-request.entity';
import { ShipmentEventEntity } from './shipments/shipment-event.entity';
import { ShipmentEntity } from './shipments/shipment.entity';
import { WebhookDeliveryEntity } from './webhooks/webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhooks/webhook-endpoint.entity';

export const TABLES = {
  customer: { entity: CustomerEntity, table: 'customer' },
  address: { entity: AddressEntity, table: 'address' },
  order: { entity: OrderEntity, table: 'order' },
  orderItem: { entity: OrderItemEntity, table: 'order_item' },
  shipment: { entity: ShipmentEntity, table: 'shipment' },
  shipmentEvent: { entity: ShipmentEventEntity, table: 'shipment_event' },
  payment: { entity: PaymentVerificationEntity, table: 'payment_verification' },
  afterSalesCase: { entity: AfterSalesCaseEntity, table: 'after_sales_case' },
  caseMessage: { entity: CaseMessageEntity, table: 'case_message' },
  caseAttachment: { entity: CaseAttachmentEntity, table: 'case_attachment' },
  caseRecord: { entity: CaseRecordEntity, table: 'case_record' },
  partner: { entity: PartnerEntity, table: 'partner' },
  consentGrant: { entity: ConsentGrantEntity, table: 'consent_grant' },
  preferenceConsent: { entity: PreferenceConsentEntity, table: 'preference_consent' },
  privacyRequest: { entity: PrivacyRequestEntity, table: 'privacy_request' },
  privacyRequestTransition: { entity: PrivacyRequestTransitionEntity, table: 'privacy_request_transition' },
  legalHold: { entity: LegalHoldEntity, table: 'legal_hold' },
  policyVersion: { entity: PolicyVersionEntity, table: 'policy_version' },
  webhookEndpoint: { entity: WebhookEndpointEntity, table: 'webhook_endpoint' },
  webhookDelivery: { entity: WebhookDeliveryEntity, table: 'webhook_delivery' },
  behaviorEvent: { entity: BehaviorEventEntity, table: 'behavior_event' },
} satisfies Record<string, TableRef<any>>;

/**
 * How a list of children is ordered: by the fields `by` names (of `type`), then by `tie`. An
 * ordering shows what it sorts by (which address is the default, which message came first), so
 * each field of `by` orders a caller's list only while the caller's view shows it, and the list
 * falls back to its tie there (`childOrderFor`). `by` names only published fields, never a
 * column the schema does not serve.
 */
export interface ChildOrder {
  type: string;
  by: ReadonlyArray<readonly [string, 'ASC' | 'DESC']>;
  /**
   * The last key: `id` (random, it tells nothing), or `seq` for the changes of status of a
   * privacy request: the order they happened in, which each one's fromStatus tells anyway.
   */
  tie: 'id' | 'seq';
}

/** How children are listed; the compiled reads (execution/read-plans.ts) list them the same way. */
export const CHILD_ORDER = {
  itemsByOrder: { type: 'OrderItem', by: [['position', 'ASC']], tie: 'id' },
  shipmentsByOrder: { type: 'Shipment', by: [['createdAt', 'ASC']], tie: 'id' },
  paymentsByOrder: { type: 'PaymentVerification', by: [['createdAt', 'ASC']], tie: 'id' },
  casesByOrder: { type: 'AfterSalesCase', by: [['openedAt', 'ASC']], tie: 'id' },
  addressesByCustomer: { type: 'Address', by: [['isDefault', 'DESC']], tie: 'id' },
  messagesByCase: { type: 'CaseMessage', by: [['sentAt', 'ASC']], tie: 'id' },
  recordsByCase: { type: 'CaseRecord', by: [['recordedAt', 'ASC']], tie: 'id' },
  eventsByShipment: { type: 'ShipmentEvent', by: [['occurredAt', 'ASC']], tie: 'id' },
  attachmentsByCase: { type: 'CaseAttachment', by: [['uploadedAt', 'ASC']], tie: 'id' },
  consentGrantsByCustomer: { type: 'ConsentGrant', by: [['grantedAt', 'ASC']], tie: 'id' },
  privacyRequestsByCustomer: { type: 'PrivacyRequest', by: [['receivedAt', 'ASC']], tie: 'id' },
  transitionsByRequest: { type: 'PrivacyRequestTransition', by: [], tie: 'seq' },
  legalHoldsByCustomer: { type: 'LegalHold', by: [['placedAt', 'ASC']], tie: 'id' },
} as const satisfies Record<string, ChildOrder>;

/** How many of `list.by`, from the first, the caller's view shows: its list is ordered by those, then by the tie. */
export function visibleOrderKeys(list: ChildOrder, decide: PolicyView['decide']): number {
  let n = 0;
  while (n < list.by.length && decide(list.type, list.by[n][0]) === 'visible') n += 1;
  return n;
}

/** The properties and directions a caller's list of children is ordered by. */
export function childOrderFor<L extends ChildOrder>(list: L, decide: PolicyView['decide']): Array<readonly [L['by'][number][0] | L['tie'], 'ASC' | 'DESC']> {
  return [...list.by.slice(0, visibleOrderKeys(list, decide)), [list.tie, 'ASC'] as const];
}

/** A customer's preferences in force: the latest choice (by recordedAt, then id) per category, by category. */
export const LATEST_PREFERENCES = { partition: 'category', latest: 'recordedAt' } as const;

/** How the plain root lists are read (order, and at most how many rows); the compiled reads read them the same way. */
export const ROOT_LISTS = {
  /** Every published policy version, newest first. */
  policyVersions: { orderBy: [['publishedAt', 'DESC'], ['id', 'DESC']], limit: 100 },
  /** A partner's webhook endpoints, oldest first. */
  webhookEndpoints: { orderBy: [['createdAt', 'ASC'], ['id', 'ASC']] },
  /** Legal holds are few (a handful per legal matter): the list is capped rather than paged. */
  legalHolds: { orderBy: [['placedAt', 'DESC'], ['id', 'DESC']], limit: 100 },
} as const satisfies Record<string, { orderBy: ReadonlyArray<readonly [string, 'ASC' | 'DESC']>; limit?: number }>;

/** `qb` (a scoped query of alias `t`) in a plain root list's order, up to its limit. */
export function inRootListOrder<E extends ObjectLiteral>(qb: SelectQueryBuilder<E>, list: (typeof ROOT_LISTS)[keyof typeof ROOT_LISTS]): SelectQueryBuilder<E> {
  for (const [property, direction] of list.orderBy) qb.addOrderBy(`t.${property}`, direction);
  return 'limit' in list ? qb.limit(list.limit) : qb;
}


/**
 * A request's loaders, each made on first use with the request's row scope (and transaction, so
 * a write's own reads see it). Methods of a class rather than closures made per request: a
 * request that reads through no loader (a compiled read) allocates only this object.
 */
export class Loaders {
  private readonly made = new Map<string, unknown>();

  constructor(
    private readonly ds: DataSource,
    private readonly scope: RowScope,
    private readonly cursors: CursorCodec,
    /** The caller's view: a list is ordered only by what it shows (`childOrderFor`). */
    private readonly decide: PolicyView['decide'],
    private readonly transaction?: RequestTransaction,
  ) {}

  private memo<T>(key: string, build: () => T): T {
    let loader = this.made.get(key) as T | undefined;
    if (loader === undefined) {
      loader = build();
      this.made.set(key, loader);
    }
    return loader;
  }

  customer() {
    return this.memo('customer', () => byIdLoader(this.ds, TABLES.customer, this.scope, this.transaction));
  }

  order() {
    return this.memo('order', () => byIdLoader(this.ds, TABLES.order, this.scope, this.transaction));
  }

  shipment() {
    return this.memo('shipment', () => byIdLoader(this.ds, TABLES.shipment, this.scope, this.transaction));
  }

  payment() {
    return this.memo('payment', () => byIdLoader(this.ds, TABLES.payment, this.scope, this.transaction));
  }

  afterSalesCase() {
    return this.memo('afterSalesCase', () => byIdLoader(this.ds, TABLES.afterSalesCase, this.scope, this.transaction));
  }

  partner() {
    return this.memo('partner', () => byIdLoader(this.ds, TABLES.partner, this.scope, this.transaction));
  }

  policyVersion() {
    return this.memo('policyVersion', () => byIdLoader(this.ds, TABLES.policyVersion, this.scope, this.transaction));
  }

  webhookEndpoint() {
    return this.memo('webhookEndpoint', () => byIdLoader(this.ds, TABLES.webhookEndpoint, this.scope, this.transaction));
  }

  webhookDelivery() {
    return this.memo('webhookDelivery', () => byIdLoader(this.ds, TABLES.webhookDelivery, this.scope, this.transaction));
  }

  addressesByCustomer() {
    return this.memo('addressesByCustomer', () => childrenLoader(this.ds, TABLES.address, this.scope, 'customerId', childOrderFor(CHILD_ORDER.addressesByCustomer, this.decide), this.transaction));
  }

  itemsByOrder() {
    return this.memo('itemsByOrder', () => childrenLoader(this.ds, TABLES.orderItem, this.scope, 'orderId', childOrderFor(CHILD_ORDER.itemsByOrder, this.decide), this.transaction));
  }

  shipmentsByOrder() {
    return this.memo('shipmentsByOrder', () => childrenLoader(this.ds, TABLES.shipment, this.scope, 'orderId', childOrderFor(CHILD_ORDER.shipmentsByOrder, this.decide), this.transaction));
  }

  paymentsByOrder() {
    return this.memo('paymentsByOrder', () => childrenLoader(this.ds, TABLES.payment, this.scope, 'orderId', childOrderFor(CHILD_ORDER.paymentsByOrder, this.decide), this.transaction));
  }

  casesByOrder() {
    return this.memo('casesByOrder', () => childrenLoader(this.ds, TABLES.afterSalesCase, this.scope, 'orderId', childOrderFor(CHILD_ORDER.casesByOrder, this.decide), this.transaction));
  }

  eventsByShipment() {
    return this.memo('eventsByShipment', () => childrenLoader(this.ds, TABLES.shipmentEvent, this.scope, 'shipmentId', childOrderFor(CHILD_ORDER.eventsByShipment, this.decide), this.transaction));
  }

  messagesByCase() {
    return this.memo('messagesByCase', () => childrenLoader(this.ds, TABLES.caseMessage, this.scope, 'caseId', childOrderFor(CHILD_ORDER.messagesByCase, this.decide), this.transaction));
  }

  attachmentsByCase() {
    return this.memo('attachmentsByCase', () => childrenLoader(this.ds, TABLES.caseAttachment, this.scope, 'caseId', childOrderFor(CHILD_ORDER.attachmentsByCase, this.decide), this.transaction));
  }

  recordsByCase() {
    return this.memo('recordsByCase', () => childrenLoader(this.ds, TABLES.caseRecord, this.scope, 'caseId', childOrderFor(CHILD_ORDER.recordsByCase, this.decide), this.transaction));
  }

  consentGrantsByCustomer() {
    return this.memo('consentGrantsByCustomer', () => childrenLoader(this.ds, TABLES.consentGrant, this.scope, 'customerId', childOrderFor(CHILD_ORDER.consentGrantsByCustomer, this.decide), this.transaction));
  }

  consentGrant() {
    return this.memo('consentGrant', () => byIdLoader(this.ds, TABLES.consentGrant, this.scope, this.transaction));
  }

  /** A customer's choice in force per cookie category: the latest of their history. */
  preferenceConsentsByCustomer() {
    return this.memo('preferenceConsentsByCustomer', () => latestChildrenLoader(this.ds, TABLES.preferenceConsent, this.scope, 'customerId', LATEST_PREFERENCES.partition, LATEST_PREFERENCES.latest, this.transaction));
  }

  privacyRequestsByCustomer() {
    return this.memo('privacyRequestsByCustomer', () => childrenLoader(this.ds, TABLES.privacyRequest, this.scope, 'customerId', childOrderFor(CHILD_ORDER.privacyRequestsByCustomer, this.decide), this.transaction));
  }

  privacyRequest() {
    return this.memo('privacyRequest', () => byIdLoader(this.ds, TABLES.privacyRequest, this.scope, this.transaction));
  }

  transitionsByRequest() {
    return this.memo('transitionsByRequest', () => childrenLoader(this.ds, TABLES.privacyRequestTransition, this.scope, 'requestId', childOrderFor(CHILD_ORDER.transitionsByRequest, this.decide), this.transaction));
  }

  legalHoldsByCustomer() {
    return this.memo('legalHoldsByCustomer', () => childrenLoader(this.ds, TABLES.legalHold, this.scope, 'customerId', childOrderFor(CHILD_ORDER.legalHoldsByCustomer, this.decide), this.transaction));
  }

  /** One loader per distinct (ordering, page) argument set, so batching still applies across parents. */
  ordersOfCustomer(ordering: Ordering, args: PageArgs): DataLoader<string, Page<OrderEntity>> {
    return this.memo(`ordersOfCustomer:${ordering.name}:${args.first}:${args.after ?? ''}`, () => childPageLoader(this.ds, TABLES.order, this.scope, 'customer_id', 'customerId', ordering, args, this.cursors, this.transaction));
  }

  casesOfCustomer(ordering: Ordering, args: PageArgs): DataLoader<string, Page<AfterSalesCaseEntity>> {
    return this.memo(`casesOfCustomer:${ordering.name}:${args.first}:${args.after ?? ''}`, () => childPageLoader(this.ds, TABLES.afterSalesCase, this.scope, 'customer_id', 'customerId', ordering, args, this.cursors, this.transaction));
  }

  /** A customer's cookie choices, every one, newest first. */
  preferenceHistoryOfCustomer(args: PageArgs): DataLoader<string, Page<PreferenceConsentEntity>> {
    return this.memo(`preferenceHistoryOfCustomer:${args.first}:${args.after ?? ''}`, () => childPageLoader(this.ds, TABLES.preferenceConsent, this.scope, 'customer_id', 'customerId', PreferenceHistoryOrder.pick(), args, this.cursors, this.transaction));
  }
}

export function createLoaders(ds: DataSource, scope: RowScope, cursors: CursorCodec, decide: PolicyView['decide'], transaction?: RequestTransaction): Loaders {
  return new Loaders(ds, scope, cursors, decide, transaction);
}

