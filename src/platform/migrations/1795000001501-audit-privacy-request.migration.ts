import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_event.privacy_request_reference`: the privacy request a read under purpose
 * data_subject_request serves (the X-Privacy-Request header), as `legal_case_reference` holds
 * the legal case of a legal_compliance read. Such reads are flagged.
 *
 * Existing events are not touched: the column is null for them, and an event's hash covers the
 * reference only when it is set (audit-record.ts), so every existing hash and seal still holds.
 * Adding a nullable column without a default rewrites no row and fires no trigger.
 */
export class AuditPrivacyRequest1795000001501 implements MigrationInterface {
  name = 'AuditPrivacyRequest1795000001501';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" ADD "privacy_request_reference" character varying(100)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "privacy_request_reference"`);
  }
}
