/**
 * The argument wall: before a read resolves, every argument member the caller sent — a filter
 * field, an ordering, a plain argument — is checked against its policy view
 * (`PolicyView.decideArgument`, from arguments.ts). A member the view does not allow is refused
 * with one FORBIDDEN error naming only the argument as the caller wrote it (`filter.channel`,
 * `orderBy`), never the field it would reveal: that field may lie outside the caller's contract.
 *
 * Partners and third parties rarely get here with such a member: their contracts list only the
 * members their rows allow, so anything else fails validation as unknown (contract-plugin.ts,
 * variables included). What reaches this wall is a member inside the contract that the caller's
 * own row refuses (a third party's grant narrower than the widest one) and, for staff and
 * customers, whose schema is the full one, every member their row refuses.
 *
 * A member that is null, absent or an empty list is not sent. Default values are sent, and
 * start-up checks that every default is allowed wherever its field is (checkArguments).
 */
import { getNamedType, isEnumType, type GraphQLField, type GraphQLSchema } from 'graphql';
import type { IMiddlewareFieldMap } from 'graphql-middleware';
import { forbidden } from '../platform/errors';
import { setFieldMiddleware } from './middleware-map';
import { classifiedArguments, readFieldsWithArguments, type ClassifiedArgument } from '../policy/arguments';

export function refusedArgumentMessage(path: string): string {
  return `${path}: not available to this caller for this purpose`;
}

const isSent = (value: unknown) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0);

/** The first member of `args` the caller may not send: its path as the caller wrote it, and its coordinate. */
function firstRefused(
  classified: readonly ClassifiedArgument[],
  args: Record<string, unknown>,
  decideArgument: (coordinate: string) => 'visible' | 'denied',
  enumNames: ReadonlyMap<string, ReadonlyMap<unknown, string>>,
): { path: string; coordinate: string } | undefined {
  for (const argument of classified) {
    const value = args[argument.name];
    if (!isSent(value)) continue;
    if (argument.kind === 'input') {
      for (const member of argument.members) {
        if (isSent((value as Record<string, unknown>)[member.name!]) && decideArgument(member.coordinate) !== 'visible') {
          return { path: `${argument.name}.${member.name}`, coordinate: member.coordinate };
        }
      }
    } else {
      const member = argument.kind === 'enum' ? argument.members.find((m) => m.name === enumNames.get(argument.name)?.get(value)) : argument.members[0];
      if (!member || decideArgument(member.coordinate) !== 'visible') return { path: argument.name, coordinate: member?.coordinate ?? `${argument.name}` };
    }
  }
  return undefined;
}

/** The first argument member of a field's (coerced) `args` the caller may not send, or undefined. */
export type ArgumentCheck = (args: Record<string, unknown>, decideArgument: (coordinate: string) => 'visible' | 'denied') => { path: string; coordinate: string } | undefined;

/**
 * The check of one read field's arguments: the argument wall below, and compiled reads
 * (execution/read-plans.ts), which leave a refused member to it.
 */
export function argumentCheck(parent: string, field: GraphQLField<unknown, unknown>): ArgumentCheck {
  const classified = classifiedArguments(parent, field);
  // graphql-js hands resolvers an enum's internal value; the policy speaks of its GraphQL name.
  const enumNames = new Map<string, Map<unknown, string>>();
  for (const arg of field.args) {
    const type = getNamedType(arg.type);
    if (isEnumType(type)) enumNames.set(arg.name, new Map(type.getValues().map((v) => [v.value, v.name])));
  }
  return (args, decideArgument) => firstRefused(classified, args, decideArgument, enumNames);
}

/** Middleware for every read field with classified arguments; the resolvers themselves decide nothing. */
export function argumentRules(schema: GraphQLSchema): IMiddlewareFieldMap {
  const map: IMiddlewareFieldMap = {};
  for (const [parent, field] of readFieldsWithArguments(schema)) {
    const check = argumentCheck(parent, field);
    setFieldMiddleware(map, parent, field.name, (resolve, root, args, ctx, info) => {
      const refused = check(args, ctx.policy.decideArgument);
      if (refused) {
        // The audit event names the member refused, besides the field the error stands at.
        ctx.disclosures.deny(refused.coordinate);
        throw forbidden(refusedArgumentMessage(refused.path));
      }
      return resolve(root, args, ctx, info);
    });
  }
  return map;
}
