/**
 * The access export carries every classified field of a customer's data: for every GraphQL type
 * a privacy handler publishes, every field classified with a personal data category is in the
 * export of a customer who has such data — or is withheld by the handler with a reason, or is
 * derived from fields that are exported. A classified field added without a place in the export
 * fails here, naming it.
 */
import { CLASSIFICATION, LINK, REFERENCE, STRUCTURE, type FieldClassification } from '../../src/policy/classification';
import type { PrivacyHandler } from '../../src/privacy/handlers/privacy-handler';
import { buildPrivacyExport, type PrivacyExportDocument } from '../../src/privacy/handlers/privacy-export';
import { PRIVACY_HANDLERS } from '../../src/privacy/handlers/registry';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';

/** GraphQL coordinates whose value the export holds under another name (an entity property path). */
const EXPORTED_AS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['recipientName', 'line1', 'line2', 'city', 'state', 'postalCode', 'country', 'phone'].map((f) => [`ShippingAddress.${f}`, `shipping.${f}`])),
  ...Object.fromEntries(['contents', 'declaredValue', 'hsCodes'].map((f) => [`CustomsDeclaration.${f}`, `customs.${f}`])),
  'ItemAttribute.name': 'specification',
  'ItemAttribute.value': 'specification',
  'AuditEvent.subjectIds': 'subjectSet',
};

/** Coordinates computed from exported fields, or that are the export itself. */
const DERIVED: Readonly<Record<string, string>> = {
  'PrivacyRequest.overdue': 'dueAt and status',
  'PrivacyRequest.actions': 'type and status, with the policy of whoever reads it (not held)',
  'PrivacyExport.format': 'the document itself',
  'PrivacyExport.version': 'the document itself',
  'PrivacyExport.generatedAt': 'the document itself',
  'PrivacyExport.document': 'the document itself',
  'PrivacyExportLink.url': 'the link’s secret, which only its holder has; the section holds its hash’s row',
  'CaseAttachment.downloadUrl': 'a link issued to one caller for a few minutes, not held: the section lists each file by id, type, size and sha256',
};

const personal = (c: string | FieldClassification) => {
  const cls = typeof c === 'string' ? c : c.class;
  return cls !== LINK && cls !== STRUCTURE && cls !== REFERENCE && cls !== 'technical.aggregate';
};

/** The classified personal coordinates the export neither carries nor withholds, and those it carries but the document lacks. */
function missingFromExport(document: PrivacyExportDocument, handlers: readonly PrivacyHandler[]): string[] {
  const missing: string[] = [];
  for (const h of handlers) {
    for (const type of h.types) {
      for (const [field, c] of Object.entries(CLASSIFICATION[type] ?? {})) {
        const coordinate = `${type}.${field}`;
        if (!personal(c) || DERIVED[coordinate]) continue;
        const key = EXPORTED_AS[coordinate] ?? field;
        if (key in (h.export.withheld ?? {})) continue;
        if (!h.export.fields.includes(key)) {
          missing.push(`${coordinate}: not in the ${h.export.section} section`);
          continue;
        }
        const rows = document.sections[h.export.section] ?? [];
        const [head, tail] = key.split('.');
        if (rows.length > 0 && !rows.every((r) => (tail ? tail in ((r[head] as object) ?? {}) : key in r))) missing.push(`${coordinate}: absent from rows of ${h.export.section}`);
      }
    }
  }
  return missing;
}

describe('the access export', () => {
  let db: TestDatabase;
  let document: PrivacyExportDocument;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    // The seed gives the demo customer no request of their own: one, with a transition.
    const [{ id: requestId }] = await db.dataSource.query(
      `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at) VALUES ($1, 'access', 'completed', now(), now(), now(), now()) RETURNING id`,
      [DEMO_IDS.demoCustomer],
    );
    await db.dataSource.query(`INSERT INTO privacy_request_transition (request_id, from_status, to_status, at, actor_kind, actor) VALUES ($1, NULL, 'received', now(), 'customer', 'c')`, [requestId]);
    document = await buildPrivacyExport(db.dataSource, { customerId: DEMO_IDS.demoCustomer, requestId }, new Date());
  });
  afterAll(() => db.drop());

  it('carries every classified field of the customer’s data, or withholds it with a reason', () => {
    expect(missingFromExport(document, PRIVACY_HANDLERS)).toEqual([]);
  });

  it('has rows in the sections the demo customer has data in', () => {
    const sized = Object.fromEntries(Object.entries(document.sections).map(([k, rows]) => [k, rows.length > 0]));
    expect(sized).toMatchObject({
      account: true,
      addresses: true,
      orders: true,
      orderItems: true,
      shipments: true,
      shipmentEvents: true,
      paymentVerifications: true,
      afterSalesCases: true,
      caseMessages: true,
      consentGrants: true,
      privacyRequests: true,
      privacyRequestTransitions: true,
    });
  });

  it('names a classified field the registry forgot to export', () => {
    const forgetful = PRIVACY_HANDLERS.map((h) => (h.table === 'customer' ? { ...h, export: { ...h.export, fields: h.export.fields.filter((f) => f !== 'email') } } : h));
    expect(missingFromExport(document, forgetful)).toEqual(['Customer.email: not in the account section']);
  });

  it('never carries what a handler withholds', () => {
    const keys = (section: string) => new Set((document.sections[section] ?? []).flatMap((r) => Object.keys(r)));
    for (const h of PRIVACY_HANDLERS) {
      for (const withheld of Object.keys(h.export.withheld ?? {})) expect([h.table, keys(h.export.section).has(withheld)]).toEqual([h.table, false]);
    }
  });
});
