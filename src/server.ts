/**
 * The composition root: createGateway(deps) builds the gateway from its parts and returns it as
 * an HTTP request handler, plus in-process execution for tests and benchmarks. It does not
 * listen: main.ts does. It does no request work itself; a request goes
 *
 *   http/http-transport.ts   probes, CORS, body, admission (caller, purpose, served case);
 *                            the published contracts (integration/published-contracts.ts);
 *                            trusted documents (integration/trusted-document-gate.ts)
 *   context.ts               the request's context from the caller's one policy view
 *   execution/routing.ts     field rules, compiled read or plain graphql-js (a persisted query by
 *                            its registered text); the transaction's end
 *   Apollo plugins           subscriptions refused, limits, rate limits, contract, idempotency,
 *                            one HTTP status per code (integration/), audit (fail closed)
 *   platform/error-format.ts what an error looks like when it leaves
 *
 * docs/architecture.md follows one request through these file by file.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { DataSource } from 'typeorm';
import { AuditLog } from './audit/audit-log';
import { createAuditPlugin } from './audit/audit-plugin';
import { REFERENCE_HEADERS, servedRequestOf, type ServedRequest } from './audit/served-request';
import { unreachablePrivacyRequest } from './domains/privacy-requests/served-privacy-request';
import type { Authenticate } from './auth/authenticate';
import { createRequestContext, type ContextDeps, type RequestContext, type RequestSecrets } from './context';
import { createAttachmentEndpoints, type AttachmentEndpointDeps } from './domains/after-sales/attachment-http';
import type { AttachmentLimits } from './domains/after-sales/attachment-intake';
import { AttachmentLinks } from './domains/after-sales/attachment-links';
import { sweepAttachmentBlobs } from './domains/after-sales/attachment.service';
import { BehaviorAggregates, type BehaviorAggregatesOptions } from './domains/analytics/behavior-aggregates';
import { createContractPlugin } from './enforcement/contract-plugin';
import { composePlugins } from './platform/plugin-composition';
import { ReadPlans } from './execution/read-plans';
import { Routing, type SharedApolloOptions } from './execution/routing';
import { armorProtections, costLimitPlugin, DEFAULT_LIMITS, MAX_VALIDATION_ERRORS, maxRootFieldsRule, type OperationLimits } from './hardening/operation-limits';
import { textValuesPlugin } from './hardening/text-values';
import { createRateLimiter, DEFAULT_RATE_LIMITS, type RateLimitConfig } from './hardening/rate-limit';
import { clientAddressOf } from './http/client-address';
import { admitCaller, createHttpTransport, type Admission, type HttpTransport } from './http/http-transport';
import { rememberMediaTypeChoices } from './http/media-type-choices';
import { responseContentType } from './http/response-content-type';
import { createIdempotencyPlugin, FINGERPRINT_MAC_USE, purgeExpired, RESPONSE_BOX_USE } from './idempotency/idempotency';
import { CursorKey } from './platform/cursor-seal';
import { maskError } from './platform/error-format';
import { responseStatus } from './integration/http-status';
import { createPersistedQueries } from './integration/persisted-queries';
import { PublishedContracts } from './integration/published-contracts';
import { TRUSTED_DOCUMENTS_OFF, TrustedDocumentGate, type TrustedDocumentSettings } from './integration/trusted-document-gate';
import { refuseSubscriptions } from './integration/subscriptions';
import { buildContracts, CONTRACT_AUDIENCES } from './policy/contracts';
import type { BlobStore } from './platform/blob-store';
import type { Logger } from './platform/logger';
import { ENTITIES } from './data-source';
import { checkPolicy } from './policy/matrix-check';
import { PolicyEngine } from './policy/policy-view';
import type { Caller } from './policy/principal';
import { checkPrivacyRegistry } from './privacy/handlers/registry-check';
import { NOT_PERSONAL, PRIVACY_HANDLERS } from './privacy/handlers/registry';
import { buildGatewaySchema } from './schema';
import { downloadExport } from './domains/privacy-requests/export-download';
import { EXPORT_DOWNLOAD_PATH, PrivacyRights } from './domains/privacy-requests/privacy-rights';
import { outboxBacklog } from './mail/outbox';
import { GatewayMetrics } from './platform/metrics';
import { isClassifiedCoordinate } from './policy/classification';
import { ConsoleAssets, type ConsoleOptions } from './console/console-assets';
import { DEV_PRIVACY_SECRET, DEV_WEBHOOK_SECRET_KEY, type RetentionSettings } from './platform/config';
import { RETENTION_DEFAULTS } from './retention/retention-job';
import { WebhookWorker, type WebhookWorkerOptions } from './domains/webhooks/webhook-worker';
import { SigningSecretBox } from './domains/webhooks/webhook-signing';


/** How often expired idempotency records are deleted. */
const PURGE_EVERY_MS = 10 * 60_000;
/** How long a download link of an attachment works unless configured. */
const DEFAULT_LINK_TTL_SECONDS = 300;
/** How often attachment blobs are swept unless configured. */
const SWEEP_EVERY_MS = 60 * 60_000;

/** The gateway's secrets: those resolvers need, and the one cursors are sealed with (never in a request's context). */
export interface GatewaySecrets extends RequestSecrets {
  cursorSecret: string;
  /** Secrets cursorSecret replaced (CURSOR_SECRET_PREVIOUS): cursors and attachment links sealed under them still open. */
  previousCursorSecrets?: readonly string[];
}

export interface GatewayDeps {
  dataSource: DataSource;
  logger: Logger;
  secrets: GatewaySecrets;
  /** Establishes the caller from the request headers, or throws (AuthenticationError -> 401). */
  authenticate: Authenticate;
  /** Development only: introspection on. */
  development: boolean;
  /**
   * Benchmark only: `false` runs without the field policy and the audit log, to measure what
   * they cost. Refused when NODE_ENV is production. Row scope always applies.
   */
  protections?: boolean;
  /** Operation limits; DEFAULT_LIMITS when absent. */
  limits?: OperationLimits;
  /** Rate limits; DEFAULT_RATE_LIMITS (in memory) when absent. */
  rateLimits?: RateLimitConfig;
  /**
   * The proxies in front whose X-Forwarded-For is believed, for the client address failed
   * authentications are counted by (http/client-address.ts); none by default.
   */
  trustedProxies?: readonly string[];
  /** Behaviour aggregates: k, the fewest visitors a published cell counts (at least and by default 10). */
  analytics?: BehaviorAggregatesOptions;
  /** Origins browsers may call from (CORS); none by default. */
  corsOrigins?: readonly string[];
  /**
   * Compiled reads (execution/read-plans.ts): operations over the order aggregate run as one SQL
   * statement per root field. Default true; false runs everything on graphql-js (tests compare both).
   */
  compiledReads?: boolean;
  /** Whether compiled statements are kept as templates (read-plans.ts); false renders each afresh (tests compare both). Default true. */
  readPlanTemplates?: boolean;
  /**
   * Attachment content: where blobs are kept, the upload limits, and how a download link's
   * principal is looked up again. Without it the upload and download endpoints answer 404
   * (in-process tests); `CaseAttachment.downloadUrl` still issues links.
   */
  attachments?: {
    store: BlobStore;
    limits: AttachmentLimits;
    resolvePrincipal: AttachmentEndpointDeps['resolvePrincipal'];
    stagingDir?: string;
    /** How often expired uploads and blobs without a row are swept; default hourly, 0 never. */
    sweepEveryMs?: number;
  };
  /** How long a download link works, in seconds (default 300). */
  attachmentLinkTtlSeconds?: number;
  /** The retention job's settings (config.retention), which the preview of its next run uses; its defaults when absent. */
  retention?: RetentionSettings;
  /**
   * The audit log writer. Default: one over `dataSource` with its default group-commit window
   * and batch size, flushed and closed by `stop()`. Unused when protections are off.
   */
  auditLog?: AuditLog;
  /**
   * Data-subject rights: code secret, working-day calendar, request limits, link origin. Default:
   * the development secret, UTC without holidays, links to http://127.0.0.1:4000 (tests).
   */
  rights?: PrivacyRights;
  /**
   * Prometheus metrics; when absent, a registry of the gateway's own without Node's process
   * metrics. Those are the process's, and what collects them (a GC observer, an event-loop
   * monitor) can never be stopped: the process entry (main.ts) adds them, and a gateway started
   * in a process that goes on (a test, a benchmark) starts none to leave behind.
   */
  metrics?: GatewayMetrics;
  /** Whether `handler` also answers GET /metrics (otherwise only `metricsHandler` does, for a listener of its own). Default false. */
  metricsOnPublicListener?: boolean;
  /** The compliance console (console/ built into dist/console): served at /console when given. */
  console?: ConsoleOptions;
  /**
   * Trusted documents: off, optional or required, for which principal kinds (the partner
   * audiences when `audiences` is absent). Off unless given.
   */
  trustedDocuments?: Omit<TrustedDocumentSettings, 'audiences'> & { audiences?: readonly string[] };
  /**
   * Change notifications (domains/webhooks): the key signing secrets are sealed under (a
   * development key when absent; production needs its own), whether endpoints may be local —
   * http:// on the loopback interface, private addresses (default yes, never in production) —
   * and the worker's timings.
   */
  webhooks?: {
    secretKey: string;
    /** Keys secretKey replaced (WEBHOOK_SECRET_KEY_PREVIOUS): signing secrets sealed under them still open. */
    previousSecretKeys?: readonly string[];
    allowLocalEndpoints?: boolean;
    worker?: Omit<WebhookWorkerOptions, 'dataSource' | 'disclose' | 'contracts' | 'secrets' | 'logger' | 'allowLocalEndpoints' | 'metrics'>;
  };
}

export interface Gateway {
  handler: http.RequestListener;
  /** The `clientError` listener of the servers `handler` and `metricsHandler` listen on: a request that is not HTTP gets a coded answer. */
  clientError: HttpTransport['clientError'];
  /** GET /metrics in Prometheus format, for a listener of its own (METRICS_PORT). */
  metricsHandler: http.RequestListener;
  metrics: GatewayMetrics;
  /**
   * In-process execution with an already established caller (tests, benchmarks); the references
   * stand in for the X-Legal-Case and X-Privacy-Request headers, which only the HTTP handler
   * requires.
   */
  execute(query: string, caller: Caller, variables?: Record<string, unknown>, options?: ServedRequest): Promise<GraphQLResponse>;
  /** The webhook worker: `serve` starts it; tests run it once at a time. Stopped by `stop()`. */
  webhooks: WebhookWorker;
  /**
   * Stopping begins: /readyz answers 503 and every answer closes its connection; requests keep
   * being served until the HTTP server is closed. Then `stop()`.
   */
  drain(): void;
  /**
   * Stops what the start started, newest first: the webhook worker, the attachment sweep and the
   * idempotency purge, Apollo, the gateway's own audit log (writing the events still waiting) and
   * the rate limiter's Redis connection. The data source and the HTTP server are the caller's.
   */
  stop(): Promise<void>;
}

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  // What the start has started, each with what stops it: stopped newest first by `stop()`, or at
  // once when a later step of the start fails (a bad setting, the console not built), so that
  // neither leaves a connection, an interval or a server behind in the process.
  const started: Array<() => unknown> = [];
  const stopStarted = async () => {
    let failure: { error: unknown } | undefined;
    for (const stop of started.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  };
  try {
    return await startGateway(deps, started, stopStarted);
  } catch (error) {
    await stopStarted().catch(() => undefined);
    throw error;
  }
}

async function startGateway(deps: GatewayDeps, started: Array<() => unknown>, stop: () => Promise<void>): Promise<Gateway> {
  // Apollo negotiates the Accept header on every execute; its answers kept per value.
  rememberMediaTypeChoices();
  const schema = await buildGatewaySchema();
  const problems = checkPolicy(schema);
  if (problems.length > 0) throw new Error(`the disclosure policy does not cover the schema:\n  ${problems.join('\n  ')}`);
  const unhandled = checkPrivacyRegistry(ENTITIES, PRIVACY_HANDLERS, NOT_PERSONAL);
  if (unhandled.length > 0) throw new Error(`the privacy-handler registry does not cover the data:\n  ${unhandled.join('\n  ')}`);
  const policy = new PolicyEngine(schema);
  const protections = deps.protections ?? true;
  if (!protections && process.env.NODE_ENV === 'production') {
    throw new Error('protections can be switched off for benchmarks only, never with NODE_ENV=production');
  }
  if (!deps.rights && process.env.NODE_ENV === 'production') throw new Error('createGateway: production needs its own data-subject rights settings (rights), not the development ones');
  const rights = deps.rights ?? new PrivacyRights({ secret: DEV_PRIVACY_SECRET, calendar: { timeZone: 'UTC', holidays: [] }, publicUrl: 'http://127.0.0.1:4000' });
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const armor = armorProtections(limits);
  const rateLimiter = createRateLimiter(deps.rateLimits ?? DEFAULT_RATE_LIMITS, limits.maxTokens, deps.logger);
  started.push(() => rateLimiter.close());
  await rateLimiter.ready;
  const metrics = deps.metrics ?? new GatewayMetrics({ processMetrics: false, isKnownCoordinate: isClassifiedCoordinate });
  metrics.watchPool(deps.dataSource);
  metrics.watchOutbox(() => outboxBacklog(deps.dataSource));
  const ownAuditLog = protections && !deps.auditLog
    ? new AuditLog(deps.dataSource, { logger: deps.logger, onBatch: (b) => metrics.auditBatch(b.events, b.ms, b.locked) })
    : undefined;
  if (ownAuditLog) started.push(() => ownAuditLog.close());
  const auditLog = protections ? (deps.auditLog ?? ownAuditLog) : undefined;
  const contracts = buildContracts(schema, policy);
  // One cache of registered documents for both executors (integration/persisted-queries.ts).
  const persistedQueries = createPersistedQueries();
  const apollo: SharedApolloOptions = {
    persistedQueries: { cache: persistedQueries.cache },
    introspection: deps.development,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    hideSchemaDetailsFromClientErrors: !deps.development,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...armor.validationRules, maxRootFieldsRule(limits.maxRootFields)],
    validationOptions: { maxErrors: MAX_VALIDATION_ERRORS },
    // Cache control off: no response here may be cached, and its per-field hook wraps every
    // resolver (about a fifth of a large list's CPU; see docs/performance.md).
    // The request plugins as one (platform/plugin-composition.ts): Apollo then invokes each hook
    // once, not once per plugin; their order and Apollo's semantics are kept.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      composePlugins<RequestContext>([
        refuseSubscriptions,
        textValuesPlugin<RequestContext>(),
        ...(armor.plugins as ApolloServerPlugin<RequestContext>[]),
        costLimitPlugin(limits.maxCost),
        rateLimiter.plugin,
        createContractPlugin({ schema, engine: policy, maxValidationErrors: MAX_VALIDATION_ERRORS, contracts }),
        // Kept responses are sealed, and requests fingerprinted, under the privacy secret, as mail bodies are (other derived keys).
        createIdempotencyPlugin(rights.boxFor(RESPONSE_BOX_USE), rights.macFor(FINGERPRINT_MAC_USE)),
        responseStatus,
        // Apollo negotiates the content type per request; chosen here once per Accept value.
        responseContentType<RequestContext>(),
        ...(auditLog ? [createAuditPlugin({ auditLog, dataSource: deps.dataSource, metrics })] : []),
      ]),
    ],
    formatError: (formatted: GraphQLFormattedError, error: unknown) =>
      maskError(formatted, error, (e) => deps.logger.error({ err: e }, 'unexpected error while resolving')),
  };
  const routing = await Routing.start({
    schema,
    apollo,
    protections,
    plans: (deps.compiledReads ?? true) ? new ReadPlans(schema, deps.dataSource, { templates: deps.readPlanTemplates }) : undefined,
    audited: auditLog !== undefined,
    maxTokens: limits.maxTokens,
    persistedQueries,
  });
  started.push(() => routing.stop());

  // Idempotent responses are kept 24 hours; expired ones are deleted every 10 minutes.
  const purgeTimer = setInterval(() => {
    purgeExpired(deps.dataSource).then(
      (deleted) => metrics.job('idempotency_purge', 'ok', deleted),
      (error: unknown) => {
        metrics.job('idempotency_purge', 'failed');
        deps.logger.warn({ err: error }, 'expired idempotency records could not be deleted');
      },
    );
  }, PURGE_EVERY_MS);
  purgeTimer.unref();
  started.push(() => clearInterval(purgeTimer));

  const admission: Admission = {
    authenticate: deps.authenticate,
    logger: deps.logger,
    budgets: rateLimiter.admission,
    clientAddress: clientAddressOf(deps.trustedProxies ?? []),
    metrics,
  };
  const attachmentLinks = new AttachmentLinks(deps.secrets.cursorSecret, deps.attachmentLinkTtlSeconds ?? DEFAULT_LINK_TTL_SECONDS, deps.secrets.previousCursorSecrets);
  const attachments = deps.attachments
    ? createAttachmentEndpoints({
        dataSource: deps.dataSource,
        logger: deps.logger,
        policy,
        admit: (req, res, requestId) => admitCaller(admission, req, res, requestId),
        budgets: rateLimiter.admission,
        resolvePrincipal: deps.attachments.resolvePrincipal,
        auditLog,
        metrics,
        store: deps.attachments.store,
        links: attachmentLinks,
        limits: deps.attachments.limits,
        stagingDir: deps.attachments.stagingDir,
      })
    : undefined;
  // Uploads never attached and blobs no row names are removed hourly, by one replica at a time.
  const sweepEveryMs = deps.attachments?.sweepEveryMs ?? SWEEP_EVERY_MS;
  const sweepTimer = deps.attachments && sweepEveryMs > 0
    ? setInterval(() => {
        sweepAttachmentBlobs(deps.dataSource, deps.attachments!.store, { logger: deps.logger, auditLog }).catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'the attachment sweep failed; it runs again later'),
        );
      }, sweepEveryMs)
    : undefined;
  sweepTimer?.unref();
  if (sweepTimer) started.push(() => clearInterval(sweepTimer));
  const consoleAssets = deps.console ? await ConsoleAssets.load(deps.console) : undefined;

  const production = process.env.NODE_ENV === 'production';
  if (!deps.webhooks && production) throw new Error('createGateway: production needs its own webhook settings (webhooks.secretKey)');
  const webhookSecrets = new SigningSecretBox(deps.webhooks?.secretKey ?? DEV_WEBHOOK_SECRET_KEY, deps.webhooks?.previousSecretKeys);
  const allowLocalEndpoints = (deps.webhooks?.allowLocalEndpoints ?? true) && !production;
  const contexts: ContextDeps = {
    policy,
    dataSource: deps.dataSource,
    logger: deps.logger,
    secrets: { behaviorPseudonymKey: deps.secrets.behaviorPseudonymKey, behaviorPseudonymRotation: deps.secrets.behaviorPseudonymRotation },
    cursorKey: new CursorKey(deps.secrets.cursorSecret, deps.secrets.previousCursorSecrets),
    aggregates: new BehaviorAggregates(deps.analytics),
    attachmentLinks,
    budgetsFor: (principal) => rateLimiter.budgetsFor(principal),
    blobs: deps.attachments?.store,
    rights,
    retention: deps.retention ?? RETENTION_DEFAULTS,
    webhooks: { secrets: webhookSecrets, allowLocalEndpoints },
  };
  const transport = createHttpTransport({
    schema,
    admission,
    logger: deps.logger,
    dataSource: deps.dataSource,
    contexts,
    routing,
    auditLog,
    corsOrigins: deps.corsOrigins ?? [],
    attachments,
    metrics,
    metricsOnPublicListener: deps.metricsOnPublicListener ?? false,
    console: consoleAssets,
    exportDownloads: {
      path: EXPORT_DOWNLOAD_PATH,
      download: (token, requestId, asPage) => downloadExport({ dataSource: deps.dataSource, rights, auditLog, logger: deps.logger }, token, requestId, asPage),
    },
    contracts: new PublishedContracts(contracts),
    trustedDocuments: new TrustedDocumentGate(deps.dataSource, {
      ...(deps.trustedDocuments ?? TRUSTED_DOCUMENTS_OFF),
      audiences: deps.trustedDocuments?.audiences ?? CONTRACT_AUDIENCES,
    }),
  });

  /** In-process execution as `caller`: the HTTP path's policy view, context, routing and audit. */
  const runAs = async (
    query: string,
    caller: Caller,
    variables: Record<string, unknown> | undefined,
    options: ServedRequest | undefined,
    requestId: string,
    notification?: { detail: Record<string, unknown> },
  ) => {
    const view = policy.viewFor(caller);
    const given: Record<string, string | undefined> = {
      [REFERENCE_HEADERS.legal_case.toLowerCase()]: options?.legalCaseReference,
      [REFERENCE_HEADERS.privacy_request.toLowerCase()]: options?.privacyRequestReference,
    };
    const served = servedRequestOf(caller, view.serves && { ...view.serves, required: false }, (name) => given[name]);
    if (served instanceof GraphQLError) throw served;
    const ctx = createRequestContext(contexts, caller, view, requestId, served);
    const unreachable = await unreachablePrivacyRequest(ctx);
    if (unreachable) throw unreachable;
    if (notification) {
      ctx.auditNote.detail = notification.detail;
      ctx.gatewayInitiated = true;
    }
    return routing.runInProcess(ctx, query, variables);
  };
  // A notification is read as its partner through the same path, and audited like a response.
  const webhooks = new WebhookWorker({
    ...deps.webhooks?.worker,
    dataSource: deps.dataSource,
    contracts,
    secrets: webhookSecrets,
    logger: deps.logger,
    allowLocalEndpoints,
    metrics,
    async disclose(caller, document, variables, audit) {
      const response = await runAs(document, caller, variables, undefined, audit.requestId, { detail: audit.detail });
      if (response.body.kind !== 'single') throw new Error('a notification read answered incrementally');
      // A response the audit log could not record is withheld (HTTP 500): nothing may be sent.
      if ((response.http.status ?? 200) >= 500) return { errors: [{ extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
      return response.body.singleResult;
    },
  });
  started.push(() => webhooks.stop());

  return {
    handler: transport.handler,
    clientError: transport.clientError,
    drain: transport.drain,
    metricsHandler: transport.metricsHandler,
    metrics,
    webhooks,
    execute: (query, caller, variables, options) => runAs(query, caller, variables, options, randomUUID()),
    stop,
  };
}
