/**
 * How an order moves on when its parcels do (design §2: placed → paid → packed → shipped →
 * delivered → completed). Another domain changes an order's status only through here.
 */
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
