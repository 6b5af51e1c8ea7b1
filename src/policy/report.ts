/**
 * docs/disclosure-matrix.md: the disclosure matrix as a data-protection officer reads it — for
 * every principal and purpose, why, which records, which writes, and every classified field with
 * its outcome. Generated from the same matrix, classification and row scopes the gateway
 * enforces (through the same PolicyEngine), committed, and checked by a test, so the document
 * cannot say something the code does not do.
 */
import { getNamedType, isEnumType, isInputObjectType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { ARGUMENT_REVEALS } from './arguments';
import { CLASSIFICATION, classify, isConnectionScaffolding, isPersonalData, LINK, type MaskKind } from './classification';
import { buildContract, CONTRACT_AUDIENCES, contractFile } from './contracts';
import { GRANTABLE_CATEGORIES, GRANTEE_SEES, MATRIX, type MatrixRow, type RowScopeKind } from './disclosure-matrix';
import { OPERATIONS } from './operations';
import { PolicyEngine, type PolicyView } from './policy-view';
import { scopeReaches } from './row-scope';
import { ROW_SOURCE } from './tables';
import { DATA_CATEGORIES, type DataCategory } from './vocabulary';

export const REPORT_FILE = 'docs/disclosure-matrix.md';

const ROW_SCOPE_WORDS: Readonly<Record<RowScopeKind, string>> = {
  all: 'All records.',
  own_shipments:
    'Only the shipments assigned to this partner, and through them the orders they belong to (with the shipping snapshot and customs declaration), their items and carrier scans; its own partner record; the policy versions.',
  own_payments:
    'Only the payment verifications of this provider, the orders they belong to and the orders whose checkout assigned this provider; its own partner record; the policy versions.',
  platform_orders: 'Only the orders sold through this platform, their items and payment verifications; its own partner record; the policy versions.',
  orders_paid_to_delivered:
    'Only orders that are paid and not yet delivered (status paid, packed or shipped), their items and shipments; partner records; the policy versions.',
  self: "Only the customer's own records: account, address book, orders and everything about them, cases, consents and privacy requests.",
  granted_customer:
    'Only the customer who made the consent grant, and only while the grant is neither expired nor withdrawn (checked on every request); of their consent grants, only this one; never their privacy requests.',
  page_views: 'Only the page views analytics aggregates (each published cell at least k distinct visitors); no record that names a customer, an order or a partner.',
  none: 'No records at all.',
};

const MASK_WORDS: Readonly<Record<Exclude<MaskKind, 'shown'>, string>> = {
  email: 'first letter and domain, e.g. `j•••@example.com`',
  phone: 'country code and last four digits, e.g. `+44 ••• ••• 1234`',
  street: 'hidden entirely, `•••`',
  postal_code: 'area part only, e.g. `SW1A •••`',
};

function title(row: MatrixRow): string {
  return `${row.principal} × ${row.purpose}`;
}

function anchor(row: MatrixRow): string {
  return `${row.principal}-${row.purpose}`.replace(/[^a-z0-9_-]/g, '-');
}

/** The type a link leads to, through connections and edges. */
function linkTarget(schema: GraphQLSchema, typeName: string, fieldName: string): string {
  let target = getNamedType((schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName].type);
  while (isObjectType(target) && isConnectionScaffolding(target.name)) {
    const fields = target.getFields();
    target = getNamedType((fields.nodes ?? fields.node).type);
  }
  return target.name;
}

/**
 * What the row gives for one field, most decisive reason first: withheld, denied, no records in
 * scope, outside the contract, masked, visible.
 */
function outcome(schema: GraphQLSchema, row: MatrixRow, view: PolicyView, contract: GraphQLSchema | undefined, typeName: string, fieldName: string): string {
  const coordinate = `${typeName}.${fieldName}`;
  const c = classify(typeName, fieldName)!;
  const decision = view.decide(typeName, fieldName);
  const withheld = row.withhold?.[coordinate];
  if (withheld) return `**withheld**: ${withheld}`;
  if (decision === 'denied') {
    const unseen = c.reveals?.filter((category) => view.categories.get(category) !== 'visible') ?? [];
    if (unseen.length > 0) return `denied (it reveals ${unseen.map((u) => `\`${u}\``).join(', ')}, which this row does not see)`;
    if (c.class === LINK) return 'denied (nothing in the linked records is disclosed)';
    if (view.categories.get(c.class as DataCategory) === 'masked') return 'denied (its category is masked, and this field has no mask)';
    return 'denied';
  }
  const outOfScope = (name: string | undefined) => name !== undefined && ROW_SOURCE[name] !== undefined && !scopeReaches(view.rows, ROW_SOURCE[name]);
  if (outOfScope(typeName)) {
    return `not disclosed: no ${typeName} records in scope${isPersonalData(c) ? ' (the field rule alone would show it)' : ''}`;
  }
  const target = c.class === LINK ? linkTarget(schema, typeName, fieldName) : undefined;
  if (outOfScope(target)) return `not disclosed: no ${target} records in scope`;
  const contractType = contract?.getType(typeName);
  if (contract && !(isObjectType(contractType) && contractType.getFields()[fieldName])) return 'not disclosed: outside the contract';
  if (decision === 'masked') return `**masked**: ${MASK_WORDS[c.mask as Exclude<MaskKind, 'shown'>]}`;
  if (!isPersonalData(c)) return 'visible';
  if (view.categories.get(c.class) === 'masked') return 'visible (kept when the address is masked)';
  if (row.sees === 'grant') return GRANTEE_SEES[c.class as DataCategory] === 'visible' ? 'visible (the terms of its own grant)' : 'visible if the grant names it';
  return 'visible';
}

/** Whether a contract has an argument member: an input object's field or an enum's value. */
function contractHasMember(contract: GraphQLSchema, coordinate: string): boolean {
  const [typeName, member] = coordinate.split('.');
  const type = contract.getType(typeName);
  if (isInputObjectType(type)) return type.getFields()[member] !== undefined;
  if (isEnumType(type)) return type.getValue(member) !== undefined;
  return false;
}

/** What the row may do with one argument member (arguments.ts). */
function argumentOutcome(row: MatrixRow, view: PolicyView, contract: GraphQLSchema | undefined, coordinate: string): string {
  const plain = coordinate.includes('(');
  if (contract && !plain && !contractHasMember(contract, coordinate)) return 'unknown: outside the contract';
  if (view.decideArgument(coordinate) === 'visible') return row.sees === 'grant' ? 'usable if the grant names what it reveals' : 'usable';
  return 'refused (FORBIDDEN): it would reveal what this row does not see';
}

/** When a request may go without its reference. */
function servesRule(serves: NonNullable<MatrixRow['serves']>): string {
  if (!serves.required) return 'optional (the caller is the data subject)';
  const unreferenced = serves.unreferenced ?? [];
  if (unreferenced.length === 0) return 'a request without it is refused';
  return `a request without it is refused, unless it reads nothing but ${unreferenced.map((c) => `\`${c}\``).join(', ')} (with ids and paging): the list it picks from, read and flagged without a reference`;
}

const SERVES_WORDS: Readonly<Record<NonNullable<MatrixRow['serves']>['reference'], string>> = {
  legal_case: 'the legal case it serves, sent as `X-Legal-Case`',
  privacy_request: 'the privacy request it serves, sent as `X-Privacy-Request` (its id: one this row\'s row scope reads, or the request is refused)',
};

function categoryCell(row: MatrixRow, category: DataCategory): string {
  if (row.sees === 'grant') return GRANTEE_SEES[category] === 'visible' ? 'yes' : GRANTABLE_CATEGORIES.includes(category) ? 'if granted' : '—';
  const visibility = row.sees[category];
  return visibility === 'visible' ? 'yes' : visibility === 'masked' ? 'masked' : '—';
}

export function renderDisclosureReport(schema: GraphQLSchema, engine: PolicyEngine = new PolicyEngine(schema), matrix: readonly MatrixRow[] = MATRIX): string {
  const out: string[] = [];
  const mutationFields = schema.getMutationType()?.getFields() ?? {};
  out.push(
    '# Disclosure matrix',
    '',
    '<!-- Generated by `npm run cli -- policy matrix` from src/policy/disclosure-matrix.ts, classification.ts and row-scope.ts; do not edit by hand. -->',
    '',
    'This document states, for every kind of caller of the need-to-know gateway and every purpose it may declare, which personal and order data the gateway discloses to it. It is generated from the code that enforces the policy, and a test fails whenever the two differ.',
    '',
    '**How to read it.** Every field the gateway can return is classified in one *data category* (for example `contact.phone`); the categories and the fields in each are listed below. A caller must declare a purpose with every request, and sees a field only when the matrix row for its kind of principal (for staff: its role) and that purpose names the field\'s category. The outcome for a field is one of:',
    '',
    '- **visible**: the value as stored;',
    '- **masked**: a value computed from the stored one on the way out, never stored — just enough to recognise it, never enough to use it (the mask is named in each cell);',
    '- **denied**: the field is empty (`null`) and the response carries a `FORBIDDEN` error naming the field;',
    '- **withheld**: the category is seen, but this one field is denied for the reason given.',
    '',
    'Fields that carry no personal data themselves are *links* (they lead to other records and are shown when the caller may see something in the record they lead to), *structure* (identifiers and paging, shown wherever their record is) or *reference* (business data about partners and policy versions).',
    '',
    '**Row scope.** Categories decide which fields; the row scope decides which records. It is enforced in the database query itself, from the caller\'s credentials and never from anything the caller sends: a record outside the scope is indistinguishable from a record that does not exist. Where a field rule would show a field of a record type the row scope never reaches, the cell says so ("no … records in scope").',
    '',
    '**Links, filters and orderings.** A link can reveal more than the record it leads to — the platform an order was sold through is its sales channel — so such a link names the categories it reveals and is denied to a row that does not see them all. A filter reveals what it filters on and an ordering what it sorts by (a relation id reveals the relation, and so whatever that link reveals): a row may send one only when every field it reveals is visible to it, unmasked. Each section ends with its filters and orderings. Pagination cursors are sealed for the caller they were given to and carry nothing readable.',
    '',
    `**External audiences** (${CONTRACT_AUDIENCES.join(', ')}) are given a contract — the part of the schema they may use at all (${CONTRACT_AUDIENCES.map((a) => `\`${contractFile(a)}\``).join(', ')}). Asking for anything outside it is refused before anything is read, exactly as if it did not exist.`,
    '',
    `**Third parties** see what the customer's consent grant names, about that customer only, until the grant expires or is withdrawn, and always the terms of that grant (${Object.keys(GRANTEE_SEES).map((c) => `\`${c}\``).join(', ')}). A grant can name only these categories: ${GRANTABLE_CATEGORIES.map((c) => `\`${c}\``).join(', ')}.`,
    '',
    '## Summary',
    '',
    'Which categories each principal sees, per purpose: **yes** visible, **masked** masked, **—** not disclosed.',
    '',
    `| Principal | Purpose | Records | ${DATA_CATEGORIES.map((c) => `\`${c}\``).join(' | ')} |`,
    `|---|---|---|${DATA_CATEGORIES.map(() => '---').join('|')}|`,
    ...matrix.map(
      (row) => `| [${row.principal}](#${anchor(row)}) | ${row.purpose} | ${row.rows} | ${DATA_CATEGORIES.map((c) => categoryCell(row, c)).join(' | ')} |`,
    ),
    '',
    '## Categories',
    '',
    '| Category | Fields |',
    '|---|---|',
  );
  for (const category of DATA_CATEGORIES) {
    const fields = Object.keys(CLASSIFICATION).flatMap((typeName) =>
      Object.keys(CLASSIFICATION[typeName])
        .filter((fieldName) => classify(typeName, fieldName)?.class === category)
        .map((fieldName) => `\`${typeName}.${fieldName}\``),
    );
    out.push(`| \`${category}\` | ${fields.join(', ') || '(none)'} |`);
  }

  for (const row of matrix) {
    const view = engine.buildView(`report:${row.principal}|${row.purpose}`, [row]);
    const audience = CONTRACT_AUDIENCES.find((a) => a === row.principal);
    const contract = audience ? buildContract(schema, audience, engine, matrix) : undefined;
    // Record types with a table of their own (an order's shipping snapshot comes with the order).
    const recordTypes = Object.keys(ROW_SOURCE).filter((t, i, all) => all.findIndex((u) => ROW_SOURCE[u] === ROW_SOURCE[t]) === i);
    const reachable = recordTypes.filter((typeName) => scopeReaches(view.rows, ROW_SOURCE[typeName]));
    const operations = row.operations ?? [];
    out.push(
      '',
      `## ${title(row)}`,
      '',
      `<a id="${anchor(row)}"></a>`,
      '',
      `**Why:** ${row.why}.`,
      '',
      `**Records (\`${row.rows}\`):** ${ROW_SCOPE_WORDS[row.rows]} Record types it can reach: ${reachable.length > 0 ? reachable.join(', ') : 'none'}.`,
      '',
      ...(operations.length === 0
        ? ['**Writes:** none; read-only.']
        : [
            '**Writes** (each finds its target inside the row scope, in SQL; a target outside it answers as one that does not exist, and nothing is written):',
            '',
            ...operations.map((op) => `- \`${op}\`: ${(mutationFields[op]?.description ?? '').replace(/\s+/g, ' ')} Target: ${OPERATIONS[op]?.target ?? '(not described)'}.`),
          ]),
      ...(row.serves
        ? ['', `**Audit:** every request is flagged in the audit log with ${SERVES_WORDS[row.serves.reference]}; ${servesRule(row.serves)}.`]
        : []),
      ...(audience ? ['', `**Contract:** \`${contractFile(audience)}\`; anything outside it is refused as unknown.`] : []),
      '',
      '| Field | Category | Outcome |',
      '|---|---|---|',
    );
    for (const typeName of Object.keys(CLASSIFICATION)) {
      for (const fieldName of Object.keys(CLASSIFICATION[typeName])) {
        const c = classify(typeName, fieldName)!;
        const reveals = c.reveals?.length ? `, reveals ${c.reveals.map((r) => `\`${r}\``).join(', ')}` : '';
        const category = c.class === LINK ? `link → ${linkTarget(schema, typeName, fieldName)}${reveals}` : !isPersonalData(c) ? c.class.toLowerCase() : `\`${c.class}\``;
        out.push(`| \`${typeName}.${fieldName}\` | ${category} | ${outcome(schema, row, view, contract, typeName, fieldName)} |`);
      }
    }
    out.push('', '| Filter or ordering | Reveals | Outcome |', '|---|---|---|');
    for (const [coordinate, revealed] of Object.entries(ARGUMENT_REVEALS)) {
      out.push(`| \`${coordinate}\` | ${revealed.map((r) => `\`${r}\``).join(', ')} | ${argumentOutcome(row, view, contract, coordinate)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** One field's outcome for one row, as data (the compliance console's "Who sees what"). */
export interface MatrixFieldEntry {
  coordinate: string;
  /** The data category, or link / structure / reference. */
  category: string;
  outcome: 'visible' | 'masked' | 'denied' | 'withheld' | 'not_disclosed';
  /** The report's words for it. */
  text: string;
}

export interface MatrixRowEntry {
  principal: string;
  purpose: string;
  why: string;
  rows: RowScopeKind;
  records: string;
  writes: Array<{ name: string; target: string }>;
  serves?: { reference: string; required: boolean; unreferenced?: readonly string[] };
  categories: Record<string, string>;
  fields: MatrixFieldEntry[];
  arguments: Array<{ coordinate: string; reveals: readonly string[]; outcome: string }>;
}

const plain = (text: string): string => text.replace(/\*\*|`/g, '');

function outcomeKind(text: string): MatrixFieldEntry['outcome'] {
  if (text.startsWith('**withheld**')) return 'withheld';
  if (text.startsWith('**masked**')) return 'masked';
  if (text.startsWith('denied')) return 'denied';
  if (text.startsWith('not disclosed')) return 'not_disclosed';
  return 'visible';
}

/** The same matrix as renderDisclosureReport, from the same decisions, as data. */
export function disclosureMatrixData(schema: GraphQLSchema, engine: PolicyEngine = new PolicyEngine(schema), matrix: readonly MatrixRow[] = MATRIX): { categories: readonly string[]; rows: MatrixRowEntry[] } {
  const rows = matrix.map((row): MatrixRowEntry => {
    const view = engine.buildView(`report:${row.principal}|${row.purpose}`, [row]);
    const audience = CONTRACT_AUDIENCES.find((a) => a === row.principal);
    const contract = audience ? buildContract(schema, audience, engine, matrix) : undefined;
    const fields: MatrixFieldEntry[] = [];
    for (const typeName of Object.keys(CLASSIFICATION)) {
      for (const fieldName of Object.keys(CLASSIFICATION[typeName])) {
        const c = classify(typeName, fieldName)!;
        const text = outcome(schema, row, view, contract, typeName, fieldName);
        fields.push({ coordinate: `${typeName}.${fieldName}`, category: isPersonalData(c) ? c.class : c.class.toLowerCase(), outcome: outcomeKind(text), text: plain(text) });
      }
    }
    return {
      principal: row.principal,
      purpose: row.purpose,
      why: row.why,
      rows: row.rows,
      records: ROW_SCOPE_WORDS[row.rows],
      writes: (row.operations ?? []).map((name) => ({ name, target: OPERATIONS[name]?.target ?? '(not described)' })),
      ...(row.serves ? { serves: row.serves } : {}),
      categories: Object.fromEntries(DATA_CATEGORIES.map((c) => [c, categoryCell(row, c)])),
      fields,
      arguments: Object.entries(ARGUMENT_REVEALS).map(([coordinate, reveals]) => ({ coordinate, reveals, outcome: argumentOutcome(row, view, contract, coordinate) })),
    };
  });
  return { categories: DATA_CATEGORIES, rows };
}
