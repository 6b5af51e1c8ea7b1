/**
 * How errors leave the gateway, in one place. Only errors thrown on purpose with a public code
 * (platform/errors.ts) reach a caller as they are; everything else is masked and logged with the
 * request id: as SERVICE_UNAVAILABLE with HTTP 503 and Retry-After when the database cannot
 * answer now (db-errors.ts: down, restarting, hung, out of connections), whichever stage met
 * it; as INTERNAL_SERVER_ERROR with HTTP 500 otherwise. A response that cannot leave (its audit
 * event or its transaction's commit failed) is withheld whole: one such error and no data.
 */
import type { GraphQLResponse } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable } from './db-errors';
import { answerServiceUnavailable, ErrorCode, PUBLIC_CODES, serviceUnavailableError } from './errors';

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

/** The whole body of a response withheld for an unexpected failure. */
export const INTERNAL_ERROR_BODY = Object.freeze({ errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });

/** The validation details type-graphql attaches carry the rejected values; keep only where and why. */
function publicDetails(extensions: Record<string, unknown> | undefined): Record<string, unknown> {
  const validationErrors = extensions?.validationErrors as Array<{ property: string; constraints?: Record<string, string>; children?: unknown[] }> | undefined;
  if (!validationErrors) return {};
  const problems: Array<{ field: string; problems: string[] }> = [];
  const walk = (errors: typeof validationErrors, prefix: string) => {
    for (const e of errors) {
      const field = prefix ? `${prefix}.${e.property}` : e.property;
      if (e.constraints) problems.push({ field, problems: Object.values(e.constraints) });
      if (e.children?.length) walk(e.children as typeof validationErrors, field);
    }
  };
  walk(validationErrors, '');
  return { fields: problems };
}

/**
 * graphql-js reports an argument that coerces to null where null is not allowed (a nullable
 * variable passed to a non-null argument) during execution, without a code: the caller's
 * mistake, not ours.
 */
const ARGUMENT_COERCION = /^Argument "[^"]+" of (?:non-null|required) type "[^"]+" (?:must not be null|was provided the variable)/;

/** Details an expected error may carry to the caller beside its code: why, in SCREAMING_SNAKE (`reason`), and what follows from it. */
const PUBLIC_DETAILS = ['reason', 'attemptsLeft', 'requestStatus'] as const;
/** Apollo refuses a mutation sent with GET as BAD_REQUEST with HTTP 405: it is told by its own code. */
const GET_NOT_QUERY = /^GET requests only support query operations/;
/** Apollo's refusals of a persisted-query extension carry no code: they are the caller's mistake. */
const PERSISTED_QUERY_REFUSALS: ReadonlySet<string> = new Set(['provided sha does not match query', 'Unsupported persisted query version']);

/** The code an error reaches the caller with, for the errors graphql-js and Apollo raise without the right one. */
function codeOf(formatted: GraphQLFormattedError, root: unknown): unknown {
  if (root instanceof GraphQLError && !root.originalError && ARGUMENT_COERCION.test(root.message)) return ErrorCode.BAD_USER_INPUT;
  if (root instanceof GraphQLError && PERSISTED_QUERY_REFUSALS.has(root.message)) return 'BAD_REQUEST';
  if (formatted.extensions?.code === 'BAD_REQUEST' && GET_NOT_QUERY.test(formatted.message)) return ErrorCode.METHOD_NOT_ALLOWED;
  return formatted.extensions?.code;
}

/** Apollo's formatError: a public error keeps its message, path and code; anything else is masked and `log`ged. */
export function maskError(formatted: GraphQLFormattedError, error: unknown, log: (e: unknown) => void): GraphQLFormattedError {
  const root = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const code = codeOf(formatted, root);
  if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
    const message = code === ErrorCode.BAD_USER_INPUT && formatted.message === 'Argument Validation Error'
      ? 'Invalid input: see extensions.fields'
      : formatted.message;
    return {
      message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: {
        code,
        ...publicDetails(formatted.extensions as Record<string, unknown>),
        ...(formatted.extensions?.retryAfterSeconds !== undefined ? { retryAfterSeconds: formatted.extensions.retryAfterSeconds } : {}),
        ...Object.fromEntries(PUBLIC_DETAILS.filter((k) => formatted.extensions?.[k] !== undefined).map((k) => [k, formatted.extensions![k]])),
      },
    };
  }
  log(error);
  if (isDatabaseUnavailable(root)) return serviceUnavailableError(formatted.path);
  return {
    message: INTERNAL_ERROR_MESSAGE,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/**
 * Withholds a response that cannot leave because `error` happened on its way out (its audit
 * event, or its transaction's commit, failed): one masked error and no data, HTTP 503
 * SERVICE_UNAVAILABLE with Retry-After when the database could not answer, HTTP 500
 * INTERNAL_SERVER_ERROR otherwise.
 */
export function withhold(response: Pick<GraphQLResponse, 'body' | 'http'>, error: unknown): void {
  if (isDatabaseUnavailable(error)) {
    response.body = { kind: 'single', singleResult: { errors: [serviceUnavailableError()] } };
    answerServiceUnavailable(response.http);
  } else {
    response.body = { kind: 'single', singleResult: { errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] } };
    response.http.status = 500;
  }
}
