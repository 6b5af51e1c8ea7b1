/**
 * Every domain enum, registered once with the GraphQL schema. GraphQL shows the keys
 * (`PLACED`), the database stores the values (`placed`).
 */
import { registerEnumType } from 'type-graphql';
import { CaseStatus, CaseType } from './after-sales/after-sales-case.entity';
import { AttachmentKind } from './after-sales/case-attachment.entity';
import { AuthorSide } from './after-sales/case-message.entity';
import { DeviceClass } from '../privacy/desensitize';
import { PreferenceCategory, PreferenceSource } from './consent/preference-consent.entity';
import { CustomerStatus } from './customers/customer.entity';
import { LegalHoldScope } from './legal-holds/legal-hold.entity';
import { OrderStatus, SalesChannel } from './orders/order.entity';
import { PartnerKind, PartnerStatus } from './partners/partner.entity';
import { PaymentMethod, PaymentStatus } from './payments/payment-verification.entity';
import { PrivacyRequestAction, PrivacyRequestChannel, PrivacyRequestStatus, PrivacyRequestType } from './privacy-requests/privacy-request.entity';
import { ShipmentStatus } from './shipments/shipment.entity';
import { WebhookDeliveryStatus, WebhookEventType } from './webhooks/webhook-delivery.entity';

const enums: Array<[object, string]> = [
  [AttachmentKind, 'AttachmentKind'],
  [AuthorSide, 'AuthorSide'],
  [CaseStatus, 'CaseStatus'],
  [CaseType, 'CaseType'],
  [DeviceClass, 'DeviceClass'],
  [PreferenceCategory, 'PreferenceCategory'],
  [PreferenceSource, 'PreferenceSource'],
  [CustomerStatus, 'CustomerStatus'],
  [LegalHoldScope, 'LegalHoldScope'],
  [OrderStatus, 'OrderStatus'],
  [SalesChannel, 'SalesChannel'],
  [PartnerKind, 'PartnerKind'],
  [PartnerStatus, 'PartnerStatus'],
  [PaymentMethod, 'PaymentMethod'],
  [PaymentStatus, 'PaymentStatus'],
  [PrivacyRequestStatus, 'PrivacyRequestStatus'],
  [PrivacyRequestType, 'PrivacyRequestType'],
  [PrivacyRequestChannel, 'PrivacyRequestChannel'],
  [PrivacyRequestAction, 'PrivacyRequestAction'],
  [ShipmentStatus, 'ShipmentStatus'],
  [WebhookDeliveryStatus, 'WebhookDeliveryStatus'],
  [WebhookEventType, 'WebhookEventType'],
];
for (const [enumObject, name] of enums) registerEnumType(enumObject, { name });
