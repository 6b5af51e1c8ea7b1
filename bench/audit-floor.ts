/**
 * MEASUREMENT ONLY: gateways that keep every protection but take part of the audit away, run by
 * `npm run bench -- --audit-floor …` beside the protected gateway to split what each guarantee
 * costs a request (docs/performance.md, "Issue 23: what each guarantee costs the point read").
 * None of these is a gateway anybody may run: each breaks the promise that every disclosure is
 * durable in the audit log before its response leaves. They live in bench/ only, are made by
 * replacing parts of the writer and of the gateway's wiring in the benchmark's own process, and
 * nothing in src/ can switch them on.
 *
 * - `audit-unsent`: the audit event is recorded, batched, chained and sealed exactly as now (the
 *   plugin, the record, its hash, the batch's Merkle root, the seal's hash and the rows' JSON),
 *   but the batch's statement is never sent: the writer's one `query` of a batch answers "sealed"
 *   at once. Protected minus this is what sending the batch costs, PostgreSQL's execution and
 *   commit and the driver's work alike.
 * - `no-audit`: no audit plugin, no writer in the transport, compiled reads not told to report
 *   what they carry (the gateway as `createGateway` wires it when there is no audit log), every
 *   other protection on. Protected minus this is the whole audit.
 * - `audit-async-commit`: the audit as now, but the writer's sessions run with
 *   `synchronous_commit = off`, so a batch's commit returns before its WAL is flushed. Protected
 *   minus this is the flush's share of the committing backend's CPU (the WAL writer flushes later,
 *   and its CPU is not in the benchmark's PostgreSQL figure on a shared server).
 */

/** The variants, in the order the tables list them; how they are made: bench/audit-floor-gateways.ts. */
export const AUDIT_FLOOR_VARIANTS = ['audit-async-commit', 'audit-unsent', 'no-audit'] as const;
export type AuditFloorVariant = (typeof AUDIT_FLOOR_VARIANTS)[number];

export const AUDIT_FLOOR_NAMES: Record<AuditFloorVariant, string> = {
  'audit-async-commit': 'protected, async commit (measurement)',
  'audit-unsent': 'protected, audit batch not sent (measurement)',
  'no-audit': 'protected, no audit (measurement)',
};

export function isAuditFloorVariant(name: string): name is AuditFloorVariant {
  return (AUDIT_FLOOR_VARIANTS as readonly string[]).includes(name);
}
