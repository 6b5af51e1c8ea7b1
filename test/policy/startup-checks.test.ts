/**
 * The gateway refuses to start on a classification or a matrix that names something that does
 * not exist, a write no row decides, an argument nobody classified, or a link that would show a
 * row a category it does not see: each check names the problem.
 */
import type { GraphQLSchema } from 'graphql';
import { ARGUMENT_REVEALS } from '../../src/policy/arguments';
import { CLASSIFICATION, checkClassification, type TypeClassification } from '../../src/policy/classification';
import { MATRIX, type MatrixRow } from '../../src/policy/disclosure-matrix';
import { checkArguments, checkLinks, checkMatrix, checkOperations, checkPolicy } from '../../src/policy/matrix-check';
import { OPERATIONS } from '../../src/policy/operations';
import { PolicyEngine, type PolicyView } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

const withType = (name: string, fields: TypeClassification | undefined): Record<string, TypeClassification> => {
  const copy: Record<string, TypeClassification> = { ...CLASSIFICATION };
  if (fields) copy[name] = fields;
  else delete copy[name];
  return copy;
};

const logisticsRow = MATRIX.find((r) => r.principal === 'logistics_partner')!;
const withLogistics = (change: Partial<MatrixRow>): MatrixRow[] => MATRIX.map((r) => (r === logisticsRow ? { ...r, ...change } : r));

describe('checkClassification', () => {
  it('finds nothing wrong with the real classification', () => {
    expect(checkClassification(schema)).toEqual([]);
  });

  it('names an unclassified field', () => {
    const { email: _email, ...customer } = CLASSIFICATION.Customer;
    expect(checkClassification(schema, withType('Customer', customer))).toEqual(['Customer.email is not classified (src/policy/classification.ts)']);
  });

  it('names a classified field or type the schema does not have', () => {
    expect(checkClassification(schema, withType('Customer', { ...CLASSIFICATION.Customer, shoeSize: 'identity.account_name' }))).toEqual([
      'classification names Customer.shoeSize, which the schema does not have',
    ]);
    expect(checkClassification(schema, withType('Invoice', { id: 'STRUCTURE' }))).toEqual(['classification names type Invoice, which the schema does not have']);
  });

  it('names a link to reference data that does not say what the relation reveals, and a reveal that is no category or not on a link', () => {
    const { reveals: _r, ...platformPartner } = CLASSIFICATION.Order.platformPartner as { class: 'LINK'; reveals: string[] };
    expect(checkClassification(schema, withType('Order', { ...CLASSIFICATION.Order, platformPartner }))).toEqual([
      'Order.platformPartner links to reference data (Partner): say which categories the relation reveals (reveals: [...])',
    ]);
    const broken = withType('Order', { ...CLASSIFICATION.Order, status: { class: 'order.status', reveals: ['order.status'] }, platformPartner: { class: 'LINK', reveals: ['order.channel' as never] } });
    expect(checkClassification(schema, broken)).toEqual([
      'Order.status names what it reveals, but only a LINK reveals anything beyond its own category',
      'Order.platformPartner reveals "order.channel", which is not a data category (src/policy/vocabulary.ts)',
    ]);
  });

  it('names a category or a mask that does not exist', () => {
    const broken = withType('Customer', { ...CLASSIFICATION.Customer, email: { class: 'contact.fax' as never, mask: 'blur' as never } });
    expect(checkClassification(schema, broken)).toEqual([
      'Customer.email is classified "contact.fax": expected a data category (src/policy/vocabulary.ts), LINK, STRUCTURE or REFERENCE',
      'Customer.email has mask "blur": expected one of email, phone, street, postal_code, shown',
    ]);
  });
});

describe('checkMatrix', () => {
  it('finds nothing wrong with the real matrix', () => {
    expect(checkMatrix(schema)).toEqual([]);
  });

  it('names a category that does not exist', () => {
    const sees = { ...(logisticsRow.sees as object), 'contact.fax': 'visible' } as MatrixRow['sees'];
    expect(checkMatrix(schema, withLogistics({ sees }))).toEqual([
      'matrix row logistics_partner × fulfillment names category "contact.fax", which does not exist (src/policy/vocabulary.ts)',
    ]);
  });

  it('names a withheld coordinate that does not exist', () => {
    const withhold = { 'Order.customer': 'x', 'Order.buyer': 'renamed?', Shipment: 'no field' };
    expect(checkMatrix(schema, withLogistics({ withhold }))).toEqual([
      'matrix row logistics_partner × fulfillment withholds "Order.buyer", which is not a field of the schema (expected Type.field)',
      'matrix row logistics_partner × fulfillment withholds "Shipment", which is not a field of the schema (expected Type.field)',
    ]);
  });

  it('names an operation that is not a Mutation field', () => {
    expect(checkMatrix(schema, withLogistics({ operations: ['recordShipmentTracking', 'deleteCustomer', 'shipments'] }))).toEqual([
      'matrix row logistics_partner × fulfillment allows operation "deleteCustomer", which is not a Mutation field',
      'matrix row logistics_partner × fulfillment allows operation "shipments", which is not a Mutation field',
    ]);
  });

  it('names a purpose the principal may not declare, a duplicate row, an unknown row scope and a mask nothing can apply', () => {
    const broken: MatrixRow[] = [
      ...withLogistics({ purpose: 'analytics', rows: 'own_parcels' as never }),
      { principal: 'staff:data_analyst', purpose: 'analytics', sees: { 'order.reference': 'masked' }, rows: 'all', why: 'duplicate' },
    ];
    expect(checkMatrix(schema, broken)).toEqual([
      'matrix row logistics_partner × analytics: logistics_partner may not declare analytics (src/policy/vocabulary.ts allows fulfillment), so the row never applies',
      'matrix row logistics_partner × analytics: row scope "own_parcels" does not exist (src/policy/row-scope.ts)',
      'matrix row staff:data_analyst × analytics appears twice; merge the two rows',
      'matrix row staff:data_analyst × analytics masks order.reference, but no field of that category has a mask, so every one of them would be denied',
    ]);
  });

  it('names a read without the reference that is no field, withheld, an id, or on a row whose reference is optional anyway', () => {
    const officer = (r: MatrixRow) => r.principal === 'staff:compliance_officer' && r.purpose === 'data_subject_request';
    const unreferenced = ['Query.privacyRequests', 'PrivacyRequest.queue', 'Mutation.assignPrivacyRequest', 'Query.auditEvents', 'PrivacyRequest.id'];
    const broken = MATRIX.map((r) => (officer(r) ? { ...r, serves: { reference: 'privacy_request' as const, required: true, unreferenced } } : r));
    expect(checkMatrix(schema, broken)).toEqual([
      'matrix row staff:compliance_officer × data_subject_request lets "PrivacyRequest.queue" be read without its reference, which is not a field of the schema (expected Type.field; writes always need it)',
      'matrix row staff:compliance_officer × data_subject_request lets "Mutation.assignPrivacyRequest" be read without its reference, which is not a field of the schema (expected Type.field; writes always need it)',
      'matrix row staff:compliance_officer × data_subject_request lets Query.auditEvents be read without its reference, but withholds it',
      "matrix row staff:compliance_officer × data_subject_request lets PrivacyRequest.id be read without its reference: ids and paging come with their record, list the record's fields instead",
    ]);
    const optional = MATRIX.map((r) => (r.principal === 'customer' && r.purpose === 'data_subject_request' ? { ...r, serves: { reference: 'privacy_request' as const, required: false, unreferenced: ['Query.privacyRequests'] } } : r));
    expect(checkMatrix(schema, optional)).toEqual(['matrix row customer × data_subject_request lists reads without its reference, but the reference is optional anyway']);
  });

  it('names a grantable category that does not exist', () => {
    expect(checkMatrix(schema, MATRIX, ['order.reference', 'order.secrets'])).toEqual(['GRANTABLE_CATEGORIES names "order.secrets", which does not exist']);
  });
});

describe('checkPolicy', () => {
  it('finds nothing wrong with the real policy', () => {
    expect(checkPolicy(schema)).toEqual([]);
  });

  it('names rows of one purpose that serve different references', () => {
    const broken = MATRIX.map((r) => (r.principal === 'customer' && r.purpose === 'data_subject_request' ? { ...r, serves: { reference: 'legal_case' as const, required: false } } : r));
    expect(checkMatrix(schema, broken)).toEqual(['the rows of purpose data_subject_request serve different references (privacy_request, legal_case); a request names one']);
  });
});

describe('checkOperations', () => {
  it('finds nothing wrong with the real matrix and operations', () => {
    expect(checkOperations(schema)).toEqual([]);
  });

  it('names a write no row grants, unless it is listed as granted by none', () => {
    const noCarrierWrites = withLogistics({ operations: [] });
    expect(checkOperations(schema, noCarrierWrites).sort()).toEqual([
      "Mutation.recordShipmentEvents is granted by no matrix row: name it in a row's operations, or in UNGRANTED_OPERATIONS with the reason nobody may call it",
      "Mutation.recordShipmentTracking is granted by no matrix row: name it in a row's operations, or in UNGRANTED_OPERATIONS with the reason nobody may call it",
    ]);
    const ungranted = { recordShipmentEvents: 'carriers send scans by file', recordShipmentTracking: 'ditto' };
    expect(checkOperations(schema, noCarrierWrites, OPERATIONS, ungranted)).toEqual([]);
    expect(checkOperations(schema, MATRIX, OPERATIONS, { recordShipmentTracking: 'by mistake' })).toEqual([
      'Mutation.recordShipmentTracking is granted by matrix row logistics_partner × fulfillment and listed in UNGRANTED_OPERATIONS; keep one',
    ]);
  });

  it('names a row that grants a write to a principal the write cannot act for', () => {
    const broken = MATRIX.map((r) => (r.principal === 'customer' && r.purpose === 'after_sales' ? { ...r, operations: [...r.operations!, 'updateAfterSalesCase', 'recordPaymentResult'] } : r));
    expect(checkOperations(schema, broken).sort()).toEqual([
      'matrix row customer × after_sales grants recordPaymentResult, which acts for payment_provider only (src/policy/operations.ts)',
      'matrix row customer × after_sales grants updateAfterSalesCase, which acts for staff only (src/policy/operations.ts)',
    ]);
  });

  it('names a write OPERATIONS does not describe, and an entry that is no write', () => {
    const { ingestBehaviorEvents: _i, ...operations } = OPERATIONS;
    expect(checkOperations(schema, MATRIX, { ...operations, deleteCustomer: { actors: ['staff'], target: 'x' } })).toEqual([
      'Mutation.ingestBehaviorEvents is not described in OPERATIONS (src/policy/operations.ts): say whom it acts for and which records it may target',
      'src/policy/operations.ts names deleteCustomer, which is not a Mutation field',
    ]);
  });
});

describe('checkArguments', () => {
  it('finds nothing wrong with the real classification of arguments', () => {
    expect(checkArguments(schema)).toEqual([]);
  });

  it('names an argument nobody classified, one that no read has, and a revealed field that does not exist', () => {
    const { 'OrderFilter.channel': _c, ...reveals } = ARGUMENT_REVEALS;
    expect(checkArguments(schema, { ...reveals, 'OrderFilter.buyer': ['Order.customer'], 'OrderFilter.statuses': ['Order.state'] })).toEqual([
      'OrderFilter.channel (argument filter of Query.orders) is not classified (src/policy/arguments.ts): say which fields it reveals',
      'src/policy/arguments.ts: OrderFilter.statuses reveals "Order.state", which is not a field of the schema (expected Type.field)',
      'src/policy/arguments.ts classifies OrderFilter.buyer, which no argument of a read has',
    ]);
  });

  it('names a row that may read a field but not use the default value of its argument', () => {
    const broken = MATRIX.map((r) => (r.principal === 'staff:compliance_officer' && r.purpose === 'legal_compliance' ? { ...r, withhold: { 'LegalHold.releasedAt': 'test' } } : r));
    expect(checkArguments(schema, ARGUMENT_REVEALS, broken)).toEqual([
      'matrix row staff:compliance_officer × legal_compliance may read Query.legalHolds but not use the default of its argument activeOnly (Query.legalHolds(activeOnly:))',
    ]);
  });
});

describe('checkLinks', () => {
  it('finds nothing wrong with the real matrix', () => {
    expect(checkLinks(schema)).toEqual([]);
  });

  it('names the row and the link when a visible link reveals a category the row does not see', () => {
    // A decision that forgot what links reveal: the check does not rely on the decision code.
    const engine = new PolicyEngine(schema);
    const forgetful = (row: MatrixRow): PolicyView => {
      const view = engine.buildView(`test:${row.principal}|${row.purpose}`, [row]);
      return { ...view, decide: (t, f) => (t === 'Order' && f === 'platformPartner' ? 'visible' : view.decide(t, f)) };
    };
    const rows = MATRIX.filter((r) => r.principal === 'logistics_partner' || r.principal === 'staff:fulfillment' || r.principal === 'platform_operator');
    expect(checkLinks(schema, rows, forgetful)).toEqual([
      'matrix row logistics_partner × fulfillment: link Order.platformPartner is visible but reveals order.status, which the row does not see',
      'matrix row staff:fulfillment × fulfillment: link Order.platformPartner is visible but reveals order.status, which the row does not see',
    ]);
  });
});
