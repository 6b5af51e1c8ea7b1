/**
 * One HTTP status per error code (platform/errors.ts, HTTP_STATUS_OF_CODE), whichever stage
 * raised it: an input check in a resolver and a scalar that fails to parse both answer 400 with
 * BAD_USER_INPUT. A response that serves nothing takes the status of its first error; one that
 * carries data and errors about some fields is 200; SERVICE_UNAVAILABLE is always 503 with
 * Retry-After. A replayed idempotent response keeps the status it was first answered with.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { RequestContext } from '../context';
import { REPLAYED_HEADER } from '../idempotency/idempotency';
import { answerServiceUnavailable, ErrorCode, HTTP_STATUS_OF_CODE } from '../platform/errors';

/** True when the result served nothing: no data, or every root field null. */
function servedNothing(result: FormattedExecutionResult): boolean {
  if (result.data === null || result.data === undefined) return true;
  return Object.values(result.data).every((value) => value === null);
}

/** The status a result answers with, or undefined when it has no error (Apollo's own stands). */
export function statusOf(result: FormattedExecutionResult): number | undefined {
  const codes = (result.errors ?? []).map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : ErrorCode.INTERNAL_SERVER_ERROR));
  if (codes.length === 0) return undefined;
  if (codes.includes(ErrorCode.SERVICE_UNAVAILABLE)) return HTTP_STATUS_OF_CODE[ErrorCode.SERVICE_UNAVAILABLE];
  if (!servedNothing(result)) return 200;
  return HTTP_STATUS_OF_CODE[codes[0]!] ?? HTTP_STATUS_OF_CODE[ErrorCode.INTERNAL_SERVER_ERROR];
}

export const responseStatus: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.http.headers.get(REPLAYED_HEADER) === 'true') return;
        const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
        const status = statusOf(result);
        if (status === undefined) return;
        if (status === HTTP_STATUS_OF_CODE[ErrorCode.SERVICE_UNAVAILABLE]) answerServiceUnavailable(response.http);
        else response.http.status = status;
      },
    };
  },
};
