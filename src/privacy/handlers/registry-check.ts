/**
 * The gateway refuses to start when the privacy-handler registry and the data disagree: a table
 * with a customer reference or classified personal fields that has no handler, a handler that
 * names a column, field, table or GraphQL type that does not exist, or an export that neither
 * carries nor withholds (with a reason) a column of its table. Each problem names the table.
 */
import { CLASSIFICATION, type FieldClassification, LINK, REFERENCE, STRUCTURE, type TypeClassification } from '../../policy/classification';
import { entityShape } from './entity-shape';
import type { NotPersonal, PrivacyHandler, SubjectPath } from './privacy-handler';

/**
 * Categories that describe crowds (aggregates over k ≥ 10 visitors), a partner's own
 * integration (its endpoints, their secrets, how they answered) or the disclosure policy itself
 * (the matrix, computed from the code, held in no table), not persons. A webhook
 * delivery's record that a customer's shipment or payment changed is `integration.delivery`:
 * personal, so its table needs a handler (registry.ts).
 */
const NOT_ABOUT_A_PERSON: ReadonlySet<string> = new Set(['technical.aggregate', 'integration.webhook', 'policy.disclosure']);

function isPersonal(field: string | FieldClassification): boolean {
  const c = typeof field === 'string' ? field : field.class;
  return c !== LINK && c !== STRUCTURE && c !== REFERENCE && !NOT_ABOUT_A_PERSON.has(c);
}

function subjectColumns(path: SubjectPath): Array<{ column: string; parent?: string }> {
  switch (path.kind) {
    case 'self':
      return [{ column: 'id' }];
    case 'column':
      return [{ column: path.column }];
    case 'parent':
      return [{ column: path.column, parent: path.parent }];
    case 'any':
      return path.paths.flatMap(subjectColumns);
    case 'sql':
      return [];
  }
}

/**
 * Problems of the registry against the entities and the classification; empty means every table
 * with personal data is handled. The inputs are parameters so a test can hand in a broken one.
 */
export function checkPrivacyRegistry(
  entities: readonly Function[],
  handlers: readonly PrivacyHandler[],
  notPersonal: readonly NotPersonal[],
  classification: Readonly<Record<string, TypeClassification>> = CLASSIFICATION,
): string[] {
  const problems: string[] = [];
  const shapes = new Map(entities.map((e) => [e, entityShape(e)]));
  const handledTables = new Set(handlers.map((h) => h.table));
  const registered = new Map<Function, string>();
  for (const entry of [...handlers, ...notPersonal]) {
    const shape = shapes.get(entry.entity);
    if (!shape) {
      problems.push(`privacy registry: table ${entry.table} names an entity that is not registered (src/data-source.ts)`);
      continue;
    }
    if (shape.table !== entry.table) problems.push(`privacy registry: entry ${entry.table} names the entity of table ${shape.table}`);
    if (registered.has(entry.entity)) problems.push(`privacy registry: table ${shape.table} is registered twice`);
    registered.set(entry.entity, entry.table);
  }

  for (const [entity, shape] of shapes) {
    if (registered.has(entity)) continue;
    const why = shape.columns.includes('customer_id') || shape.refersTo.some((t) => handledTables.has(t)) ? 'refers to a customer' : 'holds no declared data';
    problems.push(`table ${shape.table} ${why} but has no privacy handler (src/privacy/handlers/registry.ts): declare its handler, or why it holds no personal data`);
  }

  for (const entry of notPersonal) {
    const shape = shapes.get(entry.entity);
    if (!shape) continue;
    if (shape.columns.includes('customer_id') || shape.refersTo.some((t) => handledTables.has(t))) {
      problems.push(`table ${entry.table} refers to a customer, so it needs a privacy handler, not a place among the tables without personal data`);
    }
  }

  const typeOwners = new Map<string, string>();
  for (const entry of [...handlers, ...notPersonal]) {
    for (const type of entry.types) {
      if (!classification[type]) problems.push(`privacy registry: table ${entry.table} names GraphQL type ${type}, which is not classified`);
      if (typeOwners.has(type)) problems.push(`privacy registry: GraphQL type ${type} is named by ${typeOwners.get(type)} and ${entry.table}`);
      typeOwners.set(type, entry.table);
    }
  }
  for (const [type, fields] of Object.entries(classification)) {
    const personal = Object.entries(fields).filter(([, c]) => isPersonal(c)).map(([f]) => f);
    if (personal.length > 0 && !typeOwners.has(type)) {
      problems.push(`GraphQL type ${type} has classified personal fields (${personal.join(', ')}) but no table of the privacy registry names it`);
    }
  }

  for (const h of handlers) {
    const shape = shapes.get(h.entity);
    if (!shape) continue;
    const exported = new Set(h.export.fields);
    const withheld = new Set(Object.keys(h.export.withheld ?? {}));
    for (const p of [...exported, ...withheld]) {
      if (!shape.properties.includes(p)) problems.push(`privacy handler ${h.table}: export names ${p}, which the entity does not have`);
      if (exported.has(p) && withheld.has(p)) problems.push(`privacy handler ${h.table}: ${p} is both exported and withheld`);
    }
    // The column naming the customer is the export's subject itself.
    const subjectColumn = h.subject.kind === 'column' ? h.subject.column : undefined;
    for (const [i, p] of shape.properties.entries()) {
      if (shape.columns[i] === subjectColumn) continue;
      if (!exported.has(p) && !withheld.has(p)) problems.push(`privacy handler ${h.table}: column ${p} is neither exported nor withheld with a reason`);
    }
    const columnsNamed = [
      ...(h.rectify ?? []).map((r) => r.column),
      ...(h.erase.action === 'anonymize' ? Object.keys(h.erase.columns) : []),
      ...(h.retention?.action === 'anonymize' ? Object.keys(h.retention.columns) : []),
    ];
    for (const c of columnsNamed) {
      if (!shape.columns.includes(c)) problems.push(`privacy handler ${h.table}: names column ${c}, which the table does not have`);
    }
    // A row erasure may keep is marked restricted, and only legal_compliance reads it (row-scope.ts).
    const keeps = h.erase.action === 'keep' ? h.erase.restrictWhile !== undefined : h.erase.keepWhile !== undefined;
    if (keeps && !shape.columns.includes('restricted_at')) problems.push(`privacy handler ${h.table}: erasure may keep its rows, but the table has no restricted_at column to mark them`);
    for (const { column, parent } of subjectColumns(h.subject)) {
      if (!shape.columns.includes(column)) problems.push(`privacy handler ${h.table}: its subject path names column ${column}, which the table does not have`);
      if (parent && !handledTables.has(parent)) problems.push(`privacy handler ${h.table}: its subject path leads to ${parent}, which has no privacy handler`);
    }
  }
  return problems;
}
