import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `idempotency_record.response` and `disclosure` become sealed bytes (idempotency/idempotency.ts):
 * the responses kept for retries, personal data included, are no longer stored in clear.
 *
 * Existing records (at most 24 hours of first responses kept for replay) lose their clear
 * response and disclosure here: a migration has no secret to seal them with. Each keeps an empty
 * sealed value, which never opens, so a retry of its write within its window is refused as a
 * record sealed under a changed secret is (IDEMPOTENCY_KEY_REUSED) rather than run a second
 * time; the records expire and are purged as usual. Down likewise keeps no response: a record
 * then reads as committed without one, and the rows are deleted instead.
 */
export class IdempotencySealed1795000009500 implements MigrationInterface {
  name = 'IdempotencySealed1795000009500';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "idempotency_record" ALTER COLUMN "response" TYPE bytea USING CASE WHEN "response" IS NULL THEN NULL ELSE '\\x'::bytea END, ALTER COLUMN "disclosure" TYPE bytea USING CASE WHEN "disclosure" IS NULL THEN NULL ELSE '\\x'::bytea END`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "idempotency_record"`);
    await q.query(`ALTER TABLE "idempotency_record" ALTER COLUMN "response" TYPE json USING NULL, ALTER COLUMN "disclosure" TYPE jsonb USING NULL`);
  }
}
