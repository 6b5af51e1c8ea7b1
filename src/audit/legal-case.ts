/**
 * The legal case a compliance read is made for (design §1, "legal disclosure").
 *
 * A request under purpose `legal_compliance` must name its case in the `X-Legal-Case` header;
 * without one it is refused with BAD_USER_INPUT before anything executes, and the refusal is
 * audited. The reference is stored on the request's audit event, which is flagged. Under other
 * purposes the header is ignored: only legal_compliance reads are made for a case.
 */
import { GraphQLError } from 'graphql';
import type { Caller } from '../auth/principal';
import { badUserInput } from '../platform/errors';
import { LEGAL_COMPLIANCE_PURPOSE } from './audit-record';

export const LEGAL_CASE_HEADER = 'X-Legal-Case';
export const MAX_LEGAL_CASE_LENGTH = 100;

/** Printable ASCII, no leading or trailing space, e.g. `LC-2026-0042` or `Court ref. 12/2026`. */
const REFERENCE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The case reference the request carries: a string for legal_compliance reads, undefined for
 * other purposes, or the BAD_USER_INPUT refusal to send when it is missing or malformed.
 */
export function legalCaseOf(caller: Caller, header: string | readonly string[] | undefined): string | undefined | GraphQLError {
  if (caller.purpose !== LEGAL_COMPLIANCE_PURPOSE) return undefined;
  if (header === undefined || header === '') {
    return badUserInput(`${LEGAL_CASE_HEADER}: purpose legal_compliance requires the reference of the legal case this read is for`, {
      header: LEGAL_CASE_HEADER,
    });
  }
  if (typeof header !== 'string') {
    return badUserInput(`${LEGAL_CASE_HEADER}: expected the header once, got it ${header.length} times`, { header: LEGAL_CASE_HEADER });
  }
  if (header.length > MAX_LEGAL_CASE_LENGTH || !REFERENCE.test(header)) {
    return badUserInput(
      `${LEGAL_CASE_HEADER}: expected 1 to ${MAX_LEGAL_CASE_LENGTH} printable ASCII characters without leading or trailing spaces, got ${header.length} characters`,
      { header: LEGAL_CASE_HEADER },
    );
  }
  return header;
}
