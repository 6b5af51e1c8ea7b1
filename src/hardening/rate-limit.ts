/**
 * Rate limits per principal, shared by every gateway replica through Redis when REDIS_URL is
 * set, in process memory otherwise. Every root field counts, aliased ones included, so one
 * request with fifteen aliases costs fifteen. By-id look-ups that miss (a scan for ids) have a
 * tighter budget of their own, and so do the page views a storefront sends (each event of a
 * batch counts, charged by the ingest before it stores anything). Over a limit the caller gets
 * RATE_LIMITED (HTTP 429) with a retry hint.
 *
 * Redis down. While Redis cannot be reached each replica counts in its own memory (the
 * insurance limiter), at once: no command waits for a connection (no offline queue, a command
 * sent while the client is not ready goes straight to memory) and a command Redis does not
 * answer within REDIS_COMMAND_TIMEOUT_MS fails over too. ioredis reconnects by itself and the
 * shared count resumes when it is back. Connection errors go to the application log, at most one
 * line per REDIS_ERROR_LOG_INTERVAL_MS, never to stderr.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { principalKey, type Principal } from '../policy/principal';
import type { RequestContext } from '../context';
import { BoundedCache, documentKey } from '../platform/bounded-cache';
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
  redisUrl?: string;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { fieldsPerMinute: 6000, missesPerMinute: 60, behaviorEventsPerMinute: 60_000 };

/** Budgets a resolver charges for what it is about to do, for the caller of one request. */
export interface RequestBudgets {
  /** Charges `count` ingested page views; RATE_LIMITED when they go over the minute's budget. */
  behaviorEvents(count: number): Promise<void>;
}

/** Root fields that look one row up by id; a null answer is a miss. */
export const BY_ID_FIELDS: ReadonlySet<string> = new Set(['customer', 'order', 'shipment', 'paymentVerification', 'afterSalesCase', 'partner', 'consentGrant', 'webhookDelivery']);

export function rateLimited(retryAfterSeconds: number): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GraphQLError(`Rate limit reached: retry in ${seconds} s`, {
    extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: seconds, http: { status: 429, headers: new Map([['retry-after', String(seconds)]]) } },
  });
}

/** The window every budget is counted over, in seconds. */
export const RATE_LIMIT_WINDOW_SECONDS = 60;

/**
 * The root-field budget as the IETF draft's RateLimit header fields
 * (draft-ietf-httpapi-ratelimit-headers-07): the quota per window, what is left of it and the
 * seconds until the window starts again; `RateLimit-Policy` names the window. Retry-After, on a
 * refusal, is the same number of seconds: the moment the budget is whole again.
 */
export function setRateLimitHeaders(headers: Map<string, string>, limit: number, budget: RateLimiterRes): void {
  headers.set('ratelimit-limit', String(limit));
  headers.set('ratelimit-remaining', String(Math.max(0, budget.remainingPoints)));
  headers.set('ratelimit-reset', String(Math.max(0, Math.ceil(budget.msBeforeNext / 1000))));
  headers.set('ratelimit-policy', `${limit};w=${RATE_LIMIT_WINDOW_SECONDS}`);
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
function callsIn(source: string, operationName: string | undefined, maxTokens: number): number {
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens, noLocation: true });
  } catch {
    return 1;
  }
  const fragments = fragmentsOf(document);
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations.find((o) => o.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || o.name?.value === operationName)) ?? operations[0];
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return 1;
  return Math.max(1, rootFields(operation.selectionSet, fragments).length);
}

export interface RateLimiter {
  plugin: ApolloServerPlugin<RequestContext>;
  /** The budgets of one principal, for its request's context. */
  budgetsFor(principal: Principal): RequestBudgets;
  /** Resolves once Redis is connected, or after REDIS_READY_TIMEOUT_MS (then counting in memory until it is). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** A Redis command unanswered this long counts in memory instead. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** At most one log line per this interval about Redis being unreachable. */
export const REDIS_ERROR_LOG_INTERVAL_MS = 10_000;

/** How long the gateway waits at start for Redis before it counts in memory. */
export const REDIS_READY_TIMEOUT_MS = 2000;

function connectRedis(url: string, logger: Logger | undefined): { redis: Redis; ready: Promise<void> } {
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
  const ready = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REDIS_READY_TIMEOUT_MS);
    timer.unref();
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { redis, ready };
}

export function createRateLimiter(config: RateLimitConfig, maxTokens = 1000, logger?: Logger): RateLimiter {
  // Counting calls parses the document; a document seen before is not parsed again.
  const callCounts = new BoundedCache<number>(5000);
  const connection = config.redisUrl ? connectRedis(config.redisUrl, logger) : undefined;
  const redis = connection?.redis;
  // Should Redis be unreachable, each replica falls back to counting in its own memory.
  const make = (keyPrefix: string, points: number): RateLimiterAbstract =>
    redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `ntk:${keyPrefix}`,
          points,
          duration: RATE_LIMIT_WINDOW_SECONDS,
          useRedisPackage: false,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: RATE_LIMIT_WINDOW_SECONDS }),
        })
      : new RateLimiterMemory({ keyPrefix, points, duration: RATE_LIMIT_WINDOW_SECONDS });
  const fields = make('fields', config.fieldsPerMinute);
  const misses = make('misses', config.missesPerMinute);
  const behaviorEvents = make('behavior-events', config.behaviorEventsPerMinute ?? DEFAULT_RATE_LIMITS.behaviorEventsPerMinute!);

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
      let byIdAliases: string[] = [];
      // Charged as soon as the source is known; a refusal is reported once the operation is
      // resolved (an invalid document is refused anyway, with its validation error).
      let overLimit: GraphQLError | undefined;
      /** The fields budget after this request was charged, told in the RateLimit headers. */
      let budget: RateLimiterRes | undefined;
      return {
        async didResolveSource({ source, request, contextValue }) {
          if (contextValue.gatewayInitiated) return;
          try {
            const name = request.operationName ?? undefined;
            const calls = callCounts.getOrCompute(documentKey(name, source), () => callsIn(source, name, maxTokens));
            budget = await take(fields, principalKey(contextValue.caller.principal), calls);
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
          const fragments = fragmentsOf(document);
          const key = principalKey(contextValue.caller.principal);
          const names = rootFields(operation.selectionSet, fragments);
          if (operation.operation === 'query' && names.some((n) => BY_ID_FIELDS.has(n))) {
            const state = await misses.get(key);
            if (state && state.remainingPoints <= 0) throw rateLimited(state.msBeforeNext / 1000);
            byIdAliases = operation.selectionSet.selections
              .filter((s) => s.kind === Kind.FIELD && BY_ID_FIELDS.has(s.name.value))
              .map((s) => (s.kind === Kind.FIELD ? (s.alias ?? s.name).value : ''));
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

  return {
    plugin,
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
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
