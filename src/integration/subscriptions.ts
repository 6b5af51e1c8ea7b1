/**
 * What runs is one query or one mutation of the document, and nothing else reaches the hooks
 * after `didResolveOperation` or the executors.
 *
 * The gateway serves queries and mutations over HTTP; it has no `Subscription` type. graphql-js
 * 16 validates `subscription { ... }` all the same (it has no rule for an operation type the
 * schema lacks) and only execution fails, which would be masked as an unexpected 500. A
 * subscription is refused before anything runs, with HTTP 400 and a message naming what to do
 * instead.
 *
 * A request whose `operationName` names no operation of its document (or that names none of a
 * document with several) has no operation at all; Apollo goes on to its later hooks and the
 * executor without one, which read it (idempotency, compiled reads) and would fail as an
 * unexpected 500. It is refused here, before anything runs, as graphql-js words it, with
 * OPERATION_RESOLUTION_FAILURE and HTTP 400.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { RequestContext } from '../context';
import { ErrorCode } from '../platform/errors';

export const SUBSCRIPTIONS_REFUSED_MESSAGE =
  'Subscriptions are not served: send a query or a mutation. To follow changes, register a webhook endpoint (registerWebhookEndpoint): a carrier is notified of its shipments, a provider of its payment verifications.';

/** Apollo's code for an operation name that names no operation (platform/errors.ts PUBLIC_CODES). */
const OPERATION_RESOLUTION_FAILURE = 'OPERATION_RESOLUTION_FAILURE';

export const refuseSubscriptions: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (!operation) {
          const name = request.operationName;
          throw new GraphQLError(
            typeof name === 'string' ? `Unknown operation named "${name.slice(0, 100)}".` : 'Must provide operation name if query contains multiple operations.',
            { extensions: { code: OPERATION_RESOLUTION_FAILURE, http: { status: 400 } } },
          );
        }
        if (operation.operation === 'subscription') {
          throw new GraphQLError(SUBSCRIPTIONS_REFUSED_MESSAGE, {
            extensions: { code: ErrorCode.OPERATION_NOT_SUPPORTED, http: { status: 400 } },
          });
        }
      },
    };
  },
};
