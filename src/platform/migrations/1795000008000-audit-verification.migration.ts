import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_verification`: the result of each verification of the audit log asked for through the
 * gateway (`verifyAuditLog`, the compliance console's Audit integrity page).
 */
export class AuditVerification1795000008000 implements MigrationInterface {
  name = 'AuditVerification1795000008000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit_verification" ("id" uuid NOT NULL, "verified_at" TIMESTAMP WITH TIME ZONE NOT NULL, "verified_by" character varying(200) NOT NULL, "intact" boolean NOT NULL, "events" integer NOT NULL, "seals" integer NOT NULL, "problem_count" integer NOT NULL, "first_problem" text, "head_seal_id" bigint, "head_hash" character(64), "ms" integer NOT NULL, CONSTRAINT "PK_d17f5b225f8a5a7cf37d803198a" PRIMARY KEY ("id"))`);
    await q.query(`COMMENT ON TABLE "audit_verification" IS 'Results of audit log verifications asked for through the gateway, newest last.'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_verification"`);
  }
}
