/**
 * An erasure racing a write about the same customer: the write found the customer active before
 * the erasure committed, and reaches the database while the erasure holds the customer. Whatever
 * it would add about them — a case and its first message, a message on a case the erasure keeps
 * restricted, a consent grant, a corrected email — must not outlive the erasure: the write waits for it, then is
 * refused as a write about a customer that does not exist, and adds nothing. And a grantor's
 * erasure ends their grants: the third party is refused as under a grant that never existed.
 */
import { mintDevToken } from '../../src/auth/dev-token';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { insertPrivacyRequest } from '../harness/privacy-request-fixture';

const OPEN_CASE = `mutation($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id } }`;
const POST_MESSAGE = `mutation($input: PostCaseMessageInput!) { postCaseMessage(input: $input) { id } }`;
const RECTIFY = `mutation($input: RectifyPersonalDataInput!) { rectifyPersonalData(input: $input) { id status } }`;
const GRANT = `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }`;
const RECORD_CHOICE = `mutation($input: RecordPreferenceChoicesInput!) { recordPreferenceChoices(input: $input) { accepted } }`;

describe('an erasure racing a write about the same customer', () => {
  let db: TestDatabase;
  let gw: HttpGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  /** Whether some session of this database waits for a lock. */
  const someoneWaits = async () =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n > 0;

  /**
   * Begins erasing `customerId` and holds it uncommitted; runs `write` (found the customer active:
   * the erasure has not committed) until it waits for the erasure, or has answered without waiting;
   * then commits the erasure and answers what the write came to.
   */
  async function raceWithErasure(customerId: string, write: () => Promise<{ json: any }>) {
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await eraseCustomer(runner.manager, customerId, new Date());
      const answer = write();
      let answered = false;
      void answer.finally(() => (answered = true)).catch(() => undefined);
      // Until it waits for the erasure, or (not waiting) has answered already.
      const deadline = Date.now() + 10_000;
      while (!answered && !(await someoneWaits())) {
        if (Date.now() > deadline) throw new Error('the write neither waited nor answered');
        await new Promise((r) => setTimeout(r, 25));
      }
      await runner.commitTransaction();
      return (await answer).json;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it("customer service opening a case for the customer: refused as for a customer that does not exist, and no case is left", async () => {
    const [{ id: customer }] = await db.dataSource.query(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    const agent = await mintDevToken({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'], subject: 'agent-race' }, gw.authConfig);
    const before: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM after_sales_case WHERE customer_id = $1`, [customer]);
    const answer = await raceWithErasure(customer, () =>
      gw.post({ query: OPEN_CASE, variables: { input: { customerId: customer, type: 'CONSULTATION', subject: 'Where is my parcel', message: 'Please call me at +44 20 7946 0000' } } }, { authorization: `Bearer ${agent}`, 'x-purpose': 'after_sales' }),
    );
    expect(answer.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['NOT_FOUND']);
    const after: Array<{ id: string }> = await db.dataSource.query(`SELECT id FROM after_sales_case WHERE customer_id = $1`, [customer]);
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).filter((id) => after.some((a) => a.id === id)).sort());
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM case_message m JOIN after_sales_case c ON c.id = m.case_id WHERE c.customer_id = $1 AND m.body LIKE '%7946%'`, [customer])).toEqual([{ n: 0 }]);
  });

  it('the customer posting a message on a case the erasure keeps restricted: refused, and no message is added', async () => {
    // An open case is inside its retention window: the erasure keeps it, restricted.
    const [{ id: caseId, customer_id: customer }] = await db.dataSource.query(
      `SELECT c.id, c.customer_id FROM after_sales_case c JOIN customer u ON u.id = c.customer_id WHERE u.status = 'active' AND c.status = 'open' ORDER BY c.id LIMIT 1`,
    );
    const token = await mintDevToken({ kind: 'customer', customerId: customer, purposes: ['after_sales'] }, gw.authConfig);
    const messages = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM case_message WHERE case_id = $1`, [caseId]))[0].n;
    const before = await messages();
    const answer = await raceWithErasure(customer, () => gw.post({ query: POST_MESSAGE, variables: { input: { caseId, body: 'My new address is 1 Other Street' } } }, { authorization: `Bearer ${token}`, 'x-purpose': 'after_sales' }));
    expect(answer.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['NOT_FOUND']);
    expect(await messages()).toBe(before);
  });

  it("the customer's verified rectification correcting their email: refused, and the erased account holds no address again", async () => {
    const [{ id: customer }] = await db.dataSource.query(
      `SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id DESC OFFSET 1 LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    );
    const requestId = await insertPrivacyRequest(db.dataSource, customer, 'rectification', 'identity_verified');
    const token = await mintDevToken({ kind: 'customer', customerId: customer, purposes: ['data_subject_request'] }, gw.authConfig);
    const corrected = `new-address-${customer.slice(0, 8)}@mail.example`;
    const answer = await raceWithErasure(customer, () =>
      gw.post({ query: RECTIFY, variables: { input: { requestId, account: { email: corrected } } } }, { authorization: `Bearer ${token}`, 'x-purpose': 'data_subject_request' }),
    );
    expect(answer.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['NOT_FOUND']);
    const [row] = await db.dataSource.query(`SELECT status, email FROM customer WHERE id = $1`, [customer]);
    expect(row.status).toBe('erased');
    expect(row.email).not.toBe(corrected);
  });

  it('the customer granting a third party consent: refused, and no grant is in force for the erased customer', async () => {
    const [{ id: customer }] = await db.dataSource.query(
      `SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id DESC LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    );
    const token = await mintDevToken({ kind: 'customer', customerId: customer, purposes: ['data_subject_request'] }, gw.authConfig);
    const expiresAt = new Date(Date.now() + 7 * 86400_000).toISOString();
    const answer = await raceWithErasure(customer, () =>
      gw.post({ query: GRANT, variables: { input: { granteeId: DEMO_IDS.thirdParty, categories: ['contact.email'], expiresAt } } }, { authorization: `Bearer ${token}`, 'x-purpose': 'data_subject_request' }),
    );
    expect(answer.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['NOT_FOUND']);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM consent_grant WHERE customer_id = $1 AND withdrawn_at IS NULL`, [customer])).toEqual([{ n: 0 }]);
  });

  it("the storefront recording a signed-in customer's cookie choice: answered as for a customer that does not exist (accepted, nothing written), never NOT_FOUND", async () => {
    const [{ id: customer }] = await db.dataSource.query(
      `SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id DESC OFFSET 2 LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    );
    const storefront = await mintDevToken({ kind: 'staff', roles: ['storefront'], purposes: ['analytics'], subject: 'storefront-race' }, gw.authConfig);
    const record = (customerId: string) =>
      gw.post(
        { query: RECORD_CHOICE, variables: { input: { customerId, choices: [{ category: 'ANALYTICS', granted: true }, { category: 'PREFERENCES', granted: false }] } } },
        { authorization: `Bearer ${storefront}`, 'x-purpose': 'analytics' },
      );
    const choices = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM preference_consent WHERE customer_id = $1`, [customer]))[0].n;
    const before = await choices();
    const raced = await raceWithErasure(customer, () => record(customer));
    // What a customer id that never existed is answered: the erasure is not the storefront's to learn.
    const nobody = (await record('0c4a1e6b-7d2f-4e8a-9b3c-5d6e7f8a9b0c')).json;
    expect(nobody).toEqual({ data: { recordPreferenceChoices: { accepted: 2 } } });
    expect(raced).toEqual(nobody);
    expect(await choices()).toBeLessThanOrEqual(before);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM preference_consent WHERE customer_id = $1 AND recorded_via = 'storefront' AND restricted_at IS NULL`, [customer])).toEqual([{ n: 0 }]);
  });

  it("erasing a customer who granted a third party consent ends the grant: the third party's next request is refused as one under a grant that never existed", async () => {
    const [{ id: customer }] = await db.dataSource.query(
      `SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id OFFSET 2 LIMIT 1`,
      [DEMO_IDS.demoCustomer],
    );
    const token = await mintDevToken({ kind: 'customer', customerId: customer, purposes: ['data_subject_request'] }, gw.authConfig);
    const expiresAt = new Date(Date.now() + 7 * 86400_000).toISOString();
    const granted = await gw.post({ query: GRANT, variables: { input: { granteeId: DEMO_IDS.thirdParty, categories: ['identity.account_name'], expiresAt } } }, { authorization: `Bearer ${token}`, 'x-purpose': 'data_subject_request' });
    const grantId: string = granted.json.data.grantConsent.id;
    const asThirdParty = async (grant: string) => {
      const bearer = await mintDevToken({ kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: grant, purposes: ['authorized_sharing'] }, gw.authConfig);
      const r = await gw.post({ query: `query($id: ID!) { customer(id: $id) { accountName } }`, variables: { id: customer } }, { authorization: `Bearer ${bearer}` });
      return { status: r.status, body: r.json };
    };
    expect((await asThirdParty(grantId)).status).toBe(200);

    await db.dataSource.transaction((em) => eraseCustomer(em, customer, new Date()));
    const refused = await asThirdParty(grantId);
    expect(refused).toEqual(await asThirdParty('0c4a1e6b-7d2f-4e8a-9b3c-5d6e7f8a9b0c'));
    expect(refused.status).toBe(401);
    expect((await db.dataSource.query(`SELECT withdrawn_at IS NOT NULL AS withdrawn FROM consent_grant WHERE id = $1`, [grantId]))[0].withdrawn).toBe(true);
  });
});
