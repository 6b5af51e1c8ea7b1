/**
 * Carrier writes to a shipment, in the caller's transaction (platform/request-transaction.ts):
 *
 * - scans are idempotent: each carries the carrier's own event id, and a scan already recorded
 *   for the shipment by that carrier is not stored again (the same id with other content is the
 *   caller's mistake, refused); a batch that repeats a scan stores it once;
 * - every new scan is kept, and moves the status only as shipment-status.ts declares;
 * - a shipment that becomes delivered may complete its order's delivery (orders/order-lifecycle.ts).
 *
 * The shipment row is locked first, so concurrent batches for one shipment apply one after the other.
 */
import type { EntityManager } from 'typeorm';
import { badUserInput } from '../../platform/errors';
import { refuseLaterThanClock } from '../../platform/reported-time';
import { deliverOrderWhenAllParcelsAre } from '../orders/order-lifecycle';
import { ShipmentEventEntity } from './shipment-event.entity';
import { ShipmentEntity, ShipmentStatus } from './shipment.entity';
import { afterScan, afterTracking, type ShipmentState } from './shipment-status';

export interface ScanInput {
  eventId: string;
  occurredAt: Date;
  location: string;
  description: string;
  status?: ShipmentStatus | null;
}

interface LockedShipment extends ShipmentState {
  orderId: string;
}

async function lockShipment(em: EntityManager, shipmentId: string): Promise<LockedShipment> {
  const [row] = (await em.query(`SELECT status, progress, status_at, delivered_at, order_id FROM shipment WHERE id = $1 FOR UPDATE`, [shipmentId])) as Array<{
    status: ShipmentStatus;
    progress: ShipmentStatus;
    status_at: Date | null;
    delivered_at: Date | null;
    order_id: string;
  }>;
  if (!row) throw new Error(`shipment ${shipmentId} vanished while being written`);
  return { status: row.status, progress: row.progress, statusAt: row.status_at, deliveredAt: row.delivered_at, orderId: row.order_id };
}

async function saveState(em: EntityManager, shipmentId: string, before: ShipmentState, after: ShipmentState, extra: Partial<ShipmentEntity> = {}): Promise<void> {
  const changed = before.status !== after.status || before.progress !== after.progress || before.statusAt?.getTime() !== after.statusAt?.getTime() || before.deliveredAt?.getTime() !== after.deliveredAt?.getTime();
  if (!changed && Object.keys(extra).length === 0) return;
  await em.getRepository(ShipmentEntity).update({ id: shipmentId }, { ...extra, status: after.status, progress: after.progress, statusAt: after.statusAt, deliveredAt: after.deliveredAt });
}

const sameScan = (a: ScanInput, b: ScanInput): boolean =>
  a.occurredAt.getTime() === b.occurredAt.getTime() && a.location === b.location && a.description === b.description && (a.status ?? null) === (b.status ?? null);

/** Records a batch of scans of one shipment by one carrier; returns how many were new. */
export async function recordScans(em: EntityManager, shipmentId: string, carrierId: string, scans: readonly ScanInput[]): Promise<number> {
  const now = Date.now();
  // The batch's scans each once, by event id.
  const batch = new Map<string, ScanInput>();
  scans.forEach((scan, i) => {
    refuseLaterThanClock(scan.occurredAt, `input.events[${i}].occurredAt`, now);
    const seen = batch.get(scan.eventId);
    if (seen && !sameScan(seen, scan)) throw badUserInput(`input.events[${i}].eventId: used twice in the batch for different scans`);
    batch.set(scan.eventId, scan);
  });
  const before = await lockShipment(em, shipmentId);
  const known = (await em.query(
    `SELECT carrier_event_id AS "eventId", occurred_at AS "occurredAt", location, description, status FROM shipment_event
      WHERE shipment_id = $1 AND carrier_id = $2 AND carrier_event_id = ANY($3::varchar[])`,
    [shipmentId, carrierId, [...batch.keys()]],
  )) as ScanInput[];
  for (const stored of known) {
    if (!sameScan(stored, batch.get(stored.eventId)!)) {
      const i = scans.findIndex((s) => s.eventId === stored.eventId);
      throw badUserInput(`input.events[${i}].eventId: already recorded for this shipment with another time, place, description or status`);
    }
    batch.delete(stored.eventId);
  }
  const fresh = [...batch.values()];
  if (fresh.length === 0) return 0;
  await em.getRepository(ShipmentEventEntity).insert(
    fresh.map((s) => ({ shipmentId, carrierId, carrierEventId: s.eventId, occurredAt: s.occurredAt, location: s.location, description: s.description, status: s.status ?? null })),
  );
  // In the order they happened (a stable sort keeps the batch's order for equal times).
  let state: ShipmentState = before;
  for (const scan of [...fresh].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())) {
    if (scan.status) state = afterScan(state, { status: scan.status, occurredAt: scan.occurredAt }) ?? state;
  }
  await saveState(em, shipmentId, before, state);
  if (state.status === ShipmentStatus.DELIVERED && before.status !== ShipmentStatus.DELIVERED) await deliverOrderWhenAllParcelsAre(em, before.orderId);
  return fresh.length;
}

/** Records the carrier's tracking number; a pending parcel then has its label. */
export async function recordTracking(em: EntityManager, shipmentId: string, trackingNumber: string): Promise<void> {
  const before = await lockShipment(em, shipmentId);
  await saveState(em, shipmentId, before, afterTracking(before), { trackingNumber });
}
