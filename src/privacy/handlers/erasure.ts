/**
 * Erasure of one customer (design §6), all or nothing: run it inside ONE transaction, which the
 * caller commits or rolls back; a process killed part-way leaves nothing changed.
 *
 * Every table of the registry is visited children first (a table before the table its subject
 * path leads through), and its handler's plan applied to the customer's rows:
 * - rows whose record is still inside its 3-year retention window or under a legal hold
 *   (`keepWhile`) are kept as they are and marked restricted (`restricted_at`): from then on only
 *   legal_compliance reads them (row-scope.ts);
 * - the others are anonymized (the plan's columns overwritten) or deleted;
 * - `keep` tables are left, with the registry's reason.
 * Attachments and pending uploads are deleted first, by the after-sales domain's own
 * `eraseCustomerAttachments` (those of kept cases stay): their blobs' keys are returned, for the
 * caller to delete the blobs with `deleteBlobs` once the transaction has committed.
 * Last, the account is marked erased (status, erased_at): the principal resolver refuses its
 * tokens from then on. The outcome says, per table, how many rows were erased and how, and how
 * many kept and why — counts and reasons only, never values.
 *
 * Inside the retention window and under a legal hold mean what the retention job means by them,
 * from the same definitions: an order is inside its window until its `retain_until` (kept by
 * triggers: NULL while it is not completed or a case of it is open, else 3 years after it
 * completed and its last case closed); a case until its own `retain_until`, and while its order
 * is kept. `orderIsHeld` and `customerIsHeld` (legal-hold.service.ts) say what a hold covers, and
 * the holds' fence there keeps a hold placed meanwhile from landing between its reads and writes.
 */
import type { EntityManager } from 'typeorm';
import { eraseCustomerAttachments } from '../../domains/after-sales/attachment.service';
import { customerIsHeld, fenceNewHolds, orderIsHeld } from '../../domains/legal-holds/legal-hold.service';
import { returnedRows } from '../../platform/returning';
import { subjectCondition, type KeepWhile, type PrivacyHandler, type Replacement } from './privacy-handler';
import { HANDLERS_BY_TABLE, PRIVACY_HANDLERS } from './registry';

export type KeptReason = 'legal_hold' | 'retention';

export interface ErasureOutcome {
  /** Whether a legal hold on the customer kept everything. */
  customerHeld: boolean;
  erased: Array<{ table: string; action: 'anonymized' | 'deleted'; rows: number }>;
  kept: Array<{ table: string; rows: number; reason: string }>;
}

export interface Erasure {
  outcome: ErasureOutcome;
  /** Keys of the blobs whose rows were deleted: delete them (`deleteBlobs`) once the transaction has committed. Never published. */
  blobKeys: string[];
}

export interface ErasureOptions {
  handlers?: readonly PrivacyHandler[];
  /** Called after each table; a test stops the process here to show nothing was changed. */
  afterTable?: (table: string) => Promise<void>;
}

/** The tables in the order erasure visits them: every table before the ones its subject path leads through. */
export function erasureOrder(handlers: readonly PrivacyHandler[]): PrivacyHandler[] {
  const byTable = new Map(handlers.map((h) => [h.table, h]));
  const parentsOf = (h: PrivacyHandler): string[] => {
    const walk = (p: PrivacyHandler['subject']): string[] => (p.kind === 'parent' ? [p.parent] : p.kind === 'any' ? p.paths.flatMap(walk) : []);
    return walk(h.subject);
  };
  const done = new Set<string>();
  const order: PrivacyHandler[] = [];
  // Depth of a table: how many steps its subject path has to the customer. Deepest first.
  const depth = (h: PrivacyHandler, seen: string[] = []): number => {
    if (seen.includes(h.table)) throw new Error(`privacy handlers: the subject paths of ${[...seen, h.table].join(' > ')} go round in a circle`);
    const parents = parentsOf(h).map((t) => byTable.get(t)!).filter(Boolean);
    return parents.length === 0 ? (h.subject.kind === 'self' ? -1 : 0) : 1 + Math.max(...parents.map((p) => depth(p, [...seen, h.table])));
  };
  const sorted = [...handlers].sort((a, b) => depth(b) - depth(a));
  for (const h of sorted) {
    if (done.has(h.table)) continue;
    done.add(h.table);
    order.push(h);
  }
  return order;
}

function sqlOf(value: Replacement, params: unknown[]): string {
  if (value !== null && typeof value === 'object') return value.sql;
  params.push(value);
  return `$${params.length}`;
}

function anchorOf(keep: KeepWhile & { column: string }): string {
  return keep.column.startsWith('(') ? keep.column : `t."${keep.column}"`;
}

export async function eraseCustomer(db: EntityManager, customerId: string, at: Date, options: ErasureOptions = {}): Promise<Erasure> {
  const handlers = options.handlers ?? PRIVACY_HANDLERS;
  const byTable = options.handlers ? new Map(handlers.map((h) => [h.table, h])) : HANDLERS_BY_TABLE;
  // Before it reads a hold: one being placed commits first, one placed from now on after the erasure.
  await fenceNewHolds(db);
  const locked: Array<{ id: string }> = await db.query(`SELECT id FROM customer WHERE id = $1 FOR UPDATE`, [customerId]);
  if (locked.length === 0) throw new Error(`eraseCustomer: no customer ${customerId}`);

  const [{ held: customerHeld }]: Array<{ held: boolean }> = await db.query(`SELECT ${customerIsHeld('$1::uuid')} AS held`, [customerId]);
  const keptOrders = new Map<string, KeptReason>();
  const orders: Array<{ id: string; held: boolean }> = await db.query(
    `SELECT o.id, ${orderIsHeld('o')} AS held FROM "order" o
      WHERE o.customer_id = $1 AND (${orderIsHeld('o')} OR o.retain_until IS NULL OR o.retain_until > $2)`,
    [customerId, at],
  );
  for (const o of orders) keptOrders.set(o.id, o.held ? 'legal_hold' : 'retention');
  const heldOrders = new Map([...keptOrders].filter(([, reason]) => reason === 'legal_hold'));
  const keptCases = new Map<string, KeptReason>();
  const cases: Array<{ id: string; order_id: string | null }> = await db.query(
    `SELECT c.id, c.order_id FROM after_sales_case c
      WHERE c.customer_id = $1 AND ($3 OR c.retain_until IS NULL OR c.retain_until > $2 OR c.order_id = ANY($4::uuid[]))`,
    [customerId, at, customerHeld, [...keptOrders.keys()]],
  );
  for (const c of cases) keptCases.set(c.id, customerHeld ? 'legal_hold' : ((c.order_id ? keptOrders.get(c.order_id) : undefined) ?? 'retention'));

  const outcome: ErasureOutcome = { customerHeld, erased: [], kept: [] };
  // Attachments go with their blobs: the after-sales domain deletes the rows and names the blobs.
  const attachments = await eraseCustomerAttachments(db, customerId, [...keptCases.keys()]);
  if (attachments.attachments > 0) outcome.erased.push({ table: 'case_attachment', action: 'deleted', rows: attachments.attachments });
  if (attachments.uploads > 0) outcome.erased.push({ table: 'attachment_upload', action: 'deleted', rows: attachments.uploads });
  const keptRows = (table: string, anchors: Array<string | null>, reasons: ReadonlyMap<string, KeptReason> | KeptReason) => {
    const tally = new Map<string, number>();
    for (const a of anchors) {
      const reason = typeof reasons === 'string' ? reasons : (reasons.get(a ?? '') ?? 'retention');
      tally.set(reason, (tally.get(reason) ?? 0) + 1);
    }
    for (const [reason, rows] of tally) outcome.kept.push({ table, rows, reason });
  };

  for (const h of erasureOrder(handlers)) {
    const subject = subjectCondition(byTable, h.table, 't', '$1');
    const plan = h.erase;
    const keep = plan.action === 'keep' ? plan.restrictWhile : plan.keepWhile;
    // The condition that keeps a row, over parameter $2, and the anchor whose reason it is kept for.
    let kept = 'FALSE';
    let keptParam: unknown = null;
    let anchor = 'NULL::uuid';
    let reasons: ReadonlyMap<string, KeptReason> | KeptReason = 'retention';
    if (keep?.anchor === 'customer') {
      kept = '$2::boolean';
      keptParam = customerHeld;
      reasons = 'legal_hold';
    } else if (keep) {
      const ids = keep.anchor === 'case' ? keptCases : keep.heldOnly ? heldOrders : keptOrders;
      anchor = anchorOf(keep);
      kept = `coalesce(${anchor} = ANY($2::uuid[]), false)`;
      keptParam = [...ids.keys()];
      reasons = ids;
    }
    if (keep) {
      const restricted = returnedRows<{ anchor: string | null }>(await db.query(
        `UPDATE "${h.table}" t SET restricted_at = coalesce(t.restricted_at, $3) WHERE ${subject} AND ${kept} RETURNING ${anchor} AS anchor`,
        [customerId, keptParam, at],
      ));
      if (plan.action !== 'keep') keptRows(h.table, restricted.map((r) => r.anchor), reasons);
    }
    if (plan.action === 'keep') {
      const [{ n }]: Array<{ n: number }> = await db.query(`SELECT count(*)::int AS n FROM "${h.table}" t WHERE ${subject}`, [customerId]);
      if (n > 0) outcome.kept.push({ table: h.table, rows: n, reason: plan.reason });
    } else if (plan.action === 'delete') {
      const deleted = returnedRows(await db.query(`DELETE FROM "${h.table}" t WHERE ${subject} AND NOT (${kept}) RETURNING 1`, keep ? [customerId, keptParam] : [customerId]));
      if (deleted.length > 0) outcome.erased.push({ table: h.table, action: 'deleted', rows: deleted.length });
    } else {
      const params: unknown[] = keep ? [customerId, keptParam] : [customerId];
      const set = Object.entries(plan.columns).map(([column, value]) => `"${column}" = ${sqlOf(value, params)}`);
      if (set.length > 0) {
        const updated = returnedRows(await db.query(`UPDATE "${h.table}" t SET ${set.join(', ')} WHERE ${subject} AND NOT (${kept}) RETURNING 1`, params));
        if (updated.length > 0) outcome.erased.push({ table: h.table, action: 'anonymized', rows: updated.length });
      }
    }
    await options.afterTable?.(h.table);
  }
  await db.query(`UPDATE customer SET status = 'erased', erased_at = $2 WHERE id = $1`, [customerId, at]);
  return { outcome, blobKeys: attachments.keys };
}
