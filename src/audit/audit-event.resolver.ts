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
import type { SelectQueryBuilder } from 'typeorm';
import type { RequestContext } from '../context';
import { requireUuid, whereBetween, whereEquals, whereIn } from '../platform/filters';
import { scopedQuery, type TableRef } from '../enforcement/loader-factory';
import { AuditEventOrder } from '../platform/orderings';
import { pageOf, pageQuery, PageArgs, type Ordering, type Page } from '../platform/pagination';
import { readRows, rowReader } from '../platform/row-reader';
import { AuditEventEntity } from './audit-event.entity';
import { AuditEvent, AuditEventConnection, AuditEventFilter } from './audit-event.type';
import { canonicalJson } from '../platform/canonical-json';

const AUDIT_EVENTS: TableRef<AuditEventEntity> = { entity: AuditEventEntity, table: 'audit_event' };

/** An audit_event row of a page, with the content of the subject and coordinate sets it names, read with it. */
type EventRow = Record<string, unknown> & { set_subjects: string[] | null; set_disclosed: string[] | null; set_masked: string[] | null; set_denied: string[] | null };

/**
 * Reads the page `qb` (narrowed by pageQuery) together with the subject and coordinate sets its
 * events name, in one statement: a month of the log removed by retention between a read of the
 * events and a read of their sets would otherwise show sets missing from events that exist.
 * Each event gets its subject ids from its subject set (or the one subject it holds), and its
 * coordinate lists from its coordinate set when it names one (events written before coordinate
 * sets hold their own).
 */
async function eventsWithSets(ctx: RequestContext, qb: SelectQueryBuilder<AuditEventEntity>, ordering: Ordering): Promise<AuditEventEntity[]> {
  const [sql, parameters] = qb.getQueryAndParameters();
  const metadata = qb.expressionMap.mainAlias!.metadata;
  // TypeORM names each selected column `<alias>_<column>`.
  const column = (property: string) => `p."t_${metadata.findColumnWithPropertyName(property)!.databaseName}"`;
  const rows = (await readRows(
    ctx.dataSource,
    `SELECT p.*,
       (SELECT s.subject_ids FROM audit_subject_set s WHERE s.hash = ${column('subjectSet')}) AS set_subjects,
       c.disclosed AS set_disclosed, c.masked AS set_masked, c.denied AS set_denied
     FROM (${sql}) p LEFT JOIN audit_coordinate_set c ON c.hash = ${column('coordinateSet')}
     ORDER BY ${column(ordering.property)} ${ordering.direction}, ${column('id')} ${ordering.direction}`,
    parameters,
  )) as EventRow[];
  const reader = rowReader(ctx.dataSource, AuditEventEntity);
  // A set is removed only once no kept event names it (audit-sets.ts); a missing one means the log was tampered with.
  const missing = (event: AuditEventEntity, what: string, hash: string) =>
    new Error(`audit event ${event.id} names ${what} ${hash}, which is missing: run "need-to-know audit verify"`);
  return rows.map((row) => {
    const event = reader.toEntityFromAliased(row, 't');
    if (event.subjectId !== null && event.subjectSet !== null) {
      throw new Error(`audit event ${event.id} holds a subject and names subject set ${event.subjectSet}, which no writer does: run "need-to-know audit verify"`);
    }
    const ids = event.subjectId !== null ? [event.subjectId] : event.subjectSet === null ? [] : row.set_subjects;
    if (!ids) throw missing(event, 'subject set', event.subjectSet!);
    event.subjectIds = ids;
    if (event.coordinateSet === null) return event;
    if (row.set_disclosed === null) throw missing(event, 'coordinate set', event.coordinateSet);
    event.disclosed = row.set_disclosed;
    event.masked = row.set_masked!;
    event.denied = row.set_denied!;
    return event;
  });
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
      // The one subject an event holds, or a subject of the set it names.
      qb.andWhere('(t.subjectId = :subjectId OR t.subjectSet IN (SELECT s.hash FROM audit_subject_set s WHERE s.subject_ids @> ARRAY[:subjectId]::uuid[]))', {
        subjectId: requireUuid(filter.subjectId, 'filter.subjectId'),
      });
    }
    whereEquals(qb, 't.principalKind', filter?.principalKind, 'principalKind');
    whereEquals(qb, 't.principalId', filter?.principalId, 'principalId');
    whereEquals(qb, 't.partnerId', filter?.partnerId && requireUuid(filter.partnerId, 'filter.partnerId'), 'partnerId');
    whereEquals(qb, 't.purpose', filter?.purpose, 'purpose');
    if (filter?.coordinate) {
      // In the event's coordinate set, or (events written before coordinate sets) in its own lists.
      qb.andWhere(
        `(t.coordinateSet IN (SELECT c.hash FROM audit_coordinate_set c WHERE :coordinate = ANY(c.disclosed) OR :coordinate = ANY(c.masked) OR :coordinate = ANY(c.denied))
          OR :coordinate = ANY(t.disclosed) OR :coordinate = ANY(t.masked) OR :coordinate = ANY(t.denied))`,
        { coordinate: filter.coordinate },
      );
    }
    whereIn(qb, 't.outcome', filter?.outcomes, 'outcomes');
    if (filter?.flaggedOnly) qb.andWhere('t.flagged');
    whereEquals(qb, 't.legalCaseReference', filter?.legalCaseReference, 'legalCaseReference');
    whereEquals(qb, 't.privacyRequestReference', filter?.privacyRequestReference, 'privacyRequestReference');
    whereBetween(qb, 't.at', filter?.from, filter?.to, 'at');
    const ordering = AuditEventOrder.pick(orderBy, ctx.policy.decideArgument);
    pageQuery(qb, 't', ordering, page, ctx.cursors, filter);
    return pageOf(await eventsWithSets(ctx, qb, ordering), qb, ordering, page, ctx.cursors, filter);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Jobs: what the job did, as canonical JSON.' })
  detail(@Root() event: AuditEventEntity): string | null {
    return event.detail ? canonicalJson(event.detail) : null;
  }
}
