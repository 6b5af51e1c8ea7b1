import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { scopedQuery } from '../../platform/loader-factory';
import { Customer } from '../customers/customer.type';
import { TABLES } from '../loaders';
import { Order } from '../orders/order.type';
import type { LegalHoldEntity } from './legal-hold.entity';
import { LegalHold } from './legal-hold.type';

/** Legal holds are few (a handful per legal matter); the list is capped rather than paged. */
const MAX_HOLDS = 100;

@Resolver(() => LegalHold)
export class LegalHoldResolver {
  @Query(() => [LegalHold], { description: 'Legal holds, newest first; at most 100.' })
  legalHolds(@Arg('activeOnly', () => Boolean, { defaultValue: true }) activeOnly: boolean, @Ctx() ctx: RequestContext) {
    const qb = scopedQuery(ctx.dataSource, TABLES.legalHold, ctx.scope);
    if (activeOnly) qb.andWhere('t.releasedAt IS NULL');
    return qb.orderBy('t.placedAt', 'DESC').addOrderBy('t.id', 'DESC').limit(MAX_HOLDS).getMany();
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() hold: LegalHoldEntity, @Ctx() ctx: RequestContext) {
    return hold.customerId ? ctx.loaders.customer().load(hold.customerId) : null;
  }

  @FieldResolver(() => Order, { nullable: true })
  order(@Root() hold: LegalHoldEntity, @Ctx() ctx: RequestContext) {
    return hold.orderId ? ctx.loaders.order().load(hold.orderId) : null;
  }
}
