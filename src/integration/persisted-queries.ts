/**
 * Automatic persisted queries (Apollo's protocol: a request names its document by
 * `extensions.persistedQuery.sha256Hash`; the first time, with the text, which registers it).
 *
 * The gateway serves each request with one of two Apollo instances (execution/routing.ts: with or
 * without the field rules), chosen from the document's text. A hash-only request carries no
 * text, so both instances keep their documents in ONE cache, and the text a hash names is looked
 * up before the instance is chosen: a registered document hits whichever instance registered it
 * and whichever serves it. Apollo registers a document only once it is valid for its caller.
 */
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';

/** The prefix Apollo Server puts before the hash of a document it keeps (requestPipeline's APQ_CACHE_PREFIX). */
const APQ_PREFIX = 'apq:';

/** Roughly how many bytes of document text are kept (documents are at most 100 kB, MAX_BODY_BYTES). */
export const PERSISTED_QUERY_CACHE_BYTES = 16 * 1024 * 1024;

export interface PersistedQueries {
  /** The cache both Apollo instances are given (`persistedQueries.cache`). */
  cache: KeyValueCache<string>;
  /**
   * The document a request stands for: its text when it carries one, else the registered text
   * of the hash it names, else undefined (Apollo then answers PERSISTED_QUERY_NOT_FOUND).
   */
  documentOf(request: { query?: unknown; extensions?: unknown } | undefined): Promise<string | undefined>;
}

function hashOf(extensions: unknown): string | undefined {
  const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const hash = persisted?.sha256Hash;
  return typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : undefined;
}

export function createPersistedQueries(maxBytes = PERSISTED_QUERY_CACHE_BYTES): PersistedQueries {
  const cache = new InMemoryLRUCache<string>({ maxSize: maxBytes, sizeCalculation: (text) => Math.max(1, text.length) });
  return {
    cache,
    async documentOf(request) {
      if (typeof request?.query === 'string') return request.query;
      const hash = hashOf(request?.extensions);
      return hash ? cache.get(`${APQ_PREFIX}${hash}`) : undefined;
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
