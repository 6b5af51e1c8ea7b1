import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes the entity decorators cannot express (expression and partial unique indexes); the
 * entities name them with `synchronize: false` so TypeORM leaves them alone.
 */
export class DomainConstraints1795000000001 implements MigrationInterface {
  name = 'DomainConstraints1795000000001';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX "customer_email_active_unique" ON "customer" (lower("email")) WHERE "status" = 'active'`);
    await q.query(`CREATE UNIQUE INDEX "address_one_default_per_customer" ON "address" ("customer_id") WHERE "is_default"`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "address_one_default_per_customer"`);
    await q.query(`DROP INDEX "customer_email_active_unique"`);
  }
}
