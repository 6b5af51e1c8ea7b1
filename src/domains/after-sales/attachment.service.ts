/**
 * Attachment content beyond a request: the keys blobs are stored under, who may attach an
 * upload, and the jobs that keep the blob store and the tables in step — erasure of a
 * customer's attachments, the access export, and the sweep that removes expired uploads and
 * blobs no row names.
 *
 * Rows go first, blobs after: a blob is deleted only once the transaction that deleted its row
 * has committed (`deleteBlobs`). A blob whose deletion failed, or whose row went by a cascade
 * (a case deleted by retention), is left without a row, and the sweep removes it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { AuditOperationType, AuditOutcome } from '../../audit/audit-event.entity';
import type { AuditLog } from '../../audit/audit-log';
import { principalKey, type Principal } from '../../policy/principal';
import type { BlobStore } from '../../platform/blob-store';
import type { Logger } from '../../platform/logger';

/** Every attachment blob's key starts with this. */
export const ATTACHMENT_KEY_PREFIX = 'after-sales/';
/** How long an upload waits to be attached before the sweep deletes it. */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A blob no row names is removed only when older than this: an upload stores its blob before
 * the transaction that writes its row commits.
 */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** Advisory lock of the sweep: one replica sweeps at a time. */
export const SWEEP_LOCK = '7395000006000000001';

export function storageKeyOf(caseId: string, attachmentId: string): string {
  return `${ATTACHMENT_KEY_PREFIX}${caseId.toLowerCase()}/${attachmentId.toLowerCase()}`;
}

/** Who uploaded, as stored on an upload: sha256 of the principal's key (never the token subject in the clear). */
export function uploaderOf(principal: Principal): string {
  return createHash('sha256').update(principalKey(principal)).digest('hex');
}

/**
 * The rows a DELETE ... RETURNING gave back (TypeORM answers such a statement with
 * `[rows, count]`, and a SELECT with the rows alone: the structured result is the same for both).
 */
export async function deletedRows<Row>(runner: QueryRunner, sql: string, params: unknown[]): Promise<Row[]> {
  const result = await runner.query(sql, params, true);
  return result.records as Row[];
}

/** What `eraseCustomerAttachments` deleted: row counts per table, and the keys of their blobs. */
export interface ErasedAttachments {
  attachments: number;
  uploads: number;
  keys: string[];
}

/**
 * Deletes every attachment and pending upload of `customerId`'s cases inside `em`'s transaction
 * and returns their blobs' keys: hand them to `deleteBlobs` once the transaction has committed.
 * The attachments of `keepCases` (cases an erasure keeps: inside their retention window or under
 * a legal hold) stay; pending uploads go whatever their case, as they are records of nothing.
 */
export async function eraseCustomerAttachments(em: EntityManager, customerId: string, keepCases: readonly string[] = []): Promise<ErasedAttachments> {
  const runner = em.queryRunner;
  if (!runner?.isTransactionActive) throw new Error('eraseCustomerAttachments: expected the entity manager of a transaction');
  const attached = await deletedRows<{ storage_key: string }>(
    runner,
    `DELETE FROM case_attachment a USING after_sales_case c
      WHERE c.id = a.case_id AND c.customer_id = $1 AND NOT (c.id = ANY($2::uuid[])) RETURNING a.storage_key`,
    [customerId, [...keepCases]],
  );
  const pending = await deletedRows<{ storage_key: string }>(
    runner,
    `DELETE FROM attachment_upload u USING after_sales_case c WHERE c.id = u.case_id AND c.customer_id = $1 RETURNING u.storage_key`,
    [customerId],
  );
  return { attachments: attached.length, uploads: pending.length, keys: [...attached, ...pending].map((r) => r.storage_key) };
}

/** Deletes the blobs of rows already deleted; a failure is logged and left to the sweep. Returns how many went. */
export async function deleteBlobs(store: BlobStore, keys: readonly string[], logger: Logger): Promise<number> {
  let deleted = 0;
  for (const key of keys) {
    try {
      await store.delete(key);
      deleted += 1;
    } catch (error) {
      logger.warn({ err: error }, 'an attachment blob could not be deleted now; the sweep will remove it');
    }
  }
  return deleted;
}

/**
 * One attachment as the access export lists it. With content asked for, `contentBase64` holds it,
 * or `contentUnavailable` says why not: the blob is `missing`, or it no longer matches its sha256
 * (`altered`) — said, never silently left out.
 */
export interface ExportedAttachment {
  id: string;
  caseId: string;
  kind: string;
  contentType: string;
  sizeBytes: string;
  sha256: string;
  uploadedAt: string;
  contentBase64?: string;
  contentUnavailable?: 'missing' | 'altered';
}

/**
 * The attachments of `customerId`'s cases for an access export: metadata always, the content too
 * when `includeContent`. Storage keys are not part of it.
 */
export async function exportCustomerAttachments(
  ds: DataSource,
  store: BlobStore,
  customerId: string,
  options: { includeContent: boolean },
): Promise<ExportedAttachment[]> {
  const rows: Array<{ id: string; case_id: string; kind: string; content_type: string; size_bytes: string; sha256: string; uploaded_at: Date; storage_key: string }> =
    await ds.query(
      `SELECT a.id, a.case_id, a.kind, a.content_type, a.size_bytes, a.sha256, a.uploaded_at, a.storage_key
         FROM case_attachment a JOIN after_sales_case c ON c.id = a.case_id
        WHERE c.customer_id = $1 ORDER BY a.uploaded_at, a.id`,
      [customerId],
    );
  const out: ExportedAttachment[] = [];
  for (const r of rows) {
    const item: ExportedAttachment = {
      id: r.id,
      caseId: r.case_id,
      kind: r.kind,
      contentType: r.content_type,
      sizeBytes: String(r.size_bytes),
      sha256: r.sha256,
      uploadedAt: r.uploaded_at.toISOString(),
    };
    if (options.includeContent) {
      const blob = await store.get(r.storage_key);
      if (!blob) {
        item.contentUnavailable = 'missing';
      } else {
        const chunks: Buffer[] = [];
        for await (const chunk of blob) chunks.push(chunk as Buffer);
        const content = Buffer.concat(chunks);
        if (createHash('sha256').update(content).digest('hex') === r.sha256) item.contentBase64 = content.toString('base64');
        else item.contentUnavailable = 'altered';
      }
    }
    out.push(item);
  }
  return out;
}

export interface SweepReport {
  /** Whether this process swept (another holds the lock otherwise). */
  swept: boolean;
  expiredUploads: number;
  orphanBlobs: number;
  /** Blobs without a row that are younger than the grace period, left for the next sweep. */
  recentOrphans: number;
  blobsSeen: number;
}

const KEYS_PER_CHECK = 500;

/**
 * Deletes uploads past their expiry with their blobs, then every attachment blob that neither
 * table names and that is older than `graceMs`. One replica at a time (advisory lock); its
 * counts go to the audit log as a `system` job. Idempotent: a sweep interrupted anywhere is
 * finished by the next.
 */
export async function sweepAttachmentBlobs(
  ds: DataSource,
  store: BlobStore,
  deps: { logger: Logger; auditLog?: AuditLog; now?: Date; graceMs?: number },
): Promise<SweepReport> {
  const now = deps.now ?? new Date();
  const graceMs = deps.graceMs ?? ORPHAN_GRACE_MS;
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock($1::bigint) AS locked`, [SWEEP_LOCK]);
    if (!locked) return { swept: false, expiredUploads: 0, orphanBlobs: 0, recentOrphans: 0, blobsSeen: 0 };
    try {
      const expired = await deletedRows<{ storage_key: string }>(runner, `DELETE FROM attachment_upload WHERE expires_at <= $1 RETURNING storage_key`, [now]);
      await deleteBlobs(store, expired.map((r) => r.storage_key), deps.logger);
      let orphanBlobs = 0;
      let recentOrphans = 0;
      let blobsSeen = 0;
      let batch: Array<{ key: string; writtenAt: Date }> = [];
      const check = async () => {
        const keys = batch.map((b) => b.key);
        const named: Array<{ storage_key: string }> = await runner.query(
          `SELECT storage_key FROM case_attachment WHERE storage_key = ANY($1) UNION SELECT storage_key FROM attachment_upload WHERE storage_key = ANY($1)`,
          [keys],
        );
        const known = new Set(named.map((r) => r.storage_key));
        for (const blob of batch) {
          if (known.has(blob.key)) continue;
          if (now.getTime() - blob.writtenAt.getTime() < graceMs) {
            recentOrphans += 1;
            continue;
          }
          await store.delete(blob.key);
          orphanBlobs += 1;
        }
        batch = [];
      };
      for await (const blob of store.list(ATTACHMENT_KEY_PREFIX)) {
        blobsSeen += 1;
        batch.push(blob);
        if (batch.length >= KEYS_PER_CHECK) await check();
      }
      if (batch.length > 0) await check();
      const report = { swept: true, expiredUploads: expired.length, orphanBlobs, recentOrphans, blobsSeen };
      await deps.auditLog?.append({
        requestId: randomUUID(),
        principal: { kind: 'system', id: 'attachment_sweep' },
        purpose: null,
        operationType: AuditOperationType.JOB,
        operationName: 'attachmentSweep',
        outcome: AuditOutcome.OK,
        detail: { expiredUploads: report.expiredUploads, orphanBlobs, recentOrphans, blobsSeen },
      });
      deps.logger.info(report, 'attachment sweep done');
      return report;
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1::bigint)`, [SWEEP_LOCK]);
    }
  } finally {
    await runner.release();
  }
}
