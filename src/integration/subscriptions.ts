/**
 * The gateway serves queries and mutations over HTTP; it has no `Subscription` type. graphql-js
 * 16 validates `subscription { ... }` all the same (it has no rule for an operation type the
 * schema lacks) and only execution fails, which would be masked as an unexpected 500. A
 * subscription is refused before anything runs, with HTTP 400 and a message naming what to do
 * instead.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { RequestContext } from '../context';
import { ErrorCode } from '../platform/errors';

export const SUBSCRIPTIONS_REFUSED_MESSAGE =
  'Subscriptions are not served: send a query or a mutation. To follow changes, register a webhook endpoint (registerWebhookEndpoint): a carrier is notified of its shipments, a provider of its payment verifications.';

export const refuseSubscriptions: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === 'subscription') {
          throw new GraphQLError(SUBSCRIPTIONS_REFUSED_MESSAGE, {
            extensions: { code: ErrorCode.OPERATION_NOT_SUPPORTED, http: { status: 400 } },
          });
        }
      },
    };
  },
};
