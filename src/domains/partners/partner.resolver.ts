import { Arg, Args, Ctx, Field, ID, InputType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { requireUuid, whereEquals } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { PartnerOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { TABLES } from '../loaders';
import { PartnerKind, PartnerStatus, type PartnerEntity } from './partner.entity';
import { Partner, PartnerConnection } from './partner.type';

@InputType()
export class PartnerFilter {
  @Field(() => PartnerKind, { nullable: true }) kind?: PartnerKind | null;
  @Field(() => PartnerStatus, { nullable: true }) status?: PartnerStatus | null;
}

@Resolver(() => Partner)
export class PartnerResolver {
  @Query(() => Partner, { nullable: true })
  partner(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<PartnerEntity | null> {
    return ctx.loaders.partner().load(requireUuid(id, 'id'));
  }

  @Query(() => PartnerConnection, { description: 'Partners, by name.' })
  partners(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PartnerFilter, { nullable: true }) filter: PartnerFilter | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<PartnerEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.partner, ctx.scope);
    whereEquals(qb, 't.kind', filter?.kind, 'kind');
    whereEquals(qb, 't.status', filter?.status, 'status');
    return paginate(qb, 't', PartnerOrder.pick(), page, ctx.cursors, filter);
  }
}
