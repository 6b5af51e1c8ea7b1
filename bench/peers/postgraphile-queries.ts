/**
 * The benchmark's read scenarios as PostGraphile 5 (amber preset) queries over the same tables:
 * the same rows, the same columns, the same nesting, page sizes and orderings as the gateway's
 * operation, each with a function that rewrites PostGraphile's `data` into the gateway's shape.
 * The driver requires the rewritten first answer to equal the protected gateway's `data` exactly
 * (and checks a sample under load with the scenario's own check), so the two cannot drift apart
 * unnoticed.
 *
 * Where the queries differ, and why the data is still the same:
 * - the caller's scope: the gateway derives the partner from the caller's token; PostGraphile
 *   plain has no notion of a caller, so the query names the partner in `condition`;
 * - names: PostGraphile's `rowId` is the gateway's `id`, `orderByOrderId` its `order`, and the
 *   order's `ship*` columns its `shippingAddress { ... }`;
 * - nested lists are connections (`orderItemsByOrderId { nodes }`) where the gateway has lists;
 * - enum values: PostGraphile 5 keeps PostgreSQL's spelling (`in_transit`), the gateway's are
 *   upper case (`IN_TRANSIT`);
 * - timestamps: PostGraphile writes PostgreSQL's microseconds and offset
 *   (`2026-01-01T12:00:00.123456+00:00`), the gateway ISO-8601 UTC with milliseconds; the
 *   rewrite reads both as the same instant;
 * - orderings: a list below a row is ordered only by the fields its caller sees (loaders.ts
 *   `childOrderFor`): a carrier, which may not see an item's position, gets an order's items by
 *   id, so the manifest's query orders them by `ROW_ID_ASC`.
 */
import type { DevTokenOptions } from '../../src/auth/dev-token';
import type { Fixtures } from '../scenarios';

export interface PeerQuery {
  query: string;
  /** The variables of the request the gateway answers with `gatewayVariables`. */
  variables(fixtures: Fixtures, gatewayVariables: Record<string, unknown>): Record<string, unknown>;
  /**
   * For PostGraphile with row-level security, where the policies scope the rows: the query
   * without the partner `condition` (absent: the same query and variables).
   */
  rls?: Pick<PeerQuery, 'query' | 'variables'>;
  /** PostGraphile's `data` in the gateway's shape. */
  toGateway(data: any): unknown;
}

/**
 * The caller's row scope as the headers PostGraphile with RLS reads into `ntk.scope` and
 * `ntk.partner` (bench/peers/postgraphile/rls.sql): the scope kinds the disclosure matrix gives
 * the benchmark's callers for their purposes.
 */
export function rlsHeaders(token: DevTokenOptions): Record<string, string> {
  if (token.kind === 'logistics_partner' && token.partnerId) return { 'x-bench-scope': 'own_shipments', 'x-bench-partner': token.partnerId };
  if (token.kind === 'payment_provider' && token.partnerId) return { 'x-bench-scope': 'own_payments', 'x-bench-partner': token.partnerId };
  if (token.kind === 'staff' && token.roles?.includes('customer_service')) return { 'x-bench-scope': 'all' };
  throw new Error(`no row-level-security scope for a ${token.kind} caller`);
}

const MANIFEST_NODES = `nodes {
      rowId trackingNumber status
      orderByOrderId {
        orderNumber
        shipRecipientName shipLine1 shipLine2 shipCity shipState shipPostalCode shipCountry shipPhone
        orderItemsByOrderId(orderBy: ROW_ID_ASC) { nodes { productName quantity } }
      }
    }`;
const SETTLEMENT_NODES = 'nodes { providerReference amount currency status settledAt settlementBatchRef orderByOrderId { orderNumber } }';

/** A Datetime as the gateway's DateTimeISO writes it; PostgreSQL keeps microseconds, both show milliseconds. */
const iso = (value: string | null): string | null => (value === null ? null : new Date(value).toISOString());

/** An enum value as the gateway names it: PostGraphile 5 keeps PostgreSQL's spelling (`in_transit`), the gateway's enums are upper case. */
const upper = (value: string | null): string | null => (value === null ? null : value.toUpperCase());

const nodes = <T, R>(connection: { nodes: T[] }, f: (node: T) => R): R[] => connection.nodes.map(f);

export const POSTGRAPHILE_QUERIES: Readonly<Record<number, PeerQuery>> = {
  1: {
    query: `query Manifest($partner: UUID!, $n: Int!) {
  allShipments(condition: { logisticsPartnerId: $partner }, orderBy: [CREATED_AT_DESC, ROW_ID_DESC], first: $n) {
    ${MANIFEST_NODES}
  }
}`,
    variables: (f, v) => ({ partner: f.logisticsPartner, n: v.n }),
    rls: {
      query: `query Manifest($n: Int!) {
  allShipments(orderBy: [CREATED_AT_DESC, ROW_ID_DESC], first: $n) {
    ${MANIFEST_NODES}
  }
}`,
      variables: (_f, v) => ({ n: v.n }),
    },
    toGateway: (data) => ({
      shipments: {
        nodes: nodes(data.allShipments, (s: any) => ({
          id: s.rowId,
          trackingNumber: s.trackingNumber,
          status: upper(s.status),
          order: {
            orderNumber: s.orderByOrderId.orderNumber,
            shippingAddress: {
              recipientName: s.orderByOrderId.shipRecipientName,
              line1: s.orderByOrderId.shipLine1,
              line2: s.orderByOrderId.shipLine2,
              city: s.orderByOrderId.shipCity,
              state: s.orderByOrderId.shipState,
              postalCode: s.orderByOrderId.shipPostalCode,
              country: s.orderByOrderId.shipCountry,
              phone: s.orderByOrderId.shipPhone,
            },
            items: nodes(s.orderByOrderId.orderItemsByOrderId, (i: any) => ({ productName: i.productName, quantity: i.quantity })),
          },
        })),
      },
    }),
  },
  2: {
    query: `query Settlements($provider: UUID!, $n: Int!) {
  allPaymentVerifications(condition: { providerId: $provider }, orderBy: [CREATED_AT_DESC, ROW_ID_DESC], first: $n) {
    ${SETTLEMENT_NODES}
  }
}`,
    variables: (f, v) => ({ provider: f.paymentProvider, n: v.n }),
    rls: {
      query: `query Settlements($n: Int!) {
  allPaymentVerifications(orderBy: [CREATED_AT_DESC, ROW_ID_DESC], first: $n) {
    ${SETTLEMENT_NODES}
  }
}`,
      variables: (_f, v) => ({ n: v.n }),
    },
    toGateway: (data) => ({
      paymentVerifications: {
        nodes: nodes(data.allPaymentVerifications, (p: any) => ({
          providerReference: p.providerReference,
          amount: p.amount,
          currency: p.currency,
          status: upper(p.status),
          settledAt: iso(p.settledAt),
          settlementBatchRef: p.settlementBatchRef,
          order: { orderNumber: p.orderByOrderId.orderNumber },
        })),
      },
    }),
  },
  3: {
    query: `query CustomerService($id: UUID!, $n: Int!) {
  customerByRowId(rowId: $id) {
    accountName email phone
    ordersByCustomerId(first: $n, orderBy: [PLACED_AT_DESC, ROW_ID_DESC]) {
      nodes {
        orderNumber status totalAmount placedAt
        orderItemsByOrderId(orderBy: POSITION_ASC) { nodes { sku productName quantity unitPrice } }
        shipmentsByOrderId(orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { nodes { trackingNumber status } }
      }
    }
    afterSalesCasesByCustomerId(first: $n, orderBy: [OPENED_AT_DESC, ROW_ID_DESC]) {
      nodes {
        subject type status openedAt
        caseMessagesByCaseId(orderBy: [SENT_AT_ASC, ROW_ID_ASC]) { nodes { authorSide body sentAt } }
      }
    }
  }
}`,
    variables: (_f, v) => ({ id: v.id, n: v.n }),
    toGateway: (data) => {
      const c = data.customerByRowId;
      if (c === null) return { customer: null };
      return {
        customer: {
          accountName: c.accountName,
          email: c.email,
          phone: c.phone,
          orders: {
            nodes: nodes(c.ordersByCustomerId, (o: any) => ({
              orderNumber: o.orderNumber,
              status: upper(o.status),
              totalAmount: o.totalAmount,
              placedAt: iso(o.placedAt),
              items: nodes(o.orderItemsByOrderId, (i: any) => ({ sku: i.sku, productName: i.productName, quantity: i.quantity, unitPrice: i.unitPrice })),
              shipments: nodes(o.shipmentsByOrderId, (s: any) => ({ trackingNumber: s.trackingNumber, status: upper(s.status) })),
            })),
          },
          afterSalesCases: {
            nodes: nodes(c.afterSalesCasesByCustomerId, (k: any) => ({
              subject: k.subject,
              type: upper(k.type),
              status: upper(k.status),
              openedAt: iso(k.openedAt),
              messages: nodes(k.caseMessagesByCaseId, (m: any) => ({ authorSide: upper(m.authorSide), body: m.body, sentAt: iso(m.sentAt) })),
            })),
          },
        },
      };
    },
  },
  4: {
    query: `query OrderById($id: UUID!) {
  orderByRowId(rowId: $id) {
    orderNumber status totalAmount currency placedAt
    shipRecipientName shipCity shipCountry
    orderItemsByOrderId(orderBy: POSITION_ASC) { nodes { sku quantity } }
  }
}`,
    variables: (_f, v) => ({ id: v.id }),
    toGateway: (data) => {
      const o = data.orderByRowId;
      if (o === null) return { order: null };
      return {
        order: {
          orderNumber: o.orderNumber,
          status: upper(o.status),
          totalAmount: o.totalAmount,
          currency: o.currency,
          placedAt: iso(o.placedAt),
          shippingAddress: { recipientName: o.shipRecipientName, city: o.shipCity, country: o.shipCountry },
          items: nodes(o.orderItemsByOrderId, (i: any) => ({ sku: i.sku, quantity: i.quantity })),
        },
      };
    },
  },
};

/** Where two JSON values first differ, as a path (`$.shipments.nodes[3].order`), or null when equal; never the values. */
export function firstDifference(a: unknown, b: unknown, at = '$'): string | null {
  if (Object.is(a, b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at} (${a.length} against ${b.length} entries)`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (!(k in a) || !(k in b)) return `${at}.${k} (present on one side only)`;
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return at;
}
