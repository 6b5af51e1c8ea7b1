/**
 * Reads schema coordinates (`Type.field`) off a response, so the audit log records what the
 * response actually carried rather than what was asked for.
 *
 * `coordinatesWithValues` walks the data along the operation's selections (aliases, fragments
 * and inline fragments included): a field counts when its value is not null and, for a list,
 * when at least one item is not null. `coordinateAtPath` names the field an error path points
 * at. Both work on the executed document and the schema it was executed against.
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

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;
export { fragmentsOf };


export function rootTypeOf(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLObjectType | undefined {
  const root = schema.getRootType(operation.operation);
  return root ?? undefined;
}

/** The field nodes of `selections` that apply to `type`, grouped by response key. */
function collectFields(
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

function hasValue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some(hasValue);
  return true;
}

function eachObject(value: unknown, visit: (item: Record<string, unknown>) => void): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) for (const item of value) eachObject(item, visit);
  else if (typeof value === 'object') visit(value as Record<string, unknown>);
}

/** Every `Type.field` whose value in `data` is not null (introspection fields left out). */
export function coordinatesWithValues(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  data: Record<string, unknown> | null | undefined,
): Set<string> {
  const found = new Set<string>();
  const root = rootTypeOf(schema, operation);
  if (!data || !root) return found;
  const fragments = fragmentsOf(document);
  // The same selections apply to every item of a list: collect them once per (field nodes, type).
  // `nodes` arrays come from this cache themselves, so each stands for one place in the response.
  const collected = new WeakMap<object, Map<string, Map<string, FieldNode[]>>>();
  const fieldsOf = (type: GraphQLObjectType, owner: object, selectionSets: readonly SelectionSetNode[]) => {
    let byType = collected.get(owner);
    if (!byType) collected.set(owner, (byType = new Map()));
    let fields = byType.get(type.name);
    if (!fields) byType.set(type.name, (fields = collectFields(type, selectionSets, fragments)));
    return fields;
  };
  // Every coordinate a place in the response can hold; once all are found, the remaining items
  // of a list there cannot add any, and the walk stops descending (a 50-row list is usually
  // complete after its first row).
  const below = new WeakMap<object, Map<string, string[]>>();
  const coordinatesBelow = (type: GraphQLObjectType, owner: object, selectionSets: readonly SelectionSetNode[]): string[] => {
    let byType = below.get(owner);
    if (!byType) below.set(owner, (byType = new Map()));
    let list = byType.get(type.name);
    if (list) return list;
    list = [];
    byType.set(type.name, list);
    const fields = type.getFields();
    for (const nodes of fieldsOf(type, owner, selectionSets).values()) {
      const name = nodes[0]!.name.value;
      if (name.startsWith('__')) continue;
      list.push(`${type.name}.${name}`);
      const target = fields[name] ? getNamedType(fields[name].type) : undefined;
      if (target && isObjectType(target)) {
        list.push(...coordinatesBelow(target, nodes, nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []))));
      }
    }
    return list;
  };
  const complete = new WeakMap<object, Set<string>>();
  const walk = (type: GraphQLObjectType, owner: object, selectionSets: readonly SelectionSetNode[], object: Record<string, unknown>) => {
    let done = complete.get(owner);
    if (!done) complete.set(owner, (done = new Set()));
    if (done.has(type.name)) return;
    if (coordinatesBelow(type, owner, selectionSets).every((c) => found.has(c))) {
      done.add(type.name);
      return;
    }
    const fields = type.getFields();
    for (const [key, nodes] of fieldsOf(type, owner, selectionSets)) {
      const name = nodes[0]!.name.value;
      const value = object[key];
      if (name.startsWith('__') || !hasValue(value)) continue;
      found.add(`${type.name}.${name}`);
      const target = fields[name] ? getNamedType(fields[name].type) : undefined;
      if (!target || !isObjectType(target)) continue;
      const subSelections = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      eachObject(value, (item) => walk(target, nodes, subSelections, item));
    }
  };
  walk(root, operation, [operation.selectionSet], data);
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
