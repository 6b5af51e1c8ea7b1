/**
 * A request is due at the end of the 3rd working day after its verification: weekends and the
 * configured holidays skipped, days counted in the store's time zone.
 */
import { dueAfter } from '../../src/domains/privacy-requests/working-days';

const UTC = { timeZone: 'UTC', holidays: [] };

describe('dueAfter', () => {
  it('skips the weekend: verified on a Friday, due at the end of the next Wednesday', () => {
    expect(dueAfter(new Date('2026-12-04T10:00:00Z'), UTC).toISOString()).toBe('2026-12-09T23:59:59.999Z');
  });

  it('counts from the next working day when verified on a weekend', () => {
    expect(dueAfter(new Date('2026-12-05T10:00:00Z'), UTC).toISOString()).toBe('2026-12-09T23:59:59.999Z');
    expect(dueAfter(new Date('2026-12-06T23:30:00Z'), UTC).toISOString()).toBe('2026-12-09T23:59:59.999Z');
  });

  it('counts three whole days after a weekday, whatever the hour', () => {
    expect(dueAfter(new Date('2026-12-07T00:00:00Z'), UTC).toISOString()).toBe('2026-12-10T23:59:59.999Z');
    expect(dueAfter(new Date('2026-12-07T23:59:59Z'), UTC).toISOString()).toBe('2026-12-10T23:59:59.999Z');
  });

  it('skips configured holidays as well as the weekend around them', () => {
    const christmas = { timeZone: 'UTC', holidays: ['2026-12-24', '2026-12-25'] };
    expect(dueAfter(new Date('2026-12-23T09:00:00Z'), christmas).toISOString()).toBe('2026-12-30T23:59:59.999Z');
    // Without the holidays: Thu, Fri, Mon.
    expect(dueAfter(new Date('2026-12-23T09:00:00Z'), UTC).toISOString()).toBe('2026-12-28T23:59:59.999Z');
  });

  it('counts days in the store’s time zone', () => {
    // Sunday 20:00 UTC is already Monday 05:00 in Tokyo: Tue, Wed, Thu there.
    const at = new Date('2026-12-06T20:00:00Z');
    expect(dueAfter(at, UTC).toISOString()).toBe('2026-12-09T23:59:59.999Z');
    expect(dueAfter(at, { timeZone: 'Asia/Tokyo', holidays: [] }).toISOString()).toBe('2026-12-10T14:59:59.999Z');
  });

  it('refuses a number of days that is not a positive whole number', () => {
    expect(() => dueAfter(new Date('2026-12-07T00:00:00Z'), UTC, 0)).toThrow('expected a whole number of working days of at least 1, got 0');
  });
});
