import type { Principal } from '../../src/policy/principal';
import { allowedPurposes, choosePurpose } from '../../src/auth/purpose';
import { PURPOSES, type Purpose } from '../../src/policy/vocabulary';
import { codedFailure } from './auth-fixtures';

const PARTNER = '0b5c1f2e-6d1a-4c8e-9f3b-2a7d4e6c8b10';
const CUSTOMER = '5e2a9c41-7b3d-4f60-8a1e-c93d2b7f4a05';
const GRANT = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

const staff = (...roles: Extract<Principal, { kind: 'staff' }>['roles']): Principal => ({ kind: 'staff', subject: 's', roles });
const thirdParty = (grantPurpose: Purpose): Principal => ({
  kind: 'third_party',
  subject: 't',
  partnerId: PARTNER,
  grantId: GRANT,
  customerId: CUSTOMER,
  categories: ['order.status'],
  grantPurpose,
});

/** Design §3, written out rather than derived from the vocabulary, so a drift in either shows here. */
const PRINCIPALS: ReadonlyArray<[string, Principal, readonly Purpose[]]> = [
  ['logistics_partner', { kind: 'logistics_partner', subject: 'l', partnerId: PARTNER }, ['fulfillment']],
  ['payment_provider', { kind: 'payment_provider', subject: 'p', partnerId: PARTNER }, ['payment_settlement']],
  ['platform_operator', { kind: 'platform_operator', subject: 'o', partnerId: PARTNER }, ['platform_operation']],
  ['customer', { kind: 'customer', subject: 'c', customerId: CUSTOMER }, ['after_sales', 'data_subject_request']],
  ['third_party', thirdParty('authorized_sharing'), ['authorized_sharing']],
  ['staff:customer_service', staff('customer_service'), ['fulfillment', 'after_sales', 'data_subject_request']],
  ['staff:fulfillment', staff('fulfillment'), ['fulfillment']],
  ['staff:fraud_analyst', staff('fraud_analyst'), ['fraud_prevention']],
  ['staff:data_analyst', staff('data_analyst'), ['analytics']],
  ['staff:compliance_officer', staff('compliance_officer'), ['legal_compliance', 'data_subject_request']],
  ['staff:storefront', staff('storefront'), ['analytics']],
];

const MATRIX = PRINCIPALS.flatMap(([name, principal, allowed]) =>
  PURPOSES.map((purpose) => [name, purpose, allowed.includes(purpose) ? 'allowed' : 'FORBIDDEN', principal] as const),
);

describe('choosePurpose', () => {
  describe.each(MATRIX)('%s declaring %s', (_, purpose, outcome, principal) => {
    const expectOutcome = async (tokenPurposes: readonly Purpose[], header: string | undefined): Promise<void> => {
      if (outcome === 'allowed') {
        expect(choosePurpose(principal, tokenPurposes, header)).toBe(purpose);
      } else {
        const { code, message } = await codedFailure(() => choosePurpose(principal, tokenPurposes, header));
        expect(code).toBe('FORBIDDEN');
        expect(message).toMatch(new RegExp(`^Purpose ${purpose} is not allowed for `));
      }
    };
    const other: Purpose = purpose === 'analytics' ? 'fulfillment' : 'analytics';

    it(`is ${outcome} in X-Purpose`, () => expectOutcome([purpose, other], purpose));
    it(`is ${outcome} when the header is omitted and it is the token's only purpose`, () => expectOutcome([purpose], undefined));
    it('asks for X-Purpose when the header is omitted and the token has several purposes', async () => {
      expect(await codedFailure(() => choosePurpose(principal, [purpose, other], undefined))).toEqual({
        code: 'BAD_USER_INPUT',
        message: `This token carries several purposes: send the X-Purpose header with one of ${purpose}, ${other}`,
      });
    });
  });

  it.each([
    ['an unknown purpose', 'marketing'],
    ['a purpose in the wrong case', 'Fulfillment'],
    ['two purposes joined (the header sent twice)', 'fulfillment, after_sales'],
    ['an empty value', ''],
  ])('answers BAD_USER_INPUT, listing what is accepted, for %s', async (_, header) => {
    expect(await codedFailure(() => choosePurpose(staff('customer_service'), ['fulfillment', 'after_sales'], header))).toEqual({
      code: 'BAD_USER_INPUT',
      message: `X-Purpose: expected one of ${PURPOSES.join(', ')} (this token may declare fulfillment, after_sales), got ${JSON.stringify(header)}`,
    });
  });

  it('answers FORBIDDEN for a purpose allowed to the principal but not in its token', async () => {
    expect(await codedFailure(() => choosePurpose(staff('customer_service'), ['fulfillment'], 'after_sales'))).toEqual({
      code: 'FORBIDDEN',
      message: "Purpose after_sales is not among this token's purposes (fulfillment)",
    });
  });

  it('allows staff a purpose of any one of their roles', () => {
    const principal = staff('fulfillment', 'fraud_analyst');
    expect(choosePurpose(principal, ['fulfillment', 'fraud_prevention'], 'fraud_prevention')).toBe('fraud_prevention');
    expect(choosePurpose(principal, ['fulfillment', 'fraud_prevention'], 'fulfillment')).toBe('fulfillment');
    expect(allowedPurposes(principal)).toEqual(['fulfillment', 'fraud_prevention']);
  });

  it("refuses a third party any purpose but its grant's", async () => {
    // A grant recorded for another purpose (e.g. analytics) lets its grantee declare nothing.
    const principal = thirdParty('analytics');
    expect(await codedFailure(() => choosePurpose(principal, ['authorized_sharing'], undefined))).toEqual({
      code: 'FORBIDDEN',
      message: `Purpose authorized_sharing is not the purpose of consent grant ${GRANT} (analytics)`,
    });
    expect(await codedFailure(() => choosePurpose(principal, ['analytics'], 'analytics'))).toEqual({
      code: 'FORBIDDEN',
      message: 'Purpose analytics is not allowed for a third_party (allowed: authorized_sharing)',
    });
    expect(allowedPurposes(principal)).toEqual([]);
  });
});
