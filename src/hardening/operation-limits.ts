/**
 * Operation limits, applied before anything executes. A hostile operation is refused with a
 * 400 and a coded error; the limits have defaults and can be configured.
 *
 * - depth, aliases and directives: graphql-armor's validation rules;
 * - tokens: graphql-js's own parser limit (`parseOptions.maxTokens`), so a flood of tokens is a
 *   400 parse error before any validation work;
 * - root fields: a validation rule here (aliases count);
 * - cost: computed once the variables are known, so `first: $n` costs what `$n` says (kept per
 *   operation and values of its `first` variables);
 * - validation errors: at most MAX_VALIDATION_ERRORS.
 * Each walk expands a named fragment once (platform/documents.ts): admitting a document costs
 * in proportion to its text, however its fragments spread one another.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { admissionVisits, fragmentMemo, fragmentsOf, rootFieldsOf } from '../platform/documents';
import {
  GraphQLError,
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { DEFAULT_LIMITS, MAX_BODY_BYTES, type OperationLimits } from '../platform/limits';

export { DEFAULT_LIMITS, MAX_BODY_BYTES, type OperationLimits };

/**
 * Validation stops after this many errors (graphql-js then adds one saying so), in Apollo's
 * validation and in the partner contracts' alike: 300 unknown directives are not 300 errors.
 */
export const MAX_VALIDATION_ERRORS = 10;

/** How many children a plain list field (no `first`) is assumed to return, for the cost. */
export const LIST_FAN_OUT = 5;
const DEFAULT_PAGE = 20;

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/** Root fields of each operation, aliases included, fragments followed (each once). */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context) => {
    let fragments: ReadonlyMap<string, FragmentDefinitionNode> | undefined;
    return {
      OperationDefinition(operation) {
        fragments ??= fragmentsOf(context.getDocument());
        const count = rootFieldsOf(operation.selectionSet, fragments).length;
        if (count > max) context.reportError(limitError(`Operation has ${count} root fields; at most ${max} are allowed`));
      },
    };
  };
}

/** graphql-armor's depth, alias and directive rules, with suggestions blocked. */
export function armorProtections(limits: OperationLimits): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[] } {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, exposeLimits: true, ignoreIntrospection: true },
    maxAliases: { n: limits.maxAliases, exposeLimits: true },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: true },
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  });
  const { plugins, validationRules } = armor.protect();
  return { plugins, validationRules };
}

function argumentValue(node: FieldNode, name: string, variables: Record<string, unknown>, read?: (variable: string) => void): unknown {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  if (arg.value.kind === Kind.INT) return Number(arg.value.value);
  if (arg.value.kind === Kind.VARIABLE) {
    read?.(arg.value.name.value);
    return variables[arg.value.name.value];
  }
  return undefined;
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/**
 * The cost of an operation: every field costs 1, times how many of its parent there can be.
 * A field with a `first` argument multiplies its children by `first` (default 20, at most 100);
 * a plain list by LIST_FAN_OUT. Unbounded (a fragment cycle, which validation refuses) is
 * Infinity.
 *
 * A selection set's cost scales with the number of parents, so each set is costed once for one
 * parent and multiplied; a named fragment's cost for one parent is remembered (fragmentMemo), so
 * the walk visits each selection of the document once however often fragments are spread.
 * `read` is told the name of each variable a `first` argument takes its value from.
 */
export function operationCost(
  parentType: GraphQLObjectType,
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  schemaType: (name: string) => GraphQLObjectType | undefined,
  read?: (variable: string) => void,
): number {
  const ofFragment = fragmentMemo(Number.POSITIVE_INFINITY);
  const costOf = (type: GraphQLObjectType, selectionSet: SelectionSetNode): number => {
    let cost = 0;
    for (const s of selectionSet.selections) {
      admissionVisits.count++;
      if (s.kind === Kind.INLINE_FRAGMENT) {
        const t = s.typeCondition ? schemaType(s.typeCondition.name.value) : type;
        cost += costOf(t ?? type, s.selectionSet);
        continue;
      }
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        if (!f) continue;
        const t = schemaType(f.typeCondition.name.value) ?? type;
        cost += ofFragment(`${s.name.value}:${t.name}`, () => costOf(t, f.selectionSet));
        continue;
      }
      cost += 1;
      const field: GraphQLField<unknown, unknown> | undefined = type.getFields()[s.name.value];
      if (!field || !s.selectionSet) continue;
      const target = getNamedType(field.type);
      if (!isObjectType(target)) continue;
      const first = argumentValue(s, 'first', variables, read);
      const childMultiplier =
        field.args.some((a) => a.name === 'first')
          ? Math.min(100, Math.max(1, typeof first === 'number' ? first : DEFAULT_PAGE))
          : isList(field.type)
            ? LIST_FAN_OUT
            : 1;
      cost += childMultiplier * costOf(target, s.selectionSet);
    }
    return cost;
  };
  return costOf(parentType, set);
}

/** Costs kept per operation: one for each set of values its `first` variables were sent with, up to this many. */
const COSTS_PER_OPERATION = 64;

/**
 * An operation's costs so far. The cost depends on nothing but the document, the schema and the
 * values of the variables `first` arguments read (`reads`, the same for every request), so it is
 * kept per operation node — Apollo hands a document it has seen before back from its store, the
 * same nodes — and per those values.
 */
interface KnownCosts {
  schema: GraphQLSchema;
  reads: readonly string[];
  costs: Map<string, number>;
}

const knownCosts = new WeakMap<OperationDefinitionNode, KnownCosts>();

/** The values of `reads` as the cost takes them: a number, or anything else (the default page). */
function readsKey(reads: readonly string[], variables: Record<string, unknown>): string {
  let key = '';
  for (const name of reads) {
    const value = variables[name];
    key += typeof value === 'number' ? `${value},` : '-,';
  }
  return key;
}

/** The operation's cost with these variables, walked once per operation and set of `first` values. */
function costOfOperation(schema: GraphQLSchema, root: GraphQLObjectType, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  const known = knownCosts.get(operation);
  const key = known?.schema === schema ? readsKey(known.reads, variables) : undefined;
  const kept = key === undefined ? undefined : known!.costs.get(key);
  if (kept !== undefined) return kept;
  const schemaType = (name: string) => {
    const t = schema.getType(name);
    return isObjectType(t) ? t : undefined;
  };
  const reads = new Set<string>();
  const cost = operationCost(root, operation.selectionSet, fragmentsOf(document), variables, schemaType, (name) => reads.add(name));
  if (known?.schema === schema && key !== undefined) {
    if (known.costs.size < COSTS_PER_OPERATION) known.costs.set(key, cost);
  } else {
    const names = [...reads];
    knownCosts.set(operation, { schema, reads: names, costs: new Map([[readsKey(names, variables), cost]]) });
  }
  return cost;
}

export function costLimitPlugin(maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) return;
          const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
          if (!root) return;
          const cost = costOfOperation(schema, root, document, operation, request.variables ?? {});
          if (cost > maxCost) {
            throw limitError(`Operation cost ${Number.isFinite(cost) ? cost : 'unbounded'} exceeds the limit of ${maxCost}; ask for smaller pages or fewer nested lists`);
          }
        },
      };
    },
  };
}
