/**
 * Operation limits, applied before anything executes. A hostile operation is refused with a
 * 400 and a coded error; the limits have defaults and can be configured.
 *
 * - depth, aliases and directives: graphql-armor's validation rules;
 * - tokens: graphql-js's own parser limit (`parseOptions.maxTokens`), so a flood of tokens is a
 *   400 parse error before any validation work;
 * - root fields: a validation rule here (aliases count);
 * - cost: computed once the variables are known, so `first: $n` costs what `$n` says.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { fragmentsOf, rootFieldsOf } from '../platform/documents';
import {
  GraphQLError,
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
}

export const DEFAULT_LIMITS: OperationLimits = Object.freeze({
  maxDepth: 8,
  maxAliases: 15,
  maxRootFields: 10,
  maxTokens: 1000,
  maxDirectives: 10,
  maxCost: 20_000,
});

/** How many children a plain list field (no `first`) is assumed to return, for the cost. */
export const LIST_FAN_OUT = 5;
const DEFAULT_PAGE = 20;

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/** Root fields of each operation, aliases included, fragments followed. */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const count = rootFieldsOf(operation.selectionSet, fragmentsOf(context.getDocument())).length;
      if (count > max) context.reportError(limitError(`Operation has ${count} root fields; at most ${max} are allowed`));
    },
  });
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

function argumentValue(node: FieldNode, name: string, variables: Record<string, unknown>): unknown {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  if (arg.value.kind === Kind.INT) return Number(arg.value.value);
  if (arg.value.kind === Kind.VARIABLE) return variables[arg.value.name.value];
  return undefined;
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/**
 * The cost of an operation: every field costs 1, times how many of its parent there can be.
 * A field with a `first` argument multiplies its children by `first` (default 20, at most 100);
 * a plain list by LIST_FAN_OUT.
 */
export function operationCost(
  parentType: GraphQLObjectType,
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  schemaType: (name: string) => GraphQLObjectType | undefined,
  multiplier = 1,
  depth = 0,
): number {
  if (depth > 50) return Number.POSITIVE_INFINITY;
  let cost = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.INLINE_FRAGMENT) {
      const t = s.typeCondition ? schemaType(s.typeCondition.name.value) : parentType;
      cost += operationCost(t ?? parentType, s.selectionSet, fragments, variables, schemaType, multiplier, depth + 1);
      continue;
    }
    if (s.kind === Kind.FRAGMENT_SPREAD) {
      const f = fragments.get(s.name.value);
      if (f) cost += operationCost(schemaType(f.typeCondition.name.value) ?? parentType, f.selectionSet, fragments, variables, schemaType, multiplier, depth + 1);
      continue;
    }
    cost += multiplier;
    const field: GraphQLField<unknown, unknown> | undefined = parentType.getFields()[s.name.value];
    if (!field || !s.selectionSet) continue;
    const target = getNamedType(field.type);
    if (!isObjectType(target)) continue;
    const first = argumentValue(s, 'first', variables);
    const childMultiplier =
      field.args.some((a) => a.name === 'first')
        ? Math.min(100, Math.max(1, typeof first === 'number' ? first : DEFAULT_PAGE))
        : isList(field.type)
          ? LIST_FAN_OUT
          : 1;
    cost += operationCost(target, s.selectionSet, fragments, variables, schemaType, multiplier * childMultiplier, depth + 1);
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
          const fragments = fragmentsOf(document);
          const schemaType = (name: string) => {
            const t = schema.getType(name);
            return isObjectType(t) ? t : undefined;
          };
          const cost = operationCost(root, operation.selectionSet, fragments, request.variables ?? {}, schemaType);
          if (cost > maxCost) {
            throw limitError(`Operation cost ${Number.isFinite(cost) ? cost : 'unbounded'} exceeds the limit of ${maxCost}; ask for smaller pages or fewer nested lists`);
          }
        },
      };
    },
  };
}
