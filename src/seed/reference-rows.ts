/**
 * The rows with well-known ids (partners, policy versions, the demo consent grants, the legal
 * hold) and the handful of privacy requests. They are the same for every seed except for the
 * customers the requests and the hold point at, which come from the seeded customer list.
 */
import { createHash } from 'node:crypto';
import type { RowSink } from './batch-insert';
import { DAY, HOUR, SEED_EPOCH_MS, addWorkingDays, iso } from './clock';
import { CURRENT_POLICY_PUBLISHED_MS } from './customer-graph';
import { DEMO_IDS } from './demo-ids';
import type { Random } from './random';
import { CONSENT_GRANT, LEGAL_HOLD, PARTNER, POLICY_VERSION, PRIVACY_REQUEST } from './tables';

const PARTNERS_SINCE = iso(Date.UTC(2023, 2, 1));

export function pushPartnersAndPolicies(sink: RowSink): void {
  const partners: [string, string, string, string][] = [
    [DEMO_IDS.logisticsPartners[0], 'logistics', 'Northwind Parcel Services', 'active'],
    [DEMO_IDS.logisticsPartners[1], 'logistics', 'Blue Heron Couriers', 'active'],
    [DEMO_IDS.suspendedLogisticsPartner, 'logistics', 'Lantern Freight', 'suspended'],
    [DEMO_IDS.paymentProviders[0], 'payment', 'Acme Pay', 'active'],
    [DEMO_IDS.paymentProviders[1], 'payment', 'Globex Payments', 'active'],
    [DEMO_IDS.platformOperator, 'platform', 'Bazaar Marketplace', 'active'],
    [DEMO_IDS.thirdParty, 'third_party', 'Ledgerly Budgeting', 'active'],
  ];
  for (const [id, kind, name, status] of partners) {
    sink.push(PARTNER, { id, kind, name, status, created_at: PARTNERS_SINCE });
  }
  sink.push(POLICY_VERSION, {
    id: DEMO_IDS.previousPolicyVersion,
    version: '2022-06',
    published_at: iso(Date.UTC(2022, 5, 1)),
    effective_at: iso(Date.UTC(2022, 5, 1)),
    // The superseded text is not kept in the project; this stands in for its hash.
    sha256: createHash('sha256').update('need-to-know privacy policy 2022-06').digest('hex'),
  });
  sink.push(POLICY_VERSION, {
    id: DEMO_IDS.policyVersion,
    version: '2025-07',
    published_at: iso(CURRENT_POLICY_PUBLISHED_MS),
    effective_at: iso(CURRENT_POLICY_PUBLISHED_MS),
    // sha256 of privacy-policy/000_12baaa521d638df2.txt, the policy the gateway implements.
    sha256: '0012782c520c4ace864a5457f83aa118f0840292e4c0547e7838923c46bf5934',
  });
}

/** Categories of the demo grants: enough to show a third party an order list and nothing more. */
export const DEMO_GRANT_CATEGORIES = ['identity.account_name', 'order.reference', 'order.status'] as const;

export function pushConsentGrants(sink: RowSink): void {
  const grants: [id: string, granted: number, expires: number, withdrawn: number | null][] = [
    [DEMO_IDS.expiredConsentGrant, Date.UTC(2024, 2, 1, 10), Date.UTC(2025, 0, 1), null],
    [DEMO_IDS.withdrawnConsentGrant, Date.UTC(2024, 5, 1, 10), Date.UTC(2099, 11, 31), Date.UTC(2024, 7, 15, 16, 20)],
    [DEMO_IDS.consentGrant, Date.UTC(2025, 8, 1, 10), Date.UTC(2099, 11, 31), null],
  ];
  for (const [id, granted, expires, withdrawn] of grants) {
    sink.push(CONSENT_GRANT, {
      id,
      customer_id: DEMO_IDS.demoCustomer,
      grantee_partner_id: DEMO_IDS.thirdParty,
      categories: DEMO_GRANT_CATEGORIES.join(','),
      purpose: 'authorized_sharing',
      granted_at: iso(granted),
      expires_at: iso(expires),
      withdrawn_at: withdrawn === null ? null : iso(withdrawn),
    });
  }
}

const HOLD_REFERENCE = 'LIT-2025-017';

/**
 * One request in each status, spread over the first customers after the demo customer. The
 * customer under legal hold asked for erasure and was refused because of the hold.
 *
 * @param customerIds the first customers, demo customer first (at least one)
 */
export function pushRequestsAndHold(sink: RowSink, random: Random, customerIds: readonly string[]): void {
  const customer = (n: number) => customerIds[n % customerIds.length]!;
  const held = customer(1);
  sink.push(LEGAL_HOLD, {
    id: DEMO_IDS.legalHold,
    scope: 'customer',
    customer_id: held,
    order_id: null,
    reason: 'Pending litigation over a disputed chargeback; preserve every record of this customer.',
    case_reference: HOLD_REFERENCE,
    placed_by: 'compliance-officer-01',
    placed_at: iso(SEED_EPOCH_MS - 45 * DAY),
    released_at: null,
  });

  const requests: {
    customer: string;
    type: string;
    status: string;
    receivedDaysAgo: number;
    verifiedAfterHours: number | null;
    completedAfterDays: number | null;
    handler: string | null;
    result: string | null;
    rejection: string | null;
  }[] = [
    {
      customer: held, type: 'erasure', status: 'rejected', receivedDaysAgo: 40, verifiedAfterHours: 20, completedAfterDays: null,
      handler: 'compliance-officer-01', result: null,
      rejection: `A legal hold (${HOLD_REFERENCE}) freezes this account; erasure resumes when the hold is released.`,
    },
    {
      customer: customer(2), type: 'access', status: 'completed', receivedDaysAgo: 20, verifiedAfterHours: 4, completedAfterDays: 2,
      handler: 'compliance-officer-02', result: 'Export of account, orders, shipments and after-sales records sent to the verified email address.', rejection: null,
    },
    {
      customer: customer(3), type: 'rectification', status: 'in_progress', receivedDaysAgo: 3, verifiedAfterHours: 6, completedAfterDays: null,
      handler: 'compliance-officer-02', result: null, rejection: null,
    },
    {
      customer: customer(4), type: 'objection', status: 'identity_verified', receivedDaysAgo: 2, verifiedAfterHours: 18, completedAfterDays: null,
      handler: null, result: null, rejection: null,
    },
    {
      customer: customer(5), type: 'withdraw_consent', status: 'received', receivedDaysAgo: 1, verifiedAfterHours: null, completedAfterDays: null,
      handler: null, result: null, rejection: null,
    },
  ];
  for (const q of requests) {
    const receivedAt = SEED_EPOCH_MS - q.receivedDaysAgo * DAY + random.int(8, 17) * HOUR;
    const verifiedAt = q.verifiedAfterHours === null ? null : receivedAt + q.verifiedAfterHours * HOUR;
    sink.push(PRIVACY_REQUEST, {
      id: random.uuid(),
      customer_id: q.customer,
      type: q.type,
      status: q.status,
      received_at: iso(receivedAt),
      verified_at: verifiedAt === null ? null : iso(verifiedAt),
      // Due three working days after the customer's identity is verified (design §6).
      due_at: verifiedAt === null ? null : iso(addWorkingDays(verifiedAt, 3)),
      completed_at: verifiedAt === null || q.completedAfterDays === null ? null : iso(verifiedAt + q.completedAfterDays * DAY),
      handler: q.handler,
      result_summary: q.result,
      rejection_reason: q.rejection,
    });
  }
}
