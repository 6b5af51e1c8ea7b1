/**
 * Legal holds over GraphQL: compliance officers list them, place one on a customer or an order
 * and release it. Who may call each is the disclosure matrix's decision (legal_compliance, with
 * the case reference of the X-Legal-Case header, which the hold records); the customer or order
 * named is found inside the caller's row scope, else NOT_FOUND. Each call is a mutation, so the
 * audit log records it with the held customer as its subject, in the same transaction.
 */
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { scopedQuery } from '../../enforcement/loader-factory';
import { badUserInput, notFound } from '../../platform/errors';
import { requireUuid } from '../../platform/filters';
import { Customer } from '../customers/customer.type';
import { inRootListOrder, ROOT_LISTS, TABLES } from '../loaders';
import { Order } from '../orders/order.type';
import { LegalHoldScope, type LegalHoldEntity } from './legal-hold.entity';
import { PlaceLegalHoldInput, ReleaseLegalHoldInput } from './legal-hold.inputs';
import { placeLegalHold, releaseLegalHold } from './legal-hold.service';
import { LegalHold } from './legal-hold.type';

@Resolver(() => LegalHold)
export class LegalHoldResolver {
  @Query(() => [LegalHold], { description: 'Legal holds, newest first; at most 100.' })
  legalHolds(@Arg('activeOnly', () => Boolean, { defaultValue: true }) activeOnly: boolean, @Ctx() ctx: RequestContext) {
    const qb = scopedQuery(ctx.dataSource, TABLES.legalHold, ctx.scope);
    if (activeOnly) qb.andWhere('t.releasedAt IS NULL');
    return inRootListOrder(qb, ROOT_LISTS.legalHolds).getMany();
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() hold: LegalHoldEntity, @Ctx() ctx: RequestContext) {
    return hold.customerId ? ctx.loaders.customer().load(hold.customerId) : null;
  }

  @FieldResolver(() => Order, { nullable: true })
  order(@Root() hold: LegalHoldEntity, @Ctx() ctx: RequestContext) {
    return hold.orderId ? ctx.loaders.order().load(hold.orderId) : null;
  }

  @Mutation(() => LegalHold, {
    description:
      'A compliance officer freezes retention and erasure of a customer (scope CUSTOMER) or an order (scope ORDER) for the legal case named in X-Legal-Case, until released.',
  })
  async placeLegalHold(@Arg('input', () => PlaceLegalHoldInput) input: PlaceLegalHoldInput, @Ctx() ctx: RequestContext): Promise<LegalHoldEntity> {
    const caseReference = ctx.served.legalCaseReference;
    if (!caseReference) throw badUserInput('X-Legal-Case: a legal hold names the legal case it serves; send its reference in the header');
    let customerId: string;
    if (input.scope === LegalHoldScope.CUSTOMER) {
      if (!input.customerId || input.orderId) throw badUserInput('input: scope CUSTOMER names a customerId and no orderId');
      const customer = await ctx.loaders.customer().load(requireUuid(input.customerId, 'input.customerId'));
      if (!customer) throw notFound('Customer');
      customerId = customer.id;
    } else {
      if (!input.orderId || input.customerId) throw badUserInput('input: scope ORDER names an orderId and no customerId');
      const order = await ctx.loaders.order().load(requireUuid(input.orderId, 'input.orderId'));
      if (!order) throw notFound('Order');
      customerId = order.customerId;
    }
    const hold = await ctx.transaction.write((em) =>
      placeLegalHold(em, {
        scope: input.scope,
        customerId: input.scope === LegalHoldScope.CUSTOMER ? customerId : null,
        orderId: input.scope === LegalHoldScope.ORDER ? input.orderId! : null,
        reason: input.reason,
        caseReference,
        placedBy: ctx.caller.principal.subject,
        at: new Date(),
      }),
    );
    ctx.disclosures.subject(customerId);
    return hold;
  }

  @Mutation(() => LegalHold, { description: 'A compliance officer releases a legal hold; one already released is answered as it is.' })
  async releaseLegalHold(@Arg('input', () => ReleaseLegalHoldInput) input: ReleaseLegalHoldInput, @Ctx() ctx: RequestContext): Promise<LegalHoldEntity> {
    const found = await scopedQuery(ctx.dataSource, TABLES.legalHold, ctx.scope)
      .andWhere('t.id = :id', { id: requireUuid(input.holdId, 'input.holdId') })
      .getOne();
    if (!found) throw notFound('Legal hold');
    const released = await ctx.transaction.write((em) => releaseLegalHold(em, found.id, ctx.caller.principal.subject, new Date()));
    const customerId = found.customerId ?? (found.orderId ? (await ctx.loaders.order().load(found.orderId))?.customerId : undefined);
    if (customerId) ctx.disclosures.subject(customerId);
    return released;
  }
}
