/**
 * The disclosure matrix names every field of the schema, those hidden from partners' and third
 * parties' contracts among them (design §4 step 4): it is read through GraphQL
 * (`Query.disclosureMatrix`, category `policy.disclosure`), and only compliance officers see it.
 * Over real HTTP with real tokens: no token is the one 401; a partner, a third party, a customer
 * or any other staff role gets exactly the answer of another read denied to it; the officer gets
 * the matrix, and the read is audited, flagged with the officer's legal case.
 */
import { mintDevToken, type DevTokenOptions } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { lastEvent } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { insertServedRequest, SERVED_REQUEST } from '../harness/privacy-request-fixture';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import path from 'node:path';

const MATRIX = '{ disclosureMatrix }';
/** A read every caller below is denied too: the audit log's state (category audit.record). */
const AUDIT_STATE = '{ auditIntegrity { sealCount } }';
const CASE = 'CASE-2026-077';
/** The answer to a caller the matrix denies the matrix: null and one FORBIDDEN naming it, as any denied field. */
const MATRIX_DENIED = {
  status: 403,
  body: {
    data: { disclosureMatrix: null },
    errors: [{ message: 'Not disclosed to this caller for this purpose: Query.disclosureMatrix', locations: [{ line: 1, column: 3 }], path: ['disclosureMatrix'], extensions: { code: 'FORBIDDEN' } }],
  },
};
const RANDOM_ID = '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const OFFICER = 'officer-matrix-test';

describe('reading the disclosure matrix', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  const token = (options: DevTokenOptions) => mintDevToken(options, gw.authConfig);
  const read = async (query: string, bearer: string | undefined, headers: Record<string, string> = {}) => {
    const r = await gw.post({ query }, { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers });
    return { status: r.status, body: r.json };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    gw = await startHttpGateway(db, { console: { directory: path.resolve(__dirname, '../../dist/console') } });
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  it('answers no token with the 401 every unauthenticated request gets', async () => {
    expect(await read(MATRIX, undefined)).toEqual({
      status: 401,
      body: { errors: [{ message: 'Authentication required: send a valid bearer token', extensions: { code: 'UNAUTHENTICATED' } }] },
    });
  });

  it('no longer serves the matrix as a console file, with or without a token', async () => {
    const officer = await token({ kind: 'staff', subject: OFFICER, roles: ['compliance_officer'], purposes: ['legal_compliance'] });
    for (const headers of <Array<Record<string, string>>>[{}, { authorization: `Bearer ${officer}`, 'x-purpose': 'legal_compliance', 'x-legal-case': CASE }]) {
      const r = await fetch(`${gw.url}/console/api/disclosure-matrix.json`, { headers });
      expect([r.status, await r.text()]).toEqual([404, 'Not found\n']);
    }
  });

  // Partners and third parties are validated against their contract: the field does not exist for them.
  it.each<[string, DevTokenOptions]>([
    ['a logistics partner', { kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }],
    ['a payment provider', { kind: 'payment_provider', partnerId: DEMO_IDS.paymentProviders[0], purposes: ['payment_settlement'] }],
    ['a platform operator', { kind: 'platform_operator', partnerId: DEMO_IDS.platformOperator, purposes: ['platform_operation'] }],
    [
      'a third party',
      { kind: 'third_party', partnerId: DEMO_IDS.thirdParty, grantId: DEMO_IDS.consentGrant, purposes: ['authorized_sharing'] },
    ],
  ])('refuses %s as a field its contract does not have', async (_who, options) => {
    const bearer = await token(options);
    const matrix = await read(MATRIX, bearer);
    expect(matrix).toEqual({
      status: 400,
      body: { errors: [{ message: 'Cannot query field "disclosureMatrix" on type "Query".', locations: [{ line: 1, column: 3 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
    });
    // The same answer as for the audit log's state, which its contract does not have either.
    const other = await read(AUDIT_STATE, bearer);
    expect(JSON.stringify(matrix).replace('disclosureMatrix', 'auditIntegrity')).toBe(JSON.stringify(other));
  });

  it.each<[string, DevTokenOptions, Record<string, string>]>([
    ['a customer under data_subject_request', { kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'] }, { 'x-purpose': 'data_subject_request' }],
    ['a customer under after_sales', { kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales'] }, { 'x-purpose': 'after_sales' }],
    ['customer service', { kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] }, { 'x-purpose': 'after_sales' }],
    ['a data analyst', { kind: 'staff', roles: ['data_analyst'], purposes: ['analytics'] }, { 'x-purpose': 'analytics' }],
  ])('refuses %s with the FORBIDDEN any denied field gets, and nothing of the matrix', async (_who, options, headers) => {
    const bearer = await token(options);
    const matrix = await read(MATRIX, bearer, headers);
    expect(matrix).toEqual(MATRIX_DENIED);
    // The same answer as for a webhook delivery, whose category none of these callers sees.
    const other = await read(`{ webhookDelivery(id: "${RANDOM_ID}") { id } }`, bearer, headers);
    expect(other.body.errors?.[0]?.message).toBe('Not disclosed to this caller for this purpose: Query.webhookDelivery');
    expect({ ...matrix, body: { ...matrix.body, data: { webhookDelivery: null }, errors: [{ ...matrix.body.errors[0], message: other.body.errors[0].message, path: ['webhookDelivery'] }] } }).toEqual(other);
  });

  it("refuses the compliance officer under data_subject_request as the audit log's state: the matrix as a whole is read for a legal case", async () => {
    // The officer sees every category under this purpose; the row withholds the reads about the
    // store as a whole, this one as the audit log's state.
    const bearer = await token({ kind: 'staff', roles: ['compliance_officer'], purposes: ['data_subject_request'], subject: OFFICER });
    const headers = { 'x-purpose': 'data_subject_request', 'x-privacy-request': SERVED_REQUEST };
    const matrix = await read(MATRIX, bearer, headers);
    expect(matrix).toEqual(MATRIX_DENIED);
    // The same status and error as the audit log's state (whose field is non-null, so its data is null as a whole).
    const other = await read('{ auditIntegrity { sealCount } }', bearer, headers);
    expect(JSON.stringify([matrix.status, matrix.body.errors]).replaceAll('disclosureMatrix', 'auditIntegrity')).toBe(JSON.stringify([other.status, other.body.errors]));
  });

  it("gives the compliance officer the matrix under the legal case, and audits the read flagged with it", async () => {
    const officer = await token({ kind: 'staff', subject: OFFICER, roles: ['compliance_officer'], purposes: ['legal_compliance'] });
    const r = await read(MATRIX, officer, { 'x-purpose': 'legal_compliance', 'x-legal-case': CASE });
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const matrix = JSON.parse(r.body.data.disclosureMatrix) as { categories: string[]; rows: Array<{ principal: string; purpose: string; fields: Array<{ coordinate: string; outcome: string }> }> };
    const carrier = matrix.rows.find((row) => row.principal === 'logistics_partner' && row.purpose === 'fulfillment')!;
    // What disclosure-matrix.ts says of the carrier: the stock code withheld, the recipient's phone visible.
    expect(carrier.fields.find((f) => f.coordinate === 'OrderItem.sku')?.outcome).toBe('withheld');
    expect(carrier.fields.find((f) => f.coordinate === 'ShippingAddress.phone')?.outcome).toBe('visible');
    expect(carrier.fields.find((f) => f.coordinate === 'Query.disclosureMatrix')?.outcome).toBe('denied');
    expect(matrix.categories).toContain('policy.disclosure');

    const event = await lastEvent(db.dataSource);
    expect({
      principalId: event.principalId,
      purpose: event.purpose,
      disclosed: event.disclosed,
      subjectIds: event.subjectIds,
      flagged: event.flagged,
      legalCaseReference: event.legalCaseReference,
      outcome: event.outcome,
    }).toEqual({ principalId: OFFICER, purpose: 'legal_compliance', disclosed: ['Query.disclosureMatrix'], subjectIds: [], flagged: true, legalCaseReference: CASE, outcome: 'ok' });
  });

  it('refuses the officer without the legal case its reads must name, as any of its reads', async () => {
    const officer = await token({ kind: 'staff', subject: OFFICER, roles: ['compliance_officer'], purposes: ['legal_compliance'] });
    const matrix = await read(MATRIX, officer, { 'x-purpose': 'legal_compliance' });
    const other = await read(AUDIT_STATE, officer, { 'x-purpose': 'legal_compliance' });
    expect(matrix.status).toBe(400);
    expect(matrix.body.data).toBeUndefined();
    expect(matrix.body.errors).toEqual(other.body.errors);
  });
});
