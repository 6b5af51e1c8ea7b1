import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The wrong verification codes a privacy request has taken, in all and when last: the attempt
 * budgets of identity verification (domains/privacy-requests/identity-codes.ts) count them across
 * the codes of one request and across the requests of one customer, where a code's own
 * `attempts_left` starts afresh with each new code.
 */
export class PrivacyCodeFailures1795000014420 implements MigrationInterface {
  name = 'PrivacyCodeFailures1795000014420';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "privacy_request" ADD "code_failures" integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "privacy_request" ADD "last_code_failure_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_code_failures_non_negative" CHECK ("code_failures" >= 0)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "privacy_request" DROP CONSTRAINT "privacy_request_code_failures_non_negative"`);
    await q.query(`ALTER TABLE "privacy_request" DROP COLUMN "last_code_failure_at"`);
    await q.query(`ALTER TABLE "privacy_request" DROP COLUMN "code_failures"`);
  }
}
