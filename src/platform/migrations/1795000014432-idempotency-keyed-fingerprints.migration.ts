import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `idempotency_record.fingerprint_keyed` (idempotency/idempotency.ts): fingerprints become an
 * HMAC under a key derived from the privacy secret, and key hashes name the caller's policy view
 * beside its principal.
 *
 * A migration has no secret, and a fingerprint cannot be re-made from what it hashes, so the
 * records already kept (at most 24 hours of them) stay as they are and are marked `false`: the
 * gateway still finds them by principal and key and compares their unkeyed fingerprint until they
 * expire, so a retry sent across the upgrade is replayed, not run twice. The default stays false:
 * a gateway of the previous release, still running beside this one while it is deployed, writes
 * records of the old kind, which this one then reads as such.
 */
export class IdempotencyKeyedFingerprints1795000014432 implements MigrationInterface {
  name = 'IdempotencyKeyedFingerprints1795000014432';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "idempotency_record" ADD "fingerprint_keyed" boolean NOT NULL DEFAULT false`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // The previous release cannot read keyed records: they are dropped (their keys are free again), the old ones kept.
    await q.query(`DELETE FROM "idempotency_record" WHERE "fingerprint_keyed"`);
    await q.query(`ALTER TABLE "idempotency_record" DROP COLUMN "fingerprint_keyed"`);
  }
}
