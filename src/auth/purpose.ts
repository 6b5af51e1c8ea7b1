/**
 * The purpose a request declares (design §4 step 2).
 *
 * A purpose is accepted only if it is (1) a known purpose, (2) one of the token's `purposes`,
 * (3) allowed for the principal's kind, or for at least one of a staff member's roles, and
 * (4) for a third party, the purpose of its consent grant. The `X-Purpose` header names it; a
 * token with exactly one purpose may omit the header and that purpose is declared implicitly,
 * still subject to (3) and (4).
 *
 * A header that is not a purpose, or a missing header where the token offers several, is the
 * caller's input mistake (BAD_USER_INPUT). A real purpose the token or the principal may not use
 * is FORBIDDEN.
 */
import type { GraphQLError } from 'graphql';
import { badUserInput, forbidden } from '../platform/errors';
import { PURPOSES, PURPOSES_BY_KIND, PURPOSES_BY_ROLE, isPurpose, type Purpose, type StaffRole } from '../policy/vocabulary';
import type { Principal } from '../policy/principal';

export const PURPOSE_HEADER = 'X-Purpose';

/**
 * A staff member's purposes by roles list, for lists that cannot change: a verified token's
 * roles are frozen and come again with every request that sends the token.
 */
const purposesOfRoles = new WeakMap<readonly StaffRole[], readonly Purpose[]>();

function purposesOf(roles: readonly StaffRole[]): readonly Purpose[] {
  const kept = purposesOfRoles.get(roles);
  if (kept) return kept;
  const purposes = PURPOSES.filter((purpose) => roles.some((role) => PURPOSES_BY_ROLE[role].includes(purpose)));
  if (Object.isFrozen(roles)) purposesOfRoles.set(roles, Object.freeze(purposes));
  return purposes;
}

/** The purposes the design allows this principal to declare, whatever its token says. */
export function allowedPurposes(principal: Principal): readonly Purpose[] {
  switch (principal.kind) {
    case 'staff':
      return purposesOf(principal.roles);
    case 'third_party':
      return PURPOSES_BY_KIND.third_party.filter((purpose) => purpose === principal.grantPurpose);
    default:
      return PURPOSES_BY_KIND[principal.kind];
  }
}

function list(purposes: readonly string[]): string {
  return purposes.length === 0 ? 'none' : purposes.join(', ');
}

function whoIs(principal: Principal): string {
  return principal.kind === 'staff' ? `staff with roles ${principal.roles.join(', ')}` : `a ${principal.kind}`;
}

/** Why `purpose` is refused for this principal, or undefined when it is allowed. */
function refusal(principal: Principal, purpose: Purpose): GraphQLError | undefined {
  const byKind = principal.kind === 'staff' ? allowedPurposes(principal) : PURPOSES_BY_KIND[principal.kind];
  if (!byKind.includes(purpose)) {
    return forbidden(`Purpose ${purpose} is not allowed for ${whoIs(principal)} (allowed: ${list(byKind)})`);
  }
  if (principal.kind === 'third_party' && purpose !== principal.grantPurpose) {
    return forbidden(`Purpose ${purpose} is not the purpose of consent grant ${principal.grantId} (${principal.grantPurpose})`);
  }
  return undefined;
}

/**
 * The purpose of this request, or a coded GraphQLError: BAD_USER_INPUT for a header that names no
 * purpose or a missing header the token needs, FORBIDDEN for a purpose this token or principal
 * may not declare.
 */
export function choosePurpose(
  principal: Principal,
  tokenPurposes: readonly Purpose[],
  headerValue: string | undefined,
): Purpose {
  let purpose: Purpose;
  if (headerValue === undefined) {
    if (tokenPurposes.length !== 1) {
      throw badUserInput(
        `This token carries several purposes: send the ${PURPOSE_HEADER} header with one of ${list(tokenPurposes)}`,
        { header: PURPOSE_HEADER, accepted: [...tokenPurposes] },
      );
    }
    purpose = tokenPurposes[0]!;
  } else {
    if (!isPurpose(headerValue)) {
      const shown = headerValue.length > 64 ? `${headerValue.slice(0, 64)}…` : headerValue;
      throw badUserInput(
        `${PURPOSE_HEADER}: expected one of ${list(PURPOSES)} (this token may declare ${list(tokenPurposes)}), got ${JSON.stringify(shown)}`,
        { header: PURPOSE_HEADER, accepted: [...tokenPurposes] },
      );
    }
    purpose = headerValue;
    if (!tokenPurposes.includes(purpose)) {
      throw forbidden(`Purpose ${purpose} is not among this token's purposes (${list(tokenPurposes)})`);
    }
  }
  const refused = refusal(principal, purpose);
  if (refused) throw refused;
  return purpose;
}
