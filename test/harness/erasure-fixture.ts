/**
 * A customer whose erasure has something of every kind to do: an address book; an order finished
 * four years ago (past its retention window) with items, a tracked shipment, scans, a card payment
 * and a closed after-sales case with a message, an attachment and a record; an order shipped last
 * week (inside its window); an order finished five years ago under a legal hold; a consent grant
 * in force; cookie choices. Written with SQL, so what erasure must do is known independently.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DEMO_IDS } from '../../src/seed/demo-ids';

export interface ErasureFixture {
  customerId: string;
  email: string;
  /** Finished four years ago: erased (anonymized), its case deleted. */
  pastOrder: string;
  pastCase: string;
  /** Shipped last week: kept and restricted (retention). */
  openOrder: string;
  /** Finished five years ago, under a legal hold: kept and restricted (legal_hold). */
  heldOrder: string;
  grantId: string;
}

export async function createErasureFixture(ds: DataSource): Promise<ErasureFixture> {
  const tag = randomUUID().slice(0, 8);
  const email = `erase-me-${tag}@example.com`;
  const [{ id: customerId }] = await ds.query(
    `INSERT INTO customer (account_name, email, phone, emergency_contact_name, emergency_contact_phone, preferred_language)
     VALUES ('Erin Erasable', $1, '+44 20 7946 0101', 'Eddie Erasable', '+44 20 7946 0102', 'en-GB') RETURNING id`,
    [email],
  );
  await ds.query(
    `INSERT INTO address (customer_id, recipient_name, line1, city, postal_code, country, phone, is_default)
     VALUES ($1, 'Erin Erasable', '1 Old Road', 'Bath', 'BA1 1AA', 'GB', '+44 20 7946 0101', true),
            ($1, 'Erin Erasable', '2 Work Street', 'Bristol', 'BS1 1AA', 'GB', '+44 20 7946 0101', false)`,
    [customerId],
  );
  const order = async (number: string, status: string, placedAt: string, completedAt: string | null): Promise<string> => {
    const [{ id }] = await ds.query(
      `INSERT INTO "order" (order_number, customer_id, channel, status, currency, total_amount, placed_at, completed_at,
                            ship_recipient_name, ship_line1, ship_city, ship_postal_code, ship_country, ship_phone, policy_version_id)
       VALUES ($1, $2, 'own_store', $3, 'GBP', 42.00, $4, $5, 'Erin Erasable', '1 Old Road', 'Bath', 'BA1 1AA', 'GB', '+44 20 7946 0101', $6) RETURNING id`,
      [number, customerId, status, placedAt, completedAt, DEMO_IDS.policyVersion],
    );
    await ds.query(`INSERT INTO order_item (order_id, position, sku, product_name, quantity, unit_price) VALUES ($1, 1, 'SKU-1', 'Trail boots', 1, 42.00)`, [id]);
    const [{ id: shipmentId }] = await ds.query(
      `INSERT INTO shipment (order_id, logistics_partner_id, tracking_number, status, progress) VALUES ($1, $2, $3, 'delivered', 'delivered') RETURNING id`,
      [id, DEMO_IDS.logisticsPartners[0], `TRK-${number}`],
    );
    await ds.query(
      `INSERT INTO shipment_event (shipment_id, carrier_id, carrier_event_id, occurred_at, location, description) VALUES ($1, $2, $3, $4, 'Bath depot', 'Delivered to Erin')`,
      [shipmentId, DEMO_IDS.logisticsPartners[0], `ev-${number}`, placedAt],
    );
    await ds.query(
      `INSERT INTO payment_verification (order_id, provider_id, provider_reference, method, card_brand, card_last4, amount, currency, status)
       VALUES ($1, $2, $3, 'card', 'visa', '4242', 42.00, 'GBP', 'settled')`,
      [id, DEMO_IDS.paymentProviders[0], `ref-${number}`],
    );
    return id;
  };
  const years = (n: number) => new Date(Date.now() - n * 365.25 * 86400_000).toISOString();
  const pastOrder = await order(`ER-${tag}-1`, 'completed', years(4.1), years(4));
  const openOrder = await order(`ER-${tag}-2`, 'shipped', new Date(Date.now() - 7 * 86400_000).toISOString(), null);
  const heldOrder = await order(`ER-${tag}-3`, 'completed', years(5.1), years(5));
  await ds.query(
    `INSERT INTO legal_hold (scope, order_id, reason, case_reference, placed_by, placed_at) VALUES ('order', $1, 'disputed payment', $2, 'officer-1', now())`,
    [heldOrder, `LC-${tag}`],
  );
  const [{ id: pastCase }] = await ds.query(
    `INSERT INTO after_sales_case (customer_id, order_id, type, status, subject, opened_at, closed_at) VALUES ($1, $2, 'complaint', 'closed', 'Boots too small', $3, $4) RETURNING id`,
    [customerId, pastOrder, years(4), years(3.9)],
  );
  const [{ id: messageId }] = await ds.query(`INSERT INTO case_message (case_id, author_side, body, sent_at) VALUES ($1, 'customer', 'My boots are too small', $2) RETURNING id`, [pastCase, years(4)]);
  await ds.query(
    `INSERT INTO case_attachment (case_id, message_id, kind, content_type, size_bytes, sha256, storage_key, uploaded_at) VALUES ($1, $2, 'photo', 'image/jpeg', 1234, repeat('c', 64), $3, $4)`,
    [pastCase, messageId, `after-sales/${pastCase}/${randomUUID()}`, years(4)],
  );
  await ds.query(`INSERT INTO case_record (case_id, action, actor, note, recorded_at) VALUES ($1, 'refund', 'agent-7', 'refunded', $2)`, [pastCase, years(3.9)]);
  const [{ id: grantId }] = await ds.query(
    `INSERT INTO consent_grant (customer_id, grantee_partner_id, categories, purpose, granted_at, expires_at) VALUES ($1, $2, '{order.status}', 'authorized_sharing', now(), now() + interval '30 days') RETURNING id`,
    [customerId, DEMO_IDS.thirdParty],
  );
  await ds.query(
    `INSERT INTO preference_consent (customer_id, category, granted, recorded_at, policy_version_id, recorded_via) VALUES ($1, 'analytics', true, now(), $2, 'customer')`,
    [customerId, DEMO_IDS.policyVersion],
  );
  return { customerId, email, pastOrder, pastCase, openOrder, heldOrder, grantId };
}

/** Every table but the audit log's, as one comparable value: equal digests, equal data. */
export async function dataDigest(ds: DataSource): Promise<Record<string, string>> {
  const tables: Array<{ name: string }> = await ds.query(
    // The log's own tables change with every event; a verification's result is data a write makes.
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND (tablename NOT LIKE 'audit\\_%' OR tablename = 'audit_verification') AND tablename <> 'schema_migration' ORDER BY 1`,
  );
  const digest: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await ds.query(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS d FROM "${name}" t`);
    digest[name] = row.d;
  }
  return digest;
}
