/**
 * Side doors of writes, as an outside tester tries them: each write given an id of a row outside
 * its caller's scope — as its target, or as a row it links to (an address to correct, an order
 * to re-address, a grant to withdraw, an upload to attach) — and the same write given an id that
 * does not exist. The two must be indistinguishable: the same response (code and message), the
 * same audit event, the same SQL statements, and nothing written by either.
 *
 * The writes of test/e2e/write-scope.test.ts (shipments, payments, cases, consent) are tried
 * there for every row of the matrix; these are the others that name a row by id: privacy
 * requests, webhook endpoints and deliveries, uploads, and the links of rectification and
 * consent withdrawal; and rows an erasure kept and restricted, which are outside every scope
 * but a compliance officer's on a legal case. Which rows are outside the scope is read here in SQL from the design's
 * words (a customer's own rows; a partner's own endpoints and deliveries).
 */
import type { Caller } from '../../src/policy/principal';
import { countSql } from '../../src/platform/sql-counter';
import { codeHash } from '../../src/domains/privacy-requests/identity-codes';
import { DEV_PRIVACY_SECRET } from '../../src/platform/config';
import { uploaderOf } from '../../src/domains/after-sales/attachment.service';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { callers, lastEvent } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createErasureFixture, dataDigest } from '../harness/erasure-fixture';
import { insertPrivacyRequest } from '../harness/privacy-request-fixture';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import type { Gateway } from '../../src/server';

const RANDOM_ID = '9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a';
const CODE = '135790';
const [providerA, providerB] = DEMO_IDS.paymentProviders;
const [carrierA] = DEMO_IDS.logisticsPartners;
const customerDsr = callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request');
const customerAfterSales = callers.customer(DEMO_IDS.demoCustomer, 'after_sales');

interface WriteCase {
  /** The message of the NOT_FOUND both answer. */
  missing: string;
  caller: Caller;
  query: string;
  /** The input naming `id` where the row outside the scope, or the missing one, goes. */
  input: (id: string) => Record<string, unknown>;
  /** A row of the table `input` names that the caller may not reach. */
  foreign: () => string;
}

describe('side doors of writes: a row outside the scope answers as a row that does not exist', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller, v?: Record<string, unknown>) => Promise<ExecuteResult>;
  /** Rows of another customer, another provider; and the demo customer's own verified rectification request. */
  const other: Record<string, string> = {};
  let ownRectification: string;
  const q = <T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
    const [b] = await q<{ id: string }>(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    other.customer = b.id;
    const request = (customer: string, type: string, status: string) => insertPrivacyRequest(db.dataSource, customer, type, status);
    other.received = await request(b.id, 'objection', 'received');
    await q(`INSERT INTO privacy_request_code (request_id, code_hash, issued_at, expires_at, attempts_left) VALUES ($1, $2, now(), now() + interval '15 minutes', 5)`, [
      other.received,
      codeHash(DEV_PRIVACY_SECRET, other.received, CODE),
    ]);
    other.rectification = await request(b.id, 'rectification', 'identity_verified');
    other.access = await request(b.id, 'access', 'completed');
    ownRectification = await request(DEMO_IDS.demoCustomer, 'rectification', 'identity_verified');
    [{ id: other.address }] = await q(`SELECT id FROM address WHERE customer_id = $1 ORDER BY id LIMIT 1`, [b.id]);
    [{ id: other.order }] = await q(`SELECT id FROM "order" WHERE customer_id <> $1 AND status IN ('paid', 'packed') ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    [{ id: other.grant }] = await q(
      `INSERT INTO consent_grant (customer_id, grantee_partner_id, categories, purpose, granted_at, expires_at)
       VALUES ($1, $2, '{order.status}', 'authorized_sharing', now(), now() + interval '30 days') RETURNING id`,
      [b.id, DEMO_IDS.thirdParty],
    );
    [{ id: other.endpoint }] = await q(
      `INSERT INTO webhook_endpoint (partner_id, url, purpose, sealed_secret, created_at) VALUES ($1, 'https://provider-b.example/hook', 'payment_settlement', '\\x00', now()) RETURNING id`,
      [providerB],
    );
    [{ id: other.delivery }] = await q(
      `INSERT INTO webhook_delivery (event_id, endpoint_id, partner_id, event_type, resource_id, occurred_at, tx_id, status, next_attempt_at)
       VALUES (gen_random_uuid(), $1, $2, 'payment_verification.changed', gen_random_uuid(), now(), 1, 'dead', now()) RETURNING id`,
      [other.endpoint, providerB],
    );
    const [theirCase] = await q<{ id: string }>(`SELECT id FROM after_sales_case WHERE customer_id <> $1 AND status <> 'closed' ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    const [{ customer_id: caseCustomer }] = await q(`SELECT customer_id FROM after_sales_case WHERE id = $1`, [theirCase.id]);
    [{ id: other.upload }] = await q(
      `INSERT INTO attachment_upload (id, case_id, uploader, kind, content_type, size_bytes, sha256, storage_key, uploaded_at, expires_at)
       VALUES (gen_random_uuid(), $1::uuid, $2, 'document', 'application/pdf', 100, repeat('c', 64), 'after-sales/' || $1::text || '/upload', now(), now() + interval '1 day') RETURNING id`,
      [theirCase.id, uploaderOf(callers.customer(caseCustomer).principal)],
    );
    // A customer erased a week after an order shipped: the order, its shipment and payment kept and restricted.
    const erased = await createErasureFixture(db.dataSource);
    await db.dataSource.transaction((em) => eraseCustomer(em, erased.customerId, new Date()));
    other.erasedCustomer = erased.customerId;
    [{ id: other.restrictedOrder, currency: other.restrictedCurrency }] = await q(`SELECT id, currency FROM "order" WHERE id = $1 AND restricted_at IS NOT NULL`, [erased.openOrder]);
    [{ id: other.restrictedShipment }] = await q(`SELECT id FROM shipment WHERE order_id = $1 AND logistics_partner_id = $2 AND restricted_at IS NOT NULL`, [erased.openOrder, carrierA]);
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    await db?.drop();
  });

  const shipping = { recipientName: 'R. Ecipient', line1: '1 New Street', city: 'Lyon', postalCode: '69001', country: 'FR', phone: '+33100000009' };

  const CASES: Record<string, WriteCase> = {
    "a customer verifies another customer's request": {
      missing: 'Privacy request not found',
      caller: customerDsr,
      query: `mutation($input: VerifyPrivacyRequestInput!) { verifyPrivacyRequest(input: $input) { id status } }`,
      input: (id) => ({ requestId: id, code: CODE }),
      foreign: () => other.received,
    },
    "a customer asks for a new code for another customer's request": {
      missing: 'Privacy request not found',
      caller: customerDsr,
      query: `mutation($input: PrivacyRequestIdInput!) { resendPrivacyRequestCode(input: $input) { id } }`,
      input: (id) => ({ requestId: id }),
      foreign: () => other.received,
    },
    "a customer rectifies through another customer's request": {
      missing: 'Privacy request not found',
      caller: customerDsr,
      query: `mutation($input: RectifyPersonalDataInput!) { rectifyPersonalData(input: $input) { id status } }`,
      input: (id) => ({ requestId: id, account: { accountName: 'Someone Else' } }),
      foreign: () => other.rectification,
    },
    "a customer asks for the export link of another customer's request": {
      missing: 'Privacy request not found',
      caller: customerDsr,
      query: `mutation($input: PrivacyRequestIdInput!) { createPrivacyExportLink(input: $input) { url expiresAt } }`,
      input: (id) => ({ requestId: id }),
      foreign: () => other.access,
    },
    "a customer's rectification names another customer's address": {
      missing: 'Address not found',
      caller: customerDsr,
      query: `mutation($input: RectifyPersonalDataInput!) { rectifyPersonalData(input: $input) { id status } }`,
      input: (id) => ({ requestId: ownRectification, addresses: [{ id, fields: { city: 'Nantes' } }] }),
      foreign: () => other.address,
    },
    "a customer's rectification re-addresses another customer's order": {
      missing: 'Order not found',
      caller: customerDsr,
      query: `mutation($input: RectifyPersonalDataInput!) { rectifyPersonalData(input: $input) { id status } }`,
      input: (id) => ({ requestId: ownRectification, orderShipping: { orderIds: [id], address: shipping } }),
      foreign: () => other.order,
    },
    "a customer's withdrawal request names another customer's grant": {
      missing: 'Consent grant not found',
      caller: customerDsr,
      query: `mutation($input: SubmitPrivacyRequestInput!) { submitPrivacyRequest(input: $input) { id } }`,
      input: (id) => ({ type: 'WITHDRAW_CONSENT', grantIds: [id] }),
      foreign: () => other.grant,
    },
    "a customer attaches an upload to another customer's case": {
      missing: 'Upload not found',
      caller: customerAfterSales,
      query: `mutation($input: AttachCaseUploadInput!) { attachCaseUpload(input: $input) { id } }`,
      input: (id) => ({ uploadId: id }),
      foreign: () => other.upload,
    },
    "a provider disables another provider's endpoint": {
      missing: 'Webhook endpoint not found',
      caller: callers.payment(providerA),
      query: `mutation($input: DisableWebhookEndpointInput!) { disableWebhookEndpoint(input: $input) { id disabledAt } }`,
      input: (id) => ({ endpointId: id }),
      foreign: () => other.endpoint,
    },
    "a provider rotates another provider's secret": {
      missing: 'Webhook endpoint not found',
      caller: callers.payment(providerA),
      query: `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { secret } }`,
      input: (id) => ({ endpointId: id, graceHours: 1 }),
      foreign: () => other.endpoint,
    },
    "a provider redelivers another provider's delivery": {
      missing: 'Webhook delivery not found',
      caller: callers.payment(providerA),
      query: `mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { id status } }`,
      input: (id) => ({ deliveryId: id }),
      foreign: () => other.delivery,
    },
    "a carrier records tracking on its shipment of an order an erasure kept and restricted": {
      missing: 'Shipment not found',
      caller: callers.logistics(carrierA),
      query: `mutation($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { id } }`,
      input: (id) => ({ shipmentId: id, trackingNumber: 'SD-RESTRICTED-1' }),
      foreign: () => other.restrictedShipment,
    },
    "a provider records a result on its order an erasure kept and restricted": {
      missing: 'Order not found',
      caller: callers.payment(providerA),
      query: `mutation($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id } }`,
      input: (id) => ({ orderId: id, providerReference: 'sd-restricted-1', method: 'WALLET', amount: '1.00', currency: other.restrictedCurrency, status: 'AUTHORIZED' }),
      foreign: () => other.restrictedOrder,
    },
    "customer service opens a case on an order an erasure kept and restricted": {
      missing: 'Order not found',
      caller: callers.staff(['customer_service'], 'after_sales'),
      query: `mutation($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id } }`,
      input: (id) => ({ customerId: other.erasedCustomer, orderId: id, type: 'COMPLAINT', subject: 'Parcel', message: 'Where is it?' }),
      foreign: () => other.restrictedOrder,
    },
  };

  describe("a write answers only what its caller may read", () => {
    // [who, caller, the write with a field below it the caller's row denies, its input, the denied coordinate, where its error stands]
    const cases: Array<[string, Caller, string, () => Promise<Record<string, unknown>>, string, Array<string | number>]> = [
      [
        "customer service's new case, with the settlement reference of the order's payments (not theirs to see)",
        callers.staff(['customer_service'], 'after_sales'),
        `mutation($input: OpenCaseInput!) { openAfterSalesCase(input: $input) { id order { paymentVerifications { settlementBatchRef } } } }`,
        async () => {
          const [order] = await q(`SELECT o.id, o.customer_id FROM "order" o WHERE EXISTS (SELECT 1 FROM payment_verification p WHERE p.order_id = o.id) ORDER BY o.id LIMIT 1`);
          return { customerId: order.customer_id, orderId: order.id, type: 'COMPLAINT', subject: 'Charged twice', message: 'Please check' };
        },
        'PaymentVerification.settlementBatchRef',
        ['openAfterSalesCase', 'order', 'paymentVerifications', 0, 'settlementBatchRef'],
      ],
    ];

    it("a provider's payment result asking for the order's items, outside its contract: refused before the write, nothing written", async () => {
      const [order] = await q(`SELECT id, currency FROM "order" WHERE payment_provider_id = $1 ORDER BY id LIMIT 1`, [providerA]);
      const before = await dataDigest(db.dataSource);
      const r = await execute(`mutation($input: RecordPaymentResultInput!) { recordPaymentResult(input: $input) { id order { items { productName } } } }`, callers.payment(providerA), {
        input: { orderId: order.id, providerReference: 'sd-writes-1', method: 'WALLET', amount: '1.00', currency: order.currency, status: 'AUTHORIZED' },
      });
      expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['GRAPHQL_VALIDATION_FAILED', 'Cannot query field "items" on type "Order".']]);
      expect(await dataDigest(db.dataSource)).toEqual(before);
    });

    it.each(cases)('%s: the write is made, the field is null with its FORBIDDEN, and the audit event names it denied', async (_label, caller, query, input, coordinate, path) => {
      const r = await execute(query, caller, { input: await input() });
      expect(r.errors?.map((e) => [e.extensions?.code, e.message, e.path])).toEqual([['FORBIDDEN', `Not disclosed to this caller for this purpose: ${coordinate}`, path]]);
      let value: unknown = r.data;
      for (const key of path) value = (value as Record<string | number, unknown>)[key];
      expect(value).toBeNull();
      const recorded = await lastEvent(db.dataSource);
      expect(recorded.denied).toContain(coordinate);
      expect(recorded.disclosed).not.toContain(coordinate);
    });
  });

  /** The audit event of the last request, without what differs from one request to the next. */
  const event = async () => {
    const { id: _i, requestId: _r, at: _a, sealId: _s, hash: _h, ...content } = (await lastEvent(db.dataSource)) as unknown as Record<string, unknown>;
    return content;
  };

  it.each(Object.entries(CASES))('%s', async (_label, c) => {
    const before = await dataDigest(db.dataSource);
    const foreign = await countSql(() => execute(c.query, c.caller, { input: c.input(c.foreign()) }));
    const foreignEvent = await event();
    const missing = await countSql(() => execute(c.query, c.caller, { input: c.input(RANDOM_ID) }));
    const missingEvent = await event();

    expect(foreign.result).toEqual(missing.result);
    expect(foreign.sql.statements).toEqual(missing.sql.statements);
    expect(foreignEvent).toEqual(missingEvent);
    expect(await dataDigest(db.dataSource)).toEqual(before);
    // The one answer both get: not found, never data.
    expect(missing.result.data ?? null).toBeNull();
    expect(missing.result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', c.missing]]);
  });
});
