import { literalKeys, objectShape } from '../../src/execution/object-shapes';

describe('objectShape', () => {
  it('makes the object of its keys, in key order, each value from its function and the two arguments', () => {
    const asked: string[] = [];
    const make = objectShape<number[], string>(
      ['id', 'status', 'order'],
      [
        (row, env) => (asked.push('id'), `${env}:${row[0]}`),
        (row) => (asked.push('status'), row[1]),
        (row) => (asked.push('order'), row[2] === 0 ? null : { n: row[2] }),
      ],
    );
    const first = make([7, 8, 9], 'a');
    const second = make([1, 2, 0], 'b');
    expect(JSON.stringify(first)).toBe('{"id":"a:7","status":8,"order":{"n":9}}');
    expect(JSON.stringify(second)).toBe('{"id":"b:1","status":2,"order":null}');
    expect(first).not.toBe(second);
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(asked).toEqual(['id', 'status', 'order', 'id', 'status', 'order']);
  });

  it('makes an empty object of no keys', () => {
    expect(JSON.stringify(objectShape([], [])(undefined, undefined))).toBe('{}');
  });

  it('writes only GraphQL names into an object literal, and only once each', () => {
    expect(literalKeys(['id', '_private', '__typename', 'line2', 'A_b9'])).toBe(true);
    expect(literalKeys([])).toBe(true);
    for (const key of ['2fa', 'a-b', 'a b', '', 'ä', 'a"b', 'a\nb', '__proto__', 'x}); process.exit(1); ({"y']) expect(literalKeys(['id', key])).toBe(false);
    expect(literalKeys(['id', 'status', 'id'])).toBe(false);
  });

  it('makes the same object where the keys are not for a literal, no key setting the prototype', () => {
    const evil = 'x": 1 }; globalThis.injected = true; ({ "y';
    const make = objectShape(['__proto__', evil, 'id', 'id'], [() => ({ polluted: true }), () => 1, () => 'first', () => 'second']);
    const object = make(undefined, undefined);
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.keys(object)).toEqual(['__proto__', evil, 'id']);
    expect(JSON.stringify(object)).toBe(`{"__proto__":{"polluted":true},${JSON.stringify(evil)}:1,"id":"second"}`);
    expect((globalThis as { injected?: boolean }).injected).toBeUndefined();
  });

  it('asks for one value per key', () => {
    expect(() => objectShape(['id'], [])).toThrow('objectShape: one value per key');
  });
});
