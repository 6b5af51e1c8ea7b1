/**
 * What a contract states besides its types, as the schema's description (printed at the top of
 * each contract file and served with it): the error codes a partner can meet with their one
 * HTTP status each, and the limits an operation must stay within. Both come from the code that
 * enforces them, so the contract cannot drift from the behaviour.
 */
import { HTTP_STATUS_OF_CODE } from '../platform/errors';
import { DEFAULT_LIMITS, MAX_BODY_BYTES } from '../platform/limits';
import { MAX_PAGE_SIZE } from '../platform/pagination';

/** What each code means to a partner's client; every code of HTTP_STATUS_OF_CODE has a line. */
export const ERROR_CODE_MEANINGS: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: 'the bearer token is missing, expired or not accepted; get a new one',
  FORBIDDEN: 'a field, argument or operation this audience may not use for the declared purpose',
  BAD_USER_INPUT: 'an argument or variable out of its bounds (the message names it); nothing was written',
  NOT_FOUND: 'no such row within reach of the caller; nothing was written',
  RATE_LIMITED: 'over the per-minute budget; retry after Retry-After seconds',
  SERVICE_UNAVAILABLE: 'the database cannot answer now; retry the whole request after Retry-After seconds',
  INTERNAL_SERVER_ERROR: 'an unexpected failure, logged under x-request-id; nothing was written',
  OPERATION_NOT_SUPPORTED: 'a subscription; send queries and mutations',
  IDEMPOTENCY_KEY_REUSED: 'the Idempotency-Key was used for a different request; use a new key',
  PAYLOAD_TOO_LARGE: `a request body over ${MAX_BODY_BYTES} bytes`,
  UNSUPPORTED_MEDIA_TYPE: 'an uploaded attachment whose bytes are not a kind it accepts, or a request body declared in a charset other than UTF-8',
  METHOD_NOT_ALLOWED: 'a method other than the endpoint serves, or a mutation sent with GET',
  GRAPHQL_VALIDATION_FAILED: 'the operation is not valid against this contract or over a limit below',
  GRAPHQL_PARSE_FAILED: 'the operation is not valid GraphQL',
  BAD_REQUEST: 'the request is not a GraphQL request over HTTP (body, persisted-query hash, a single-valued header sent twice)',
  OPERATION_RESOLUTION_FAILURE: 'operationName names no operation of the document',
  PERSISTED_QUERY_NOT_FOUND: 'the hash is not registered: send the request again with its query text',
  TRUSTED_DOCUMENT_REQUIRED: 'this deployment runs only trusted documents for this audience: send the documentId (sha256:<hex>) of a registered operation, not its text',
  TRUSTED_DOCUMENT_NOT_FOUND: 'the documentId or persisted-query hash is not registered for this audience, or was revoked; register the operation',
};

export function contractDescription(audience: string): string {
  const codes = Object.entries(HTTP_STATUS_OF_CODE)
    .map(([code, status]) => `- ${code} (HTTP ${status}): ${ERROR_CODE_MEANINGS[code] ?? ''}`)
    .join('\n');
  return [
    `The contract of ${audience}. Changes are listed in CHANGELOG.md next to this file; the gateway serves the current contract at GET /contracts/${audience}.graphql.`,
    '',
    'Errors: every error carries extensions.code. Errors are listed in response order: by their paths as the document selects them (root fields in document order, a field\'s selections in document order, list items by ascending index, a field before what is below it); errors without a path first. A response that serves nothing answers with the HTTP status of its first code; a response with data and errors about some fields is 200; SERVICE_UNAVAILABLE is always 503.',
    codes,
    '',
    `Limits (the defaults; a deployment may set others): page sizes (first) 1 to ${MAX_PAGE_SIZE}; depth ${DEFAULT_LIMITS.maxDepth}; ${DEFAULT_LIMITS.maxAliases} aliases; ${DEFAULT_LIMITS.maxRootFields} root fields; ${DEFAULT_LIMITS.maxDirectives} directives; ${DEFAULT_LIMITS.maxTokens} tokens; cost ${DEFAULT_LIMITS.maxCost} (a field costs 1 per parent it can have, first: n multiplies its children by n, a plain list by 5); bodies up to ${MAX_BODY_BYTES} bytes. Every response carries RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset and RateLimit-Policy for the root-field budget per minute (an alias is a call).`,
  ].join('\n');
}
