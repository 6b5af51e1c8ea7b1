/**
 * The disclosure matrix checked against the schema and the vocabulary at start-up: a matrix
 * that names a category, a field, a purpose or an operation that does not exist is a matrix
 * that does not say what its authors think it says, so the gateway refuses to start. So is a
 * schema with a write no row decides, an argument nobody classified, or a link that would give
 * a row a category it does not see. `checkPolicy` runs every check.
 */
import { isObjectType, type GraphQLSchema } from 'graphql';
import { ARGUMENT_REVEALS, classifiedArguments, readFieldsWithArguments } from './arguments';
import { checkClassification, classify, LINK, STRUCTURE } from './classification';
import { GRANTABLE_CATEGORIES, MATRIX, type MatrixRow } from './disclosure-matrix';
import { OPERATIONS, UNGRANTED_OPERATIONS, type OperationPolicy } from './operations';
import { PolicyEngine, type PolicyView } from './policy-view';
import { isRowScopeKind } from './row-scope';
import { ROW_SOURCE } from './tables';
import {
  DATA_CATEGORIES,
  PRINCIPAL_KINDS,
  PURPOSES,
  PURPOSES_BY_KIND,
  PURPOSES_BY_ROLE,
  STAFF_ROLES,
  type DataCategory,
  type Purpose,
  type StaffRole,
} from './vocabulary';

const isCategory = (value: string): value is DataCategory => (DATA_CATEGORIES as readonly string[]).includes(value);

/** The purposes a matrix principal may declare, or undefined when the principal does not exist. */
function purposesOf(principal: string): readonly Purpose[] | undefined {
  if (principal.startsWith('staff:')) {
    const role = principal.slice('staff:'.length);
    return (STAFF_ROLES as readonly string[]).includes(role) ? PURPOSES_BY_ROLE[role as StaffRole] : undefined;
  }
  if (principal === 'staff' || !(PRINCIPAL_KINDS as readonly string[]).includes(principal)) return undefined;
  return PURPOSES_BY_KIND[principal as keyof typeof PURPOSES_BY_KIND];
}

/**
 * Problems between the matrix and the schema. Empty means every row names real principals,
 * purposes, categories, fields, row scopes and operations. The parameters default to the real
 * matrix so a test can hand in a broken one.
 */
export function checkMatrix(
  schema: GraphQLSchema,
  matrix: readonly MatrixRow[] = MATRIX,
  grantable: readonly string[] = GRANTABLE_CATEGORIES,
): string[] {
  const problems: string[] = [];
  const mutationFields = schema.getMutationType()?.getFields() ?? {};
  const maskableCategories = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const mask = classify(type.name, field.name)?.mask;
      if (mask && mask !== 'shown') maskableCategories.add(classify(type.name, field.name)!.class);
    }
  }

  const seen = new Set<string>();
  for (const row of matrix) {
    const name = `matrix row ${row.principal} × ${row.purpose}`;
    if (seen.has(`${row.principal}|${row.purpose}`)) problems.push(`${name} appears twice; merge the two rows`);
    seen.add(`${row.principal}|${row.purpose}`);

    const purposes = purposesOf(row.principal);
    if (!purposes) problems.push(`${name}: principal ${JSON.stringify(row.principal)} does not exist (expected a kind other than staff, or staff:<role>)`);
    if (!(PURPOSES as readonly string[]).includes(row.purpose)) problems.push(`${name}: purpose ${JSON.stringify(row.purpose)} does not exist`);
    else if (purposes && !purposes.includes(row.purpose)) {
      problems.push(`${name}: ${row.principal} may not declare ${row.purpose} (src/policy/vocabulary.ts allows ${purposes.join(', ')}), so the row never applies`);
    }

    if (row.sees === 'grant') {
      if (row.principal !== 'third_party') problems.push(`${name}: only third_party rows may see 'grant'`);
    } else {
      for (const [category, visibility] of Object.entries(row.sees)) {
        if (!isCategory(category)) {
          problems.push(`${name} names category ${JSON.stringify(category)}, which does not exist (src/policy/vocabulary.ts)`);
          continue;
        }
        if (visibility !== 'visible' && visibility !== 'masked') {
          problems.push(`${name}: ${category} is ${JSON.stringify(visibility)}, expected 'visible' or 'masked'`);
        } else if (visibility === 'masked' && !maskableCategories.has(category)) {
          problems.push(`${name} masks ${category}, but no field of that category has a mask, so every one of them would be denied`);
        }
      }
    }

    for (const [coordinate, why] of Object.entries(row.withhold ?? {})) {
      const [typeName, fieldName, ...rest] = coordinate.split('.');
      const type = schema.getType(typeName);
      if (rest.length > 0 || !fieldName || !isObjectType(type) || type.name === 'Mutation' || !type.getFields()[fieldName]) {
        problems.push(`${name} withholds ${JSON.stringify(coordinate)}, which is not a field of the schema (expected Type.field)`);
      }
      if (!why.trim()) problems.push(`${name} withholds ${coordinate} without saying why`);
    }

    const unreferenced = row.serves?.unreferenced ?? [];
    if (unreferenced.length > 0 && !row.serves!.required) problems.push(`${name} lists reads without its reference, but the reference is optional anyway`);
    for (const coordinate of unreferenced) {
      const [typeName, fieldName, ...rest] = coordinate.split('.');
      const type = schema.getType(typeName);
      if (rest.length > 0 || !fieldName || !isObjectType(type) || type.name === 'Mutation' || !type.getFields()[fieldName]) {
        problems.push(`${name} lets ${JSON.stringify(coordinate)} be read without its reference, which is not a field of the schema (expected Type.field; writes always need it)`);
      } else if (row.withhold?.[coordinate] !== undefined) {
        problems.push(`${name} lets ${coordinate} be read without its reference, but withholds it`);
      } else if (classify(typeName, fieldName)?.class === STRUCTURE) {
        problems.push(`${name} lets ${coordinate} be read without its reference: ids and paging come with their record, list the record's fields instead`);
      }
    }

    if (!isRowScopeKind(row.rows)) problems.push(`${name}: row scope ${JSON.stringify(row.rows)} does not exist (src/policy/row-scope.ts)`);

    for (const operation of row.operations ?? []) {
      if (!mutationFields[operation]) problems.push(`${name} allows operation ${JSON.stringify(operation)}, which is not a Mutation field`);
    }
  }

  // A request names one reference: every row of a purpose serves the same kind, or nothing.
  for (const purpose of new Set(matrix.map((r) => r.purpose))) {
    const kinds = new Set(matrix.filter((r) => r.purpose === purpose && r.serves).map((r) => r.serves!.reference));
    if (kinds.size > 1) problems.push(`the rows of purpose ${purpose} serve different references (${[...kinds].join(', ')}); a request names one`);
  }

  for (const category of grantable) {
    if (!isCategory(category)) problems.push(`GRANTABLE_CATEGORIES names ${JSON.stringify(category)}, which does not exist`);
  }

  // The contracts and the report need to know whose row scope governs each type that carries data.
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name === 'Query' || type.name === 'Mutation') continue;
    const carriesData = Object.values(type.getFields()).some((f) => {
      const c = classify(type.name, f.name)?.class;
      return c !== undefined && c !== LINK && c !== STRUCTURE;
    });
    if (carriesData && !ROW_SOURCE[type.name]) problems.push(`${type.name} carries data but has no ROW_SOURCE entry (its table's rows in src/policy/tables.ts)`);
  }
  for (const typeName of Object.keys(ROW_SOURCE)) {
    if (!isObjectType(schema.getType(typeName))) problems.push(`ROW_SOURCE names type ${typeName}, which the schema does not have`);
  }
  return problems;
}

const rowName = (row: MatrixRow) => `matrix row ${row.principal} × ${row.purpose}`;
const kindOf = (row: MatrixRow) => (row.principal.startsWith('staff:') ? 'staff' : row.principal);

/**
 * Every write is decided by the matrix: granted by some row, or listed as granted by none; and
 * described in OPERATIONS, whose actors must include every principal a row grants it to.
 */
export function checkOperations(
  schema: GraphQLSchema,
  matrix: readonly MatrixRow[] = MATRIX,
  operations: Readonly<Record<string, OperationPolicy>> = OPERATIONS,
  ungranted: Readonly<Record<string, string>> = UNGRANTED_OPERATIONS,
): string[] {
  const problems: string[] = [];
  const mutationFields = schema.getMutationType()?.getFields() ?? {};
  for (const name of Object.keys(mutationFields)) {
    const granting = matrix.filter((row) => row.operations?.includes(name));
    if (!operations[name]) problems.push(`Mutation.${name} is not described in OPERATIONS (src/policy/operations.ts): say whom it acts for and which records it may target`);
    if (granting.length === 0 && ungranted[name] === undefined) {
      problems.push(`Mutation.${name} is granted by no matrix row: name it in a row's operations, or in UNGRANTED_OPERATIONS with the reason nobody may call it`);
    }
    if (granting.length > 0 && ungranted[name] !== undefined) problems.push(`Mutation.${name} is granted by ${rowName(granting[0])} and listed in UNGRANTED_OPERATIONS; keep one`);
    for (const row of granting) {
      const actors = operations[name]?.actors;
      if (actors && !actors.includes(kindOf(row) as never)) {
        problems.push(`${rowName(row)} grants ${name}, which acts for ${actors.join(', ')} only (src/policy/operations.ts)`);
      }
    }
  }
  for (const name of [...Object.keys(operations), ...Object.keys(ungranted)]) {
    if (!mutationFields[name]) problems.push(`src/policy/operations.ts names ${name}, which is not a Mutation field`);
  }
  return problems;
}

/**
 * Every argument of every read is classified (arguments.ts), by existing coordinates; and no
 * row may read a field whose argument default it may not use (the default is sent for it).
 */
export function checkArguments(
  schema: GraphQLSchema,
  reveals: Readonly<Record<string, readonly string[]>> = ARGUMENT_REVEALS,
  matrix: readonly MatrixRow[] = MATRIX,
  viewOf: (row: MatrixRow) => PolicyView = defaultViews(schema),
): string[] {
  const problems: string[] = [];
  const reached = new Set<string>();
  const withDefaults: Array<{ parent: string; field: string; argument: string; coordinate: string }> = [];
  for (const [parent, field] of readFieldsWithArguments(schema)) {
    for (const argument of classifiedArguments(parent, field)) {
      for (const member of argument.members) {
        reached.add(member.coordinate);
        if (reveals[member.coordinate] === undefined) {
          problems.push(`${member.coordinate} (argument ${argument.name} of ${parent}.${field.name}) is not classified (src/policy/arguments.ts): say which fields it reveals`);
        }
      }
      if (argument.defaultMember) withDefaults.push({ parent, field: field.name, argument: argument.name, coordinate: argument.defaultMember.coordinate });
    }
  }
  for (const [coordinate, revealed] of Object.entries(reveals)) {
    if (!reached.has(coordinate)) problems.push(`src/policy/arguments.ts classifies ${coordinate}, which no argument of a read has`);
    for (const target of revealed) {
      const [typeName, fieldName, ...rest] = target.split('.');
      const type = schema.getType(typeName);
      if (rest.length > 0 || !isObjectType(type) || !type.getFields()[fieldName ?? '']) {
        problems.push(`src/policy/arguments.ts: ${coordinate} reveals ${JSON.stringify(target)}, which is not a field of the schema (expected Type.field)`);
      }
    }
  }
  for (const row of matrix) {
    const view = viewOf(row);
    for (const d of withDefaults) {
      if (view.decide(d.parent, d.field) !== 'denied' && view.decideArgument(d.coordinate) !== 'visible') {
        problems.push(`${rowName(row)} may read ${d.parent}.${d.field} but not use the default of its argument ${d.argument} (${d.coordinate})`);
      }
    }
  }
  return problems;
}

/**
 * No row is shown a link that reveals a category the row does not see: the decision already
 * denies such links, and this holds it to that whatever changes in the decision code.
 */
export function checkLinks(schema: GraphQLSchema, matrix: readonly MatrixRow[] = MATRIX, viewOf: (row: MatrixRow) => PolicyView = defaultViews(schema)): string[] {
  const problems: string[] = [];
  const links: Array<{ typeName: string; fieldName: string; reveals: readonly string[] }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name === 'Mutation') continue;
    for (const field of Object.values(type.getFields())) {
      const c = classify(type.name, field.name);
      if (c?.class === LINK && c.reveals?.length) links.push({ typeName: type.name, fieldName: field.name, reveals: c.reveals });
    }
  }
  for (const row of matrix) {
    const view = viewOf(row);
    for (const link of links) {
      if (view.decide(link.typeName, link.fieldName) === 'denied') continue;
      for (const category of link.reveals) {
        if (view.categories.get(category as never) !== 'visible') {
          problems.push(`${rowName(row)}: link ${link.typeName}.${link.fieldName} is visible but reveals ${category}, which the row does not see`);
        }
      }
    }
  }
  return problems;
}

function defaultViews(schema: GraphQLSchema): (row: MatrixRow) => PolicyView {
  const engine = new PolicyEngine(schema);
  return (row) => engine.buildView(`check:${row.principal}|${row.purpose}`, [row]);
}

/** Every start-up check of the policy against the schema; empty means the gateway may start. */
export function checkPolicy(schema: GraphQLSchema): string[] {
  const views = defaultViews(schema);
  return [
    ...checkClassification(schema),
    ...checkMatrix(schema),
    ...checkOperations(schema),
    ...checkArguments(schema, ARGUMENT_REVEALS, MATRIX, views),
    ...checkLinks(schema, MATRIX, views),
  ];
}
