/**
 * Legal holds over GraphQL: a compliance officer places them (customer or order scope) for the
 * legal case of X-Legal-Case and releases them; both are audited with the held customer as
 * subject; nobody else may; an id outside the scope is NOT_FOUND and writes nothing.
 */
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { callers, lastEvent, run } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';

const officer = callers.staff(['compliance_officer'], 'legal_compliance');
const CASE = 'LIT-2026-042';
const HOLD = `id scope reason caseReference placedBy placedAt releasedAt releasedBy customer { id } order { id }`;
const PLACE = `mutation Place($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { ${HOLD} } }`;
const RELEASE = `mutation Release($input: ReleaseLegalHoldInput!) { releaseLegalHold(input: $input) { ${HOLD} } }`;

describe('legal holds', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let orderId: string;
  let orderCustomer: string;
  const holds = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM legal_hold`))[0].n as number;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    ({ gateway } = await createTestGateway(db));
    [{ id: orderId, customer_id: orderCustomer }] = await db.dataSource.query(`SELECT id, customer_id FROM "order" WHERE customer_id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('a compliance officer places a hold on a customer, for the case of the request, and the audit log records it', async () => {
    const r = await run(gateway, PLACE, officer, { input: { scope: 'CUSTOMER', customerId: DEMO_IDS.demoCustomer, reason: 'Court order 12/2026' } }, CASE);
    expect(r.errors).toBeUndefined();
    expect(r.data!.placeLegalHold).toEqual(
      expect.objectContaining({ scope: 'CUSTOMER', reason: 'Court order 12/2026', caseReference: CASE, placedBy: 'staff-compliance_officer', releasedAt: null, customer: { id: DEMO_IDS.demoCustomer }, order: null }),
    );
    const event = await lastEvent(db.dataSource);
    expect({ operationName: event.operationName, subjectIds: event.subjectIds, legalCaseReference: event.legalCaseReference, outcome: event.outcome }).toEqual({
      operationName: 'Place',
      subjectIds: [DEMO_IDS.demoCustomer],
      legalCaseReference: CASE,
      outcome: 'ok',
    });
  });

  it('places a hold on one order, naming the order and no customer; its customer is the subject', async () => {
    const r = await run(gateway, PLACE, officer, { input: { scope: 'ORDER', orderId, reason: 'Fraud inquiry' } }, CASE);
    expect(r.data!.placeLegalHold).toEqual(expect.objectContaining({ scope: 'ORDER', customer: null, order: { id: orderId } }));
    expect((await lastEvent(db.dataSource)).subjectIds).toEqual([orderCustomer]);
  });

  it('releases a hold once: who and when are recorded, a second release answers it as it is', async () => {
    const placed = await run(gateway, PLACE, officer, { input: { scope: 'ORDER', orderId, reason: 'Short inquiry' } }, CASE);
    const id = placed.data!.placeLegalHold.id;
    const first = await run(gateway, RELEASE, officer, { input: { holdId: id } }, CASE);
    expect(first.data!.releaseLegalHold).toEqual(expect.objectContaining({ id, releasedBy: 'staff-compliance_officer', releasedAt: expect.any(String) }));
    expect((await lastEvent(db.dataSource)).subjectIds).toEqual([orderCustomer]);
    const second = await run(gateway, RELEASE, officer, { input: { holdId: id } }, CASE);
    expect(second.data!.releaseLegalHold.releasedAt).toBe(first.data!.releaseLegalHold.releasedAt);
    const active = await run(gateway, `{ legalHolds { id } }`, officer, undefined, CASE);
    expect(active.data!.legalHolds.map((h: { id: string }) => h.id)).not.toContain(id);
  });

  it('answers NOT_FOUND for a customer, order or hold that does not exist, and writes nothing', async () => {
    const count = await holds();
    const missing = '5b0f8a7e-0000-4000-8000-00000000dead';
    for (const [query, input] of [
      [PLACE, { scope: 'CUSTOMER', customerId: missing, reason: 'x' }],
      [PLACE, { scope: 'ORDER', orderId: missing, reason: 'x' }],
      [RELEASE, { holdId: missing }],
    ] as const) {
      const r = await run(gateway, query, officer, { input }, CASE);
      expect(r.errors!.map((e) => e.extensions!.code)).toEqual(['NOT_FOUND']);
    }
    expect(await holds()).toBe(count);
  });

  it('refuses a scope that does not match the id given', async () => {
    const r = await run(gateway, PLACE, officer, { input: { scope: 'CUSTOMER', orderId, reason: 'x' } }, CASE);
    expect(r.errors!.map((e) => [e.extensions!.code, e.message])).toEqual([['BAD_USER_INPUT', 'input: scope CUSTOMER names a customerId and no orderId']]);
  });

  it('shows compliance officers the retention schedule of an order, and refuses it to customer service', async () => {
    const [row] = await db.dataSource.query(`SELECT id, retain_until FROM "order" WHERE retain_until IS NOT NULL ORDER BY id LIMIT 1`);
    const query = `{ order(id: "${row.id}") { retainUntil retentionAppliedAt } }`;
    const compliance = await run(gateway, query, officer, undefined, CASE);
    expect(compliance.data!.order).toEqual({ retainUntil: row.retain_until.toISOString(), retentionAppliedAt: null });
    const service = await run(gateway, query, callers.staff(['customer_service'], 'after_sales'));
    expect(service.data!.order).toEqual({ retainUntil: null, retentionAppliedAt: null });
    expect(service.errors!.map((e) => [e.extensions!.code, e.path])).toEqual([
      ['FORBIDDEN', ['order', 'retainUntil']],
      ['FORBIDDEN', ['order', 'retentionAppliedAt']],
    ]);
  });

  it.each([
    ['customer service', callers.staff(['customer_service'], 'after_sales')],
    ['a compliance officer on a data-subject request', callers.staff(['compliance_officer'], 'data_subject_request')],
    ['the customer', callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request')],
  ])('is forbidden to %s, and writes nothing', async (_who, caller) => {
    const count = await holds();
    const r = await gateway.execute(PLACE, caller, { input: { scope: 'CUSTOMER', customerId: DEMO_IDS.demoCustomer, reason: 'x' } }, { privacyRequestReference: SERVED_REQUEST });
    const body = r.body.kind === 'single' ? r.body.singleResult : undefined;
    expect(body?.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(await holds()).toBe(count);
  });
});
