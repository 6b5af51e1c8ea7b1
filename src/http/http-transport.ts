/**
 * The gateway over HTTP: probes, CORS, method and body checks, then admission — who is asking
 * (authenticate), for what purpose, and for which legal case or privacy request (served-request)
 * — then, for an audience under trusted documents, the registered text a documentId names (or the
 * refusal of text: integration/trusted-document-gate.ts), then the operation
 * (execution/routing.ts), then the answer and one access-log line. A GraphQL request's audit
 * event is announced to the writer when the request arrives, and its answer leaves only once the
 * event is durable (audit-log.ts, AuditHandoff; `sendAnswer`).
 *
 * The attachment endpoints (domains/after-sales/attachment-http.ts) are routed here too, after
 * CORS, and admit their callers with `admitCaller`.
 *
 * A request refused at admission is answered here and never reaches GraphQL: 401 with a
 * challenge when the caller is not established, 400/403 with a public code otherwise; a refusal
 * of a known caller is audited first (fail closed). Refusals are charged to budgets
 * (hardening/rate-limit.ts, AdmissionBudgets): a refusal before the caller is established (a bad
 * token, a purpose it cannot declare) to the client address, any other 4xx of
 * /graphql (429 apart) to the caller; once spent, the address's failed admissions are answered
 * 429 (its good tokens are served), and the caller's /graphql requests are refused once it is
 * known — 429 RATE_LIMITED with Retry-After, audited when the caller is known. Anything unexpected is answered by
 * platform/error-format.ts's rules: 503 with Retry-After when the database cannot answer now,
 * 500 otherwise.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { AuditHandoff, AuditLog, ExpectedEvent } from '../audit/audit-log';
import { refusedRequestEvent } from '../audit/audit-plugin';
import { readsOnlyUnreferenced, REFERENCE_HEADERS, servedRequestOf } from '../audit/served-request';
import { unreachablePrivacyRequest } from '../domains/privacy-requests/served-privacy-request';
import type { Authenticate } from '../auth/authenticate';
import type { AttachmentEndpoints } from '../domains/after-sales/attachment-http';
import { exportDownloadPage, wantsExportPage, type ExportDownload } from '../domains/privacy-requests/export-download';
import { isAuthenticationError, WWW_AUTHENTICATE_CHALLENGE } from '../auth/authentication-error';
import { createRequestContext, type ContextDeps, type RequestContext } from '../context';
import type { GraphQLRequestFields, Routing } from '../execution/routing';
import { applyCors } from '../hardening/cors';
import type { AdmissionBudgets, BudgetRefusal } from '../hardening/rate-limit';
import { MAX_BODY_BYTES } from '../hardening/operation-limits';
import { getRequestOf } from '../integration/persisted-queries';
import type { PublishedContracts } from '../integration/published-contracts';
import type { TrustedDocumentGate } from '../integration/trusted-document-gate';
import { pendingMigrations } from '../platform/database';
import { ErrorCode, HTTP_STATUS_OF_CODE, PUBLIC_CODES, UNAUTHENTICATED_MESSAGE } from '../platform/errors';
import { ANSWER_HEADERS, send, sendWithheld, setAnswerHeaders } from '../platform/http-responses';
import type { Logger } from '../platform/logger';
import type { Caller } from '../policy/principal';
import type { ConsoleAssets } from '../console/console-assets';
import { outboxBacklog } from '../mail/outbox';
import type { GatewayMetrics } from '../platform/metrics';
import { inSpan } from '../platform/tracing';
import type { ClientAddressOf } from './client-address';
import { charsetRefusal, duplicatedHeader, duplicatedHeaderMessage } from './request-headers';

export { MAX_BODY_BYTES };
/** Map's own set, for header names known to be in lower case (see serveGraphQL). */
const setHeader = Map.prototype.set as (this: HeaderMap, key: string, value: string) => HeaderMap;
/** The principal kind and purpose label of a request refused before its caller was established. */
const UNKNOWN_LABEL = 'none';

/** How long /readyz waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 2000;

/** Who is asking: the token, the purpose, and the budget of failed authentications by client address. */
export interface Admission {
  authenticate: Authenticate;
  logger: Logger;
  budgets: AdmissionBudgets;
  clientAddress: ClientAddressOf;
  /** Counts the 429s admission answers for an address, whose caller is never established. */
  metrics: Pick<GatewayMetrics, 'rateLimitRefused'>;
}

export interface HttpTransportDeps {
  /** The schema operations run on: a read without its reference is admitted by what it selects (served-request.ts). */
  schema: GraphQLSchema;
  admission: Admission;
  logger: Logger;
  dataSource: DataSource;
  contexts: ContextDeps;
  routing: Routing;
  /** The audit log refusals at admission are written to; none when protections are off. */
  auditLog: AuditLog | undefined;
  corsOrigins: readonly string[];
  /** The attachment upload and download endpoints (domains/after-sales/attachment-http.ts), when configured. */
  attachments?: AttachmentEndpoints;
  /**
   * <path><token>: an access request's export, downloaded once through its link
   * (domains/privacy-requests/export-download.ts): GET shows a page, POST downloads. The link is the
   * credential: no bearer token. asPage: a refusal is answered as a page (the POST came from one).
   */
  exportDownloads?: { path: string; download(token: string, requestId: string, asPage: boolean): Promise<ExportDownload> };
  /** The partner contracts served at /contracts/{audience}.graphql (integration/published-contracts.ts). */
  contracts: PublishedContracts;
  metrics: GatewayMetrics;
  /** Whether `handler` also answers GET /metrics (otherwise only `metricsHandler` does, for a listener of its own). */
  metricsOnPublicListener: boolean;
  /** The compliance console, served at /console when given. */
  console?: ConsoleAssets;
  /** Which documents a caller may run by id, and whether only those (integration/trusted-document-gate.ts). */
  trustedDocuments: TrustedDocumentGate;
}

export interface HttpTransport {
  handler: http.RequestListener;
  /** The listeners' `clientError`: a request that is not HTTP answered with a coded error (see answerClientError). */
  clientError: (error: Error & { code?: string }, socket: Duplex) => void;
  /** GET /metrics in Prometheus format, for a listener of its own (METRICS_PORT). */
  metricsHandler: http.RequestListener;
  /** Stopping begins: /readyz answers 503 and every answer closes its connection. */
  drain(): void;
}

/** JSON is UTF-8 (RFC 8259): a body that is not is refused, not read with replacement characters in place of what was sent. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether every name and value of a query string is UTF-8 once percent-decoded (URLSearchParams would put U+FFFD in place of what is not). */
function isUtf8QueryString(search: string): boolean {
  try {
    for (const part of search.slice(1).split('&')) decodeURIComponent(part.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}

/** Why a body was not read: over the limit, or not UTF-8 (a value no body text can be). */
type BodyRefusal = { refused: 'too-large' | 'not-utf8' };
const TOO_LARGE: BodyRefusal = { refused: 'too-large' };
const NOT_UTF8: BodyRefusal = { refused: 'not-utf8' };

function readBody(req: http.IncomingMessage, limit: number): Promise<string | BodyRefusal> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      resolve(TOO_LARGE);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(TOO_LARGE);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(UTF8.decode(Buffer.concat(chunks)));
      } catch {
        resolve(NOT_UTF8);
      }
    });
    req.on('error', reject);
  });
}

/** A request Node's parser refused, answered before the connection closes: status and public code. */
const CLIENT_ERRORS: Readonly<Record<string, [number, string, string]>> = {
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, ErrorCode.PAYLOAD_TOO_LARGE, 'Request chunk extensions too large'],
};

/**
 * Answers a request Node's HTTP parser refused — a control character or NUL in a header, a
 * request line that is not one, a body framed two ways — with the coded JSON error every other
 * refusal has (400 BAD_REQUEST), in place of Node's bare status line, then closes the connection.
 * Too large headers (431) and a request not received in time (408) keep Node's answers: neither
 * has a code of the gateway's. Nothing of the request is read or logged.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const node = error.code === 'HPE_HEADER_OVERFLOW' ? 'HTTP/1.1 431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'HTTP/1.1 408 Request Timeout' : undefined;
    if (node) socket.write(`${node}\r\nConnection: close\r\n\r\n`);
    else {
      const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, ErrorCode.BAD_REQUEST, 'The request is not valid HTTP/1.1'];
      const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
      const headers = { ...ANSWER_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`);
    }
  }
  socket.destroy(error);
}

/**
 * The audit writer's state for /readyz: when it last wrote a batch and last failed to. A failure
 * newer than the last success means requests are being answered without data (fail closed);
 * the database check decides readiness, since only a request can try the writer again.
 */
function auditHealth(auditLog: AuditLog | undefined) {
  const health = auditLog?.health;
  if (!health) return { enabled: false };
  return {
    enabled: true,
    lastWriteAt: health.lastSuccessAt?.toISOString() ?? null,
    lastFailureAt: health.lastFailureAt?.toISOString() ?? null,
    ...(health.lastFailure ? { lastFailure: health.lastFailure } : {}),
    failing: health.lastFailureAt !== undefined && (health.lastSuccessAt === undefined || health.lastFailureAt > health.lastSuccessAt),
  };
}

/**
 * Ready when the database answers and every migration has run. The audit writer's state and the
 * mail outbox's backlog are reported for operators but do not decide it: a request is the only
 * way to try the writer again, and the gateway answers while mail waits.
 */
async function answerReadiness(res: http.ServerResponse, dataSource: DataSource, auditLog: AuditLog | undefined, draining: boolean): Promise<void> {
  if (draining) return send(res, 503, { status: 'stopping' });
  let timer: NodeJS.Timeout | undefined;
  try {
    // A probe answers within READY_TIMEOUT_MS even when the database hangs.
    const [pending, outbox] = await Promise.race([
      Promise.all([pendingMigrations(dataSource), outboxBacklog(dataSource)]),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), READY_TIMEOUT_MS);
      }),
    ]);
    const audit = auditHealth(auditLog);
    if (pending.length > 0) return send(res, 503, { status: 'migrations pending', pending, audit });
    return send(res, 200, { status: 'ready', database: 'reachable', audit, outbox });
  } catch {
    return send(res, 503, { status: 'database unreachable', database: 'unreachable', audit: auditHealth(auditLog) });
  } finally {
    clearTimeout(timer);
  }
}

/** Answers a refusal by a spent budget: 429 RATE_LIMITED with Retry-After and the budget's RateLimit fields. */
export function sendRateLimited(res: http.ServerResponse, refusal: BudgetRefusal): void {
  send(res, 429, refusal.body, refusal.headers);
}

/** The extensions of an error a transport answer carries: its code, and a rate limit's retry hint. */
function publicExtensionsOf(error: GraphQLError): Record<string, unknown> {
  const { code, retryAfterSeconds } = error.extensions;
  return retryAfterSeconds === undefined ? { code } : { code, retryAfterSeconds };
}

/**
 * The caller of an HTTP request, or undefined once the refusal is sent: 401 with a challenge for
 * a token problem (the reason logged, never sent), 400 or 403 for a purpose the caller cannot
 * declare — each charged to the client address, and answered 429 instead once the address has
 * spent its budget of them. A good token from that address is served all the same: behind a
 * proxy not named in TRUSTED_PROXIES every client shares the proxy's address, and one client's
 * bad tokens must not lock the others out. The GraphQL endpoint and the attachment endpoints
 * admit their callers alike.
 */
export async function admitCaller(
  { authenticate, logger, budgets, clientAddress, metrics }: Admission,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  requestId: string,
  refused?: (outcome: 'unauthenticated' | 'refused') => void,
): Promise<Caller | undefined> {
  try {
    return await inSpan('auth.verify', () => authenticate({ authorization: req.headers.authorization, 'x-purpose': req.headers['x-purpose'] }));
  } catch (error) {
    const unauthenticated = isAuthenticationError(error);
    const publicCode = error instanceof GraphQLError && typeof error.extensions.code === 'string' && PUBLIC_CODES.has(error.extensions.code) ? error.extensions.code : undefined;
    if (!unauthenticated && publicCode === undefined) throw error;
    const address = clientAddress(req);
    const spent = budgets.addressSpent(address);
    if (spent) {
      refused?.('refused');
      metrics.rateLimitRefused(UNKNOWN_LABEL);
      logger.info({ requestId, outcome: ErrorCode.RATE_LIMITED }, 'request refused: too many failed admissions from its address');
      sendRateLimited(res, spent);
      return undefined;
    }
    // Charged before the answer; a budget that cannot be counted does not change it.
    await budgets.unauthenticated(address).catch(() => undefined);
    if (unauthenticated) {
      refused?.('unauthenticated');
      logger.info({ requestId, reason: error.reason, outcome: 'unauthenticated' }, 'request refused');
      send(res, 401, { errors: [{ message: UNAUTHENTICATED_MESSAGE, extensions: { code: ErrorCode.UNAUTHENTICATED } }] }, { 'www-authenticate': WWW_AUTHENTICATE_CHALLENGE });
      return undefined;
    }
    refused?.('refused');
    logger.info({ requestId, outcome: publicCode }, 'request refused');
    send(res, HTTP_STATUS_OF_CODE[publicCode!] ?? 400, { errors: [{ message: (error as GraphQLError).message, extensions: { code: publicCode } }] });
    return undefined;
  }
}

/** GET parameters with the registered text as `query` in place of `documentId`. */
function withQuery(params: URLSearchParams, query: string): string {
  const next = new URLSearchParams(params);
  next.delete('documentId');
  next.set('query', query);
  return `?${next.toString()}`;
}

export function createHttpTransport(deps: HttpTransportDeps): HttpTransport {
  const { logger, metrics } = deps;

  /**
   * Refuses a known caller's request before it runs: audited first (fail closed), then counted,
   * logged, charged and answered.
   */
  async function refuseAdmitted(res: http.ServerResponse, caller: Caller, flagged: boolean, requestId: string, seconds: number, refusal: GraphQLError, expected: ExpectedEvent | undefined, headers: Record<string, string> = {}, detail?: Record<string, unknown>) {
    const code = String(refusal.extensions.code);
    const event = refusedRequestEvent(caller, requestId, code, flagged);
    await deps.auditLog?.append(detail ? { ...event, detail } : event, expected);
    metrics.request(caller.principal.kind, caller.purpose, 'refused', seconds);
    metrics.audited(caller.principal.kind, [], [code]);
    logger.info({ requestId, outcome: code }, 'request refused');
    const status = HTTP_STATUS_OF_CODE[code] ?? 400;
    await charge(caller, status);
    send(res, status, { errors: [{ message: refusal.message, extensions: publicExtensionsOf(refusal) }] }, headers);
  }

  async function handleGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string) {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    // Its audit event is on its way from here (audit-log.ts, "Events on their way"): a batch's window
    // does not end while this request is still being admitted. Settled when the event is appended,
    // and on every other path (401, 429, a body refused, an answer without an event) by the finally.
    const expected = deps.auditLog?.expect();
    try {
      const caller = await admitCaller(deps.admission, req, res, requestId, (outcome) => metrics.request(UNKNOWN_LABEL, UNKNOWN_LABEL, outcome, seconds()));
      if (!caller) return;
      const budgets = deps.admission.budgets;
      const spent = budgets.refusalsSpent(caller.principal);
      if (spent) {
        const flagged = deps.contexts.policy.viewFor(caller).serves !== undefined;
        return await refuseAdmitted(res, caller, flagged, requestId, seconds(), spent.error, expected, spent.headers);
      }
      await serveGraphQL(req, res, url, requestId, caller, seconds, expected);
    } finally {
      expected?.settle();
    }
  }

  /**
   * Charges a refusal (any 4xx but 429, the budgets' own answer) to the caller before it is
   * answered, so that the caller's next request finds it counted; the request after the one that
   * spends the budget is refused. A budget that cannot be counted does not change the answer.
   */
  async function charge(caller: Caller, status: number): Promise<void> {
    if (status >= 400 && status < 500 && status !== 429) await deps.admission.budgets.refused(caller.principal).catch(() => undefined);
  }

  /** Runs an admitted request; the answer is sent by `sendAnswer`, which holds none of this function's state while the audit event is written. */
  async function serveGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string, caller: Caller, seconds: () => number, expected: ExpectedEvent | undefined) {
    const view = deps.contexts.policy.viewFor(caller);
    // A refusal of the request itself (its body, its encoding) is audited like any other refusal of a known caller.
    const refuseRequest = (code: ErrorCode, message: string) => refuseAdmitted(res, caller, view.serves !== undefined, requestId, seconds(), new GraphQLError(message, { extensions: { code } }), expected);
    const charset = req.method === 'POST' ? charsetRefusal(req.headers['content-type']) : undefined;
    if (charset !== undefined) return refuseRequest(ErrorCode.UNSUPPORTED_MEDIA_TYPE, charset);
    const read = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : '';
    if (read === TOO_LARGE) return refuseRequest(ErrorCode.PAYLOAD_TOO_LARGE, `Request body over ${MAX_BODY_BYTES} bytes`);
    if (read === NOT_UTF8 || (req.method !== 'POST' && !isUtf8QueryString(url.search))) {
      return refuseRequest(ErrorCode.BAD_REQUEST, read === NOT_UTF8 ? 'The request body is not valid UTF-8' : 'The query string is not valid percent-encoded UTF-8');
    }
    const body = read as string;
    const headers = new HeaderMap();
    // Node gives header names in lower case already: set as a Map does, without HeaderMap's lowering.
    const given = req.headers;
    for (const key in given) {
      const value = given[key];
      if (value !== undefined) setHeader.call(headers, key, Array.isArray(value) ? value.join(', ') : value);
    }
    let parsed: unknown = undefined;
    if (req.method === 'POST') {
      try {
        parsed = body === '' ? undefined : JSON.parse(body);
      } catch {
        return refuseRequest(ErrorCode.BAD_REQUEST, 'The request body is not valid JSON');
      }
    }
    const sent = (req.method === 'POST' ? parsed : getRequestOf(url.searchParams)) as GraphQLRequestFields | undefined;
    // A registered document named by its id stands in for the text; where only those may run, text is refused unparsed.
    const admitted = await deps.trustedDocuments.admit(caller.principal.kind, sent);
    if ('refusal' in admitted) {
      return refuseAdmitted(res, caller, view.serves !== undefined, requestId, seconds(), admitted.refusal, expected, {}, admitted.documentId ? { documentId: admitted.documentId } : undefined);
    }
    const request = admitted.fields;
    let search = url.search;
    if (admitted.trusted !== undefined) {
      if (req.method === 'POST') parsed = request;
      else search = withQuery(url.searchParams, request!.query as string);
    }
    // Without its reference, a read passes only when it reads nothing but what the row lets be read without one.
    const unreferenced = view.serves?.unreferenced !== undefined && !req.headers[REFERENCE_HEADERS[view.serves.reference].toLowerCase()];
    const document = unreferenced ? await deps.routing.documentOf(request, caller.principal) : undefined;
    const served = servedRequestOf(
      caller,
      view.serves,
      (name) => req.headers[name],
      () => document !== undefined && readsOnlyUnreferenced(deps.schema, view.serves, document, typeof request?.operationName === 'string' ? request.operationName : undefined),
    );
    if (served instanceof GraphQLError) {
      // Refused before execution; the caller is known, so the refusal is audited (fail closed).
      return refuseAdmitted(res, caller, view.serves !== undefined, requestId, seconds(), new GraphQLError(served.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } }), expected);
    }
    const handoff: AuditHandoff | undefined = expected && { expected };
    const ctx = createRequestContext(deps.contexts, caller, view, requestId, served, handoff);
    // The privacy request it names must be one the caller reads: refused alike when missing or another's (audited).
    const unreachable = await unreachablePrivacyRequest(ctx);
    if (unreachable) return refuseAdmitted(res, caller, true, requestId, seconds(), new GraphQLError(unreachable.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } }), expected);
    const response = await deps.routing.runHttp(ctx, { method: req.method ?? 'GET', headers, search, body: parsed }, request);
    const operationName = typeof request?.operationName === 'string' ? request.operationName.slice(0, 100) : undefined;
    // Returned, not awaited: this function's state (the request's context, Apollo's, the result) is let go.
    return sendAnswer(res, requestId, caller, seconds, operationName, response, handoff?.durable, ctx.outcome);
  }

  /**
   * Sends a GraphQL answer once its audit event is durable (`durable`, left by the audit plugin:
   * audit-log.ts, AuditHandoff): no byte of it leaves before, and it is withheld when the event
   * could not be written.
   */
  async function sendAnswer(
    res: http.ServerResponse,
    requestId: string,
    caller: Caller,
    seconds: () => number,
    operationName: string | undefined,
    answer: Awaited<ReturnType<Routing['runHttp']>>,
    durable: AuditHandoff['durable'],
    outcomes: RequestContext['outcome'],
  ) {
    const response = 'withheld' in answer ? answer : ((await durable) ?? answer);
    if ('withheld' in response) {
      metrics.request(caller.principal.kind, caller.purpose, 'withheld', seconds());
      sendWithheld(res, response.withheld);
      return;
    }
    for (const [key, value] of response.headers) res.setHeader(key, value);
    // Personal data is never stored by a browser or a shared cache (Apollo's cache-control plugin, which set this, is off).
    res.setHeader('cache-control', 'no-store');
    await charge(caller, response.status ?? 200);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
    // The audit log's outcome; without one (no audit log, or a request Apollo refused before its
    // plugins ran), what the status says.
    const outcome = outcomes.withheld ? 'withheld' : (outcomes.audited ?? (res.statusCode < 400 ? 'ok' : 'refused'));
    metrics.request(caller.principal.kind, caller.purpose, outcome, seconds());
    logger.info(
      {
        requestId,
        principal: caller.principal.kind,
        purpose: caller.purpose,
        operation: operationName,
        status: res.statusCode,
        outcome: res.statusCode < 400 ? 'ok' : 'refused',
        ms: Math.round(seconds() * 1000),
      },
      'graphql request',
    );
  }

  /** GET /contracts/{audience}.graphql: the contract of the caller's own audience; 404 for any other, alike. */
  async function answerContract(req: http.IncomingMessage, res: http.ServerResponse, audience: string, requestId: string) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, { errors: [{ message: 'Use GET', extensions: { code: ErrorCode.METHOD_NOT_ALLOWED } }] }, { allow: 'GET, HEAD' });
    }
    const caller = await admitCaller(deps.admission, req, res, requestId);
    if (!caller) return;
    const answer = deps.contracts.answer(audience, caller, req.headers['if-none-match']);
    logger.info({ requestId, principal: caller.principal.kind, contract: audience, status: answer.status }, 'contract request');
    if (answer.status === 404) return send(res, 404, { errors: [{ message: 'Not found', extensions: { code: ErrorCode.NOT_FOUND } }] });
    res.writeHead(answer.status, answer.headers);
    res.end(answer.status === 200 && req.method === 'GET' ? answer.body : undefined);
  }

  let draining = false;
  const handler: http.RequestListener = (req, res) => {
    const requestId = randomUUID();
    setAnswerHeaders(res);
    res.setHeader('x-request-id', requestId);
    // Stopping: each connection closes after its current answer, so keep-alive clients reconnect elsewhere.
    if (draining) res.setHeader('connection', 'close');
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const work = async () => {
      // Before anything reads a header: a single-valued one sent twice would be read as neither value.
      const duplicated = duplicatedHeader(req.rawHeaders);
      if (duplicated) {
        logger.info({ requestId, header: duplicated.name, outcome: ErrorCode.BAD_REQUEST }, 'request refused: a single-valued header sent more than once');
        return send(res, 400, { errors: [{ message: duplicatedHeaderMessage(duplicated), extensions: { code: ErrorCode.BAD_REQUEST } }] });
      }
      if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') return answerReadiness(res, deps.dataSource, deps.auditLog, draining);
      if (url.pathname === '/metrics' && deps.metricsOnPublicListener && req.method === 'GET') return serveMetrics(res);
      if (deps.console?.handles(url.pathname)) return deps.console.serve(req, res, url);
      const exports = deps.exportDownloads;
      if (exports && url.pathname.startsWith(exports.path)) {
        // GET and HEAD (a mail scanner, a link preview) answer the page; only its button's POST spends the link.
        if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
          return send(res, 405, { errors: [{ message: 'Use GET for the download page, POST to download', extensions: { code: ErrorCode.METHOD_NOT_ALLOWED } }] }, { allow: 'GET, HEAD, POST' });
        }
        const answer = req.method === 'POST' ? await exports.download(url.pathname.slice(exports.path.length), requestId, wantsExportPage(req.headers)) : exportDownloadPage();
        res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
        return res.end(req.method === 'HEAD' ? undefined : answer.body);
      }
      const audience = deps.contracts.audienceOfPath(url.pathname);
      if (audience !== undefined) return answerContract(req, res, audience, requestId);
      const attachments = deps.attachments?.handles(url.pathname) === true;
      if (url.pathname !== '/graphql' && !attachments) {
        return send(res, 404, { errors: [{ message: 'Not found: the GraphQL endpoint is /graphql', extensions: { code: 'NOT_FOUND' } }] });
      }
      if (applyCors(req, res, deps.corsOrigins) === 'refused') {
        return send(res, 403, { errors: [{ message: 'Origin not allowed', extensions: { code: ErrorCode.FORBIDDEN } }] });
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204);
        return res.end();
      }
      if (attachments) return deps.attachments!.handle(req, res, url, requestId);
      if (req.method !== 'GET' && req.method !== 'POST') {
        return send(res, 405, { errors: [{ message: 'Use POST (or GET for queries)', extensions: { code: ErrorCode.METHOD_NOT_ALLOWED } }] }, { allow: 'GET, POST' });
      }
      return handleGraphQL(req, res, url, requestId);
    };
    work().catch((error: unknown) => {
      logger.error({ requestId, err: error }, 'request failed');
      if (res.headersSent) res.end();
      else sendWithheld(res, error);
    });
  };

  async function serveMetrics(res: http.ServerResponse): Promise<void> {
    const { contentType, text } = await metrics.scrape();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(text);
  }

  const metricsHandler: http.RequestListener = (req, res) => {
    setAnswerHeaders(res);
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (url.pathname !== '/metrics' || req.method !== 'GET') return send(res, 404, { error: 'Not found: metrics are at GET /metrics' });
    serveMetrics(res).catch((error: unknown) => {
      logger.error({ err: error }, 'metrics could not be collected');
      if (!res.headersSent) send(res, 500, { error: 'metrics could not be collected' });
    });
  };

  return {
    handler,
    clientError: answerClientError,
    metricsHandler,
    drain() {
      draining = true;
    },
  };
}
