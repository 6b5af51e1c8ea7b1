/**
 * Known database errors, translated at the boundary into coded errors a caller can act on.
 * Everything else propagates and is masked.
 *
 * `isDatabaseUnavailable` names the errors that say the database cannot answer now — it is down,
 * restarting, unreachable, hung, out of connections, or did not answer within the statement
 * timeout — as opposed to a statement it refused. Those become SERVICE_UNAVAILABLE (HTTP 503 with
 * Retry-After, platform/error-format.ts): the caller may retry the same request later and it will work.
 */
import type { GraphQLError } from 'graphql';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { badUserInput, notFound } from './errors';

const MESSAGES: Record<string, string> = {
  '23505': 'conflicts with an existing record (a value that must be unique is already used)',
  '23514': 'breaks a rule of the data (a value is out of its allowed range or format)',
  '22001': 'has a value longer than allowed',
  '22P02': 'has a value in the wrong format',
  '22003': 'has a number out of range',
};

export async function translatingDbErrors<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = error instanceof QueryFailedError ? (error.driverError as { code?: string } | undefined)?.code : undefined;
    const message = code ? MESSAGES[code] : undefined;
    if (message) throw badUserInput(`${operation}: the input ${message}`);
    throw error;
  }
}

/**
 * The refusal of a row about a customer who is no longer active when it is written (erased while
 * the write was on its way: migration 1795000014421), as the customer's absence is answered; or
 * undefined for any other error.
 */
export function customerGoneError(error: unknown): GraphQLError | undefined {
  const driverError = error instanceof QueryFailedError ? (error.driverError as { constraint?: string } | undefined) : undefined;
  return driverError?.constraint === 'write_needs_active_customer' ? notFound('Customer') : undefined;
}

/**
 * SQLSTATEs of a database that cannot answer now: class 08 (connection exception), class 53
 * (insufficient resources: too many connections, out of memory or disk), 57P01–57P03 (shutting
 * down, crashed, not accepting connections yet) and 57014 (cancelled: the statement timeout,
 * typically while waiting for a lock or a busy server).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0[123]|57014)$/;

/** Socket errors of a server that is gone or unreachable. */
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * node-postgres reports a lost or hung connection with these messages and no code: the socket
 * closed, the pool waited `connectionTimeoutMillis` in vain, a query outlived `query_timeout`, or
 * the client is unusable after one of those.
 */
const PG_CLIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
];

/**
 * Whether `error`, or what it wraps (TypeORM's `driverError`, a GraphQLError's `originalError`,
 * an Error's `cause`), says the database cannot answer now.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    // TypeORM releases a query runner whose connection failed (the server ended the session
    // between two statements of a transaction); the runner's next statement fails with this.
    if (e instanceof QueryRunnerAlreadyReleasedError) return true;
    const { code, message, driverError, originalError, cause } = e as Record<string, unknown>;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNREACHABLE_ERRNO.has(code))) return true;
    if (typeof message === 'string' && PG_CLIENT_MESSAGES.some((m) => message.startsWith(m))) return true;
    e = driverError ?? originalError ?? cause;
  }
  return false;
}
