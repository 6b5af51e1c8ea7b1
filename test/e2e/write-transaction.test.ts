/**
 * Write and record together: a mutation's writes and its audit event commit in one
 * transaction. Every mutation of the schema is tried with the audit log refusing its event
 * (the insert of the event, of its seal, or the COMMIT itself failing): the caller gets the
 * masked 500 and nothing the mutation wrote stays. A write that fails leaves an event that says
 * so, never one claiming success; one mutation field that fails undoes its own writes only.
 */
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Caller } from '../../src/policy/principal';
import { verifyAuditLog } from '../../src/audit/verify';
import { createDataSource } from '../../src/data-source';
import { codeHash } from '../../src/domains/privacy-requests/identity-codes';
import { DEV_PRIVACY_SECRET } from '../../src/platform/config';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { INTERNAL_ERROR_MESSAGE } from '../../src/platform/error-format';
import type { Gateway } from '../../src/server';
import { uploaderOf } from '../../src/domains/after-sales/attachment.service';
import { callers, eventCount, lastEvent, run } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { dataDigest } from '../harness/erasure-fixture';
import { createTestGateway } from '../harness/gateway';

/** The code the prepared privacy requests were given (hashed under the development secret the test gateway uses). */
const KNOWN_CODE = '246810';
const WITHHELD = { status: 500, errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
const [carrierA] = DEMO_IDS.logisticsPartners;
const [providerA] = DEMO_IDS.paymentProviders;

/** Runs `work` while a trigger refuses rows of `table`; `deferred` makes it refuse at COMMIT instead. */
async function withRefusal<T>(ds: DataSource, table: string, work: () => Promise<T>, deferred = false): Promise<T> {
  await ds.query(`CREATE FUNCTION test_refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused (test)'; END $$`);
  await ds.query(
    deferred
      ? `CREATE CONSTRAINT TRIGGER test_refuse_row AFTER INSERT ON ${table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse_row()`
      : `CREATE TRIGGER test_refuse_row BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION test_refuse_row()`,
  );
  try {
    return await work();
  } finally {
    await ds.query(`DROP TRIGGER test_refuse_row ON ${table}; DROP FUNCTION test_refuse_row()`);
  }
}

interface MutationCase {
  caller: Caller;
  query: string;
  /** Fresh input each time: every call writes something new. */
  variables: () => Record<string, unknown>;
  /** The X-Legal-Case reference a legal_compliance write serves. */
  legalCase?: string;
}

describe('a mutation and its audit event commit together', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let shipmentId: string;
  let otherShipmentId: string;
  let orderId: string;
  let currency: string;
  let caseId: string;
  /** Grants in force for withdrawConsent to withdraw, one per call. */
  let grants: string[] = [];
  /** The customer's pending uploads for attachCaseUpload to attach, one per call. */
  let uploads: string[] = [];
  /** Legal holds in force for releaseLegalHold to release, one per call. */
  let holds: string[] = [];
  /** Privacy requests in the state each rights mutation needs, one per call. */
  const requests: Record<string, string[]> = {};
  let customers: string[] = [];
  let accessRequest: string;
  /** Provider A's webhook endpoints: one to rotate, the others for disableWebhookEndpoint, one per call. */
  let rotatedEndpoint: string;
  let endpoints: string[] = [];
  /** Dead deliveries for redeliverWebhook, one per call. */
  let deliveries: string[] = [];
  let n = 0;
  const next = () => ++n;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway } = await createTestGateway(db));
    [{ id: shipmentId }, { id: otherShipmentId }] = await db.dataSource.query(
      `SELECT id FROM shipment WHERE logistics_partner_id = $1 AND status = 'in_transit' ORDER BY id LIMIT 2`,
      [carrierA],
    );
    // An order whose checkout assigned provider A: A may report on it.
    [{ id: orderId, currency }] = await db.dataSource.query(`SELECT id, currency FROM "order" WHERE payment_provider_id = $1 ORDER BY order_number LIMIT 1`, [providerA]);
    [{ id: caseId }] = await db.dataSource.query(`SELECT id FROM after_sales_case WHERE customer_id = $1 AND status <> 'closed' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    grants = (
      await db.dataSource.query(
        `INSERT INTO consent_grant (customer_id, grantee_partner_id, categories, purpose, granted_at, expires_at)
         SELECT $1, $2, '{order.status}', 'authorized_sharing', now(), now() + interval '30 days' FROM generate_series(1, 40) RETURNING id`,
        [DEMO_IDS.demoCustomer, DEMO_IDS.thirdParty],
      )
    ).map((r: { id: string }) => r.id);
    uploads = (
      await db.dataSource.query(
        `INSERT INTO attachment_upload (id, case_id, uploader, kind, content_type, size_bytes, sha256, storage_key, uploaded_at, expires_at)
         SELECT u.id, $1::uuid, $2, 'document', 'application/pdf', 100, repeat('c', 64), 'after-sales/' || $1::text || '/' || u.id, now(), now() + interval '1 day'
           FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 40)) u RETURNING id`,
        [caseId, uploaderOf(callers.customer(DEMO_IDS.demoCustomer).principal)],
      )
    ).map((r: { id: string }) => r.id);
    holds = (
      await db.dataSource.query(
        `INSERT INTO legal_hold (scope, customer_id, reason, case_reference, placed_by, placed_at)
         SELECT 'customer', $1, 'tx test', 'LIT-TX', 'officer', now() FROM generate_series(1, 40) RETURNING id`,
        [DEMO_IDS.demoCustomer],
      )
    ).map((r: { id: string }) => r.id);
    customers = (await db.dataSource.query(`SELECT id FROM customer WHERE status = 'active' ORDER BY id DESC LIMIT 40`)).map((r: { id: string }) => r.id);
    const prepare = async (type: string, status: string): Promise<string[]> =>
      (
        await db.dataSource.query(
          `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at)
           SELECT c.id, $1::privacy_request_type, $2::privacy_request_status, now(),
                  CASE WHEN $2 <> 'received' THEN now() END, CASE WHEN $2 <> 'received' THEN now() + interval '3 days' END, CASE WHEN $2 = 'completed' THEN now() END
             FROM (SELECT id FROM customer WHERE status = 'active' ORDER BY id LIMIT 20) c RETURNING id`,
          [type, status],
        )
      ).map((r: { id: string }) => r.id);
    requests.verify = await prepare('objection', 'received');
    for (const id of requests.verify) {
      await db.dataSource.query(`INSERT INTO privacy_request_code (request_id, code_hash, issued_at, expires_at, attempts_left) VALUES ($1, $2, now(), now() + interval '15 minutes', 5)`, [
        id,
        codeHash(DEV_PRIVACY_SECRET, id, KNOWN_CODE),
      ]);
    }
    requests.resend = await prepare('access', 'received');
    requests.reject = await prepare('erasure', 'received');
    requests.rectify = await prepare('rectification', 'identity_verified');
    requests.assign = await prepare('erasure', 'identity_verified');
    requests.complete = await prepare('objection', 'identity_verified');
    [rotatedEndpoint, ...endpoints] = (
      await db.dataSource.query(
        `INSERT INTO webhook_endpoint (partner_id, url, purpose, sealed_secret, created_at)
         SELECT $1, 'https://tx-test.example/hook', 'payment_settlement', '\\x00', now() FROM generate_series(1, 41) RETURNING id`,
        [providerA],
      )
    ).map((r: { id: string }) => r.id);
    deliveries = (
      await db.dataSource.query(
        `INSERT INTO webhook_delivery (event_id, endpoint_id, partner_id, event_type, resource_id, occurred_at, tx_id, status, next_attempt_at)
         SELECT gen_random_uuid(), $1, $2, 'payment_verification.changed', gen_random_uuid(), now(), g, 'dead', now() FROM generate_series(1, 40) g RETURNING id`,
        [rotatedEndpoint, providerA],
      )
    ).map((r: { id: string }) => r.id);
    [{ id: accessRequest }] = await db.dataSource.query(
      `INSERT INTO privacy_request (customer_id, type, status, received_at, verified_at, due_at, completed_at) VALUES ($1, 'access', 'completed', now(), now(), now(), now()) RETURNING id`,
      [DEMO_IDS.demoCustomer],
    );
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  const scan = (i: number) => ({ eventId: `tx-test-${i}`, occurredAt: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString(), location: `Hub ${i}`, description: 'sorted' });

  const CASES: Record<string, MutationCase> = {
    recordShipmentEvents: {
      caller: callers.logistics(carrierA),
      query: `mutation($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id events { location } } }`,
      variables: () => ({ input: { shipmentId, events: [scan(next()), scan(next())] } }),
    },
    recordShipmentTracking: {
      caller: callers.logistics(carrierA),
      query: `mutation($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { trackingNumber } }`,
      variables: () => ({ input: { shipmentId, trackingNumber: `TX-TRACK-${next()}` } }),
    },
    recordPaymentResult: {
      caller: callers.payment(providerA),
      query: `mutation($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { providerReference amount } }`,
      variables: () => ({ input: { orderId, providerReference: `tx-ref-${next()}`, method: 'WALLET', amount: '10.00', currency, status: 'AUTHORIZED' } }),
    },
    openAfterSalesCase: {
      caller: callers.customer(DEMO_IDS.demoCustomer),
      query: `mutation($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id subject } }`,
      variables: () => ({ input: { type: 'CONSULTATION', subject: `question ${next()}`, message: 'hello' } }),
    },
    postCaseMessage: {
      caller: callers.customer(DEMO_IDS.demoCustomer),
      query: `mutation($input: PostCaseMessageInput!) { postCaseMessage(input: $input) { body } }`,
      variables: () => ({ input: { caseId, body: `message ${next()}` } }),
    },
    attachCaseUpload: {
      caller: callers.customer(DEMO_IDS.demoCustomer),
      query: `mutation($input: AttachCaseUploadInput!) { attachCaseUpload(input: $input) { id sha256 } }`,
      variables: () => ({ input: { uploadId: uploads.pop() } }),
    },
    updateAfterSalesCase: {
      caller: callers.staff(['customer_service'], 'after_sales'),
      query: `mutation($input: UpdateCaseInput!) { updateAfterSalesCase(input: $input) { status } }`,
      variables: () => ({ input: { caseId, status: next() % 2 === 0 ? 'OPEN' : 'WAITING_ON_CUSTOMER' } }),
    },
    addCaseRecord: {
      caller: callers.staff(['customer_service'], 'after_sales'),
      query: `mutation($input: AddCaseRecordInput!) { addCaseRecord(input: $input) { action } }`,
      variables: () => ({ input: { caseId, action: `step_${next()}` } }),
    },
    ingestBehaviorEvents: {
      caller: callers.staff(['storefront'], 'analytics'),
      query: `mutation($input: IngestBehaviorEventsInput!) { ingestBehaviorEvents(input: $input) { accepted } }`,
      variables: () => ({
        input: { events: [{ visitorId: `v-${next()}`, ip: '198.51.100.7', userAgent: 'Mozilla/5.0', page: '/p', dwellMs: 10, clicks: 1, occurredAt: new Date().toISOString(), analyticsConsent: true }] },
      }),
    },
    grantConsent: {
      caller: callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request'),
      query: `mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id categories } }`,
      variables: () => ({ input: { granteeId: DEMO_IDS.thirdParty, categories: ['order.status'], expiresAt: new Date(Date.now() + (next() + 1) * 86400_000).toISOString() } }),
    },
    withdrawConsent: {
      caller: callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request'),
      query: `mutation($input: WithdrawConsentInput!) { withdrawConsent(input: $input) { withdrawnAt } }`,
      variables: () => ({ input: { grantId: grants.pop() } }),
    },
    placeLegalHold: {
      caller: callers.staff(['compliance_officer'], 'legal_compliance'),
      query: `mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { id caseReference } }`,
      variables: () => ({ input: { scope: 'CUSTOMER', customerId: DEMO_IDS.demoCustomer, reason: `tx test ${next()}` } }),
      legalCase: 'LIT-TX',
    },
    releaseLegalHold: {
      caller: callers.staff(['compliance_officer'], 'legal_compliance'),
      query: `mutation($input: ReleaseLegalHoldInput!) { releaseLegalHold(input: $input) { releasedAt } }`,
      variables: () => ({ input: { holdId: holds.pop() } }),
      legalCase: 'LIT-TX',
    },
    submitPrivacyRequest: {
      caller: callers.staff(['customer_service'], 'data_subject_request'),
      query: `mutation($input: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $input) { id status } }`,
      variables: () => ({ input: { type: 'ACCESS', customerId: customers.pop() } }),
    },
    verifyPrivacyRequest: {
      caller: callers.staff(['customer_service'], 'data_subject_request'),
      query: `mutation($input: VerifyPrivacyRequestInput!) { verifyPrivacyRequest(input: $input) { status } }`,
      variables: () => ({ input: { requestId: requests.verify.pop(), code: KNOWN_CODE } }),
    },
    resendPrivacyRequestCode: {
      caller: callers.staff(['customer_service'], 'data_subject_request'),
      query: `mutation($id: ID!) { resendPrivacyRequestCode(input: { requestId: $id }) { status } }`,
      variables: () => ({ id: requests.resend.pop() }),
    },
    rectifyPersonalData: {
      caller: callers.staff(['customer_service'], 'data_subject_request'),
      query: `mutation($input: RectifyPersonalDataInput!) { rectifyPersonalData(input: $input) { status } }`,
      variables: () => ({ input: { requestId: requests.rectify.pop(), account: { accountName: `Corrected ${next()}` } } }),
    },
    createPrivacyExportLink: {
      caller: callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request'),
      query: `mutation($id: ID!) { createPrivacyExportLink(input: { requestId: $id }) { expiresAt } }`,
      variables: () => ({ id: accessRequest }),
    },
    assignPrivacyRequest: {
      caller: callers.staff(['compliance_officer'], 'data_subject_request'),
      query: `mutation($id: ID!) { assignPrivacyRequest(input: { requestId: $id }) { status } }`,
      variables: () => ({ id: requests.assign.pop() }),
    },
    completePrivacyRequest: {
      caller: callers.staff(['compliance_officer'], 'data_subject_request'),
      query: `mutation($id: ID!) { completePrivacyRequest(input: { requestId: $id }) { status } }`,
      variables: () => ({ id: requests.complete.pop() }),
    },
    rejectPrivacyRequest: {
      caller: callers.staff(['compliance_officer'], 'data_subject_request'),
      query: `mutation($input: RejectPrivacyRequestInput!) { rejectPrivacyRequest(input: $input) { status } }`,
      variables: () => ({ input: { requestId: requests.reject.pop(), reason: `not ours ${next()}` } }),
    },
    verifyAuditLog: {
      caller: callers.staff(['compliance_officer'], 'legal_compliance'),
      query: `mutation { verifyAuditLog { intact } }`,
      variables: () => ({}),
    },
    recordPreferenceChoices: {
      caller: callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request'),
      query: `mutation($input: RecordPreferenceChoicesInput!) { recordPreferenceChoices(input: $input) { accepted current { category granted } } }`,
      variables: () => ({ input: { choices: [{ category: 'ANALYTICS', granted: next() % 2 === 0 }] } }),
    },
    registerWebhookEndpoint: {
      caller: callers.logistics(carrierA),
      query: `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { secret endpoint { url } } }`,
      variables: () => ({ input: { url: `https://tx-${next()}.example/hook` } }),
    },
    rotateWebhookSecret: {
      caller: callers.payment(providerA),
      query: `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { secret endpoint { secretRotatedAt } } }`,
      variables: () => ({ input: { endpointId: rotatedEndpoint, graceHours: next() % 24 } }),
    },
    disableWebhookEndpoint: {
      caller: callers.payment(providerA),
      query: `mutation($input: DisableWebhookEndpointInput!) { disableWebhookEndpoint(input: $input) { disabledAt } }`,
      variables: () => ({ input: { endpointId: endpoints.pop() } }),
    },
    redeliverWebhook: {
      caller: callers.payment(providerA),
      query: `mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { status attempts } }`,
      variables: () => ({ input: { deliveryId: deliveries.pop() } }),
    },
  };

  it('has a case for every mutation of the schema', async () => {
    const schema = await buildGatewaySchema();
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(schema.getMutationType()!.getFields()).sort());
  });

  describe.each(Object.keys(CASES))('%s', (name) => {
    const c = () => CASES[name]!;

    it.each([
      ['the insert of its event fails', 'audit_event', false],
      ['the insert of its seal fails', 'audit_seal', false],
      ['the COMMIT fails', 'audit_event', true],
    ] as const)('when %s: the masked 500, and nothing it wrote stays', async (_label, table, deferred) => {
      const before = await dataDigest(db.dataSource);
      const events = await eventCount(db.dataSource);
      const r = await withRefusal(db.dataSource, table, () => run(gateway, c().query, c().caller, c().variables(), c().legalCase), deferred);
      expect(r).toEqual(WITHHELD);
      expect(await dataDigest(db.dataSource)).toEqual(before);
      expect(await eventCount(db.dataSource)).toBe(events);
    });

    it('when the log works: the write and its event, together', async () => {
      const before = await dataDigest(db.dataSource);
      const r = await run(gateway, c().query, c().caller, c().variables(), c().legalCase);
      expect([r.status, r.errors]).toEqual([200, undefined]);
      expect(await dataDigest(db.dataSource)).not.toEqual(before);
      const event = await lastEvent(db.dataSource);
      expect({ operationType: event.operationType, outcome: event.outcome, errorCodes: event.errorCodes }).toEqual({ operationType: 'mutation', outcome: 'ok', errorCodes: [] });
    });
  });

  it('a write that fails is answered with the masked error, writes nothing, and its event says error', async () => {
    const before = await dataDigest(db.dataSource);
    const r = await withRefusal(db.dataSource, 'shipment_event', () => run(gateway, CASES.recordShipmentEvents!.query, CASES.recordShipmentEvents!.caller, CASES.recordShipmentEvents!.variables()));
    expect(r).toEqual({ status: 500, data: null, errors: [{ message: INTERNAL_ERROR_MESSAGE, path: ['recordShipmentEvents'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    expect(await dataDigest(db.dataSource)).toEqual(before);
    const event = await lastEvent(db.dataSource);
    expect({ operationType: event.operationType, outcome: event.outcome, errorCodes: event.errorCodes, disclosed: event.disclosed }).toEqual({
      operationType: 'mutation',
      outcome: 'error',
      errorCodes: ['INTERNAL_SERVER_ERROR'],
      disclosed: [],
    });
  });

  it('one field of a mutation that fails undoes its own writes only; the event records both', async () => {
    const count = async (id: string) => Number((await db.dataSource.query(`SELECT count(*) n FROM shipment_event WHERE shipment_id = $1`, [id]))[0].n);
    const [first, second] = [await count(shipmentId), await count(otherShipmentId)];
    const r = await run(
      gateway,
      `mutation($a: RecordShipmentEventsInput!, $b: RecordShipmentEventsInput!) {
        a: recordShipmentEvents(input: $a) { id }
        b: recordShipmentEvents(input: $b) { id }
      }`,
      CASES.recordShipmentEvents!.caller,
      // b repeats an event id of its batch with another time: refused, after a's scans were written.
      { a: { shipmentId, events: [scan(next())] }, b: { shipmentId: otherShipmentId, events: [scan(900), { ...scan(901), eventId: scan(900).eventId }] } },
    );
    expect(r.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['b'], 'BAD_USER_INPUT']]);
    expect([await count(shipmentId), await count(otherShipmentId)]).toEqual([first + 1, second]);
    const event = await lastEvent(db.dataSource);
    expect({ outcome: event.outcome, errorCodes: event.errorCodes }).toEqual({ outcome: 'error', errorCodes: ['BAD_USER_INPUT'] });
  });

  it('every mutation completes on a pool of one connection: a request holding its transaction never waits for a second', async () => {
    const single = createDataSource({ url: db.url, poolSize: 1 });
    await single.initialize();
    const { gateway: narrow } = await createTestGateway({ ...db, dataSource: single });
    try {
      for (const c of Object.values(CASES)) {
        const r = await run(narrow, c.query, c.caller, c.variables(), c.legalCase);
        expect([r.status, r.errors]).toEqual([200, undefined]);
      }
    } finally {
      await narrow.stop();
      await single.destroy();
    }
  }, 60_000);

  it('concurrent mutations and reads keep one seal chain, and no connection stays checked out', async () => {
    const events = await eventCount(db.dataSource);
    const manifest = `{ shipments(first: 5) { nodes { trackingNumber order { orderNumber } } } }`;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const c = CASES[Object.keys(CASES)[i % Object.keys(CASES).length]!]!;
        return i % 2 === 0 ? run(gateway, c.query, c.caller, c.variables(), c.legalCase) : run(gateway, manifest, callers.logistics(carrierA));
      }),
    );
    expect(responses.map((r) => [r.status, r.errors])).toEqual(responses.map(() => [200, undefined]));
    expect(await eventCount(db.dataSource)).toBe(events + 20);
    const result = await verifyAuditLog(db.dataSource);
    expect({ intact: result.intact, problems: result.problems }).toEqual({ intact: true, problems: [] });
    const pool = (db.dataSource.driver as unknown as { master: Pool }).master;
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });
});
