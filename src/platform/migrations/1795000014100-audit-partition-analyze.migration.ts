import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectPartitionFunction } from './1795000005001-audit-partitions.migration';

/**
 * A month's audit events are analyzed again when the month has grown by half (and by 10,000
 * events), not by a tenth (and 50): PostgreSQL's defaults, autovacuum_analyze_scale_factor 0.1
 * and autovacuum_analyze_threshold 50, re-analyze a month of events again and again as it fills.
 *
 * Why: ANALYZE samples up to 30,000 rows whatever the size, so on a partition past that size
 * each run costs about the same (0.24–0.43 s of CPU on the benchmark's December partition of
 * 86,600 events), and under the defaults one comes every 10 % of growth: at that size, every
 * 8,700 events, about 30 µs of PostgreSQL CPU per event, a quarter to a third of what writing
 * the event costs (docs/performance.md, "Issue 23: the point read's PostgreSQL side"). Over a
 * month of 100,000 events the defaults run it 55 times; these settings 4 times.
 *
 * Nothing the audit log guarantees reads planner statistics, and what the compliance queries
 * filter on (principal, partner, purpose, outcome, flagged, subject set) is spread the same in a
 * month's first 10,000 events as in its last. The one column whose range moves with every
 * event, `at`, is indexed: the planner reads its true end from the index when a filter lies past
 * the sampled histogram. Insert-triggered vacuum (setting pages all-visible, freezing) keeps
 * PostgreSQL's defaults: it reads only the new pages, a few µs per event.
 *
 * Set on every partition, the default one and those `audit_event_ensure_partition` creates from
 * now on (a partitioned table takes no storage parameters of its own to hand down).
 */
export const AUDIT_PARTITION_ANALYZE = 'autovacuum_analyze_threshold = 10000, autovacuum_analyze_scale_factor = 0.5';

const PARTITIONS = `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_event'::regclass`;

export class AuditPartitionAnalyze1795000014100 implements MigrationInterface {
  name = 'AuditPartitionAnalyze1795000014100';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(protectPartitionFunction(AUDIT_PARTITION_ANALYZE));
    for (const { name } of (await q.query(PARTITIONS)) as Array<{ name: string }>) {
      await q.query(`ALTER TABLE "${name}" SET (${AUDIT_PARTITION_ANALYZE})`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(protectPartitionFunction());
    for (const { name } of (await q.query(PARTITIONS)) as Array<{ name: string }>) {
      await q.query(`ALTER TABLE "${name}" RESET (autovacuum_analyze_threshold, autovacuum_analyze_scale_factor)`);
    }
  }
}
