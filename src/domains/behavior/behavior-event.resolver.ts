import { Arg, Args, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver, InputType } from 'type-graphql';
import type { RequestContext } from '../../context';
import { whereBetween } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { BehaviorEventOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import type { BehaviorEventEntity } from './behavior-event.entity';
import { TABLES } from '../loaders';
import { BehaviorEvent, BehaviorEventConnection } from './behavior-event.type';
import { IngestBehaviorEventsInput } from './behavior.inputs';
import { desensitizeBatch, storeConsentedViews } from './behavior.service';

@ObjectType()
export class IngestResult {
  @Field(() => Int, { description: 'How many page views the batch held; all were checked and taken in (only consented ones are kept).' }) accepted!: number;
}

@InputType()
export class BehaviorEventFilter {
  @Field(() => Date, { nullable: true }) occurredFrom?: Date | null;
  @Field(() => Date, { nullable: true }) occurredTo?: Date | null;
}

@Resolver(() => BehaviorEvent)
export class BehaviorEventResolver {
  @Query(() => BehaviorEventConnection, { description: 'Desensitized page views.' })
  behaviorEvents(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => BehaviorEventFilter, { nullable: true }) filter: BehaviorEventFilter | null,
    @Arg('orderBy', () => BehaviorEventOrder.values, BehaviorEventOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<BehaviorEventEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.behaviorEvent, ctx.scope);
    whereBetween(qb, 't.occurredAt', filter?.occurredFrom, filter?.occurredTo, 'occurred');
    return paginate(qb, 't', BehaviorEventOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
  }

  @Mutation(() => IngestResult, {
    description:
      'The storefront sends a page of page views: desensitized, and stored only for visitors who consented to analytics. The answer says how many were taken in, not how many were kept.',
  })
  async ingestBehaviorEvents(@Arg('input', () => IngestBehaviorEventsInput) input: IngestBehaviorEventsInput, @Ctx() ctx: RequestContext): Promise<IngestResult> {
    const views = desensitizeBatch(ctx.secrets, input.events, new Date());
    await ctx.budgets.behaviorEvents(views.length);
    await ctx.transaction.write((em) => storeConsentedViews(em, views));
    // Not how many were kept: that would tell the storefront which visitors and customers refused.
    return { accepted: views.length };
  }
}
