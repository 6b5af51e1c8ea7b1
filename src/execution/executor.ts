/**
 * The executor Apollo runs an operation with: its compiled read plan when it has one
 * (read-plans.ts), graphql-js on `schema` otherwise. It is handed to Apollo Server as a gateway
 * with a fixed schema (Apollo's documented hook for a custom executor), so parsing, validation,
 * the operation limits, the rate limiter, the contract check, the audit plugin and error
 * formatting run for both paths alike.
 */
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { execute, printSchema, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context';
import { BoundedCache, documentKey } from '../platform/bounded-cache';
import type { ReadPlan, ReadPlans } from './read-plans';

type Gateway = NonNullable<ApolloServerOptionsWithGateway<RequestContext>['gateway']>;

/** Operations whose plan (or lack of one) is remembered, per executor. */
const PLAN_CACHE_SIZE = 2000;

export function executorGateway(schema: GraphQLSchema, plans: ReadPlans | undefined): Gateway {
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
          if (plans && rc.operation.operation === 'query') {
            const plan = cache.getOrCompute(documentKey(rc.operationName ?? undefined, rc.source), () => plans.planFor(rc.document, rc.operation) ?? null);
            const result = plan ? await plan.run(ctx, rc.request.variables) : undefined;
            if (result) return result;
          }
          return execute({
            schema,
            document: rc.document,
            contextValue: ctx,
            variableValues: rc.request.variables,
            operationName: rc.operationName,
          });
        },
      };
    },
    async stop() {},
  };
}
