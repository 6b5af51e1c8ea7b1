/**
 * The declared order of shipment statuses, move by move: what a scan of each status does to a
 * shipment in each status, when the scan is newer than the status and when it is older.
 */
import { afterScan, afterTracking, type ShipmentState } from '../../src/domains/shipments/shipment-status';
import { ShipmentStatus as S } from '../../src/domains/shipments/shipment.entity';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = new Date(T0.getTime() + 3600_000);
const earlier = new Date(T0.getTime() - 26 * 3600_000);

const state = (status: S, progress: S = status): ShipmentState => ({ status, progress, statusAt: T0, deliveredAt: null });
/** The status after a newer scan of `scan` on a shipment in `from` (with `progress` while in exception), or 'stays'. */
const moveOf = (from: S, scan: S, progress?: S) => {
  const next = afterScan(state(from, progress), { status: scan, occurredAt: later });
  return next === undefined || next.status === from ? 'stays' : next.status;
};

describe('shipment status order', () => {
  // Rows: the shipment's status; columns: the status a newer scan reports.
  const P = S.PENDING, L = S.LABEL_CREATED, I = S.IN_TRANSIT, O = S.OUT_FOR_DELIVERY, D = S.DELIVERED, E = S.EXCEPTION, R = S.RETURNED;
  it.each([
    [P, { [P]: 'stays', [L]: L, [I]: I, [O]: O, [D]: D, [E]: E, [R]: R }],
    [L, { [P]: 'stays', [L]: 'stays', [I]: I, [O]: O, [D]: D, [E]: E, [R]: R }],
    [I, { [P]: 'stays', [L]: 'stays', [I]: 'stays', [O]: O, [D]: D, [E]: E, [R]: R }],
    [O, { [P]: 'stays', [L]: 'stays', [I]: 'stays', [O]: 'stays', [D]: D, [E]: E, [R]: R }],
    [D, { [P]: 'stays', [L]: 'stays', [I]: 'stays', [O]: 'stays', [D]: 'stays', [E]: 'stays', [R]: R }],
    [R, { [P]: 'stays', [L]: 'stays', [I]: 'stays', [O]: 'stays', [D]: 'stays', [E]: 'stays', [R]: 'stays' }],
  ])('from %s, a newer scan moves forward only', (from, expected) => {
    for (const [scan, to] of Object.entries(expected)) expect([from, scan, moveOf(from, scan as S)]).toEqual([from, scan, to]);
  });

  it('an exception resumes where the parcel was, or further on, never before', () => {
    expect([I, O, D, R, L, P].map((scan) => [scan, moveOf(E, scan, O)])).toEqual([
      [I, 'stays'],
      [O, O],
      [D, D],
      [R, R],
      [L, 'stays'],
      [P, 'stays'],
    ]);
    expect(afterScan(state(E, O), { status: O, occurredAt: later })).toEqual({ status: O, progress: O, statusAt: later, deliveredAt: null });
  });

  it('an exception keeps where the parcel was', () => {
    expect(afterScan(state(O), { status: E, occurredAt: later })).toEqual({ status: E, progress: O, statusAt: later, deliveredAt: null });
  });

  it.each([P, L, I, O, D, E, R])('a scan older than the current status (%s) moves nothing', (scan) => {
    for (const from of [P, L, I, O, E]) expect(afterScan(state(from, from === E ? I : from), { status: scan, occurredAt: earlier })).toBeUndefined();
  });

  it('a scan of the current status confirms it: its time becomes the status time', () => {
    expect(afterScan(state(I), { status: I, occurredAt: later })).toEqual({ status: I, progress: I, statusAt: later, deliveredAt: null });
  });

  it('delivery records when; a return after it keeps it', () => {
    const delivered = afterScan(state(O), { status: D, occurredAt: later })!;
    expect(delivered).toEqual({ status: D, progress: D, statusAt: later, deliveredAt: later });
    const returnedAt = new Date(later.getTime() + 86_400_000);
    expect(afterScan(delivered, { status: R, occurredAt: returnedAt })).toEqual({ status: R, progress: R, statusAt: returnedAt, deliveredAt: later });
  });

  it('a tracking number gives a pending parcel its label, and changes nothing else', () => {
    expect(afterTracking(state(P))).toEqual({ status: L, progress: L, statusAt: null, deliveredAt: null });
    for (const s of [L, I, O, D, R]) expect(afterTracking(state(s))).toEqual(state(s));
  });
});
