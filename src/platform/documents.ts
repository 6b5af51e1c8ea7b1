/**
 * Small readings of a parsed GraphQL document that several checks share (the root-field limit,
 * rate limiting, partner contracts, the field-rule decision, the cost limit, the audit walk).
 *
 * Admission stays linear in the document. A named fragment can be spread many times, and each
 * fragment it spreads many times again: ten spreads per fragment, six fragments deep, is a
 * 500-byte document that stands for a million selections. Every walk that runs before execution
 * therefore expands each fragment once — `rootFieldsOf` by visiting it once, `selectsOnly` and
 * the others through `fragmentMemo`, which remembers a fragment's result — so its work grows with the document's
 * text, not with what it expands to. `admissionVisits` counts the selections those walks visit;
 * the tests build such families of documents and check that the count grows linearly.
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

/** Selections visited by the walks that admit a document (a counter for tests, like the SQL counter). */
export const admissionVisits = { count: 0 };

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** The fields a selection set selects at its own level, through fragments (each once) and inline fragments; aliases count. */
export function rootFieldsOf(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      admissionVisits.count++;
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(selectionSet);
  return fields;
}

/**
 * Remembers what a walk computed for each fragment: `memo(key, compute)` computes a fragment's
 * value the first time and returns it after. A fragment spread while its own value is being
 * computed — a cycle, which validation refuses — gets `onCycle` instead of recursing for ever.
 */
export function fragmentMemo<T>(onCycle: T): (key: string, compute: () => T) => T {
  const done = new Map<string, T>();
  const active = new Set<string>();
  return (key, compute) => {
    if (done.has(key)) return done.get(key)!;
    if (active.has(key)) return onCycle;
    active.add(key);
    try {
      const value = compute();
      done.set(key, value);
      return value;
    } finally {
      active.delete(key);
    }
  };
}

/**
 * Whether the operation (the named one, else the first) selects nothing but fields `admits`
 * admits, at any depth: fragments and inline fragments followed, whatever the alias; `__typename`
 * and introspection fields aside. False when the operation, its root type, a field or a type
 * condition does not exist, or a field leads to an abstract type (validation reports those).
 * Each fragment is decided once, on its own type condition; a cycle is not admitted.
 */
export function selectsOnly(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  admits: (type: GraphQLObjectType, fieldName: string) => boolean,
): boolean {
  const fragments = fragmentsOf(document);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return false;
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'query' ? schema.getQueryType() : undefined;
  if (!root) return false;
  const ofFragment = fragmentMemo(false);
  const visit = (type: GraphQLObjectType, set: SelectionSetNode): boolean => {
    for (const s of set.selections) {
      admissionVisits.count++;
      if (s.kind === Kind.INLINE_FRAGMENT) {
        const t = s.typeCondition ? schema.getType(s.typeCondition.name.value) : type;
        if (!isObjectType(t) || !visit(t, s.selectionSet)) return false;
      } else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        const admitted = ofFragment(s.name.value, () => {
          const t = f && schema.getType(f.typeCondition.name.value);
          return f !== undefined && isObjectType(t) && visit(t, f.selectionSet);
        });
        if (!admitted) return false;
      } else {
        if (s.name.value.startsWith('__')) continue;
        const field = type.getFields()[s.name.value];
        if (!field || !admits(type, s.name.value)) return false;
        if (s.selectionSet) {
          const target = getNamedType(field.type);
          if (!isObjectType(target) || !visit(target, s.selectionSet)) return false;
        }
      }
    }
    return true;
  };
  return visit(root, operation.selectionSet);
}
