/**
 * Which executor runs an operation, decided here and nowhere else, and the operation run to its
 * end.
 *
 * Three paths, over one schema and one set of Apollo plugins (so parsing, validation, the
 * operation limits, the rate limiter, the contract check, the audit plugin and error formatting
 * run for all of them alike):
 * 1. field rules: an operation that selects a field the caller's view denies or masks
 *    (needsFieldRules) runs as a compiled read when it has a plan that answers the view (the plan
 *    masks what the view masks and answers a denied field with null and its FORBIDDEN, as the
 *    rules do), else on graphql-js with the shield rules and masking on every field;
 * 2. compiled read: any other query over the order aggregate runs as one SQL statement per root
 *    field (read-plans.ts), recording the objects it returns; over HTTP the JSON PostgreSQL built
 *    goes into the body as text (json-text.ts: Apollo writes every body with its `stringifyResult`);
 * 3. plain graphql-js: everything else, without the rules (they would allow every field
 *    unchanged), recording the objects it returns.
 * With protections off (benchmarks only) every operation takes path 2 or 3 and nothing is recorded.
 * On every path a response's errors are in response order (error-order.ts).
 *
 * Running an operation ends the request's transaction, if it began, once the response is built
 * and before any of it is sent (platform/request-transaction.ts): it commits when the audit event
 * is in it (or when nothing is audited: protections off), with the first response to an
 * idempotency key; otherwise it rolls back. When the COMMIT fails the response is withheld.
 */
import {
  ApolloServer,
  HeaderMap,
  type ApolloServerOptionsWithGateway,
  type ApolloServerOptionsWithSchema,
  type GraphQLResponse,
  type HTTPGraphQLRequest,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import { execute, parse, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context';
import { applyDisclosurePolicy, needsFieldRules, recordingReturnedObjects } from '../enforcement/field-rules';
import { rememberResponse } from '../idempotency/idempotency';
import type { PersistedQueries } from '../integration/persisted-queries';
import { BoundedCache, documentKey, operationKey } from '../platform/bounded-cache';
import { withhold } from '../platform/error-format';
import type { PolicyView } from '../policy/policy-view';
import type { Principal } from '../policy/principal';
import { inResponseOrder } from './error-order';
import { stringifyResult } from './json-text';
import type { ReadPlan, ReadPlans } from './read-plans';

type Gateway = NonNullable<ApolloServerOptionsWithGateway<RequestContext>['gateway']>;
/** Apollo's options less the schema: the same for every path. */
/** The fields of a GraphQL request routing reads (POST body or GET parameters). */
export interface GraphQLRequestFields {
  query?: unknown;
  /** A trusted document's id (integration/trusted-document-gate.ts), replaced by its text before routing. */
  documentId?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

export type SharedApolloOptions = Omit<ApolloServerOptionsWithSchema<RequestContext>, 'schema'>;

/** Operations whose plan (or lack of one) is remembered, per executor. */
const PLAN_CACHE_SIZE = 2000;
/** Routing decisions remembered, per (policy view, document). */
const ROUTE_CACHE_SIZE = 5000;
/**
 * A document of at most this many characters (with its operation name) keys its routing decision
 * by its text; a longer one by its digest. The text costs no SHA-256 per request (about 12 k instructions of a point read)
 * and cannot collide; the cap keeps what a flood of distinct documents can hold to
 * ROUTE_CACHE_SIZE × this.
 */
const TEXT_KEY_MAX_LENGTH = 1024;

/**
 * The routing cache's key of (view, operation name, document): the text itself when short, its
 * digest otherwise. A name is written after its length (no name, nothing), so no (name, text)
 * pair can spell another's key; a digest has no NUL, a text key two.
 */
function routeKey(viewKey: string, name: string | undefined, query: string): string {
  if (query.length + (name?.length ?? 0) > TEXT_KEY_MAX_LENGTH) return documentKey(viewKey, name, query);
  return `${viewKey}\u0000${name === undefined ? '' : `${name.length}:${name}`}\u0000${query}`;
}

/**
 * The executor Apollo runs an operation with: its compiled read plan when it has one (and, with
 * `masking`, the plan answers for the caller's view: nothing selected is denied), graphql-js on
 * `schema` otherwise. It is handed to Apollo Server as a gateway with a fixed schema (Apollo's
 * documented hook for a custom executor).
 */
export function executorGateway(schema: GraphQLSchema, plans: ReadPlans | undefined, options: { masking?: boolean; audited?: boolean } = {}): Gateway {
  const cache = new BoundedCache<ReadPlan | null>(PLAN_CACHE_SIZE);
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async load() {
      return {
        async executor(rc) {
          const ctx = rc.context as RequestContext;
          // Errors leave in response order, whichever executor ran (error-order.ts).
          const inOrder = <R extends ExecutionResult>(result: R): R =>
            result.errors && result.errors.length > 1 ? { ...result, errors: inResponseOrder(result.errors, schema, rc.document, rc.operation) } : result;
          if (plans && rc.operation.operation === 'query') {
            const plan = cache.getOrCompute(operationKey(rc.operationName, rc.queryHash, rc.source), () => plans.planFor(rc.document, rc.operation) ?? null);
            // Over HTTP (Apollo then writes the body with stringifyResult, json-text.ts) the rows'
            // JSON text goes into the body as PostgreSQL built it; in process, as objects.
            const result = plan ? await plan.run(ctx, rc.request.variables, { ...options, jsonText: rc.request.http !== undefined }) : undefined;
            if (result) return inOrder(result);
          }
          return inOrder(
            await execute({
              schema,
              document: rc.document,
              contextValue: ctx,
              variableValues: rc.request.variables,
              operationName: rc.operationName,
            }),
          );
        },
      };
    },
    async stop() {},
  };
}

export interface RoutingOptions {
  schema: GraphQLSchema;
  apollo: SharedApolloOptions;
  /** False for benchmarks only: no field rules and no recording (row scope always applies). */
  protections: boolean;
  /** Compiled read plans; none runs every unguarded operation on graphql-js. */
  plans: ReadPlans | undefined;
  /** Whether requests are audited: a request's transaction then commits only with its audit event in it. */
  audited: boolean;
  maxTokens: number;
  /** The registered documents both executors share (integration/persisted-queries.ts); a hash-only request is routed by its text. */
  persistedQueries: PersistedQueries;
}

/** The executors of one gateway and the choice between them. */
export class Routing {
  private readonly routes = new BoundedCache<boolean>(ROUTE_CACHE_SIZE);

  private constructor(
    private readonly options: RoutingOptions,
    /** Field rules on every field (protections on), or the unguarded executor (protections off). */
    private readonly guarded: ApolloServer<RequestContext>,
    /** The unguarded executor that records what it returns; none when protections are off. */
    private readonly direct: ApolloServer<RequestContext> | undefined,
  ) {}

  static async start(options: RoutingOptions): Promise<Routing> {
    const { schema, plans, protections, audited } = options;
    const apollo = { ...options.apollo, stringifyResult };
    const guarded = protections
      ? new ApolloServer<RequestContext>({ ...apollo, gateway: executorGateway(applyDisclosurePolicy(schema), plans, { masking: true, audited }) })
      : new ApolloServer<RequestContext>({ ...apollo, gateway: executorGateway(schema, plans) });
    const direct = protections ? new ApolloServer<RequestContext>({ ...apollo, gateway: executorGateway(recordingReturnedObjects(schema), plans, { audited }) }) : undefined;
    await guarded.start();
    await direct?.start();
    return new Routing(options, guarded, direct);
  }

  /** The executor for an operation: with field rules when the caller's view denies or masks a field it selects. */
  private executorFor(view: PolicyView, query: unknown, operationName: unknown): ApolloServer<RequestContext> {
    if (!this.direct || typeof query !== 'string') return this.guarded;
    const name = typeof operationName === 'string' ? operationName : undefined;
    const needsRules = this.routes.getOrCompute(routeKey(view.key, name, query), () => {
      try {
        return needsFieldRules(this.options.schema, view.decide, parse(query, { maxTokens: this.options.maxTokens, noLocation: true }), name);
      } catch {
        // Apollo reports the syntax error, on either path.
        return true;
      }
    });
    return needsRules ? this.guarded : this.direct;
  }

  /**
   * The document a request runs (a hash-only request's registered text), parsed under the token
   * limit; undefined when there is none or it does not parse (Apollo reports why when it runs).
   */
  async documentOf(fields: GraphQLRequestFields | undefined, principal: Principal): Promise<DocumentNode | undefined> {
    const query = await this.options.persistedQueries.documentOf(fields, principal);
    if (typeof query !== 'string') return undefined;
    try {
      return parse(query, { maxTokens: this.options.maxTokens, noLocation: true });
    } catch {
      return undefined;
    }
  }

  /**
   * Runs an HTTP GraphQL request. Returns Apollo's response, or `{ withheld }` with what made the
   * COMMIT fail (nothing of the response may leave then).
   */
  async runHttp(ctx: RequestContext, request: HTTPGraphQLRequest, fields: GraphQLRequestFields | undefined): Promise<HTTPGraphQLResponse | { withheld: unknown }> {
    // A hash-only request is routed by the text it was registered with.
    const persisted = this.options.persistedQueries;
    const executor = this.executorFor(ctx.policy, await persisted.documentOf(fields, ctx.caller.principal), fields?.operationName);
    const response = await this.rollingBackOnThrow(ctx, () =>
      persisted.within(fields, ctx.caller.principal, () => executor.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: async () => ctx })),
    );
    const body = response.body.kind === 'complete' ? response.body.string : '';
    const uncommitted = await this.endTransaction(ctx, response.status ?? 200, () => body);
    return uncommitted === undefined ? response : { withheld: uncommitted };
  }

  /** Runs an operation in process (tests, benchmarks); a response whose COMMIT fails comes back withheld. */
  async runInProcess(ctx: RequestContext, query: string, variables: Record<string, unknown> | undefined): Promise<GraphQLResponse> {
    const executor = this.executorFor(ctx.policy, query, undefined);
    const response = await this.rollingBackOnThrow(ctx, () => executor.executeOperation({ query, variables }, { contextValue: ctx }));
    const body = () => JSON.stringify(response.body.kind === 'single' ? response.body.singleResult : null);
    const uncommitted = await this.endTransaction(ctx, response.http.status ?? 200, body);
    if (uncommitted === undefined) return response;
    const withheld: GraphQLResponse = { http: { status: 500, headers: new HeaderMap() }, body: response.body };
    withhold(withheld, uncommitted);
    return withheld;
  }

  async stop(): Promise<void> {
    await this.guarded.stop();
    await this.direct?.stop();
  }

  private async rollingBackOnThrow<T>(ctx: RequestContext, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      await ctx.transaction.end(false).catch(() => undefined);
      throw error;
    }
  }

  /** Ends the request's transaction; returns what made the COMMIT fail, undefined when it did not. */
  private async endTransaction(ctx: RequestContext, status: number, body: () => string): Promise<unknown> {
    const transaction = ctx.transaction;
    if (!transaction.isOpen) return undefined;
    const commit = transaction.recorded || !this.options.audited;
    try {
      if (commit && ctx.idempotency.claim) await rememberResponse(transaction, ctx.idempotency.claim, status, body(), ctx.disclosures.snapshot());
      await transaction.end(commit);
      return undefined;
    } catch (error) {
      ctx.logger.error({ err: error }, 'the request transaction could not commit: response withheld');
      await transaction.end(false).catch(() => undefined);
      return error;
    }
  }
}
