/**
 * Per-document results worth keeping between requests (contract violations, which executor an
 * operation needs, how many calls it makes, its audit hash). Keys are digests of the document,
 * so a flood of large, distinct documents cannot grow memory: at most `limit` entries, the least
 * recently used forgotten first.
 */
import { hash } from 'node:crypto';

/** ES2024's `String.prototype.isWellFormed` (Node 20), not in the ES2023 lib this compiles against. */
type WellFormedCheck = string & { isWellFormed(): boolean };

/**
 * The digest of `parts`: no two lists of parts share one. Each part is written after its length
 * (an absent one as `-`, unlike an empty one), so no part can spell a boundary: a NUL or a digit
 * inside one is only text. The text is digested as UTF-8, which writes every well-formed string
 * apart; a part with a lone surrogate (UTF-8 would write it as U+FFFD, as it writes U+FFFD) is
 * digested as UTF-16 instead, after a NUL byte no UTF-8 text here starts with. Several caches key
 * every request by one, so it is Node's one-shot `hash` (a fifth of a `createHash` object's cost
 * on a short document).
 */
export function documentKey(...parts: Array<string | undefined>): string {
  let text = '';
  let wellFormed = true;
  for (const part of parts) {
    if (part === undefined) {
      text += '-';
      continue;
    }
    text += `${part.length}:${part}`;
    if (wellFormed && !(part as WellFormedCheck).isWellFormed()) wellFormed = false;
  }
  return wellFormed ? hash('sha256', text, 'base64url') : hash('sha256', Buffer.concat([Buffer.of(0), Buffer.from(text, 'utf16le')]), 'base64url');
}

/**
 * The key of an operation (its name) in a document Apollo has already digested: `queryHash` is
 * Apollo's sha256 of the text (or, for a persisted query, the hash it was registered under,
 * checked against its text then), so the text is not hashed again; without one, documentKey.
 * The name is written after its length (no name, nothing), as documentKey writes it; a digest
 * has no NUL, a key of a name and a queryHash one.
 */
export function operationKey(operationName: string | null | undefined, queryHash: string | undefined, source: string | undefined): string {
  if (queryHash === undefined) return documentKey(operationName ?? undefined, source);
  return `${operationName == null ? '' : `${operationName.length}:${operationName}`}\u0000${queryHash}`;
}

export class BoundedCache<V> {
  /** In order of use, the least recently used first: a use moves its entry to the end. */
  private readonly entries = new Map<string, V>();
  /**
   * The key used last (the end of `entries`): using it again moves nothing. Moving an entry is a
   * delete and a set, and every few of those make the map copy its table into a new one; the
   * tables of these long-lived maps were a tenth of what survived a scavenge on a point read,
   * nearly all of it the same document asked again (docs/performance.md, "the point read's
   * allocations").
   */
  private newest: string | undefined;

  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined && key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, value);
      this.newest = key;
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.newest = key;
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  getOrCompute(key: string, compute: () => V): V {
    let value = this.get(key);
    if (value === undefined) {
      value = compute();
      this.set(key, value);
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
  }
}
