/**
 * `isoTime(date)`: the same string as `date.toISOString()`, with the part up to the seconds
 * (`2026-01-02T03:04:05.`) remembered for the last second asked about. V8 writes an ISO time in
 * C++ through its date cache, about 7 k instructions a call; the audit log writes one per event
 * and per seal, and the events of one second share everything but their milliseconds.
 */
let rememberedSecond = Number.NaN;
let secondPrefix = '';

export function isoTime(date: Date): string {
  const time = date.getTime();
  // Whole milliseconds always (a Date's time value is an integer): `%` and the division are exact.
  let ms = time % 1000;
  if (ms < 0) ms += 1000;
  const second = (time - ms) / 1000;
  if (second !== rememberedSecond) {
    // Also the path of an invalid date (NaN is never equal): toISOString throws its RangeError.
    const iso = date.toISOString();
    rememberedSecond = second;
    secondPrefix = iso.slice(0, -4);
    return iso;
  }
  return `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}
