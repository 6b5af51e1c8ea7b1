/**
 * Reads schema coordinates (`Type.field`) off a response, so the audit log records what the
 * response actually carried rather than what was asked for.
 *
 * `coordinatesWithValues` walks the data along the operation's selections (aliases, fragments
 * and inline fragments included): a field counts when its value is not null and, for a list,
 * when at least one item is not null. A value with `toJSON` counts as what that returns, and is
 * read only when the walk gets to it: the walk stops reading a list once its items can add no
 * coordinate. A compiled read reports the same from its statement (execution/read-plans.ts,
 * `Part`), so its JSON text is not walked.
 * `coordinateAtPath` names the field an error path points at. Both work on the executed
 * document and the schema it was executed against.
 */
import {
  getNamedType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { fragmentsOf } from '../platform/documents';

export type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;
export { fragmentsOf };


export function rootTypeOf(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLObjectType | undefined {
  const root = schema.getRootType(operation.operation);
  return root ?? undefined;
}

/** The field nodes of `selections` that apply to `type`, grouped by response key. */
export function collectFields(
  type: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  fragments: Fragments,
  into = new Map<string, FieldNode[]>(),
  visited = new Set<string>(),
): Map<string, FieldNode[]> {
  for (const selectionSet of selectionSets) {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const nodes = into.get(key);
        if (nodes) nodes.push(selection);
        else into.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        // The schema has object types only, so a type condition applies when it names this type.
        if (!selection.typeCondition || selection.typeCondition.name.value === type.name) {
          collectFields(type, [selection.selectionSet], fragments, into, visited);
        }
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visited.has(name) || fragment.typeCondition.name.value !== type.name) continue;
        visited.add(name);
        collectFields(type, [fragment.selectionSet], fragments, into, visited);
      }
    }
  }
  return into;
}

/**
 * A value as the response carries it: one with `toJSON` is what that returns, as `JSON.stringify`
 * writes it (a compiled read's rows are JSON text until read: execution/json-text.ts).
 */
export function asSent(value: unknown): unknown {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
}

function hasValue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some((item) => hasValue(asSent(item)));
  return true;
}

function eachObject(value: unknown, visit: (item: Record<string, unknown>) => void, stop: () => boolean): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) {
      // Items are read only while they can still add a coordinate.
      if (stop()) return;
      eachObject(asSent(item), visit, stop);
    }
  } else if (typeof value === 'object') visit(value as Record<string, unknown>);
}

/** One response key of a place: the coordinate it stands for and, for an object, the place below it. */
interface PlaceField {
  key: string;
  coordinate: string;
  below: Place | undefined;
}

/** A place in the response (an object type under one set of field nodes): its fields and every coordinate it can hold. */
interface Place {
  fields: PlaceField[];
  coordinates: string[];
}

function placeOf(type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], fragments: Fragments): Place {
  const fields: PlaceField[] = [];
  const coordinates: string[] = [];
  const typeFields = type.getFields();
  for (const [key, nodes] of collectFields(type, selectionSets, fragments)) {
    const name = nodes[0]!.name.value;
    if (name.startsWith('__')) continue;
    const coordinate = `${type.name}.${name}`;
    const target = typeFields[name] ? getNamedType(typeFields[name].type) : undefined;
    const below = target && isObjectType(target) ? placeOf(target, nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])), fragments) : undefined;
    fields.push({ key, coordinate, below });
    coordinates.push(coordinate, ...(below?.coordinates ?? []));
  }
  return { fields, coordinates: [...new Set(coordinates)] };
}

/**
 * The places of an operation, worked out once per parsed operation and schema: Apollo Server
 * keeps parsed documents, so a repeated operation walks its response without reading the
 * document again.
 */
const places = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; root: Place | undefined }>();

function rootPlaceOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Place | undefined {
  const cached = places.get(operation);
  if (cached?.schema === schema) return cached.root;
  const type = rootTypeOf(schema, operation);
  const root = type ? placeOf(type, [operation.selectionSet], fragmentsOf(document)) : undefined;
  places.set(operation, { schema, root });
  return root;
}

/** Every `Type.field` whose value in `data` is not null (introspection fields left out). */
export function coordinatesWithValues(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  data: Record<string, unknown> | null | undefined,
): Set<string> {
  const found = new Set<string>();
  const root = rootPlaceOf(schema, document, operation);
  if (!data || !root) return found;
  // Once every coordinate a place can hold is found, the remaining items of a list there cannot
  // add any, and the walk stops descending (a 50-row list is usually complete after its first row).
  const complete = new Set<Place>();
  const isComplete = (place: Place): boolean => {
    if (complete.has(place)) return true;
    if (!place.coordinates.every((c) => found.has(c))) return false;
    complete.add(place);
    return true;
  };
  const walk = (place: Place, object: Record<string, unknown>): void => {
    if (isComplete(place)) return;
    for (const field of place.fields) {
      if (field.below === undefined && found.has(field.coordinate)) continue;
      const value = asSent(object[field.key]);
      if (!hasValue(value)) continue;
      found.add(field.coordinate);
      const below = field.below;
      if (below && !isComplete(below)) eachObject(value, (item) => walk(below, item), () => isComplete(below));
    }
  };
  walk(root, data);
  return found;
}

/** The coordinate an error `path` points at, or undefined when the path leads nowhere. */
export function coordinateAtPath(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  path: ReadonlyArray<string | number>,
): string | undefined {
  let type = rootTypeOf(schema, operation);
  let selectionSets: readonly SelectionSetNode[] = [operation.selectionSet];
  const fragments = fragmentsOf(document);
  let coordinate: string | undefined;
  for (const segment of path) {
    if (typeof segment === 'number') continue;
    if (!type) return undefined;
    const nodes = collectFields(type, selectionSets, fragments).get(segment);
    if (!nodes) return undefined;
    const name = nodes[0]!.name.value;
    const field = type.getFields()[name];
    if (!field) return undefined;
    coordinate = `${type.name}.${name}`;
    const target = getNamedType(field.type);
    type = isObjectType(target) ? target : undefined;
    selectionSets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  }
  return coordinate;
}
