import fs from 'node:fs';
import { MATRIX, type MatrixRow } from '../../src/policy/disclosure-matrix';
import { PolicyEngine } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';
import { dataTypesOf, decisionIn, DECISIONS_FILE, printDecisions, readDecisions, rowLabel } from './decision-table';

describe('the reviewed table of decisions (test/policy/decisions.txt)', () => {
  it('is what the policy decides: a change of the matrix, the classification or the engine is reviewed as a diff of it', async () => {
    const schema = await buildGatewaySchema();
    const printed = printDecisions(schema, new PolicyEngine(schema), MATRIX, dataTypesOf(schema));
    if (process.env.WRITE_DECISIONS === '1') fs.writeFileSync(DECISIONS_FILE, printed);
    expect(printed).toEqual(fs.readFileSync(DECISIONS_FILE, 'utf8'));
  });

  it('has a section for every matrix row and none for a row that does not exist', () => {
    expect([...readDecisions().keys()].sort()).toEqual(MATRIX.map(rowLabel).sort());
  });

  it('reads back as written: visible, masked, and denied for what a row does not list', () => {
    const table = readDecisions('## a / b\nCustomer: id orders | masked: email phone\nOrder: status\n');
    const row = { principal: 'a', purpose: 'b' } as unknown as MatrixRow;
    expect(['Customer.id', 'Customer.email', 'Customer.phone', 'Order.status', 'Order.totalAmount'].map((c) => decisionIn(table, row, c))).toEqual([
      'visible',
      'masked',
      'masked',
      'visible',
      'denied',
    ]);
  });
});
