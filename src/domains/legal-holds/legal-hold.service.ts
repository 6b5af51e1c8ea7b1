/**
 * Legal holds (design §7, policy §5): while a legal matter is open, what it names is frozen.
 * A hold names a customer (everything of theirs) or one order (the order, what hangs on it, and
 * its after-sales cases). Retention skips what a hold covers; erasure keeps it. These SQL
 * conditions are the one statement of "covered by an active hold", for every job that asks.
 */
import type { EntityManager } from 'typeorm';
import { LegalHoldEntity, LegalHoldScope } from './legal-hold.entity';

/**
 * The advisory lock ('NTK-HOLD') that orders a hold being placed against a transaction that
 * decides what the holds cover and removes the rest (a retention batch, an erasure). Those take
 * it shared, first thing in their transaction, before they read a hold; placing a hold takes it
 * exclusive before it writes. So a hold placed while such a transaction runs is committed after
 * it, and one placed before it began is committed before its first read: no transaction ever
 * removes a row that a hold committed before its own COMMIT covers. Row locks cannot say this:
 * a hold on a customer locks no order, and a statement's snapshot predates the hold it waited for.
 */
const HOLD_FENCE = '5644218890860842052';

/** In the caller's transaction: waits for holds being placed, and keeps new ones waiting until it ends. */
export async function fenceNewHolds(client: { query(sql: string): Promise<unknown> }): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock_shared(${HOLD_FENCE})`);
}

/** SQL: the order row `alias` is covered by an active hold (on the order, or on its customer). */
export function orderIsHeld(alias: string): string {
  return `EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_at IS NULL
    AND ((h.scope = 'order' AND h.order_id = ${alias}.id) OR (h.scope = 'customer' AND h.customer_id = ${alias}.customer_id)))`;
}

/** SQL: the customer whose id is `customerId` (an SQL expression) is under an active customer hold. */
export function customerIsHeld(customerId: string): string {
  return `EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_at IS NULL AND h.scope = 'customer' AND h.customer_id = ${customerId})`;
}

export interface PlaceHold {
  scope: LegalHoldScope;
  customerId: string | null;
  orderId: string | null;
  reason: string;
  caseReference: string;
  placedBy: string;
  at: Date;
}

/** In the caller's transaction, which must commit it (the fence is held until then). */
export async function placeLegalHold(em: EntityManager, hold: PlaceHold): Promise<LegalHoldEntity> {
  const repo = em.getRepository(LegalHoldEntity);
  await em.query(`SELECT pg_advisory_xact_lock(${HOLD_FENCE})`);
  const inserted = await repo.insert({
    scope: hold.scope,
    customerId: hold.scope === LegalHoldScope.CUSTOMER ? hold.customerId : null,
    orderId: hold.scope === LegalHoldScope.ORDER ? hold.orderId : null,
    reason: hold.reason,
    caseReference: hold.caseReference,
    placedBy: hold.placedBy,
    placedAt: hold.at,
    releasedAt: null,
    releasedBy: null,
  });
  return repo.findOneByOrFail({ id: inserted.identifiers[0]!.id as string });
}

/** Releases an active hold; a hold already released is returned as it is (released once, by whoever did). */
export async function releaseLegalHold(em: EntityManager, holdId: string, releasedBy: string, at: Date): Promise<LegalHoldEntity> {
  const repo = em.getRepository(LegalHoldEntity);
  await em.query(`UPDATE legal_hold SET released_at = $2, released_by = $3 WHERE id = $1 AND released_at IS NULL`, [holdId, at, releasedBy]);
  return repo.findOneByOrFail({ id: holdId });
}
