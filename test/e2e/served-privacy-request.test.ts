/**
 * X-Privacy-Request names the privacy request a read serves, and its audit event records it: the
 * request must be one the caller's row scope reads (a customer their own, a compliance officer or
 * customer service any that exists). Another customer's request and one that does not exist are
 * refused with the same answer and the same audit event, before anything runs; a value that is
 * not a request id is refused as malformed.
 */
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { lastEvent } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { insertPrivacyRequest } from '../harness/privacy-request-fixture';

const RANDOM_ID = '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const CUSTOMER = DEMO_IDS.demoCustomer;
/** A read every caller below may make under data_subject_request: a customer reads their own account, staff a customer. */
const OWN_ACCOUNT = `{ customer(id: "${CUSTOMER}") { id accountName } }`;
const REFUSAL = {
  status: 400,
  body: {
    errors: [
      { message: 'X-Privacy-Request: no privacy request with this id within your reach; send the id of the request this read serves', extensions: { code: 'BAD_USER_INPUT' } },
    ],
  },
};

describe('the privacy request a read serves', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let otherCustomer: string;
  let ours: string;
  let theirs: string;
  const token = (options: DevTokenOptions) => mintDevToken(options, gw.authConfig);
  const customer = () => token({ kind: 'customer', customerId: CUSTOMER, purposes: ['data_subject_request'] });
  const officer = () => token({ kind: 'staff', subject: 'officer-dsr', roles: ['compliance_officer'], purposes: ['data_subject_request'] });
  const agent = () => token({ kind: 'staff', subject: 'agent-dsr', roles: ['customer_service'], purposes: ['data_subject_request'] });
  const read = async (bearer: string, reference: string) => {
    const r = await gw.post({ query: OWN_ACCOUNT }, { authorization: `Bearer ${bearer}`, 'x-purpose': 'data_subject_request', 'x-privacy-request': reference });
    return { status: r.status, body: r.json, requestId: r.headers.get('x-request-id') };
  };
  /** The audit event of the last request, without what differs between any two requests. */
  const lastEventShape = async () => {
    const { id: _i, requestId: _r, at: _a, hash: _h, sealId: _s, ...rest } = (await lastEvent(db.dataSource)) as unknown as Record<string, unknown>;
    return rest;
  };
  const rowsOfRequests = () => db.dataSource.query(`SELECT id, customer_id, status FROM privacy_request ORDER BY id`);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    [{ id: otherCustomer }] = await db.dataSource.query(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id LIMIT 1`, [CUSTOMER]);
    ours = await insertPrivacyRequest(db.dataSource, CUSTOMER, 'access', 'identity_verified');
    theirs = await insertPrivacyRequest(db.dataSource, otherCustomer, 'access', 'identity_verified');
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  it("lets a customer name their own request, and records it on the read's audit event", async () => {
    const r = await read(await customer(), ours);
    expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: { data: { customer: { id: CUSTOMER, accountName: expect.any(String) } } } });
    expect(await lastEvent(db.dataSource)).toMatchObject({ requestId: r.requestId, privacyRequestReference: ours, flagged: true, outcome: 'ok' });
  });

  it("refuses a customer naming another customer's request exactly as one that does not exist, and records neither", async () => {
    const bearer = await customer();
    const before = await rowsOfRequests();
    const foreign = await read(bearer, theirs);
    const foreignEvent = await lastEventShape();
    const missing = await read(bearer, RANDOM_ID);
    const missingEvent = await lastEventShape();
    expect({ status: foreign.status, body: foreign.body }).toEqual(REFUSAL);
    expect({ status: missing.status, body: missing.body }).toEqual(REFUSAL);
    expect(foreignEvent).toEqual(missingEvent);
    expect(foreignEvent).toMatchObject({ principalKind: 'customer', outcome: 'denied', errorCodes: ['BAD_USER_INPUT'], privacyRequestReference: null, disclosed: [], subjectIds: [] });
    expect(await rowsOfRequests()).toEqual(before);
  });

  it('refuses the upper-case spelling of another customer\'s request id as it refuses that id', async () => {
    expect(await read(await customer(), theirs.toUpperCase())).toMatchObject(REFUSAL);
  });

  it.each([
    ['a compliance officer', officer],
    ['customer service', agent],
  ])("lets %s name any customer's request, and refuses one that does not exist", async (_who, bearerOf) => {
    const bearer = await bearerOf();
    const named = await read(bearer, theirs);
    expect(named.status).toBe(200);
    expect(await lastEvent(db.dataSource)).toMatchObject({ requestId: named.requestId, privacyRequestReference: theirs, flagged: true, outcome: 'ok' });
    const missing = await read(bearer, RANDOM_ID);
    expect({ status: missing.status, body: missing.body }).toEqual(REFUSAL);
    expect(await lastEvent(db.dataSource)).toMatchObject({ requestId: missing.requestId, outcome: 'denied', errorCodes: ['BAD_USER_INPUT'], privacyRequestReference: null });
  });

  it('refuses a reference that is not a request id as malformed, before any look-up', async () => {
    const r = await read(await officer(), 'PR-2026-0042');
    expect({ status: r.status, body: r.body }).toEqual({
      status: 400,
      body: { errors: [{ message: 'X-Privacy-Request: expected the id of a privacy request (a UUID), got 12 characters', extensions: { code: 'BAD_USER_INPUT' } }] },
    });
  });
});
