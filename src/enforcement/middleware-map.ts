/**
 * One place where a field's middleware is set in graphql-middleware's field map, so the field
 * rules, masking, disclosure recording and argument rules each state only what they do.
 */
import type { GraphQLResolveInfo } from 'graphql';
import type { IMiddlewareFieldMap } from 'graphql-middleware';
import type { RequestContext } from '../context';

export type FieldMiddleware = (
  resolve: (...a: unknown[]) => unknown,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: RequestContext,
  info: GraphQLResolveInfo,
) => unknown;

export function setFieldMiddleware(map: IMiddlewareFieldMap, typeName: string, fieldName: string, middleware: FieldMiddleware): void {
  ((map[typeName] ??= {}) as Record<string, unknown>)[fieldName] = middleware;
}
