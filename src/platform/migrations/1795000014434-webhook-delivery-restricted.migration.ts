import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A webhook delivery an erasure kept because a legal hold covers its record's order is marked
 * restricted, as the order is: no partner lists it, the worker never attempts it, and it is
 * deleted once the hold is released and its 30 days are over (privacy/handlers/registry.ts).
 * Before, erasure deleted every delivery of the customer, held or not.
 */
export class WebhookDeliveryRestricted1795000014434 implements MigrationInterface {
  name = 'WebhookDeliveryRestricted1795000014434';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "webhook_delivery" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "webhook_delivery" DROP COLUMN "restricted_at"`);
  }
}
