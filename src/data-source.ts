/**
 * The data source of the gateway: platform/database.ts's, built with every entity, registered
 * explicitly (never by glob) so a new table is a reviewed change. It lives above the domains
 * because it names their entities; platform/ itself imports no domain.
 */
import { AuditEventEntity } from './audit/audit-event.entity';
import { AuditSealEntity } from './audit/audit-seal.entity';
import { AuditVerificationEntity } from './audit/audit-verification.entity';
import { AuditExpiredLeafEntity, AuditExpiryEntity, AuditSetCandidateEntity } from './audit/audit-expiry.entity';
import { AuditSubjectSetEntity } from './audit/audit-subject-set.entity';
import { AuditCoordinateSetEntity } from './audit/audit-coordinate-set.entity';
import { AfterSalesCaseEntity } from './domains/after-sales/after-sales-case.entity';
import { AttachmentUploadEntity } from './domains/after-sales/attachment-upload.entity';
import { CaseAttachmentEntity } from './domains/after-sales/case-attachment.entity';
import { CaseMessageEntity } from './domains/after-sales/case-message.entity';
import { CaseRecordEntity } from './domains/after-sales/case-record.entity';
import { BehaviorEventEntity } from './domains/behavior/behavior-event.entity';
import { ConsentGrantEntity } from './domains/consent/consent-grant.entity';
import { PreferenceConsentEntity } from './domains/consent/preference-consent.entity';
import { AddressEntity } from './domains/customers/address.entity';
import { CustomerEntity } from './domains/customers/customer.entity';
import { LegalHoldEntity } from './domains/legal-holds/legal-hold.entity';
import { OrderItemEntity } from './domains/orders/order-item.entity';
import { OrderEntity } from './domains/orders/order.entity';
import { PartnerEntity } from './domains/partners/partner.entity';
import { PaymentVerificationEntity } from './domains/payments/payment-verification.entity';
import { PolicyVersionEntity } from './domains/policy-versions/policy-version.entity';
import { PrivacyExportLinkEntity } from './domains/privacy-requests/privacy-export-link.entity';
import { PrivacyRequestCodeEntity } from './domains/privacy-requests/privacy-request-code.entity';
import { PrivacyRequestTransitionEntity } from './domains/privacy-requests/privacy-request-transition.entity';
import { PrivacyRequestEntity } from './domains/privacy-requests/privacy-request.entity';
import { ShipmentEventEntity } from './domains/shipments/shipment-event.entity';
import { ShipmentEntity } from './domains/shipments/shipment.entity';
import { IdempotencyRecordEntity } from './idempotency/idempotency-record.entity';
import { TrustedDocumentEntity } from './integration/trusted-document.entity';
import { MailOutboxEntity } from './mail/mail-outbox.entity';
import { WebhookDeliveryEntity } from './domains/webhooks/webhook-delivery.entity';
import { WebhookEndpointEntity } from './domains/webhooks/webhook-endpoint.entity';
import { RetentionRunEntity } from './retention/retention-run.entity';
import type { DataSource } from 'typeorm';
import { buildDataSource, type DataSourceOptions } from './platform/database';

export const ENTITIES = [
  PartnerEntity,
  PolicyVersionEntity,
  CustomerEntity,
  AddressEntity,
  OrderEntity,
  OrderItemEntity,
  ShipmentEntity,
  ShipmentEventEntity,
  PaymentVerificationEntity,
  AfterSalesCaseEntity,
  CaseMessageEntity,
  CaseAttachmentEntity,
  AttachmentUploadEntity,
  CaseRecordEntity,
  BehaviorEventEntity,
  ConsentGrantEntity,
  PreferenceConsentEntity,
  PrivacyRequestEntity,
  PrivacyRequestTransitionEntity,
  PrivacyRequestCodeEntity,
  PrivacyExportLinkEntity,
  LegalHoldEntity,
  AuditEventEntity,
  AuditSealEntity,
  AuditVerificationEntity,
  AuditSubjectSetEntity,
  AuditCoordinateSetEntity,
  AuditExpiryEntity,
  AuditExpiredLeafEntity,
  AuditSetCandidateEntity,
  IdempotencyRecordEntity,
  RetentionRunEntity,
  MailOutboxEntity,
  TrustedDocumentEntity,
  WebhookEndpointEntity,
  WebhookDeliveryEntity,
];

/** The gateway's data source over `options.url`: every entity and migration, every wait bounded. */
export function createDataSource(options: DataSourceOptions): DataSource {
  return buildDataSource(options, ENTITIES);
}
