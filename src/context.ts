/**
 * Per-request state: who is asking and why, their row scope, loaders built with that scope, and
 * the transaction the request's writes go through. Resolvers and services hold no request state
 * of their own.
 */
import type { DataSource } from 'typeorm';
import type { AuditOutcome } from './audit/audit-event.entity';
import type { AuditHandoff } from './audit/audit-log';
import { DisclosureRecorder } from './audit/disclosure-recorder';
import type { ServedRequest } from './audit/served-request';
import { customerIdOf, grantIdOf, partnerIdOf, type Caller, type Principal } from './policy/principal';
import type { AttachmentLinks } from './domains/after-sales/attachment-links';
import type { BehaviorAggregates } from './domains/analytics/behavior-aggregates';
import type { PrivacyRights } from './domains/privacy-requests/privacy-rights';
import type { WebhookSettings } from './domains/webhooks/webhook.service';
import { createLoaders, type Loaders } from './domains/loaders';
import type { IdempotencyClaim } from './idempotency/idempotency';
import type { RequestBudgets } from './hardening/rate-limit';
import type { RetentionSettings } from './platform/config';
import type { CursorKey } from './platform/cursor-seal';
import type { BlobStore } from './platform/blob-store';
import { lazyChild, type Logger } from './platform/logger';
import type { CursorCodec } from './platform/pagination';
import { RequestTransaction } from './platform/request-transaction';
import type { PolicyEngine, PolicyView } from './policy/policy-view';
import type { RowScope } from './policy/row-scope';

export interface RequestContext {
  requestId: string;
  caller: Caller;
  /** What the caller may see, derived from the disclosure matrix. */
  policy: PolicyView;
  scope: RowScope;
  /** Seals and opens this caller's cursors: a cursor made for anyone else does not open. */
  cursors: CursorCodec;
  loaders: Loaders;
  /** What this request disclosed, masked and denied, and about whom: written to the audit log. */
  disclosures: DisclosureRecorder;
  dataSource: DataSource;
  /**
   * The request's transaction (platform/request-transaction.ts): every write goes through
   * `transaction.write`, so it commits with the request's audit event or not at all.
   */
  transaction: RequestTransaction;
  logger: Logger;
  secrets: RequestSecrets;
  /** The legal case or privacy request the request serves (served-request.ts), stored on its audit event. */
  served: ServedRequest;
  /**
   * For a mutation sent with an Idempotency-Key: whether it claimed the key or replays an
   * earlier response (idempotency/idempotency.ts). A holder, like `disclosures` and
   * `transaction`: Apollo hands plugins and resolvers a shallow copy of the context.
   */
  idempotency: { claim?: IdempotencyClaim };
  /**
   * What a resolver adds to the request's audit event: the privacy request a write acted on, and
   * non-personal facts about it (a request's status changes). A holder, like `idempotency`.
   */
  auditNote: AuditNote;
  /** Data-subject rights: codes, mail, deadlines (domains/privacy-requests). */
  rights: PrivacyRights;
  /**
   * What the audit log recorded as the request's outcome, or that the response was withheld
   * because its event could not be written (a holder, filled in by the audit plugin; for metrics).
   */
  outcome: { audited?: AuditOutcome; withheld?: true };
  /** The audit event's announcement and wait, when the HTTP transport sends the response (audit-log.ts, AuditHandoff). */
  auditHandoff: AuditHandoff | undefined;
  /** Rate-limit budgets a resolver charges before it works (hardening/rate-limit.ts). */
  budgets: RequestBudgets;
  /** The behaviour aggregates and their threshold k (domains/analytics). */
  aggregates: BehaviorAggregates;
  /** Issues the download links of attachments (domains/after-sales/attachment-links.ts). */
  attachmentLinks: AttachmentLinks;
  /** Where attachment content is kept, when the gateway serves it (an erasure deletes blobs after its commit). */
  blobs: BlobStore | undefined;
  /** The retention job's settings, for the preview of its next run (retention/retention-preview.resolver.ts). */
  retention: RetentionSettings;
  /** Seals partners' webhook signing secrets; which endpoint URLs are accepted (domains/webhooks). */
  webhooks: WebhookSettings;
  /**
   * The gateway itself asks, as the caller: a webhook notification's read of its record. It is
   * decided and audited like any request of the caller's, but charges none of its rate-limit
   * budgets, which are for what the caller sends.
   */
  gatewayInitiated: boolean;
}

export interface AuditNote {
  privacyRequestReference?: string;
  detail?: Record<string, unknown>;
}

/** Keys resolvers need; never logged, never published. */
export interface RequestSecrets {
  /** Master secret of the daily visitor-pseudonym keys. */
  behaviorPseudonymKey: string;
  /** The master it replaced, for the days before `since` (privacy/desensitize.ts: pseudonymMaster). */
  behaviorPseudonymRotation?: { readonly previousKey: string; readonly since: string };
}

/** What a cursor is bound to: the caller's policy view and who the caller is, down to the token subject. */
function cursorBinding(caller: Caller, view: PolicyView): string {
  const p = caller.principal;
  return JSON.stringify([view.key, p.kind, p.subject, partnerIdOf(p) ?? '', customerIdOf(p) ?? '', grantIdOf(p) ?? '']);
}

/** What every request's context shares: built once, by the composition root (server.ts). */
export interface ContextDeps {
  policy: PolicyEngine;
  dataSource: DataSource;
  logger: Logger;
  secrets: RequestSecrets;
  cursorKey: CursorKey;
  aggregates: BehaviorAggregates;
  attachmentLinks: AttachmentLinks;
  budgetsFor(principal: Principal): RequestBudgets;
  /** Where attachment content is kept, when the gateway serves it. */
  blobs: BlobStore | undefined;
  rights: PrivacyRights;
  retention: RetentionSettings;
  webhooks: WebhookSettings;
}

/**
 * A request's context, for a caller whose policy view was computed once, when the request was
 * admitted (the HTTP transport or in-process execution), and is handed in: the row scope, the
 * cursors and the loaders all follow from that one view.
 */
export function createRequestContext(deps: ContextDeps, caller: Caller, view: PolicyView, requestId: string, served: ServedRequest, auditHandoff?: AuditHandoff): RequestContext {
  const scope = deps.policy.scopeFor(caller, view);
  // The binding is written when a cursor is first sealed or opened: most requests use none.
  const cursors = deps.cursorKey.forCaller(() => cursorBinding(caller, view));
  const transaction = new RequestTransaction(deps.dataSource);
  return {
    requestId,
    caller,
    policy: view,
    scope,
    cursors,
    loaders: createLoaders(deps.dataSource, scope, cursors, view.decide, transaction),
    disclosures: new DisclosureRecorder(),
    dataSource: deps.dataSource,
    transaction,
    // Made when first used: most requests never log through it (platform/logger.ts).
    logger: lazyChild(deps.logger, { requestId }),
    secrets: deps.secrets,
    served,
    idempotency: {},
    budgets: deps.budgetsFor(caller.principal),
    aggregates: deps.aggregates,
    attachmentLinks: deps.attachmentLinks,
    blobs: deps.blobs,
    rights: deps.rights,
    retention: deps.retention,
    webhooks: deps.webhooks,
    gatewayInitiated: false,
    auditNote: {},
    outcome: {},
    auditHandoff,
  };
}
