/**
 * docs/disclosure-matrix.md is what the matrix says, in words: committed, and regenerated with
 * `npm run cli -- policy matrix` whenever the matrix, the classification or the schema changes.
 */
import fs from 'node:fs';
import type { GraphQLSchema } from 'graphql';
import { ARGUMENT_REVEALS } from '../../src/policy/arguments';
import { CLASSIFICATION } from '../../src/policy/classification';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import { renderDisclosureReport, REPORT_FILE } from '../../src/policy/report';
import { buildGatewaySchema } from '../../src/schema';

let schema: GraphQLSchema;
let report: string;

beforeAll(async () => {
  schema = await buildGatewaySchema();
  report = renderDisclosureReport(schema);
});

/** The lines of the section about one matrix row. */
function section(title: string): string[] {
  const lines = report.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start, end < 0 ? undefined : end);
}

const cell = (title: string, coordinate: string) => section(title).find((l) => l.startsWith(`| \`${coordinate}\` |`))?.split(' | ')[2].replace(/ \|$/, '');

describe(REPORT_FILE, () => {
  it('is what the code says (run `npm run cli -- policy matrix` after changing the matrix or the schema)', () => {
    expect(report).toEqual(fs.readFileSync(REPORT_FILE, 'utf8'));
  });

  /** The rows of one table of a section: the lines after its header row, up to the first blank line. */
  const table = (lines: string[], header: string) => {
    const start = lines.indexOf(header);
    if (start < 0) return [];
    const rest = lines.slice(start + 2);
    const end = rest.findIndex((l) => !l.startsWith('|'));
    return end < 0 ? rest : rest.slice(0, end);
  };

  it('has a section for every matrix row, with a line for every classified field and every filter and ordering', () => {
    const fieldCount = Object.values(CLASSIFICATION).reduce((n, fields) => n + Object.keys(fields).length, 0);
    for (const row of MATRIX) {
      const lines = section(`${row.principal} × ${row.purpose}`);
      const fields = table(lines, '| Field | Category | Outcome |').length;
      const argumentLines = table(lines, '| Filter or ordering | Reveals | Outcome |').length;
      expect([row.principal, row.purpose, fields, argumentLines]).toEqual([row.principal, row.purpose, fieldCount, Object.keys(ARGUMENT_REVEALS).length]);
    }
  });

  it('says why a carrier does not see the account holder', () => {
    expect(cell('logistics_partner × fulfillment', 'Order.customer')).toBe(
      '**withheld**: the carrier delivers to the recipient of the shipping snapshot, not to the account holder',
    );
    expect(cell('logistics_partner × fulfillment', 'ShippingAddress.phone')).toBe('visible');
    expect(cell('logistics_partner × fulfillment', 'Order.totalAmount')).toBe('denied');
  });

  it('says how a masked field is masked', () => {
    expect(cell('staff:fraud_analyst × fraud_prevention', 'Customer.email')).toBe('**masked**: first letter and domain, e.g. `j•••@example.com`');
  });

  it('says when only the row scope keeps a field from a caller', () => {
    expect(cell('logistics_partner × fulfillment', 'Customer.phone')).toBe(
      'not disclosed: no Customer records in scope (the field rule alone would show it)',
    );
  });

  it('states the row scope and the writes in words', () => {
    const logistics = section('logistics_partner × fulfillment').join('\n');
    expect(logistics).toContain('Only the shipments assigned to this partner');
    expect(logistics).toContain('- `recordShipmentTracking`: A logistics partner records the tracking number of one of its shipments.');
    expect(section('platform_operator × platform_operation').join('\n')).toContain('**Writes:** none; read-only.');
  });

  it('opens with a summary, principal by category', () => {
    expect(report).toContain(
      '| [payment_provider](#payment_provider-payment_settlement) | payment_settlement | own_payments | — | — | — | — | — | — | yes | — | — | yes | — | — | yes | — | — | — | — | — | — |',
    );
  });
});
