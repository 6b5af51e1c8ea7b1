/**
 * A read that says it serves a privacy request (`X-Privacy-Request`, audit/served-request.ts)
 * must name one the caller's row scope reads: a customer their own, a compliance officer or
 * customer service any that exists. Otherwise its audit event would record, as the request those
 * reads serve, another customer's request or one that was never made. The reference is looked up
 * as any record is (one scoped statement by id), so a request outside the scope and one that
 * does not exist are refused alike, with the same statement and the same BAD_USER_INPUT.
 *
 * A download link issued to such a read carries the reference; at download the request must
 * still be within the caller's reach and open (`servesOpenPrivacyRequest`), so a link issued to
 * work a request ends when the request is completed or rejected.
 */
import type { GraphQLError } from 'graphql';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../../context';
import { REFERENCE_HEADERS } from '../../audit/served-request';
import { byIdLoader } from '../../enforcement/loader-factory';
import { badUserInput } from '../../platform/errors';
import type { RowScope } from '../../policy/row-scope';
import { TABLES } from '../loaders';
import { OPEN_STATUSES } from './privacy-request.entity';

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

/**
 * Whether the privacy request `id` is one `scope` reads and still open (received, verified or in
 * progress): what a download link issued to serve it needs to answer. One scoped statement by
 * id, whichever way it answers.
 */
export async function servesOpenPrivacyRequest(dataSource: DataSource, scope: RowScope, id: string): Promise<boolean> {
  const found = await byIdLoader(dataSource, TABLES.privacyRequest, scope).load(id);
  return found !== null && OPEN_STATUSES.includes(found.status);
}
