/**
 * The keys of per-document caches (platform/bounded-cache.ts): two different lists of parts
 * never share a key, whatever the parts hold (NUL, digits, separators, lone surrogates), and an
 * absent part is not an empty one.
 */
import { documentKey, operationKey } from '../../src/platform/bounded-cache';

/** Every string of up to `length` characters of `alphabet`. */
function stringsOf(alphabet: readonly string[], length: number): string[] {
  let level = [''];
  const all = [''];
  for (let i = 0; i < length; i++) {
    level = level.flatMap((s) => alphabet.map((c) => s + c));
    all.push(...level);
  }
  return all;
}

/** Characters that could spell a boundary in some encoding of the parts. */
const TRICKY = ['\u0000', '1', ':', '-', 'a', '\uD800', '\uFFFD'];

describe('documentKey', () => {
  it('gives every distinct (operation name, source) pair its own key, an absent name included', () => {
    const strings = stringsOf(TRICKY, 2);
    const keys = new Map<string, string>();
    for (const name of [undefined, ...strings]) {
      for (const source of strings) {
        const key = documentKey(name, source);
        const pair = JSON.stringify([name ?? null, source]);
        expect({ pair, sharesKeyWith: keys.get(key) }).toEqual({ pair, sharesKeyWith: undefined });
        keys.set(key, pair);
      }
    }
    expect(keys.size).toBe((strings.length + 1) * strings.length);
  });

  it('tells apart the pairs a NUL between the parts could not', () => {
    expect(documentKey('a\u0000', 'b')).not.toBe(documentKey('a', '\u0000b'));
    expect(documentKey(undefined, 'query { a }')).not.toBe(documentKey('', 'query { a }'));
    expect(documentKey('\uD800')).not.toBe(documentKey('\uFFFD'));
    expect(documentKey('x', 'y', 'z')).not.toBe(documentKey('x', 'yz'));
  });

  it('gives the same parts the same key, a digest without NUL', () => {
    expect(documentKey('Lookup', 'query Lookup { a }')).toBe(documentKey('Lookup', 'query Lookup { a }'));
    expect(documentKey('Lookup', 'query Lookup { a }')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('operationKey', () => {
  const queryHash = 'f'.repeat(64);
  it('tells an absent operation name from an empty one, and a name with NUL from another pair, with or without a queryHash', () => {
    expect(operationKey(undefined, queryHash, 'query { a }')).not.toBe(operationKey('', queryHash, 'query { a }'));
    expect(operationKey(null, queryHash, 'x')).toBe(operationKey(undefined, queryHash, 'y'));
    expect(operationKey(undefined, undefined, 'query { a }')).not.toBe(operationKey('', undefined, 'query { a }'));
    expect(operationKey('a\u0000', undefined, 'b')).not.toBe(operationKey('a', undefined, '\u0000b'));
    // A digest of the text and a (name, queryHash) key never meet: only the latter has a NUL.
    expect(operationKey('A', undefined, 'query A { a }')).not.toContain('\u0000');
    expect(operationKey('A', queryHash, 'query A { a }')).toContain('\u0000');
  });
});
