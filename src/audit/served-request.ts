/**
 * What a regulated read serves: the legal case of a legal disclosure (design §1), or the privacy
 * request a data-subject request answers. The matrix row says which (`MatrixRow.serves`); the
 * request names it in a header — `X-Legal-Case` or `X-Privacy-Request` — and the reference is
 * stored on the request's audit event, which is flagged.
 *
 * Where the row requires it (compliance officers, under either purpose), a request without a
 * well-formed reference is refused with BAD_USER_INPUT before anything executes, and the refusal
 * is audited — unless it reads nothing but what the row lets be read without one
 * (`serves.unreferenced`: the data-subject request queue, to pick the request the next reads
 * serve); that read is flagged and audited without a reference. A customer reading their own data under data_subject_request is the data subject:
 * the reference is theirs to send (their request, if they made one) and the read is flagged
 * either way. Under purposes whose rows serve nothing, the headers are ignored.
 *
 * A legal case is the authority's reference, free text. A privacy request is the gateway's own
 * record, named by its id, and must be one the caller's row scope reads
 * (domains/privacy-requests/served-privacy-request.ts): else an audit event could record another
 * customer's request, or none at all, as what a read served.
 */
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Caller } from '../policy/principal';
import { selectsOnly } from '../platform/documents';
import { isUuid } from '../platform/filters';
import { badUserInput } from '../platform/errors';
import { classify, isConnectionScaffolding, STRUCTURE } from '../policy/classification';
import type { MatrixRow } from '../policy/disclosure-matrix';

type Served = NonNullable<MatrixRow['serves']>;

export const REFERENCE_HEADERS: Readonly<Record<Served['reference'], string>> = {
  legal_case: 'X-Legal-Case',
  privacy_request: 'X-Privacy-Request',
};
const WHAT: Readonly<Record<Served['reference'], string>> = { legal_case: 'legal case', privacy_request: 'privacy request' };

export const MAX_REFERENCE_LENGTH = 100;

/** The references a request carries, by what they name. */
export interface ServedRequest {
  legalCaseReference?: string;
  privacyRequestReference?: string;
}

/** Printable ASCII, no leading or trailing space, e.g. `LC-2026-0042` or `Court ref. 12/2026`. */
const REFERENCE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Whether an operation reads only what `serves.unreferenced` lets be read without the reference:
 * every field it selects is listed there, or is an id, a paging field or a connection's
 * nodes and edges (their record was itself admitted; the nodes are decided in turn). A write, or any other field or link, is not.
 */
export function readsOnlyUnreferenced(schema: GraphQLSchema, serves: MatrixRow['serves'], document: DocumentNode, operationName?: string | null): boolean {
  const listed = new Set(serves?.unreferenced ?? []);
  if (listed.size === 0) return false;
  return selectsOnly(
    schema,
    document,
    operationName,
    (type, fieldName) => listed.has(`${type.name}.${fieldName}`) || isConnectionScaffolding(type.name) || classify(type.name, fieldName)?.class === STRUCTURE,
  );
}

/**
 * The reference the request carries for what the caller's reads serve, or the BAD_USER_INPUT
 * refusal to send when it is required and missing (and the operation, as `readsOnlyUnreferenced`
 * answers, reads more than the row lets be read without it), or malformed. `header(name)` reads
 * a request header (lower-case name); nothing is read when the caller's reads serve nothing.
 */
export function servedRequestOf(
  caller: Caller,
  serves: MatrixRow['serves'],
  header: (name: string) => string | readonly string[] | undefined,
  readsOnlyUnreferenced: () => boolean = () => false,
): ServedRequest | GraphQLError {
  if (!serves) return {};
  const name = REFERENCE_HEADERS[serves.reference];
  const value = header(name.toLowerCase());
  if (value === undefined || value === '') {
    if (!serves.required || readsOnlyUnreferenced()) return {};
    return badUserInput(`${name}: purpose ${caller.purpose} requires the reference of the ${WHAT[serves.reference]} this read is for`, { header: name });
  }
  if (typeof value !== 'string') return badUserInput(`${name}: expected the header once, got it ${value.length} times`, { header: name });
  if (value.length > MAX_REFERENCE_LENGTH || !REFERENCE.test(value)) {
    return badUserInput(
      `${name}: expected 1 to ${MAX_REFERENCE_LENGTH} printable ASCII characters without leading or trailing spaces, got ${value.length} characters`,
      { header: name },
    );
  }
  if (serves.reference === 'legal_case') return { legalCaseReference: value };
  // A privacy request is named by its id; that the caller may read it is checked against its row
  // scope once the request has one (domains/privacy-requests/served-privacy-request.ts).
  if (!isUuid(value)) return badUserInput(`${name}: expected the id of a privacy request (a UUID), got ${value.length} characters`, { header: name });
  return { privacyRequestReference: value.toLowerCase() };
}
