/**
 * The columns the seed writes, per table, in foreign-key order: a table appears after every table
 * it references, so flushing in this order never trips a foreign key. Columns with a database
 * default (created_at = now(), gen_random_uuid()) are written explicitly, or the data would
 * depend on when the seed ran.
 */
import type { TableSpec } from './batch-insert';

const TS = 'timestamptz';

/** A ragged varchar[] value travels as comma-joined text ('' for an empty array). */
const commaList = (name: string): { name: string; type: string; select: string } => ({
  name,
  type: 'text',
  select: `string_to_array(u."${name}", ',')`,
});

export const PARTNER: TableSpec = {
  table: 'partner',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'kind', type: 'partner_kind' },
    { name: 'name', type: 'text' },
    { name: 'status', type: 'partner_status' },
    { name: 'created_at', type: TS },
  ],
};

export const POLICY_VERSION: TableSpec = {
  table: 'policy_version',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'version', type: 'text' },
    { name: 'published_at', type: TS },
    { name: 'effective_at', type: TS },
    { name: 'sha256', type: 'text' },
  ],
};

export const CUSTOMER: TableSpec = {
  table: 'customer',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'account_name', type: 'text' },
    { name: 'email', type: 'text' },
    { name: 'phone', type: 'text' },
    { name: 'emergency_contact_name', type: 'text' },
    { name: 'emergency_contact_phone', type: 'text' },
    { name: 'preferred_language', type: 'text' },
    { name: 'status', type: 'customer_status' },
    { name: 'analytics_objection', type: 'boolean' },
    { name: 'created_at', type: TS },
  ],
};

export const ADDRESS: TableSpec = {
  table: 'address',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'customer_id', type: 'uuid' },
    { name: 'recipient_name', type: 'text' },
    { name: 'line1', type: 'text' },
    { name: 'line2', type: 'text' },
    { name: 'city', type: 'text' },
    { name: 'state', type: 'text' },
    { name: 'postal_code', type: 'text' },
    { name: 'country', type: 'text' },
    { name: 'phone', type: 'text' },
    { name: 'is_default', type: 'boolean' },
    { name: 'created_at', type: TS },
  ],
};

export const PREFERENCE_CONSENT: TableSpec = {
  table: 'preference_consent',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'customer_id', type: 'uuid' },
    { name: 'visitor_pseudonym', type: 'text' },
    { name: 'category', type: 'preference_category' },
    { name: 'granted', type: 'boolean' },
    { name: 'recorded_at', type: TS },
    { name: 'policy_version_id', type: 'uuid' },
    { name: 'recorded_via', type: 'preference_source' },
  ],
};

export const ORDER: TableSpec = {
  table: 'order',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'order_number', type: 'text' },
    { name: 'customer_id', type: 'uuid' },
    { name: 'channel', type: 'sales_channel' },
    { name: 'platform_partner_id', type: 'uuid' },
    { name: 'payment_provider_id', type: 'uuid' },
    { name: 'status', type: 'order_status' },
    { name: 'currency', type: 'text' },
    { name: 'total_amount', type: 'numeric' },
    { name: 'placed_at', type: TS },
    { name: 'completed_at', type: TS },
    { name: 'policy_version_id', type: 'uuid' },
    { name: 'ship_recipient_name', type: 'text' },
    { name: 'ship_line1', type: 'text' },
    { name: 'ship_line2', type: 'text' },
    { name: 'ship_city', type: 'text' },
    { name: 'ship_state', type: 'text' },
    { name: 'ship_postal_code', type: 'text' },
    { name: 'ship_country', type: 'text' },
    { name: 'ship_phone', type: 'text' },
    { name: 'customs_contents', type: 'text' },
    { name: 'customs_declared_value', type: 'numeric' },
    commaList('customs_hs_codes'),
  ],
};

export const ORDER_ITEM: TableSpec = {
  table: 'order_item',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'order_id', type: 'uuid' },
    { name: 'position', type: 'smallint' },
    { name: 'sku', type: 'text' },
    { name: 'product_name', type: 'text' },
    { name: 'specification', type: 'jsonb' },
    { name: 'quantity', type: 'integer' },
    { name: 'unit_price', type: 'numeric' },
  ],
};

export const SHIPMENT: TableSpec = {
  table: 'shipment',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'order_id', type: 'uuid' },
    { name: 'logistics_partner_id', type: 'uuid' },
    { name: 'tracking_number', type: 'text' },
    { name: 'status', type: 'shipment_status' },
    { name: 'progress', type: 'shipment_status' },
    { name: 'status_at', type: TS },
    { name: 'created_at', type: TS },
    { name: 'delivered_at', type: TS },
  ],
};

export const SHIPMENT_EVENT: TableSpec = {
  table: 'shipment_event',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'shipment_id', type: 'uuid' },
    { name: 'carrier_id', type: 'uuid' },
    { name: 'carrier_event_id', type: 'text' },
    { name: 'occurred_at', type: TS },
    { name: 'location', type: 'text' },
    { name: 'description', type: 'text' },
    { name: 'status', type: 'shipment_event_status' },
  ],
};

export const PAYMENT_VERIFICATION: TableSpec = {
  table: 'payment_verification',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'order_id', type: 'uuid' },
    { name: 'provider_id', type: 'uuid' },
    { name: 'provider_reference', type: 'text' },
    { name: 'method', type: 'payment_method' },
    { name: 'card_brand', type: 'text' },
    { name: 'card_last4', type: 'text' },
    { name: 'amount', type: 'numeric' },
    { name: 'currency', type: 'text' },
    { name: 'status', type: 'payment_status' },
    { name: 'paid_at', type: TS },
    { name: 'settled_at', type: TS },
    { name: 'settlement_batch_ref', type: 'text' },
    { name: 'created_at', type: TS },
  ],
};

export const AFTER_SALES_CASE: TableSpec = {
  table: 'after_sales_case',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'customer_id', type: 'uuid' },
    { name: 'order_id', type: 'uuid' },
    { name: 'type', type: 'case_type' },
    { name: 'status', type: 'case_status' },
    { name: 'subject', type: 'text' },
    { name: 'opened_at', type: TS },
    { name: 'closed_at', type: TS },
  ],
};

export const CASE_MESSAGE: TableSpec = {
  table: 'case_message',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'case_id', type: 'uuid' },
    { name: 'author_side', type: 'author_side' },
    { name: 'body', type: 'text' },
    { name: 'sent_at', type: TS },
  ],
};

export const CASE_ATTACHMENT: TableSpec = {
  table: 'case_attachment',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'case_id', type: 'uuid' },
    { name: 'message_id', type: 'uuid' },
    { name: 'kind', type: 'attachment_kind' },
    { name: 'content_type', type: 'text' },
    { name: 'size_bytes', type: 'bigint' },
    { name: 'sha256', type: 'text' },
    { name: 'storage_key', type: 'text' },
    { name: 'uploaded_at', type: TS },
  ],
};

export const CASE_RECORD: TableSpec = {
  table: 'case_record',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'case_id', type: 'uuid' },
    { name: 'action', type: 'text' },
    { name: 'actor', type: 'text' },
    { name: 'note', type: 'text' },
    { name: 'recorded_at', type: TS },
  ],
};

export const BEHAVIOR_EVENT: TableSpec = {
  table: 'behavior_event',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'visitor_pseudonym', type: 'text' },
    { name: 'ip_prefix', type: 'text' },
    { name: 'device_class', type: 'device_class' },
    { name: 'browser_family', type: 'text' },
    { name: 'language', type: 'text' },
    { name: 'region', type: 'text' },
    { name: 'page', type: 'text' },
    { name: 'dwell_ms', type: 'integer' },
    { name: 'clicks', type: 'integer' },
    { name: 'occurred_at', type: TS },
  ],
};

export const CONSENT_GRANT: TableSpec = {
  table: 'consent_grant',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'customer_id', type: 'uuid' },
    { name: 'grantee_partner_id', type: 'uuid' },
    commaList('categories'),
    { name: 'purpose', type: 'text' },
    { name: 'granted_at', type: TS },
    { name: 'expires_at', type: TS },
    { name: 'withdrawn_at', type: TS },
  ],
};

export const PRIVACY_REQUEST: TableSpec = {
  table: 'privacy_request',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'customer_id', type: 'uuid' },
    { name: 'type', type: 'privacy_request_type' },
    { name: 'status', type: 'privacy_request_status' },
    { name: 'received_at', type: TS },
    { name: 'verified_at', type: TS },
    { name: 'due_at', type: TS },
    { name: 'completed_at', type: TS },
    { name: 'handler', type: 'text' },
    { name: 'result_summary', type: 'text' },
    { name: 'rejection_reason', type: 'text' },
  ],
};

export const LEGAL_HOLD: TableSpec = {
  table: 'legal_hold',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'scope', type: 'legal_hold_scope' },
    { name: 'customer_id', type: 'uuid' },
    { name: 'order_id', type: 'uuid' },
    { name: 'reason', type: 'text' },
    { name: 'case_reference', type: 'text' },
    { name: 'placed_by', type: 'text' },
    { name: 'placed_at', type: TS },
    { name: 'released_at', type: TS },
  ],
};

/** Every table the seed writes, parents before children. */
export const SEED_TABLES: readonly TableSpec[] = [
  PARTNER,
  POLICY_VERSION,
  CUSTOMER,
  ADDRESS,
  PREFERENCE_CONSENT,
  ORDER,
  ORDER_ITEM,
  SHIPMENT,
  SHIPMENT_EVENT,
  PAYMENT_VERIFICATION,
  AFTER_SALES_CASE,
  CASE_MESSAGE,
  CASE_ATTACHMENT,
  CASE_RECORD,
  BEHAVIOR_EVENT,
  CONSENT_GRANT,
  PRIVACY_REQUEST,
  LEGAL_HOLD,
];
