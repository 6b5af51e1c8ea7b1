import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A partner's oldest due webhook deliveries, for the worker's claim, which takes each partner's
 * oldest up to its share of the worker's places (webhook-worker.ts): without it, finding another
 * partner's due deliveries behind one partner's backlog read that whole backlog at every poll.
 * Pending rows only, the ones the claim looks at.
 */
export class WebhookClaimByPartner1795000014433 implements MigrationInterface {
  name = 'WebhookClaimByPartner1795000014433';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "IDX_7556d15bc22538cce56549410d" ON "webhook_delivery" ("partner_id", "next_attempt_at", "id") WHERE "status" = 'pending'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_7556d15bc22538cce56549410d"`);
  }
}
