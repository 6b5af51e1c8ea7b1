/**
 * The preview of the next retention run, for compliance officers (the console's Retention and
 * holds page): the job run as `retention run --dry-run` does, in one transaction rolled back
 * (retention-job.ts), so its numbers are the real run's. Who may ask is the disclosure matrix's
 * decision (category audit.record, legal_compliance only); the request is audited like any
 * read, and the job records its dry run in the audit log as the CLI's does.
 *
 * While a run holds the job's lock (the schedule, the CLI, another preview) the answer says so
 * at once instead of waiting.
 */
import { Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { runRetention } from './retention-job';
import { RetentionPreview } from './retention-preview.type';

@Resolver(() => RetentionPreview)
export class RetentionPreviewResolver {
  @Query(() => RetentionPreview, { description: 'What the next retention run would do if it ran now (a dry run, nothing changed). Compliance officers under legal_compliance.' })
  async retentionPreview(@Ctx() ctx: RequestContext): Promise<RetentionPreview> {
    const result = await runRetention(ctx.dataSource, { ...ctx.retention, dryRun: true, logger: ctx.logger });
    if (!result.ran) {
      return { available: false, unavailableReason: result.reason, asOf: null, ordersCompleted: null, tables: [], auditMonthsPrepared: null, auditMonthsDropped: [], auditMonthsHeld: [], ms: null };
    }
    const { report } = result;
    return {
      available: true,
      unavailableReason: null,
      asOf: new Date(report.asOf),
      ordersCompleted: report.ordersCompleted,
      tables: Object.entries(report.tables).map(([table, counts]) => ({ table, ...counts })),
      auditMonthsPrepared: report.auditPartitions.created.length,
      auditMonthsDropped: report.auditPartitions.dropped,
      auditMonthsHeld: report.auditPartitions.held,
      ms: result.ms,
    };
  }
}
