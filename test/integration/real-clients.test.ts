/**
 * The clients partners use, from npm, against the gateway over HTTP: Apollo Client with its
 * persisted-query link (a registered document is sent as a hash only, and hits), and
 * graphql-request paging a carrier's whole manifest and reading a coded error with its status.
 */
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client/core';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { ClientError, GraphQLClient } from 'graphql-request';
import { mintDevToken } from '../../src/auth/dev-token';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { recordingFetch, startHttpGateway, type HttpGateway } from '../harness/http';

describe('real clients', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    token = await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, gw.authConfig);
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  it('Apollo Client with persisted queries: three calls of one operation take four HTTP requests, the last two a hash only', async () => {
    const { fetch: counting, sent } = recordingFetch();
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: ApolloLink.from([
        createPersistedQueryLink({ sha256: (text: string) => createHash('sha256').update(text).digest('hex') }),
        new HttpLink({ uri: `${gw.url}/graphql`, fetch: counting, headers: { authorization: `Bearer ${token}` } }),
      ]),
      defaultOptions: { query: { fetchPolicy: 'network-only' } },
    });
    const MANIFEST = gql`query Manifest($first: Int!) { shipments(first: $first) { nodes { id trackingNumber status } } }`;
    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(await client.query({ query: MANIFEST, variables: { first: 3 } }));
    for (const r of results) expect(r.data.shipments.nodes).toHaveLength(3);
    // The first call: a hash (not found), then the text with the hash; each later call a hash only.
    expect(sent.map((s) => s.hasQuery)).toEqual([false, true, false, false]);
    expect(new Set(sent.map((s) => s.hash)).size).toBe(1);
    client.stop();
  });

  it("graphql-request: the morning manifest over every page, checked against the carrier's shipments in the database", async () => {
    const client = new GraphQLClient(`${gw.url}/graphql`, { headers: { authorization: `Bearer ${token}` } });
    const PAGE = `query Page($after: String) { shipments(first: 100, after: $after) { nodes { id status order { orderNumber shippingAddress { recipientName city } } } pageInfo { hasNextPage endCursor } } }`;
    type Page = { shipments: { nodes: Array<{ id: string; order: { orderNumber: string } | null }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Page = await client.request<Page>(PAGE, { after });
      ids.push(...page.shipments.nodes.map((n) => n.id));
      after = page.shipments.pageInfo.hasNextPage ? page.shipments.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    const expected = await db.dataSource.query(`SELECT id FROM shipment WHERE logistics_partner_id = $1`, [DEMO_IDS.logisticsPartners[0]]);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice().sort()).toEqual(expected.map((r: { id: string }) => r.id).sort());
  });

  it('graphql-request: a refused write surfaces its code and its one HTTP status', async () => {
    const client = new GraphQLClient(`${gw.url}/graphql`, { headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'scan-unknown-1' } });
    const SCAN = `mutation Scan($input: RecordShipmentEventsInput!) { recordShipmentEvents(input: $input) { id } }`;
    const error = await client
      .request(SCAN, { input: { shipmentId: '00000000-0000-4000-8000-000000000000', events: [{ eventId: 'e-1', occurredAt: new Date().toISOString(), location: 'Hub', description: 'Scanned' }] } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    const { response } = error as ClientError;
    expect({ status: response.status, codes: response.errors?.map((e) => e.extensions?.code) }).toEqual({ status: 404, codes: ['NOT_FOUND'] });
  });
});
