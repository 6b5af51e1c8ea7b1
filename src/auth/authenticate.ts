/**
 * Who is calling, and for what: the token is verified, the principal it names is looked up, and
 * the declared purpose is checked against both (design §4 steps 1–2).
 *
 * Rejects with AuthenticationError (401) when the token or the principal is not acceptable, and
 * with a coded GraphQLError (BAD_USER_INPUT / FORBIDDEN) when the purpose is not. The purpose is
 * looked at only once the caller is authenticated, so an unauthenticated caller learns nothing
 * about purposes. KeySourceUnavailableError and database errors propagate as server failures.
 */
import { badUserInput } from '../platform/errors';
import type { Caller } from '../policy/principal';
import type { PrincipalResolver } from './principal-resolver';
import { PURPOSE_HEADER, choosePurpose } from './purpose';
import type { TokenVerifier } from './token-verifier';

/** The request headers authentication reads, as Node's IncomingHttpHeaders names them. */
export interface AuthenticationHeaders {
  authorization?: string;
  'x-purpose'?: string | readonly string[];
}

export type Authenticate = (headers: AuthenticationHeaders) => Promise<Caller>;

export function createAuthenticator(deps: { verifier: TokenVerifier; resolver: PrincipalResolver }): Authenticate {
  const { verifier, resolver } = deps;
  return async function authenticate(headers) {
    const claims = await verifier.verify(headers.authorization);
    const principal = await resolver.resolve(claims);
    const header = headers['x-purpose'];
    if (typeof header !== 'string' && header !== undefined) {
      throw badUserInput(`${PURPOSE_HEADER}: expected the header once, got it ${header.length} times`, { header: PURPOSE_HEADER });
    }
    const purpose = choosePurpose(principal, claims.purposes, header);
    return Object.freeze({ principal, purpose });
  };
}
