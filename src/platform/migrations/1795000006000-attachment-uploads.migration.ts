import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Files uploaded to an after-sales case and not attached yet (attachment_upload): the blob is
 * stored, the row says who may attach it and until when. Attaching turns the row into a
 * case_attachment with the same id and blob; the sweep deletes expired ones with their blobs.
 */
export class AttachmentUploads1795000006000 implements MigrationInterface {
  name = 'AttachmentUploads1795000006000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "attachment_upload" ("id" uuid NOT NULL, "case_id" uuid NOT NULL, "uploader" character(64) NOT NULL, "kind" "public"."attachment_kind" NOT NULL, "content_type" character varying(100) NOT NULL, "size_bytes" bigint NOT NULL, "sha256" character(64) NOT NULL, "storage_key" character varying(300) NOT NULL, "uploaded_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "UQ_454bccd44f9684c619f55c10893" UNIQUE ("storage_key"), CONSTRAINT "attachment_upload_size_positive" CHECK ("size_bytes" > 0), CONSTRAINT "attachment_upload_sha256_hex" CHECK ("sha256" ~ '^[0-9a-f]{64}$'), CONSTRAINT "PK_a809c449a48e5d53c945bbe29f6" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_56c233cab2eb1f29d6ab751750" ON "attachment_upload" ("case_id")`);
    await q.query(`CREATE INDEX "IDX_56bd530b72f58e206f63a1691a" ON "attachment_upload" ("expires_at")`);
    await q.query(
      `ALTER TABLE "attachment_upload" ADD CONSTRAINT "FK_56c233cab2eb1f29d6ab7517505" FOREIGN KEY ("case_id") REFERENCES "after_sales_case"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "attachment_upload" DROP CONSTRAINT "FK_56c233cab2eb1f29d6ab7517505"`);
    await q.query(`DROP INDEX "public"."IDX_56bd530b72f58e206f63a1691a"`);
    await q.query(`DROP INDEX "public"."IDX_56c233cab2eb1f29d6ab751750"`);
    await q.query(`DROP TABLE "attachment_upload"`);
  }
}
