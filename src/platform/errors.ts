/**
 * Errors meant for the caller. Each carries a stable `extensions.code`; anything thrown that is
 * not one of these is masked before it leaves (platform/error-format.ts): as SERVICE_UNAVAILABLE when the
 * database cannot answer now (db-errors.ts), as INTERNAL_SERVER_ERROR otherwise.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  /** The database cannot answer now (down, restarting, hung, out of connections): retry later. HTTP 503. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** A subscription: the gateway serves queries and mutations only. HTTP 400. */
  OPERATION_NOT_SUPPORTED: 'OPERATION_NOT_SUPPORTED',
  /** An Idempotency-Key already used for a different request. HTTP 422. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** A request body over the size limit. HTTP 413. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** An upload whose bytes are not a kind it accepts, or a request body declared in another charset than UTF-8. HTTP 415. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** An HTTP method the endpoint does not serve. HTTP 405. */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** Operation text from a token that may run trusted documents only (integration/trusted-document-gate.ts). HTTP 403. */
  TRUSTED_DOCUMENT_REQUIRED: 'TRUSTED_DOCUMENT_REQUIRED',
  /** A document id not registered (or revoked) for the caller's audience. HTTP 404. */
  TRUSTED_DOCUMENT_NOT_FOUND: 'TRUSTED_DOCUMENT_NOT_FOUND',
  /** The request is not a GraphQL request over HTTP. HTTP 400. */
  BAD_REQUEST: 'BAD_REQUEST',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that may reach a caller unchanged. */
export const PUBLIC_CODES: ReadonlySet<string> = new Set([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.NOT_FOUND,
  ErrorCode.RATE_LIMITED,
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.OPERATION_NOT_SUPPORTED,
  ErrorCode.IDEMPOTENCY_KEY_REUSED,
  ErrorCode.PAYLOAD_TOO_LARGE,
  ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  ErrorCode.METHOD_NOT_ALLOWED,
  ErrorCode.TRUSTED_DOCUMENT_REQUIRED,
  ErrorCode.TRUSTED_DOCUMENT_NOT_FOUND,
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The one HTTP status of each code: a response that serves nothing (no data, or every root
 * field it asked for null with an error) answers with the status of its first error's code. A
 * response that carries data and errors about some of its fields is 200, each error with its
 * code — except SERVICE_UNAVAILABLE, which is always 503: retry the whole request. The table is
 * part of the published contract (every contract's description lists it: policy/contract-notes.ts);
 * test/integration/partner-http.test.ts holds the codes to it.
 */
export const HTTP_STATUS_OF_CODE: Readonly<Record<string, number>> = Object.freeze({
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
  [ErrorCode.OPERATION_NOT_SUPPORTED]: 400,
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: 422,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.METHOD_NOT_ALLOWED]: 405,
  GRAPHQL_VALIDATION_FAILED: 400,
  GRAPHQL_PARSE_FAILED: 400,
  BAD_REQUEST: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  // Apollo's automatic persisted queries: the client sends the text next (its link expects 200).
  PERSISTED_QUERY_NOT_FOUND: 200,
  [ErrorCode.TRUSTED_DOCUMENT_REQUIRED]: 403,
  [ErrorCode.TRUSTED_DOCUMENT_NOT_FOUND]: 404,
});

export const UNAUTHENTICATED_MESSAGE = 'Authentication required: send a valid bearer token';

/** The one message of SERVICE_UNAVAILABLE: what failed inside stays in the log. */
export const SERVICE_UNAVAILABLE_MESSAGE = 'Service temporarily unavailable: retry later';

/** Seconds a caller is asked to wait after a SERVICE_UNAVAILABLE (`Retry-After`, `extensions.retryAfterSeconds`). */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/** SERVICE_UNAVAILABLE as it reaches the caller, at `path` when one field failed. */
export function serviceUnavailableError(path?: ReadonlyArray<string | number>): GraphQLFormattedError {
  return {
    message: SERVICE_UNAVAILABLE_MESSAGE,
    ...(path ? { path } : {}),
    extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS },
  };
}

/** Marks an Apollo response as SERVICE_UNAVAILABLE: HTTP 503 and `Retry-After`. */
export function answerServiceUnavailable(http: { status?: number; headers: Map<string, string> }): void {
  http.status = 503;
  http.headers.set('retry-after', String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS));
}

export function badUserInput(message: string, details?: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...details } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });
}

export function notFound(what: string): GraphQLError {
  return new GraphQLError(`${what} not found`, { extensions: { code: ErrorCode.NOT_FOUND } });
}

export function unauthenticated(): GraphQLError {
  return new GraphQLError(UNAUTHENTICATED_MESSAGE, {
    extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
  });
}
