/**
 * The content type of a GraphQL answer, chosen once per Accept header value.
 *
 * Apollo Server chooses it for every request by parsing the Accept header with `negotiator`
 * (runHttpQuery's chooseContentTypeForSingleResultResponse), unless the response already has one.
 * Clients send the same few Accept values again and again, so the same choice — the same
 * negotiator call over the same three media types, in Apollo's order — is made here once per value
 * and kept, and set on the response before Apollo looks. When no type is acceptable nothing is set,
 * and Apollo answers 406 as it always does.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import Negotiator from 'negotiator';
import { BoundedCache } from '../platform/bounded-cache';

/** Apollo Server's media types for a single result (its MEDIA_TYPES), in the order it prefers them. */
export const SINGLE_RESULT_MEDIA_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
] as const;

/** Accept values remembered; keys are what clients send, bounded by count and by length. */
const CHOICES = 200;
/** A longer Accept value is negotiated every time rather than kept. */
const LONGEST_KEPT = 256;

const NONE = '';

/** The media type Apollo answers a single result with for `accept`, or undefined when none is acceptable (406). */
export function createContentTypeChooser(): (accept: string | undefined) => string | undefined {
  const chosen = new BoundedCache<string>(CHOICES);
  const negotiate = (accept: string): string => new Negotiator({ headers: { accept } }).mediaType([...SINGLE_RESULT_MEDIA_TYPES]) ?? NONE;
  return (accept) => {
    if (!accept) return SINGLE_RESULT_MEDIA_TYPES[0];
    const choice = accept.length > LONGEST_KEPT ? negotiate(accept) : chosen.getOrCompute(accept, () => negotiate(accept));
    return choice === NONE ? undefined : choice;
  };
}

/** Sets the answer's content type from the request's Accept header (see the header), unless a hook set one. */
export function responseContentType<C extends BaseContext>(): ApolloServerPlugin<C> {
  const choose = createContentTypeChooser();
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response }) {
          if (!request.http || response.body.kind !== 'single' || response.http.headers.has('content-type')) return;
          const type = choose(request.http.headers.get('accept'));
          if (type !== undefined) response.http.headers.set('content-type', type);
        },
      };
    },
  };
}
