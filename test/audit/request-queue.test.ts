/**
 * A compliance officer under data_subject_request names the privacy request every read serves
 * (X-Privacy-Request) — except the read of the queue itself, which picks that request: the
 * matrix row lets the queue's coordinates be read without a reference (MatrixRow.serves
 * .unreferenced), and nothing else. Over HTTP, since the reference is a header.
 */
import { createHash } from 'node:crypto';
import { parse, type GraphQLSchema } from 'graphql';
import { readsOnlyUnreferenced } from '../../src/audit/served-request';
import { mintDevToken } from '../../src/auth/dev-token';
import { admissionVisits } from '../../src/platform/documents';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import { PolicyEngine } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { callers, eventCount, lastEvent } from './audit-harness';
import { insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';

const MISSING = {
  message: 'X-Privacy-Request: purpose data_subject_request requires the reference of the privacy request this read is for',
  extensions: { code: 'BAD_USER_INPUT' },
};
const QUEUE_FIELDS = 'id type status receivedAt verifiedAt dueAt overdue handler openedVia customer { id }';
const QUEUE = `query PrivacyRequestQueue { privacyRequests(first: 100) { nodes { ${QUEUE_FIELDS} } pageInfo { hasNextPage endCursor } } }`;

describe('the data-subject request queue under data_subject_request', () => {
  let db: TestDatabase;
  let http: HttpGateway;
  let officer: Record<string, string>;
  /** Every privacy request as stored, oldest first: what the queue is compared with. */
  let stored: Array<{ id: string; customer_id: string; type: string }>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    http = await startHttpGateway(db);
    const token = await mintDevToken({ kind: 'staff', roles: ['compliance_officer'], purposes: ['data_subject_request'] }, http.authConfig);
    officer = { authorization: `Bearer ${token}`, 'x-purpose': 'data_subject_request' };
    stored = await db.dataSource.query(`SELECT id, customer_id, type FROM privacy_request ORDER BY id`);
  });
  afterAll(async () => {
    await http.close();
    await db.drop();
  });

  /** A read without X-Privacy-Request must be refused before it runs, the refusal audited and flagged. */
  async function expectRefused(query: string, variables: Record<string, unknown> = {}) {
    const before = await eventCount(db.dataSource);
    const r = await http.post({ query, variables }, officer);
    expect({ status: r.status, body: r.json }).toEqual({ status: 400, body: { errors: [MISSING] } });
    const event = await lastEvent(db.dataSource);
    expect({ count: await eventCount(db.dataSource), requestId: event.requestId, operationType: event.operationType, outcome: event.outcome, errorCodes: event.errorCodes, flagged: event.flagged, disclosed: event.disclosed }).toEqual({
      count: before + 1,
      requestId: r.headers.get('x-request-id'),
      operationType: null,
      outcome: 'denied',
      errorCodes: ['BAD_USER_INPUT'],
      flagged: true,
      disclosed: [],
    });
  }

  it('the queue is read without a reference: request rows only, the event names the purpose and the customers disclosed', async () => {
    expect(stored.length).toBeGreaterThan(1);
    const r = await http.post({ query: QUEUE }, officer);
    expect({ status: r.status, errors: r.json.errors }).toEqual({ status: 200, errors: undefined });
    const nodes: any[] = r.json.data.privacyRequests.nodes;
    expect(nodes.map((n) => [n.id, n.customer.id, n.type]).sort()).toEqual(stored.map((s) => [s.id, s.customer_id, s.type.toUpperCase()]).sort());
    for (const node of nodes) expect(Object.keys(node).sort()).toEqual(['customer', 'dueAt', 'handler', 'id', 'openedVia', 'overdue', 'receivedAt', 'status', 'type', 'verifiedAt']);
    expect(nodes.every((n) => Object.keys(n.customer).join() === 'id')).toBe(true);

    // The request fields that carried a value in some row (coordinates without one are not disclosures); never a customer's.
    const carried = ['dueAt', 'handler', 'openedVia', 'overdue', 'receivedAt', 'status', 'type', 'verifiedAt'].filter((f) => nodes.some((n) => n[f] !== null)).map((f) => `PrivacyRequest.${f}`);
    expect(carried).toEqual(expect.arrayContaining(['PrivacyRequest.receivedAt', 'PrivacyRequest.status', 'PrivacyRequest.type']));
    const event = await lastEvent(db.dataSource);
    expect({
      requestId: event.requestId,
      purpose: event.purpose,
      operationName: event.operationName,
      outcome: event.outcome,
      flagged: event.flagged,
      privacyRequestReference: event.privacyRequestReference,
      subjectIds: [...event.subjectIds!].sort(),
      disclosed: [...event.disclosed!].sort(),
    }).toEqual({
      requestId: r.headers.get('x-request-id'),
      purpose: 'data_subject_request',
      operationName: 'PrivacyRequestQueue',
      outcome: 'ok',
      flagged: true,
      privacyRequestReference: null,
      subjectIds: [...new Set(stored.map((s) => s.customer_id))].sort(),
      disclosed: carried,
    });
  });

  it("a read of a customer's personal data without a reference is refused as before: by a root field, through the request's link, or hidden in a fragment", async () => {
    await expectRefused(`query Subject { customer(id: "${DEMO_IDS.demoCustomer}") { accountName } }`);
    await expectRefused(`query QueueAndEmail { privacyRequests(first: 5) { nodes { ${QUEUE_FIELDS} customer { id email } } } }`);
    await expectRefused(`query Sneaky { privacyRequests(first: 5) { nodes { id ...Who } } } fragment Who on PrivacyRequest { customer { ... on Customer { accountName } } }`);
    await expectRefused(`query Both { privacyRequests(first: 5) { nodes { id } } customers(first: 1) { nodes { id } } }`);
  });

  it('a request field the queue does not need, or a write, still needs the reference', async () => {
    await expectRefused(`query Outcomes { privacyRequests(first: 5) { nodes { id resultSummary } } }`);
    await expectRefused(`query History { privacyRequests(first: 5) { nodes { id transitions { note } } } }`);
    await expectRefused(`mutation Take($id: ID!) { assignPrivacyRequest(id: $id) { id } }`, { id: stored[0].id });
  });

  it("with the request's reference, the customer's data is read and the event names the request", async () => {
    const [request] = stored;
    const r = await http.post(
      { query: `query Open($id: ID!) { customer(id: $id) { id accountName } }`, variables: { id: request.customer_id } },
      { ...officer, 'x-privacy-request': request.id },
    );
    expect({ status: r.status, errors: r.json.errors, id: r.json.data?.customer?.id }).toEqual({ status: 200, errors: undefined, id: request.customer_id });
    const event = await lastEvent(db.dataSource);
    expect({ requestId: event.requestId, purpose: event.purpose, flagged: event.flagged, privacyRequestReference: event.privacyRequestReference, subjectIds: event.subjectIds, disclosed: event.disclosed }).toEqual({
      requestId: r.headers.get('x-request-id'),
      purpose: 'data_subject_request',
      flagged: true,
      privacyRequestReference: request.id,
      subjectIds: [request.customer_id],
      disclosed: ['Customer.accountName'],
    });
  });

  it('a hash-only (persisted) request is judged by the text it was registered with', async () => {
    const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } });
    const registered = await http.post({ query: QUEUE, extensions: persisted(QUEUE) }, officer);
    expect(registered.status).toBe(200);
    const hit = await http.post({ extensions: persisted(QUEUE) }, officer);
    // (the nodes: a sealed cursor differs from one answer to the next)
    expect({ status: hit.status, nodes: hit.json.data?.privacyRequests.nodes }).toEqual({ status: 200, nodes: registered.json.data.privacyRequests.nodes });

    const subject = `query Subject { customer(id: "${DEMO_IDS.demoCustomer}") { accountName } }`;
    const named = await http.post({ query: subject, extensions: persisted(subject) }, { ...officer, 'x-privacy-request': stored[0].id });
    expect(named.status).toBe(200);
    const unnamed = await http.post({ extensions: persisted(subject) }, officer);
    expect({ status: unnamed.status, body: unnamed.json }).toEqual({ status: 400, body: { errors: [MISSING] } });
  });

  it('a queue read that names a request anyway is recorded with it; a malformed one is refused', async () => {
    const named = await http.post({ query: QUEUE }, { ...officer, 'x-privacy-request': SERVED_REQUEST });
    expect(named.status).toBe(200);
    expect(await lastEvent(db.dataSource)).toMatchObject({ requestId: named.headers.get('x-request-id'), privacyRequestReference: SERVED_REQUEST, flagged: true });
    const malformed = await http.post({ query: QUEUE }, { ...officer, 'x-privacy-request': 'X'.repeat(101) });
    expect({ status: malformed.status, code: malformed.json.errors[0].extensions.code }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
  });
});

describe('readsOnlyUnreferenced', () => {
  let schema: GraphQLSchema;
  const serves = MATRIX.find((r) => r.principal === 'staff:compliance_officer' && r.purpose === 'data_subject_request')!.serves;
  const reads = (query: string, operationName?: string) => readsOnlyUnreferenced(schema, serves, parse(query), operationName);
  beforeAll(async () => {
    schema = await buildGatewaySchema();
  });

  it('follows aliases, fragments and inline fragments, and reads the named operation', () => {
    expect(reads(`{ a: privacyRequests(first: 1) { edges { cursor node { ...Q __typename } } } } fragment Q on PrivacyRequest { ... on PrivacyRequest { dueAt customer { id } } }`)).toBe(true);
    expect(reads(`{ a: privacyRequests(first: 1) { edges { node { ...Q } } } } fragment Q on PrivacyRequest { ... on PrivacyRequest { customer { id accountName } } }`)).toBe(false);
    const two = `query Queue { privacyRequests(first: 1) { nodes { id } } } query Customer { customer(id: "x") { email } }`;
    expect([reads(two, 'Queue'), reads(two, 'Customer'), reads(two, 'Neither')]).toEqual([true, false, false]);
  });

  it('reads nothing without the list: another row, or none', () => {
    const query = parse(`{ privacyRequests(first: 1) { nodes { id } } }`);
    expect(readsOnlyUnreferenced(schema, { reference: 'privacy_request', required: true }, query)).toBe(false);
    expect(readsOnlyUnreferenced(schema, undefined, query)).toBe(false);
  });

  it("a caller with several rows reads without the reference only what every row requiring it allows", () => {
    const engine = new PolicyEngine(schema);
    const both = engine.viewFor(callers.staff(['compliance_officer', 'customer_service'], 'data_subject_request')).serves;
    expect(both).toEqual({ reference: 'privacy_request', required: true, unreferenced: serves!.unreferenced });
    expect(engine.viewFor(callers.staff(['customer_service'], 'data_subject_request')).serves).toEqual({ reference: 'privacy_request', required: false });
    expect(engine.viewFor(callers.staff(['compliance_officer'], 'legal_compliance')).serves).toEqual({ reference: 'legal_case', required: true });
  });

  it('walks each fragment once: ten spreads per level, each level adds the same visits', () => {
    const family = (levels: number) => {
      const fragments = Array.from({ length: levels }, (_, i) =>
        `fragment F${i} on PrivacyRequest { ${i === levels - 1 ? 'status' : Array.from({ length: 10 }, () => `...F${i + 1}`).join(' ')} }`,
      );
      return `{ privacyRequests(first: 1) { nodes { ...F0 } } }\n${fragments.join('\n')}`;
    };
    const visits = [2, 3, 4, 5, 6].map((levels) => {
      const before = admissionVisits.count;
      expect(reads(family(levels))).toBe(true);
      return admissionVisits.count - before;
    });
    const steps = visits.slice(1).map((v, i) => v - visits[i]);
    expect(new Set(steps).size).toBe(1);
    expect(steps[0]).toBeLessThan(20);
  });
});
