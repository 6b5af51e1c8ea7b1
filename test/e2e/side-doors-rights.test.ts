/**
 * Side doors of the newest surfaces, as an outside tester tries them over HTTP: the writes of
 * data-subject requests sent with an `Idempotency-Key`, the one-time export download link, the
 * refusals of the transport before a request runs, and the lists of the rights work. The rule
 * each test holds them to: a caller cannot tell a row outside its scope from a row that does
 * not exist (by the answer, its status, its replay, or the audit events it leaves), what a
 * response carries is what the caller's view decides now, a secret answered once is never kept,
 * and every disclosure is audited.
 *
 * The core's side doors are tried in side-doors.test.ts, side-doors-compiled.test.ts,
 * side-doors-writes.test.ts (a foreign id and a random one, in process) and idempotency.test.ts
 * (keys on orders and cases); these are the ones those leave out.
 */
import { randomUUID } from 'node:crypto';
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { eventCount } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertPrivacyRequest } from '../harness/privacy-request-fixture';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const RANDOM_ID = '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f';
const EXPORT_LINK = `mutation($input: PrivacyRequestIdInput!) { createPrivacyExportLink(input: $input) { url expiresAt } }`;
const VERIFY = `mutation($input: VerifyPrivacyRequestInput!) { verifyPrivacyRequest(input: $input) { id status } }`;

/** What differs on every request whatever it asks: its id, its date, the requests left in the window. */
const PER_REQUEST = ['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset'];

/** What an answer shows its caller, without what differs on every request. */
function shown(r: { status: number; headers: Headers; text: string }) {
  const headers: Record<string, string> = {};
  r.headers.forEach((value, name) => {
    if (!PER_REQUEST.includes(name)) headers[name] = value;
  });
  return { status: r.status, headers, body: r.text };
}

describe('side doors of the rights work, over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let otherCustomer: string;
  /** Completed access requests: the demo customer's own, and another customer's. */
  let ownAccess: string;
  let theirAccess: string;
  /** A request of the other customer's waiting for its code. */
  let theirReceived: string;
  const key = () => `key-${randomUUID()}`;
  const q = <T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const bearer = async (options: DevTokenOptions) => ({ authorization: `Bearer ${await mintDevToken(options, gw.authConfig)}` });
  const customer = (customerId: string = DEMO_IDS.demoCustomer) => bearer({ kind: 'customer', customerId, purposes: ['data_subject_request'] });
  const officer = async (requestId: string, roles: NonNullable<DevTokenOptions['roles']> = ['compliance_officer']) => ({
    ...(await bearer({ kind: 'staff', subject: 'officer-sd', roles, purposes: ['data_subject_request'] })),
    'x-purpose': 'data_subject_request',
    'x-privacy-request': requestId,
  });

  const request = (customerId: string, type: string, status: string) => insertPrivacyRequest(db.dataSource, customerId, type, status);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    [{ id: otherCustomer }] = await q(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    ownAccess = await request(DEMO_IDS.demoCustomer, 'access', 'completed');
    theirAccess = await request(otherCustomer, 'access', 'completed');
    theirReceived = await request(otherCustomer, 'objection', 'received');
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  describe('privacy-request writes with an Idempotency-Key', () => {
    it('createPrivacyExportLink refuses a key, as every write answering a secret does: a one-time link is never kept, not even sealed', async () => {
      const links = async () => Number((await q(`SELECT count(*) n FROM privacy_export_link`))[0].n);
      const records = async () => Number((await q(`SELECT count(*) n FROM idempotency_record`))[0].n);
      const linksBefore = await links();
      const k = key();
      const refused = await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: ownAccess } } }, { ...(await customer()), 'idempotency-key': k });
      expect({ status: refused.status, errors: refused.json.errors.map((e: any) => [e.extensions.code, e.message]) }).toEqual({
        status: 400,
        errors: [['BAD_USER_INPUT', 'Idempotency-Key: not accepted by writes that answer a one-time download link, which is never kept; send it without one']],
      });
      expect(await links()).toBe(linksBefore);
      // What the key keeps is the refusal, and the same key again answers the refusal, never a link.
      const again = await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: ownAccess } } }, { ...(await customer()), 'idempotency-key': k });
      expect([again.status, again.text]).toEqual([400, refused.text]);
      expect(await links()).toBe(linksBefore);
      // The refusal comes before the request is looked up: another customer's request and none at all answer it alike.
      const keyed = async (id: string) => shown(await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: id } } }, { ...(await customer()), 'idempotency-key': key() }));
      const foreign = await keyed(theirAccess);
      const missing = await keyed(RANDOM_ID);
      expect(foreign).toEqual(missing);
      expect(foreign).toEqual(shown(refused));
      const recordsAfterRefusals = await records();
      // Without a key the link is answered, once, and kept nowhere but in the answer.
      const answered = await gw.post({ query: EXPORT_LINK, variables: { input: { requestId: ownAccess } } }, await customer());
      expect([answered.status, answered.json.data.createPrivacyExportLink.url]).toEqual([200, expect.stringMatching(/\/privacy-exports\/[A-Za-z0-9_-]{43}$/)]);
      expect([await links(), await records()]).toEqual([linksBefore + 1, recordsAfterRefusals]);
    });

    it("a key's first answer is not replayed to its principal under a narrower view: a role taken away since does not leave what it showed readable", async () => {
      const [{ id: customerId, email }] = await q(`SELECT id, email FROM customer WHERE status = 'active' AND id NOT IN ($1, $2) ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer, otherCustomer]);
      const submit = { query: `mutation($input: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $input) { id customer { email } } }`, variables: { input: { type: 'OBJECTION', customerId } } };
      const as = async (roles: NonNullable<DevTokenOptions['roles']>) => ({
        ...(await bearer({ kind: 'staff', subject: 'agent-two-roles', roles, purposes: ['data_subject_request'] })),
        'x-purpose': 'data_subject_request',
        'x-privacy-request': 'PR-SD-1',
      });
      const k = key();
      // As customer service and compliance officer: the officer's row sees the email in the clear.
      const first = await gw.post(submit, { ...(await as(['customer_service', 'compliance_officer'])), 'idempotency-key': k });
      expect([first.status, first.json.errors, first.json.data.submitPrivacyRequest.customer.email]).toEqual([200, undefined, email]);
      // The same person, the same key and request, now in customer service only, whose row sees the email masked.
      const replay = await gw.post(submit, { ...(await as(['customer_service'])), 'idempotency-key': k });
      expect(replay.text).not.toContain(email);
      expect({ status: replay.status, codes: replay.json.errors.map((e: any) => e.extensions.code), data: replay.json.data }).toEqual({ status: 422, codes: ['IDEMPOTENCY_KEY_REUSED'], data: undefined });
      expect(replay.json.errors[0].message).toMatch(/^Idempotency-Key: the first response to this key was answered under other permissions than this request's/);
      // Not run again either: one request, the first one's.
      expect(await q(`SELECT id FROM privacy_request WHERE customer_id = $1`, [customerId])).toEqual([{ id: first.json.data.submitPrivacyRequest.id }]);
      // Under the permissions that answered it, it is replayed as before.
      const again = await gw.post(submit, { ...(await as(['compliance_officer', 'customer_service'])), 'idempotency-key': k });
      expect([again.status, again.text, again.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    });
  });
});
