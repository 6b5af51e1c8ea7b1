/**
 * A request's deadline (design §6): 3 working days after identity verification. Working days
 * are Monday to Friday in the store's time zone, minus the holidays configured; the deadline is
 * the end of the third working day after the day of verification, so a request verified on a
 * Friday (or a Saturday) is due at the end of the next Wednesday.
 */
import { DateTime } from 'luxon';

export interface WorkingCalendar {
  /** IANA time zone the days are counted in. */
  timeZone: string;
  /** Days off besides weekends, `YYYY-MM-DD` in that zone. */
  holidays: readonly string[];
}

export const DAYS_TO_ANSWER = 3;

export function isWorkingDay(day: DateTime, holidays: ReadonlySet<string>): boolean {
  return day.weekday <= 5 && !holidays.has(day.toISODate()!);
}

/** The end (last millisecond, in the calendar's zone) of the `days`-th working day after the day of `from`. */
export function dueAfter(from: Date, calendar: WorkingCalendar, days = DAYS_TO_ANSWER): Date {
  if (!Number.isInteger(days) || days < 1) throw new Error(`dueAfter: expected a whole number of working days of at least 1, got ${days}`);
  const holidays = new Set(calendar.holidays);
  let day = DateTime.fromJSDate(from, { zone: calendar.timeZone }).startOf('day');
  if (!day.isValid) throw new Error(`dueAfter: expected a valid time and time zone, got ${from.toISOString?.()} in ${calendar.timeZone}`);
  let counted = 0;
  while (counted < days) {
    day = day.plus({ days: 1 });
    if (isWorkingDay(day, holidays)) counted++;
  }
  return day.endOf('day').toJSDate();
}
