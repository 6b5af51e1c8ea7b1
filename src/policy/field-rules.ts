/**
 * The field wall: graphql-shield rules generated from the matrix, plus masking.
 *
 * Shield's defaults are wrong for a privacy gateway, so none is relied on: the fallback rule
 * denies; every rule is `no_cache` (decisions are per-request map look-ups, and a cache keyed
 * without the parent would be wrong); rules sit on concrete object types only (shield ignores
 * interfaces); errors a resolver throws pass through unchanged instead of becoming denials; and
 * a denial is one FORBIDDEN error at the field's path naming its coordinate, with `null` in the
 * field's place (every deniable field is nullable, so a denial never wipes its parent).
 */
import { isObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { applyMiddleware, type IMiddlewareFieldMap } from 'graphql-middleware';
import { allow, deny, rule, shield } from 'graphql-shield';
import type { RequestContext } from '../context';
import { forbidden } from '../platform/errors';
import { classify, STRUCTURE } from './classification';
import { applyMask } from './masking';

export function deniedMessage(coordinate: string): string {
  return `Not disclosed to this caller for this purpose: ${coordinate}`;
}

/** Allowed when the caller's policy view does not deny this coordinate. */
const isDisclosedToCaller = rule({ cache: 'no_cache' })(
  (parent: unknown, _args: unknown, ctx: RequestContext, info: GraphQLResolveInfo) => {
    const decision = ctx.policy.decide(info.parentType.name, info.fieldName);
    ctx.disclosures.field(info.parentType.name, info.fieldName, parent, decision === 'visible' ? 'disclosed' : decision);
    return decision !== 'denied';
  },
);

/** Field rule tree: every field of every object type gets a rule; nothing falls back to allow. */
function ruleTree(schema: GraphQLSchema) {
  const tree: Record<string, Record<string, typeof isDisclosedToCaller | typeof allow>> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const fields: Record<string, typeof isDisclosedToCaller | typeof allow> = {};
    for (const field of Object.values(type.getFields())) {
      const c = type.name === 'Mutation' ? undefined : classify(type.name, field.name);
      // Ids and pagination scaffolding are shown wherever their parent is: their parent was itself checked.
      fields[field.name] = c?.class === STRUCTURE ? allow : isDisclosedToCaller;
    }
    tree[type.name] = fields;
  }
  return tree;
}

/** Masking runs only on fields that can be masked, after the field has resolved. */
function maskingMiddleware(schema: GraphQLSchema): IMiddlewareFieldMap {
  const map: IMiddlewareFieldMap = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const mask = type.name === 'Mutation' ? undefined : classify(type.name, field.name)?.mask;
      if (!mask || mask === 'shown') continue;
      (map[type.name] ??= {}) as Record<string, unknown>;
      (map[type.name] as Record<string, unknown>)[field.name] = async (
        resolve: (...a: unknown[]) => unknown,
        parent: unknown,
        args: unknown,
        ctx: RequestContext,
        info: GraphQLResolveInfo,
      ) => {
        const value = await resolve(parent, args, ctx, info);
        return ctx.policy.decide(type.name, field.name) === 'masked' ? applyMask(mask, value) : value;
      };
    }
  }
  return map;
}

export function applyDisclosurePolicy(schema: GraphQLSchema): GraphQLSchema {
  const permissions = shield(ruleTree(schema), {
    fallbackRule: deny,
    allowExternalErrors: true,
    debug: false,
    fallbackError: (thrown, _parent, _args, _ctx, info) =>
      thrown instanceof Error ? thrown : forbidden(deniedMessage(`${info.parentType.name}.${info.fieldName}`)),
  });
  return applyMiddleware(schema, permissions, maskingMiddleware(schema));
}
