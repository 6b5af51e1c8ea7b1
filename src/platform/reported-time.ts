/**
 * Times a partner reports about something that happened (a carrier's scan, a provider's payment):
 * a clock running fast is tolerated up to an hour; a time later than that is refused. A future
 * time would otherwise be stored as fact: a scan's sets the shipment's status time (every genuine
 * scan after it is then older and moves nothing) and its delivery time, which the retention
 * schedule counts from.
 */
import { badUserInput } from './errors';

export const REPORTED_TIME_SKEW_MS = 60 * 60_000;

/** Throws BAD_USER_INPUT naming `path` when `at` is later than an hour from now. */
export function refuseLaterThanClock(at: Date | null | undefined, path: string, now = Date.now()): void {
  if (at && at.getTime() > now + REPORTED_TIME_SKEW_MS) throw badUserInput(`${path}: later than an hour from now`);
}
