/**
 * An external audience's operations are valid only if they are valid against its contract
 * (contracts.ts): anything else is a GRAPHQL_VALIDATION_FAILED error (HTTP 400) that reads as if
 * the field or type did not exist at all — a field hidden from the caller and a field that exists
 * nowhere get the same error, with no "Did you mean" suggestions and no names from outside the
 * contract.
 *
 * Apollo validates every document against the full schema first. For an external caller, the
 * outcome must not depend on the full schema, so:
 * - a document the full schema accepts is validated against the contract in `didResolveOperation`
 *   (which runs on every request, also when Apollo's document cache skipped validation);
 * - a document the full schema rejects gets, instead of the full schema's errors, the errors the
 *   contract gives it (those always exist: the contract is a sub-schema). Only when the contract
 *   accepts the document are Apollo's own errors kept: they came from rules that do not look at
 *   the schema's fields, such as introspection being off.
 * Variables are coerced against the contract too, before execution: the full schema would
 * accept a filter field the contract leaves out (and suggest hidden names for a misspelt one),
 * so a value that names anything outside the contract is refused exactly as a value naming
 * something that exists nowhere (BAD_USER_INPUT, HTTP 400, as graphql-js words it).
 * In every case the contract's errors replace the response's errors in `didEncounterErrors`,
 * whose array Apollo formats right after the hook (as its own suggestion-stripping plugin relies
 * on); test/policy/contract-validation.test.ts fails if that ever stops holding.
 *
 * Introspection (on in development only) answers an external caller from its contract, never
 * from the full schema; introspection mixed with data fields in one operation is refused.
 *
 * Validation stops after `maxValidationErrors` errors, as Apollo's own does.
 *
 * Results are cached per (audience, document hash) in a bounded map: the error messages and
 * positions only, so a cache entry never holds a document.
 */
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLResponse } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  execute,
  GraphQLError,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { RequestContext } from '../context';
import { getVariableValues } from 'graphql/execution/values';
import { BoundedCache, documentKey } from '../platform/bounded-cache';
import { fragmentsOf, rootFieldsOf } from '../platform/documents';
import { buildContracts, isContractAudience, type ContractAudience } from '../policy/contracts';
import type { PolicyEngine } from '../policy/policy-view';

export const DEFAULT_CONTRACT_CACHE_SIZE = 1000;

export const MIXED_INTROSPECTION_MESSAGE = 'Introspection (__schema, __type) must be sent as an operation of its own';

interface ContractViolation {
  message: string;
  positions: readonly number[];
}

export interface ContractPluginOptions {
  /** The full schema and the policy engine the contracts are derived from. */
  schema: GraphQLSchema;
  engine: PolicyEngine;
  /** Errors after which contract validation stops (graphql-js adds one saying so); the server passes Apollo's own limit. */
  maxValidationErrors: number;
  /** How many (audience, document) validation results to keep; 1000 unless told. */
  cacheSize?: number;
  /** The contracts, when already built (buildContracts of the same schema and engine). */
  contracts?: ReadonlyMap<ContractAudience, GraphQLSchema>;
}

/** graphql-js suggests names it knows; from a contract that is harmless, but nothing is suggested at all. */
function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}

function violationError(violation: ContractViolation, document: DocumentNode): GraphQLError {
  return new GraphQLError(violation.message, {
    source: violation.positions.length > 0 ? document.loc?.source : undefined,
    positions: violation.positions.length > 0 && document.loc ? violation.positions : undefined,
    extensions: { code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED, http: { status: 400 } },
  });
}

/** Variable errors reported at most (graphql-js's own default is 50). */
const MAX_VARIABLE_ERRORS = 10;

/** A variable the contract refuses: BAD_USER_INPUT at its definition, as Apollo reports coercion errors. */
function variableError(error: GraphQLError, document: DocumentNode): GraphQLError {
  return new GraphQLError(withoutSuggestions(error.message), {
    source: error.positions?.length ? document.loc?.source : undefined,
    positions: error.positions?.length && document.loc ? error.positions : undefined,
    extensions: { code: ApolloServerErrorCode.BAD_USER_INPUT, http: { status: 400 } },
  });
}

/** The names of the root fields an operation selects, through fragments and inline fragments. */
function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  return new Set(rootFieldsOf(operation.selectionSet, fragmentsOf(document)).map((f) => f.name.value));
}

const INTROSPECTION_ROOT_FIELDS = new Set(['__schema', '__type']);

export function createContractPlugin(options: ContractPluginOptions): ApolloServerPlugin<RequestContext> {
  const contracts = options.contracts ?? buildContracts(options.schema, options.engine);
  const cache = new BoundedCache<readonly ContractViolation[]>(options.cacheSize ?? DEFAULT_CONTRACT_CACHE_SIZE);

  const violationsOf = (audience: ContractAudience, request: GraphQLRequestContext<RequestContext>): readonly ContractViolation[] => {
    const document = request.document!;
    return cache.getOrCompute(`${audience}:${request.queryHash ?? documentKey(request.source)}`, () =>
      validate(contracts.get(audience)!, document, specifiedRules, { maxErrors: options.maxValidationErrors }).map((error) => ({
        message: withoutSuggestions(error.message),
        positions: error.positions ?? [],
      })),
    );
  };

  return {
    async requestDidStart({ contextValue }) {
      const kind = contextValue.caller.principal.kind;
      if (!isContractAudience(kind)) return;
      const audience = kind;
      const contract = contracts.get(audience)!;
      /** Set when this request fails contract validation: the errors it must answer with. */
      let failure: GraphQLError[] | undefined;

      return {
        async validationDidStart(request) {
          return async (fullSchemaErrors) => {
            if (!fullSchemaErrors?.length) return;
            const violations = violationsOf(audience, request);
            if (violations.length > 0) failure = violations.map((v) => violationError(v, request.document));
          };
        },

        async didResolveOperation(request) {
          const violations = violationsOf(audience, request);
          if (violations.length > 0) {
            failure = violations.map((v) => violationError(v, request.document));
            throw failure[0];
          }
          const definitions = request.operation?.variableDefinitions ?? [];
          if (definitions.length > 0) {
            const coerced = getVariableValues(contract, definitions, request.request.variables ?? {}, { maxErrors: MAX_VARIABLE_ERRORS });
            if (coerced.errors) {
              failure = coerced.errors.map((e) => variableError(e, request.document));
              throw failure[0];
            }
          }
          const roots = request.operation ? rootFieldNames(request.document, request.operation) : new Set<string>();
          if ([...roots].some((n) => INTROSPECTION_ROOT_FIELDS.has(n)) && [...roots].some((n) => !n.startsWith('__'))) {
            throw new GraphQLError(MIXED_INTROSPECTION_MESSAGE, {
              extensions: { code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED, http: { status: 400 } },
            });
          }
        },

        async didEncounterErrors(request) {
          if (!failure) return;
          // Apollo formats this very array after the hook: replace its contents, not the reference.
          const errors = request.errors as GraphQLError[];
          errors.splice(0, errors.length, ...failure);
        },

        async responseForOperation(request): Promise<GraphQLResponse | null> {
          const roots = rootFieldNames(request.document, request.operation);
          if (![...roots].some((n) => INTROSPECTION_ROOT_FIELDS.has(n))) return null;
          // Only introspection fields (see didResolveOperation): answered from the contract.
          const result = await execute({
            schema: contract,
            document: request.document,
            operationName: request.operationName,
            variableValues: request.request.variables,
          });
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: {
              kind: 'single',
              singleResult: { data: result.data, ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}) },
            },
          };
        },
      };
    },
  };
}
