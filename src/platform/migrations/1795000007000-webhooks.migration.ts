import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change notifications (domains/webhooks): the endpoints partners register, and the outbox of
 * deliveries. The outbox is written by triggers, so a notification exists exactly when the change
 * it tells of committed, whoever wrote it (a carrier's scan through the gateway, the store's own
 * systems assigning a parcel to a carrier): one delivery per endpoint of the partner concerned,
 * per record and per transaction, whatever number of statements the transaction ran. The
 * triggers are per statement, over transition tables, and return at once while no endpoint is
 * registered, so bulk writes (the seed, retention) pay one look-up per statement.
 *
 * What is an event:
 * - shipment.assigned: a shipment inserted, or given to another carrier (to the new carrier);
 * - shipment.changed: a shipment's status changed or a tracking number set, or a scan recorded;
 * - payment_verification.changed: a verification recorded, or its status, amount, payment or
 *   settlement changed. Clearing card digits or a tracking number (erasure, retention) is not.
 */
export class Webhooks1795000007000 implements MigrationInterface {
  name = 'Webhooks1795000007000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "webhook_endpoint" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partner_id" uuid NOT NULL, "url" character varying(2048) NOT NULL, "purpose" character varying(40) NOT NULL, "sealed_secret" bytea NOT NULL, "sealed_previous_secret" bytea, "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "secret_rotated_at" TIMESTAMP WITH TIME ZONE, "disabled_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6c98112122b2b8a4f3984d2efa8" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_973f00b9f79d28c494b48f469a" ON "webhook_endpoint"  ("partner_id") `);
    await q.query(`CREATE TYPE "public"."webhook_event_type" AS ENUM('shipment.assigned', 'shipment.changed', 'payment_verification.changed')`);
    await q.query(`CREATE TYPE "public"."webhook_delivery_status" AS ENUM('pending', 'delivered', 'dead', 'cancelled')`);
    await q.query(
      `CREATE TABLE "webhook_delivery" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "event_id" uuid NOT NULL, "endpoint_id" uuid NOT NULL, "partner_id" uuid NOT NULL, "event_type" "public"."webhook_event_type" NOT NULL, "resource_id" uuid NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "tx_id" bigint NOT NULL, "status" "public"."webhook_delivery_status" NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_attempt_at" TIMESTAMP WITH TIME ZONE, "last_response_status" integer, "last_error" character varying(300), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "webhook_delivery_attempts_non_negative" CHECK ("attempts" >= 0), CONSTRAINT "PK_b1ae290239a778f12399db91354" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_6292534b6ccbefc05206980362" ON "webhook_delivery"  ("partner_id", "occurred_at", "id") `);
    await q.query(`CREATE INDEX "IDX_68fd3a7ad4e5504350f64a3472" ON "webhook_delivery"  ("status", "next_attempt_at") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_82c4b79bce2cae25c43b023e3d" ON "webhook_delivery"  ("endpoint_id", "resource_id", "tx_id") `);
    await q.query(
      `ALTER TABLE "webhook_endpoint" ADD CONSTRAINT "FK_973f00b9f79d28c494b48f469a5" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "webhook_delivery" ADD CONSTRAINT "FK_f53f5aec02217a54927b13e39d9" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoint"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    // One event per record (the first type wins: assigned before changed), one delivery per active
    // endpoint, due at once: to the millisecond, as a worker's clock tells time, so it is never due
    // a fraction of a millisecond after a worker that looks right after the commit.
    await q.query(`
      CREATE FUNCTION webhook_enqueue(p_partners uuid[], p_resources uuid[], p_types webhook_event_type[]) RETURNS void LANGUAGE sql AS $$
        WITH events AS MATERIALIZED (
          SELECT DISTINCT ON (c.resource) c.partner, c.resource, c.type, gen_random_uuid() AS event_id
            FROM unnest(p_partners, p_resources, p_types) AS c(partner, resource, type)
           WHERE c.partner IS NOT NULL
           ORDER BY c.resource, c.type)
        INSERT INTO webhook_delivery (event_id, endpoint_id, partner_id, event_type, resource_id, occurred_at, tx_id, next_attempt_at)
        SELECT ev.event_id, e.id, ev.partner, ev.type, ev.resource, clock_timestamp(), txid_current(), date_trunc('milliseconds', clock_timestamp())
          FROM events ev JOIN webhook_endpoint e ON e.partner_id = ev.partner AND e.disabled_at IS NULL
        ON CONFLICT (endpoint_id, resource_id, tx_id) DO NOTHING
      $$`);
    const trigger = async (name: string, table: string, event: 'INSERT' | 'UPDATE', body: string) => {
      await q.query(`
        CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM webhook_endpoint WHERE disabled_at IS NULL) THEN
            ${body};
          END IF;
          RETURN NULL;
        END $$`);
      const transition = event === 'INSERT' ? 'NEW TABLE AS added' : 'OLD TABLE AS removed NEW TABLE AS added';
      await q.query(`CREATE TRIGGER ${name} AFTER ${event} ON "${table}" REFERENCING ${transition} FOR EACH STATEMENT EXECUTE FUNCTION ${name}()`);
    };
    await trigger(
      'webhook_shipments_inserted',
      'shipment',
      'INSERT',
      `PERFORM webhook_enqueue(array_agg(n.logistics_partner_id), array_agg(n.id), array_agg('shipment.assigned'::webhook_event_type)) FROM added n`,
    );
    await trigger(
      'webhook_shipments_updated',
      'shipment',
      'UPDATE',
      `PERFORM webhook_enqueue(
         array_agg(n.logistics_partner_id), array_agg(n.id),
         array_agg(CASE WHEN o.logistics_partner_id IS DISTINCT FROM n.logistics_partner_id THEN 'shipment.assigned' ELSE 'shipment.changed' END::webhook_event_type))
         FROM added n JOIN removed o ON o.id = n.id
        WHERE o.logistics_partner_id IS DISTINCT FROM n.logistics_partner_id OR o.status IS DISTINCT FROM n.status
           OR (n.tracking_number IS NOT NULL AND n.tracking_number IS DISTINCT FROM o.tracking_number)`,
    );
    await trigger(
      'webhook_scans_inserted',
      'shipment_event',
      'INSERT',
      `PERFORM webhook_enqueue(array_agg(s.logistics_partner_id), array_agg(s.id), array_agg('shipment.changed'::webhook_event_type))
         FROM shipment s WHERE s.id IN (SELECT shipment_id FROM added)`,
    );
    await trigger(
      'webhook_payments_inserted',
      'payment_verification',
      'INSERT',
      `PERFORM webhook_enqueue(array_agg(n.provider_id), array_agg(n.id), array_agg('payment_verification.changed'::webhook_event_type)) FROM added n`,
    );
    await trigger(
      'webhook_payments_updated',
      'payment_verification',
      'UPDATE',
      `PERFORM webhook_enqueue(array_agg(n.provider_id), array_agg(n.id), array_agg('payment_verification.changed'::webhook_event_type))
         FROM added n JOIN removed o ON o.id = n.id
        WHERE o.provider_id IS DISTINCT FROM n.provider_id OR o.status IS DISTINCT FROM n.status OR o.amount IS DISTINCT FROM n.amount
           OR o.paid_at IS DISTINCT FROM n.paid_at OR o.settled_at IS DISTINCT FROM n.settled_at OR o.settlement_batch_ref IS DISTINCT FROM n.settlement_batch_ref`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const [name, table] of [
      ['webhook_payments_updated', 'payment_verification'],
      ['webhook_payments_inserted', 'payment_verification'],
      ['webhook_scans_inserted', 'shipment_event'],
      ['webhook_shipments_updated', 'shipment'],
      ['webhook_shipments_inserted', 'shipment'],
    ]) {
      await q.query(`DROP TRIGGER ${name} ON "${table}"`);
      await q.query(`DROP FUNCTION ${name}()`);
    }
    await q.query(`DROP FUNCTION webhook_enqueue(uuid[], uuid[], webhook_event_type[])`);
    await q.query(`ALTER TABLE "webhook_delivery" DROP CONSTRAINT "FK_f53f5aec02217a54927b13e39d9"`);
    await q.query(`ALTER TABLE "webhook_endpoint" DROP CONSTRAINT "FK_973f00b9f79d28c494b48f469a5"`);
    await q.query(`DROP INDEX "public"."IDX_82c4b79bce2cae25c43b023e3d"`);
    await q.query(`DROP INDEX "public"."IDX_68fd3a7ad4e5504350f64a3472"`);
    await q.query(`DROP INDEX "public"."IDX_6292534b6ccbefc05206980362"`);
    await q.query(`DROP TABLE "webhook_delivery"`);
    await q.query(`DROP TYPE "public"."webhook_delivery_status"`);
    await q.query(`DROP TYPE "public"."webhook_event_type"`);
    await q.query(`DROP INDEX "public"."IDX_973f00b9f79d28c494b48f469a"`);
    await q.query(`DROP TABLE "webhook_endpoint"`);
  }
}
