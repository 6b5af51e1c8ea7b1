import { AuthenticationError } from '../../src/auth/authentication-error';
import { parseClaims, type TokenClaims } from '../../src/auth/claims';

const PARTNER = '0b5c1f2e-6d1a-4c8e-9f3b-2a7d4e6c8b10';
const CUSTOMER = '5e2a9c41-7b3d-4f60-8a1e-c93d2b7f4a05';
const GRANT = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const base = { sub: 'subject-1', iat: 1_800_000_000, exp: 1_800_003_600 };
const times = { subject: 'subject-1', issuedAt: 1_800_000_000, expiresAt: 1_800_003_600 };

function reasonFor(payload: unknown): string {
  try {
    parseClaims(payload);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return (error as AuthenticationError).reason;
  }
  throw new Error('expected the claims to be refused');
}

describe('parseClaims', () => {
  it.each<[string, Record<string, unknown>, TokenClaims]>([
    [
      'staff',
      { kind: 'staff', roles: ['fulfillment', 'customer_service'], purposes: ['fulfillment'] },
      { kind: 'staff', ...times, roles: ['fulfillment', 'customer_service'], purposes: ['fulfillment'] },
    ],
    [
      'logistics_partner',
      { kind: 'logistics_partner', partner_id: PARTNER, purposes: ['fulfillment'] },
      { kind: 'logistics_partner', ...times, partnerId: PARTNER, purposes: ['fulfillment'] },
    ],
    [
      'payment_provider',
      { kind: 'payment_provider', partner_id: PARTNER, purposes: ['payment_settlement'] },
      { kind: 'payment_provider', ...times, partnerId: PARTNER, purposes: ['payment_settlement'] },
    ],
    [
      'platform_operator',
      { kind: 'platform_operator', partner_id: PARTNER, purposes: ['platform_operation'] },
      { kind: 'platform_operator', ...times, partnerId: PARTNER, purposes: ['platform_operation'] },
    ],
    [
      'customer (upper-case uuid normalised)',
      { kind: 'customer', customer_id: CUSTOMER.toUpperCase(), purposes: ['after_sales', 'data_subject_request'] },
      { kind: 'customer', ...times, customerId: CUSTOMER, purposes: ['after_sales', 'data_subject_request'] },
    ],
    [
      'third_party',
      { kind: 'third_party', partner_id: PARTNER, grant_id: GRANT, purposes: ['authorized_sharing'] },
      { kind: 'third_party', ...times, partnerId: PARTNER, grantId: GRANT, purposes: ['authorized_sharing'] },
    ],
    [
      'a purpose the kind may not declare (decided per request, not here)',
      { kind: 'logistics_partner', partner_id: PARTNER, purposes: ['analytics'] },
      { kind: 'logistics_partner', ...times, partnerId: PARTNER, purposes: ['analytics'] },
    ],
  ])('reads a %s token', (_, claims, expected) => {
    expect(parseClaims({ ...base, ...claims })).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ['a payload that is not an object', ['staff'], 'token claims: expected a JSON object, got an array'],
    ['no kind', { ...base, purposes: ['analytics'] }, 'token claims: "kind": expected one of staff, logistics_partner, payment_provider, platform_operator, customer, third_party, got nothing'],
    ['an unknown kind', { ...base, kind: 'admin', purposes: ['analytics'] }, 'token claims: "kind": expected one of staff, logistics_partner, payment_provider, platform_operator, customer, third_party, got "admin"'],
    ['an empty sub', { ...base, sub: ' ', kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'] }, 'token claims: "sub": expected a non-empty string of at most 255 characters, got " "'],
    ['a numeric sub', { ...base, sub: 7, kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'] }, 'token claims: "sub": expected a non-empty string of at most 255 characters, got number'],
    ['no purposes', { ...base, kind: 'staff', roles: ['fulfillment'] }, 'token claims: "purposes": expected a non-empty array, got nothing'],
    ['empty purposes', { ...base, kind: 'staff', roles: ['fulfillment'], purposes: [] }, 'token claims: "purposes": expected a non-empty array, got an array'],
    ['purposes as a string', { ...base, kind: 'staff', roles: ['fulfillment'], purposes: 'fulfillment' }, 'token claims: "purposes": expected a non-empty array, got "fulfillment"'],
    ['an unknown purpose', { ...base, kind: 'staff', roles: ['fulfillment'], purposes: ['marketing'] }, 'token claims: "purposes": expected members of fulfillment, after_sales, payment_settlement, platform_operation, fraud_prevention, analytics, legal_compliance, data_subject_request, authorized_sharing, got "marketing"'],
    ['a repeated purpose', { ...base, kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment', 'fulfillment'] }, 'token claims: "purposes": "fulfillment" appears twice'],
    ['staff without roles', { ...base, kind: 'staff', purposes: ['fulfillment'] }, 'token claims: "roles": expected a non-empty array, got nothing'],
    ['staff with empty roles', { ...base, kind: 'staff', roles: [], purposes: ['fulfillment'] }, 'token claims: "roles": expected a non-empty array, got an array'],
    ['staff with an unknown role', { ...base, kind: 'staff', roles: ['admin'], purposes: ['fulfillment'] }, 'token claims: "roles": expected members of customer_service, fulfillment, fraud_analyst, data_analyst, compliance_officer, storefront, got "admin"'],
    ['staff with a repeated role', { ...base, kind: 'staff', roles: ['fulfillment', 'fulfillment'], purposes: ['fulfillment'] }, 'token claims: "roles": "fulfillment" appears twice'],
    ['staff with a partner_id', { ...base, kind: 'staff', roles: ['fulfillment'], partner_id: PARTNER, purposes: ['fulfillment'] }, 'token claims: "partner_id" is not a claim of a staff token (expected roles)'],
    ['a partner without partner_id', { ...base, kind: 'logistics_partner', purposes: ['fulfillment'] }, 'token claims: "partner_id": expected a uuid, got nothing'],
    ['a partner_id that is not a uuid', { ...base, kind: 'payment_provider', partner_id: 'psp-1', purposes: ['payment_settlement'] }, 'token claims: "partner_id": expected a uuid, got "psp-1"'],
    ['a partner with roles', { ...base, kind: 'platform_operator', partner_id: PARTNER, roles: ['fulfillment'], purposes: ['platform_operation'] }, 'token claims: "roles" is not a claim of a platform_operator token (expected partner_id)'],
    ['a customer without customer_id', { ...base, kind: 'customer', purposes: ['after_sales'] }, 'token claims: "customer_id": expected a uuid, got nothing'],
    ['a customer_id that is a number', { ...base, kind: 'customer', customer_id: 12, purposes: ['after_sales'] }, 'token claims: "customer_id": expected a uuid, got number'],
    ['a customer with a partner_id', { ...base, kind: 'customer', customer_id: CUSTOMER, partner_id: PARTNER, purposes: ['after_sales'] }, 'token claims: "partner_id" is not a claim of a customer token (expected customer_id)'],
    ['a partner with a customer_id', { ...base, kind: 'logistics_partner', partner_id: PARTNER, customer_id: CUSTOMER, purposes: ['fulfillment'] }, 'token claims: "customer_id" is not a claim of a logistics_partner token (expected partner_id)'],
    ['a partner with a grant_id', { ...base, kind: 'logistics_partner', partner_id: PARTNER, grant_id: GRANT, purposes: ['fulfillment'] }, 'token claims: "grant_id" is not a claim of a logistics_partner token (expected partner_id)'],
    ['a third party without grant_id', { ...base, kind: 'third_party', partner_id: PARTNER, purposes: ['authorized_sharing'] }, 'token claims: "grant_id": expected a uuid, got nothing'],
    ['a third party without partner_id', { ...base, kind: 'third_party', grant_id: GRANT, purposes: ['authorized_sharing'] }, 'token claims: "partner_id": expected a uuid, got nothing'],
    ['a third party with a customer_id', { ...base, kind: 'third_party', partner_id: PARTNER, grant_id: GRANT, customer_id: CUSTOMER, purposes: ['authorized_sharing'] }, 'token claims: "customer_id" is not a claim of a third_party token (expected partner_id and grant_id)'],
    ['iat that is not a number', { ...base, iat: 'now', kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'] }, 'token claims: "iat": expected a numeric date, got "now"'],
  ])('refuses %s', (_, payload, reason) => {
    expect(reasonFor(payload)).toBe(reason);
  });
});
