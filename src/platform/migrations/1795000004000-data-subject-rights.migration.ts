import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data-subject rights end to end (design §6): every status change of a privacy request as a
 * row of its own; the one-time code that verifies the customer's identity (its keyed hash only);
 * the single-use links an access export is downloaded by (the token's hash only); the mail
 * outbox the codes and links are sent through; who opened a request and what it names; and the
 * marks erasure leaves: a customer's erasure time, and `restricted_at` on every row an erasure
 * had to keep (retention window or legal hold), which only legal_compliance reads.
 */
export class DataSubjectRights1795000004000 implements MigrationInterface {
  name = 'DataSubjectRights1795000004000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "privacy_export_link" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "request_id" uuid NOT NULL, "token_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_3fe89112126aff55161c0e30f2d" UNIQUE ("token_hash"), CONSTRAINT "PK_58952995508170c13830ed09cf6" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_47c0f5bf56ecbb1cd8639cead9" ON "privacy_export_link"  ("request_id")`);
    await q.query(`CREATE TABLE "privacy_request_code" ("request_id" uuid NOT NULL, "code_hash" character(64) NOT NULL, "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "attempts_left" smallint NOT NULL, CONSTRAINT "PK_8fd83c20aa2d15595c4333e0def" PRIMARY KEY ("request_id"))`);
    await q.query(`CREATE TABLE "privacy_request_transition" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "request_id" uuid NOT NULL, "from_status" "public"."privacy_request_status", "to_status" "public"."privacy_request_status" NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "seq" BIGSERIAL NOT NULL, "actor_kind" character varying(32) NOT NULL, "actor" character varying(200) NOT NULL, "note" text, CONSTRAINT "PK_0eeb953e61f114520e50968aa06" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_22bd469e0bbf84208ce2151929" ON "privacy_request_transition"  ("request_id", "seq")`);
    await q.query(`CREATE TYPE "public"."mail_status" AS ENUM('pending', 'sent', 'failed')`);
    await q.query(`CREATE TABLE "mail_outbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "customer_id" uuid, "topic" character varying(100) NOT NULL, "to_address" character varying(320) NOT NULL, "subject" character varying(200) NOT NULL, "sealed_body" bytea, "status" "public"."mail_status" NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_error" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "sent_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "mail_outbox_attempts_non_negative" CHECK ("attempts" >= 0), CONSTRAINT "PK_fecc63c96385bc35a39ccf2a72e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_6c2a6105cde6ae72906203313f" ON "mail_outbox"  ("customer_id")`);
    await q.query(`CREATE INDEX "IDX_63513349650e25976f9ec6dcda" ON "mail_outbox"  ("status", "next_attempt_at")`);
    await q.query(`ALTER TABLE "customer" ADD "erased_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "customer" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "order" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "after_sales_case" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "case_message" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "case_attachment" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "case_record" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "preference_consent" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "address" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "order_item" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "payment_verification" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`CREATE TYPE "public"."privacy_request_channel" AS ENUM('customer', 'customer_service')`);
    await q.query(`ALTER TABLE "privacy_request" ADD "opened_via" "public"."privacy_request_channel" NOT NULL DEFAULT 'customer'`);
    await q.query(`ALTER TABLE "privacy_request" ADD "opened_by" character varying(200)`);
    await q.query(`ALTER TABLE "privacy_request" ADD "parameters" jsonb`);
    await q.query(`ALTER TABLE "privacy_request" ADD "result" jsonb`);
    await q.query(`ALTER TABLE "shipment" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "shipment_event" ADD "restricted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "privacy_export_link" ADD CONSTRAINT "FK_47c0f5bf56ecbb1cd8639cead93" FOREIGN KEY ("request_id") REFERENCES "privacy_request"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "privacy_request_code" ADD CONSTRAINT "FK_8fd83c20aa2d15595c4333e0def" FOREIGN KEY ("request_id") REFERENCES "privacy_request"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "privacy_request_transition" ADD CONSTRAINT "FK_091982c5420680e8ce942f4d026" FOREIGN KEY ("request_id") REFERENCES "privacy_request"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "privacy_request_transition" DROP CONSTRAINT "FK_091982c5420680e8ce942f4d026"`);
    await q.query(`ALTER TABLE "privacy_request_code" DROP CONSTRAINT "FK_8fd83c20aa2d15595c4333e0def"`);
    await q.query(`ALTER TABLE "privacy_export_link" DROP CONSTRAINT "FK_47c0f5bf56ecbb1cd8639cead93"`);
    await q.query(`ALTER TABLE "shipment_event" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "shipment" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "privacy_request" DROP COLUMN "result"`);
    await q.query(`ALTER TABLE "privacy_request" DROP COLUMN "parameters"`);
    await q.query(`ALTER TABLE "privacy_request" DROP COLUMN "opened_by"`);
    await q.query(`ALTER TABLE "privacy_request" DROP COLUMN "opened_via"`);
    await q.query(`DROP TYPE "public"."privacy_request_channel"`);
    await q.query(`ALTER TABLE "payment_verification" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "order_item" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "address" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "preference_consent" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "case_record" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "case_attachment" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "case_message" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "after_sales_case" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "order" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "customer" DROP COLUMN "restricted_at"`);
    await q.query(`ALTER TABLE "customer" DROP COLUMN "erased_at"`);
    await q.query(`DROP INDEX "public"."IDX_63513349650e25976f9ec6dcda"`);
    await q.query(`DROP INDEX "public"."IDX_6c2a6105cde6ae72906203313f"`);
    await q.query(`DROP TABLE "mail_outbox"`);
    await q.query(`DROP TYPE "public"."mail_status"`);
    await q.query(`DROP INDEX "public"."IDX_22bd469e0bbf84208ce2151929"`);
    await q.query(`DROP TABLE "privacy_request_transition"`);
    await q.query(`DROP TABLE "privacy_request_code"`);
    await q.query(`DROP INDEX "public"."IDX_47c0f5bf56ecbb1cd8639cead9"`);
    await q.query(`DROP TABLE "privacy_export_link"`);
  }
}
