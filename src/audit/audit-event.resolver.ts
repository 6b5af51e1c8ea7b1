/**
 * The audit log as compliance officers read it: `auditEvents`, newest first, filtered by
 * subject, principal, partner, purpose, coordinate, outcome and time, paged by keyset.
 *
 * Who may read it is the disclosure matrix's decision, like any field: AuditEvent fields are
 * category audit.record, and only the compliance officer's legal_compliance row sees it (its
 * data_subject_request row withholds Query.auditEvents). Those reads carry a legal case
 * reference (X-Legal-Case) and their own audit event is flagged. Reading the log is audited like
 * any read: the event names the coordinates read and the subjects of the events returned.
 */
import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import { requireUuid, whereBetween, whereEquals, whereIn } from '../platform/filters';
import { scopedQuery, type TableRef } from '../enforcement/loader-factory';
import { AuditEventOrder } from '../platform/orderings';
import { paginate, PageArgs, type Page } from '../platform/pagination';
import { AuditEventEntity } from './audit-event.entity';
import { AuditEvent, AuditEventConnection, AuditEventFilter } from './audit-event.type';
import { canonicalJson } from './canonical-json';

const AUDIT_EVENTS: TableRef<AuditEventEntity> = { entity: AuditEventEntity, table: 'audit_event' };

/** Fills in each event's subject ids from its subject set: one statement for the whole page. */
async function withSubjects(ctx: RequestContext, events: AuditEventEntity[]): Promise<void> {
  const hashes = [...new Set(events.flatMap((e) => (e.subjectSet === null ? [] : [e.subjectSet])))];
  const rows: Array<{ hash: string; subject_ids: string[] }> =
    hashes.length === 0 ? [] : await ctx.dataSource.query(`SELECT hash, subject_ids FROM audit_subject_set WHERE hash = ANY($1::char(64)[])`, [hashes]);
  const sets = new Map(rows.map((r) => [r.hash, r.subject_ids]));
  for (const event of events) {
    if (event.subjectSet === null) {
      event.subjectIds = [];
      continue;
    }
    const ids = sets.get(event.subjectSet);
    // The foreign key keeps every named set; a missing one means the log was tampered with.
    if (!ids) throw new Error(`audit event ${event.id} names subject set ${event.subjectSet}, which is missing: run "need-to-know audit verify"`);
    event.subjectIds = ids;
  }
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Query(() => AuditEventConnection, {
    description:
      'The disclosure audit log, newest first. Compliance officers under purpose legal_compliance only (send X-Legal-Case); reading it is itself audited.',
  })
  async auditEvents(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | null,
    @Arg('orderBy', () => AuditEventOrder.values, AuditEventOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<AuditEventEntity>> {
    const qb = scopedQuery(ctx.dataSource, AUDIT_EVENTS, ctx.scope);
    if (filter?.subjectId) {
      qb.andWhere('t.subjectSet IN (SELECT s.hash FROM audit_subject_set s WHERE s.subject_ids @> ARRAY[:subjectId]::uuid[])', {
        subjectId: requireUuid(filter.subjectId, 'filter.subjectId'),
      });
    }
    whereEquals(qb, 't.principalKind', filter?.principalKind, 'principalKind');
    whereEquals(qb, 't.principalId', filter?.principalId, 'principalId');
    whereEquals(qb, 't.partnerId', filter?.partnerId && requireUuid(filter.partnerId, 'filter.partnerId'), 'partnerId');
    whereEquals(qb, 't.purpose', filter?.purpose, 'purpose');
    if (filter?.coordinate) {
      qb.andWhere('(:coordinate = ANY(t.disclosed) OR :coordinate = ANY(t.masked) OR :coordinate = ANY(t.denied))', { coordinate: filter.coordinate });
    }
    whereIn(qb, 't.outcome', filter?.outcomes, 'outcomes');
    if (filter?.flaggedOnly) qb.andWhere('t.flagged');
    whereEquals(qb, 't.legalCaseReference', filter?.legalCaseReference, 'legalCaseReference');
    whereEquals(qb, 't.privacyRequestReference', filter?.privacyRequestReference, 'privacyRequestReference');
    whereBetween(qb, 't.at', filter?.from, filter?.to, 'at');
    const result = await paginate(qb, 't', AuditEventOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors);
    await withSubjects(ctx, result.nodes);
    return result;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Jobs: what the job did, as canonical JSON.' })
  detail(@Root() event: AuditEventEntity): string | null {
    return event.detail ? canonicalJson(event.detail) : null;
  }
}
