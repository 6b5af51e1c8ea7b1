/**
 * The disclosure matrix checked against the schema and the vocabulary at start-up: a matrix
 * that names a category, a field, a purpose or an operation that does not exist is a matrix
 * that does not say what its authors think it says, so the gateway refuses to start.
 */
import { isObjectType, type GraphQLSchema } from 'graphql';
import { classify, LINK, STRUCTURE } from './classification';
import { GRANTABLE_CATEGORIES, MATRIX, type MatrixRow } from './disclosure-matrix';
import { isRowScopeKind, ROW_SOURCE } from './row-scope';
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

    if (!isRowScopeKind(row.rows)) problems.push(`${name}: row scope ${JSON.stringify(row.rows)} does not exist (src/policy/row-scope.ts)`);

    for (const operation of row.operations ?? []) {
      if (!mutationFields[operation]) problems.push(`${name} allows operation ${JSON.stringify(operation)}, which is not a Mutation field`);
    }
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
    if (carriesData && !ROW_SOURCE[type.name]) problems.push(`${type.name} carries data but has no ROW_SOURCE entry (src/policy/row-scope.ts)`);
  }
  for (const typeName of Object.keys(ROW_SOURCE)) {
    if (!isObjectType(schema.getType(typeName))) problems.push(`ROW_SOURCE names type ${typeName}, which the schema does not have`);
  }
  return problems;
}
