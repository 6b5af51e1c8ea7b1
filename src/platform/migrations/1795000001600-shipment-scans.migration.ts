import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Carrier scans that survive retries and arrive late (src/domains/shipments/shipment-scans.ts).
 *
 * - `shipment_event.carrier_id`, `carrier_event_id`: each scan names the carrier that sent it
 *   and the carrier's own id of it; (shipment, carrier, event id) is unique, so a scan sent again
 *   is recognised and stored once. Existing scans are given their shipment's carrier and their
 *   own row id as event id (no carrier will send those again).
 * - `shipment.progress`, `status_at`: what the declared status order needs to refuse moves
 *   backwards (src/domains/shipments/shipment-status.ts). Existing shipments get, as progress,
 *   their status, or for one in `exception` the furthest status its scans reached; as status
 *   time, the newest scan that carried their status.
 */
export class ShipmentScans1795000001600 implements MigrationInterface {
  name = 'ShipmentScans1795000001600';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "shipment_event" ADD "carrier_id" uuid`);
    await q.query(`ALTER TABLE "shipment_event" ADD "carrier_event_id" character varying(100)`);
    await q.query(`UPDATE "shipment_event" e SET "carrier_id" = s."logistics_partner_id", "carrier_event_id" = e."id"::text FROM "shipment" s WHERE s."id" = e."shipment_id"`);
    await q.query(`ALTER TABLE "shipment_event" ALTER COLUMN "carrier_id" SET NOT NULL, ALTER COLUMN "carrier_event_id" SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX "shipment_event_carrier_event_unique" ON "shipment_event" ("shipment_id", "carrier_id", "carrier_event_id")`);
    await q.query(`ALTER TABLE "shipment_event" ADD CONSTRAINT "shipment_event_carrier_fkey" FOREIGN KEY ("carrier_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await q.query(`ALTER TABLE "shipment" ADD "progress" "public"."shipment_status" NOT NULL DEFAULT 'pending'`);
    await q.query(`ALTER TABLE "shipment" ADD "status_at" TIMESTAMP WITH TIME ZONE`);
    // Enum values compare in declaration order: pending < label_created < in_transit < out_for_delivery < delivered.
    await q.query(`
      UPDATE "shipment" s SET
        "progress" = CASE WHEN s."status" <> 'exception' THEN s."status" ELSE COALESCE((
          SELECT max(e."status"::text::"public"."shipment_status") FROM "shipment_event" e
          WHERE e."shipment_id" = s."id" AND e."status" IN ('pending', 'label_created', 'in_transit', 'out_for_delivery', 'delivered')), 'pending') END,
        "status_at" = (SELECT max(e."occurred_at") FROM "shipment_event" e WHERE e."shipment_id" = s."id" AND e."status"::text = s."status"::text)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "shipment" DROP COLUMN "status_at"`);
    await q.query(`ALTER TABLE "shipment" DROP COLUMN "progress"`);
    await q.query(`ALTER TABLE "shipment_event" DROP CONSTRAINT "shipment_event_carrier_fkey"`);
    await q.query(`DROP INDEX "shipment_event_carrier_event_unique"`);
    await q.query(`ALTER TABLE "shipment_event" DROP COLUMN "carrier_event_id"`);
    await q.query(`ALTER TABLE "shipment_event" DROP COLUMN "carrier_id"`);
  }
}
