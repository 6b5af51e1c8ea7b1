import { Arg, Args, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver, InputType } from 'type-graphql';
import type { RequestContext } from '../../context';
import { badUserInput } from '../../platform/errors';
import { whereBetween } from '../../platform/filters';
import { scopedQuery } from '../../platform/loader-factory';
import { BehaviorEventOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { pagePath, pseudonymizeVisitor, reduceUserAgent, truncateIp } from '../../privacy/desensitize';
import { BehaviorEventEntity } from './behavior-event.entity';
import { BehaviorEvent, BehaviorEventConnection } from './behavior-event.type';
import { IngestBehaviorEventsInput } from './behavior.inputs';

/** How far in the future (clock skew) and in the past an event's time may be. */
const MAX_FUTURE_MS = 5 * 60_000;
const MAX_AGE_MS = 30 * 24 * 3600_000;

@ObjectType()
export class IngestResult {
  @Field(() => Int) accepted!: number;
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
    const qb = scopedQuery(ctx.dataSource, { entity: BehaviorEventEntity, table: 'behavior_event' }, ctx.scope);
    whereBetween(qb, 't.occurredAt', filter?.occurredFrom, filter?.occurredTo, 'occurred');
    return paginate(qb, 't', BehaviorEventOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors);
  }

  @Mutation(() => IngestResult, { description: 'The storefront ingests a batch of page views; all are stored, desensitized, or none.' })
  async ingestBehaviorEvents(@Arg('input', () => IngestBehaviorEventsInput) input: IngestBehaviorEventsInput, @Ctx() ctx: RequestContext): Promise<IngestResult> {
    const now = Date.now();
    const rows = input.events.map((e, i) => {
      const t = e.occurredAt.getTime();
      if (t > now + MAX_FUTURE_MS || t < now - MAX_AGE_MS) {
        throw badUserInput(`input.events[${i}].occurredAt: must be within the last 30 days and not in the future`);
      }
      const ipPrefix = truncateIp(e.ip);
      if (!ipPrefix) throw badUserInput(`input.events[${i}].ip: expected an IPv4 or IPv6 address`);
      return {
        visitorPseudonym: pseudonymizeVisitor(ctx.secrets.behaviorPseudonymKey, e.visitorId, e.occurredAt),
        ipPrefix,
        ...reduceUserAgent(e.userAgent),
        language: e.language ?? null,
        region: e.region ?? null,
        page: pagePath(e.page),
        dwellMs: e.dwellMs,
        clicks: e.clicks,
        occurredAt: e.occurredAt,
      };
    });
    await ctx.transaction.write((em) => em.getRepository(BehaviorEventEntity).insert(rows));
    return { accepted: rows.length };
  }
}
