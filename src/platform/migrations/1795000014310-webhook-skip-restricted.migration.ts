import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One of migration 1795000007000's trigger functions, with `body` run while an endpoint is in use. */
const triggerFunction = (name: string, body: string) => `
        CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM webhook_endpoint WHERE disabled_at IS NULL) THEN
            ${body};
          END IF;
          RETURN NULL;
        END $$`;

/** The bodies as migration 1795000007000 wrote them, and as this one writes them: a restricted record is no event. */
const BODIES: ReadonlyArray<{ name: string; before: string; after: string }> = [
  {
    name: 'webhook_shipments_updated',
    before: `PERFORM webhook_enqueue(
         array_agg(n.logistics_partner_id), array_agg(n.id),
         array_agg(CASE WHEN o.logistics_partner_id IS DISTINCT FROM n.logistics_partner_id THEN 'shipment.assigned' ELSE 'shipment.changed' END::webhook_event_type))
         FROM added n JOIN removed o ON o.id = n.id
        WHERE o.logistics_partner_id IS DISTINCT FROM n.logistics_partner_id OR o.status IS DISTINCT FROM n.status
           OR (n.tracking_number IS NOT NULL AND n.tracking_number IS DISTINCT FROM o.tracking_number)`,
    after: `PERFORM webhook_enqueue(
         array_agg(n.logistics_partner_id), array_agg(n.id),
         array_agg(CASE WHEN o.logistics_partner_id IS DISTINCT FROM n.logistics_partner_id THEN 'shipment.assigned' ELSE 'shipment.changed' END::webhook_event_type))
         FROM added n JOIN removed o ON o.id = n.id
        WHERE n.restricted_at IS NULL
          AND (o.logistics_partner_id IS DISTINCT FROM n.logistics_partner_id OR o.status IS DISTINCT FROM n.status
           OR (n.tracking_number IS NOT NULL AND n.tracking_number IS DISTINCT FROM o.tracking_number))`,
  },
  {
    name: 'webhook_scans_inserted',
    before: `PERFORM webhook_enqueue(array_agg(s.logistics_partner_id), array_agg(s.id), array_agg('shipment.changed'::webhook_event_type))
         FROM shipment s WHERE s.id IN (SELECT shipment_id FROM added)`,
    after: `PERFORM webhook_enqueue(array_agg(s.logistics_partner_id), array_agg(s.id), array_agg('shipment.changed'::webhook_event_type))
         FROM shipment s WHERE s.id IN (SELECT shipment_id FROM added) AND s.restricted_at IS NULL`,
  },
  {
    name: 'webhook_payments_updated',
    before: `PERFORM webhook_enqueue(array_agg(n.provider_id), array_agg(n.id), array_agg('payment_verification.changed'::webhook_event_type))
         FROM added n JOIN removed o ON o.id = n.id
        WHERE o.provider_id IS DISTINCT FROM n.provider_id OR o.status IS DISTINCT FROM n.status OR o.amount IS DISTINCT FROM n.amount
           OR o.paid_at IS DISTINCT FROM n.paid_at OR o.settled_at IS DISTINCT FROM n.settled_at OR o.settlement_batch_ref IS DISTINCT FROM n.settlement_batch_ref`,
    after: `PERFORM webhook_enqueue(array_agg(n.provider_id), array_agg(n.id), array_agg('payment_verification.changed'::webhook_event_type))
         FROM added n JOIN removed o ON o.id = n.id
        WHERE n.restricted_at IS NULL
          AND (o.provider_id IS DISTINCT FROM n.provider_id OR o.status IS DISTINCT FROM n.status OR o.amount IS DISTINCT FROM n.amount
           OR o.paid_at IS DISTINCT FROM n.paid_at OR o.settled_at IS DISTINCT FROM n.settled_at OR o.settlement_batch_ref IS DISTINCT FROM n.settlement_batch_ref)`,
  },
];

/**
 * A change to a shipment or payment verification an erasure kept and restricted is no event for
 * any partner (migration 1795000007000 wrote one).
 *
 * Why: a restricted record is read under legal_compliance only, so the worker cancelled such a
 * delivery unsent — but the delivery itself stayed, in the partner's `webhookDeliveries` for 30
 * days: a carrier still assigned a parcel whose customer was erased saw a notification of it
 * cancelled as "no longer within the partner's reach", which no parcel handed to another carrier
 * gives it (that carrier alone is told). It learnt of the erasure, and the outbox held a new
 * record about an erased customer, which erasure deletes. Records inserted are never restricted,
 * so the insert triggers are unchanged.
 */
export class WebhookSkipRestricted1795000014310 implements MigrationInterface {
  name = 'WebhookSkipRestricted1795000014310';

  public async up(q: QueryRunner): Promise<void> {
    for (const { name, after } of BODIES) await q.query(triggerFunction(name, after));
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const { name, before } of BODIES) await q.query(triggerFunction(name, before));
  }
}
