/**
 * Subject and coordinate sets expire with the events that name them (migration 1795000014200).
 *
 * A set is stored once however many events name it (audit-subject-set.entity.ts,
 * audit-coordinate-set.entity.ts). When the retention job drops a month of the log
 * (audit-partitions.ts), the sets its events named become candidates (`nameExpiringSets`);
 * `expireAuditSets` then decides them in batches, in key order:
 * - named by an event still kept (any month, the default partition included): kept, and no
 *   longer a candidate (it becomes one again when that event's month is dropped);
 * - a subject set naming a customer under a legal hold (on them, or on one of their orders):
 *   kept, and still a candidate, checked again by the next run;
 * - otherwise removed.
 *
 * Verification stays sound: an event's hash covers its sets' content and a seal covers the
 * events' hashes, never a set's row; a set is removed only when no kept event names it, so every
 * event `audit verify` recomputes still finds its sets, and the dropped events' hashes kept for
 * seals across a month's turn (audit_expired_leaf) do not need them.
 *
 * Writers remember the sets they stored and do not send them again (audit-log.ts). A batch that
 * removes sets therefore holds the seal lock from before its check to its COMMIT (no event naming
 * a set can be written meanwhile), writes a seal in the same transaction (the retention batch's
 * own event: every other writer's next try without the lock then fails), and advances the
 * sequence `audit_set_removal`, which writers read under the lock: one that finds it moved
 * forgets every set it remembers and sends them again.
 *
 * The sets tables stay append-only for everyone else: the batch lifts their trigger and grants
 * itself DELETE for its one statement, inside its transaction, and puts both back before COMMIT.
 * A coordinate set is looked up in the events without an index (none is kept on
 * `audit_event.coordinate_set`, migration 1795000011000): one scan of the log per batch of
 * candidates, once a month; coordinate sets are few (one per shape of request).
 */
import type { PoolClient } from 'pg';
import { AUDIT_SEAL_LOCK } from './audit-log';

type Client = Pick<PoolClient, 'query'>;

export type AuditSetKind = 'subject' | 'coordinate';

/** Where a run stopped in the candidates' key order. */
export interface AuditSetCursor {
  kind: AuditSetKind;
  hash: string;
}

export interface AuditSetBatch {
  /** Candidates looked at by this batch. */
  examined: number;
  /** Removed (a dry run: would be), by kind. */
  removed: Record<AuditSetKind, number>;
  /** Kept for a legal hold, by kind (coordinate sets never are). */
  held: Record<AuditSetKind, number>;
  /** The last candidate looked at; undefined when there were none. */
  last?: AuditSetCursor;
}

/** The customers under a legal hold, on them or on one of their orders, as a `held(id)` CTE. */
export const HELD_CUSTOMERS = `held AS (
       SELECT h.customer_id AS id FROM legal_hold h WHERE h.released_at IS NULL AND h.scope = 'customer'
       UNION SELECT o.customer_id FROM legal_hold h JOIN "order" o ON o.id = h.order_id WHERE h.released_at IS NULL AND h.scope = 'order'
     )`;

/** Records the sets named by `partition`'s events as candidates, before the month is dropped. */
export async function nameExpiringSets(client: Client, partition: string): Promise<void> {
  await client.query(
    `INSERT INTO audit_set_candidate (kind, hash)
     SELECT DISTINCT 'subject', subject_set FROM "${partition}" WHERE subject_set IS NOT NULL
     UNION SELECT DISTINCT 'coordinate', coordinate_set FROM "${partition}" WHERE coordinate_set IS NOT NULL
     ON CONFLICT DO NOTHING`,
  );
}

/** Candidates after `after`, for progress. */
export async function countSetCandidates(client: Client, after?: AuditSetCursor): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_set_candidate WHERE (kind, hash) > ($1, $2)`, [after?.kind ?? '', after?.hash ?? '']);
  return rows[0]!.n;
}

/**
 * Decides up to `limit` candidates after `after`, in the caller's transaction. `excluding`: months
 * to count as gone although still there (a dry run's, which drops nothing). A dry run changes
 * nothing and reports what a real run would do.
 */
export async function expireAuditSets(client: Client, options: { after?: AuditSetCursor; limit: number; excluding?: readonly string[]; dryRun?: boolean }): Promise<AuditSetBatch> {
  if (!options.dryRun) await client.query(`SELECT pg_advisory_xact_lock(${AUDIT_SEAL_LOCK})`);
  const kept = `e.tableoid <> ALL($4::regclass[])`;
  const { rows } = await client.query<{ kind: AuditSetKind; hash: string; named: boolean; held: boolean }>(
    `WITH batch AS (
       SELECT kind, hash FROM audit_set_candidate WHERE (kind, hash) > ($1, $2) ORDER BY kind, hash LIMIT $3
     ), ${HELD_CUSTOMERS}
     SELECT b.kind, b.hash,
       CASE b.kind
         WHEN 'subject' THEN EXISTS (SELECT 1 FROM audit_event e WHERE e.subject_set = b.hash AND ${kept})
         ELSE b.hash IN (SELECT e.coordinate_set FROM audit_event e WHERE e.coordinate_set IN (SELECT hash FROM batch WHERE kind = 'coordinate') AND ${kept})
       END AS named,
       b.kind = 'subject' AND EXISTS (SELECT 1 FROM audit_subject_set s WHERE s.hash = b.hash AND s.subject_ids && ARRAY(SELECT id FROM held)) AS held
     FROM batch b ORDER BY b.kind, b.hash`,
    [options.after?.kind ?? '', options.after?.hash ?? '', options.limit, `{${(options.excluding ?? []).map((p) => `"${p}"`).join(',')}}`],
  );
  const batch: AuditSetBatch = { examined: rows.length, removed: { subject: 0, coordinate: 0 }, held: { subject: 0, coordinate: 0 }, last: rows.at(-1) && { kind: rows.at(-1)!.kind, hash: rows.at(-1)!.hash } };
  const gone: Record<AuditSetKind, string[]> = { subject: [], coordinate: [] };
  const decided: Record<AuditSetKind, string[]> = { subject: [], coordinate: [] };
  for (const r of rows) {
    if (r.named) decided[r.kind].push(r.hash);
    else if (r.held) batch.held[r.kind] += 1;
    else {
      gone[r.kind].push(r.hash);
      decided[r.kind].push(r.hash);
    }
  }
  if (options.dryRun) {
    batch.removed = { subject: gone.subject.length, coordinate: gone.coordinate.length };
    return batch;
  }
  for (const kind of ['subject', 'coordinate'] as const) {
    if (decided[kind].length > 0) await client.query(`DELETE FROM audit_set_candidate WHERE kind = $1 AND hash = ANY($2::bpchar[])`, [kind, decided[kind]]);
    if (gone[kind].length > 0) batch.removed[kind] = await removeSets(client, `audit_${kind}_set`, gone[kind]);
  }
  if (gone.subject.length + gone.coordinate.length > 0) await client.query(`SELECT nextval('audit_set_removal')`);
  return batch;
}

/** The one sanctioned removal from an append-only sets table: trigger lifted and DELETE granted for this statement alone. */
async function removeSets(client: Client, table: 'audit_subject_set' | 'audit_coordinate_set', hashes: string[]): Promise<number> {
  await client.query(`ALTER TABLE "${table}" DISABLE TRIGGER "${table}_append_only"`);
  await client.query(`GRANT DELETE ON "${table}" TO CURRENT_USER`);
  const deleted = (await client.query(`DELETE FROM "${table}" WHERE hash = ANY($1::bpchar[])`, [hashes])).rowCount ?? 0;
  await client.query(`REVOKE DELETE ON "${table}" FROM CURRENT_USER`);
  await client.query(`ALTER TABLE "${table}" ENABLE TRIGGER "${table}_append_only"`);
  return deleted;
}
