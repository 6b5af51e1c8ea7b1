import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook deliveries by the record they are about (`resource_id`): a customer's access export and
 * erasure find the deliveries of the customer's shipments and payment verifications through it
 * (privacy/handlers/registry.ts), which the unique index, led by the endpoint, cannot serve.
 */
export class WebhookDeliveryResource1795000010000 implements MigrationInterface {
  name = 'WebhookDeliveryResource1795000010000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "IDX_eb41d9c17bcc133485bd252b6c" ON "webhook_delivery" ("resource_id") `);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_eb41d9c17bcc133485bd252b6c"`);
  }
}
