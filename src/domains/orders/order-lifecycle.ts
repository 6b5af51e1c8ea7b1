/**
 * How an order moves on when its parcels do (design §2: placed → paid → packed → shipped →
 * delivered → completed). Another domain changes an order's status only through here.
 */
import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { OrderStatus } from './order.entity';

/** The statuses from which the delivery of an order's last parcel makes it delivered. */
const BEFORE_DELIVERY: readonly OrderStatus[] = [OrderStatus.PAID, OrderStatus.PACKED, OrderStatus.SHIPPED];

/**
 * In the caller's transaction: once every shipment of the order is delivered, the order is
 * delivered too (true when this call moved it). The order row is locked first, so two carriers
 * delivering an order's last two parcels at once are applied one after the other, and the
 * second sees the first's parcel delivered.
 */
export async function deliverOrderWhenAllParcelsAre(em: EntityManager, orderId: string): Promise<boolean> {
  await em.query(`SELECT 1 FROM "order" WHERE id = $1 FOR UPDATE`, [orderId]);
  const [, moved] = (await em.query(
    `UPDATE "order" o SET status = 'delivered'
      WHERE o.id = $1 AND o.status = ANY($2::order_status[])
        AND NOT EXISTS (SELECT 1 FROM shipment s WHERE s.order_id = o.id AND s.status <> 'delivered')`,
    [orderId, BEFORE_DELIVERY],
  )) as [unknown, number];
  return moved === 1;
}

/** An order the lifecycle job completed. */
export interface CompletedOrder {
  id: string;
  customerId: string;
}

/**
 * In the caller's transaction, completes up to `limit` orders that are due at `asOf`, oldest id
 * first, and returns them:
 * - a `delivered` order once every shipment is delivered, the after-sales window has passed
 *   since the last delivery and no after-sales case of it is open (a case ends when resolved or
 *   closed). It becomes `completed` at the later of the window's end and its last case's close,
 *   whenever the job runs, so the schedule does not depend on how often it does;
 * - a `refunded` order once its refund has settled: it stays `refunded` (what happened to it)
 *   and is completed when the last refund settled.
 * Completing sets `completed_at`, which sets `retain_until` (the order's trigger). The window's
 * days are days of 24 hours: added in the session's time zone, a day across a daylight-saving
 * change would be 23 or 25 hours, and the moment would depend on the database's settings.
 */
export async function completeDueOrders(client: Pick<PoolClient, 'query'>, asOf: Date, afterSalesWindowDays: number, limit: number): Promise<CompletedOrder[]> {
  const { rows } = await client.query<{ id: string; customer_id: string }>(
    `WITH delivered AS (
       SELECT o.id, greatest(d.last_delivered + make_interval(hours => 24 * $2::int), c.last_closed) AS completed_at
         FROM "order" o
         CROSS JOIN LATERAL (SELECT max(s.delivered_at) AS last_delivered, bool_and(s.status = 'delivered') AS all_delivered
                               FROM shipment s WHERE s.order_id = o.id) d
         CROSS JOIN LATERAL (SELECT max(c.closed_at) AS last_closed, coalesce(bool_or(c.closed_at IS NULL), false) AS any_open
                               FROM after_sales_case c WHERE c.order_id = o.id) c
        WHERE o.status = 'delivered' AND o.completed_at IS NULL AND d.all_delivered AND NOT c.any_open
          AND greatest(d.last_delivered + make_interval(hours => 24 * $2::int), c.last_closed) <= $1
     ), refunded AS (
       SELECT o.id, r.settled AS completed_at
         FROM "order" o
         CROSS JOIN LATERAL (SELECT max(p.settled_at) AS settled FROM payment_verification p WHERE p.order_id = o.id AND p.status = 'refunded') r
        WHERE o.status = 'refunded' AND o.completed_at IS NULL AND r.settled <= $1
     ), due AS (
       SELECT id, completed_at, 'completed'::order_status AS status FROM delivered
       UNION ALL SELECT id, completed_at, 'refunded'::order_status FROM refunded
       ORDER BY id LIMIT $3
     )
     UPDATE "order" o SET status = due.status, completed_at = greatest(due.completed_at, o.placed_at)
       FROM due WHERE o.id = due.id AND o.completed_at IS NULL
     RETURNING o.id, o.customer_id`,
    [asOf, afterSalesWindowDays, limit],
  );
  return rows.map((r) => ({ id: r.id, customerId: r.customer_id }));
}
