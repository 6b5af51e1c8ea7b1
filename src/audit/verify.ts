/**
 * `verifyAuditLog`: recomputes every event hash, every seal's Merkle root and the seal chain,
 * and reports what no longer holds, first problem first (log order: seal by seal, event by
 * event within a seal).
 *
 * What each check catches:
 * - an event whose columns changed no longer matches its stored hash ........ event-altered
 *   (its subject and coordinate sets included: the hash covers the ids and the
 *   coordinate lists, wherever they are kept)
 *   (when its hash matches the content with another event's id or timestamp . event-reordered)
 * - an event listed by its seal that is gone ................................. event-removed
 * - an event listed by one seal that now claims another ...................... event-moved
 * - an event no seal lists, or that claims a seal that does not exist ........ event-inserted
 * - events rewritten together with their hashes, or exchanged ................ batch-altered (Merkle root)
 * - a seal whose columns changed ............................................. seal-altered
 * - a gap in the seal numbers ................................................ seal-removed
 * - a seal that does not link to the one before (rewritten, inserted, moved) . seal-unlinked
 * - a recorded head that the chain no longer contains ........................ anchor-mismatch
 *
 * Months the retention job dropped (audit_expiry, audit-partitions.ts) are expired, not removed:
 * an event missing from a seal is counted as expired when the seal lists only dropped events and
 * falls within the seals of a dropped month, or when its hash was kept for a seal that also lists
 * kept events (audit_expired_leaf), whose Merkle root is then checked with it. More events
 * missing that way than the dropped months held is reported as event-removed. Every seal and
 * every link is checked whatever expired.
 *
 * Someone who can rewrite the whole chain from some point on, hashes included, is caught only
 * by an anchor: a (seal id, hash) pair recorded outside the database, e.g. the head this
 * function reports, kept by the compliance team after each run.
 *
 * Reads seals in chunks and the events of each chunk with one query, so memory stays bounded.
 */
import type { DataSource } from 'typeorm';
import { contentOfRow, eventHash, EVENT_SETS, EVENT_SETS_JOIN, sealHash, type AuditEventRow, type AuditRecordContent } from './audit-record';
import { merkleRoot, ZERO_HASH } from './merkle';

export type AuditProblemKind =
  | 'event-altered'
  | 'event-reordered'
  | 'event-removed'
  | 'event-moved'
  | 'event-inserted'
  | 'batch-altered'
  | 'seal-altered'
  | 'seal-removed'
  | 'seal-unlinked'
  | 'anchor-mismatch';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The seal the problem was found at (for an unsealed event: the seal it claims). */
  sealId: string | null;
  eventId: string | null;
  /** Position of the event in its seal's list, when it has one. */
  position: number | null;
  message: string;
}

export interface AuditVerification {
  intact: boolean;
  events: number;
  seals: number;
  /** The last seal: record it somewhere else and pass it back as an anchor next time. */
  head: { sealId: string; hash: string } | null;
  ms: number;
  /** In log order; at most `maxProblems` of them. */
  problems: AuditProblem[];
  problemCount: number;
  /** Events of the months the retention job dropped, which the seals list and the log no longer holds. */
  expired: { events: number; months: Array<{ partition: string; from: Date; to: Date }> };
}

export interface VerifyOptions {
  /** Seals read per round trip (with their events: up to 100 each from the gateway). Default 50. */
  sealsPerChunk?: number;
  /** Problems kept in the report (all are counted). Default 100. */
  maxProblems?: number;
  /** Called after each chunk. */
  onProgress?: (sealsDone: number, sealsTotal: number) => void;
  /** (seal id, hash) pairs recorded earlier, e.g. the head of a previous verification. */
  anchors?: ReadonlyArray<{ sealId: string; hash: string }>;
}

interface SealRow {
  id: string;
  sealed_in_ms: boolean;
  sealed_at: Date;
  event_count: number;
  event_ids: string[];
  merkle_root: string;
  previous_hash: string;
  hash: string;
}

// `at_in_ms`: the writer stores milliseconds, and node-postgres reads no finer, so a change below
// the millisecond would pass the hash unseen; the database says whether any is there.
const EVENT_COLUMNS = `(e.at = date_trunc('milliseconds', e.at)) AS at_in_ms, e.id, e.at, e.request_id, e.principal_kind, e.principal_id, e.roles, e.partner_id, e.customer_id, e.grant_id, e.purpose,
  e.operation_type, e.operation_name, e.operation_hash, e.subject_set, e.subject_id, e.coordinate_set, (e.coordinate_set IS NOT NULL AND c.hash IS NULL) AS coordinate_set_missing,
  ${EVENT_SETS}, e.outcome, e.error_codes,
  e.legal_case_reference, e.privacy_request_reference, e.flagged, e.detail, e.trace_id, e.seal_id::text AS seal_id, e.hash`;

type EventRow = AuditEventRow & { at_in_ms: boolean; coordinate_set_missing: boolean };

/** Why an event no longer matches its hash, when a set it names is gone. */
function missingSetOf(row: EventRow): string | undefined {
  if (row.subject_ids === null && row.subject_id) return `it holds subject ${row.subject_id} and names subject set ${row.subject_set} as well`;
  if (row.subject_ids === null) return `its subject set ${row.subject_set} is missing`;
  if (row.coordinate_set_missing) return `its coordinate set ${row.coordinate_set} is missing`;
  return undefined;
}

const LAST = BigInt('9223372036854775807');

const SEAL_LEVEL = new Set<AuditProblemKind>(['seal-altered', 'seal-removed', 'seal-unlinked', 'anchor-mismatch', 'batch-altered']);

/** Log order: by seal; within a seal, the seal's own problems, then its events by position, then events without one. */
function order(p: AuditProblem): [bigint, number] {
  return [p.sealId === null ? LAST : BigInt(p.sealId), SEAL_LEVEL.has(p.kind) ? -1 : (p.position ?? Number.MAX_SAFE_INTEGER)];
}

function byLogOrder(a: AuditProblem, b: AuditProblem): number {
  const [sa, pa] = order(a);
  const [sb, pb] = order(b);
  return sa === sb ? pa - pb : sa < sb ? -1 : 1;
}

/** Why an altered event's stored hash fits another event's id or timestamp: they were exchanged. */
function exchangedWith(content: AuditRecordContent, storedHash: string, others: readonly AuditRecordContent[]): string | undefined {
  for (const other of others) {
    if (other.id === content.id) continue;
    if (eventHash({ ...content, id: other.id }) === storedHash) return `its id was exchanged with event ${other.id}`;
    if (other.at.getTime() !== content.at.getTime() && eventHash({ ...content, at: other.at }) === storedHash) {
      return `its timestamp was exchanged with event ${other.id}'s`;
    }
  }
  return undefined;
}

export async function verifyAuditLog(dataSource: DataSource, options: VerifyOptions = {}): Promise<AuditVerification> {
  const started = performance.now();
  const sealsPerChunk = options.sealsPerChunk ?? 50;
  const maxProblems = options.maxProblems ?? 100;
  const problems: AuditProblem[] = [];
  let problemCount = 0;
  // Problems arrive almost in log order; keeping a generous prefix bounds memory on a wrecked log.
  const keep = Math.max(1000, maxProblems * 10);
  const report = (problem: AuditProblem) => {
    problemCount += 1;
    if (problems.length < keep) problems.push(problem);
  };

  const [{ total }] = await dataSource.query(`SELECT count(*)::int AS total FROM audit_seal`);
  const expiries: Array<{ partition: string; from_at: Date; to_at: Date; events: number; first_seal: string | null; last_seal: string | null }> = await dataSource.query(
    `SELECT partition, from_at, to_at, events, first_seal::text AS first_seal, last_seal::text AS last_seal FROM audit_expiry ORDER BY from_at`,
  );
  const inExpiredMonth = (sealId: string) =>
    expiries.some((x) => x.first_seal !== null && BigInt(sealId) >= BigInt(x.first_seal) && BigInt(sealId) <= BigInt(x.last_seal!));
  let expiredEvents = 0;
  let sealsDone = 0;
  let events = 0;
  let previous: { id: bigint; hash: string } = { id: 0n, hash: ZERO_HASH };
  let head: AuditVerification['head'] = null;
  // Seal numbers start at 1; starting below any bigint also reads events that claim a seal <= 0.
  let chunkFloor = '-9223372036854775808';

  for (;;) {
    const seals: SealRow[] = await dataSource.query(
      // (ordered by the bigint column, not by the text alias)
      `SELECT s.id::text AS id, (sealed_at = date_trunc('milliseconds', sealed_at)) AS sealed_in_ms, sealed_at, event_count, event_ids, merkle_root, previous_hash, hash
       FROM audit_seal s WHERE s.id > $1::bigint ORDER BY s.id LIMIT $2`,
      [chunkFloor, sealsPerChunk],
    );
    if (seals.length === 0) break;
    const ceiling = seals[seals.length - 1]!.id;
    // Every event claiming a seal up to this chunk's last one, gaps included, so none is skipped.
    const rows: Array<EventRow> = await dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM audit_event e ${EVENT_SETS_JOIN} WHERE e.seal_id > $1::bigint AND e.seal_id <= $2::bigint`,
      [chunkFloor, ceiling],
    );
    events += rows.length;
    const kept: Array<{ seal_id: string; position: number; hash: string }> = await dataSource.query(
      `SELECT seal_id::text AS seal_id, position, hash FROM audit_expired_leaf WHERE seal_id > $1::bigint AND seal_id <= $2::bigint`,
      [chunkFloor, ceiling],
    );
    const keptLeaves = new Map(kept.map((k) => [`${k.seal_id}:${k.position}`, k.hash]));
    const claimed = new Map<string, Array<EventRow>>();
    for (const row of rows) {
      const list = claimed.get(row.seal_id);
      if (list) list.push(row);
      else claimed.set(row.seal_id, [row]);
    }

    for (const seal of seals) {
      const sealId = seal.id;
      const expectedId = previous.id + 1n;
      if (sealHash({ id: sealId, sealedAt: seal.sealed_at, eventCount: seal.event_count, eventIds: seal.event_ids, merkleRoot: seal.merkle_root, previousHash: seal.previous_hash }) !== seal.hash || !seal.sealed_in_ms) {
        report({ kind: 'seal-altered', sealId, eventId: null, position: null, message: `seal ${sealId} was altered: its columns no longer match its hash` });
      }
      if (BigInt(sealId) !== expectedId) {
        const gap = BigInt(sealId) - 1n === expectedId ? `seal ${expectedId}` : `seals ${expectedId} to ${BigInt(sealId) - 1n}`;
        report({ kind: 'seal-removed', sealId: expectedId.toString(), eventId: null, position: null, message: `${gap} removed: seal ${sealId} follows seal ${previous.id}` });
      } else if (seal.previous_hash !== previous.hash) {
        report({
          kind: 'seal-unlinked',
          sealId,
          eventId: null,
          position: null,
          message: `seal ${sealId} does not link to seal ${previous.id}: seal ${previous.id} was rewritten with a new hash, or seal ${sealId} was inserted or moved`,
        });
      }
      previous = { id: BigInt(sealId), hash: seal.hash };
      head = { sealId, hash: seal.hash };

      const present = new Map((claimed.get(sealId) ?? []).map((row) => [row.id, row]));
      const presentCount = present.size;
      claimed.delete(sealId);
      const contents = [...present.values()].map(contentOfRow);
      const leaves: Array<string | undefined> = [];
      const missing: Array<{ id: string; position: number }> = [];
      let eventsIntact = true;
      seal.event_ids.forEach((eventId, position) => {
        const row = present.get(eventId);
        if (!row) {
          missing.push({ id: eventId, position });
          leaves.push(undefined);
          return;
        }
        present.delete(eventId);
        const content = contentOfRow(row);
        const hash = eventHash(content);
        leaves.push(hash);
        if (hash !== row.hash || !row.at_in_ms) {
          eventsIntact = false;
          const exchanged = exchangedWith(content, row.hash, contents);
          report(
            exchanged
              ? { kind: 'event-reordered', sealId, eventId, position, message: `event ${eventId} (seal ${sealId}, position ${position}) was reordered: ${exchanged}` }
              : {
                  kind: 'event-altered',
                  sealId,
                  eventId,
                  position,
                  message: `event ${eventId} (seal ${sealId}, position ${position}) was altered: ${missingSetOf(row) ?? 'its columns no longer match its hash'}`,
                },
          );
        }
      });
      // A seal of a dropped month listing nothing that is still kept: its root cannot be recomputed.
      let rootUnknown = false;
      if (missing.length > 0) {
        const elsewhere: Array<{ id: string; seal_id: string }> = await dataSource.query(
          `SELECT id, seal_id::text AS seal_id FROM audit_event WHERE id = ANY($1::uuid[])`,
          [missing.map((m) => m.id)],
        );
        const claims = new Map(elsewhere.map((r) => [r.id, r.seal_id]));
        const wholeSealExpired = presentCount === 0 && inExpiredMonth(sealId);
        for (const { id, position } of missing) {
          const other = claims.get(id);
          const keptLeaf = keptLeaves.get(`${sealId}:${position}`);
          if (!other && keptLeaf !== undefined) {
            leaves[position] = keptLeaf;
            expiredEvents += 1;
            continue;
          }
          if (!other && wholeSealExpired) {
            rootUnknown = true;
            expiredEvents += 1;
            continue;
          }
          eventsIntact = false;
          report(
            other
              ? { kind: 'event-moved', sealId, eventId: id, position, message: `event ${id}, sealed by seal ${sealId} at position ${position}, now claims seal ${other}: moved out of its place in the log` }
              : { kind: 'event-removed', sealId, eventId: id, position, message: `event ${id} (seal ${sealId}, position ${position}) was removed` },
          );
        }
      }
      let extra = seal.event_ids.length;
      for (const row of present.values()) {
        report({ kind: 'event-inserted', sealId, eventId: row.id, position: extra++, message: `event ${row.id} claims seal ${sealId}, which does not list it: inserted` });
      }
      if (eventsIntact && !rootUnknown && merkleRoot(leaves as string[]) !== seal.merkle_root) {
        report({
          kind: 'batch-altered',
          sealId,
          eventId: null,
          position: null,
          message: `the events of seal ${sealId} no longer produce its Merkle root: events were rewritten together with their hashes, or exchanged`,
        });
      }
    }
    // Events that claim a seal number with no seal (removed, or never written).
    for (const [sealId, list] of claimed) {
      for (const row of list) {
        report({ kind: 'event-inserted', sealId, eventId: row.id, position: null, message: `event ${row.id} claims seal ${sealId}, which does not exist: inserted, or its seal was removed` });
      }
    }
    sealsDone += seals.length;
    options.onProgress?.(sealsDone, total);
    chunkFloor = ceiling;
  }

  const unsealed: Array<{ id: string; seal_id: string | null }> = await dataSource.query(
    `SELECT id, seal_id::text AS seal_id FROM audit_event WHERE seal_id IS NULL OR seal_id > $1::bigint`,
    [chunkFloor],
  );
  events += unsealed.length;
  for (const row of unsealed) {
    report({ kind: 'event-inserted', sealId: row.seal_id, eventId: row.id, position: null, message: `event ${row.id} is not covered by any seal: inserted` });
  }

  const recordedExpired = expiries.reduce((n, x) => n + x.events, 0);
  if (expiredEvents > recordedExpired) {
    report({
      kind: 'event-removed',
      sealId: null,
      eventId: null,
      position: null,
      message: `${expiredEvents - recordedExpired} events are missing from the seals of dropped months beyond the ${recordedExpired} those months held: removed`,
    });
  }

  for (const anchor of options.anchors ?? []) {
    const [found] = await dataSource.query(`SELECT hash FROM audit_seal WHERE id = $1::bigint`, [anchor.sealId]);
    if (!found || found.hash !== anchor.hash) {
      report({
        kind: 'anchor-mismatch',
        sealId: anchor.sealId,
        eventId: null,
        position: null,
        message: found
          ? `seal ${anchor.sealId} no longer has the hash recorded for it (${anchor.hash}): the chain was rewritten from there on`
          : `seal ${anchor.sealId}, recorded with hash ${anchor.hash}, is gone: the chain was cut back`,
      });
    }
  }

  problems.sort(byLogOrder);
  return {
    intact: problemCount === 0,
    events,
    seals: sealsDone,
    head,
    ms: Math.round(performance.now() - started),
    problems: problems.slice(0, maxProblems),
    problemCount,
    expired: { events: expiredEvents, months: expiries.map((x) => ({ partition: x.partition, from: x.from_at, to: x.to_at })) },
  };
}
