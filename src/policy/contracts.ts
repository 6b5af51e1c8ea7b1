/**
 * Partner contracts: for each external audience, the part of the schema it may use at all.
 * Derived from the disclosure matrix, committed under contracts/ (partners run codegen against
 * them; a test fails when they drift), and enforced before execution by enforcement/contract-plugin.ts, so
 * a partner cannot even learn that the rest of the schema exists.
 *
 * The audience's matrix rows give a policy view (PolicyEngine.buildView; a third party's is the
 * widest grant, GRANTABLE_CATEGORIES). From it:
 * - an object type is in the contract when its rows are within the audience's row scope
 *   (ROW_SOURCE, scopeReaches) and the view discloses at least one of its own data or reference
 *   fields. A type the view reaches only through links back to other types (a payment
 *   verification, for a carrier, links to the order the carrier sees) discloses nothing itself
 *   and stays out. Connections and edges follow their node type; PageInfo and other pure
 *   structure follow whatever returns them;
 * - on each type in the contract, a field is kept when the view does not deny it (visible or
 *   masked) and the type it returns is in the contract;
 * - Query fields follow the same rule; Mutation fields are the audience's operations, and the
 *   type an operation returns is in the contract with it;
 * - arguments of reads keep only the members the view lets the audience send (arguments.ts): a
 *   filter keeps the fields it may filter on, an ordering the values it may sort by, and an
 *   argument left with none is dropped, so a filter that would reveal a denied field is unknown
 *   to the audience, exactly like a field that does not exist. Paging, look-up ids and the
 *   inputs of operations are kept whole. The input, enum and scalar types they use come along;
 * - a description naming a type that is not in the contract is dropped;
 * - a field is non-null in the contract when the audience always sees it and the database never
 *   leaves it empty (alwaysPresent, below); the full schema keeps it nullable, since another
 *   caller may be refused it;
 * - scalars name their specification (@specifiedBy), and the schema's description states the
 *   error codes with their HTTP statuses and the operation limits (contract-notes.ts).
 * The contract never executes anything: its fields have no resolvers.
 */
import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  assertValidSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  lexicographicSortSchema,
  printSchema,
  type GraphQLArgumentConfig,
  type GraphQLField,
  type GraphQLFieldConfig,
  type GraphQLInputFieldConfig,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLType,
} from 'graphql';
import { getMetadataArgsStorage } from 'typeorm';
import { ARGUMENT_REVEALS, classifiedArguments } from './arguments';
import { carriesData, classify, isConnectionScaffolding, STRUCTURE } from './classification';
import { MATRIX, type MatrixRow } from './disclosure-matrix';
import { contractDescription } from './contract-notes';
import { PolicyEngine, type PolicyView } from './policy-view';
import { scopeReaches } from './row-scope';
import { ROW_SOURCE } from './tables';
import type { PrincipalKind } from './vocabulary';

export const CONTRACT_AUDIENCES = ['logistics_partner', 'payment_provider', 'platform_operator', 'third_party'] as const;
export type ContractAudience = (typeof CONTRACT_AUDIENCES)[number];

export const CONTRACTS_DIR = 'contracts';

export function isContractAudience(kind: PrincipalKind): kind is ContractAudience {
  return (CONTRACT_AUDIENCES as readonly string[]).includes(kind);
}

export function contractFile(audience: ContractAudience): string {
  return `${CONTRACTS_DIR}/${audience}.graphql`;
}

/** The matrix rows of one audience, and the policy view they give (the widest grant, for third parties). */
export function audienceView(
  engine: PolicyEngine,
  audience: ContractAudience,
  matrix: readonly MatrixRow[] = MATRIX,
): { rows: MatrixRow[]; view: PolicyView } {
  const rows = matrix.filter((row) => row.principal === audience);
  if (rows.length === 0) throw new Error(`contract for ${audience}: the disclosure matrix has no row for it`);
  return { rows, view: engine.buildView(`contract:${audience}`, rows) };
}

/** Where the custom scalars are specified (@specifiedBy); Decimal restricts xsd:decimal as its description says. */
export const SCALAR_SPECIFICATIONS: Readonly<Record<string, string>> = {
  DateTimeISO: 'https://datatracker.ietf.org/doc/html/rfc3339#section-5.6',
  Decimal: 'https://www.w3.org/TR/xmlschema11-2/#decimal',
};

/**
 * Whether `typeName.fieldName` is always present for an audience, so its contract may declare it
 * non-null: the field returns a scalar or an enum (never a link, which row scope can leave
 * null), the audience sees it unmasked under every purpose it may declare, and it reads a
 * column of the type's entity (`${typeName}Entity`, same property name) that is NOT NULL. A
 * third party's view depends on the categories of each customer's grant, so none of its fields
 * qualifies. test/policy/contract-types.test.ts runs every audience's widest read over the demo
 * data and checks no non-null field ever comes back null.
 */
function alwaysPresentFields(engine: PolicyEngine, audience: ContractAudience, rows: readonly MatrixRow[]) {
  if (audience === 'third_party') return () => false;
  const views = rows.map((row, i) => engine.buildView(`contract-presence:${audience}:${i}`, [row]));
  const columns = getMetadataArgsStorage().columns;
  return (typeName: string, field: GraphQLField<unknown, unknown>): boolean => {
    if (isNonNullType(field.type) || isListType(field.type)) return false;
    const target = getNamedType(field.type);
    if (!isScalarType(target) && !isEnumType(target)) return false;
    if (!views.every((view) => view.decide(typeName, field.name) === 'visible')) return false;
    const column = columns.find((c) => typeof c.target === 'function' && c.target.name === `${typeName}Entity` && c.propertyName === field.name);
    return column !== undefined && column.options.nullable !== true;
  };
}

/** The type a connection or an edge lists. */
function nodeTypeOf(type: GraphQLObjectType): GraphQLNamedType | undefined {
  const fields = type.getFields();
  const node = fields.nodes ?? fields.node;
  return node ? getNamedType(node.type) : undefined;
}

/** Which object types and fields of `schema` the view and row scope let an audience use. */
function selectContract(schema: GraphQLSchema, audience: ContractAudience, view: PolicyView) {
  const admitted = new Map<string, boolean>();
  const admits = (type: GraphQLObjectType): boolean => {
    let result = admitted.get(type.name);
    if (result !== undefined) return result;
    admitted.set(type.name, false); // a cycle through scaffolding admits nothing by itself
    const fields = Object.values(type.getFields());
    if (isConnectionScaffolding(type.name)) {
      const node = nodeTypeOf(type);
      result = node !== undefined && isObjectType(node) && admits(node);
    } else if (ROW_SOURCE[type.name] === undefined) {
      if (!fields.every((f) => classify(type.name, f.name)?.class === STRUCTURE)) {
        throw new Error(`contract for ${audience}: ${type.name} has fields that are not STRUCTURE but no ROW_SOURCE entry (its table's rows in src/policy/tables.ts)`);
      }
      result = true;
    } else {
      result =
        scopeReaches(view.rows, ROW_SOURCE[type.name]) &&
        fields.some((f) => carriesData(classify(type.name, f.name)) && view.decide(type.name, f.name) !== 'denied');
    }
    admitted.set(type.name, result);
    return result;
  };

  /** Object types that must be in the contract whatever `admits` says: what operations return. */
  const forced = new Set<string>();
  const returnsUsable = (field: GraphQLField<unknown, unknown>): boolean => {
    const target = getNamedType(field.type);
    if (isObjectType(target)) return forced.has(target.name) || admits(target);
    if (isScalarType(target) || isEnumType(target)) return true;
    throw new Error(`contract for ${audience}: ${target.name} is an interface or union; contracts do not handle those yet`);
  };

  const keptFields = new Map<string, string[]>();
  const mutation = schema.getMutationType();
  const mutationFields = mutation ? Object.values(mutation.getFields()).filter((f) => view.operations.has(f.name)) : [];
  for (const f of mutationFields) forced.add(getNamedType(f.type).name);
  if (mutation && mutationFields.length > 0) keptFields.set(mutation.name, mutationFields.map((f) => f.name));
  const query = schema.getQueryType();
  if (!query) throw new Error('the schema has no Query type');
  const queryFields = Object.values(query.getFields()).filter((f) => view.decide(query.name, f.name) !== 'denied' && returnsUsable(f));
  keptFields.set(query.name, queryFields.map((f) => f.name));

  const pending = [...queryFields, ...mutationFields].map((f) => getNamedType(f.type)).filter(isObjectType);
  while (pending.length > 0) {
    const type = pending.pop()!;
    if (keptFields.has(type.name)) continue;
    const fields = Object.values(type.getFields()).filter((f) => view.decide(type.name, f.name) !== 'denied' && returnsUsable(f));
    if (fields.length === 0) throw new Error(`contract for ${audience}: ${type.name} is in the contract but none of its fields is`);
    keptFields.set(type.name, fields.map((f) => f.name));
    for (const f of fields) {
      const target = getNamedType(f.type);
      if (isObjectType(target) && !keptFields.has(target.name)) pending.push(target);
    }
  }
  return keptFields;
}

/**
 * What of the arguments an audience may send: a member (filter field, ordering value, plain
 * argument) classified in arguments.ts when its view allows it; anything arguments.ts does not
 * classify (the inputs of operations, their enums) whole.
 */
function argumentSelection(schema: GraphQLSchema, view: PolicyView) {
  const usable = (coordinate: string) => ARGUMENT_REVEALS[coordinate] === undefined || view.decideArgument(coordinate) === 'visible';
  const inputFields = (type: GraphQLInputObjectType) => Object.keys(type.getFields()).filter((f) => usable(`${type.name}.${f}`));
  const enumValues = (type: GraphQLEnumType) => type.getValues().filter((v) => usable(`${type.name}.${v.name}`)).map((v) => v.name);
  /** The arguments of a field the audience keeps: paging and look-ups always, others while a member of them is usable. */
  const args = (typeName: string, field: GraphQLField<unknown, unknown>): string[] => {
    if (typeName === schema.getMutationType()?.name) return field.args.map((a) => a.name);
    const classified = new Map(classifiedArguments(typeName, field).map((a) => [a.name, a]));
    return field.args
      .filter((arg) => {
        const c = classified.get(arg.name);
        if (!c) return true;
        const kept = c.members.some((m) => usable(m.coordinate)) && (!c.defaultMember || usable(c.defaultMember.coordinate));
        if (!kept && isNonNullType(arg.type) && arg.defaultValue === undefined) {
          throw new Error(`contract for ${view.key}: ${typeName}.${field.name} needs argument ${arg.name}, which the audience may not use`);
        }
        return kept;
      })
      .map((a) => a.name);
  };
  return { inputFields, enumValues, args };
}

/** Named input, enum and scalar types used by the kept fields and the arguments they keep. */
function collectLeafTypes(schema: GraphQLSchema, keptFields: ReadonlyMap<string, string[]>, selection: ReturnType<typeof argumentSelection>): Set<string> {
  const names = new Set<string>();
  const visitInput = (type: GraphQLNamedType) => {
    if (names.has(type.name)) return;
    names.add(type.name);
    if (isInputObjectType(type)) for (const f of selection.inputFields(type)) visitInput(getNamedType(type.getFields()[f].type));
  };
  for (const [typeName, fieldNames] of keptFields) {
    const type = schema.getType(typeName) as GraphQLObjectType;
    for (const fieldName of fieldNames) {
      const field = type.getFields()[fieldName];
      const target = getNamedType(field.type);
      if (!isObjectType(target)) visitInput(target);
      for (const argName of selection.args(typeName, field)) visitInput(getNamedType(field.args.find((a) => a.name === argName)!.type));
    }
  }
  return names;
}

/**
 * A description as the contract may print it: dropped when it names a type of the full schema
 * that is not in the contract, since that alone would reveal the type exists.
 */
export function descriptionWithin(
  description: string | null | undefined,
  schemaTypeNames: ReadonlySet<string>,
  contractTypeNames: ReadonlySet<string>,
): string | undefined {
  if (!description) return undefined;
  const names = description.match(/\b[A-Z][A-Za-z0-9]*\b/g) ?? [];
  return names.some((n) => schemaTypeNames.has(n) && !contractTypeNames.has(n)) ? undefined : description;
}

/** The contract schema of one audience: a sub-schema of `schema` (see the file comment). */
export function buildContract(
  schema: GraphQLSchema,
  audience: ContractAudience,
  engine: PolicyEngine = new PolicyEngine(schema),
  matrix: readonly MatrixRow[] = MATRIX,
): GraphQLSchema {
  const { rows, view } = audienceView(engine, audience, matrix);
  const alwaysPresent = alwaysPresentFields(engine, audience, rows);
  const keptFields = selectContract(schema, audience, view);
  const selection = argumentSelection(schema, view);
  const contractTypeNames = new Set([...keptFields.keys(), ...collectLeafTypes(schema, keptFields, selection)]);
  const schemaTypeNames = new Set(Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__')));

  const describe = (description: string | null | undefined) => descriptionWithin(description, schemaTypeNames, contractTypeNames);

  const built = new Map<string, GraphQLNamedType>();
  const named = (name: string): GraphQLNamedType => {
    const existing = built.get(name);
    if (existing) return existing;
    const original = schema.getType(name);
    if (!original || !contractTypeNames.has(name)) throw new Error(`contract for ${audience}: ${name} is used but not in the contract`);
    let type: GraphQLNamedType;
    if (isSpecifiedScalarType(original)) type = original;
    else if (isScalarType(original)) {
      type = new GraphQLScalarType({
        ...original.toConfig(),
        description: describe(original.description),
        specifiedByURL: original.specifiedByURL ?? SCALAR_SPECIFICATIONS[name],
        astNode: undefined,
        extensionASTNodes: [],
      });
    }
    else if (isEnumType(original)) {
      const config = original.toConfig();
      const values = new Set(selection.enumValues(original));
      type = new GraphQLEnumType({
        ...config,
        description: describe(config.description),
        values: Object.fromEntries(
          Object.entries(config.values)
            .filter(([k]) => values.has(k))
            .map(([k, v]) => [k, { ...v, description: describe(v.description), astNode: undefined }]),
        ),
        astNode: undefined,
        extensionASTNodes: [],
      });
    } else if (isInputObjectType(original)) {
      const config = original.toConfig();
      const fields = new Set(selection.inputFields(original));
      type = new GraphQLInputObjectType({
        ...config,
        description: describe(config.description),
        fields: () =>
          Object.fromEntries(
            Object.entries(config.fields).filter(([k]) => fields.has(k)).map(([k, f]): [string, GraphQLInputFieldConfig] => [
              k,
              { ...f, type: wrap(f.type) as GraphQLInputType, description: describe(f.description), astNode: undefined },
            ]),
          ),
        astNode: undefined,
        extensionASTNodes: [],
      });
    } else if (isObjectType(original)) {
      const config = original.toConfig();
      const keep = keptFields.get(name)!;
      const fieldsOfType = original.getFields();
      type = new GraphQLObjectType({
        name,
        description: describe(config.description),
        fields: () =>
          Object.fromEntries(
            keep.map((fieldName): [string, GraphQLFieldConfig<unknown, unknown>] => {
              const f = config.fields[fieldName];
              const wrapped = wrap(f.type) as GraphQLOutputType;
              return [
                fieldName,
                {
                  type: alwaysPresent(name, fieldsOfType[fieldName]) ? new GraphQLNonNull(wrapped as never) : wrapped,
                  description: describe(f.description),
                  deprecationReason: f.deprecationReason,
                  args: Object.fromEntries(
                    selection.args(name, fieldsOfType[fieldName]).map((argName): [string, GraphQLArgumentConfig] => {
                      const a = f.args![argName];
                      return [argName, { ...a, type: wrap(a.type) as GraphQLInputType, description: describe(a.description), astNode: undefined }];
                    }),
                  ),
                },
              ];
            }),
          ),
      });
    } else {
      throw new Error(`contract for ${audience}: ${name} is an interface or union; contracts do not handle those yet`);
    }
    built.set(name, type);
    return type;
  };
  const wrap = (type: GraphQLType): GraphQLType => {
    if (isNonNullType(type)) return new GraphQLNonNull(wrap(type.ofType) as never);
    if (isListType(type)) return new GraphQLList(wrap(type.ofType));
    return named(type.name);
  };

  const query = schema.getQueryType()!;
  const mutation = schema.getMutationType();
  const contract = new GraphQLSchema({
    description: contractDescription(audience),
    query: named(query.name) as GraphQLObjectType,
    mutation: mutation && keptFields.has(mutation.name) ? (named(mutation.name) as GraphQLObjectType) : undefined,
    types: [...contractTypeNames].map(named),
    directives: schema.getDirectives(),
  });
  assertValidSchema(contract);
  return contract;
}

/** Every audience's contract, built once at start-up. */
export function buildContracts(schema: GraphQLSchema, engine: PolicyEngine = new PolicyEngine(schema)): ReadonlyMap<ContractAudience, GraphQLSchema> {
  return new Map(CONTRACT_AUDIENCES.map((audience) => [audience, buildContract(schema, audience, engine)]));
}

/** The committed SDL of a contract, sorted so it reviews as a diff. */
export function printContract(audience: ContractAudience, contract: GraphQLSchema): string {
  return (
    `# Generated by \`npm run cli -- contracts\` from src/policy/disclosure-matrix.ts; do not edit by hand.\n` +
    `# The contract of ${audience}: every type, field and argument it may use. Operations are\n` +
    `# validated against it; anything else is a validation error, as if it did not exist.\n\n` +
    `${printSchema(lexicographicSortSchema(contract))}\n`
  );
}
