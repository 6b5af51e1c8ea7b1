/**
 * Rate limits per principal, shared by every gateway replica through Redis when REDIS_URL is
 * set, in process memory otherwise. Every root field counts, aliased ones included, so one
 * request with fifteen aliases costs fifteen. By-id look-ups that miss (a scan for ids) have a
 * tighter budget of their own, and so do the page views a storefront sends (each event of a
 * batch counts, charged by the ingest before it stores anything). Over a limit the caller gets
 * RATE_LIMITED (HTTP 429) with a retry hint.
 *
 * Admission has budgets of its own (AdmissionBudgets, used by http/http-transport.ts and the
 * attachment endpoints):
 * - refusals: every /graphql request of a known caller answered 4xx (429 apart) — refused by the
 *   trusted-document gate, for a missing case or request reference, for its body, by the
 *   operation limits, by parsing or validation, by the matrix — costs one refusal. A budget of
 *   its own rather than root fields: a refusal costs an audit write however small the request,
 *   and 6000 root fields a minute would be 6000 audit writes of requests that serve nothing,
 *   while a client that works rarely meets a refusal. Once it is spent, every /graphql request
 *   of the principal is refused at admission (429, audited) until the window starts again:
 *   nothing more is read, looked up or parsed for it. Counted on the answer's status, which
 *   the caller sees anyway: a hidden field and a missing one, a row out of scope and a row that
 *   does not exist cost the same.
 * - unauthenticated: a request refused before its caller is established — its token (401), or a
 *   purpose the token cannot declare — costs one to its client address (http/client-address.ts);
 *   once spent, such requests are answered 429 instead, while a good token from the address is
 *   served (clients behind one proxy share its address). No caller is known, so these are
 *   logged, not audited, as a 401 is.
 * - uploads: POST /attachments costs one upload, refused or not, and what it stored costs its
 *   bytes, over an hour: a photo is re-encoded (CPU) and every upload is kept (disk).
 * A spent admission budget is remembered by each replica until its window starts again, so a
 * caller within its budgets costs no look-up; the charges themselves are shared through Redis.
 *
 * Redis down. While Redis cannot be reached each replica counts in its own memory (the
 * insurance limiter), at once: no command waits for a connection (no offline queue, a command
 * sent while the client is not ready goes straight to memory) and a command Redis does not
 * answer within REDIS_COMMAND_TIMEOUT_MS fails over too. ioredis reconnects by itself and the
 * shared count resumes when it is back. Connection errors go to the application log, at most one
 * line per REDIS_ERROR_LOG_INTERVAL_MS, never to stderr.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, parse, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { principalKey, type Principal } from '../policy/principal';
import type { RequestContext } from '../context';
import { BoundedCache, operationKey } from '../platform/bounded-cache';
import { fragmentsOf, rootFieldsOf } from '../platform/documents';
import { ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';

export interface RateLimitConfig {
  /** Root fields per principal per minute. */
  fieldsPerMinute: number;
  /** By-id look-ups that find nothing, per principal per minute. */
  missesPerMinute: number;
  /** Page views ingested per principal per minute (default 60,000). */
  behaviorEventsPerMinute?: number;
  /** Requests refused (4xx) per principal per minute, before every request is refused (default 60). */
  refusalsPerMinute?: number;
  /** Requests refused before their caller is established (a bad token, a purpose it cannot declare) per client address per minute (default 60). */
  unauthenticatedPerMinute?: number;
  /** Attachment uploads per principal per hour, refused ones included (default 30). */
  uploadsPerHour?: number;
  /** Bytes of attachments stored per principal per hour (default 1 GiB). */
  uploadBytesPerHour?: number;
  redisUrl?: string;
}

export const DEFAULT_RATE_LIMITS = {
  fieldsPerMinute: 6000,
  missesPerMinute: 60,
  behaviorEventsPerMinute: 60_000,
  refusalsPerMinute: 60,
  unauthenticatedPerMinute: 60,
  uploadsPerHour: 30,
  uploadBytesPerHour: 1024 * 1024 * 1024,
} satisfies Required<Omit<RateLimitConfig, 'redisUrl'>>;

/** Budgets a resolver charges for what it is about to do, for the caller of one request. */
export interface RequestBudgets {
  /** Charges `count` ingested page views; RATE_LIMITED when they go over the minute's budget. */
  behaviorEvents(count: number): Promise<void>;
}

/** Root fields that look one row up by id; a null answer is a miss. */
export const BY_ID_FIELDS: ReadonlySet<string> = new Set(['customer', 'order', 'shipment', 'paymentVerification', 'afterSalesCase', 'partner', 'consentGrant', 'webhookDelivery', 'privacyRequest', 'privacyExport']);

export function rateLimited(retryAfterSeconds: number): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GraphQLError(`Rate limit reached: retry in ${seconds} s`, {
    extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: seconds, http: { status: 429, headers: new Map([['retry-after', String(seconds)]]) } },
  });
}

/** The window every budget is counted over, in seconds (uploads apart). */
export const RATE_LIMIT_WINDOW_SECONDS = 60;
/** The window of the upload budgets, in seconds. */
export const UPLOAD_WINDOW_SECONDS = 3600;

/** Where a budget stands: its quota per window, what is left and the seconds until the window starts again. */
export interface BudgetState {
  limit: number;
  remaining: number;
  resetSeconds: number;
  windowSeconds: number;
}

function stateOf(limit: number, windowSeconds: number, res: Pick<RateLimiterRes, 'remainingPoints' | 'msBeforeNext'>): BudgetState {
  return { limit, windowSeconds, remaining: Math.max(0, res.remainingPoints), resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)) };
}

/** A budget's RateLimit header fields (the draft's, as setRateLimitHeaders tells them). */
export function rateLimitHeaders(state: BudgetState): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(state.resetSeconds),
    'ratelimit-policy': `${state.limit};w=${state.windowSeconds}`,
  };
}

/** A refusal by a spent budget: RATE_LIMITED, Retry-After and the budget's RateLimit fields. */
export interface BudgetRefusal {
  error: GraphQLError;
  /** The HTTP answer's body: the error with its code and `retryAfterSeconds`, as /graphql gives it. */
  body: { errors: Array<{ message: string; extensions: { code: string; retryAfterSeconds: number } }> };
  /** The HTTP header fields of the answer, Retry-After included. */
  headers: Record<string, string>;
}

function refusalOf(state: BudgetState): BudgetRefusal {
  const error = rateLimited(state.resetSeconds);
  const seconds = error.extensions.retryAfterSeconds as number;
  const body = { errors: [{ message: error.message, extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: seconds } }] };
  // Retry-After and RateLimit-Reset name the same moment.
  return { error, body, headers: { ...rateLimitHeaders({ ...state, remaining: 0, resetSeconds: seconds }), 'retry-after': String(seconds) } };
}

/**
 * The root-field budget as the IETF draft's RateLimit header fields
 * (draft-ietf-httpapi-ratelimit-headers-07): the quota per window, what is left of it and the
 * seconds until the window starts again; `RateLimit-Policy` names the window. Retry-After, on a
 * refusal, is the same number of seconds: the moment the budget is whole again.
 */
export function setRateLimitHeaders(headers: Map<string, string>, limit: number, budget: RateLimiterRes): void {
  for (const [name, value] of Object.entries(rateLimitHeaders(stateOf(limit, RATE_LIMIT_WINDOW_SECONDS, budget)))) headers.set(name, value);
}

/** Root fields of the operation by name, aliases and fragments followed; introspection left out. */
function rootFields(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): string[] {
  return rootFieldsOf(set, fragments).map((f) => f.name.value).filter((name) => !name.startsWith('__'));
}

/**
 * Root fields a document calls, counted from its source before validation, so that a document
 * the schema (or a partner's contract) rejects costs the same as one it accepts: the budget
 * cannot be used to tell hidden fields from missing ones.
 */
function callsIn(source: string, operationName: string | undefined, maxTokens: number): SourceCalls {
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens, noLocation: true });
  } catch {
    return { calls: 1, looksUp: false };
  }
  const fragments = fragmentsOf(document);
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations.find((o) => o.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || o.name?.value === operationName)) ?? operations[0];
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return { calls: 1, looksUp: false };
  const names = rootFields(operation.selectionSet, fragments);
  return { calls: Math.max(1, names.length), looksUp: operation.operation === 'query' && names.some((n) => BY_ID_FIELDS.has(n)) };
}

/** What a document's source tells the budgets before it is validated. */
interface SourceCalls {
  /** Root fields it calls (at least one). */
  calls: number;
  /** Whether it is a query that looks a row up by id: the misses budget is then read at once. */
  looksUp: boolean;
}

/** The budgets admission charges and consults (see the header). */
export interface AdmissionBudgets {
  /** Why a failed admission from `address` is answered 429: its failed admissions are spent. */
  addressSpent(address: string): BudgetRefusal | undefined;
  /** Charges one failed authentication (a bad token, a purpose it cannot declare) to `address`. */
  unauthenticated(address: string): Promise<void>;
  /** Why a /graphql request of `principal` is refused at admission: its refusals are spent. */
  refusalsSpent(principal: Principal): BudgetRefusal | undefined;
  /** Charges one refused request to `principal`. */
  refused(principal: Principal): Promise<void>;
  /**
   * Charges one upload of at most `declaredBytes` (Content-Length, when sent): the budget it
   * leaves, for the answer's RateLimit fields, or the refusal when the uploads or the bytes are spent.
   */
  upload(principal: Principal, declaredBytes: number | undefined): Promise<{ state: BudgetState } | { refusal: BudgetRefusal }>;
  /** Charges the bytes an upload stored: a later upload is refused once they are spent. */
  uploaded(principal: Principal, bytes: number): Promise<void>;
}

/** What the misses budget needs of an operation, per operation node (Apollo hands a document seen before back from its store). */
const byIdAliasesKept = new WeakMap<OperationDefinitionNode, readonly string[] | null>();

/**
 * For a query that looks a row up by id (through fragments too), the response keys of the
 * look-ups at its top level, whose null answers are misses; null for any other operation.
 */
function byIdAliasesOf(document: DocumentNode, operation: OperationDefinitionNode): readonly string[] | null {
  let aliases = byIdAliasesKept.get(operation);
  if (aliases === undefined) {
    const names = rootFields(operation.selectionSet, fragmentsOf(document));
    aliases =
      operation.operation === 'query' && names.some((n) => BY_ID_FIELDS.has(n))
        ? operation.selectionSet.selections
            .filter((s) => s.kind === Kind.FIELD && BY_ID_FIELDS.has(s.name.value))
            .map((s) => (s.kind === Kind.FIELD ? (s.alias ?? s.name).value : ''))
        : null;
    byIdAliasesKept.set(operation, aliases);
  }
  return aliases;
}

export interface RateLimiter {
  plugin: ApolloServerPlugin<RequestContext>;
  /** The budgets of one principal, for its request's context. */
  budgetsFor(principal: Principal): RequestBudgets;
  admission: AdmissionBudgets;
  /** Resolves once Redis is connected, or after REDIS_READY_TIMEOUT_MS (then counting in memory until it is), or when closed. */
  ready: Promise<void>;
  /** Stops waiting for Redis, forgets what was counted in memory (clearing its timers) and disconnects from Redis. */
  close(): Promise<void>;
}

/** A Redis command unanswered this long counts in memory instead. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** At most one log line per this interval about Redis being unreachable. */
export const REDIS_ERROR_LOG_INTERVAL_MS = 10_000;

/** How long the gateway waits at start for Redis before it counts in memory. */
export const REDIS_READY_TIMEOUT_MS = 2000;

/**
 * A client of `url`; `ready` resolves once it is connected or after REDIS_READY_TIMEOUT_MS, and
 * `stopWaiting` resolves it at once and clears its timer (a limiter closed before Redis answered).
 */
function connectRedis(url: string, logger: Logger | undefined): { redis: Redis; ready: Promise<void>; stopWaiting: () => void } {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // Reconnect after 50 ms, 100 ms, ... at most every second.
    retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
  });
  let lastLogged = -Infinity;
  let unreachable = false;
  redis.on('error', (error: Error & { code?: string }) => {
    unreachable = true;
    if (performance.now() - lastLogged < REDIS_ERROR_LOG_INTERVAL_MS) return;
    lastLogged = performance.now();
    logger?.warn({ code: error.code, error: error.message }, 'Redis unreachable: rate limits count in this process only until it is back');
  });
  redis.on('ready', () => {
    if (!unreachable) return;
    unreachable = false;
    lastLogged = -Infinity;
    logger?.info('Redis reachable again: rate limits are shared again');
  });
  let stopWaiting!: () => void;
  const ready = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REDIS_READY_TIMEOUT_MS);
    timer.unref();
    stopWaiting = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', stopWaiting);
  });
  return { redis, ready, stopWaiting };
}

/** How many spent budgets each replica remembers; one forgotten is learned again at its next charge. */
const SPENT_MEMORY = 10_000;

/**
 * A budget charged one point per event, whose being spent this replica remembers until its
 * window starts again: asking costs no look-up (nor a Redis round trip).
 */
function spendable(limiter: RateLimiterAbstract, limit: number) {
  const spentUntil = new BoundedCache<number>(SPENT_MEMORY);
  return {
    spent(key: string): BudgetRefusal | undefined {
      const until = spentUntil.get(key);
      const ms = until === undefined ? 0 : until - Date.now();
      if (ms <= 0) return undefined;
      return refusalOf({ limit, remaining: 0, resetSeconds: Math.ceil(ms / 1000), windowSeconds: RATE_LIMIT_WINDOW_SECONDS });
    },
    async charge(key: string): Promise<void> {
      let res: RateLimiterRes;
      try {
        res = await limiter.consume(key, 1);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        res = rejection;
      }
      if (res.remainingPoints <= 0) spentUntil.set(key, Date.now() + res.msBeforeNext);
    },
  };
}

export function createRateLimiter(config: RateLimitConfig, maxTokens = 1000, logger?: Logger): RateLimiter {
  // Counting calls parses the document; a document seen before is not parsed again.
  const callCounts = new BoundedCache<SourceCalls>(5000);
  const connection = config.redisUrl ? connectRedis(config.redisUrl, logger) : undefined;
  const redis = connection?.redis;
  /**
   * The limiters that count in memory. Each key they count holds a timer until its window ends
   * (an hour for uploads); unref'd, it holds no process up, but it holds everything reachable
   * from where it was set: close() clears them.
   */
  const inMemory: RateLimiterMemory[] = [];
  const memory = (keyPrefix: string, points: number, duration: number): RateLimiterMemory => {
    const limiter = new RateLimiterMemory({ keyPrefix, points, duration });
    inMemory.push(limiter);
    return limiter;
  };
  // Should Redis be unreachable, each replica falls back to counting in its own memory.
  const make = (keyPrefix: string, points: number, duration = RATE_LIMIT_WINDOW_SECONDS): RateLimiterAbstract =>
    redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `ntk:${keyPrefix}`,
          points,
          duration,
          useRedisPackage: false,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory(keyPrefix, points, duration),
        })
      : memory(keyPrefix, points, duration);
  const fields = make('fields', config.fieldsPerMinute);
  const misses = make('misses', config.missesPerMinute);
  const behaviorEvents = make('behavior-events', config.behaviorEventsPerMinute ?? DEFAULT_RATE_LIMITS.behaviorEventsPerMinute);
  const refusals = spendable(make('refusals', config.refusalsPerMinute ?? DEFAULT_RATE_LIMITS.refusalsPerMinute), config.refusalsPerMinute ?? DEFAULT_RATE_LIMITS.refusalsPerMinute);
  const unauthenticated = spendable(
    make('unauthenticated', config.unauthenticatedPerMinute ?? DEFAULT_RATE_LIMITS.unauthenticatedPerMinute),
    config.unauthenticatedPerMinute ?? DEFAULT_RATE_LIMITS.unauthenticatedPerMinute,
  );
  const uploadLimit = config.uploadsPerHour ?? DEFAULT_RATE_LIMITS.uploadsPerHour;
  const uploadBytesLimit = config.uploadBytesPerHour ?? DEFAULT_RATE_LIMITS.uploadBytesPerHour;
  const uploads = make('uploads', uploadLimit, UPLOAD_WINDOW_SECONDS);
  const uploadBytes = make('upload-bytes', uploadBytesLimit, UPLOAD_WINDOW_SECONDS);

  /** Charges `points`; returns the budget left, or throws RATE_LIMITED carrying it. */
  async function take(limiter: RateLimiterAbstract, key: string, points: number): Promise<RateLimiterRes | undefined> {
    if (points <= 0) return undefined;
    try {
      return await limiter.consume(key, points);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw Object.assign(rateLimited(rejection.msBeforeNext / 1000), { budget: rejection });
      throw rejection;
    }
  }

  const plugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      let byIdAliases: readonly string[] = [];
      // Charged as soon as the source is known; a refusal is reported once the operation is
      // resolved (an invalid document is refused anyway, with its validation error).
      let overLimit: GraphQLError | undefined;
      /** The fields budget after this request was charged, told in the RateLimit headers. */
      let budget: RateLimiterRes | undefined;
      /**
       * The misses budget, read while the fields are charged when the source looks a row up by
       * id: with Redis, one round trip's wait instead of two in a row. Still read for every
       * look-up and awaited before anything runs (didResolveOperation).
       */
      let missesRead: Promise<RateLimiterRes | null> | undefined;
      return {
        async didResolveSource({ source, queryHash, request, contextValue }) {
          if (contextValue.gatewayInitiated) return;
          try {
            const name = request.operationName ?? undefined;
            const { calls, looksUp } = callCounts.getOrCompute(operationKey(name, queryHash, source), () => callsIn(source, name, maxTokens));
            const key = principalKey(contextValue.caller.principal);
            if (looksUp) {
              missesRead = misses.get(key);
              // Awaited once the operation is resolved, if it is; never left unhandled.
              missesRead.catch(() => undefined);
            }
            budget = await take(fields, key, calls);
          } catch (error) {
            if (error instanceof GraphQLError) {
              overLimit = error;
              budget = (error as GraphQLError & { budget?: RateLimiterRes }).budget;
            } else throw error;
          }
        },
        async didResolveOperation({ document, operation, contextValue }) {
          if (overLimit) throw overLimit;
          if (!operation || contextValue.gatewayInitiated) return;
          const aliases = byIdAliasesOf(document, operation);
          if (aliases) {
            const state = await (missesRead ?? misses.get(principalKey(contextValue.caller.principal)));
            if (state && state.remainingPoints <= 0) throw rateLimited(state.msBeforeNext / 1000);
            byIdAliases = aliases;
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (budget) setRateLimitHeaders(response.http.headers, config.fieldsPerMinute, budget);
          if (byIdAliases.length === 0 || response.body.kind !== 'single') return;
          const data = response.body.singleResult.data as Record<string, unknown> | null | undefined;
          // A look-up that failed (the database was unreachable, say) found nothing out: not a miss.
          const failed = new Set((response.body.singleResult.errors ?? []).map((e) => e.path?.[0]));
          const missed = byIdAliases.filter((alias) => data && data[alias] === null && !failed.has(alias)).length;
          if (missed > 0) {
            // Counted after the answer: the next look-up is refused once the budget is spent.
            await misses.penalty(principalKey(contextValue.caller.principal), missed).catch(() => undefined);
          }
        },
      };
    },
  };

  const admission: AdmissionBudgets = {
    addressSpent: (address) => unauthenticated.spent(`address:${address}`),
    unauthenticated: (address) => unauthenticated.charge(`address:${address}`),
    refusalsSpent: (principal) => refusals.spent(principalKey(principal)),
    refused: (principal) => refusals.charge(principalKey(principal)),
    async upload(principal, declaredBytes) {
      const key = principalKey(principal);
      const bytes = await uploadBytes.get(key);
      const left = bytes ? bytes.remainingPoints : uploadBytesLimit;
      // Bytes are charged once stored; an upload that cannot fit in what is left is refused
      // unread. One larger than the whole budget is left to its kind's limit (413).
      const fits = declaredBytes === undefined || declaredBytes > uploadBytesLimit || declaredBytes <= left;
      if (bytes && (left <= 0 || !fits)) return { refusal: refusalOf(stateOf(uploadBytesLimit, UPLOAD_WINDOW_SECONDS, bytes)) };
      try {
        return { state: stateOf(uploadLimit, UPLOAD_WINDOW_SECONDS, await uploads.consume(key, 1)) };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return { refusal: refusalOf(stateOf(uploadLimit, UPLOAD_WINDOW_SECONDS, rejection)) };
        throw rejection;
      }
    },
    async uploaded(principal, bytes) {
      if (bytes > 0) await uploadBytes.penalty(principalKey(principal), bytes);
    },
  };

  return {
    plugin,
    admission,
    budgetsFor(principal) {
      const key = principalKey(principal);
      return {
        behaviorEvents: async (count) => {
          await take(behaviorEvents, key, count);
        },
      };
    },
    ready: connection?.ready ?? Promise.resolve(),
    async close() {
      connection?.stopWaiting();
      for (const limiter of inMemory) for (const { key } of limiter.dump().storage) await limiter.delete(key);
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
