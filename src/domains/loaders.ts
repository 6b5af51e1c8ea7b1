/**
 * The per-request loaders: one per relation, built lazily with the caller's row scope. A domain
 * reads another domain's rows only through these. They read through the request's transaction
 * once it is open, so a mutation sees its own writes.
 */
import type DataLoader from 'dataloader';
import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
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

/** How children are listed; the compiled reads (execution/read-plans.ts) list them the same way. */
export const CHILD_ORDER = {
  itemsByOrder: [['position', 'ASC']],
  shipmentsByOrder: [['createdAt', 'ASC'], ['id', 'ASC']],
  paymentsByOrder: [['createdAt', 'ASC'], ['id', 'ASC']],
  casesByOrder: [['openedAt', 'ASC'], ['id', 'ASC']],
  addressesByCustomer: [['isDefault', 'DESC'], ['createdAt', 'ASC'], ['id', 'ASC']],
  messagesByCase: [['sentAt', 'ASC'], ['id', 'ASC']],
  recordsByCase: [['recordedAt', 'ASC'], ['id', 'ASC']],
  eventsByShipment: [['occurredAt', 'ASC'], ['id', 'ASC']],
  attachmentsByCase: [['uploadedAt', 'ASC'], ['id', 'ASC']],
  consentGrantsByCustomer: [['grantedAt', 'ASC'], ['id', 'ASC']],
  privacyRequestsByCustomer: [['receivedAt', 'ASC'], ['id', 'ASC']],
  transitionsByRequest: [['seq', 'ASC']],
  legalHoldsByCustomer: [['placedAt', 'ASC'], ['id', 'ASC']],
} as const satisfies Record<string, ReadonlyArray<readonly [string, 'ASC' | 'DESC']>>;

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


export function createLoaders(ds: DataSource, scope: RowScope, cursors: CursorCodec, transaction?: RequestTransaction) {
  const made = new Map<string, unknown>();
  function memo<T>(key: string, build: () => T): T {
    let loader = made.get(key) as T | undefined;
    if (loader === undefined) {
      loader = build();
      made.set(key, loader);
    }
    return loader;
  }
  return {
    customer: () => memo('customer', () => byIdLoader(ds, TABLES.customer, scope, transaction)),
    order: () => memo('order', () => byIdLoader(ds, TABLES.order, scope, transaction)),
    shipment: () => memo('shipment', () => byIdLoader(ds, TABLES.shipment, scope, transaction)),
    payment: () => memo('payment', () => byIdLoader(ds, TABLES.payment, scope, transaction)),
    afterSalesCase: () => memo('afterSalesCase', () => byIdLoader(ds, TABLES.afterSalesCase, scope, transaction)),
    partner: () => memo('partner', () => byIdLoader(ds, TABLES.partner, scope, transaction)),
    policyVersion: () => memo('policyVersion', () => byIdLoader(ds, TABLES.policyVersion, scope, transaction)),
    webhookEndpoint: () => memo('webhookEndpoint', () => byIdLoader(ds, TABLES.webhookEndpoint, scope, transaction)),
    webhookDelivery: () => memo('webhookDelivery', () => byIdLoader(ds, TABLES.webhookDelivery, scope, transaction)),
    addressesByCustomer: () =>
      memo('addressesByCustomer', () => childrenLoader(ds, TABLES.address, scope, 'customerId', CHILD_ORDER.addressesByCustomer, transaction)),
    itemsByOrder: () => memo('itemsByOrder', () => childrenLoader(ds, TABLES.orderItem, scope, 'orderId', CHILD_ORDER.itemsByOrder, transaction)),
    shipmentsByOrder: () =>
      memo('shipmentsByOrder', () => childrenLoader(ds, TABLES.shipment, scope, 'orderId', CHILD_ORDER.shipmentsByOrder, transaction)),
    paymentsByOrder: () =>
      memo('paymentsByOrder', () => childrenLoader(ds, TABLES.payment, scope, 'orderId', CHILD_ORDER.paymentsByOrder, transaction)),
    casesByOrder: () =>
      memo('casesByOrder', () => childrenLoader(ds, TABLES.afterSalesCase, scope, 'orderId', CHILD_ORDER.casesByOrder, transaction)),
    eventsByShipment: () =>
      memo('eventsByShipment', () => childrenLoader(ds, TABLES.shipmentEvent, scope, 'shipmentId', CHILD_ORDER.eventsByShipment, transaction)),
    messagesByCase: () =>
      memo('messagesByCase', () => childrenLoader(ds, TABLES.caseMessage, scope, 'caseId', CHILD_ORDER.messagesByCase, transaction)),
    attachmentsByCase: () =>
      memo('attachmentsByCase', () => childrenLoader(ds, TABLES.caseAttachment, scope, 'caseId', CHILD_ORDER.attachmentsByCase, transaction)),
    recordsByCase: () =>
      memo('recordsByCase', () => childrenLoader(ds, TABLES.caseRecord, scope, 'caseId', CHILD_ORDER.recordsByCase, transaction)),
    consentGrantsByCustomer: () =>
      memo('consentGrantsByCustomer', () => childrenLoader(ds, TABLES.consentGrant, scope, 'customerId', CHILD_ORDER.consentGrantsByCustomer, transaction)),
    consentGrant: () => memo('consentGrant', () => byIdLoader(ds, TABLES.consentGrant, scope, transaction)),
    /** A customer's choice in force per cookie category: the latest of their history. */
    preferenceConsentsByCustomer: () =>
      memo('preferenceConsentsByCustomer', () => latestChildrenLoader(ds, TABLES.preferenceConsent, scope, 'customerId', LATEST_PREFERENCES.partition, LATEST_PREFERENCES.latest, transaction)),
    privacyRequestsByCustomer: () =>
      memo('privacyRequestsByCustomer', () => childrenLoader(ds, TABLES.privacyRequest, scope, 'customerId', CHILD_ORDER.privacyRequestsByCustomer, transaction)),
    privacyRequest: () => memo('privacyRequest', () => byIdLoader(ds, TABLES.privacyRequest, scope, transaction)),
    transitionsByRequest: () =>
      memo('transitionsByRequest', () => childrenLoader(ds, TABLES.privacyRequestTransition, scope, 'requestId', CHILD_ORDER.transitionsByRequest, transaction)),
    legalHoldsByCustomer: () =>
      memo('legalHoldsByCustomer', () => childrenLoader(ds, TABLES.legalHold, scope, 'customerId', CHILD_ORDER.legalHoldsByCustomer, transaction)),
    /** One loader per distinct (ordering, page) argument set, so batching still applies across parents. */
    ordersOfCustomer: (ordering: Ordering, args: PageArgs): DataLoader<string, Page<OrderEntity>> =>
      memo(`ordersOfCustomer:${ordering.name}:${args.first}:${args.after ?? ''}`, () =>
        childPageLoader(ds, TABLES.order, scope, 'customer_id', 'customerId', ordering, args, cursors, transaction),
      ),
    casesOfCustomer: (ordering: Ordering, args: PageArgs): DataLoader<string, Page<AfterSalesCaseEntity>> =>
      memo(`casesOfCustomer:${ordering.name}:${args.first}:${args.after ?? ''}`, () =>
        childPageLoader(ds, TABLES.afterSalesCase, scope, 'customer_id', 'customerId', ordering, args, cursors, transaction),
      ),
    /** A customer's cookie choices, every one, newest first. */
    preferenceHistoryOfCustomer: (args: PageArgs): DataLoader<string, Page<PreferenceConsentEntity>> =>
      memo(`preferenceHistoryOfCustomer:${args.first}:${args.after ?? ''}`, () =>
        childPageLoader(ds, TABLES.preferenceConsent, scope, 'customer_id', 'customerId', PreferenceHistoryOrder.pick(), args, cursors, transaction),
      ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
