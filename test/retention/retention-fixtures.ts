/**
 * Orders with everything that hangs on them, written by hand at chosen moments, for the
 * retention tests: the clock is the test's (`asOf`), and these orders sit where it puts them.
 */
import type { DataSource } from 'typeorm';
import type { RetentionResult } from '../../src/retention/retention-job';
import type { RetentionReport } from '../../src/retention/retention-report';
import { DEMO_IDS } from '../../src/seed/demo-ids';

export const DAY = 24 * 3600 * 1000;
export const YEAR = 365 * DAY;

export interface OrderFixture {
  id: string;
  customerId: string;
  placedAt: Date;
  /** `delivered` waits for the lifecycle job; `completed` is given its completion time. */
  status: 'delivered' | 'completed' | 'shipped';
  deliveredAt: Date;
  completedAt?: Date;
  /** An after-sales case on the order: closed then, or still open (null). */
  caseClosedAt?: Date | null;
}

/** The partners and the policy version the fixtures name, for a test that does without the demo seed. */
export async function referenceRows(ds: DataSource): Promise<void> {
  await ds.query(`INSERT INTO partner (id, kind, name) VALUES ($1, 'logistics', 'Carrier A'), ($2, 'payment', 'Payments A')`, [
    DEMO_IDS.logisticsPartners[0],
    DEMO_IDS.paymentProviders[0],
  ]);
  await ds.query(`INSERT INTO policy_version (version, published_at, effective_at, sha256) VALUES ('1', '2000-01-01Z', '2000-01-01Z', $1)`, ['0'.repeat(64)]);
}

/** A customer of their own (name and email from the id), so holds on one leave the others alone. */
export async function insertCustomer(ds: DataSource, id: string, createdAt: Date): Promise<void> {
  await ds.query(`INSERT INTO customer (id, account_name, email, phone, created_at) VALUES ($1, $2, $3, '+44 7700 900123', $4)`, [
    id,
    `Customer ${id.slice(-4)}`,
    `c-${id}@example.com`,
    createdAt,
  ]);
}

export async function insertOrder(ds: DataSource, o: OrderFixture): Promise<void> {
  const serial = o.id.slice(-12);
  await ds.query(
    `INSERT INTO "order" (id, order_number, customer_id, channel, status, currency, total_amount, placed_at, completed_at,
        ship_recipient_name, ship_line1, ship_line2, ship_city, ship_state, ship_postal_code, ship_country, ship_phone, customs_contents)
     VALUES ($1, $2, $3, 'own_store', $4, 'GBP', 42.50, $5, $6, 'Ada Recipient', '1 Test Street', 'Flat 2', 'Leeds', 'West Yorkshire', 'LS1 1AA', 'GB', '+44 7700 900999', 'Boots')`,
    [o.id, `RT-${serial}`, o.customerId, o.status, o.placedAt, o.completedAt ?? null],
  );
  await ds.query(`INSERT INTO order_item (order_id, position, sku, product_name, specification, quantity, unit_price) VALUES ($1, 1, 'SKU-1', 'Trail boots', '{"size":"42"}', 1, 42.50)`, [o.id]);
  const [{ id: shipmentId }] = await ds.query(
    `INSERT INTO shipment (order_id, logistics_partner_id, tracking_number, status, progress, status_at, created_at, delivered_at)
     VALUES ($1, $2, $3, 'delivered', 'delivered', $4, $5, $4) RETURNING id`,
    [o.id, DEMO_IDS.logisticsPartners[0], `TRK${serial}GB`, o.deliveredAt, o.placedAt],
  );
  await ds.query(
    `INSERT INTO shipment_event (shipment_id, carrier_id, carrier_event_id, occurred_at, location, description, status)
     VALUES ($1, $2, $3, $4, 'Leeds depot', 'In transit', 'in_transit'), ($1, $2, $5, $6, 'Leeds', 'Delivered to recipient', 'delivered')`,
    [shipmentId, DEMO_IDS.logisticsPartners[0], `ev-${serial}-1`, new Date(o.deliveredAt.getTime() - DAY), `ev-${serial}-2`, o.deliveredAt],
  );
  await ds.query(
    `INSERT INTO payment_verification (order_id, provider_id, provider_reference, method, card_brand, card_last4, amount, currency, status, paid_at, settled_at, created_at)
     VALUES ($1, $2, $3, 'card', 'visa', '4242', 42.50, 'GBP', 'settled', $4, $4, $4)`,
    [o.id, DEMO_IDS.paymentProviders[0], `psp-${serial}`, o.placedAt],
  );
  if (o.caseClosedAt !== undefined) {
    const opened = new Date(o.deliveredAt.getTime() + DAY);
    const [{ id: caseId }] = await ds.query(
      `INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at, closed_at) VALUES ($1, $2, 'complaint', $3, 'Scuffed boots', $4, $5) RETURNING id`,
      [o.customerId, o.id, o.caseClosedAt === null ? 'open' : 'closed', opened, o.caseClosedAt],
    );
    await ds.query(`INSERT INTO case_message (case_id, author_side, body, sent_at) VALUES ($1, 'customer', 'The left boot is scuffed', $2), ($1, 'staff', 'Sorry about that', $2)`, [
      caseId,
      opened,
    ]);
    await ds.query(`INSERT INTO case_record (case_id, action, actor, note, recorded_at) VALUES ($1, 'opened', 'agent-7', NULL, $2)`, [caseId, opened]);
  }
}

/** Every row the retention job can touch for the given orders, in a stable order: the state to compare. */
export async function stateOf(ds: DataSource, orderIds: readonly string[]): Promise<Record<string, unknown[]>> {
  const q = (sql: string) => ds.query(sql, [orderIds]);
  return {
    order: await q(`SELECT id, status, completed_at, retain_until, retention_applied_at, ship_recipient_name, ship_line1, ship_line2, ship_city, ship_state, ship_postal_code, ship_phone, customs_contents
                    FROM "order" WHERE id = ANY($1) ORDER BY id`),
    order_item: await q(`SELECT order_id, sku, product_name, quantity FROM order_item WHERE order_id = ANY($1) ORDER BY order_id`),
    shipment: await q(`SELECT order_id, tracking_number, status FROM shipment WHERE order_id = ANY($1) ORDER BY order_id`),
    shipment_event: await q(`SELECT s.order_id, e.carrier_event_id FROM shipment_event e JOIN shipment s ON s.id = e.shipment_id WHERE s.order_id = ANY($1) ORDER BY 1, 2`),
    payment_verification: await q(`SELECT order_id, card_brand, card_last4, amount FROM payment_verification WHERE order_id = ANY($1) ORDER BY order_id`),
    after_sales_case: await q(`SELECT order_id, status, closed_at, retain_until FROM after_sales_case WHERE order_id = ANY($1) ORDER BY order_id`),
    case_message: await q(`SELECT c.order_id, m.body FROM case_message m JOIN after_sales_case c ON c.id = m.case_id WHERE c.order_id = ANY($1) ORDER BY 1, 2`),
    case_record: await q(`SELECT c.order_id, r.action FROM case_record r JOIN after_sales_case c ON c.id = r.case_id WHERE c.order_id = ANY($1) ORDER BY 1, 2`),
  };
}

/** The report of a run that ran; a run that did not is a failure of the test. */
export function reportOf(result: RetentionResult): RetentionReport {
  if (!result.ran) throw new Error(`expected the job to run, got: ${result.reason}`);
  return result.report;
}
