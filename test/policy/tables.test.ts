import { CLASSIFICATION, classify, isPersonalData } from '../../src/policy/classification';
import { OWNER, ROW_SOURCE, SUBJECT_OF, TABLES, type TableDeclaration } from '../../src/policy/tables';

/** Tables with personal data whose rows are about no customer, and why. */
const ABOUT_NO_CUSTOMER: Record<string, string> = {
  behavior_event: 'page views are desensitized at ingest and never linked to a customer',
  audit_seal: 'hashes over batches of audit events, and how many there are: the log as a whole',
  audit_verification: 'what a verification of the whole log found, and which staff member asked',
  retention_run: "the retention job's per-table counts: the store as a whole",
  webhook_endpoint: "a partner's own integration: where it receives notifications",
};

const tables = Object.entries(TABLES) as Array<[string, TableDeclaration]>;
const hasPersonalData = (typeName: string) => Object.keys(CLASSIFICATION[typeName] ?? {}).some((f) => isPersonalData(classify(typeName, f)));

describe('the table declarations (src/policy/tables.ts)', () => {
  it('say whose data a row is for every table whose rows carry personal data', () => {
    const missing = tables.filter(([table, d]) => d.rows.some(hasPersonalData) && !d.subject && !(table in ABOUT_NO_CUSTOMER)).map(([t]) => t);
    expect(missing).toEqual([]);
  });

  it('give every GraphQL type one table', () => {
    const types = tables.flatMap(([, d]) => [...d.rows, ...(d.embedded ?? [])]);
    expect(types.length).toBe(new Set(types).size);
    expect(Object.keys(ROW_SOURCE).sort()).toEqual([...types].sort());
  });

  it('find the subject of an embedded object on its OWNER, and of a row on the row', () => {
    expect(SUBJECT_OF.Order({ id: 'o1', customerId: 'c1' })).toEqual({ customerId: 'c1' });
    expect(SUBJECT_OF.ShipmentEvent({ id: 'e1', shipmentId: 's1' })).toEqual({ shipmentId: 's1' });
    expect(SUBJECT_OF.ShippingAddress({ line1: 'x', [OWNER]: { orderId: 'o1' } })).toEqual({ orderId: 'o1' });
    expect(SUBJECT_OF.ItemAttribute({ name: 'size' })).toBeUndefined();
    expect(SUBJECT_OF.BehaviorEvent).toBeUndefined();
    expect(SUBJECT_OF.PreferenceConsent({ customerId: null })).toBeUndefined();
  });
});
