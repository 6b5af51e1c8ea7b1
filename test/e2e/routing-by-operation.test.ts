/**
 * Which executor runs an operation is decided per (caller's view, operation name, document) and
 * remembered: one document holding an operation that selects nothing denied and one that selects
 * a denied field must each be decided on its own, whichever ran first.
 */
import { mintDevToken } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

describe('routing by operation', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let agent: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    agent = { authorization: `Bearer ${await mintDevToken({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] }, gw.authConfig)}` };
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  // Customer service sees a customer's account name, not whether they objected to analytics.
  const harmless = `customer(id: "${DEMO_IDS.demoCustomer}") { id accountName }`;
  const denied = `customer(id: "${DEMO_IDS.demoCustomer}") { id analyticsObjection }`;
  const document = `query Harmless { ${harmless} } query Denied { ${denied} }`;

  async function codesOf(body: Record<string, unknown>): Promise<string[]> {
    const res = await gw.post(body, agent);
    expect({ status: res.status, body: res.status === 200 ? undefined : res.text }).toEqual({ status: 200, body: undefined });
    return (res.json.errors ?? []).map((e: { extensions: { code: string } }) => e.extensions.code);
  }

  it('runs the denied operation of a document with its field rules after the harmless one ran, and the other way round', async () => {
    expect(await codesOf({ query: document, operationName: 'Harmless' })).toEqual([]);
    expect(await codesOf({ query: document, operationName: 'Denied' })).toEqual(['FORBIDDEN']);
    const swapped = `query Denied { ${denied} } query Harmless { ${harmless} }`;
    expect(await codesOf({ query: swapped, operationName: 'Denied' })).toEqual(['FORBIDDEN']);
    expect(await codesOf({ query: swapped, operationName: 'Harmless' })).toEqual([]);
  });
});
