/**
 * The gateway refuses to start on a classification or a matrix that names something that does
 * not exist: each check names the problem.
 */
import type { GraphQLSchema } from 'graphql';
import { CLASSIFICATION, checkClassification, type TypeClassification } from '../../src/policy/classification';
import { MATRIX, type MatrixRow } from '../../src/policy/disclosure-matrix';
import { checkMatrix } from '../../src/policy/matrix-check';
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

  it('names a grantable category that does not exist', () => {
    expect(checkMatrix(schema, MATRIX, ['order.reference', 'order.secrets'])).toEqual(['GRANTABLE_CATEGORIES names "order.secrets", which does not exist']);
  });
});
