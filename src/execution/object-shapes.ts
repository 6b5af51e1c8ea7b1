/**
 * Response objects of one shape made by one object literal, so that every object of a shape has
 * one hidden class from the start and each of its properties is stored by a store site that sees
 * only that shape.
 *
 * A compiled read assembles each root row's object from its cells (read-plans.ts `renderRow`).
 * Made as `{}` and filled by `object[key] = value` in closures that every shape shares, each store
 * site sees every shape the process serves: V8 handles such a site on its megamorphic path, a
 * cache look-up and often a property-adding transition per store (~165–190 k instructions a
 * request on a 50- or 100-row page, docs/performance.md). V8 keeps type feedback per function
 * source, so a site per shape needs a function per shape: it is made here with `new Function`.
 *
 * What goes into the generated text, and what never does: pg once generated a row constructor
 * from column names and was open to code injection through them (CVE-2017-16082). Here the text
 * holds only the response keys, each checked against GraphQL's own name pattern (letters, digits,
 * underscore, not starting with a digit) and then written as a JSON string literal; the values
 * come from the functions the plan passes in, by position. A key list that fails the check (none
 * can: the GraphQL parser admits only such names), that names `__proto__` (a literal would set
 * the prototype with it) or that repeats a key is assembled the general way, a property defined
 * per key.
 */
import { BoundedCache } from '../platform/bounded-cache';

/** One property's value, from what the object is made of (a compiled read's row and its environment). */
export type Value<A, B> = (a: A, b: B) => unknown;

/** Makes a shape's object from its values' functions, in key order. */
type Factory = <A, B>(values: ReadonlyArray<Value<A, B>>) => (a: A, b: B) => Record<string, unknown>;

/** GraphQL's name pattern (the spec's `Name`), anchored. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Factories by key list (keys joined by a space, which no name holds): requests' aliases make new lists, so the cache is bounded. */
const factories = new BoundedCache<Factory>(2000);

/** Whether `keys` can be written into an object literal: all names, none `__proto__`, none twice. */
export function literalKeys(keys: readonly string[]): boolean {
  return keys.every((key) => NAME.test(key) && key !== '__proto__') && new Set(keys).size === keys.length;
}

function factoryOf(keys: readonly string[]): Factory {
  // Checked here as well as by the caller: nothing reaches `new Function` unchecked.
  if (!literalKeys(keys)) throw new Error('objectShape: a key that is not a GraphQL name, __proto__ or a key twice');
  return factories.getOrCompute(keys.join(' '), () => {
    const properties = keys.map((key, i) => `${JSON.stringify(key)}: v${i}(a, b)`).join(', ');
    const bindings = keys.map((_key, i) => `v${i} = values[${i}]`).join(', ');
    const body = `'use strict';${bindings ? ` const ${bindings};` : ''} return function shaped(a, b) { return { ${properties} }; };`;
    // Only checked names (NAME) and generated identifiers are in `body` (see the header).
    return new Function('values', body) as Factory;
  });
}

/**
 * A function making the object `{ [keys[i]]: values[i](a, b) }`, its properties in key order, each
 * value asked in key order. One literal per key list (`factoryOf`) where the keys allow it
 * (`literalKeys`), else defined one by one.
 */
export function objectShape<A, B>(keys: readonly string[], values: ReadonlyArray<Value<A, B>>): (a: A, b: B) => Record<string, unknown> {
  if (keys.length !== values.length) throw new Error('objectShape: one value per key');
  if (literalKeys(keys)) return factoryOf(keys)(values);
  return (a, b) => {
    const object: Record<string, unknown> = {};
    // Defined, not assigned: `__proto__` becomes a property as any other key does.
    for (let i = 0; i < keys.length; i++) Object.defineProperty(object, keys[i]!, { value: values[i]!(a, b), writable: true, enumerable: true, configurable: true });
    return object;
  };
}
