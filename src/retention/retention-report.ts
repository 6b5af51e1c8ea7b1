/**
 * What a retention run did, per table: rows found expired, anonymized, deleted, and held (kept
 * under a legal hold). A dry run and a real run over the same data report the same numbers,
 * and `describeReport` prints them alike.
 */
import { retentionSteps } from './retention-plan';

export interface TableCounts {
  found: number;
  anonymized: number;
  deleted: number;
  held: number;
}

export interface RetentionReport {
  /** The cut-off: records expired at this moment were due. */
  asOf: string;
  /** Orders the lifecycle completed (delivered ones) or closed (refunded ones). */
  ordersCompleted: number;
  /** Every table the job can touch, always all of them, in the order they are printed. */
  tables: Record<string, TableCounts>;
  /** The audit log's months: prepared ahead, dropped, and past their 3 years but held. */
  auditPartitions: { created: string[]; dropped: string[]; held: string[] };
}

/** The tables in every report: the retention plans' (as the registry lists them), then page views and the audit log with its sets. */
export function reportedTables(): string[] {
  return [...retentionSteps().map((s) => s.table).reverse(), 'behavior_event', 'audit_event', 'audit_subject_set', 'audit_coordinate_set'];
}

export function emptyReport(asOf: Date): RetentionReport {
  return {
    asOf: asOf.toISOString(),
    ordersCompleted: 0,
    tables: Object.fromEntries(reportedTables().map((t) => [t, { found: 0, anonymized: 0, deleted: 0, held: 0 }])),
    auditPartitions: { created: [], dropped: [], held: [] },
  };
}

/** The report as the CLI prints it: the same text for a dry run and a real run of the same data. */
export function describeReport(report: RetentionReport): string {
  const header = ['table', 'found', 'anonymized', 'deleted', 'held'];
  const rows = Object.entries(report.tables).map(([table, c]) => [table, c.found, c.anonymized, c.deleted, c.held].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const months = (list: string[]) => (list.length === 0 ? 'none' : list.join(', '));
  const { created, dropped, held } = report.auditPartitions;
  return (
    [
      `records expired by ${report.asOf}`,
      `orders completed: ${report.ordersCompleted}`,
      line(header),
      ...rows.map(line),
      `audit log months prepared: ${created.length}; dropped: ${months(dropped)}; kept under a legal hold: ${months(held)}`,
    ].join('\n') + '\n'
  );
}
