/**
 * Compliance officers read the log through GraphQL under purpose legal_compliance, naming their
 * legal case; nobody else reads it; every filter narrows to what it says; and reading the log is
 * itself audited and flagged.
 */
import { randomUUID } from 'node:crypto';
import { mintDevToken } from '../../src/auth/dev-token';
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import type { Caller } from '../../src/policy/principal';
import { exportSection } from '../../src/privacy/handlers/privacy-export';
import { HANDLERS_BY_TABLE } from '../../src/privacy/handlers/registry';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { callers, lastEvent, run, type Outcome } from './audit-harness';
import { insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';

const [carrierA, carrierB] = DEMO_IDS.logisticsPartners;
const officer = callers.staff(['compliance_officer'], 'legal_compliance');
const CASE = 'LIT-2026-007';
const FIELDS = `id at principalKind principalId partnerId purpose operationType operationName subjectIds disclosed masked denied outcome flagged legalCaseReference detail`;

describe('reading the audit log', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let http: HttpGateway;
  let started: Date;
  /** When the events the filters are checked against had all been written. */
  let written: Date;
  const read = (filter: Record<string, unknown> = {}, page: { first?: number; after?: string; orderBy?: string } = {}, caller: Caller = officer) =>
    run(
      gateway,
      `query Log($first: Int, $after: String, $filter: AuditEventFilter, $orderBy: AuditEventOrder) {
         auditEvents(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } } }`,
      caller,
      // (through JSON, as over HTTP: an absent variable is left out rather than sent as undefined)
      JSON.parse(JSON.stringify({ first: page.first ?? 100, after: page.after, filter, orderBy: page.orderBy })),
      CASE,
    );
  const nodes = (r: Outcome): any[] => r.data!.auditEvents.nodes;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    ({ gateway } = await createTestGateway(db));
    http = await startHttpGateway(db);
    started = new Date();
    const manifest = `{ shipments(first: 3) { nodes { trackingNumber order { orderNumber shippingAddress { recipientName phone } } } } }`;
    await run(gateway, manifest, callers.logistics(carrierA));
    await run(gateway, manifest, callers.logistics(carrierB));
    await run(gateway, `{ paymentVerifications(first: 3) { nodes { amount order { orderNumber } } } }`, callers.payment(DEMO_IDS.paymentProviders[0]));
    await run(gateway, `query Mine { orders(first: 2) { nodes { orderNumber } } }`, callers.customer(DEMO_IDS.demoCustomer));
    await run(gateway, `{ orders(first: 2) { nodes { orderNumber customer { email phone } } } }`, callers.staff(['fraud_analyst'], 'fraud_prevention'));
    const jobs = new AuditLog(db.dataSource);
    await jobs.append({
      requestId: 'retention-2026-11',
      principal: { kind: 'system', id: 'retention-job' },
      purpose: null,
      operationType: AuditOperationType.JOB,
      operationName: 'retention.run',
      outcome: AuditOutcome.OK,
      detail: { orders: 3, anonymized: 2 },
    });
    await jobs.close();
    written = new Date();
  });
  afterAll(async () => {
    await http.close();
    await gateway.stop();
    await db.drop();
  });

  describe('filters', () => {
    it('by subject: the events that disclosed that customer', async () => {
      const all = nodes(await read({ from: started, to: written }));
      const subject = DEMO_IDS.demoCustomer;
      const expected = all.filter((n) => n.subjectIds.includes(subject)).map((n) => n.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(all.length);
      expect(nodes(await read({ subjectId: subject, from: started, to: written })).map((n) => n.id)).toEqual(expected);
    });

    it('by subject, and the subject\'s export: the events holding the customer as their one subject and those naming them in a set', async () => {
      const [alone, other] = [randomUUID(), randomUUID()];
      const log = new AuditLog(db.dataSource);
      // After `written`, so that no other test's window holds them.
      const [inline, inSet] = await Promise.all(
        [[alone], [other, alone], [other]].map((subjectIds, i) =>
          log.append({
            requestId: `subject-forms-${i}`,
            at: new Date(written.getTime() + 3_600_000 + i * 1000),
            principal: { kind: 'staff', id: 'subject-forms', roles: ['customer_service'] },
            purpose: 'after_sales',
            operationType: AuditOperationType.QUERY,
            operationName: 'SubjectForms',
            outcome: AuditOutcome.OK,
            subjectIds,
          }),
        ),
      );
      await log.close();
      expect([inline!.subjectSet, typeof inSet!.subjectSet]).toEqual([null, 'string']);
      // (Exported before the read below: the read's own event names the customer too.)
      const exported = await exportSection(db.dataSource, HANDLERS_BY_TABLE.get('audit_event')!, alone);
      expect(exported.map((r) => r.id)).toEqual([inline!.id, inSet!.id]);
      const found = nodes(await read({ subjectId: alone, from: started }));
      // newest first
      expect(found.map((n) => [n.id, n.subjectIds])).toEqual([
        [inSet!.id, [other, alone].sort()],
        [inline!.id, [alone]],
      ]);
    });

    it('by principal, partner and purpose', async () => {
      const byCarrier = nodes(await read({ partnerId: carrierA, to: written }));
      expect(byCarrier.map((n) => [n.principalKind, n.partnerId, n.purpose])).toEqual([['logistics_partner', carrierA, 'fulfillment']]);
      const byPrincipal = nodes(await read({ principalKind: 'customer', principalId: `customer-${DEMO_IDS.demoCustomer}`, to: written }));
      expect(byPrincipal.map((n) => [n.principalKind, n.operationName])).toEqual([['customer', 'Mine']]);
      const byPurpose = nodes(await read({ purpose: 'payment_settlement', to: written }));
      expect(byPurpose.map((n) => n.principalKind)).toEqual(['payment_provider']);
    });

    it('by coordinate: disclosed, masked or denied', async () => {
      expect(nodes(await read({ coordinate: 'ShippingAddress.phone', to: written })).map((n) => n.partnerId).sort()).toEqual([carrierA, carrierB].sort());
      expect(nodes(await read({ coordinate: 'Customer.email', to: written })).map((n) => n.masked)).toEqual([['Customer.email']]);
      expect(nodes(await read({ coordinate: 'Customer.phone', to: written })).map((n) => n.denied)).toEqual([['Customer.phone']]);
    });

    it('by outcome, flagged reads and legal case', async () => {
      expect(nodes(await read({ outcomes: ['PARTIAL'], to: written })).map((n) => n.principalKind)).toEqual(['staff']);
      await read({ to: written }); // one flagged read, at least, before `until`
      const until = new Date();
      const flagged = nodes(await read({ flaggedOnly: true, to: until }));
      expect(flagged.length).toBeGreaterThan(0);
      expect(flagged.every((n) => n.flagged && n.purpose === 'legal_compliance')).toBe(true);
      expect(nodes(await read({ legalCaseReference: CASE, to: until })).map((n) => n.id)).toEqual(
        flagged.filter((n) => n.legalCaseReference === CASE).map((n) => n.id),
      );
    });

    it('by time, half-open [from, to)', async () => {
      const all = nodes(await read({}, { orderBy: 'AT_ASC' }));
      const middle = all[Math.floor(all.length / 2)];
      const from = nodes(await read({ from: middle.at }, { orderBy: 'AT_ASC' }));
      const to = nodes(await read({ to: middle.at }, { orderBy: 'AT_ASC' }));
      expect(from.every((n) => n.at >= middle.at)).toBe(true);
      expect(to.every((n) => n.at < middle.at)).toBe(true);
      expect(from.length + to.length).toBeGreaterThanOrEqual(all.length);
    });

    it('shows a job with its detail as canonical JSON', async () => {
      expect(nodes(await read({ principalKind: 'system' })).map((n) => [n.operationType, n.operationName, n.detail])).toEqual([
        ['JOB', 'retention.run', '{"anonymized":2,"orders":3}'],
      ]);
    });

    it.each([
      [{ subjectId: 'customer-1' }, 'filter.subjectId: expected a UUID, got "customer-1"'],
      [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'at: the range starts after it ends'],
    ])('refuses %j with BAD_USER_INPUT', async (filter, message) => {
      const r = await read(filter);
      expect(r.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', message]]);
    });
  });

  describe('who may read it', () => {
    it.each<[string, Caller, string, string[]]>([
      ['a compliance officer carrying out a data-subject request', callers.staff(['compliance_officer'], 'data_subject_request'), 'FORBIDDEN', ['Query.auditEvents']],
      ['customer service', callers.staff(['customer_service'], 'after_sales'), 'FORBIDDEN', ['Query.auditEvents']],
      ['a customer', callers.customer(DEMO_IDS.demoCustomer, 'data_subject_request'), 'FORBIDDEN', ['Query.auditEvents']],
      ['a logistics partner (outside its contract)', callers.logistics(carrierA), 'GRAPHQL_VALIDATION_FAILED', []],
    ])('not %s — and the refusal is audited', async (_label, caller, code, denied) => {
      const r = await read({}, {}, caller);
      expect({ codes: [...new Set(r.errors?.map((e) => e.extensions?.code))], data: r.data ?? null }).toEqual({ codes: [code], data: null });
      const event = await lastEvent(db.dataSource);
      expect({ operationName: event.operationName, denied: event.denied, disclosed: event.disclosed, outcome: event.outcome }).toEqual({
        operationName: 'Log',
        denied,
        disclosed: [],
        outcome: code === 'FORBIDDEN' ? 'denied' : 'error',
      });
    });

    it('a compliance officer under legal_compliance, and the read is audited, flagged and names its case', async () => {
      const r = await read({ principalKind: 'logistics_partner', to: written });
      expect(r.errors).toBeUndefined();
      const returned = nodes(r);
      expect(returned.length).toBe(2);
      const event = await lastEvent(db.dataSource);
      expect({
        principalKind: event.principalKind,
        purpose: event.purpose,
        flagged: event.flagged,
        legalCaseReference: event.legalCaseReference,
        subjectIds: event.subjectIds,
        disclosedAuditFields: event.disclosed.every((c) => c.startsWith('AuditEvent.')),
      }).toEqual({
        principalKind: 'staff',
        purpose: 'legal_compliance',
        flagged: true,
        legalCaseReference: CASE,
        // Reading who saw whose data discloses those customers again.
        subjectIds: [...new Set(returned.flatMap((n) => n.subjectIds))].sort(),
        disclosedAuditFields: true,
      });
      expect(event.disclosed).toEqual(expect.arrayContaining(['AuditEvent.principalKind', 'AuditEvent.subjectIds', 'AuditEvent.disclosed']));
    });
  });

  it('pages newest first without gaps or repeats', async () => {
    const until = new Date();
    const all = nodes(await read({ to: until }));
    expect(all.length).toBeGreaterThan(10);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const r = await read({ to: until }, { first: 2, after });
      seen.push(...nodes(r).map((n) => n.id));
      if (!r.data!.auditEvents.pageInfo.hasNextPage) break;
      after = r.data!.auditEvents.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((n) => n.id));
    const times = all.map((n) => n.at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  describe('over HTTP, X-Legal-Case', () => {
    const query = { query: `query Holds { legalHolds { caseReference } }` };
    let token: string;
    beforeAll(async () => {
      token = await mintDevToken({ kind: 'staff', roles: ['compliance_officer'], purposes: ['legal_compliance', 'data_subject_request'] }, http.authConfig);
    });

    it('is required under legal_compliance: refused before execution with BAD_USER_INPUT, and the refusal audited', async () => {
      const r = await http.post(query, { authorization: `Bearer ${token}`, 'x-purpose': 'legal_compliance' });
      expect({ status: r.status, body: r.json }).toEqual({
        status: 400,
        body: {
          errors: [
            {
              message: 'X-Legal-Case: purpose legal_compliance requires the reference of the legal case this read is for',
              extensions: { code: 'BAD_USER_INPUT' },
            },
          ],
        },
      });
      const event = await lastEvent(db.dataSource);
      expect({
        requestId: event.requestId,
        operationType: event.operationType,
        outcome: event.outcome,
        errorCodes: event.errorCodes,
        flagged: event.flagged,
        disclosed: event.disclosed,
      }).toEqual({ requestId: r.headers.get('x-request-id'), operationType: null, outcome: 'denied', errorCodes: ['BAD_USER_INPUT'], flagged: true, disclosed: [] });
    });

    it.each([
      ['longer than 100 characters', 'X'.repeat(101)],
      ['with a character outside printable ASCII', 'LIT-\u00a71'],
      ['with a control character', 'LIT-\u00011'],
    ])('refuses a reference %s', async (_label, reference) => {
      const r = await http.post(query, { authorization: `Bearer ${token}`, 'x-purpose': 'legal_compliance', 'x-legal-case': reference }).catch((e: Error) => ({
        status: 400,
        json: { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] },
        note: e.message, // fetch itself refuses control characters in headers
      }));
      expect({ status: r.status, code: r.json.errors[0].extensions.code }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
    });

    it('is stored on the event of the read it came with', async () => {
      const r = await http.post(query, { authorization: `Bearer ${token}`, 'x-purpose': 'legal_compliance', 'x-legal-case': 'Court ref. 12/2026' });
      expect(r.status).toBe(200);
      const event = await lastEvent(db.dataSource);
      expect({ requestId: event.requestId, operationName: event.operationName, legalCaseReference: event.legalCaseReference, flagged: event.flagged }).toEqual({
        requestId: r.headers.get('x-request-id'),
        operationName: 'Holds',
        legalCaseReference: 'Court ref. 12/2026',
        flagged: true,
      });
    });

    it('is not needed, and not stored, under other purposes', async () => {
      // Under data_subject_request the officer reads the holds of the request's customer (the store-wide list is withheld).
      const ownHolds = { query: `query Holds { customer(id: "${DEMO_IDS.demoCustomer}") { legalHolds { caseReference } } }` };
      const r = await http.post(ownHolds, { authorization: `Bearer ${token}`, 'x-purpose': 'data_subject_request', 'x-legal-case': 'LIT-9', 'x-privacy-request': SERVED_REQUEST });
      expect(r.status).toBe(200);
      const event = await lastEvent(db.dataSource);
      expect({ purpose: event.purpose, legalCaseReference: event.legalCaseReference, privacyRequestReference: event.privacyRequestReference }).toEqual({
        purpose: 'data_subject_request',
        legalCaseReference: null,
        privacyRequestReference: SERVED_REQUEST,
      });
    });
  });
});
