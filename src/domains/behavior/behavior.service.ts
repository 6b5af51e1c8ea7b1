/**
 * Page views in: desensitized on the way in (privacy/desensitize.ts), and kept only for visitors
 * who consented to analytics (policy §2.3, §4, §7). Nothing raw is stored: not the cookie id,
 * not the address, not the user agent, not the customer.
 *
 * Which views are kept:
 * - the storefront declares, per view, whether the visitor had consented to analytics
 *   (`analyticsConsent`, its cookie choice): without that, the view is dropped;
 * - a refusal the visitor recorded under that day's pseudonym (recordPreferenceChoices) drops
 *   their views of that day, whatever the storefront declares: those sent after it here, and
 *   those stored before it, which the refusal deletes (forgetVisitorDay; the day is still open, so
 *   analytics has counted none of them). A visitor's pseudonym changes
 *   every day and the gateway never links days, so a choice recorded on one day is carried to
 *   the next by the storefront's cookie, not by the gateway;
 * - a view may name the signed-in customer (`customerId`, used here and never stored): if that
 *   customer objected to analytics, refused it in their latest recorded choice, or is not an
 *   active customer, every view of that visitor in the batch — the session — is dropped, and so
 *   are the views of that visitor's day that earlier batches stored (browsing before signing in,
 *   sent apart): the same statement deletes them, the day being still open.
 *
 * The batch is refused whole (BAD_USER_INPUT) when an event is malformed or outside the ingest
 * window: the current and the previous UTC day, so a day is closed — no view can be added to
 * it — from the start of the day after next, and analytics reads closed days only.
 */
import type { EntityManager } from 'typeorm';
import { badUserInput } from '../../platform/errors';
import { requireUuid } from '../../platform/filters';
import { pagePath, pseudonymizeVisitor, pseudonymMaster, reduceUserAgent, truncateIp, type PseudonymSecrets } from '../../privacy/desensitize';
import type { BehaviorEventInput } from './behavior.inputs';

const DAY_MS = 24 * 3600_000;
/** How far ahead of the gateway's clock an event's time may be (clock skew). */
const MAX_FUTURE_MS = 5 * 60_000;

/** Midnight UTC of the day holding `at`. */
export function startOfUtcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/**
 * The earliest time a page view may have at `now`: the start of the previous UTC day. Every day
 * before it is closed: its page views can no longer change.
 */
export function ingestWindowStart(now: Date): Date {
  return new Date(startOfUtcDay(now).getTime() - DAY_MS);
}

/**
 * How long after a day closes for ingest (ingestWindowStart) analytics waits before reading it: an
 * ingest that checked its window just before, or on a gateway whose clock runs a little slow, may
 * still be storing a view of that day, and commits after it closed. Read at once, the day would
 * differ a moment later by that batch: one visitor's session, perhaps. An hour is far more than a
 * request may take (statement and idle-in-transaction timeouts) or clocks may drift.
 */
export const INGEST_SETTLED_MS = 3600_000;

/**
 * The start of the first day analytics may not read at `now`: every day before it closed for
 * ingest at least INGEST_SETTLED_MS ago, so its page views no longer change.
 */
export function settledDaysEnd(now: Date): Date {
  return ingestWindowStart(new Date(now.getTime() - INGEST_SETTLED_MS));
}

/**
 * The first moment whose page views are kept at `now`, when they are kept `months` calendar
 * months: midnight UTC of the day `months` months before, or of the last day of that month when
 * it is shorter (31 March less 13 months is 28 February, never 3 March). Retention deletes the days before it,
 * each whole in one transaction (retention-job.ts): a day is read whole or not at all, never half
 * deleted, so no two answers differ by the page views of a few hours.
 */
export function pageViewsKeptFrom(now: Date, months: number): Date {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(now.getUTCDate(), lastDay)));
}

interface DesensitizedView {
  /** Which visitor of the batch (by cookie id): the unit a customer's objection drops. */
  session: number;
  customer_id: string | null;
  consent: boolean;
  visitor_pseudonym: string;
  ip_prefix: string;
  device_class: string;
  browser_family: string;
  language: string | null;
  region: string | null;
  page: string;
  dwell_ms: number;
  clicks: number;
  occurred_at: string;
}

/** The batch desensitized, or BAD_USER_INPUT naming the first event that is not acceptable. */
export function desensitizeBatch(secrets: PseudonymSecrets, events: readonly BehaviorEventInput[], now: Date): DesensitizedView[] {
  const earliest = ingestWindowStart(now).getTime();
  const latest = now.getTime() + MAX_FUTURE_MS;
  const sessions = new Map<string, number>();
  return events.map((e, i) => {
    const t = e.occurredAt.getTime();
    if (t > latest || t < earliest) {
      throw badUserInput(`input.events[${i}].occurredAt: expected a time in the current or the previous UTC day (from ${new Date(earliest).toISOString()}), not in the future`);
    }
    const ipPrefix = truncateIp(e.ip);
    if (!ipPrefix) throw badUserInput(`input.events[${i}].ip: expected an IPv4 or IPv6 address`);
    let session = sessions.get(e.visitorId);
    if (session === undefined) sessions.set(e.visitorId, (session = sessions.size));
    const { browserFamily, deviceClass } = reduceUserAgent(e.userAgent);
    return {
      session,
      customer_id: e.customerId == null ? null : requireUuid(e.customerId, `input.events[${i}].customerId`),
      consent: e.analyticsConsent,
      visitor_pseudonym: pseudonymizeVisitor(pseudonymMaster(secrets, e.occurredAt), e.visitorId, e.occurredAt),
      ip_prefix: ipPrefix,
      device_class: deviceClass,
      browser_family: browserFamily,
      language: e.language ?? null,
      region: e.region ?? null,
      page: pagePath(e.page),
      dwell_ms: e.dwellMs,
      clicks: e.clicks,
      occurred_at: e.occurredAt.toISOString(),
    };
  });
}

/** The latest analytics choice recorded for a subject column; NULL when there is none. */
const latestAnalyticsChoice = (column: 'customer_id' | 'visitor_pseudonym', value: string) =>
  `(SELECT p.granted FROM preference_consent p WHERE p.${column} = ${value} AND p.category = 'analytics' ORDER BY p.recorded_at DESC, p.id DESC LIMIT 1)`;

const STORE_CONSENTED = `
  WITH e AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS e(
      session int, customer_id uuid, consent boolean, visitor_pseudonym text, ip_prefix text, device_class text,
      browser_family text, language text, region text, page text, dwell_ms int, clicks int, occurred_at timestamptz)
  ),
  dropped_session AS (
    SELECT DISTINCT e.session FROM e
     WHERE e.customer_id IS NOT NULL
       AND (NOT EXISTS (SELECT 1 FROM customer c WHERE c.id = e.customer_id AND c.status = 'active' AND NOT c.analytics_objection)
            OR ${latestAnalyticsChoice('customer_id', 'e.customer_id')} IS FALSE)
  ),
  forgotten AS (
    DELETE FROM behavior_event b
     USING (SELECT DISTINCT e.visitor_pseudonym, date_trunc('day', e.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day
              FROM e WHERE e.session IN (SELECT session FROM dropped_session)) d
     WHERE b.visitor_pseudonym = d.visitor_pseudonym AND b.occurred_at >= d.day AND b.occurred_at < d.day + interval '24 hours'
  )
  INSERT INTO behavior_event (visitor_pseudonym, ip_prefix, device_class, browser_family, language, region, page, dwell_ms, clicks, occurred_at)
  SELECT e.visitor_pseudonym, e.ip_prefix, e.device_class::device_class, e.browser_family, e.language, e.region, e.page, e.dwell_ms, e.clicks, e.occurred_at
    FROM e
   WHERE e.consent
     AND e.session NOT IN (SELECT session FROM dropped_session)
     AND ${latestAnalyticsChoice('visitor_pseudonym', 'e.visitor_pseudonym')} IS NOT FALSE`;

/** Stores the consented views of a desensitized batch in one statement: all of them, or none when it fails. */
export async function storeConsentedViews(em: Pick<EntityManager, 'query'>, views: readonly DesensitizedView[]): Promise<void> {
  await em.query(STORE_CONSENTED, [JSON.stringify(views)]);
}

/**
 * Deletes the page views of one visitor (that day's pseudonym) on the UTC day holding `at`: a
 * refusal of analytics takes back the views of its day stored before it. The day is still open
 * (analytics reads closed days only), so no answer has counted them.
 */
export async function forgetVisitorDay(em: Pick<EntityManager, 'query'>, visitorPseudonym: string, at: Date): Promise<void> {
  const { start, end } = utcDayOf(at);
  await em.query(`DELETE FROM behavior_event WHERE visitor_pseudonym = $1 AND occurred_at >= $2 AND occurred_at < $3`, [visitorPseudonym, start, end]);
}

/** The UTC day holding `at`: from its midnight (included) to the next (excluded). */
export function utcDayOf(at: Date): { start: Date; end: Date } {
  const start = startOfUtcDay(at);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}
