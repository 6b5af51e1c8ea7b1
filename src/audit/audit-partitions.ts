/**
 * The audit log over the years (design §5): `audit_event` is partitioned by UTC month
 * (migration 1795000005001). `maintainAuditPartitions` creates the coming months ahead and drops
 * the months whose 3 years have passed: a month's events are kept until 3 years after the end of
 * the month, longer while a legal hold covers one of them (an event naming a held customer, or
 * the customer of a held order, as its subject or as the customer acting).
 *
 * A dropped month is recorded in `audit_expiry` (range, events, first and last seal listing
 * them), and for a seal listing events of the dropped month and of a kept one, the dropped
 * events' hashes go to `audit_expired_leaf`: `audit verify` then reports the month as expired,
 * checks every seal link as before, and still checks the Merkle root of such a seal. The seals
 * are never dropped: they hold ids and hashes only. The subject and coordinate sets the month's
 * events named become candidates for removal (audit-sets.ts), decided by the next phase of the job.
 *
 * Runs in the caller's transaction. It takes the audit seal lock first, so that it never waits
 * for it while holding the table lock a DROP takes (a writer sealing under that lock waits for
 * the table instead). A dry run computes the same report and changes nothing.
 */
import type { PoolClient } from 'pg';
import { AUDIT_SEAL_LOCK } from './audit-log';
import { HELD_CUSTOMERS, nameExpiringSets } from './audit-sets';

/** How many months ahead partitions are prepared. */
export const MONTHS_AHEAD = 12;

/** Years an audit event is kept after the end of its month (privacy policy §4). */
export const AUDIT_RETENTION_YEARS = 3;

export interface PartitionReport {
  /** Months prepared by this run. */
  created: string[];
  /** Months dropped, with their events. */
  dropped: string[];
  /** Months past their 3 years kept because a legal hold covers events in them. */
  held: string[];
  droppedEvents: number;
  heldEvents: number;
}

interface Partition {
  name: string;
  from: Date;
  to: Date;
}

/** The monthly partitions of audit_event (the default one has no bounds and never expires). */
async function monthlyPartitions(client: Pick<PoolClient, 'query'>): Promise<Partition[]> {
  const { rows } = await client.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'audit_event'::regclass ORDER BY c.relname`,
  );
  const partitions: Partition[] = [];
  for (const { name, bound } of rows) {
    const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(bound);
    if (m) partitions.push({ name, from: new Date(m[1]!), to: new Date(m[2]!) });
  }
  return partitions;
}

function monthName(d: Date): string {
  return `audit_event_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Events in `partition` that a legal hold covers. */
async function heldEventsIn(client: Pick<PoolClient, 'query'>, partition: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `WITH ${HELD_CUSTOMERS}
     SELECT count(*)::int AS n FROM "${partition}" e
      WHERE e.customer_id IN (SELECT id FROM held)
         OR e.subject_id IN (SELECT id FROM held)
         OR e.subject_set IN (SELECT s.hash FROM audit_subject_set s WHERE s.subject_ids && ARRAY(SELECT id FROM held))`,
  );
  return rows[0]!.n;
}

export async function maintainAuditPartitions(client: Pick<PoolClient, 'query'>, asOf: Date, options: { dryRun?: boolean } = {}): Promise<PartitionReport> {
  const report: PartitionReport = { created: [], dropped: [], held: [], droppedEvents: 0, heldEvents: 0 };
  if (!options.dryRun) await client.query(`SELECT pg_advisory_xact_lock(${AUDIT_SEAL_LOCK})`);
  const existing = await monthlyPartitions(client);
  const names = new Set(existing.map((p) => p.name));
  for (let i = 0; i <= MONTHS_AHEAD; i++) {
    const month = new Date(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth() + i, 1));
    if (names.has(monthName(month))) continue;
    if (!options.dryRun) await client.query(`SELECT audit_event_ensure_partition($1::date)`, [month.toISOString().slice(0, 10)]);
    report.created.push(monthName(month));
  }
  for (const p of existing) {
    const expires = new Date(p.to);
    expires.setUTCFullYear(expires.getUTCFullYear() + AUDIT_RETENTION_YEARS);
    if (expires.getTime() > asOf.getTime()) continue;
    const [{ events, first_seal, last_seal }] = (
      await client.query<{ events: number; first_seal: string | null; last_seal: string | null }>(
        `SELECT count(*)::int AS events, min(seal_id)::text AS first_seal, max(seal_id)::text AS last_seal FROM "${p.name}"`,
      )
    ).rows as [{ events: number; first_seal: string | null; last_seal: string | null }];
    const held = await heldEventsIn(client, p.name);
    if (held > 0) {
      report.held.push(p.name);
      report.heldEvents += events;
      continue;
    }
    report.dropped.push(p.name);
    report.droppedEvents += events;
    // Its sets go later, once nothing else needs them (audit-sets.ts); a dry run decides them alike.
    await nameExpiringSets(client, p.name);
    if (options.dryRun) continue;
    await client.query(
      `INSERT INTO audit_expiry (partition, from_at, to_at, events, first_seal, last_seal, expired_at) VALUES ($1, $2, $3, $4, $5, $6, now())`,
      [p.name, p.from, p.to, events, first_seal, last_seal],
    );
    // Seals that list events of this month and of another: keep the hashes of this month's.
    await client.query(
      `INSERT INTO audit_expired_leaf (seal_id, position, hash)
       SELECT s.id, u.pos - 1, e.hash
         FROM (SELECT seal_id, count(*) AS n FROM "${p.name}" GROUP BY seal_id) c
         JOIN audit_seal s ON s.id = c.seal_id AND s.event_count <> c.n
         CROSS JOIN LATERAL unnest(s.event_ids) WITH ORDINALITY AS u(event_id, pos)
         JOIN "${p.name}" e ON e.id = u.event_id`,
    );
    await client.query(`DROP TABLE "${p.name}"`);
  }
  return report;
}
