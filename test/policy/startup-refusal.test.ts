/**
 * createGateway runs the matrix check: with a matrix that names a category, a field and an
 * operation that do not exist, the gateway does not start, and says why.
 */
import type { DataSource } from 'typeorm';
import { createLogger } from '../../src/platform/logger';
import { createGateway } from '../../src/server';

jest.mock('../../src/policy/disclosure-matrix', () => {
  const actual = jest.requireActual('../../src/policy/disclosure-matrix');
  return {
    ...actual,
    MATRIX: actual.MATRIX.map((row: { principal: string }) =>
      row.principal === 'logistics_partner'
        ? { ...row, sees: { 'contact.fax': 'visible' }, withhold: { 'Order.buyer': 'renamed' }, operations: ['deleteCustomer'] }
        : row,
    ),
  };
});

it('refuses to start on a broken matrix, naming each problem', async () => {
  const start = createGateway({
    dataSource: {} as DataSource,
    logger: createLogger('silent'),
    secrets: { behaviorPseudonymKey: 'test', cursorSecret: 'test-cursor-secret' },
    authenticate: async () => {
      throw new Error('unused');
    },
    development: false,
  });
  await expect(start).rejects.toThrow(
    [
      'the disclosure policy does not cover the schema:',
      '  matrix row logistics_partner × fulfillment names category "contact.fax", which does not exist (src/policy/vocabulary.ts)',
      '  matrix row logistics_partner × fulfillment withholds "Order.buyer", which is not a field of the schema (expected Type.field)',
      '  matrix row logistics_partner × fulfillment allows operation "deleteCustomer", which is not a Mutation field',
    ].join('\n'),
  );
});
