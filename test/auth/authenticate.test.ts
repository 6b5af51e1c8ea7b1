/**
 * The whole identity layer against a real database: development tokens for every principal kind
 * (and every staff role), every purpose declared, omitted with one token purpose, and omitted
 * with several.
 */
import type { DataSource } from 'typeorm';
import { createAuthenticator, type Authenticate } from '../../src/auth/authenticate';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { createPrincipalResolver } from '../../src/auth/principal-resolver';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { PURPOSES, type Purpose } from '../../src/policy/vocabulary';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { authFailure, bearer, codedFailure, devConfig, insertCustomer, insertGrant, insertPartner } from './auth-fixtures';

const config = devConfig();
let db: TestDatabase;
let ds: DataSource;
let authenticate: Authenticate;
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  ds = db.dataSource;
  ids.logistics = await insertPartner(ds, 'logistics');
  ids.payment = await insertPartner(ds, 'payment');
  ids.platform = await insertPartner(ds, 'platform');
  ids.thirdParty = await insertPartner(ds, 'third_party');
  ids.customer = await insertCustomer(ds);
  ids.grant = await insertGrant(ds, { customerId: ids.customer, partnerId: ids.thirdParty });
  authenticate = createAuthenticator({ verifier: createTokenVerifier(config), resolver: createPrincipalResolver(ds) });
});

afterAll(async () => {
  await db?.drop();
});

type Who = Omit<DevTokenOptions, 'purposes'>;

/** Design §3: who may declare what. Written out, not derived from the vocabulary under test. */
const CALLERS: ReadonlyArray<[string, () => Who, readonly Purpose[]]> = [
  ['logistics_partner', () => ({ kind: 'logistics_partner', partnerId: ids.logistics }), ['fulfillment']],
  ['payment_provider', () => ({ kind: 'payment_provider', partnerId: ids.payment }), ['payment_settlement']],
  ['platform_operator', () => ({ kind: 'platform_operator', partnerId: ids.platform }), ['platform_operation']],
  ['customer', () => ({ kind: 'customer', customerId: ids.customer }), ['after_sales', 'data_subject_request']],
  ['third_party', () => ({ kind: 'third_party', partnerId: ids.thirdParty, grantId: ids.grant }), ['authorized_sharing']],
  ['staff:customer_service', () => ({ kind: 'staff', roles: ['customer_service'] }), ['fulfillment', 'after_sales', 'data_subject_request']],
  ['staff:fulfillment', () => ({ kind: 'staff', roles: ['fulfillment'] }), ['fulfillment']],
  ['staff:fraud_analyst', () => ({ kind: 'staff', roles: ['fraud_analyst'] }), ['fraud_prevention']],
  ['staff:data_analyst', () => ({ kind: 'staff', roles: ['data_analyst'] }), ['analytics']],
  ['staff:compliance_officer', () => ({ kind: 'staff', roles: ['compliance_officer'] }), ['legal_compliance', 'data_subject_request']],
  ['staff:storefront', () => ({ kind: 'staff', roles: ['storefront'] }), ['analytics']],
];

const MATRIX = CALLERS.flatMap(([name, who, allowed]) =>
  PURPOSES.map((purpose) => [name, purpose, allowed.includes(purpose) ? 'allowed' : 'FORBIDDEN', who] as const),
);

describe('authenticate: every principal × purpose', () => {
  describe.each(MATRIX)('%s declaring %s', (_, purpose, outcome, who) => {
    const other: Purpose = purpose === 'analytics' ? 'fulfillment' : 'analytics';
    const check = async (tokenPurposes: Purpose[], header: string | undefined): Promise<void> => {
      const token = await mintDevToken({ ...who(), purposes: tokenPurposes }, config);
      const headers = { authorization: bearer(token), ...(header !== undefined && { 'x-purpose': header }) };
      if (outcome === 'allowed') {
        const caller = await authenticate(headers);
        expect(caller.purpose).toBe(purpose);
        expect(caller.principal.kind).toBe(who().kind);
      } else {
        expect((await codedFailure(() => authenticate(headers))).code).toBe('FORBIDDEN');
      }
    };

    it(`is ${outcome} with X-Purpose`, () => check([purpose, other], purpose));
    it(`is ${outcome} without X-Purpose when it is the token's only purpose`, () => check([purpose], undefined));
    it('is BAD_USER_INPUT without X-Purpose when the token has several purposes', async () => {
      const token = await mintDevToken({ ...who(), purposes: [purpose, other] }, config);
      expect(await codedFailure(() => authenticate({ authorization: bearer(token) }))).toEqual({
        code: 'BAD_USER_INPUT',
        message: `This token carries several purposes: send the X-Purpose header with one of ${purpose}, ${other}`,
      });
    });
  });
});

describe('authenticate', () => {
  it('returns the principal resolved from the database and the declared purpose', async () => {
    const token = await mintDevToken({ kind: 'third_party', partnerId: ids.thirdParty, grantId: ids.grant, purposes: ['authorized_sharing'] }, config);
    await expect(authenticate({ authorization: bearer(token) })).resolves.toEqual({
      principal: {
        kind: 'third_party',
        subject: 'third_party-dev',
        partnerId: ids.thirdParty,
        grantId: ids.grant,
        customerId: ids.customer,
        categories: ['order.status', 'order.reference'],
        grantPurpose: 'authorized_sharing',
      },
      purpose: 'authorized_sharing',
    });
  });

  it('refuses a bad token with UNAUTHENTICATED before looking at the purpose', async () => {
    const error = await authFailure(() => authenticate({ authorization: 'Bearer a.b.c', 'x-purpose': 'nonsense' }));
    expect(error.reason).toMatch(/^ERR_JWS_INVALID/);
  });

  it('refuses a well-signed token for a principal that does not exist with UNAUTHENTICATED', async () => {
    const token = await mintDevToken({ kind: 'customer', customerId: '00000000-0000-4000-8000-000000000000', purposes: ['after_sales'] }, config);
    const error = await authFailure(() => authenticate({ authorization: bearer(token), 'x-purpose': 'after_sales' }));
    expect(error.reason).toMatch(/no such customer$/);
  });

  it('answers BAD_USER_INPUT for X-Purpose sent as several values', async () => {
    const token = await mintDevToken({ kind: 'customer', customerId: ids.customer, purposes: ['after_sales'] }, config);
    expect(await codedFailure(() => authenticate({ authorization: bearer(token), 'x-purpose': ['after_sales', 'after_sales'] }))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'X-Purpose: expected the header once, got it 2 times',
    });
  });
});
