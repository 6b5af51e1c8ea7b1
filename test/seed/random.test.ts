import { Random, distribute, weighted } from '../../src/seed/random';

describe('the seed PRNG', () => {
  it('is pinned: the same seed and stream give the same values on every machine and release', () => {
    const r = Random.stream(1, 'golden');
    expect([r.uuid(), r.uint32(), r.base64url(32)]).toEqual([
      '4b70cdfd-4481-48da-9cee-bf88d7f56761',
      1385716268,
      'tR-n92T5hTpPHQ7g1QfjY9_2M7NQ75oxejMKmnORBlY',
    ]);
  });

  it('gives different streams of the same seed different values', () => {
    expect(Random.stream(1, 'a').uuid()).not.toEqual(Random.stream(1, 'b').uuid());
    expect(Random.stream(1, 'a').uuid()).not.toEqual(Random.stream(2, 'a').uuid());
  });

  it('makes RFC 4122 version 4 UUIDs and 43-character base64url pseudonyms', () => {
    const r = Random.stream(7, 'format');
    for (let i = 0; i < 200; i++) {
      expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.base64url(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const r = Random.stream(3, 'int');
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.int(2, 5));
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
    expect(() => r.int(5, 2)).toThrow('expected integers min <= max, got 5 and 2');
  });

  it('picks by weight, never a zero-weight value', () => {
    const pick = weighted([['a', 3], ['b', 0], ['c', 1]] as const);
    const r = Random.stream(4, 'weights');
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 4000; i++) counts[pick(r)]! += 1;
    expect(counts.b).toBe(0);
    expect(counts.a! / counts.c!).toBeGreaterThan(2.5);
    expect(counts.a! / counts.c!).toBeLessThan(3.5);
  });

  it('distributes an exact total, respecting each minimum', () => {
    const mins = [20, ...new Array<number>(99).fill(1)];
    const counts = distribute(Random.stream(5, 'split'), 400, mins, 7);
    expect(counts.reduce((s, n) => s + n, 0)).toBe(400);
    counts.forEach((n, i) => expect(n).toBeGreaterThanOrEqual(mins[i]!));
  });

  it('gives every count its minimum when the minimums exceed the total', () => {
    const counts = distribute(Random.stream(5, 'split'), 3, [20, 1, 1], 7);
    expect([...counts]).toEqual([20, 1, 1]);
  });
});
