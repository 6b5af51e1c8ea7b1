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

/**
 * Fills in each event's subject ids from its subject set (or the one subject it holds), and its coordinate lists from its
 * coordinate set when it names one (events written before coordinate sets hold their own): one
 * statement for the whole page.
 */
async function withSets(ctx: RequestContext, events: AuditEventEntity[]): Promise<void> {
  const subjectHashes = [...new Set(events.flatMap((e) => (e.subjectSet === null ? [] : [e.subjectSet])))];
  const coordinateHashes = [...new Set(events.flatMap((e) => (e.coordinateSet === null ? [] : [e.coordinateSet])))];
  const rows: Array<{ kind: 'subjects' | 'coordinates'; hash: string; subject_ids: string[] | null; disclosed: string[] | null; masked: string[] | null; denied: string[] | null }> =
    subjectHashes.length + coordinateHashes.length === 0
      ? []
      : await ctx.dataSource.query(
          `SELECT 'subjects' AS kind, hash, subject_ids, NULL::text[] AS disclosed, NULL::text[] AS masked, NULL::text[] AS denied FROM audit_subject_set WHERE hash = ANY($1::char(64)[])
           UNION ALL SELECT 'coordinates', hash, NULL, disclosed, masked, denied FROM audit_coordinate_set WHERE hash = ANY($2::char(64)[])`,
          [subjectHashes, coordinateHashes],
        );
  const subjects = new Map(rows.flatMap((r) => (r.kind === 'subjects' ? [[r.hash, r.subject_ids!] as const] : [])));
  const coordinates = new Map(rows.flatMap((r) => (r.kind === 'coordinates' ? [[r.hash, r] as const] : [])));
  // A set is removed only once no kept event names it (audit-sets.ts); a missing one means the log was tampered with.
  const missing = (event: AuditEventEntity, what: string, hash: string) =>
    new Error(`audit event ${event.id} names ${what} ${hash}, which is missing: run "need-to-know audit verify"`);
  for (const event of events) {
    if (event.subjectId !== null && event.subjectSet !== null) {
      throw new Error(`audit event ${event.id} holds a subject and names subject set ${event.subjectSet}, which no writer does: run "need-to-know audit verify"`);
    }
    const ids = event.subjectId !== null ? [event.subjectId] : event.subjectSet === null ? [] : subjects.get(event.subjectSet);
    if (!ids) throw missing(event, 'subject set', event.subjectSet!);
    event.subjectIds = ids;
    if (event.coordinateSet === null) continue;
    const set = coordinates.get(event.coordinateSet);
    if (!set) throw missing(event, 'coordinate set', event.coordinateSet);
    event.disclosed = set.disclosed!;
    event.masked = set.masked!;
    event.denied = set.denied!;
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
    const result = await paginate(qb, 't', AuditEventOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors);
    await withSets(ctx, result.nodes);
    return result;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Jobs: what the job did, as canonical JSON.' })
  detail(@Root() event: AuditEventEntity): string | null {
    return event.detail ? canonicalJson(event.detail) : null;
  }
}
