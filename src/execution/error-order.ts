/**
 * The order of a response's errors, defined by the gateway and the same on every path: errors in
 * response order — the order of their paths in the response, as the document selects them (root
 * fields in document order, a field's selections in document order, list items by ascending
 * index), a field's own error before those below it. Errors without a path (an operation that
 * cannot run at all) come first, in the order they were raised.
 *
 * graphql-js lists a field's error when its resolver rejects, which depends on when its parent
 * resolved (a loader's batch, a statement returning before another); a compiled read has no such
 * timing. Ordering both by the response makes their answers comparable, and a caller's view of
 * them stable.
 */
import { getNamedType, isObjectType, Kind, type DocumentNode, type GraphQLError, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { fragmentsOf } from '../platform/documents';

/** The response keys `sets` select on `type`, in the order graphql-js collects them, each with the sub-selections of its field nodes. */
function responseKeys(type: GraphQLObjectType, sets: readonly SelectionSetNode[], document: DocumentNode): Map<string, { field: string; sets: SelectionSetNode[] }> {
  const fragments = fragmentsOf(document);
  const keys = new Map<string, { field: string; sets: SelectionSetNode[] }>();
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const key = s.alias?.value ?? s.name.value;
        const entry = keys.get(key) ?? { field: s.name.value, sets: [] };
        if (s.selectionSet) entry.sets.push(s.selectionSet);
        keys.set(key, entry);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (!s.typeCondition || s.typeCondition.name.value === type.name) visit(s.selectionSet);
      } else if (!visited.has(s.name.value)) {
        visited.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        if (fragment && fragment.typeCondition.name.value === type.name) visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return keys;
}

/**
 * Where `path` sits in the response: one number per segment (a response key's position among its
 * siblings, a list index as it is). A key the document does not select sorts after those it does.
 */
function positionOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, path: ReadonlyArray<string | number>): number[] {
  let type: GraphQLObjectType | undefined = schema.getRootType(operation.operation) ?? undefined;
  let sets: SelectionSetNode[] = [operation.selectionSet];
  const out: number[] = [];
  for (const segment of path) {
    if (typeof segment === 'number') {
      out.push(segment);
      continue;
    }
    const keys: Map<string, { field: string; sets: SelectionSetNode[] }> = type ? responseKeys(type, sets, document) : new Map();
    const at = [...keys.keys()].indexOf(segment);
    out.push(at < 0 ? Number.MAX_SAFE_INTEGER : at);
    const entry = keys.get(segment);
    const target: unknown = entry && type ? getNamedType(type.getFields()[entry.field]?.type) : undefined;
    type = isObjectType(target) ? target : undefined;
    sets = entry?.sets ?? [];
  }
  return out;
}

function compare(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** `errors` in response order (see the module comment); the same array when it holds fewer than two. */
export function inResponseOrder<E extends Pick<GraphQLError, 'path'>>(
  errors: readonly E[],
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): readonly E[] {
  if (errors.length < 2) return errors;
  const positions = errors.map((e) => (e.path ? positionOf(schema, document, operation, e.path) : undefined));
  // Array.prototype.sort is stable: errors at the same place keep the order they were raised in.
  return errors
    .map((error, i) => ({ error, position: positions[i] }))
    .sort((x, y) => compare(x.position, y.position))
    .map((x) => x.error);
}
