/**
 * The two HTTP endpoints of attachment content, beside /graphql (a file is a stream of bytes, not
 * a GraphQL value):
 *
 *   POST /attachments            upload one file to a case; answers 201 with an `uploadId`, which
 *                                the same caller then attaches with `attachCaseUpload`.
 *   GET  /attachments/<token>    download one attachment through a link `CaseAttachment.downloadUrl`
 *                                issued (attachment-links.ts).
 *
 * Upload: the caller authenticates as for /graphql (bearer token, X-Purpose); it may upload where
 * its matrix row grants `attachCaseUpload` — the write the upload prepares — and only to a case
 * inside its row scope (any other case id answers NOT_FOUND, as one that does not exist). The case
 * and kind travel in the headers `X-Case-Id` and `X-Attachment-Kind`: headers a cross-site form or
 * simple request cannot send, so a browser sends them only after a CORS preflight that an
 * allow-listed origin passes (CSRF protection, as Apollo's for /graphql). The body is the file
 * itself, streamed (attachment-intake.ts). The blob is stored, then the upload's row and its audit
 * event are committed in one transaction; if that fails the blob is deleted again.
 *
 * Every upload of an admitted caller is charged to its upload budgets (hardening/rate-limit.ts),
 * refused or not: one upload, and once stored its bytes, per hour. A spent budget answers 429
 * RATE_LIMITED with Retry-After, as /graphql does, audited as any refused upload; every answer
 * after the charge tells the uploads left in RateLimit header fields.
 *
 * Download: the link names the caller it was issued to; that caller is looked up again (a
 * withdrawn grant, a suspended partner or customer is refused), and the matrix is asked again,
 * row scope included; a link issued to a read serving a privacy request needs that request still
 * open (served-privacy-request.ts). Every refusal after that answers NOT_FOUND, exactly as an
 * attachment that does not exist or a link that has expired; an unexpired link of an erased
 * attachment too. The audit event is written
 * before a byte of content leaves (fail closed).
 */
import { GraphQLError } from 'graphql';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import { AuditOperationType, AuditOutcome } from '../../audit/audit-event.entity';
import type { AuditLog } from '../../audit/audit-log';
import { auditPrincipalOf } from '../../audit/audit-plugin';
import type { AuditEventInput } from '../../audit/audit-record';
import { isAuthenticationError } from '../../auth/authentication-error';
import type { TokenClaims } from '../../auth/claims';
import type { Caller, Principal } from '../../policy/principal';
import type { BlobStore } from '../../platform/blob-store';
import { rateLimitHeaders, type AdmissionBudgets } from '../../hardening/rate-limit';
import { ErrorCode } from '../../platform/errors';
import { ANSWER_HEADERS, send, sendError, sendWithheld } from '../../platform/http-responses';
import { scopedQuery } from '../../enforcement/loader-factory';
import type { Logger } from '../../platform/logger';
import type { GatewayMetrics } from '../../platform/metrics';
import { RequestTransaction } from '../../platform/request-transaction';
import type { PolicyEngine } from '../../policy/policy-view';
import { TABLES } from '../loaders';
import { servesOpenPrivacyRequest } from '../privacy-requests/served-privacy-request';
import { CaseStatus } from './after-sales-case.entity';
import { EXTENSIONS, IntakeRefusal, stageUpload, tooLarge, type AttachmentLimits } from './attachment-intake';
import type { AttachmentLinks } from './attachment-links';
import { AttachmentUploadEntity } from './attachment-upload.entity';
import { storageKeyOf, uploaderOf, UPLOAD_TTL_MS } from './attachment.service';
import { AttachmentKind } from './case-attachment.entity';

export const UPLOAD_PATH = '/attachments';
/** The write an upload prepares: whoever the matrix grants it may upload. */
export const UPLOAD_OPERATION = 'attachCaseUpload';
export const CASE_HEADER = 'x-case-id';
export const KIND_HEADER = 'x-attachment-kind';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOT_FOUND_MESSAGE = 'Attachment not found, or its link has expired: ask for a new downloadUrl';
/** Uploads one caller may have waiting to be attached: storage is not a place to park files. */
export const MAX_PENDING_UPLOADS = 20;

export interface AttachmentEndpointDeps {
  dataSource: DataSource;
  logger: Logger;
  policy: PolicyEngine;
  /** Establishes the caller of a request, or answers the refusal itself (server.ts). */
  admit(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<Caller | undefined>;
  /** The budgets uploads are charged to (hardening/rate-limit.ts). */
  budgets: Pick<AdmissionBudgets, 'upload' | 'uploaded'>;
  /** Looks the principal a link names up again, as for a token (auth/principal-resolver.ts). */
  resolvePrincipal(claims: TokenClaims): Promise<Principal>;
  auditLog: AuditLog | undefined;
  /** Counts refused uploads as /graphql's refusals are counted (RATE_LIMITED ones by principal kind). */
  metrics: Pick<GatewayMetrics, 'audited'>;
  store: BlobStore;
  links: AttachmentLinks;
  limits: AttachmentLimits;
  /** Where uploads are staged while they are checked; the system's temporary directory by default. */
  stagingDir?: string;
}

/** The claims a token for `principal` under `purpose` would carry: the link is looked up as a token would be. */
function claimsOf(principal: Principal, purpose: Caller['purpose'], expiresAt: Date): TokenClaims {
  const base = { subject: principal.subject, purposes: [purpose], issuedAt: Math.floor(Date.now() / 1000), expiresAt: Math.floor(expiresAt.getTime() / 1000) };
  switch (principal.kind) {
    case 'staff':
      return { ...base, kind: 'staff', roles: principal.roles };
    case 'customer':
      return { ...base, kind: 'customer', customerId: principal.customerId };
    case 'third_party':
      return { ...base, kind: 'third_party', partnerId: principal.partnerId, grantId: principal.grantId };
    default:
      return { ...base, kind: principal.kind, partnerId: principal.partnerId };
  }
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

export function createAttachmentEndpoints(deps: AttachmentEndpointDeps) {
  const stagingDir = deps.stagingDir ?? path.join(os.tmpdir(), 'need-to-know-uploads');

  const eventOf = (caller: Caller, requestId: string, operationName: string, operationType: AuditOperationType, outcome: AuditOutcome, rest: Partial<AuditEventInput> = {}): AuditEventInput => ({
    requestId,
    principal: auditPrincipalOf(caller.principal),
    purpose: caller.purpose,
    operationType,
    operationName,
    outcome,
    ...rest,
  });

  /**
   * Audits a refused upload (fail closed), then answers it and closes the connection: the rest of
   * the body is discarded until then, never stored.
   */
  const refuseUpload = async (req: http.IncomingMessage, res: http.ServerResponse, caller: Caller, requestId: string, status: number, code: string, message: string) => {
    await deps.auditLog?.append(eventOf(caller, requestId, 'uploadCaseAttachment', AuditOperationType.MUTATION, code === ErrorCode.FORBIDDEN ? AuditOutcome.DENIED : AuditOutcome.ERROR, { errorCodes: [code] }));
    deps.metrics.audited(caller.principal.kind, [], [code]);
    sendError(res, status, code, message, { connection: 'close' });
    req.resume();
  };

  async function upload(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const caller = await deps.admit(req, res, requestId);
    if (!caller) return;
    const declared = Number(req.headers['content-length'] ?? NaN);
    const budget = await deps.budgets.upload(caller.principal, Number.isFinite(declared) ? declared : undefined);
    if ('refusal' in budget) {
      await deps.auditLog?.append(eventOf(caller, requestId, 'uploadCaseAttachment', AuditOperationType.MUTATION, AuditOutcome.ERROR, { errorCodes: [ErrorCode.RATE_LIMITED] }));
      deps.metrics.audited(caller.principal.kind, [], [ErrorCode.RATE_LIMITED]);
      send(res, 429, budget.refusal.body, { ...budget.refusal.headers, connection: 'close' });
      req.resume();
      return;
    }
    for (const [name, value] of Object.entries(rateLimitHeaders(budget.state))) res.setHeader(name, value);
    const view = deps.policy.viewFor(caller);
    if (view.decide('Mutation', UPLOAD_OPERATION) !== 'visible') {
      return refuseUpload(req, res, caller, requestId, 403, ErrorCode.FORBIDDEN, `uploading attachments is not available to this caller for purpose ${caller.purpose}`);
    }
    const caseId = headerOf(req, CASE_HEADER);
    const kind = headerOf(req, KIND_HEADER);
    if (!caseId || !UUID.test(caseId)) {
      return refuseUpload(req, res, caller, requestId, 400, ErrorCode.BAD_USER_INPUT, `X-Case-Id: expected the id (a UUID) of the after-sales case, got ${caseId === undefined ? 'none' : JSON.stringify(caseId.slice(0, 60))}`);
    }
    if (!kind || !(Object.values(AttachmentKind) as string[]).includes(kind)) {
      return refuseUpload(req, res, caller, requestId, 400, ErrorCode.BAD_USER_INPUT, `X-Attachment-Kind: expected one of ${Object.values(AttachmentKind).join(', ')}, got ${kind === undefined ? 'none' : JSON.stringify(kind.slice(0, 30))}`);
    }
    const attachmentKind = kind as AttachmentKind;
    const limit = deps.limits[attachmentKind];
    const scope = deps.policy.scopeFor(caller, view);
    const found = await scopedQuery(deps.dataSource, TABLES.afterSalesCase, scope).andWhere('t.id = :id', { id: caseId.toLowerCase() }).getOne();
    if (!found) return refuseUpload(req, res, caller, requestId, 404, ErrorCode.NOT_FOUND, 'After-sales case not found');
    if (found.status === CaseStatus.CLOSED) {
      return refuseUpload(req, res, caller, requestId, 400, ErrorCode.BAD_USER_INPUT, 'X-Case-Id: the case is closed; open a new one');
    }
    const uploader = uploaderOf(caller.principal);
    const [{ pending }] = await deps.dataSource.query(`SELECT count(*)::int AS pending FROM attachment_upload WHERE uploader = $1 AND expires_at > now()`, [uploader]);
    if (pending >= MAX_PENDING_UPLOADS) {
      return refuseUpload(req, res, caller, requestId, 429, ErrorCode.RATE_LIMITED, `${MAX_PENDING_UPLOADS} uploads are waiting to be attached: attach them (attachCaseUpload) before uploading more; unattached ones expire after 24 hours`);
    }
    if (declared > limit) {
      const refusal = tooLarge(attachmentKind, limit);
      return refuseUpload(req, res, caller, requestId, refusal.status, refusal.code, refusal.message);
    }
    let staged;
    try {
      staged = await stageUpload(req, attachmentKind, limit, stagingDir);
    } catch (error) {
      if (error instanceof IntakeRefusal) return refuseUpload(req, res, caller, requestId, error.status, error.code, error.message);
      throw error;
    }
    const id = randomUUID();
    const storageKey = storageKeyOf(found.id, id);
    const uploadedAt = new Date();
    const expiresAt = new Date(uploadedAt.getTime() + UPLOAD_TTL_MS);
    try {
      await deps.store.put(storageKey, staged.file, staged.sizeBytes);
    } finally {
      await staged.discard();
    }
    // What is stored counts against the bytes budget; a later upload is refused once it is spent.
    await deps.budgets.uploaded(caller.principal, staged.sizeBytes).catch(() => undefined);
    const transaction = new RequestTransaction(deps.dataSource);
    try {
      await transaction.write((em) =>
        em.getRepository(AttachmentUploadEntity).insert({
          id,
          caseId: found.id,
          uploader,
          kind: attachmentKind,
          contentType: staged.contentType,
          sizeBytes: String(staged.sizeBytes),
          sha256: staged.sha256,
          storageKey,
          uploadedAt,
          expiresAt,
        }),
      );
      if (deps.auditLog) {
        const seal = await deps.auditLog.appendWithin(
          transaction.client,
          eventOf(caller, requestId, 'uploadCaseAttachment', AuditOperationType.MUTATION, AuditOutcome.OK, {
            at: uploadedAt,
            subjectIds: [found.customerId],
            detail: { uploadId: id, caseId: found.id, kind: attachmentKind, contentType: staged.contentType, sizeBytes: staged.sizeBytes },
          }),
        );
        transaction.markRecorded(() => deps.auditLog!.learnCommitted(seal));
      }
      await transaction.end(true);
    } catch (error) {
      await transaction.end(false).catch(() => undefined);
      await deps.store.delete(storageKey).catch(() => undefined);
      // The case's customer was erased while the upload was on its way (its row waited for the
      // erasure, then was refused: platform/request-transaction.ts): answered as a missing case.
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.NOT_FOUND) {
        return refuseUpload(req, res, caller, requestId, 404, ErrorCode.NOT_FOUND, 'After-sales case not found');
      }
      deps.logger.error({ requestId, err: error }, 'an upload could not be recorded: its blob is deleted again');
      return sendWithheld(res, error);
    }
    send(res, 201, { uploadId: id, caseId: found.id, kind: attachmentKind, contentType: staged.contentType, sizeBytes: String(staged.sizeBytes), sha256: staged.sha256, expiresAt: expiresAt.toISOString() }, { 'cache-control': 'no-store' });
  }

  async function download(res: http.ServerResponse, requestId: string, token: string): Promise<void> {
    const notFound = () => sendError(res, 404, ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, { 'cache-control': 'no-store' });
    const link = await deps.links.open(token);
    if (!link || !UUID.test(link.attachmentId)) return notFound();
    let principal: Principal;
    try {
      principal = await deps.resolvePrincipal(claimsOf(link.principal, link.purpose, link.expiresAt));
    } catch (error) {
      if (!isAuthenticationError(error)) throw error;
      deps.logger.info({ requestId, reason: error.reason, outcome: 'link refused' }, 'attachment download refused');
      return notFound();
    }
    const caller: Caller = { principal, purpose: link.purpose };
    const view = deps.policy.viewFor(caller);
    const audit = (outcome: AuditOutcome, rest: Partial<AuditEventInput>) =>
      deps.auditLog?.append(
        eventOf(caller, requestId, 'downloadCaseAttachment', AuditOperationType.QUERY, outcome, {
          flagged: view.serves !== undefined,
          legalCaseReference: link.served.legalCaseReference ?? null,
          privacyRequestReference: link.served.privacyRequestReference ?? null,
          ...rest,
        }),
      );
    const scope = deps.policy.scopeFor(caller, view);
    // A link issued to work a privacy request ends with the request: closed, it answers as expired.
    const servedRequest = link.served.privacyRequestReference;
    if (servedRequest !== undefined && !(await servesOpenPrivacyRequest(deps.dataSource, scope, servedRequest))) {
      await audit(AuditOutcome.ERROR, { errorCodes: [ErrorCode.NOT_FOUND] });
      return notFound();
    }
    const row =
      view.decide('CaseAttachment', 'downloadUrl') === 'visible'
        ? await scopedQuery(deps.dataSource, TABLES.caseAttachment, scope)
            .andWhere('t.id = :id', { id: link.attachmentId.toLowerCase() })
            .getOne()
        : null;
    const blob = row ? await deps.store.get(row.storageKey) : undefined;
    if (!row || !blob) {
      if (row) deps.logger.error({ requestId, attachmentId: row.id }, 'an attachment row names a blob the store does not have');
      await audit(AuditOutcome.ERROR, { errorCodes: [ErrorCode.NOT_FOUND] });
      return notFound();
    }
    try {
      const [{ customer_id: subject }] = await deps.dataSource.query(`SELECT customer_id FROM after_sales_case WHERE id = $1`, [row.caseId]);
      await audit(AuditOutcome.OK, { subjectIds: [subject], disclosed: ['CaseAttachment.content'], detail: { attachmentId: row.id } });
    } catch (error) {
      blob.destroy();
      throw error;
    }
    res.writeHead(200, {
      'content-type': row.contentType,
      'content-length': row.sizeBytes,
      'content-disposition': `attachment; filename="${row.id}.${EXTENSIONS[row.contentType] ?? 'bin'}"`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': ANSWER_HEADERS['content-security-policy']!,
      'cache-control': 'no-store',
      'repr-digest': `sha-256=:${Buffer.from(row.sha256, 'hex').toString('base64')}:`,
    });
    await pipeline(blob, res);
  }

  return {
    /** Whether `pathname` is one of these endpoints. */
    handles(pathname: string): boolean {
      return pathname === UPLOAD_PATH || pathname.startsWith(`${UPLOAD_PATH}/`);
    },
    async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string): Promise<void> {
      if (url.pathname === UPLOAD_PATH) {
        if (req.method !== 'POST') return sendError(res, 405, ErrorCode.METHOD_NOT_ALLOWED, 'Upload with POST, the file as the body', { allow: 'POST' });
        return upload(req, res, requestId);
      }
      if (req.method !== 'GET') return sendError(res, 405, ErrorCode.METHOD_NOT_ALLOWED, 'Download with GET', { allow: 'GET' });
      return download(res, requestId, url.pathname.slice(UPLOAD_PATH.length + 1));
    },
  };
}

export type AttachmentEndpoints = ReturnType<typeof createAttachmentEndpoints>;
