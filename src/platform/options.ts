/**
 * Checks an optional integer option handed to a factory: `fallback` when it is absent, else an
 * integer from `min` to `max`, or a TypeError naming the factory and the option.
 */
export function integerOption(owner: string, name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${owner}: expected ${name} to be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
