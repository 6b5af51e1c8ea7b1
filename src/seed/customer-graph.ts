/**
 * Generates one customer and everything hanging off them: address book, preference choices,
 * orders with items, shipments with carrier events, payment verifications and after-sales cases.
 *
 * Each order's story is drawn first as offsets from the moment it was placed, then anchored in
 * time, so every timestamp agrees with the order's status: an order that is still `shipped` has
 * its last scan shortly before SEED_EPOCH, a `completed` one finished weeks before it.
 * Money is computed in integer minor units and written as decimal strings.
 */
import {
  CARD_BRANDS,
  CASE_ACTIONS,
  CASE_SUBJECTS,
  COUNTRIES,
  COUNTRY_BY_CODE,
  CURRENCY_RATE_PERCENT,
  CUSTOMER_LINES,
  FIRST_NAMES,
  GENERAL_CUSTOMER_LINES,
  GENERAL_STAFF_LINES,
  HOME_COUNTRY,
  LAST_NAMES,
  PRODUCTS,
  STAFF_LINES,
  type Country,
} from './catalogue';
import type { RowSink } from './batch-insert';
import { DAY, HOUR, MINUTE, SECOND, SEED_EPOCH_MS, iso, ymd } from './clock';
import { DEMO_IDS } from './demo-ids';
import { Random, weighted } from './random';
import {
  ADDRESS,
  AFTER_SALES_CASE,
  CASE_ATTACHMENT,
  CASE_MESSAGE,
  CASE_RECORD,
  CUSTOMER,
  ORDER,
  ORDER_ITEM,
  PAYMENT_VERIFICATION,
  PREFERENCE_CONSENT,
  SHIPMENT,
  SHIPMENT_EVENT,
} from './tables';

export const ORDER_STATUSES = ['placed', 'paid', 'packed', 'shipped', 'delivered', 'completed', 'cancelled', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

type ShipmentStatus = 'pending' | 'label_created' | 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception' | 'returned';

/** Orders in these statuses are over; the rest are still moving and sit just before the epoch. */
const TERMINAL: ReadonlySet<OrderStatus> = new Set(['completed', 'cancelled', 'refunded']);

/** The moment the current policy version took effect; orders placed earlier reference the previous one. */
export const CURRENT_POLICY_PUBLISHED_MS = Date.UTC(2025, 6, 1);

/** The policy version in force at `ms`. */
export function policyVersionAt(ms: number): string {
  return ms >= CURRENT_POLICY_PUBLISHED_MS ? DEMO_IDS.policyVersion : DEMO_IDS.previousPolicyVersion;
}

/** The demo customer's fixed identity, so README examples can name them. */
const DEMO_CUSTOMER = {
  accountName: 'Jordan Demo',
  email: 'jordan.demo@example.com',
  phone: '+44 7700 900001',
  createdAtMs: Date.UTC(2024, 1, 1, 9, 30),
};

/** The minimum number of orders the demo customer gets (the customer-service benchmark reads 20). */
export const DEMO_CUSTOMER_MIN_ORDERS = 20;

const pickCountry = weighted(COUNTRIES.map((c) => [c, c.weight] as const));
const pickStatus = weighted<OrderStatus>([
  ['placed', 4], ['paid', 4], ['packed', 5], ['shipped', 8], ['delivered', 9], ['completed', 58], ['cancelled', 6], ['refunded', 6],
]);
const pickQuantity = weighted([[1, 70], [2, 20], [3, 10]] as const);
const pickMethod = weighted([['card', 60], ['wallet', 20], ['bank_transfer', 10], ['buy_now_pay_later', 10]] as const);
const pickCaseType = weighted([['consultation', 20], ['complaint', 25], ['refund', 15], ['reshipment', 15], ['return', 25]] as const);
const pickCaseStatus = weighted([['open', 20], ['waiting_on_customer', 15], ['resolved', 25], ['closed', 40]] as const);

interface Carrier {
  id: string;
  trackingPrefix: string;
  name: string;
}

const CARRIER_A: Carrier = { id: DEMO_IDS.logisticsPartners[0], trackingPrefix: 'NW', name: 'Northwind' };
const CARRIER_B: Carrier = { id: DEMO_IDS.logisticsPartners[1], trackingPrefix: 'BH', name: 'Blue Heron' };
const CARRIER_SUSPENDED: Carrier = { id: DEMO_IDS.suspendedLogisticsPartner, trackingPrefix: 'LF', name: 'Lantern' };
/** Carrier A always takes the larger share; the suspended carrier only appears on finished orders. */
const pickCarrier = weighted([[CARRIER_A, 65], [CARRIER_B, 35]] as const);
const pickCarrierOfThePast = weighted([[CARRIER_A, 62], [CARRIER_B, 33], [CARRIER_SUSPENDED, 5]] as const);

interface Provider {
  id: string;
  /** Prefix of the provider's transaction references and settlement batches. */
  prefix: string;
}

const PROVIDER_A: Provider = { id: DEMO_IDS.paymentProviders[0], prefix: 'acp' };
const PROVIDER_B: Provider = { id: DEMO_IDS.paymentProviders[1], prefix: 'glx' };
/** Provider A always handles the larger share. */
const pickProvider = weighted([[PROVIDER_A, 60], [PROVIDER_B, 40]] as const);

const AGENTS = Array.from({ length: 12 }, (_, i) => `cs-agent-${String(i + 1).padStart(2, '0')}`);

export function money(minorUnits: number): string {
  const whole = Math.floor(minorUnits / 100);
  return `${whole}.${String(minorUnits % 100).padStart(2, '0')}`;
}

function slug(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
}

interface AddressRow {
  recipientName: string;
  line1: string;
  line2: string | null;
  city: string;
  state: string | null;
  postalCode: string;
  country: string;
  phone: string;
}

interface EventPlan {
  at: number;
  status: ShipmentStatus;
  location: string;
  description: string;
}

interface ParcelPlan {
  carrier: Carrier;
  status: ShipmentStatus;
  createdAt: number;
  deliveredAt: number | null;
  events: EventPlan[];
}

interface SeededOrder {
  id: string;
  number: string;
  status: OrderStatus;
  placedAt: number;
}

export class CustomerGraph {
  private orderSeq = 0;
  private shipmentSeq = 0;
  private paymentSeq = 0;

  /**
   * @param itemCounts items of the n-th order the graph generates (a pre-drawn split of the total)
   */
  constructor(
    private readonly random: Random,
    private readonly sink: RowSink,
    private readonly itemCounts: Int32Array,
  ) {}

  /** Generates customer number `index` (0 is the demo customer) with `orderCount` orders; returns their id. */
  customer(index: number, orderCount: number): string {
    const r = this.random;
    const isDemo = index === 0;
    // Drawn for the demo customer too (then replaced by the well-known id), so every customer
    // consumes the stream alike.
    const drawnId = r.uuid();
    const id = isDemo ? DEMO_IDS.demoCustomer : drawnId;
    const country = isDemo ? COUNTRY_BY_CODE.get(HOME_COUNTRY)! : pickCountry(r);
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const accountName = isDemo ? DEMO_CUSTOMER.accountName : `${first} ${last}`;
    const email = isDemo ? DEMO_CUSTOMER.email : `${slug(first)}.${slug(last)}.${index}@${r.pick(['example.org', 'example.net'])}`;
    const phone = isDemo ? DEMO_CUSTOMER.phone : country.phone(r);
    const hasEmergency = isDemo || r.chance(0.5);
    const objects = !isDemo && r.chance(0.05);
    const createdAt = isDemo ? DEMO_CUSTOMER.createdAtMs : SEED_EPOCH_MS - r.int(60, 730) * DAY - r.int(0, 86399) * SECOND;
    this.sink.push(CUSTOMER, {
      id,
      account_name: accountName,
      email,
      phone,
      emergency_contact_name: hasEmergency ? `${r.pick(FIRST_NAMES)} ${last}` : null,
      emergency_contact_phone: hasEmergency ? country.phone(r) : null,
      preferred_language: country.language,
      status: 'active',
      analytics_objection: objects,
      created_at: iso(createdAt),
    });

    const addresses = this.addresses(id, isDemo, accountName, phone, country, createdAt);

    if (isDemo || r.chance(0.4)) {
      const choices: [string, boolean][] = [
        ['necessary', true],
        ['preferences', r.chance(0.7)],
        ['analytics', !objects && r.chance(0.6)],
      ];
      const recordedAt = createdAt + r.int(1, 3600) * SECOND;
      for (const [category, granted] of choices) {
        this.sink.push(PREFERENCE_CONSENT, {
          id: r.uuid(),
          customer_id: id,
          visitor_pseudonym: null,
          category,
          granted,
          recorded_at: iso(recordedAt),
          policy_version_id: policyVersionAt(recordedAt),
          recorded_via: 'storefront',
        });
      }
    }

    const orders: SeededOrder[] = [];
    for (let j = 0; j < orderCount; j++) {
      // The demo customer's first orders walk through every status, one split across carriers
      // and one sold on the platform, so small seeds still show every case.
      const status = isDemo && j < ORDER_STATUSES.length ? ORDER_STATUSES[j]! : pickStatus(r);
      const address = isDemo ? addresses[j % 2]! : r.chance(0.7) ? addresses[0]! : r.pick(addresses);
      orders.push(
        this.order(id, createdAt, status, address, {
          forceSplit: isDemo && j === 5,
          forcePlatform: isDemo && j === 8,
        }),
      );
    }

    if (isDemo) {
      const completed = orders.find((o) => o.status === 'completed') ?? orders[0]!;
      const delivered = orders.find((o) => o.status === 'delivered') ?? orders[orders.length - 1]!;
      this.afterSalesCase(id, createdAt, completed, { type: 'complaint', status: 'closed', messages: 4, attachments: true });
      this.afterSalesCase(id, createdAt, delivered, { type: 'return', status: 'waiting_on_customer', messages: 3 });
    } else if (r.chance(0.1)) {
      const cases = orders.length === 0 ? 1 : r.int(1, 2);
      for (let k = 0; k < cases; k++) {
        this.afterSalesCase(id, createdAt, orders.length === 0 ? null : r.pick(orders), {});
      }
    }
    return id;
  }

  private addresses(customerId: string, isDemo: boolean, accountName: string, phone: string, home: Country, createdAt: number): AddressRow[] {
    const r = this.random;
    const count = isDemo ? 2 : r.int(1, 3);
    // One customer in ten keeps no default address.
    const hasDefault = isDemo || r.chance(0.9);
    const rows: AddressRow[] = [];
    for (let k = 0; k < count; k++) {
      const country = k === 0 ? home : isDemo ? COUNTRY_BY_CODE.get('FR')! : r.chance(0.7) ? home : pickCountry(r);
      const [city, state] = r.pick(country.cities);
      const street = r.pick(country.streets);
      const number = r.int(1, 240);
      const forSomeoneElse = k > 0 && r.chance(0.3);
      const row: AddressRow = {
        recipientName: forSomeoneElse ? `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}` : accountName,
        line1: country.numberAfterStreet ? `${street} ${number}` : `${number} ${street}`,
        line2: r.chance(0.25) ? `Flat ${r.int(1, 40)}` : null,
        city,
        state,
        postalCode: country.postalCode(r),
        country: country.code,
        phone: forSomeoneElse ? country.phone(r) : phone,
      };
      rows.push(row);
      this.sink.push(ADDRESS, {
        id: r.uuid(),
        customer_id: customerId,
        recipient_name: row.recipientName,
        line1: row.line1,
        line2: row.line2,
        city: row.city,
        state: row.state,
        postal_code: row.postalCode,
        country: row.country,
        phone: row.phone,
        is_default: hasDefault && k === 0,
        created_at: iso(createdAt + r.int(0, 2 * 86400) * SECOND),
      });
    }
    return rows;
  }

  private order(
    customerId: string,
    customerCreatedAt: number,
    status: OrderStatus,
    ship: AddressRow,
    force: { forceSplit: boolean; forcePlatform: boolean },
  ): SeededOrder {
    const r = this.random;
    const seq = this.orderSeq++;
    const id = r.uuid();
    const number = `NTK-${String(seq + 1).padStart(6, '0')}`;
    const country = COUNTRY_BY_CODE.get(ship.country)!;
    const currency = country.currency;
    const international = ship.country !== HOME_COUNTRY;
    const platform = force.forcePlatform || r.chance(0.12);

    // Items, priced in the order's currency in minor units.
    const items: { name: string; hs: string; quantity: number }[] = [];
    let total = 0;
    const itemCount = this.itemCounts[seq] ?? 1;
    for (let position = 1; position <= itemCount; position++) {
      const product = r.pick(PRODUCTS);
      const specification: Record<string, string> = {};
      const codes: string[] = [product.code];
      for (const [key, values] of Object.entries(product.options)) {
        const value = r.pick(values);
        specification[key] = value;
        codes.push(value.replace(/[^A-Za-z0-9]/g, '').slice(0, 3).toUpperCase());
      }
      const quantity = pickQuantity(r);
      const unit = Math.round((product.pricePence * CURRENCY_RATE_PERCENT[currency]!) / 100);
      total += unit * quantity;
      items.push({ name: product.name, hs: product.hsCode, quantity });
      this.sink.push(ORDER_ITEM, {
        id: r.uuid(),
        order_id: id,
        position,
        sku: codes.join('-'),
        product_name: product.name,
        specification: JSON.stringify(specification),
        quantity,
        unit_price: money(unit),
      });
    }

    // The story, as offsets from the moment the order was placed.
    const paidOffset = r.int(2 * 60, 60 * 60) * SECOND;
    const packedOffset = paidOffset + r.int(4 * 3600, 40 * 3600) * SECOND;
    const parcels: ParcelPlan[] = [];
    let completedOffset: number | null = null;
    let failedPayment = false;
    const terminal = TERMINAL.has(status);
    const carrier = () => (terminal ? pickCarrierOfThePast(r) : pickCarrier(r));
    const splitOrNot = (stage: 'shipped' | 'delivered') => {
      const first = carrier();
      parcels.push(this.parcel(stage, first, packedOffset, ship));
      if (force.forceSplit || r.chance(0.1)) {
        const second = first.id === CARRIER_A.id ? CARRIER_B : CARRIER_A;
        parcels.push(this.parcel(stage, second, packedOffset, ship));
      }
    };
    switch (status) {
      case 'placed':
      case 'paid':
        break;
      case 'packed':
        parcels.push(this.parcel('packed', carrier(), packedOffset, ship));
        break;
      case 'shipped':
        splitOrNot('shipped');
        break;
      case 'delivered':
        splitOrNot('delivered');
        break;
      case 'completed':
        splitOrNot('delivered');
        completedOffset = Math.max(...parcels.map((p) => p.deliveredAt ?? 0)) + r.int(7, 14) * DAY;
        break;
      case 'cancelled':
        failedPayment = r.chance(0.3);
        completedOffset = r.int(30 * 60, 48 * 3600) * SECOND;
        break;
      case 'refunded':
        if (r.chance(0.5)) {
          parcels.push(this.parcel('returned', carrier(), packedOffset, ship));
          completedOffset = parcels[0]!.events[parcels[0]!.events.length - 1]!.at + r.int(1, 4) * DAY;
        } else {
          completedOffset = paidOffset + r.int(1, 5) * DAY;
        }
        break;
    }
    const paid = status !== 'placed' && status !== 'cancelled';
    let lastOffset = completedOffset ?? 0;
    if (paid) lastOffset = Math.max(lastOffset, paidOffset);
    for (const parcel of parcels) for (const e of parcel.events) lastOffset = Math.max(lastOffset, e.at);

    // Anchor the story: finished orders anywhere in the customer's life (ending three weeks before
    // the epoch at the latest), orders still under way shortly before the epoch.
    let placedAt: number;
    if (terminal) {
      const lo = customerCreatedAt + DAY;
      const hi = SEED_EPOCH_MS - 21 * DAY - lastOffset;
      placedAt = hi <= lo ? hi : lo + r.int(0, Math.floor((hi - lo) / SECOND)) * SECOND;
    } else {
      placedAt = SEED_EPOCH_MS - lastOffset - r.int(10 * 60, 48 * 3600) * SECOND;
    }
    placedAt -= placedAt % SECOND;

    const customs = international
      ? {
          contents: items.map((i) => `${i.quantity} x ${i.name}`).join('; ').slice(0, 500),
          value: money(total),
          hs: [...new Set(items.map((i) => i.hs))].join(','),
        }
      : { contents: null, value: null, hs: '' };
    const orderRow = {
      id,
      order_number: number,
      customer_id: customerId,
      channel: platform ? 'platform' : 'own_store',
      platform_partner_id: platform ? DEMO_IDS.platformOperator : null,
      status,
      currency,
      total_amount: money(total),
      placed_at: iso(placedAt),
      completed_at: completedOffset === null ? null : iso(placedAt + completedOffset),
      policy_version_id: policyVersionAt(placedAt),
      ship_recipient_name: ship.recipientName,
      ship_line1: ship.line1,
      ship_line2: ship.line2,
      ship_city: ship.city,
      ship_state: ship.state,
      ship_postal_code: ship.postalCode,
      ship_country: ship.country,
      ship_phone: ship.phone,
      customs_contents: customs.contents,
      customs_declared_value: customs.value,
      customs_hs_codes: customs.hs,
    };

    for (const parcel of parcels) {
      const shipmentId = r.uuid();
      const seqNo = this.shipmentSeq++;
      // Where the parcel got on its way (an exception keeps the status before it), and when its status was last scanned.
      const progress = parcel.events.filter((e) => e.status !== 'exception').at(-1)?.status ?? 'pending';
      const statusAt = parcel.events.filter((e) => e.status === parcel.status).at(-1)?.at;
      this.sink.push(SHIPMENT, {
        id: shipmentId,
        order_id: id,
        logistics_partner_id: parcel.carrier.id,
        tracking_number:
          parcel.status === 'pending' ? null : `${parcel.carrier.trackingPrefix}${r.digits(3)}${String(seqNo).padStart(9, '0')}${HOME_COUNTRY}`,
        status: parcel.status,
        progress: parcel.status === 'exception' ? progress : parcel.status,
        status_at: statusAt === undefined ? null : iso(placedAt + statusAt),
        created_at: iso(placedAt + parcel.createdAt),
        delivered_at: parcel.deliveredAt === null ? null : iso(placedAt + parcel.deliveredAt),
      });
      parcel.events.forEach((e, n) => {
        this.sink.push(SHIPMENT_EVENT, {
          id: r.uuid(),
          shipment_id: shipmentId,
          carrier_id: parcel.carrier.id,
          carrier_event_id: `${parcel.carrier.trackingPrefix}-${String(seqNo).padStart(9, '0')}-${n + 1}`,
          occurred_at: iso(placedAt + e.at),
          location: e.location,
          description: e.description,
          status: e.status,
        });
      });
    }

    const provider = paid || failedPayment ? this.payment(id, status, total, currency, placedAt, failedPayment ? r.int(2, 10) * MINUTE : paidOffset, failedPayment) : undefined;
    // The provider the checkout assigned: the one that took the payment; an order still to be
    // paid has one assigned too (without a draw, so the rest of the data stays as it was), and
    // an order cancelled before payment none.
    const assigned = provider ?? (status === 'placed' ? (seq % 5 < 3 ? PROVIDER_A : PROVIDER_B) : undefined);
    // Pushed after its shipments and payment (rows are flushed table by table, parents first).
    this.sink.push(ORDER, { ...orderRow, payment_provider_id: assigned?.id ?? null });

    return { id, number, status, placedAt };
  }

  /** One parcel's carrier story up to `stage`, as offsets from the order's placement. */
  private parcel(stage: 'packed' | 'shipped' | 'delivered' | 'returned', carrier: Carrier, packedOffset: number, ship: AddressRow): ParcelPlan {
    const r = this.random;
    const events: EventPlan[] = [];
    const depot = 'Fulfilment centre, Reading, GB';
    const destination = `${ship.city}, ${ship.country}`;
    const hub = ship.country === HOME_COUNTRY ? `${carrier.name} hub, Birmingham, GB` : `${carrier.name} export hub, London Heathrow, GB`;
    let t = packedOffset;
    if (stage === 'packed' && r.chance(0.3)) {
      events.push({ at: t, status: 'pending', location: depot, description: 'Shipment registered, awaiting label' });
      return { carrier, status: 'pending', createdAt: packedOffset, deliveredAt: null, events };
    }
    t += r.int(10 * 60, 3 * 3600) * SECOND;
    events.push({ at: t, status: 'label_created', location: depot, description: 'Label created, parcel handed to carrier' });
    if (stage === 'packed') return { carrier, status: 'label_created', createdAt: packedOffset, deliveredAt: null, events };

    t += r.int(4 * 3600, 24 * 3600) * SECOND;
    events.push({ at: t, status: 'in_transit', location: hub, description: 'Parcel sorted and in transit' });
    if (stage === 'returned') {
      t += r.int(24 * 3600, 72 * 3600) * SECOND;
      events.push({ at: t, status: 'exception', location: destination, description: 'Delivery refused by recipient' });
      t += r.int(48 * 3600, 120 * 3600) * SECOND;
      events.push({ at: t, status: 'returned', location: depot, description: 'Returned to sender' });
      return { carrier, status: 'returned', createdAt: packedOffset, deliveredAt: null, events };
    }
    if (stage === 'shipped') {
      const roll = r.int(1, 100);
      if (roll <= 60) return { carrier, status: 'in_transit', createdAt: packedOffset, deliveredAt: null, events };
      t += r.int(12 * 3600, 48 * 3600) * SECOND;
      if (roll <= 95) {
        events.push({ at: t, status: 'out_for_delivery', location: destination, description: 'Out for delivery' });
        return { carrier, status: 'out_for_delivery', createdAt: packedOffset, deliveredAt: null, events };
      }
      events.push({ at: t, status: 'exception', location: destination, description: 'Delivery attempted, recipient not available' });
      return { carrier, status: 'exception', createdAt: packedOffset, deliveredAt: null, events };
    }
    t += r.int(12 * 3600, 48 * 3600) * SECOND;
    if (r.chance(0.75)) {
      events.push({ at: t, status: 'out_for_delivery', location: destination, description: 'Out for delivery' });
      t += r.int(1 * 3600, 9 * 3600) * SECOND;
    }
    events.push({ at: t, status: 'delivered', location: destination, description: r.pick(['Delivered to recipient', 'Delivered to a neighbour', 'Left in safe place']) });
    return { carrier, status: 'delivered', createdAt: packedOffset, deliveredAt: t, events };
  }

  /** The order's payment verification; returns its provider. */
  private payment(orderId: string, status: OrderStatus, total: number, currency: string, placedAt: number, offset: number, failed: boolean): Provider {
    const r = this.random;
    const provider = pickProvider(r);
    const method = pickMethod(r);
    const seq = this.paymentSeq++;
    const paidAt = placedAt + offset;
    let paymentStatus: string;
    let settledAt: number | null = null;
    if (failed) {
      paymentStatus = 'failed';
    } else if (status === 'paid') {
      paymentStatus = r.chance(0.5) ? 'authorized' : 'captured';
    } else if (status === 'refunded') {
      paymentStatus = 'refunded';
    } else if (status === 'completed' || (status === 'delivered' && r.chance(0.3))) {
      // Settlement runs nightly at 02:00 UTC, one to three days after capture.
      const day = paidAt - (paidAt % DAY) + r.int(1, 3) * DAY;
      settledAt = day + 2 * HOUR;
      paymentStatus = status === 'completed' && r.chance(0.03) ? 'chargeback' : 'settled';
      if (settledAt >= SEED_EPOCH_MS) {
        settledAt = null;
        paymentStatus = 'captured';
      }
    } else {
      paymentStatus = 'captured';
    }
    this.sink.push(PAYMENT_VERIFICATION, {
      id: r.uuid(),
      order_id: orderId,
      provider_id: provider.id,
      provider_reference: `${provider.prefix}_${r.hex(6)}${seq.toString(36).padStart(7, '0')}`,
      method,
      card_brand: method === 'card' ? r.pick(CARD_BRANDS) : null,
      card_last4: method === 'card' ? r.digits(4) : null,
      amount: money(total),
      currency,
      status: paymentStatus,
      paid_at: failed ? null : iso(paidAt),
      settled_at: settledAt === null ? null : iso(settledAt),
      settlement_batch_ref: settledAt === null ? null : `${provider.prefix.toUpperCase()}-${ymd(settledAt)}`,
      created_at: iso(paidAt - r.int(1, 30) * SECOND),
    });
    return provider;
  }

  private afterSalesCase(
    customerId: string,
    customerCreatedAt: number,
    order: SeededOrder | null,
    fixed: { type?: string; status?: string; messages?: number; attachments?: boolean },
  ): void {
    const r = this.random;
    const id = r.uuid();
    const type = fixed.type ?? (order === null ? 'consultation' : order.status === 'refunded' ? 'refund' : pickCaseType(r));
    const status = fixed.status ?? pickCaseStatus(r);
    const from = order?.placedAt ?? customerCreatedAt;
    // Opened within three weeks of the order, and (where the order allows) four days before the epoch.
    const room = Math.max(0, Math.min(21 * DAY, SEED_EPOCH_MS - 4 * DAY - from));
    const openedAt = from + HOUR + r.int(0, Math.floor(room / SECOND)) * SECOND;
    const customerLines = order === null ? GENERAL_CUSTOMER_LINES : CUSTOMER_LINES;
    const staffLines = order === null ? GENERAL_STAFF_LINES : STAFF_LINES;
    const fill = (line: string) => (order === null ? line : line.replace('{order}', order.number));

    const messageCount = fixed.messages ?? r.int(1, 4);
    let t = openedAt;
    let firstCustomerMessage: string | null = null;
    for (let k = 0; k < messageCount; k++) {
      const messageId = r.uuid();
      const side = k % 2 === 0 ? 'customer' : 'staff';
      if (k > 0) t += r.int(10 * 60, 20 * 3600) * SECOND;
      if (k === 0) firstCustomerMessage = messageId;
      this.sink.push(CASE_MESSAGE, {
        id: messageId,
        case_id: id,
        author_side: side,
        body: fill(side === 'customer' ? r.pick(customerLines) : r.pick(staffLines)),
        sent_at: iso(t),
      });
    }
    const closedAt = status === 'closed' ? t + r.int(3600, 3 * 86400) * SECOND : null;
    this.sink.push(AFTER_SALES_CASE, {
      id,
      customer_id: customerId,
      order_id: order?.id ?? null,
      type,
      status,
      subject: r.pick(CASE_SUBJECTS[type]!),
      opened_at: iso(openedAt),
      closed_at: closedAt === null ? null : iso(closedAt),
    });

    const wantsProof = type === 'complaint' || type === 'return' || type === 'reshipment';
    if (fixed.attachments ?? (wantsProof && r.chance(0.5))) {
      const count = r.int(1, 2);
      for (let k = 0; k < count; k++) {
        const attachmentId = r.uuid();
        const kind = r.pick(['photo', 'photo', 'photo', 'video', 'document'] as const);
        const [contentType, extension, maxBytes] =
          kind === 'photo' ? ['image/jpeg', 'jpg', 6_000_000] : kind === 'video' ? ['video/mp4', 'mp4', 80_000_000] : ['application/pdf', 'pdf', 2_000_000];
        this.sink.push(CASE_ATTACHMENT, {
          id: attachmentId,
          case_id: id,
          message_id: firstCustomerMessage,
          kind,
          content_type: contentType,
          size_bytes: r.int(20_000, maxBytes),
          sha256: r.hex(32),
          storage_key: `after-sales/${id}/${attachmentId}.${extension}`,
          uploaded_at: iso(openedAt),
        });
      }
    }

    const agent = r.pick(AGENTS);
    const records: [string, string | null][] = [['assigned', `Assigned to ${agent}`]];
    if (status === 'resolved' || status === 'closed') {
      for (const action of CASE_ACTIONS[type]!) records.push([action, null]);
    }
    if (status === 'closed') records.push(['closed', 'Customer confirmed the outcome']);
    let at = openedAt + r.int(60, 3600) * SECOND;
    for (const [action, note] of records) {
      this.sink.push(CASE_RECORD, { id: r.uuid(), case_id: id, action, actor: agent, note, recorded_at: iso(at) });
      at = Math.min(at + r.int(600, 12 * 3600) * SECOND, closedAt ?? Number.MAX_SAFE_INTEGER);
    }
  }
}
