import { isoTime } from '../../src/platform/iso-time';

describe('isoTime', () => {
  it('writes what toISOString writes, in and across seconds, before 1970 and past year 9999', () => {
    const times = [
      0, 1, 9, 10, 99, 100, 999, 1000, 1001, -1, -999, -1000, -1001, -62_198_755_200_001, 253_402_300_799_999, 253_402_300_800_000,
      8.64e15, -8.64e15, Date.UTC(2026, 11, 6, 6, 30, 59, 7), Date.UTC(2026, 11, 6, 6, 30, 59, 70), Date.UTC(2026, 11, 6, 6, 31, 0, 0),
    ];
    // Each time after a neighbour of its own second (the remembered prefix is used) and after a far one (it is not).
    for (const time of times) {
      for (const before of [time - 1, time + 1, time - 5000, 0]) {
        if (Math.abs(before) <= 8.64e15) isoTime(new Date(before));
        expect(isoTime(new Date(time))).toBe(new Date(time).toISOString());
      }
    }
  });

  it('agrees with toISOString over a run of increasing times, as the audit log asks', () => {
    let time = Date.UTC(2026, 0, 1, 23, 59, 58, 0);
    for (let i = 0; i < 5000; i++) {
      time += (i * 7919) % 13;
      expect(isoTime(new Date(time))).toBe(new Date(time).toISOString());
    }
  });

  it('throws the RangeError toISOString throws for an invalid date, and is not thrown off by it', () => {
    isoTime(new Date(Date.UTC(2026, 0, 1)));
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
    expect(isoTime(new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 5)))).toBe('2026-01-01T00:00:00.005Z');
  });
});
