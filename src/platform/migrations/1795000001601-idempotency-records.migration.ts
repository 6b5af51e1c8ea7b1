import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `idempotency_record`: the first responses to mutations sent with an Idempotency-Key, kept 24
 * hours and then deleted (src/idempotency/idempotency.ts). Keys are stored only as a hash.
 */
export class IdempotencyRecords1795000001601 implements MigrationInterface {
  name = 'IdempotencyRecords1795000001601';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "idempotency_record" ("key_hash" character(64) NOT NULL, "fingerprint" character(64) NOT NULL, "request_id" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" smallint, "response" json, "disclosure" jsonb, CONSTRAINT "PK_36c380633b67b9bc87d07017c4c" PRIMARY KEY ("key_hash"))`);
    await q.query(`CREATE INDEX "IDX_0651d807f40f78d97c8c8cd893" ON "idempotency_record" ("expires_at")`);
    await q.query(`COMMENT ON TABLE "idempotency_record" IS 'First responses to mutations sent with an Idempotency-Key; kept 24 hours, then deleted.'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idempotency_record"`);
  }
}
