/**
 * The benchmark's scenarios: each is one GraphQL operation as the principal that really runs it,
 * with the variables of its n-th request (ids rotate where the scenario reads or writes one row),
 * a check of the data a response must carry, and, where one exists, the hand-written SQL query
 * the plain `pg` baseline answers the same request with (it must return the same `data`).
 */
import { randomUUID } from 'node:crypto';
import type { DevTokenOptions } from '../src/auth/dev-token';
import type { Purpose } from '../src/policy/vocabulary';

/** Rows of the benchmark data set the scenarios name. */
export interface Fixtures {
  logisticsPartner: string;
  paymentProvider: string;
  demoCustomer: string;
  /** Orders read by id, in a fixed pseudo-random order. */
  orderIds: string[];
  /** Shipments of `logisticsPartner` that receive scans, in a fixed pseudo-random order. */
  shipmentIds: string[];
}

export interface Baseline {
  /** One statement that returns one row with one column `body`: the whole response as JSON text. */
  sql: string;
  params(fixtures: Fixtures, variables: Record<string, unknown>): unknown[];
}

export interface Scenario {
  /** 1-based, as in issue 7. */
  number: number;
  key: string;
  title: string;
  /** Who runs it, for the report. */
  caller: string;
  token(fixtures: Fixtures): DevTokenOptions;
  purpose: Purpose;
  query: string;
  /** The variables of the i-th request. */
  variables(fixtures: Fixtures, i: number): Record<string, unknown>;
  /**
   * The same operation with shorter lists: statements per request must not change with list
   * length, so the driver runs both once and compares the counts.
   */
  shortLists?: Record<string, unknown>;
  /** A problem with a successful response's `data`, or undefined when it is what was asked for. */
  check(data: any, variables: Record<string, unknown>): string | undefined;
  baseline?: Baseline;
  /** Writes rows; the driver deletes them after the run (see BENCH_SCAN_LOCATION). */
  writes?: boolean;
}

/** Location of every scan the benchmark records, so they can be deleted afterwards. */
export const BENCH_SCAN_LOCATION = 'need-to-know benchmark (loopback)';

const rotate = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

/** An ISO-8601 UTC timestamp with milliseconds, as the DateTimeISO scalar writes it. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const expectLength = (what: string, list: unknown, n: number): string | undefined =>
  Array.isArray(list) && list.length === n ? undefined : `${what}: expected ${n} rows, got ${Array.isArray(list) ? list.length : JSON.stringify(list)}`;

const MANIFEST_SIZE = 50;
const SETTLEMENT_PAGE = 100;
const CUSTOMER_ORDERS = 20;

export const SCENARIOS: readonly Scenario[] = [
  {
    number: 1,
    key: 'manifest',
    // No item sku: the matrix withholds OrderItem.sku from carriers, so a carrier cannot ask for it.
    title: 'carrier manifest: 50 shipments, recipient, address, phone, items',
    caller: 'logistics partner A (fulfillment)',
    token: (f) => ({ kind: 'logistics_partner', partnerId: f.logisticsPartner, purposes: ['fulfillment'], subject: 'bench-carrier-a' }),
    purpose: 'fulfillment',
    query: `query Manifest($n: Int!) {
  shipments(first: $n) {
    nodes {
      id trackingNumber status
      order {
        orderNumber
        shippingAddress { recipientName line1 line2 city state postalCode country phone }
        items { productName quantity }
      }
    }
  }
}`,
    variables: () => ({ n: MANIFEST_SIZE }),
    shortLists: { n: 5 },
    check: (data, v) =>
      expectLength('shipments.nodes', data?.shipments?.nodes, v.n as number) ??
      (data.shipments.nodes.every((s: any) => s.order?.shippingAddress?.phone && s.order.items?.length > 0)
        ? undefined
        : 'every shipment should carry its order with a recipient phone and items'),
    baseline: {
      sql: `
SELECT json_build_object('data', json_build_object('shipments', json_build_object('nodes', coalesce(json_agg(
  json_build_object(
    'id', s.id, 'trackingNumber', s.tracking_number, 'status', upper(s.status::text),
    'order', json_build_object(
      'orderNumber', o.order_number,
      'shippingAddress', json_build_object(
        'recipientName', o.ship_recipient_name, 'line1', o.ship_line1, 'line2', o.ship_line2, 'city', o.ship_city,
        'state', o.ship_state, 'postalCode', o.ship_postal_code, 'country', o.ship_country, 'phone', o.ship_phone),
      'items', (SELECT coalesce(json_agg(json_build_object('productName', i.product_name, 'quantity', i.quantity) ORDER BY i.id), '[]')
                  FROM order_item i WHERE i.order_id = o.id)))
  ORDER BY s.created_at DESC, s.id DESC), '[]'))))::text AS body
FROM (SELECT * FROM shipment WHERE logistics_partner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2) s
JOIN "order" o ON o.id = s.order_id`,
      params: (f, v) => [f.logisticsPartner, v.n],
    },
  },
  {
    number: 2,
    key: 'settlements',
    title: 'payment provider: 100 settlement records with order numbers',
    caller: 'payment provider A (payment_settlement)',
    token: (f) => ({ kind: 'payment_provider', partnerId: f.paymentProvider, purposes: ['payment_settlement'], subject: 'bench-psp-a' }),
    purpose: 'payment_settlement',
    query: `query Settlements($n: Int!) {
  paymentVerifications(first: $n) {
    nodes { providerReference amount currency status settledAt settlementBatchRef order { orderNumber } }
  }
}`,
    variables: () => ({ n: SETTLEMENT_PAGE }),
    shortLists: { n: 10 },
    check: (data, v) =>
      expectLength('paymentVerifications.nodes', data?.paymentVerifications?.nodes, v.n as number) ??
      (data.paymentVerifications.nodes.every((p: any) => p.order?.orderNumber && p.amount) ? undefined : 'every record should carry an amount and its order number'),
    baseline: {
      sql: `
SELECT json_build_object('data', json_build_object('paymentVerifications', json_build_object('nodes', coalesce(json_agg(
  json_build_object(
    'providerReference', p.provider_reference, 'amount', p.amount::text, 'currency', p.currency, 'status', upper(p.status::text),
    'settledAt', ${iso('p.settled_at')}, 'settlementBatchRef', p.settlement_batch_ref,
    'order', json_build_object('orderNumber', o.order_number))
  ORDER BY p.created_at DESC, p.id DESC), '[]'))))::text AS body
FROM (SELECT * FROM payment_verification WHERE provider_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2) p
JOIN "order" o ON o.id = p.order_id`,
      params: (f, v) => [f.paymentProvider, v.n],
    },
  },
  {
    number: 3,
    key: 'customer-service',
    title: 'customer service: one customer, 20 orders with items and shipments, cases with messages',
    caller: 'staff customer_service (after_sales)',
    token: () => ({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'], subject: 'bench-agent' }),
    purpose: 'after_sales',
    query: `query CustomerService($id: ID!, $n: Int!) {
  customer(id: $id) {
    accountName email phone
    orders(first: $n) {
      nodes {
        orderNumber status totalAmount placedAt
        items { sku productName quantity unitPrice }
        shipments { trackingNumber status }
      }
    }
    afterSalesCases(first: $n) {
      nodes { subject type status openedAt messages { authorSide body sentAt } }
    }
  }
}`,
    variables: (f) => ({ id: f.demoCustomer, n: CUSTOMER_ORDERS }),
    shortLists: { n: 3 },
    check: (data, v) =>
      expectLength('customer.orders.nodes', data?.customer?.orders?.nodes, v.n as number) ??
      (data.customer.afterSalesCases?.nodes?.some((c: any) => c.messages?.length > 0) ? undefined : 'the demo customer should have cases with messages'),
    baseline: {
      sql: `
SELECT json_build_object('data', json_build_object('customer', json_build_object(
  'accountName', c.account_name, 'email', c.email, 'phone', c.phone,
  'orders', json_build_object('nodes', (
    SELECT coalesce(json_agg(json_build_object(
      'orderNumber', o.order_number, 'status', upper(o.status::text), 'totalAmount', o.total_amount::text, 'placedAt', ${iso('o.placed_at')},
      'items', (SELECT coalesce(json_agg(json_build_object('sku', i.sku, 'productName', i.product_name, 'quantity', i.quantity, 'unitPrice', i.unit_price::text)
                  ORDER BY i.position), '[]') FROM order_item i WHERE i.order_id = o.id),
      'shipments', (SELECT coalesce(json_agg(json_build_object('trackingNumber', s.tracking_number, 'status', upper(s.status::text))
                  ORDER BY s.created_at, s.id), '[]') FROM shipment s WHERE s.order_id = o.id))
      ORDER BY o.placed_at DESC, o.id DESC), '[]')
    FROM (SELECT * FROM "order" WHERE customer_id = c.id ORDER BY placed_at DESC, id DESC LIMIT $2) o)),
  'afterSalesCases', json_build_object('nodes', (
    SELECT coalesce(json_agg(json_build_object(
      'subject', k.subject, 'type', upper(k.type::text), 'status', upper(k.status::text), 'openedAt', ${iso('k.opened_at')},
      'messages', (SELECT coalesce(json_agg(json_build_object('authorSide', upper(m.author_side::text), 'body', m.body, 'sentAt', ${iso('m.sent_at')})
                  ORDER BY m.sent_at, m.id), '[]') FROM case_message m WHERE m.case_id = k.id))
      ORDER BY k.opened_at DESC, k.id DESC), '[]')
    FROM (SELECT * FROM after_sales_case WHERE customer_id = c.id ORDER BY opened_at DESC, id DESC LIMIT $2) k))
)))::text AS body
FROM customer c WHERE c.id = $1`,
      params: (f, v) => [v.id, v.n],
    },
  },
  {
    number: 4,
    key: 'order-by-id',
    title: 'one order by id (1,000 ids in rotation)',
    caller: 'staff customer_service (after_sales)',
    token: () => ({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'], subject: 'bench-agent' }),
    purpose: 'after_sales',
    query: `query OrderById($id: ID!) {
  order(id: $id) {
    orderNumber status totalAmount currency placedAt
    shippingAddress { recipientName city country }
    items { sku quantity }
  }
}`,
    variables: (f, i) => ({ id: rotate(f.orderIds, i) }),
    check: (data) => (data?.order?.orderNumber && data.order.items?.length > 0 ? undefined : 'expected the order with its items'),
    baseline: {
      sql: `
SELECT json_build_object('data', json_build_object('order', json_build_object(
  'orderNumber', o.order_number, 'status', upper(o.status::text), 'totalAmount', o.total_amount::text, 'currency', o.currency,
  'placedAt', ${iso('o.placed_at')},
  'shippingAddress', json_build_object('recipientName', o.ship_recipient_name, 'city', o.ship_city, 'country', o.ship_country),
  'items', (SELECT coalesce(json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity) ORDER BY i.position), '[]')
              FROM order_item i WHERE i.order_id = o.id))))::text AS body
FROM "order" o WHERE o.id = $1`,
      params: (_f, v) => [v.id],
    },
  },
  {
    number: 5,
    key: 'shipment-event',
    title: 'mutation: carrier records one scan on one of its shipments (1,000 in rotation)',
    caller: 'logistics partner A (fulfillment)',
    token: (f) => ({ kind: 'logistics_partner', partnerId: f.logisticsPartner, purposes: ['fulfillment'], subject: 'bench-carrier-a' }),
    purpose: 'fulfillment',
    query: `mutation Scan($id: ID!, $event: String!, $at: DateTimeISO!) {
  recordShipmentEvents(input: { shipmentId: $id, events: [{ eventId: $event, occurredAt: $at, location: "${BENCH_SCAN_LOCATION}", description: "sorted at hub" }] }) {
    id status
  }
}`,
    // Every request a new scan: one sent again would be recognised by its event id and not stored.
    variables: (f, i) => ({ id: rotate(f.shipmentIds, i), event: randomUUID(), at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() }),
    check: (data, v) => (data?.recordShipmentEvents?.id === v.id ? undefined : 'expected the scanned shipment back'),
    writes: true,
  },
  {
    number: 6,
    key: 'manifest-in-transit',
    // Cursors are sealed with a random IV per request, so no baseline can return the same data.
    title: 'carrier manifest filtered to parcels under way: 50 edges with cursors, scans, recipient and address',
    caller: 'logistics partner A (fulfillment)',
    token: (f) => ({ kind: 'logistics_partner', partnerId: f.logisticsPartner, purposes: ['fulfillment'], subject: 'bench-carrier-a' }),
    purpose: 'fulfillment',
    query: `query UnderWay($n: Int!) {
  shipments(first: $n, filter: { statuses: [LABEL_CREATED, IN_TRANSIT, OUT_FOR_DELIVERY] }) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id trackingNumber status
        events { occurredAt location status }
        order { orderNumber shippingAddress { recipientName line1 line2 city postalCode country phone } }
      }
    }
  }
}`,
    variables: () => ({ n: MANIFEST_SIZE }),
    shortLists: { n: 5 },
    check: (data, v) =>
      expectLength('shipments.edges', data?.shipments?.edges, v.n as number) ??
      (data.shipments.edges.every((e: any) => typeof e.cursor === 'string' && ['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY'].includes(e.node?.status) && Array.isArray(e.node.events))
        ? undefined
        : 'every edge should carry a cursor and a shipment under way with its scans'),
  },
];
