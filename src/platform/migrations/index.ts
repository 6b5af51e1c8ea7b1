/** Every migration, in order, registered explicitly. */
import { InitialSchema1795000000000 } from './1795000000000-initial-schema.migration';
import { DomainConstraints1795000000001 } from './1795000000001-domain-constraints.migration';
import { AuditLog1795000000005 } from './1795000000005-audit-log.migration';
import { AuditSubjectSets1795000000006 } from './1795000000006-audit-subject-sets.migration';
import { AuditStatistics1795000000007 } from './1795000000007-audit-statistics.migration';
import { CheckoutPaymentProvider1795000001500 } from './1795000001500-checkout-payment-provider.migration';
import { AuditPrivacyRequest1795000001501 } from './1795000001501-audit-privacy-request.migration';
import { ShipmentScans1795000001600 } from './1795000001600-shipment-scans.migration';
import { IdempotencyRecords1795000001601 } from './1795000001601-idempotency-records.migration';
import { PreferenceHistory1795000003000 } from './1795000003000-preference-history.migration';
import { DataSubjectRights1795000004000 } from './1795000004000-data-subject-rights.migration';
import { RetentionSchedule1795000005000 } from './1795000005000-retention-schedule.migration';
import { AuditPartitions1795000005001 } from './1795000005001-audit-partitions.migration';
import { AttachmentUploads1795000006000 } from './1795000006000-attachment-uploads.migration';
import { TrustedDocuments1795000006500 } from './1795000006500-trusted-documents.migration';
import { Webhooks1795000007000 } from './1795000007000-webhooks.migration';
import { AuditVerification1795000008000 } from './1795000008000-audit-verification.migration';
import { AuditTraceId1795000008001 } from './1795000008001-audit-trace-id.migration';
import { IdempotencySealed1795000009500 } from './1795000009500-idempotency-sealed.migration';
import { WebhookDeliveryResource1795000010000 } from './1795000010000-webhook-delivery-resource.migration';
import { AuditCoordinateSets1795000011000 } from './1795000011000-audit-coordinate-sets.migration';
import { AuditSubjectSetUnchecked1795000011001 } from './1795000011001-audit-subject-set-unchecked.migration';
import { AuditInlineSubject1795000012000 } from './1795000012000-audit-inline-subject.migration';
import { AuditHexChecks1795000013000 } from './1795000013000-audit-hex-checks.migration';
import { CaseOrderOfCustomer1795000013500 } from './1795000013500-case-order-of-customer.migration';
import { OrderHoldNamesNoCustomer1795000013501 } from './1795000013501-order-hold-names-no-customer.migration';
import { AuditPartitionAnalyze1795000014100 } from './1795000014100-audit-partition-analyze.migration';
import { AuditSetExpiry1795000014200 } from './1795000014200-audit-set-expiry.migration';
import { CaseOrderRaceFree1795000014201 } from './1795000014201-case-order-race-free.migration';
import { PrivacyCodeFailures1795000014420 } from './1795000014420-privacy-code-failures.migration';
import { WritesWaitForErasure1795000014421 } from './1795000014421-writes-wait-for-erasure.migration';
import { WebhookSkipRestricted1795000014310 } from './1795000014310-webhook-skip-restricted.migration';
import { RetentionScheduleUtc1795000014430 } from './1795000014430-retention-schedule-utc.migration';
import { RetentionCaseAfterApplied1795000014431 } from './1795000014431-retention-case-after-applied.migration';
import { IdempotencyKeyedFingerprints1795000014432 } from './1795000014432-idempotency-keyed-fingerprints.migration';
import { WebhookClaimByPartner1795000014433 } from './1795000014433-webhook-claim-by-partner.migration';
import { WebhookDeliveryRestricted1795000014434 } from './1795000014434-webhook-delivery-restricted.migration';

export const MIGRATIONS: Function[] = [
  InitialSchema1795000000000,
  DomainConstraints1795000000001,
  AuditLog1795000000005,
  AuditSubjectSets1795000000006,
  AuditStatistics1795000000007,
  CheckoutPaymentProvider1795000001500,
  AuditPrivacyRequest1795000001501,
  ShipmentScans1795000001600,
  IdempotencyRecords1795000001601,
  PreferenceHistory1795000003000,
  DataSubjectRights1795000004000,
  RetentionSchedule1795000005000,
  AuditPartitions1795000005001,
  AttachmentUploads1795000006000,
  TrustedDocuments1795000006500,
  Webhooks1795000007000,
  AuditVerification1795000008000,
  AuditTraceId1795000008001,
  IdempotencySealed1795000009500,
  WebhookDeliveryResource1795000010000,
  AuditCoordinateSets1795000011000,
  AuditSubjectSetUnchecked1795000011001,
  AuditInlineSubject1795000012000,
  AuditHexChecks1795000013000,
  CaseOrderOfCustomer1795000013500,
  OrderHoldNamesNoCustomer1795000013501,
  AuditPartitionAnalyze1795000014100,
  AuditSetExpiry1795000014200,
  CaseOrderRaceFree1795000014201,
  WebhookSkipRestricted1795000014310,
  PrivacyCodeFailures1795000014420,
  WritesWaitForErasure1795000014421,
  RetentionScheduleUtc1795000014430,
  RetentionCaseAfterApplied1795000014431,
  IdempotencyKeyedFingerprints1795000014432,
  WebhookClaimByPartner1795000014433,
  WebhookDeliveryRestricted1795000014434,
];
