/**
 * Canonical JSON: the one byte sequence a value hashes as, so the writer and `audit verify`
 * (possibly years and releases apart) agree.
 *
 * - object keys sorted by code unit, no whitespace; keys whose value is `undefined` are left out;
 * - `Date` as ISO-8601 UTC with milliseconds (`2026-01-02T03:04:05.678Z`);
 * - strings and finite numbers as JSON.stringify writes them; arrays keep their order.
 * Anything else (bigint, NaN, functions, symbols) is refused: it has no canonical form.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('canonicalJson: expected a valid Date, got an invalid one');
    return JSON.stringify(value.toISOString());
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: expected a finite number, got ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        // Lists of strings (subject ids, coordinates) are most of an event: JSON.stringify writes them identically, faster.
        if (value.every((item) => typeof item === 'string')) return JSON.stringify(value);
        return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
      }
      const entries = Object.keys(value as object)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
      return `{${entries.join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: expected JSON data, got a ${typeof value}`);
  }
}
