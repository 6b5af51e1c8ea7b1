/**
 * What a read's arguments disclosed. A filter reveals the data it filters on and an ordering the
 * field it sorts by (policy/arguments.ts): the orders a filter on status SHIPPED returns are
 * shipped, whether or not the response selects their status. So where a field read with such an
 * argument returned rows, the personal-data coordinates its sent members reveal
 * (`ARGUMENT_REVEALS`) were disclosed about those rows, as surely as a selected value, and the
 * audit event names them (audit-plugin.ts). A member is sent as the argument rules read it
 * (enforcement/argument-rules.ts): null, absent and empty lists are not sent, default values are.
 * The caller may send a member only when its view shows every revealed coordinate unmasked, so
 * each is disclosed, never masked. Mutation arguments are the content of a write and reveal
 * nothing here. Both read paths answer the same response, so both record the same.
 */
import { getNamedType, isEnumType, isObjectType, Kind, type DocumentNode, type FieldNode, type GraphQLField, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { ARGUMENT_REVEALS, classifiedArguments, type ClassifiedArgument } from '../policy/arguments';
import { asSent, collectFields, fragmentsOf, type Fragments } from './response-coordinates';

/** A field read with classified arguments, or one on the way to such a field. */
interface ArgumentPlace {
  key: string;
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  classified: ClassifiedArgument[];
  /** The field's classified arguments alone, for getArgumentValues (it reads nothing else of the field). */
  classifiedField: Pick<GraphQLField<unknown, unknown>, 'args'>;
  /**
   * Whether a classified argument's value in the document names a variable. When none does,
   * what the arguments reveal follows from the document alone: worked out once (`fixed`) instead
   * of coercing the request's variables for each request.
   */
  usesVariables: boolean;
  fixed?: { isPersonalData: (coordinate: string) => boolean; revealed: string[] };
  below: ArgumentPlace[];
}

function namesVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(namesVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => namesVariable(f.value));
  return false;
}

const isSent = (value: unknown) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0);

function placesOf(type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], fragments: Fragments): ArgumentPlace[] {
  const out: ArgumentPlace[] = [];
  for (const [key, nodes] of collectFields(type, selectionSets, fragments)) {
    const field = type.getFields()[nodes[0]!.name.value];
    if (!field) continue;
    const target = getNamedType(field.type);
    const below = isObjectType(target) ? placesOf(target, nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])), fragments) : [];
    const classified = classifiedArguments(type.name, field);
    if (classified.length === 0 && below.length === 0) continue;
    const node = nodes[0]!;
    const names = new Set(classified.map((c) => c.name));
    const usesVariables = (node.arguments ?? []).some((a) => names.has(a.name.value) && namesVariable(a.value));
    out.push({ key, field, node, classified, classifiedField: { args: field.args.filter((a) => names.has(a.name)) }, usesVariables, below });
  }
  return out;
}

/** Worked out once per parsed operation and schema, as response-coordinates.ts does its places. */
const places = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; root: ArgumentPlace[] }>();

function rootPlacesOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): ArgumentPlace[] {
  const cached = places.get(operation);
  if (cached?.schema === schema) return cached.root;
  const type = operation.operation === 'query' ? schema.getQueryType() : undefined;
  const root = type ? placesOf(type, [operation.selectionSet], fragmentsOf(document)) : [];
  places.set(operation, { schema, root });
  return root;
}

/** Whether a field's value holds a row: an object, a list with an item, a connection with a node or edge. */
function holdsRows(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some((item) => asSent(item) !== null);
  if (typeof value !== 'object') return false;
  const page = value as { nodes?: unknown; edges?: unknown };
  if (Array.isArray(page.nodes) || Array.isArray(page.edges)) return [page.nodes, page.edges].some((rows) => Array.isArray(rows) && rows.length > 0);
  return true;
}

/** A place whose arguments, as this request sent them, reveal `revealed`, or one on the way to such a place. */
interface Revealing {
  key: string;
  revealed: string[];
  below: Revealing[];
}

/**
 * The places of `list` whose sent arguments reveal a personal-data coordinate, and the way to
 * them. Arguments come from the document and the variables alone, so this reads no data: a
 * response whose reads sent no such argument is not walked at all (a page PostgreSQL built stays
 * unparsed JSON text).
 */
function revealingPlaces(list: readonly ArgumentPlace[], variableValues: () => Record<string, unknown>, isPersonalData: (coordinate: string) => boolean): Revealing[] {
  const out: Revealing[] = [];
  for (const place of list) {
    let revealed: string[];
    if (place.classified.length === 0) revealed = [];
    else if (place.usesVariables) revealed = revealedBy(place, variableValues(), isPersonalData);
    else {
      if (place.fixed?.isPersonalData !== isPersonalData) place.fixed = { isPersonalData, revealed: revealedBy(place, {}, isPersonalData) };
      revealed = place.fixed.revealed;
    }
    const below = revealingPlaces(place.below, variableValues, isPersonalData);
    if (revealed.length > 0 || below.length > 0) out.push({ key: place.key, revealed, below });
  }
  return out;
}

/** The personal-data coordinates a place's classified arguments reveal, as sent with `variables`. */
function revealedBy(place: ArgumentPlace, variables: Record<string, unknown>, isPersonalData: (coordinate: string) => boolean): string[] {
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(place.classifiedField as GraphQLField<unknown, unknown>, place.node, variables);
  } catch {
    return []; // graphql-js refused them: the field has no rows
  }
  const revealed = new Set<string>();
  for (const argument of place.classified) {
    const sent = args[argument.name];
    if (!isSent(sent)) continue;
    const members =
      argument.kind === 'input'
        ? argument.members.filter((m) => isSent((sent as Record<string, unknown>)[m.name!]))
        : argument.kind === 'enum'
          ? argument.members.filter((m) => m.name === enumName(place.field, argument.name, sent))
          : argument.members;
    for (const member of members) for (const coordinate of ARGUMENT_REVEALS[member.coordinate] ?? []) if (isPersonalData(coordinate)) revealed.add(coordinate);
  }
  return [...revealed];
}

/** The personal-data coordinates (`isPersonalData`) the arguments of a read `operation` disclosed about the rows in `data`. */
export function coordinatesRevealedByArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | undefined,
  data: Record<string, unknown> | null | undefined,
  isPersonalData: (coordinate: string) => boolean,
): Set<string> {
  const found = new Set<string>();
  const root = rootPlacesOf(schema, document, operation);
  if (!data || root.length === 0) return found;
  let coerced: Record<string, unknown> | undefined;
  const variableValues = () => (coerced ??= getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}).coerced ?? {});
  const walk = (list: readonly Revealing[], object: Record<string, unknown>): void => {
    for (const place of list) {
      const value = asSent(object[place.key]);
      if (value === null || value === undefined) continue;
      if (place.revealed.some((c) => !found.has(c)) && holdsRows(value)) for (const coordinate of place.revealed) found.add(coordinate);
      if (place.below.length > 0) eachObject(value, (item) => walk(place.below, item));
    }
  };
  walk(revealingPlaces(root, variableValues, isPersonalData), data);
  return found;
}

/** An enum argument's GraphQL name for the internal value graphql-js coerced it to. */
function enumName(field: GraphQLField<unknown, unknown>, argumentName: string, value: unknown): string | undefined {
  const type = getNamedType(field.args.find((a) => a.name === argumentName)?.type);
  return isEnumType(type) ? type.getValues().find((v) => v.value === value)?.name : undefined;
}

function eachObject(value: unknown, visit: (item: Record<string, unknown>) => void): void {
  const sent = asSent(value);
  if (Array.isArray(sent)) for (const item of sent) eachObject(item, visit);
  else if (sent !== null && typeof sent === 'object') visit(sent as Record<string, unknown>);
}
