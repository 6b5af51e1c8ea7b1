/**
 * The seed's fixed clock. Every timestamp is an offset from SEED_EPOCH, the instant the seeded
 * world calls "now", so the data never depends on when the seed ran. Times are whole seconds.
 */

/** 2026-01-01T00:00:00Z. Every seeded event happens before it (except far-future expiries). */
export const SEED_EPOCH_MS = Date.UTC(2026, 0, 1);

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `ms` plus `days` working days (Monday to Friday, UTC). */
export function addWorkingDays(ms: number, days: number): number {
  let t = ms;
  let left = days;
  while (left > 0) {
    t += DAY;
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return t;
}

/** YYYYMMDD of the UTC day holding `ms`. */
export function ymd(ms: number): string {
  return iso(ms).slice(0, 10).replace(/-/g, '');
}
