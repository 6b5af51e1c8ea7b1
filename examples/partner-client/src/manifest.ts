/**
 * The morning manifest: every parcel of ours waiting to be collected, over all pages.
 */
import type { GraphQLClient } from 'graphql-request';
import { MorningManifestDocument, type MorningManifestQuery, type ShipmentStatus } from './generated/graphql';

/** One parcel to collect, as the driver's list shows it. */
export interface ManifestStop {
  shipmentId: string;
  status: ShipmentStatus;
  trackingNumber: string | null;
  orderNumber: string | null;
  /** Null when the gateway withholds the address (it never does for our own shipments today). */
  destination: NonNullable<NonNullable<MorningManifestQuery['shipments']['nodes'][number]['order']>['shippingAddress']> | null;
  items: Array<{ productName: string; quantity: number }>;
}

export interface MorningManifest {
  stops: ManifestStop[];
  /** How many pages it took. */
  pages: number;
}

/** Pages through the manifest with the cursor the gateway hands out, `pageSize` (1 to 100) at a time. */
export async function fetchMorningManifest(client: GraphQLClient, pageSize = 100): Promise<MorningManifest> {
  const stops: ManifestStop[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page: MorningManifestQuery = await client.request(MorningManifestDocument, { first: pageSize, after });
    pages += 1;
    for (const shipment of page.shipments.nodes) {
      stops.push({
        shipmentId: shipment.id,
        status: shipment.status,
        trackingNumber: shipment.trackingNumber ?? null,
        orderNumber: shipment.order?.orderNumber ?? null,
        destination: shipment.order?.shippingAddress ?? null,
        items: (shipment.order?.items ?? []).map((item) => ({ productName: item.productName, quantity: item.quantity })),
      });
    }
    after = page.shipments.pageInfo.hasNextPage ? (page.shipments.pageInfo.endCursor ?? null) : null;
  } while (after !== null);
  return { stops, pages };
}
