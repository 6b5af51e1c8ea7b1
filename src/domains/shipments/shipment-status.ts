/**
 * The order a shipment's status follows, and what a carrier scan may change (README: "What a
 * carrier scan may change"). Scans arrive late and out of order; every scan is kept in the
 * history, but a scan moves the status only as declared here, so nothing ever moves backwards.
 *
 * - The way to the recipient, in order: pending, label_created, in_transit, out_for_delivery,
 *   delivered, returned. A scan moves the status forward along it, skipping steps if need be,
 *   never back: in_transit after out_for_delivery moves nothing.
 * - `delivered` is final except for a return (`returned`); `returned` is final.
 * - `exception` (a failed delivery attempt, a refusal, a customs hold) may interrupt the way
 *   at any point before delivery. The shipment remembers where it was (`progress`) and resumes
 *   there or further on: after out_for_delivery, exception, in_transit moves nothing, a new
 *   out_for_delivery or delivered does.
 * - A scan older than the newest scan that set or confirmed the current status is history
 *   only: a scan that happened before the status was set cannot move it.
 * - A scan of the current status confirms it (its time becomes the status time).
 */
import { ShipmentStatus } from './shipment.entity';

/** The way to the recipient; a shipment's progress only moves forward along it. */
export const STATUS_ORDER: readonly ShipmentStatus[] = Object.freeze([
  ShipmentStatus.PENDING,
  ShipmentStatus.LABEL_CREATED,
  ShipmentStatus.IN_TRANSIT,
  ShipmentStatus.OUT_FOR_DELIVERY,
  ShipmentStatus.DELIVERED,
  ShipmentStatus.RETURNED,
]);

/** Statuses an exception can no longer interrupt. */
const DONE = new Set([ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED]);

export interface ShipmentState {
  status: ShipmentStatus;
  /** Where the parcel is on its way: `status`, except while `status` is exception. */
  progress: ShipmentStatus;
  /** When the newest scan that set or confirmed `status` occurred; null when none did. */
  statusAt: Date | null;
  deliveredAt: Date | null;
}

export interface Scan {
  status: ShipmentStatus;
  occurredAt: Date;
}

const rank = (status: ShipmentStatus): number => STATUS_ORDER.indexOf(status);

/** The state after `scan`, or undefined when the scan changes nothing but the history. */
export function afterScan(state: ShipmentState, scan: Scan): ShipmentState | undefined {
  if (state.statusAt !== null && scan.occurredAt < state.statusAt) return undefined;
  if (scan.status === state.status) return { ...state, statusAt: scan.occurredAt };
  if (scan.status === ShipmentStatus.EXCEPTION) {
    return DONE.has(state.status) ? undefined : { ...state, status: ShipmentStatus.EXCEPTION, statusAt: scan.occurredAt };
  }
  const forward = rank(scan.status) > rank(state.progress);
  const resumes = state.status === ShipmentStatus.EXCEPTION && scan.status === state.progress;
  if (!forward && !resumes) return undefined;
  return {
    status: scan.status,
    progress: scan.status,
    statusAt: scan.occurredAt,
    deliveredAt: scan.status === ShipmentStatus.DELIVERED ? scan.occurredAt : state.deliveredAt,
  };
}

/** The state once the carrier has given the shipment its tracking number: a pending parcel has a label. */
export function afterTracking(state: ShipmentState): ShipmentState {
  if (state.status !== ShipmentStatus.PENDING) return state;
  // No scan set this status, so none is too old to move it on.
  return { ...state, status: ShipmentStatus.LABEL_CREATED, progress: ShipmentStatus.LABEL_CREATED, statusAt: null };
}
