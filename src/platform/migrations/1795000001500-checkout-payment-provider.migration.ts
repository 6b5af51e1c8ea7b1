import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `order.payment_provider_id`: the payment provider the checkout assigned to take payment for
 * an order. It is what lets a provider report on an order at all: a provider's row scope
 * (own_payments) holds the orders assigned to it and those it already holds a verification of,
 * and `recordPaymentResult` finds its order inside that scope, so a provider can no longer
 * write itself into an order another provider processed.
 *
 * Existing orders are assigned the provider of their latest verification; orders without one
 * stay unassigned (no provider may report on them until a checkout assigns one).
 */
export class CheckoutPaymentProvider1795000001500 implements MigrationInterface {
  name = 'CheckoutPaymentProvider1795000001500';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "order" ADD "payment_provider_id" uuid`);
    await q.query(`CREATE INDEX "IDX_35883c879e454181fb1f8bbb5a" ON "order" ("payment_provider_id")`);
    await q.query(
      `ALTER TABLE "order" ADD CONSTRAINT "FK_35883c879e454181fb1f8bbb5a4" FOREIGN KEY ("payment_provider_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `UPDATE "order" o SET "payment_provider_id" = (SELECT p."provider_id" FROM "payment_verification" p WHERE p."order_id" = o."id" ORDER BY p."created_at" DESC, p."id" DESC LIMIT 1)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "order" DROP CONSTRAINT "FK_35883c879e454181fb1f8bbb5a4"`);
    await q.query(`DROP INDEX "public"."IDX_35883c879e454181fb1f8bbb5a"`);
    await q.query(`ALTER TABLE "order" DROP COLUMN "payment_provider_id"`);
  }
}
