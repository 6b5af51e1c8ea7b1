import { ArrayMaxSize } from 'class-validator';
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { requireUuid, whereEquals, whereIn } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { PrivacyRequestOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { Customer } from '../customers/customer.type';
import { TABLES } from '../loaders';
import { PrivacyRequestStatus, PrivacyRequestType, type PrivacyRequestEntity } from './privacy-request.entity';
import { PrivacyRequest, PrivacyRequestConnection } from './privacy-request.type';

@InputType()
export class PrivacyRequestFilter {
  @Field(() => [PrivacyRequestStatus], { nullable: true }) @ArrayMaxSize(10) statuses?: PrivacyRequestStatus[] | null;
  @Field(() => [PrivacyRequestType], { nullable: true }) @ArrayMaxSize(10) types?: PrivacyRequestType[] | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
}

@Resolver(() => PrivacyRequest)
export class PrivacyRequestResolver {
  @Query(() => PrivacyRequestConnection, { description: 'Data-subject requests.' })
  privacyRequests(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PrivacyRequestFilter, { nullable: true }) filter: PrivacyRequestFilter | null,
    @Arg('orderBy', () => PrivacyRequestOrder.values, PrivacyRequestOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<PrivacyRequestEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.privacyRequest, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereIn(qb, 't.type', filter?.types, 'types');
    whereEquals(qb, 't.customerId', filter?.customerId && requireUuid(filter.customerId, 'filter.customerId'), 'customerId');
    return paginate(qb, 't', PrivacyRequestOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors);
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() request: PrivacyRequestEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.customer().load(request.customerId);
  }
}
