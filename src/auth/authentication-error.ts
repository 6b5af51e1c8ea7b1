/**
 * The one error every authentication failure becomes.
 *
 * The caller always sees the same message and code (UNAUTHENTICATED, HTTP 401, a
 * `WWW-Authenticate: Bearer error="invalid_token"` challenge), so a failing token teaches an
 * attacker nothing about why it failed. The precise `reason` is for the server log only: it is
 * a plain property, never part of `extensions`, so `toJSON()` does not carry it to the client.
 */
import { GraphQLError } from 'graphql';
import { ErrorCode, UNAUTHENTICATED_MESSAGE } from '../platform/errors';

/** The challenge sent with every 401 (RFC 6750 §3). */
export const WWW_AUTHENTICATE_CHALLENGE = 'Bearer error="invalid_token"';

export class AuthenticationError extends GraphQLError {
  override name = 'AuthenticationError';
  /** Why authentication failed, for the server log. Never sent to the caller. */
  readonly reason: string;

  constructor(reason: string, options: { cause?: unknown } = {}) {
    super(UNAUTHENTICATED_MESSAGE, {
      extensions: {
        code: ErrorCode.UNAUTHENTICATED,
        // Apollo Server reads `extensions.http` (status and a Map of headers) when this error is
        // thrown from the context function, and strips it from the response body.
        http: { status: 401, headers: new Map([['www-authenticate', WWW_AUTHENTICATE_CHALLENGE]]) },
      },
    });
    this.reason = reason;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, configurable: true });
    }
  }
}

export function isAuthenticationError(error: unknown): error is AuthenticationError {
  return error instanceof AuthenticationError;
}
