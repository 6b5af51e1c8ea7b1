/**
 * Automatic persisted queries (Apollo's protocol: a request names its document by
 * `extensions.persistedQuery.sha256Hash`; the first time, with the text, which registers it).
 *
 * The gateway serves each request with one of two Apollo instances (execution/routing.ts: with or
 * without the field rules), chosen from the document's text. A hash-only request carries no
 * text, so both instances keep their documents in ONE cache, and the text a hash names is looked
 * up before the instance is chosen: a registered document hits whichever instance registered it
 * and whichever serves it. Apollo registers a document only once it is valid for its caller.
 *
 * A document is registered for the principal that sent its text, and found by that principal's
 * hashes only: a hash another principal registered answers PERSISTED_QUERY_NOT_FOUND, as one
 * nobody registered does, so nobody learns from a hash whether someone else sent that text (a
 * text can name a record: `shipment(id: "…")`). Apollo's cache interface carries no request, so
 * each request's look-ups run `within` its principal (routing.ts), and the cache prefixes every
 * key with it; a look-up outside a request finds nothing and keeps nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { principalKey, type Principal } from '../policy/principal';

/** The prefix Apollo Server puts before the hash of a document it keeps (requestPipeline's APQ_CACHE_PREFIX). */
const APQ_PREFIX = 'apq:';

/** Roughly how many bytes of document text are kept (documents are at most 100 kB, MAX_BODY_BYTES). */
export const PERSISTED_QUERY_CACHE_BYTES = 16 * 1024 * 1024;

export interface PersistedQueries {
  /** The cache both Apollo instances are given (`persistedQueries.cache`): its keys are those of the principal `within` names. */
  cache: KeyValueCache<string>;
  /**
   * Runs `work` (Apollo serving `request`) with the cache's keys those of `principal`. Apollo
   * reads or writes the cache only for a request whose extensions name a persisted query; any
   * other runs as it is (a look-up outside `within` finds nothing and keeps nothing).
   */
  within<T>(request: { extensions?: unknown } | undefined, principal: Principal, work: () => Promise<T>): Promise<T>;
  /**
   * The document a request of `principal` stands for: its text when it carries one, else the
   * text `principal` registered under the hash it names, else undefined (Apollo then answers
   * PERSISTED_QUERY_NOT_FOUND).
   */
  documentOf(request: { query?: unknown; extensions?: unknown } | undefined, principal: Principal): Promise<string | undefined>;
}

function hashOf(extensions: unknown): string | undefined {
  const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const hash = persisted?.sha256Hash;
  return typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : undefined;
}

export function createPersistedQueries(maxBytes = PERSISTED_QUERY_CACHE_BYTES): PersistedQueries {
  const documents = new InMemoryLRUCache<string>({ maxSize: maxBytes, sizeCalculation: (text) => Math.max(1, text.length) });
  const owner = new AsyncLocalStorage<string>();
  // A principal key has no NUL, so no principal's key can spell another's.
  const keyOf = (principal: string, key: string) => `${principal}\u0000${key}`;
  const cache: KeyValueCache<string> = {
    async get(key) {
      const principal = owner.getStore();
      return principal === undefined ? undefined : documents.get(keyOf(principal, key));
    },
    async set(key, value, options) {
      const principal = owner.getStore();
      if (principal !== undefined) await documents.set(keyOf(principal, key), value, options);
    },
    async delete(key) {
      const principal = owner.getStore();
      return principal === undefined ? false : documents.delete(keyOf(principal, key));
    },
  };
  return {
    cache,
    within: (request, principal, work) =>
      (request?.extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery === undefined ? work() : owner.run(principalKey(principal), work),
    async documentOf(request, principal) {
      if (typeof request?.query === 'string') return request.query;
      const hash = hashOf(request?.extensions);
      return hash ? documents.get(keyOf(principalKey(principal), `${APQ_PREFIX}${hash}`)) : undefined;
    },
  };
}

/** GET requests carry `extensions` as JSON text in the query string. */
export function getRequestOf(params: URLSearchParams): { query?: string; documentId?: string; operationName?: string; extensions?: unknown } {
  let extensions: unknown;
  const text = params.get('extensions');
  if (text) {
    try {
      extensions = JSON.parse(text);
    } catch {
      extensions = undefined;
    }
  }
  return { query: params.get('query') ?? undefined, documentId: params.get('documentId') ?? undefined, operationName: params.get('operationName') ?? undefined, extensions };
}
