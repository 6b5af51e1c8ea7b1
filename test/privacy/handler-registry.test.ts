/**
 * Every table that holds personal data has a privacy handler, and the registry names only what
 * exists: the gateway refuses to start otherwise, naming the table (design §6).
 */
import { Column, Entity, ManyToOne, JoinColumn, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../../src/domains/customers/customer.entity';
import { ENTITIES } from '../../src/data-source';
import { CLASSIFICATION, type FieldClassification } from '../../src/policy/classification';
import { DATA_CATEGORIES } from '../../src/policy/vocabulary';
import { subjectCondition, type PrivacyHandler } from '../../src/privacy/handlers/privacy-handler';
import { entityShape } from '../../src/privacy/handlers/entity-shape';
import { checkPrivacyRegistry } from '../../src/privacy/handlers/registry-check';
import { HANDLERS_BY_TABLE, NOT_PERSONAL, PRIVACY_HANDLERS } from '../../src/privacy/handlers/registry';

/** A table a developer adds without a handler: it refers to a customer. */
@Entity('loyalty_card')
class LoyaltyCardEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid') customerId!: string;
  @ManyToOne(() => CustomerEntity)
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;
  @Column({ type: 'varchar', length: 40 }) cardNumber!: string;
}

const handler = (table: string): PrivacyHandler => PRIVACY_HANDLERS.find((h) => h.table === table)!;
const replace = (table: string, change: Partial<PrivacyHandler>): PrivacyHandler[] => PRIVACY_HANDLERS.map((h) => (h.table === table ? { ...h, ...change } : h));

describe('the privacy-handler registry', () => {
  it('covers every registered entity, and names only what exists', () => {
    expect(checkPrivacyRegistry(ENTITIES, PRIVACY_HANDLERS, NOT_PERSONAL)).toEqual([]);
  });

  it('registers every table holding a customer reference with a handler', () => {
    const withCustomerColumn = ENTITIES.map(entityShape).filter((s) => s.columns.includes('customer_id')).map((s) => s.table).sort();
    expect(withCustomerColumn).toEqual(['address', 'after_sales_case', 'audit_event', 'consent_grant', 'legal_hold', 'mail_outbox', 'order', 'preference_consent', 'privacy_request']);
    for (const table of withCustomerColumn) expect(HANDLERS_BY_TABLE.has(table)).toBe(true);
  });

  it('names a new table that refers to a customer and has no handler', () => {
    expect(checkPrivacyRegistry([...ENTITIES, LoyaltyCardEntity], PRIVACY_HANDLERS, NOT_PERSONAL)).toEqual([
      'table loyalty_card refers to a customer but has no privacy handler (src/privacy/handlers/registry.ts): declare its handler, or why it holds no personal data',
    ]);
  });

  it('names a table that was dropped from the registry', () => {
    const without = PRIVACY_HANDLERS.filter((h) => h.table !== 'case_message');
    expect(checkPrivacyRegistry(ENTITIES, without, NOT_PERSONAL)).toEqual([
      'table case_message refers to a customer but has no privacy handler (src/privacy/handlers/registry.ts): declare its handler, or why it holds no personal data',
      'GraphQL type CaseMessage has classified personal fields (authorSide, body, sentAt) but no table of the privacy registry names it',
    ]);
  });

  it('refuses a table with a customer reference listed as holding no personal data', () => {
    const notPersonal = [...NOT_PERSONAL, { table: 'loyalty_card', entity: LoyaltyCardEntity, types: [], reason: 'just numbers' }];
    expect(checkPrivacyRegistry([...ENTITIES, LoyaltyCardEntity], PRIVACY_HANDLERS, notPersonal)).toEqual([
      'table loyalty_card refers to a customer, so it needs a privacy handler, not a place among the tables without personal data',
    ]);
  });

  it('names the personal fields of a webhook delivery when its handler is dropped: what a partner was told about a customer is personal', () => {
    // The table names no customer column (its resource is a shipment or a payment verification),
    // so the classification is what says its rows are about a customer.
    const without = PRIVACY_HANDLERS.filter((h) => h.table !== 'webhook_delivery');
    expect(checkPrivacyRegistry(ENTITIES, without, NOT_PERSONAL)).toEqual([
      'table webhook_delivery holds no declared data but has no privacy handler (src/privacy/handlers/registry.ts): declare its handler, or why it holds no personal data',
      'GraphQL type WebhookDelivery has classified personal fields (eventId, eventType, resourceId, occurredAt, status, attempts, lastAttemptAt, deliveredAt) but no table of the privacy registry names it',
    ]);
  });

  it('classifies what a webhook endpoint is and how it answered as the partner’s, and what a delivery told as the customer’s', () => {
    expect(CLASSIFICATION.WebhookEndpoint).toMatchObject({ url: 'integration.webhook', purpose: 'integration.webhook' });
    expect(CLASSIFICATION.WebhookEndpointSecret).toMatchObject({ secret: 'integration.webhook' });
    expect(CLASSIFICATION.WebhookDelivery).toMatchObject({
      resourceId: 'integration.delivery',
      eventType: 'integration.delivery',
      occurredAt: 'integration.delivery',
      lastResponseStatus: 'integration.webhook',
      lastError: 'integration.webhook',
    });
  });

  it('names a classified type with personal fields that no table publishes', () => {
    const classification = { ...CLASSIFICATION, Invoice: { id: 'STRUCTURE' as const, billingName: 'identity.account_name' as const } };
    expect(checkPrivacyRegistry(ENTITIES, PRIVACY_HANDLERS, NOT_PERSONAL, classification)).toEqual([
      'GraphQL type Invoice has classified personal fields (billingName) but no table of the privacy registry names it',
    ]);
  });

  it('names a column the export neither carries nor withholds, and fields that do not exist', () => {
    const customer = handler('customer');
    const fields = customer.export.fields.filter((f) => f !== 'email').concat(['shoeSize']);
    expect(checkPrivacyRegistry(ENTITIES, replace('customer', { export: { ...customer.export, fields } }), NOT_PERSONAL)).toEqual([
      'privacy handler customer: export names shoeSize, which the entity does not have',
      'privacy handler customer: column email is neither exported nor withheld with a reason',
    ]);
  });

  it('names erase, rectify and subject columns the table does not have', () => {
    const broken = replace('address', {
      subject: { kind: 'parent', column: 'owner_id', parent: 'wallet' },
      rectify: [{ input: 'zip', column: 'zip' }],
      erase: { action: 'anonymize', columns: { street: null } },
    });
    expect(checkPrivacyRegistry(ENTITIES, broken, NOT_PERSONAL)).toEqual([
      // With the subject path broken, the customer column is no longer the subject.
      'privacy handler address: column customerId is neither exported nor withheld with a reason',
      'privacy handler address: names column zip, which the table does not have',
      'privacy handler address: names column street, which the table does not have',
      'privacy handler address: its subject path names column owner_id, which the table does not have',
      'privacy handler address: its subject path leads to wallet, which has no privacy handler',
    ]);
  });

  it('sees embedded columns under their prefix', () => {
    const order = entityShape(ENTITIES.find((e) => e.name === 'OrderEntity')!);
    expect(order.properties).toEqual(expect.arrayContaining(['shipping.recipientName', 'customs.hsCodes']));
    expect(order.columns).toEqual(expect.arrayContaining(['ship_recipient_name', 'customs_hs_codes']));
  });

  it('reaches the customer through parents in SQL', () => {
    expect(subjectCondition(HANDLERS_BY_TABLE, 'shipment_event', 't', '$1')).toBe(
      't.shipment_id IN (SELECT p1.id FROM "shipment" p1 WHERE p1.order_id IN (SELECT p2.id FROM "order" p2 WHERE p2.customer_id = $1))',
    );
    expect(subjectCondition(HANDLERS_BY_TABLE, 'customer', 't', '$1')).toBe('t.id = $1');
  });

  it("names, on the export's link, every category of the customer's data the export holds, so that only a caller seeing all of them reads it", () => {
    // The sections' types and their fields' categories; the audit records, notifications and
    // their delivery state are in the export by the right of access, and are not the link's to name.
    const held = new Set<string>();
    for (const h of PRIVACY_HANDLERS.filter((h) => h.export)) {
      for (const type of h.types) {
        for (const c of Object.values(CLASSIFICATION[type] ?? {})) {
          const category = typeof c === 'string' ? c : c.class;
          if ((DATA_CATEGORIES as readonly string[]).includes(category)) held.add(category);
        }
      }
    }
    for (const byRight of ['audit.record', 'integration.delivery', 'integration.webhook']) held.delete(byRight);
    expect([...((CLASSIFICATION.Query.privacyExport as FieldClassification).reveals ?? [])].sort()).toEqual([...held].sort());
  });
});
