/**
 * The reviewed table of decisions (test/policy/decisions.txt): for every matrix row and every
 * object type that holds data, the fields the row's caller sees and those it sees masked; every
 * other field is denied. It is written once from the policy and then reviewed and committed:
 * a change of the matrix, the classification or the engine shows up as a diff of this file, and
 * the field-by-field table test checks the running gateway against the file, not the engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { isObjectType } from 'graphql';
import type { MatrixRow } from '../../src/policy/disclosure-matrix';
import type { Decision, PolicyEngine } from '../../src/policy/policy-view';
import { callerOfMatrixRow } from '../harness/principals';

export const DECISIONS_FILE = path.join(__dirname, 'decisions.txt');

/** The object types that hold data: every type but the roots, connections, edges, paging and write results. */
export function dataTypesOf(schema: GraphQLSchema): string[] {
  return Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && !t.name.startsWith('__') && !/(Connection|Edge)$|^(Query|Mutation|PageInfo|IngestResult|PreferenceChoiceResult)$/.test(t.name))
    .map((t) => t.name)
    .sort();
}

export const rowLabel = (row: MatrixRow): string => `${row.principal} / ${row.purpose}`;

/** Decisions by row label, then `Type.field`; a coordinate not listed is denied. */
export type DecisionTable = Map<string, Map<string, Exclude<Decision, 'denied'>>>;

export function printDecisions(schema: GraphQLSchema, engine: PolicyEngine, matrix: readonly MatrixRow[], typeNames: readonly string[]): string {
  const out = ['# Written by `WRITE_DECISIONS=1 npx jest test/policy/decision-table.test.ts`; review every change.', '# Per matrix row and type: the visible fields, then `masked:` the masked ones. Anything not listed is denied.'];
  for (const row of matrix) {
    const view = engine.viewFor(callerOfMatrixRow(row));
    out.push('', `## ${rowLabel(row)}`);
    for (const typeName of typeNames) {
      const type = schema.getType(typeName);
      if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
      const fields = Object.keys(type.getFields()).sort();
      const visible = fields.filter((f) => view.decide(typeName, f) === 'visible');
      const masked = fields.filter((f) => view.decide(typeName, f) === 'masked');
      if (visible.length + masked.length === 0) continue;
      out.push(`${typeName}: ${visible.join(' ')}${masked.length ? ` | masked: ${masked.join(' ')}` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function readDecisions(text = fs.readFileSync(DECISIONS_FILE, 'utf8')): DecisionTable {
  const table: DecisionTable = new Map();
  let current: Map<string, Exclude<Decision, 'denied'>> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) table.set(line.slice(3), (current = new Map()));
    else if (line.trim() && !line.startsWith('#')) {
      const colon = line.indexOf(': ');
      const typeName = line.slice(0, colon);
      const rest = line.slice(colon + 2);
      const [visible, masked = ''] = rest.split(' | masked: ');
      for (const f of visible.split(' ').filter(Boolean)) current!.set(`${typeName}.${f}`, 'visible');
      for (const f of masked.split(' ').filter(Boolean)) current!.set(`${typeName}.${f}`, 'masked');
    }
  }
  return table;
}

export function decisionIn(table: DecisionTable, row: MatrixRow, coordinate: string): Decision {
  const ofRow = table.get(rowLabel(row));
  if (!ofRow) throw new Error(`${DECISIONS_FILE} has no section for ${rowLabel(row)}`);
  return ofRow.get(coordinate) ?? 'denied';
}
