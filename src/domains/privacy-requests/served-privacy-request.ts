/**
 * A read that says it serves a privacy request (`X-Privacy-Request`, audit/served-request.ts)
 * must name one the caller's row scope reads: a customer their own, a compliance officer or
 * customer service any that exists. Otherwise its audit event would record, as the request those
 * reads serve, another customer's request or one that was never made. The reference is looked up
 * as any record is (one scoped statement by id), so a request outside the scope and one that
 * does not exist are refused alike, with the same statement and the same BAD_USER_INPUT.
 */
import type { GraphQLError } from 'graphql';
import type { RequestContext } from '../../context';
import { REFERENCE_HEADERS } from '../../audit/served-request';
import { byIdLoader } from '../../enforcement/loader-factory';
import { badUserInput } from '../../platform/errors';
import { TABLES } from '../loaders';

const HEADER = REFERENCE_HEADERS.privacy_request;

/** The refusal to send when the request's privacy-request reference names no request the caller reads; undefined when it does, or names none. */
export async function unreachablePrivacyRequest(ctx: Pick<RequestContext, 'dataSource' | 'scope' | 'served'>): Promise<GraphQLError | undefined> {
  const id = ctx.served.privacyRequestReference;
  if (id === undefined) return undefined;
  // Not the request's memoized loader: a write later in the request reads the request afresh.
  const found = await byIdLoader(ctx.dataSource, TABLES.privacyRequest, ctx.scope).load(id);
  if (found) return undefined;
  return badUserInput(`${HEADER}: no privacy request with this id within your reach; send the id of the request this read serves`, { header: HEADER });
}
