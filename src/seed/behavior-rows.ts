/**
 * Desensitized page views as the ingest stores them: a pseudonymous visitor (43-character
 * base64url, like a truncated HMAC), an IP prefix from the documentation ranges (IPv4 /24,
 * IPv6 /48), device class and browser family only. Nothing here points at a customer.
 * A quarter of the visitors also carry cookie choices keyed by their pseudonym.
 */
import { BROWSER_FAMILIES, COUNTRIES, PAGES } from './catalogue';
import type { RowSink } from './batch-insert';
import { DAY, SECOND, SEED_EPOCH_MS, iso } from './clock';
import { Random, weighted } from './random';
import { BEHAVIOR_EVENT, PREFERENCE_CONSENT } from './tables';

const IPV4_PREFIXES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];
const pickDevice = weighted([['desktop', 40], ['mobile', 45], ['tablet', 10], ['bot', 3], ['other', 2]] as const);
const pickBrowser = weighted(BROWSER_FAMILIES.map((b, i) => [b, [45, 25, 10, 10, 6, 4][i] ?? 1] as const));
const pickCountry = weighted(COUNTRIES.map((c) => [c, c.weight] as const));

interface Visitor {
  pseudonym: string;
  ipPrefix: string;
  device: string;
  browser: string;
  language: string | null;
  region: string | null;
}

export class BehaviorRows {
  private readonly visitors: Visitor[] = [];

  constructor(private readonly random: Random, private readonly sink: RowSink, visitorCount: number) {
    const r = random;
    for (let i = 0; i < visitorCount; i++) {
      const country = pickCountry(r);
      this.visitors.push({
        pseudonym: r.base64url(32),
        ipPrefix: r.chance(0.75) ? r.pick(IPV4_PREFIXES) : `2001:db8:${r.int(0, 0xffff).toString(16)}::/48`,
        device: pickDevice(r),
        browser: pickBrowser(r),
        language: r.chance(0.95) ? country.language : null,
        region: r.chance(0.95) ? country.code : null,
      });
    }
  }

  /** Cookie choices of the first quarter of the visitors (none of them a logged-in customer). */
  pushVisitorPreferences(): number {
    const r = this.random;
    const count = Math.ceil(this.visitors.length / 4);
    for (const visitor of this.visitors.slice(0, count)) {
      const recordedAt = iso(SEED_EPOCH_MS - r.int(1, 90) * DAY + r.int(0, 86399) * SECOND);
      for (const [category, granted] of [['necessary', true], ['analytics', r.chance(0.5)]] as const) {
        this.sink.push(PREFERENCE_CONSENT, {
          id: r.uuid(),
          customer_id: null,
          visitor_pseudonym: visitor.pseudonym,
          category,
          granted,
          recorded_at: recordedAt,
        });
      }
    }
    return count;
  }

  /** `count` page views over the 90 days before the epoch. */
  pushEvents(count: number): void {
    const r = this.random;
    for (let i = 0; i < count; i++) {
      const v = r.pick(this.visitors);
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
        occurred_at: iso(SEED_EPOCH_MS - r.int(1, 90 * 86400) * SECOND),
      });
    }
  }
}
