import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trusted documents (trusted_document): the operations registered for each audience from its
 * partners' `.graphql` files, by the sha256 of their text. A revocation keeps the row with
 * `revoked_at`; registering the document again clears it.
 */
export class TrustedDocuments1795000006500 implements MigrationInterface {
  name = 'TrustedDocuments1795000006500';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "trusted_document" ("audience" character varying(40) NOT NULL, "sha256" character(64) NOT NULL, "body" text NOT NULL, "operation_name" character varying(200) NOT NULL, "operation_type" character varying(12) NOT NULL, "source" character varying(300) NOT NULL, "registered_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "trusted_document_operation_type" CHECK ("operation_type" IN ('query', 'mutation')), CONSTRAINT "trusted_document_sha256_hex" CHECK ("sha256" ~ '^[0-9a-f]{64}$'), CONSTRAINT "PK_b3971ce30e71e298be57bf7f245" PRIMARY KEY ("audience", "sha256"))`,
    );
    await q.query(`COMMENT ON TABLE "trusted_document" IS 'Operations registered per audience (trusted documents); a revoked one is kept with revoked_at.'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "trusted_document"`);
  }
}
