import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cookie and preference choices become a history: a row per choice, never updated, with the
 * privacy policy version in force when it was made and what recorded it (the storefront's cookie
 * banner or the customer's own account). The choice in force is the latest per subject and
 * category, so the one-row-per-category unique indexes give way to indexes that find it.
 *
 * Existing rows are assigned the version in force when they were recorded (the latest published
 * at or before it; the earliest version when they predate every one), and the storefront as
 * their source. `down` keeps only the latest choice per subject and category.
 */
export class PreferenceHistory1795000003000 implements MigrationInterface {
  name = 'PreferenceHistory1795000003000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_7f6f3511b1f681a2cfc52499ac"`);
    await q.query(`DROP INDEX "public"."IDX_4d203a44647629ecf04c774fc3"`);
    await q.query(`CREATE TYPE "public"."preference_source" AS ENUM('storefront', 'customer')`);
    await q.query(`ALTER TABLE "preference_consent" ADD "policy_version_id" uuid`);
    await q.query(`ALTER TABLE "preference_consent" ADD "recorded_via" "public"."preference_source"`);
    await q.query(
      `UPDATE "preference_consent" p SET "recorded_via" = 'storefront', "policy_version_id" = COALESCE(
         (SELECT v."id" FROM "policy_version" v WHERE v."published_at" <= p."recorded_at" ORDER BY v."published_at" DESC LIMIT 1),
         (SELECT v."id" FROM "policy_version" v ORDER BY v."published_at" ASC LIMIT 1))`,
    );
    const [{ n }] = await q.query(`SELECT count(*)::int AS n FROM "preference_consent" WHERE "policy_version_id" IS NULL`);
    if (n > 0) throw new Error(`preference_consent: ${n} choices exist but no privacy policy version does; publish one (policy_version) before migrating`);
    await q.query(`ALTER TABLE "preference_consent" ALTER COLUMN "policy_version_id" SET NOT NULL`);
    await q.query(`ALTER TABLE "preference_consent" ALTER COLUMN "recorded_via" SET NOT NULL`);
    await q.query(`CREATE INDEX "IDX_10482076c62f289707eeff315c" ON "preference_consent" ("policy_version_id")`);
    await q.query(`CREATE INDEX "IDX_cd8b1ec9d8d88163644b75e86c" ON "preference_consent" ("visitor_pseudonym", "category", "recorded_at")`);
    await q.query(`CREATE INDEX "IDX_64a8b679f3c41003abc465bbd2" ON "preference_consent" ("customer_id", "category", "recorded_at")`);
    await q.query(
      `ALTER TABLE "preference_consent" ADD CONSTRAINT "FK_10482076c62f289707eeff315c9" FOREIGN KEY ("policy_version_id") REFERENCES "policy_version"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "preference_consent" DROP CONSTRAINT "FK_10482076c62f289707eeff315c9"`);
    await q.query(`DROP INDEX "public"."IDX_64a8b679f3c41003abc465bbd2"`);
    await q.query(`DROP INDEX "public"."IDX_cd8b1ec9d8d88163644b75e86c"`);
    await q.query(`DROP INDEX "public"."IDX_10482076c62f289707eeff315c"`);
    await q.query(
      `DELETE FROM "preference_consent" p WHERE EXISTS (
         SELECT 1 FROM "preference_consent" n
          WHERE n."category" = p."category"
            AND (n."customer_id" = p."customer_id" OR n."visitor_pseudonym" = p."visitor_pseudonym")
            AND (n."recorded_at", n."id") > (p."recorded_at", p."id"))`,
    );
    await q.query(`ALTER TABLE "preference_consent" DROP COLUMN "recorded_via"`);
    await q.query(`ALTER TABLE "preference_consent" DROP COLUMN "policy_version_id"`);
    await q.query(`DROP TYPE "public"."preference_source"`);
    await q.query(
      `CREATE UNIQUE INDEX "IDX_4d203a44647629ecf04c774fc3" ON "preference_consent" ("customer_id", "category") WHERE customer_id IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "IDX_7f6f3511b1f681a2cfc52499ac" ON "preference_consent" ("visitor_pseudonym", "category") WHERE visitor_pseudonym IS NOT NULL`,
    );
  }
}
