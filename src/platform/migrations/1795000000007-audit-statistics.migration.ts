import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No planner statistics for the wide audit columns no query filters, joins or sorts on.
 *
 * Why: the audit tables grow with every request, so autovacuum re-analyzes them again and
 * again, and ANALYZE computed statistics for columns that only ever travel: hashes, request
 * ids, the coordinate lists and the seals' event id arrays. Measured on the benchmark database
 * (385,000 events, 68,000 seals), ANALYZE took 0.94 s on audit_event and 0.30 s on audit_seal
 * before, 0.43–0.54 s and 0.07 s after.
 *
 * Kept: every column the compliance queries filter or order on (audit-event.resolver.ts: at,
 * principal, partner, purpose, outcome, flagged, legal case, subject set), `seal_id` (`audit
 * verify` reads ranges of it), the ids, and the subject sets' ids (their GIN index answers
 * "which events concern this customer"). The narrow columns nothing filters on yet (customer,
 * grant, operation type and name, a seal's time and count) keep theirs too: they cost ANALYZE
 * little. The coordinate filter (`= ANY(disclosed)`) is estimated without element statistics
 * either way.
 */
export const AUDIT_COLUMNS_WITHOUT_STATISTICS: Readonly<Record<string, readonly string[]>> = {
  audit_event: ['request_id', 'roles', 'operation_hash', 'disclosed', 'masked', 'denied', 'error_codes', 'detail', 'hash'],
  audit_seal: ['event_ids', 'merkle_root', 'previous_hash', 'hash'],
};

export class AuditStatistics1795000000007 implements MigrationInterface {
  name = 'AuditStatistics1795000000007';

  public async up(q: QueryRunner): Promise<void> {
    await this.setTarget(q, 0);
  }

  public async down(q: QueryRunner): Promise<void> {
    await this.setTarget(q, -1);
  }

  private async setTarget(q: QueryRunner, target: number): Promise<void> {
    for (const [table, columns] of Object.entries(AUDIT_COLUMNS_WITHOUT_STATISTICS)) {
      await q.query(`ALTER TABLE "${table}" ${columns.map((c) => `ALTER COLUMN "${c}" SET STATISTICS ${target}`).join(', ')}`);
    }
  }
}
