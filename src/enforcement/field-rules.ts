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
import {
  getNamedType,
  isObjectType,
  Kind,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { applyMiddleware, type IMiddlewareFieldMap } from 'graphql-middleware';
import { allow, deny, rule, shield } from 'graphql-shield';
import type { RequestContext } from '../context';
import { selectsOnly } from '../platform/documents';
import { forbidden } from '../platform/errors';
import { argumentRules } from './argument-rules';
import { setFieldMiddleware } from './middleware-map';
import { classify, isConnectionScaffolding, STRUCTURE } from '../policy/classification';
import { applyMask } from '../policy/masking';

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
      setFieldMiddleware(map, type.name, field.name, async (resolve, parent, args, ctx, info) => {
        const value = await resolve(parent, args, ctx, info);
        return ctx.policy.decide(type.name, field.name) === 'masked' ? applyMask(mask, value) : value;
      });
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
  // The field rule first: a field the caller may not see is refused as such, whatever its arguments.
  return applyMiddleware(schema, permissions, argumentRules(schema), maskingMiddleware(schema));
}

/**
 * Whether an operation needs the field rules at all: true when the caller's view denies or
 * masks any field the document selects (fragments and inline fragments followed, whatever the
 * alias). When it is false, every field would be allowed unchanged, so the operation runs on the
 * schema without the per-field rules — the same answer, without a promise per field — and only
 * the objects it returns are recorded for the audit log. Decisions depend on the caller's view
 * and the schema coordinate alone, never on arguments or rows, which is what makes this exact.
 * It runs before validation, on any document that parses, so it decides each fragment once
 * (platform/documents.ts): its work grows with the document's text, whatever the fragments expand to.
 */
export function needsFieldRules(
  schema: GraphQLSchema,
  decide: (typeName: string, fieldName: string) => string,
  document: DocumentNode,
  operationName?: string | null,
): boolean {
  return !selectsOnly(schema, document, operationName, (type, fieldName) => decide(type.name, fieldName) === 'visible');
}

/**
 * The schema for operations that need no field rules: resolvers unchanged, except that the
 * argument rules still apply (argument-rules.ts: which arguments a caller sends is not known
 * until it runs) and fields returning objects record each object they return (its data
 * subject) for the audit log.
 */
export function recordingReturnedObjects(schema: GraphQLSchema): GraphQLSchema {
  const map: IMiddlewareFieldMap = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || isConnectionScaffolding(type.name)) continue;
    for (const field of Object.values(type.getFields())) {
      let target = getNamedType(field.type);
      if (!isObjectType(target)) continue;
      const connection = isConnectionScaffolding(target.name);
      if (connection) target = getNamedType(target.getFields().nodes.type);
      if (!isObjectType(target)) continue;
      const typeName = target.name;
      const record = (ctx: RequestContext, value: unknown) => {
        const objects = connection ? (value as { nodes?: unknown[] } | null)?.nodes : value;
        if (Array.isArray(objects)) for (const o of objects) ctx.disclosures.object(typeName, o);
        else ctx.disclosures.object(typeName, objects);
        return value;
      };
      setFieldMiddleware(map, type.name, field.name, (resolve, parent, args, ctx, info) => {
        const value = resolve(parent, args, ctx, info);
        return value instanceof Promise ? value.then((v) => record(ctx, v)) : record(ctx, value);
      });
    }
  }
  return applyMiddleware(schema, argumentRules(schema), map);
}
