import { BoundedCache } from '../../src/platform/bounded-cache';

/** The keys a cache of `limit` still holds after `steps`, asked in the order given. */
function kept(limit: number, steps: ReadonlyArray<['set' | 'get', string]>, asked: readonly string[]): string[] {
  const cache = new BoundedCache<string>(limit);
  for (const [op, key] of steps) {
    if (op === 'set') cache.set(key, key.toUpperCase());
    else cache.get(key);
  }
  return asked.filter((key) => cache.get(key) !== undefined);
}

describe('BoundedCache', () => {
  it('forgets the least recently used first, a key asked again and again counting as used last', () => {
    // a is used last (three times in a row): b is the one forgotten.
    expect(kept(2, [['set', 'a'], ['set', 'b'], ['get', 'a'], ['get', 'a'], ['get', 'a'], ['set', 'c']], ['a', 'b', 'c'])).toEqual(['a', 'c']);
  });

  it('forgets the entry set last but asked before the others once they are used after it', () => {
    // b is set last, then a and c are used after it: b goes first.
    expect(kept(3, [['set', 'a'], ['set', 'b'], ['get', 'b'], ['set', 'c'], ['get', 'a'], ['get', 'c'], ['set', 'd']], ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
  });

  it('counts the newest key as used when it is set again, and forgets nothing under its limit', () => {
    expect(kept(2, [['set', 'a'], ['set', 'a'], ['get', 'a'], ['set', 'b']], ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('answers the value set, and nothing after clear', () => {
    const cache = new BoundedCache<number>(2);
    cache.set('a', 1);
    expect(cache.get('a')).toBe(1);
    cache.set('a', 2);
    expect(cache.get('a')).toBe(2);
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set('b', 3);
    cache.set('c', 4);
    cache.get('b');
    cache.set('d', 5);
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([3, undefined, 5]);
  });
});
