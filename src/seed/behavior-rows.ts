/**
 * Desensitized page views as the ingest stores them, over the 28 days before the epoch: a visitor
 * is a pseudonym of one day (43-character base64url, like the daily HMAC; the next day the same
 * person is someone else), with an IP prefix from the documentation ranges (IPv4 /24, IPv6 /48),
 * device class and browser family only, and one to six page views that day. Nothing here points
 * at a customer.
 *
 * Page views exist only for visitors who consented to analytics, as the ingest keeps it: a
 * quarter of them also carry their recorded cookie choice (analytics granted) under that day's
 * pseudonym, and about one visitor in ten refused analytics — a recorded refusal, and no page
 * views. Most days hold enough visitors for day totals and common device classes to clear the
 * analytics threshold; rare browsers, regions and pages stay small groups.
 */
import { BROWSER_FAMILIES, COUNTRIES, PAGES } from './catalogue';
import type { RowSink } from './batch-insert';
import { DAY, SECOND, SEED_EPOCH_MS, iso } from './clock';
import { policyVersionAt } from './customer-graph';
import { Random, weighted } from './random';
import { BEHAVIOR_EVENT, PREFERENCE_CONSENT } from './tables';

/** Days before the epoch the page views fall on. */
export const BEHAVIOR_DAYS = 28;

const IPV4_PREFIXES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];
const pickDevice = weighted([['desktop', 40], ['mobile', 45], ['tablet', 10], ['bot', 3], ['other', 2]] as const);
const pickBrowser = weighted(BROWSER_FAMILIES.map((b, i) => [b, [45, 25, 10, 10, 6, 4][i] ?? 1] as const));
const pickCountry = weighted(COUNTRIES.map((c) => [c, c.weight] as const));

interface Visitor {
  pseudonym: string;
  dayStartMs: number;
  ipPrefix: string;
  device: string;
  browser: string;
  language: string | null;
  region: string | null;
  viewsLeft: number;
}

export class BehaviorRows {
  private visitor: Visitor | undefined;

  constructor(private readonly random: Random, private readonly sink: RowSink) {}

  /** `count` page views; new visitors (and their recorded choices) as the previous ones run out of views. */
  pushEvents(count: number): void {
    const r = this.random;
    for (let i = 0; i < count; i++) {
      const v = this.currentVisitor();
      v.viewsLeft -= 1;
      this.sink.push(BEHAVIOR_EVENT, {
        id: r.uuid(),
        visitor_pseudonym: v.pseudonym,
        ip_prefix: v.ipPrefix,
        device_class: v.device,
        browser_family: v.browser,
        language: v.language,
        region: v.region,
        page: r.pick(PAGES),
        dwell_ms: r.int(300, 180_000),
        clicks: r.int(0, 25),
        occurred_at: iso(v.dayStartMs + r.int(3600, 86399) * SECOND),
      });
    }
  }

  private currentVisitor(): Visitor {
    if (this.visitor && this.visitor.viewsLeft > 0) return this.visitor;
    const r = this.random;
    // About one visitor in ten refuses analytics: their choice is recorded, their page views are not.
    while (r.chance(0.1)) this.pushChoices(r.base64url(32), SEED_EPOCH_MS - r.int(1, BEHAVIOR_DAYS) * DAY, false);
    const country = pickCountry(r);
    const visitor: Visitor = {
      pseudonym: r.base64url(32),
      dayStartMs: SEED_EPOCH_MS - r.int(1, BEHAVIOR_DAYS) * DAY,
      ipPrefix: r.chance(0.75) ? r.pick(IPV4_PREFIXES) : `2001:db8:${r.int(0, 0xffff).toString(16)}::/48`,
      device: pickDevice(r),
      browser: pickBrowser(r),
      language: r.chance(0.95) ? country.language : null,
      region: r.chance(0.95) ? country.code : null,
      viewsLeft: r.int(1, 6),
    };
    if (r.chance(0.25)) this.pushChoices(visitor.pseudonym, visitor.dayStartMs, true);
    this.visitor = visitor;
    return visitor;
  }

  /** A visitor's cookie choice, recorded within the first hour of their day (before their page views). */
  private pushChoices(pseudonym: string, dayStartMs: number, analytics: boolean): void {
    const r = this.random;
    const recordedAt = dayStartMs + r.int(0, 3599) * SECOND;
    for (const [category, granted] of [['necessary', true], ['analytics', analytics]] as const) {
      this.sink.push(PREFERENCE_CONSENT, {
        id: r.uuid(),
        customer_id: null,
        visitor_pseudonym: pseudonym,
        category,
        granted,
        recorded_at: iso(recordedAt),
        policy_version_id: policyVersionAt(recordedAt),
        recorded_via: 'storefront',
      });
    }
  }
}
