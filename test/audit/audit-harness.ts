/**
 * Shared pieces of the audit tests: callers of every principal kind, in-process execution that
 * returns the HTTP status too, and reads of the audit rows the gateway wrote.
 */
import { parse, print } from 'graphql';
import type { DataSource } from 'typeorm';
import { contentOfRow, EVENT_SETS, EVENT_SETS_JOIN, type AuditEventRow, type AuditRecordContent } from '../../src/audit/audit-record';
import { sha256Hex } from '../../src/audit/merkle';
import type { Caller } from '../../src/policy/principal';
import type { Gateway } from '../../src/server';
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import type { AuditEventInput } from '../../src/audit/audit-record';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { as } from '../harness/principals';

export const callers = as;

/** Event `n` of a retention run: a job's event, about the demo customer. */
export const jobEvent = (n: number, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  requestId: `retention-run-${n}`,
  principal: { kind: 'system', id: 'retention-job' },
  purpose: null,
  operationType: AuditOperationType.JOB,
  operationName: 'retention.run',
  outcome: AuditOutcome.OK,
  subjectIds: [DEMO_IDS.demoCustomer],
  detail: { anonymized: n, orders: [n, n + 1] },
  ...extra,
});

export interface Outcome {
  status: number;
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/** Runs one operation in process; the status is what the HTTP response would carry (200 unless set). */
export async function run(gateway: Gateway, query: string, caller: Caller, variables?: Record<string, unknown>, legalCaseReference?: string): Promise<Outcome> {
  const response = await gateway.execute(query, caller, variables, { legalCaseReference });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return { status: response.http.status ?? 200, ...JSON.parse(JSON.stringify(response.body.singleResult)) };
}

/** The event written last: the last one listed by the newest seal. */
export async function lastEvent(ds: DataSource): Promise<AuditRecordContent & { sealId: string; hash: string }> {
  const [row]: AuditEventRow[] = await ds.query(
    `SELECT e.*, ${EVENT_SETS} FROM audit_seal seal JOIN audit_event e ON e.id = seal.event_ids[cardinality(seal.event_ids)] ${EVENT_SETS_JOIN}
     ORDER BY seal.id DESC LIMIT 1`,
  );
  if (!row) throw new Error('the audit log is empty');
  return { ...contentOfRow(row), sealId: row.seal_id, hash: row.hash };
}

export async function eventCount(ds: DataSource): Promise<number> {
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM audit_event`);
  return n;
}

export function operationHash(query: string): string {
  return sha256Hex(print(parse(query)));
}

/** Customers owning the given orders (by order number), sorted: the subjects a response about them has. */
export async function customersOfOrders(ds: DataSource, orderNumbers: string[]): Promise<string[]> {
  const rows: Array<{ customer_id: string }> = await ds.query(
    `SELECT DISTINCT customer_id FROM "order" WHERE order_number = ANY($1) ORDER BY customer_id`,
    [orderNumbers],
  );
  return rows.map((r) => r.customer_id);
}
