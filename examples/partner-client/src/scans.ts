/**
 * Recording the handhelds' scans of one shipment: each scan carries the id the handheld gave it
 * (`eventId`), and the batch one Idempotency-Key, kept across retries. Sent twice, by a retry or
 * by a handheld that syncs again, the scans are stored once.
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLClient } from 'graphql-request';
import { RecordScansDocument, type RecordScansMutation, type ShipmentEventInput } from './generated/graphql';
import { withRetries, type RetryOptions } from './retry';

export interface HandheldScan {
  /** The handheld's own id of the scan, unique per scan (1 to 100 characters). */
  scanId: string;
  scannedAt: Date;
  location: string;
  description: string;
  status?: ShipmentEventInput['status'];
}

export interface RecordScansOptions extends RetryOptions {
  /** The key of this batch; a new UUID unless told (give the same one to send the same batch again later). */
  idempotencyKey?: string;
}

export async function recordScans(
  client: GraphQLClient,
  shipmentId: string,
  scans: readonly HandheldScan[],
  options: RecordScansOptions = {},
): Promise<RecordScansMutation['recordShipmentEvents']> {
  const idempotencyKey = options.idempotencyKey ?? randomUUID();
  const events: ShipmentEventInput[] = scans.map((scan) => ({
    eventId: scan.scanId,
    occurredAt: scan.scannedAt.toISOString(),
    location: scan.location,
    description: scan.description,
    ...(scan.status ? { status: scan.status } : {}),
  }));
  const result = await withRetries(
    () => client.request({ document: RecordScansDocument, variables: { input: { shipmentId, events } }, requestHeaders: { 'idempotency-key': idempotencyKey } }),
    options,
  );
  return result.recordShipmentEvents;
}
