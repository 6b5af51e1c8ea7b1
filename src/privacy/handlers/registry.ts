/**
 * The privacy handlers, one per table that holds personal data, registered explicitly (never by
 * glob), and the tables that hold none, each with why. A table in neither list stops the gateway
 * from starting (registry-check.ts), so a new table with personal data cannot be forgotten by the
 * access export, rectification, erasure or retention.
 *
 * Erasure (design §6) anonymizes direct identifiers, deletes addresses and communications and
 * withdraws consents, except rows whose `keepWhile` record is still inside its 3-year retention
 * window or under a legal hold: those are kept and marked restricted. A legal hold on the customer
 * keeps every row of theirs.
 */
import { AuditEventEntity } from '../../audit/audit-event.entity';
import { AuditExpiredLeafEntity, AuditExpiryEntity, AuditSetCandidateEntity } from '../../audit/audit-expiry.entity';
import { AuditSealEntity } from '../../audit/audit-seal.entity';
import { AuditVerificationEntity } from '../../audit/audit-verification.entity';
import { AuditSubjectSetEntity } from '../../audit/audit-subject-set.entity';
import { AuditCoordinateSetEntity } from '../../audit/audit-coordinate-set.entity';
import { coordinateListOf } from '../../audit/audit-record';
import { AfterSalesCaseEntity } from '../../domains/after-sales/after-sales-case.entity';
import { AttachmentUploadEntity } from '../../domains/after-sales/attachment-upload.entity';
import { CaseAttachmentEntity } from '../../domains/after-sales/case-attachment.entity';
import { CaseMessageEntity } from '../../domains/after-sales/case-message.entity';
import { CaseRecordEntity } from '../../domains/after-sales/case-record.entity';
import { BehaviorEventEntity } from '../../domains/behavior/behavior-event.entity';
import { ConsentGrantEntity } from '../../domains/consent/consent-grant.entity';
import { PreferenceConsentEntity } from '../../domains/consent/preference-consent.entity';
import { AddressEntity } from '../../domains/customers/address.entity';
import { CustomerEntity } from '../../domains/customers/customer.entity';
import { LegalHoldEntity } from '../../domains/legal-holds/legal-hold.entity';
import { OrderItemEntity } from '../../domains/orders/order-item.entity';
import { OrderEntity } from '../../domains/orders/order.entity';
import { PartnerEntity } from '../../domains/partners/partner.entity';
import { PaymentVerificationEntity } from '../../domains/payments/payment-verification.entity';
import { PolicyVersionEntity } from '../../domains/policy-versions/policy-version.entity';
import { PrivacyExportLinkEntity } from '../../domains/privacy-requests/privacy-export-link.entity';
import { PrivacyRequestCodeEntity } from '../../domains/privacy-requests/privacy-request-code.entity';
import { PrivacyRequestTransitionEntity } from '../../domains/privacy-requests/privacy-request-transition.entity';
import { PrivacyRequestEntity } from '../../domains/privacy-requests/privacy-request.entity';
import { ShipmentEventEntity } from '../../domains/shipments/shipment-event.entity';
import { ShipmentEntity } from '../../domains/shipments/shipment.entity';
import { IdempotencyRecordEntity } from '../../idempotency/idempotency-record.entity';
import { MailOutboxEntity } from '../../mail/mail-outbox.entity';
import { WebhookDeliveryEntity } from '../../domains/webhooks/webhook-delivery.entity';
import { WebhookEndpointEntity } from '../../domains/webhooks/webhook-endpoint.entity';
import { RetentionRunEntity } from '../../retention/retention-run.entity';
import { TrustedDocumentEntity } from '../../integration/trusted-document.entity';
import type { NotPersonal, PrivacyHandler } from './privacy-handler';

/** What an erased name or street reads as. */
export const ERASED = 'erased';

/** The order's shipping snapshot, erased: what erasure and retention overwrite alike. */
const ORDER_RECIPIENT_ERASED = { ship_recipient_name: ERASED, ship_line1: ERASED, ship_line2: null, ship_city: ERASED, ship_state: null, ship_postal_code: '', ship_phone: '' };

/**
 * Why the retention job leaves account data alone: the account lasts while the customer keeps
 * it, and an erasure request removes it. Orders and cases, which end, are what expire.
 */
const ACCOUNT_KEPT = 'account data lasts while the customer keeps the account; an erasure request removes it (only orders and after-sales cases, which end, expire)';

const ADDRESS_INPUTS = [
  { input: 'recipientName', column: 'recipient_name' },
  { input: 'line1', column: 'line1' },
  { input: 'line2', column: 'line2' },
  { input: 'city', column: 'city' },
  { input: 'state', column: 'state' },
  { input: 'postalCode', column: 'postal_code' },
  { input: 'country', column: 'country' },
  { input: 'phone', column: 'phone' },
] as const;

export const PRIVACY_HANDLERS: readonly PrivacyHandler[] = [
  {
    table: 'customer',
    entity: CustomerEntity,
    types: ['Customer'],
    subject: { kind: 'self' },
    export: {
      section: 'account',
      fields: ['id', 'accountName', 'email', 'phone', 'emergencyContactName', 'emergencyContactPhone', 'preferredLanguage', 'status', 'analyticsObjection', 'createdAt', 'erasedAt', 'restrictedAt'],
      orderBy: 't.id',
    },
    rectify: [
      { input: 'accountName', column: 'account_name' },
      { input: 'email', column: 'email' },
      { input: 'phone', column: 'phone' },
      { input: 'emergencyContactName', column: 'emergency_contact_name' },
      { input: 'emergencyContactPhone', column: 'emergency_contact_phone' },
      { input: 'preferredLanguage', column: 'preferred_language' },
    ],
    erase: {
      action: 'anonymize',
      columns: {
        account_name: ERASED,
        // Unique per row, and a domain that can never receive mail (RFC 2606).
        email: { sql: `'erased-' || t.id || '@erased.invalid'` },
        phone: '',
        emergency_contact_name: null,
        emergency_contact_phone: null,
      },
      keepWhile: { anchor: 'customer' },
    },
    retention: { action: 'keep', reason: ACCOUNT_KEPT },
  },
  {
    table: 'address',
    entity: AddressEntity,
    types: ['Address'],
    subject: { kind: 'column', column: 'customer_id' },
    export: {
      section: 'addresses',
      fields: ['id', 'recipientName', 'line1', 'line2', 'city', 'state', 'postalCode', 'country', 'phone', 'isDefault', 'createdAt', 'restrictedAt'],
      orderBy: 't.created_at, t.id',
    },
    rectify: [...ADDRESS_INPUTS, { input: 'isDefault', column: 'is_default' }],
    erase: { action: 'delete', keepWhile: { anchor: 'customer' } },
    retention: { action: 'keep', reason: ACCOUNT_KEPT },
  },
  {
    table: 'order',
    entity: OrderEntity,
    types: ['Order', 'ShippingAddress', 'CustomsDeclaration'],
    subject: { kind: 'column', column: 'customer_id' },
    export: {
      section: 'orders',
      fields: [
        'id', 'orderNumber', 'channel', 'platformPartnerId', 'paymentProviderId', 'status', 'currency', 'totalAmount', 'placedAt', 'completedAt',
        'shipping.recipientName', 'shipping.line1', 'shipping.line2', 'shipping.city', 'shipping.state', 'shipping.postalCode', 'shipping.country', 'shipping.phone',
        'customs.contents', 'customs.declaredValue', 'customs.hsCodes', 'policyVersionId', 'retainUntil', 'retentionAppliedAt', 'restrictedAt',
      ],
      orderBy: 't.placed_at, t.id',
    },
    // The shipping snapshot, and only of an order not yet delivered, and only when asked for.
    rectify: ADDRESS_INPUTS.map(({ input, column }) => ({ input, column: `ship_${column}` })),
    erase: {
      action: 'anonymize',
      columns: ORDER_RECIPIENT_ERASED,
      keepWhile: { anchor: 'order', column: 'id' },
    },
    retention: { action: 'anonymize', columns: ORDER_RECIPIENT_ERASED },
  },
  {
    table: 'order_item',
    entity: OrderItemEntity,
    types: ['OrderItem', 'ItemAttribute'],
    subject: { kind: 'parent', column: 'order_id', parent: 'order' },
    export: { section: 'orderItems', fields: ['id', 'orderId', 'position', 'sku', 'productName', 'specification', 'quantity', 'unitPrice', 'restrictedAt'], orderBy: 't.order_id, t.position' },
    erase: {
      action: 'keep',
      reason: 'what was sold identifies nobody once the order’s recipient is erased; the store’s accounts need it',
      restrictWhile: { anchor: 'order', column: 'order_id' },
    },
    retention: { action: 'keep', reason: 'what was sold identifies nobody once the order’s recipient is anonymized; the store’s accounts need it' },
  },
  {
    table: 'shipment',
    entity: ShipmentEntity,
    types: ['Shipment'],
    subject: { kind: 'parent', column: 'order_id', parent: 'order' },
    export: {
      section: 'shipments',
      fields: ['id', 'orderId', 'logisticsPartnerId', 'trackingNumber', 'status', 'progress', 'statusAt', 'createdAt', 'deliveredAt', 'restrictedAt'],
      orderBy: 't.created_at, t.id',
    },
    // A tracking number finds the parcel, and its recipient, in the carrier's records.
    erase: { action: 'anonymize', columns: { tracking_number: null }, keepWhile: { anchor: 'order', column: 'order_id' } },
    retention: { action: 'anonymize', columns: { tracking_number: null } },
  },
  {
    table: 'shipment_event',
    entity: ShipmentEventEntity,
    types: ['ShipmentEvent'],
    subject: { kind: 'parent', column: 'shipment_id', parent: 'shipment' },
    export: {
      section: 'shipmentEvents',
      fields: ['id', 'shipmentId', 'carrierId', 'carrierEventId', 'occurredAt', 'location', 'description', 'status', 'restrictedAt'],
      orderBy: 't.occurred_at, t.id',
    },
    // Where a parcel was scanned traces the recipient's whereabouts.
    erase: {
      action: 'delete',
      keepWhile: { anchor: 'order', column: `(SELECT s.order_id FROM shipment s WHERE s.id = t.shipment_id)` },
    },
    retention: { action: 'delete' },
  },
  {
    table: 'payment_verification',
    entity: PaymentVerificationEntity,
    types: ['PaymentVerification'],
    subject: { kind: 'parent', column: 'order_id', parent: 'order' },
    export: {
      section: 'paymentVerifications',
      fields: ['id', 'orderId', 'providerId', 'providerReference', 'method', 'cardBrand', 'cardLast4', 'amount', 'currency', 'status', 'paidAt', 'settledAt', 'settlementBatchRef', 'createdAt', 'restrictedAt'],
      orderBy: 't.created_at, t.id',
    },
    erase: { action: 'anonymize', columns: { card_brand: null, card_last4: null }, keepWhile: { anchor: 'order', column: 'order_id' } },
    retention: { action: 'anonymize', columns: { card_brand: null, card_last4: null } },
  },
  {
    table: 'after_sales_case',
    entity: AfterSalesCaseEntity,
    types: ['AfterSalesCase'],
    subject: { kind: 'column', column: 'customer_id' },
    export: { section: 'afterSalesCases', fields: ['id', 'orderId', 'type', 'status', 'subject', 'openedAt', 'closedAt', 'retainUntil', 'restrictedAt'], orderBy: 't.opened_at, t.id' },
    erase: { action: 'delete', keepWhile: { anchor: 'case', column: 'id' } },
    retention: { action: 'delete' },
  },
  {
    table: 'case_message',
    entity: CaseMessageEntity,
    types: ['CaseMessage'],
    subject: { kind: 'parent', column: 'case_id', parent: 'after_sales_case' },
    export: { section: 'caseMessages', fields: ['id', 'caseId', 'authorSide', 'body', 'sentAt', 'restrictedAt'], orderBy: 't.sent_at, t.id' },
    erase: { action: 'delete', keepWhile: { anchor: 'case', column: 'case_id' } },
    retention: { action: 'delete' },
  },
  {
    table: 'case_attachment',
    entity: CaseAttachmentEntity,
    types: ['CaseAttachment'],
    subject: { kind: 'parent', column: 'case_id', parent: 'after_sales_case' },
    export: {
      section: 'caseAttachments',
      fields: ['id', 'caseId', 'messageId', 'kind', 'contentType', 'sizeBytes', 'sha256', 'uploadedAt', 'restrictedAt'],
      withheld: { storageKey: 'where the file is kept in the store’s object storage: an internal location, not data about the customer' },
      orderBy: 't.uploaded_at, t.id',
    },
    erase: { action: 'delete', keepWhile: { anchor: 'case', column: 'case_id' } },
    retention: { action: 'delete' },
  },
  {
    table: 'attachment_upload',
    entity: AttachmentUploadEntity,
    types: [],
    subject: { kind: 'parent', column: 'case_id', parent: 'after_sales_case' },
    export: {
      section: 'pendingUploads',
      fields: ['id', 'caseId', 'kind', 'contentType', 'sizeBytes', 'sha256', 'uploadedAt', 'expiresAt'],
      withheld: {
        uploader: 'a hash of who uploaded it, kept only to let them attach it',
        storageKey: 'where the file is kept in the store’s object storage: an internal location, not data about the customer',
      },
      orderBy: 't.uploaded_at, t.id',
    },
    // A file not attached within a day is swept anyway; its blob goes with the sweep of blobs no row names.
    erase: { action: 'delete' },
    retention: { action: 'delete' },
  },
  {
    table: 'case_record',
    entity: CaseRecordEntity,
    types: ['CaseRecord'],
    subject: { kind: 'parent', column: 'case_id', parent: 'after_sales_case' },
    export: { section: 'caseRecords', fields: ['id', 'caseId', 'action', 'actor', 'note', 'recordedAt', 'restrictedAt'], orderBy: 't.recorded_at, t.id' },
    erase: { action: 'delete', keepWhile: { anchor: 'case', column: 'case_id' } },
    retention: { action: 'delete' },
  },
  {
    table: 'consent_grant',
    entity: ConsentGrantEntity,
    types: ['ConsentGrant'],
    subject: { kind: 'column', column: 'customer_id' },
    export: { section: 'consentGrants', fields: ['id', 'granteePartnerId', 'categories', 'purpose', 'grantedAt', 'expiresAt', 'withdrawnAt'], orderBy: 't.granted_at, t.id' },
    // Withdrawn, not deleted: the grant is the record of what was shared with whom, and until when.
    erase: { action: 'anonymize', columns: { withdrawn_at: { sql: 'coalesce(t.withdrawn_at, now())' } } },
    retention: { action: 'keep', reason: ACCOUNT_KEPT },
  },
  {
    table: 'preference_consent',
    entity: PreferenceConsentEntity,
    types: ['PreferenceConsent'],
    subject: { kind: 'column', column: 'customer_id' },
    export: {
      section: 'preferenceConsents',
      fields: ['id', 'category', 'granted', 'recordedAt', 'policyVersionId', 'recordedVia', 'restrictedAt'],
      // A customer's own rows never carry a visitor pseudonym (one subject per row).
      withheld: { visitorPseudonym: 'set only on a visitor’s choice, never on a customer’s' },
      orderBy: 't.recorded_at, t.id',
    },
    erase: { action: 'delete', keepWhile: { anchor: 'customer' } },
    retention: { action: 'keep', reason: ACCOUNT_KEPT },
  },
  {
    table: 'privacy_request',
    entity: PrivacyRequestEntity,
    // An access request's export is answered off the request.
    types: ['PrivacyRequest', 'PrivacyExport'],
    subject: { kind: 'column', column: 'customer_id' },
    export: {
      section: 'privacyRequests',
      fields: ['id', 'type', 'status', 'receivedAt', 'verifiedAt', 'dueAt', 'completedAt', 'handler', 'resultSummary', 'rejectionReason', 'openedVia', 'parameters', 'result', 'codeFailures', 'lastCodeFailureAt'],
      withheld: { openedBy: 'the identity of the customer-service agent who opened it on the customer’s behalf (openedVia says who did)' },
      orderBy: 't.received_at, t.id',
    },
    erase: { action: 'keep', reason: 'the record that a request was made and answered is the store’s proof it honoured the customer’s rights' },
    retention: { action: 'keep', reason: 'the record that a request was made and answered, kept with the account' },
  },
  {
    table: 'privacy_request_transition',
    entity: PrivacyRequestTransitionEntity,
    types: ['PrivacyRequestTransition'],
    subject: { kind: 'parent', column: 'request_id', parent: 'privacy_request' },
    export: {
      section: 'privacyRequestTransitions',
      fields: ['id', 'requestId', 'fromStatus', 'toStatus', 'at', 'actorKind', 'note'],
      withheld: {
        actor: 'the identity of the staff member who acted (actorKind says which kind of principal)',
        seq: 'an internal ordering number: the section lists the transitions in this order',
      },
      orderBy: 't.seq',
    },
    erase: { action: 'keep', reason: 'the history of a request is the store’s proof it honoured the customer’s rights' },
    retention: { action: 'keep', reason: 'the history of a request, kept with the request and the account' },
  },
  {
    table: 'privacy_request_code',
    entity: PrivacyRequestCodeEntity,
    types: [],
    subject: { kind: 'parent', column: 'request_id', parent: 'privacy_request' },
    export: {
      section: 'verificationCodes',
      fields: ['requestId', 'issuedAt', 'expiresAt', 'attemptsLeft'],
      withheld: { codeHash: 'a keyed hash of the one-time code: it proves nothing to anyone but the gateway' },
      orderBy: 't.issued_at, t.request_id',
    },
    erase: { action: 'delete' },
    retention: { action: 'keep', reason: 'a code is deleted once it verifies the request or a new one replaces it, and works for 15 minutes only' },
  },
  {
    table: 'privacy_export_link',
    entity: PrivacyExportLinkEntity,
    types: ['PrivacyExportLink'],
    subject: { kind: 'parent', column: 'request_id', parent: 'privacy_request' },
    export: {
      section: 'exportLinks',
      fields: ['id', 'requestId', 'createdAt', 'expiresAt', 'usedAt'],
      withheld: { tokenHash: 'the hash of the link’s secret token' },
      orderBy: 't.created_at, t.id',
    },
    erase: { action: 'delete' },
    retention: { action: 'keep', reason: 'a link is hashed, works once and expires; the record of its use is kept with the request' },
  },
  {
    table: 'mail_outbox',
    entity: MailOutboxEntity,
    types: [],
    subject: { kind: 'column', column: 'customer_id' },
    export: {
      section: 'mails',
      fields: ['id', 'topic', 'toAddress', 'subject', 'status', 'attempts', 'nextAttemptAt', 'createdAt', 'sentAt'],
      withheld: {
        sealedBody: 'sealed while waiting to be sent and wiped once sent: it held a one-time code or a link, never kept',
        lastError: 'the mail server’s own error text',
      },
      orderBy: 't.created_at, t.id',
    },
    erase: { action: 'delete' },
    retention: { action: 'keep', reason: 'the record that a mail was sent, kept with the account; its body is wiped once sent' },
  },
  {
    // The outbox of change notifications: no payload (read as the partner at each attempt), but
    // each row says that this partner was told, at this time, that this customer's shipment
    // (shipment.tracking: assigned, status, tracking number) or payment verification
    // (payment.settlement) changed — about the customer for as long as it is kept: until the
    // webhook worker deletes it, 30 days after its event once it is no longer pending and no legal
    // hold covers the record's order.
    table: 'webhook_delivery',
    entity: WebhookDeliveryEntity,
    types: ['WebhookDelivery'],
    subject: {
      kind: 'any',
      paths: [
        { kind: 'parent', column: 'resource_id', parent: 'shipment' },
        { kind: 'parent', column: 'resource_id', parent: 'payment_verification' },
      ],
    },
    export: {
      section: 'webhookDeliveries',
      fields: ['id', 'eventId', 'partnerId', 'eventType', 'resourceId', 'occurredAt', 'status', 'attempts', 'lastAttemptAt', 'deliveredAt'],
      withheld: {
        endpointId: 'which of the partner’s endpoints: the partner’s own integration (the partner is named)',
        txId: 'the number of the database transaction that wrote the change: the outbox’s bookkeeping',
        nextAttemptAt: 'when the worker tries again: the outbox’s bookkeeping',
        lastResponseStatus: 'what the partner’s endpoint answered: about the partner’s system, not the customer',
        lastError: 'why the partner’s endpoint could not be reached: about the partner’s system, not the customer',
        restrictedAt: 'set only when an erasure kept it under a legal hold, after which there is no export',
      },
      orderBy: 't.occurred_at, t.id',
    },
    // Pending ones too: erasure restricts or anonymizes the records they are about, so the worker
    // could only cancel them. What was sent stays in the audit log, each notification audited as
    // a disclosure to its partner. Those of an order under a legal hold (on it or its customer)
    // are kept, restricted: a hold freezes who was told what of it; the worker attempts none of
    // them, and deletes them once the hold is released and their 30 days are over.
    erase: {
      action: 'delete',
      keepWhile: {
        anchor: 'order',
        column: `(SELECT coalesce((SELECT s.order_id FROM shipment s WHERE s.id = t.resource_id), (SELECT p.order_id FROM payment_verification p WHERE p.id = t.resource_id)))`,
        heldOnly: true,
      },
    },
    retention: { action: 'keep', reason: 'the webhook worker deletes a delivery 30 days after its event once it is no longer pending, unless a legal hold covers its order (WebhookWorkerOptions.keepDays)' },
  },
  {
    table: 'legal_hold',
    entity: LegalHoldEntity,
    types: ['LegalHold'],
    subject: { kind: 'any', paths: [{ kind: 'column', column: 'customer_id' }, { kind: 'parent', column: 'order_id', parent: 'order' }] },
    export: {
      section: 'legalHolds',
      fields: ['id', 'scope', 'customerId', 'orderId', 'placedAt', 'releasedAt'],
      withheld: {
        reason: 'the substance of a legal matter is disclosed by the authority that opened it, not by the store',
        caseReference: 'the reference of a legal matter is disclosed by the authority that opened it, not by the store',
        placedBy: 'the identity of the staff member who placed the hold',
        releasedBy: 'the identity of the staff member who released the hold',
      },
      orderBy: 't.placed_at, t.id',
    },
    erase: { action: 'keep', reason: 'a legal hold is the record of a legal matter; it is what keeps the customer’s held data' },
    retention: { action: 'keep', reason: 'released holds are the record of a legal matter; an active one is what keeps data past its window' },
  },
  {
    table: 'audit_event',
    entity: AuditEventEntity,
    types: ['AuditEvent'],
    subject: {
      kind: 'sql',
      where: (t, p) => `(${t}.customer_id = ${p} OR ${t}.subject_id = ${p} OR ${t}.subject_set IN (SELECT s.hash FROM audit_subject_set s WHERE s.subject_ids @> ARRAY[${p}]::uuid[]))`,
    },
    export: {
      section: 'disclosures',
      fields: ['id', 'at', 'principalKind', 'roles', 'partnerId', 'grantId', 'purpose', 'operationType', 'operationName', 'disclosed', 'masked', 'denied', 'outcome', 'flagged', 'privacyRequestReference'],
      withheld: {
        requestId: 'an internal correlation id',
        traceId: 'an internal correlation id of the request’s trace',
        principalId: 'the identity of the person who acted (a staff member, or a partner’s system); the principal kind, role and partner say who',
        customerId: 'the customer whose token or grant was used: the customer themself, or the grant named by grantId',
        operationHash: 'an internal fingerprint of the query text',
        subjectSet: 'the other customers disclosed in the same response',
        subjectId: 'where the event stores its one subject: the customer themself, whom every event exported here names',
        errorCodes: 'internal error codes',
        legalCaseReference: 'the reference of a legal matter is disclosed by the authority that opened it, not by the store',
        detail: 'internal detail that may name other customers',
        sealId: 'the tamper-evidence seal of the log',
        hash: 'the tamper-evidence chain of the log',
        coordinateSet: 'where the coordinate lists are stored: they are exported as disclosed, masked and denied',
      },
      orderBy: 't.at, t.id',
      read: { disclosed: (t) => coordinateListOf(t, 'disclosed'), masked: (t) => coordinateListOf(t, 'masked'), denied: (t) => coordinateListOf(t, 'denied') },
    },
    erase: { action: 'keep', reason: 'the disclosure log is append-only: it is the record of every lawful use of the customer’s data' },
    retention: { action: 'keep', reason: 'the log expires by whole monthly partitions, 3 years after their month, unless a legal hold covers an event in them (src/audit/audit-partitions.ts)' },
  },
];

export const NOT_PERSONAL: readonly NotPersonal[] = [
  { table: 'partner', entity: PartnerEntity, types: ['Partner'], reason: 'organisations the store works with: reference data' },
  { table: 'policy_version', entity: PolicyVersionEntity, types: ['PolicyVersion'], reason: 'the published privacy policy texts: reference data' },
  {
    table: 'behavior_event',
    entity: BehaviorEventEntity,
    types: ['BehaviorEvent'],
    reason: 'desensitized at ingest: a daily pseudonym, a truncated IP and a reduced user agent, never linked to a customer (policy §2.3)',
  },
  {
    table: 'audit_subject_set',
    entity: AuditSubjectSetEntity,
    types: [],
    reason: 'the subject lists of audit events: exported through the events that name them (audit_event), append-only like the log',
  },
  {
    table: 'audit_coordinate_set',
    entity: AuditCoordinateSetEntity,
    types: [],
    reason: 'the coordinate lists of audit events (schema field names, never a person): exported through the events that name them (audit_event), append-only like the log',
  },
  { table: 'audit_seal', entity: AuditSealEntity, types: ['AuditSeal', 'AuditIntegrity'], reason: 'hashes over batches of audit events: no data of anyone' },
  {
    table: 'audit_verification',
    entity: AuditVerificationEntity,
    types: ['AuditVerificationResult'],
    reason: 'when the audit log was verified, by which staff member, and what was found: no customer’s data',
  },
  {
    table: 'idempotency_record',
    entity: IdempotencyRecordEntity,
    types: [],
    reason: 'responses kept 24 hours for retries, sealed at rest and keyed by a hash of the caller (no subject to find them by): never read after expiry, deleted soon after',
  },
  { table: 'audit_expiry', entity: AuditExpiryEntity, types: [], reason: 'which months of the audit log expired, with counts and seal numbers: no data of anyone' },
  { table: 'audit_expired_leaf', entity: AuditExpiredLeafEntity, types: [], reason: 'hashes of expired audit events: no data of anyone' },
  { table: 'audit_set_candidate', entity: AuditSetCandidateEntity, types: [], reason: 'hashes of audit sets waiting to expire: no data of anyone' },
  {
    table: 'retention_run',
    entity: RetentionRunEntity,
    // The preview of the next run is such a report, made by a dry run.
    types: ['RetentionPreview', 'RetentionTableCounts'],
    reason: 'the retention job’s cut-off times and per-table counts: no data of anyone',
  },
  { table: 'trusted_document', entity: TrustedDocumentEntity, types: [], reason: 'operations partners registered to run (their text and hash): no data of anyone' },
  {
    table: 'webhook_endpoint',
    entity: WebhookEndpointEntity,
    types: ['WebhookEndpoint', 'WebhookEndpointSecret'],
    reason: 'where a partner receives change notifications, and its sealed signing secrets: the partner’s own integration',
  },
];

export const HANDLERS_BY_TABLE: ReadonlyMap<string, PrivacyHandler> = new Map(PRIVACY_HANDLERS.map((h) => [h.table, h]));
