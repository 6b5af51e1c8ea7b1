/**
 * The CHECK that a `char(64)` column holds a SHA-256 as exactly 64 lowercase hex digits, for the
 * audit tables' hashes.
 *
 * It accepts what `"column" ~ '^[0-9a-f]{64}$'` accepts, without that regular expression: the
 * bounded repetition made each check cost PostgreSQL several microseconds, about 5 % of the
 * backend's CPU per audit event (docs/performance.md, "Issue 23: the audit event's checks").
 * `length` of a `char(n)` ignores the padding, and any character but a lowercase hex digit (a
 * padding space included) is refused by the second half.
 */
export const hexHashCheck = (column: string): string => `length("${column}") = 64 AND "${column}" !~ '[^0-9a-f]'`;
