/**
 * `behaviorAggregates`: the analyst's only view of page views. Who may call it is the disclosure
 * matrix's decision (its cells are `technical.aggregate`); the numbers, and which are withheld,
 * are behavior-aggregates.ts's.
 */
import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import type { AggregateCell } from './behavior-aggregates';
import { BehaviorAggregateFilter, BehaviorAggregateReport, BehaviorCell, BehaviorDimension } from './analytics.type';

function cellOf(c: AggregateCell): BehaviorCell {
  return {
    day: c.day,
    groupedBy: c.groupedBy,
    page: c.values.page,
    deviceClass: c.values.deviceClass as BehaviorCell['deviceClass'],
    browserFamily: c.values.browserFamily,
    language: c.values.language,
    region: c.values.region,
    suppressed: c.suppressed,
    visitors: c.visitors,
    visits: c.visits,
    dwellMs: c.dwellMs,
    clicks: c.clicks,
  };
}

@Resolver(() => BehaviorAggregateReport)
export class AnalyticsResolver {
  @Query(() => BehaviorAggregateReport, {
    nullable: true,
    description:
      'Visits, distinct visitors, dwell time and clicks per closed UTC day, grouped and filtered by page, device class, browser family, language and region. Cells of fewer than k visitors, and those that would give one away, are suppressed.',
  })
  async behaviorAggregates(
    @Arg('from', () => String, { description: 'First UTC day, YYYY-MM-DD.' }) from: string,
    @Arg('to', () => String, { description: 'Last UTC day, YYYY-MM-DD (included); a day is answered from an hour after the end of the day after it.' }) to: string,
    @Arg('groupBy', () => [BehaviorDimension], { defaultValue: [] }) groupBy: BehaviorDimension[],
    @Arg('filter', () => BehaviorAggregateFilter, { nullable: true }) filter: BehaviorAggregateFilter | null,
    @Ctx() ctx: RequestContext,
  ): Promise<BehaviorAggregateReport> {
    const report = await ctx.aggregates.report(ctx.dataSource, ctx.scope, {
      from,
      to,
      groupBy,
      filter: {
        page: filter?.pages ?? undefined,
        deviceClass: filter?.deviceClasses ?? undefined,
        browserFamily: filter?.browserFamilies ?? undefined,
        language: filter?.languages ?? undefined,
        region: filter?.regions ?? undefined,
      },
    });
    return { minVisitorsPerCell: report.minVisitorsPerCell, cells: report.cells.map(cellOf), totals: report.totals.map(cellOf) };
  }
}
