/**
 * Publishing a new version of the privacy policy (policy §10): `policy publish --file FILE
 * --version V --effective DATE` records the version, the sha256 of its text and when it takes
 * effect. Orders placed from then on record it (the order's trigger picks the version in force
 * when an order is placed), and so do cookie choices made from then on.
 *
 * Versions take effect in the order they are published and never retroactively: an effective
 * date before now or before the latest version's is refused, because orders already placed have
 * recorded the version that was in force. Publishing the same version with the same text and
 * date again changes nothing; the same version with another text or date is refused. The
 * publication is written to the audit log in its transaction.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { AuditOperationType, AuditOutcome } from '../../audit/audit-event.entity';
import { AuditLog } from '../../audit/audit-log';

export class PolicyPublishError extends Error {
  override name = 'PolicyPublishError';
}

export interface PublishRequest {
  text: Buffer;
  version: string;
  effectiveAt: Date;
  /** The clock. Default: now. */
  now?: Date;
}

export interface Published {
  id: string;
  version: string;
  sha256: string;
  effectiveAt: Date;
  /** False when the same version, text and date were already published. */
  created: boolean;
}

const VERSION = /^[\w.-]{1,40}$/;

export async function publishPolicyVersion(dataSource: DataSource, request: PublishRequest): Promise<Published> {
  const now = request.now ?? new Date();
  if (!VERSION.test(request.version)) throw new PolicyPublishError(`--version: expected 1 to 40 letters, digits, dots, dashes or underscores, got ${JSON.stringify(request.version)}`);
  if (Number.isNaN(request.effectiveAt.getTime())) throw new PolicyPublishError('--effective: expected an ISO-8601 date or time, e.g. 2027-01-01');
  if (request.text.length === 0) throw new PolicyPublishError('--file: the policy text is empty');
  const sha256 = createHash('sha256').update(request.text).digest('hex');
  const auditLog = new AuditLog(dataSource);
  try {
    return await dataSource.transaction(async (em) => {
      // One publisher at a time: the order of versions is decided under the lock.
      await em.query(`LOCK TABLE policy_version IN SHARE ROW EXCLUSIVE MODE`);
      const [existing] = await em.query(`SELECT id, sha256, effective_at FROM policy_version WHERE version = $1`, [request.version]);
      if (existing) {
        if (existing.sha256 === sha256 && new Date(existing.effective_at).getTime() === request.effectiveAt.getTime()) {
          return { id: existing.id, version: request.version, sha256, effectiveAt: request.effectiveAt, created: false };
        }
        throw new PolicyPublishError(`version ${request.version} is already published with another text or effective date; publish the change as a new version`);
      }
      if (request.effectiveAt.getTime() < now.getTime()) {
        throw new PolicyPublishError(`--effective: ${request.effectiveAt.toISOString()} is in the past; a version takes effect now or later (orders already placed keep the version they were placed under)`);
      }
      const [latest] = await em.query(`SELECT version, effective_at FROM policy_version ORDER BY effective_at DESC LIMIT 1`);
      if (latest && new Date(latest.effective_at).getTime() > request.effectiveAt.getTime()) {
        throw new PolicyPublishError(`--effective: version ${latest.version} takes effect later (${new Date(latest.effective_at).toISOString()}); versions take effect in the order they are published`);
      }
      const [row] = await em.query(`INSERT INTO policy_version (version, published_at, effective_at, sha256) VALUES ($1, $2, $3, $4) RETURNING id`, [
        request.version,
        now,
        request.effectiveAt,
        sha256,
      ]);
      // Written with the version: both commit or neither.
      const client = (em.queryRunner as unknown as { databaseConnection: PoolClient }).databaseConnection;
      await auditLog.appendWithin(client, {
        requestId: randomUUID(),
        principal: { kind: 'system', id: 'policy-publish' },
        purpose: null,
        operationType: AuditOperationType.JOB,
        operationName: 'policy.publish',
        outcome: AuditOutcome.OK,
        detail: { version: request.version, sha256, effectiveAt: request.effectiveAt.toISOString() },
      });
      return { id: row.id as string, version: request.version, sha256, effectiveAt: request.effectiveAt, created: true };
    });
  } finally {
    await auditLog.close();
  }
}
