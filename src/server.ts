/**
 * createGateway(deps) -> the GraphQL service as an HTTP request handler, plus in-process
 * execution for tests. It does not listen: main.ts does, so tests and benchmarks can embed it.
 *
 * Request flow (design §4): authenticate -> purpose (+ legal case) -> row scope + loaders ->
 * execute -> mask unexpected errors -> audit (fail closed) -> respond.
 *
 * Errors that are not meant for callers are masked: as SERVICE_UNAVAILABLE with HTTP 503 and
 * Retry-After when the database cannot answer now (db-errors.ts: down, restarting, hung, out of
 * connections), whichever stage met it; as INTERNAL_SERVER_ERROR with HTTP 500 otherwise.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, parse, type GraphQLFormattedError } from 'graphql';
import type { DataSource } from 'typeorm';
import { AuditLog } from './audit/audit-log';
import { createAuditPlugin, refusedRequestEvent, withhold } from './audit/audit-plugin';
import { REFERENCE_HEADERS, servedRequestOf, type ServedRequest } from './audit/served-request';
import type { Authenticate } from './auth/authenticate';
import { isAuthenticationError, WWW_AUTHENTICATE_CHALLENGE } from './auth/authentication-error';
import type { Caller } from './policy/principal';
import { createRequestContext, type RequestContext, type RequestSecrets } from './context';
import { executorGateway } from './execution/executor';
import { ReadPlans } from './execution/read-plans';
import { createIdempotencyPlugin, purgeExpired, rememberResponse } from './idempotency/idempotency';
import { BoundedCache, documentKey } from './platform/bounded-cache';
import { CursorKey } from './platform/cursor-seal';
import { pendingMigrations } from './platform/database';
import { isDatabaseUnavailable } from './platform/db-errors';
import {
  answerServiceUnavailable,
  ErrorCode,
  PUBLIC_CODES,
  SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  serviceUnavailableError,
  UNAUTHENTICATED_MESSAGE,
} from './platform/errors';
import { INTERNAL_ERROR_MESSAGE, send, sendWithheld } from './platform/http-responses';
import type { Logger } from './platform/logger';
import type { BlobStore } from './platform/blob-store';
import { createAttachmentEndpoints, type AttachmentEndpointDeps } from './domains/after-sales/attachment-http';
import type { AttachmentLimits } from './domains/after-sales/attachment-intake';
import { AttachmentLinks } from './domains/after-sales/attachment-links';
import { sweepAttachmentBlobs } from './domains/after-sales/attachment.service';
import { createContractPlugin } from './policy/contract-plugin';
import { applyDisclosurePolicy, needsFieldRules, recordingReturnedObjects } from './policy/field-rules';
import type { PolicyView } from './policy/policy-view';
import { checkPolicy } from './policy/matrix-check';
import { ENTITIES } from './platform/entities';
import { checkPrivacyRegistry } from './privacy/handlers/registry-check';
import { NOT_PERSONAL, PRIVACY_HANDLERS } from './privacy/handlers/registry';
import { PolicyEngine } from './policy/policy-view';
import { applyCors } from './hardening/cors';
import { armorProtections, costLimitPlugin, DEFAULT_LIMITS, MAX_VALIDATION_ERRORS, maxRootFieldsRule, type OperationLimits } from './hardening/operation-limits';
import { createRateLimiter, DEFAULT_RATE_LIMITS, type RateLimitConfig } from './hardening/rate-limit';
import { buildGatewaySchema } from './schema';
import { BehaviorAggregates, type BehaviorAggregatesOptions } from './domains/analytics/behavior-aggregates';

export const MAX_BODY_BYTES = 100 * 1024;
export { INTERNAL_ERROR_MESSAGE };
/** How often expired idempotency records are deleted. */
const PURGE_EVERY_MS = 10 * 60_000;
/** How long a download link of an attachment works unless configured. */
const DEFAULT_LINK_TTL_SECONDS = 300;
/** How often attachment blobs are swept unless configured. */
const SWEEP_EVERY_MS = 60 * 60_000;
/** How long /readyz waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 2000;

/** The gateway's secrets: those resolvers need, and the one cursors are sealed with (never in a request's context). */
export interface GatewaySecrets extends RequestSecrets {
  cursorSecret: string;
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
  /** Behaviour aggregates: k, the fewest visitors a published cell counts (at least and by default 10). */
  analytics?: BehaviorAggregatesOptions;
  /** Origins browsers may call from (CORS); none by default. */
  corsOrigins?: readonly string[];
  /**
   * Compiled reads (execution/read-plans.ts): operations over the order aggregate run as one SQL
   * statement per root field. Default true; false runs everything on graphql-js (tests compare both).
   */
  compiledReads?: boolean;
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
  /**
   * The audit log writer. Default: one over `dataSource` with its default group-commit window
   * and batch size, flushed and closed by `stop()`. Unused when protections are off.
   */
  auditLog?: AuditLog;
}

export interface Gateway {
  handler: http.RequestListener;
  /**
   * In-process execution with an already established caller (tests, benchmarks); the references
   * stand in for the X-Legal-Case and X-Privacy-Request headers, which only the HTTP handler
   * requires.
   */
  execute(query: string, caller: Caller, variables?: Record<string, unknown>, options?: ServedRequest): Promise<GraphQLResponse>;
  /**
   * Stopping begins: /readyz answers 503 and every answer closes its connection; requests keep
   * being served until the HTTP server is closed. Then `stop()`.
   */
  drain(): void;
  /** Stops Apollo and the rate limiter, and writes the audit events still waiting. */
  stop(): Promise<void>;
}

/** The validation details type-graphql attaches carry the rejected values; keep only where and why. */
function publicDetails(extensions: Record<string, unknown> | undefined): Record<string, unknown> {
  const validationErrors = extensions?.validationErrors as Array<{ property: string; constraints?: Record<string, string>; children?: unknown[] }> | undefined;
  if (!validationErrors) return {};
  const problems: Array<{ field: string; problems: string[] }> = [];
  const walk = (errors: typeof validationErrors, prefix: string) => {
    for (const e of errors) {
      const field = prefix ? `${prefix}.${e.property}` : e.property;
      if (e.constraints) problems.push({ field, problems: Object.values(e.constraints) });
      if (e.children?.length) walk(e.children as typeof validationErrors, field);
    }
  };
  walk(validationErrors, '');
  return { fields: problems };
}

/**
 * graphql-js reports an argument that coerces to null where null is not allowed (a nullable
 * variable passed to a non-null argument) during execution, without a code: the caller's
 * mistake, not ours.
 */
const ARGUMENT_COERCION = /^Argument "[^"]+" of (?:non-null|required) type "[^"]+" (?:must not be null|was provided the variable)/;

export function maskError(formatted: GraphQLFormattedError, error: unknown, log: (e: unknown) => void): GraphQLFormattedError {
  const root = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const coercion = root instanceof GraphQLError && !root.originalError && ARGUMENT_COERCION.test(root.message);
  const code = coercion ? ErrorCode.BAD_USER_INPUT : formatted.extensions?.code;
  if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
    const message = code === ErrorCode.BAD_USER_INPUT && formatted.message === 'Argument Validation Error'
      ? 'Invalid input: see extensions.fields'
      : formatted.message;
    return {
      message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: {
        code,
        ...publicDetails(formatted.extensions as Record<string, unknown>),
        ...(formatted.extensions?.retryAfterSeconds !== undefined ? { retryAfterSeconds: formatted.extensions.retryAfterSeconds } : {}),
      },
    };
  }
  log(error);
  if (isDatabaseUnavailable(root)) return serviceUnavailableError(formatted.path);
  return {
    message: INTERNAL_ERROR_MESSAGE,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/**
 * A response that carries SERVICE_UNAVAILABLE (the database could not answer a field, or the
 * request as a whole) is answered with HTTP 503 and Retry-After: the caller should retry it whole.
 * Whatever data it also carries was recorded like any other (the audit plugin runs after this).
 */
const serviceUnavailableStatus: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
        if (result.errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) answerServiceUnavailable(response.http);
      },
    };
  },
};

function readBody(req: http.IncomingMessage, limit: number): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      resolve('too-large');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve('too-large');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const fullSchema = await buildGatewaySchema();
  const problems = checkPolicy(fullSchema);
  if (problems.length > 0) throw new Error(`the disclosure policy does not cover the schema:\n  ${problems.join('\n  ')}`);
  const unhandled = checkPrivacyRegistry(ENTITIES, PRIVACY_HANDLERS, NOT_PERSONAL);
  if (unhandled.length > 0) throw new Error(`the privacy-handler registry does not cover the data:\n  ${unhandled.join('\n  ')}`);
  const policy = new PolicyEngine(fullSchema);
  const protections = deps.protections ?? true;
  if (!protections && process.env.NODE_ENV === 'production') {
    throw new Error('protections can be switched off for benchmarks only, never with NODE_ENV=production');
  }
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const armor = armorProtections(limits);
  const rateLimiter = createRateLimiter(deps.rateLimits ?? DEFAULT_RATE_LIMITS, limits.maxTokens, deps.logger);
  await rateLimiter.ready;
  const ownAuditLog = protections && !deps.auditLog ? new AuditLog(deps.dataSource, { logger: deps.logger }) : undefined;
  const auditLog = protections ? (deps.auditLog ?? ownAuditLog) : undefined;
  const apolloOptions = {
    introspection: deps.development,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    hideSchemaDetailsFromClientErrors: !deps.development,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...armor.validationRules, maxRootFieldsRule(limits.maxRootFields)],
    validationOptions: { maxErrors: MAX_VALIDATION_ERRORS },
    // Cache control off: no response here may be cached, and its per-field hook wraps every
    // resolver (about a fifth of a large list's CPU; see the README's Performance section).
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), ...armor.plugins, costLimitPlugin(limits.maxCost), rateLimiter.plugin, createContractPlugin({ schema: fullSchema, engine: policy, maxValidationErrors: MAX_VALIDATION_ERRORS }), createIdempotencyPlugin(), serviceUnavailableStatus, ...(auditLog ? [createAuditPlugin({ auditLog, dataSource: deps.dataSource })] : [])],
    formatError: (formatted: GraphQLFormattedError, error: unknown) =>
      maskError(formatted, error, (e) => deps.logger.error({ err: e }, 'unexpected error while resolving')),
  };
  // Two executors over one policy: operations that select a field the caller's view denies or
  // masks run with the shield rules on every field; all others run without them (the rules
  // would allow every field unchanged) and only record the objects they return. See
  // needsFieldRules in policy/field-rules.ts.
  // Compiled read plans serve the operations that need no field rule: the direct executor's, or
  // every operation when protections are off (benchmark only).
  const plans = (deps.compiledReads ?? true) ? new ReadPlans(fullSchema, deps.dataSource) : undefined;
  const apollo = protections
    ? new ApolloServer<RequestContext>({ ...apolloOptions, schema: applyDisclosurePolicy(fullSchema) })
    : new ApolloServer<RequestContext>({ ...apolloOptions, gateway: executorGateway(fullSchema, plans) });
  const direct = protections
    ? new ApolloServer<RequestContext>({ ...apolloOptions, gateway: executorGateway(recordingReturnedObjects(fullSchema), plans) })
    : undefined;
  await apollo.start();
  await direct?.start();

  /** Routing decisions per (policy view, document). */
  const routes = new BoundedCache<boolean>(5000);
  const executorFor = (view: PolicyView, query: unknown, operationName: unknown): ApolloServer<RequestContext> => {
    if (!direct || typeof query !== 'string') return apollo;
    const name = typeof operationName === 'string' ? operationName : undefined;
    const guarded = routes.getOrCompute(documentKey(view.key, name, query), () => {
      try {
        return needsFieldRules(fullSchema, view.decide, parse(query, { maxTokens: limits.maxTokens, noLocation: true }), name);
      } catch {
        return true;
      }
    });
    return guarded ? apollo : direct;
  };

  /**
   * Ends the request's transaction, if it began, once the response is built and before any of
   * it is sent (platform/request-transaction.ts): it commits when the audit event is in it (or
   * when there is no audit log: protections off), with the first response to an idempotency
   * key; otherwise it rolls back. Returns what made the COMMIT fail (the response must then be
   * withheld), undefined when it did not.
   */
  const endTransaction = async (ctx: RequestContext, status: number, body: () => string): Promise<unknown> => {
    const transaction = ctx.transaction;
    if (!transaction.isOpen) return undefined;
    const commit = transaction.recorded || !auditLog;
    try {
      if (commit && ctx.idempotency.claim) await rememberResponse(transaction, ctx.idempotency.claim, status, body(), ctx.disclosures.snapshot());
      await transaction.end(commit);
      return undefined;
    } catch (error) {
      ctx.logger.error({ err: error }, 'the request transaction could not commit: response withheld');
      await transaction.end(false).catch(() => undefined);
      return error;
    }
  };

  // Idempotent responses are kept 24 hours; expired ones are deleted every 10 minutes.
  const purgeTimer = setInterval(() => {
    purgeExpired(deps.dataSource).catch((error: unknown) => deps.logger.warn({ err: error }, 'expired idempotency records could not be deleted'));
  }, PURGE_EVERY_MS);
  purgeTimer.unref();

  const aggregates = new BehaviorAggregates(deps.analytics);
  const cursorKey = new CursorKey(deps.secrets.cursorSecret);
  const attachmentLinks = new AttachmentLinks(deps.secrets.cursorSecret, deps.attachmentLinkTtlSeconds ?? DEFAULT_LINK_TTL_SECONDS);
  const requestSecrets: RequestSecrets = { behaviorPseudonymKey: deps.secrets.behaviorPseudonymKey };
  const contextFor = (caller: Caller, requestId: string, served: ServedRequest): RequestContext => {
    const view = policy.viewFor(caller);
    return createRequestContext({
      cursorKey,
      requestId,
      caller,
      policy: view,
      scope: policy.scopeFor(caller, view),
      dataSource: deps.dataSource,
      logger: deps.logger.child({ requestId }),
      secrets: requestSecrets,
      served,
      budgets: rateLimiter.budgetsFor(caller.principal),
      aggregates,
      attachmentLinks,
    });
  };

  /**
   * The caller of an HTTP request, or undefined once the refusal is sent: 401 for a token
   * problem (the reason logged, never sent), 400 or 403 for a purpose the caller cannot declare.
   */
  async function admit(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<Caller | undefined> {
    try {
      return await deps.authenticate({ authorization: req.headers.authorization, 'x-purpose': req.headers['x-purpose'] });
    } catch (error) {
      if (isAuthenticationError(error)) {
        deps.logger.info({ requestId, reason: error.reason, outcome: 'unauthenticated' }, 'request refused');
        send(res, 401, { errors: [{ message: UNAUTHENTICATED_MESSAGE, extensions: { code: ErrorCode.UNAUTHENTICATED } }] }, {
          'www-authenticate': WWW_AUTHENTICATE_CHALLENGE,
        });
        return undefined;
      }
      if (error instanceof GraphQLError && typeof error.extensions.code === 'string' && PUBLIC_CODES.has(error.extensions.code)) {
        const status = error.extensions.code === ErrorCode.FORBIDDEN ? 403 : 400;
        deps.logger.info({ requestId, outcome: error.extensions.code }, 'request refused');
        send(res, status, { errors: [{ message: error.message, extensions: { code: error.extensions.code } }] });
        return undefined;
      }
      throw error;
    }
  }

  async function handleGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string) {
    const started = performance.now();
    const caller = await admit(req, res, requestId);
    if (!caller) return;
    const view = policy.viewFor(caller);
    const served = servedRequestOf(caller, view.serves, (name) => req.headers[name]);
    if (served instanceof GraphQLError) {
      // Refused before execution; the caller is known, so the refusal is audited (fail closed).
      await auditLog?.append(refusedRequestEvent(caller, requestId, ErrorCode.BAD_USER_INPUT, view.serves !== undefined));
      deps.logger.info({ requestId, outcome: ErrorCode.BAD_USER_INPUT }, 'request refused');
      send(res, 400, { errors: [{ message: served.message, extensions: { code: ErrorCode.BAD_USER_INPUT } }] });
      return;
    }
    const body = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : '';
    if (body === 'too-large') {
      send(res, 413, { errors: [{ message: `Request body over ${MAX_BODY_BYTES} bytes`, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let parsed: unknown = undefined;
    if (req.method === 'POST') {
      try {
        parsed = body === '' ? undefined : JSON.parse(body);
      } catch {
        send(res, 400, { errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
    }
    const request = (req.method === 'POST' ? parsed : Object.fromEntries(url.searchParams)) as { query?: unknown; operationName?: unknown } | undefined;
    const executor = executorFor(view, request?.query, request?.operationName);
    const ctx = contextFor(caller, requestId, served);
    let response: Awaited<ReturnType<typeof executor.executeHTTPGraphQLRequest>>;
    try {
      response = await executor.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body: parsed },
        context: async () => ctx,
      });
    } catch (error) {
      await ctx.transaction.end(false).catch(() => undefined);
      throw error;
    }
    const completeBody = response.body.kind === 'complete' ? response.body.string : '';
    const uncommitted = await endTransaction(ctx, response.status ?? 200, () => completeBody);
    if (uncommitted !== undefined) {
      sendWithheld(res, uncommitted);
      return;
    }
    for (const [key, value] of response.headers) res.setHeader(key, value);
    // Personal data is never stored by a browser or a shared cache (Apollo's cache-control plugin, which set this, is off).
    res.setHeader('cache-control', 'no-store');
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
    const operationName = typeof (parsed as { operationName?: unknown } | undefined)?.operationName === 'string'
      ? (parsed as { operationName: string }).operationName.slice(0, 100)
      : (url.searchParams.get('operationName') ?? undefined);
    deps.logger.info(
      {
        requestId,
        principal: caller.principal.kind,
        purpose: caller.purpose,
        operation: operationName,
        status: res.statusCode,
        outcome: res.statusCode < 400 ? 'ok' : 'refused',
        ms: Math.round(performance.now() - started),
      },
      'graphql request',
    );
  }

  const attachmentEndpoints = deps.attachments
    ? createAttachmentEndpoints({
        dataSource: deps.dataSource,
        logger: deps.logger,
        policy,
        admit,
        resolvePrincipal: deps.attachments.resolvePrincipal,
        auditLog,
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

  let draining = false;
  const handler: http.RequestListener = (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    // Stopping: each connection closes after its current answer, so keep-alive clients reconnect elsewhere.
    if (draining) res.setHeader('connection', 'close');
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const work = async () => {
      if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') {
        if (draining) return send(res, 503, { status: 'stopping' });
        let timer: NodeJS.Timeout | undefined;
        try {
          // A probe answers within READY_TIMEOUT_MS even when the database hangs.
          const pending = await Promise.race([
            pendingMigrations(deps.dataSource),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('no answer')), READY_TIMEOUT_MS);
            }),
          ]);
          if (pending.length > 0) return send(res, 503, { status: 'migrations pending', pending });
          return send(res, 200, { status: 'ready' });
        } catch {
          return send(res, 503, { status: 'database unreachable' });
        } finally {
          clearTimeout(timer);
        }
      }
      const attachments = attachmentEndpoints?.handles(url.pathname) === true;
      if (url.pathname === '/graphql' || attachments) {
        const cors = applyCors(req, res, deps.corsOrigins ?? []);
        if (cors === 'refused') {
          return send(res, 403, { errors: [{ message: 'Origin not allowed', extensions: { code: ErrorCode.FORBIDDEN } }] });
        }
        if (req.method === 'OPTIONS') {
          res.writeHead(204);
          return res.end();
        }
        if (attachments) return attachmentEndpoints!.handle(req, res, url, requestId);
        if (req.method !== 'GET' && req.method !== 'POST') {
          return send(res, 405, { errors: [{ message: 'Use POST (or GET for queries)', extensions: { code: 'BAD_REQUEST' } }] }, { allow: 'GET, POST' });
        }
        return handleGraphQL(req, res, url, requestId);
      }
      return send(res, 404, { errors: [{ message: 'Not found: the GraphQL endpoint is /graphql', extensions: { code: 'NOT_FOUND' } }] });
    };
    work().catch((error: unknown) => {
      deps.logger.error({ requestId, err: error }, 'request failed');
      if (res.headersSent) res.end();
      else sendWithheld(res, error);
    });
  };

  return {
    handler,
    drain() {
      draining = true;
    },
    async execute(query, caller, variables, options) {
      const view = policy.viewFor(caller);
      const given: Record<string, string | undefined> = {
        [REFERENCE_HEADERS.legal_case.toLowerCase()]: options?.legalCaseReference,
        [REFERENCE_HEADERS.privacy_request.toLowerCase()]: options?.privacyRequestReference,
      };
      const served = servedRequestOf(caller, view.serves && { ...view.serves, required: false }, (name) => given[name]);
      if (served instanceof GraphQLError) throw served;
      const ctx = contextFor(caller, randomUUID(), served);
      let response: GraphQLResponse;
      try {
        response = await executorFor(view, query, undefined).executeOperation({ query, variables }, { contextValue: ctx });
      } catch (error) {
        await ctx.transaction.end(false).catch(() => undefined);
        throw error;
      }
      const body = () => JSON.stringify(response.body.kind === 'single' ? response.body.singleResult : null);
      const uncommitted = await endTransaction(ctx, response.http.status ?? 200, body);
      if (uncommitted !== undefined) {
        const withheld: GraphQLResponse = { http: { status: 500, headers: new HeaderMap() }, body: response.body };
        withhold(withheld, uncommitted);
        return withheld;
      }
      return response;
    },
    async stop() {
      clearInterval(purgeTimer);
      if (sweepTimer) clearInterval(sweepTimer);
      await apollo.stop();
      await direct?.stop();
      await rateLimiter.close();
      await ownAuditLog?.close();
    },
  };
}
