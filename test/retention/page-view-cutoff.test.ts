/**
 * The first day of page views kept, `months` calendar months back from the clock: a month
 * without the clock's day ends on its last day (the 31st of March less 13 months is the 28th of
 * February), so the days after that are kept, not given to the month that follows.
 */
import { pageViewsKeptFrom } from '../../src/domains/behavior/behavior.service';

describe('pageViewsKeptFrom', () => {
  it.each([
    ['2026-12-01T00:00:00Z', 13, '2025-11-01T00:00:00Z'],
    ['2026-12-07T23:59:59Z', 13, '2025-11-07T00:00:00Z'],
    ['2026-03-31T12:00:00Z', 13, '2025-02-28T00:00:00Z'],
    ['2025-03-29T00:00:00Z', 13, '2024-02-29T00:00:00Z'],
    ['2025-03-30T00:00:00Z', 13, '2024-02-29T00:00:00Z'],
    ['2026-12-31T08:00:00Z', 13, '2025-11-30T00:00:00Z'],
    ['2026-05-31T08:00:00Z', 1, '2026-04-30T00:00:00Z'],
    ['2026-01-15T08:00:00Z', 25, '2023-12-15T00:00:00Z'],
  ])('at %s, keeping %i months, keeps from %s', (now, months, expected) => {
    expect(pageViewsKeptFrom(new Date(now), months).toISOString()).toBe(new Date(expected).toISOString());
  });
});
