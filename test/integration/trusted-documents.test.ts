/**
 * Trusted documents: registering a partner's operations for an audience (checked against its
 * contract, all or nothing, idempotent), and a gateway that requires them running a partner's
 * registered operations by id only — refusing text and unknown or revoked ids with their codes
 * and statuses, auditing each refusal — while staff are unaffected.
 */
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client/core';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { getOperationName } from '@apollo/client/utilities';
import { buildContract } from '../../src/policy/contracts';
import { mintDevToken } from '../../src/auth/dev-token';
import { buildSchema, printSchema, type GraphQLObjectType } from 'graphql';
import {
  invalidTrustedDocuments,
  listTrustedDocuments,
  operationsOfFiles,
  registerTrustedDocuments,
  revokeTrustedDocuments,
  TrustedDocumentError,
  type TrustedOperation,
} from '../../src/integration/trusted-documents';
import { TrustedDocumentGate } from '../../src/integration/trusted-document-gate';
import { DEFAULT_LIMITS } from '../../src/platform/limits';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { recordingFetch, startHttpGateway, type HttpGateway } from '../harness/http';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const codesOf = (json: any): string[] => (json?.errors ?? []).map((e: any) => e.extensions?.code);

const CARRIER_FILE = `# The carrier's manifest and its scans.
query Waiting($first: Int!) { shipments(first: $first, filter: { statuses: [PENDING] }) { nodes { ...Parcel } } }
fragment Parcel on Shipment { id status }
fragment Unused on Shipment { trackingNumber }
mutation Label($input: RecordTrackingInput!) { recordShipmentTracking(input: $input) { id trackingNumber } }
`;
/** What registration stores for Waiting: the operation and the one fragment it uses, printed by graphql-js. */
const WAITING_BODY = `query Waiting($first: Int!) {
  shipments(first: $first, filter: {statuses: [PENDING]}) {
    nodes {
      ...Parcel
    }
  }
}

fragment Parcel on Shipment {
  id
  status
}`;

describe('trusted documents', () => {
  let db: TestDatabase;
  let carrierContract: Awaited<ReturnType<typeof buildContract>>;
  let providerContract: Awaited<ReturnType<typeof buildContract>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    const schema = await buildGatewaySchema();
    carrierContract = buildContract(schema, 'logistics_partner');
    providerContract = buildContract(schema, 'payment_provider');
  });
  afterAll(() => db.drop());

  describe('registering', () => {
    it('makes one document per operation, with the fragments it uses, named by the sha256 of its printed text', () => {
      // The unused fragment fails graphql-js validation (NoUnusedFragments) like any client's would.
      expect(() => operationsOfFiles(carrierContract, [{ source: 'carrier.graphql', text: CARRIER_FILE }])).toThrow(/Fragment "Unused" is never used/);
      const operations = operationsOfFiles(carrierContract, [{ source: 'carrier.graphql', text: CARRIER_FILE.replace(/fragment Unused.*\n/, '') }]);
      expect(operations.map((o) => [o.name, o.type])).toEqual([
        ['Waiting', 'query'],
        ['Label', 'mutation'],
      ]);
      expect(operations[0]!.body).toBe(WAITING_BODY);
      expect(operations[0]!.sha256).toBe(sha256(WAITING_BODY));
      expect(operations[1]!.body).not.toMatch(/fragment/);
    });

    it('refuses a file with an operation outside the contract, naming file, line and column, and stores nothing of any file', async () => {
      const good = { source: 'good.graphql', text: `query Fine { shipments(first: 1) { nodes { id } } }` };
      const bad = { source: 'bad.graphql', text: `query Peek {\n  shipments(first: 1) { nodes { order { customer { email } } } }\n}\nsubscription Watch { shipments(first: 1) { nodes { id } } }\n{ partners(first: 1) { nodes { id } } }` };
      let error: unknown;
      try {
        operationsOfFiles(carrierContract, [good, bad]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TrustedDocumentError);
      const problems = (error as TrustedDocumentError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          'bad.graphql:2:41: Cannot query field "customer" on type "Order".',
          'bad.graphql:4:1: a subscription; only queries and mutations are served',
          'bad.graphql:5:1: an operation without a name; name it (clients and the manifest know it by its name)',
        ]),
      );
      expect(problems.every((p) => p.startsWith('bad.graphql'))).toBe(true);
      // A field the carrier's contract has is unknown to a payment provider's.
      expect(() => operationsOfFiles(providerContract, [good])).toThrow(/good\.graphql:1:\d+: Cannot query field "shipments" on type "Query"/);
      expect(await listTrustedDocuments(db.dataSource, 'logistics_partner')).toEqual([]);
    });

    it('refuses an operation over the operation limits the gateway would refuse it for, as configured', () => {
      const deep = { source: 'deep.graphql', text: `query Deep { shipments(first: 1) { nodes { order { shipments { order { shipments { order { shipments { order { orderNumber } } } } } } } } } }` };
      expect(() => operationsOfFiles(carrierContract, [deep])).toThrow(/deep\.graphql: .*depth limit of 8 exceeded, found 10/);
      const limits = { ...DEFAULT_LIMITS, maxDepth: 20 };
      expect(operationsOfFiles(carrierContract, [deep], limits).map((o) => o.name)).toEqual(['Deep']);
      const wide = { source: 'wide.graphql', text: `query Wide { ${Array.from({ length: 11 }, (_, i) => `a${i}: shipments(first: 1) { nodes { id } }`).join(' ')} }` };
      expect(() => operationsOfFiles(carrierContract, [wide])).toThrow(/wide\.graphql.*11 root fields; at most 10/);
    });

    it('is idempotent: registering again changes nothing, and reinstates what was revoked', async () => {
      const operations = operationsOfFiles(carrierContract, [{ source: 'again.graphql', text: `query Again { shipments(first: 2) { nodes { id } } }` }]);
      const first = await registerTrustedDocuments(db.dataSource, 'logistics_partner', operations);
      const second = await registerTrustedDocuments(db.dataSource, 'logistics_partner', operations);
      expect([first[0]!.outcome, second[0]!.outcome]).toEqual(['registered', 'already registered']);
      const id = `sha256:${operations[0]!.sha256}`;
      expect(await revokeTrustedDocuments(db.dataSource, 'logistics_partner', [id])).toEqual([id]);
      // Revoking twice revokes nothing more; an id not registered for the audience is refused, and nothing is revoked.
      expect(await revokeTrustedDocuments(db.dataSource, 'logistics_partner', [id])).toEqual([]);
      await expect(revokeTrustedDocuments(db.dataSource, 'payment_provider', [id])).rejects.toThrow(`${id}: no such document is registered for payment_provider`);
      expect((await registerTrustedDocuments(db.dataSource, 'logistics_partner', operations))[0]!.outcome).toBe('reinstated');
      const rows = await db.dataSource.query(`SELECT audience, operation_name, revoked_at FROM trusted_document WHERE sha256 = $1`, [operations[0]!.sha256]);
      expect(rows).toEqual([{ audience: 'logistics_partner', operation_name: 'Again', revoked_at: null }]);
    });
  });

  it('checks the active documents again: after a contract change, those it breaks are named with why', async () => {
    const [op] = operationsOfFiles(carrierContract, [{ source: 'checked.graphql', text: `query Checked { shipments(first: 1) { nodes { id trackingNumber } } }` }]);
    await registerTrustedDocuments(db.dataSource, 'logistics_partner', [op!]);
    const active: Array<{ n: number }> = await db.dataSource.query(`SELECT count(*)::int AS n FROM trusted_document WHERE revoked_at IS NULL AND audience = 'logistics_partner'`);
    // Against the carrier contract as it is, every active document is valid.
    expect(await invalidTrustedDocuments(db.dataSource, () => carrierContract, DEFAULT_LIMITS, 'logistics_partner')).toEqual({ checked: active[0]!.n, invalid: [] });
    // A contract without Shipment.trackingNumber (as if it were removed) breaks the one document that selects it.
    const narrower = buildSchema(printSchema(carrierContract).replace(/(\ntype Shipment \{[^}]*?)\n {2}trackingNumber: String\n/, '$1\n'));
    expect(Object.keys((narrower.getType('Shipment') as GraphQLObjectType).getFields())).not.toContain('trackingNumber');
    const { invalid } = await invalidTrustedDocuments(db.dataSource, (a) => (a === 'logistics_partner' ? narrower : undefined), DEFAULT_LIMITS, 'logistics_partner');
    expect(invalid).toEqual([{ audience: 'logistics_partner', sha256: op!.sha256, name: 'Checked', problems: [`sha256:${op!.sha256}:5:7: Cannot query field "trackingNumber" on type "Shipment".`] }]);
  });

  describe('required for partners, over HTTP', () => {
    let gw: HttpGateway;
    let carrier: Record<string, string>;
    let provider: Record<string, string>;
    let waiting: TrustedOperation;
    let label: TrustedOperation;

    beforeAll(async () => {
      // Look-ups not remembered, so a revocation shows on the next request.
      gw = await startHttpGateway(db, { trustedDocuments: { mode: 'required', cacheTtlMs: 0 }, metricsOnPublicListener: true });
      carrier = { authorization: `Bearer ${await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, gw.authConfig)}` };
      provider = { authorization: `Bearer ${await mintDevToken({ kind: 'payment_provider', partnerId: DEMO_IDS.paymentProviders[0], purposes: ['payment_settlement'] }, gw.authConfig)}` };
      [waiting, label] = operationsOfFiles(carrierContract, [{ source: 'carrier.graphql', text: CARRIER_FILE.replace(/fragment Unused.*\n/, '') }]) as [TrustedOperation, TrustedOperation];
      await registerTrustedDocuments(db.dataSource, 'logistics_partner', [waiting, label]);
    });
    afterAll(() => gw.close());

    const auditOf = async (requestId: string | null) =>
      db.dataSource.query(`SELECT principal_kind, operation_name, operation_hash, outcome, error_codes, detail FROM audit_event WHERE request_id = $1`, [requestId]);

    it('runs a registered operation named by documentId, and audits it as the document it is', async () => {
      const r = await gw.post({ documentId: `sha256:${waiting.sha256}`, operationName: 'Waiting', variables: { first: 3 } }, carrier);
      expect(r.status).toBe(200);
      const expected = await db.dataSource.query(`SELECT count(*)::int AS n FROM shipment WHERE logistics_partner_id = $1 AND status = 'pending'`, [DEMO_IDS.logisticsPartners[0]]);
      expect(r.json.data.shipments.nodes).toHaveLength(Math.min(3, expected[0].n));
      for (const node of r.json.data.shipments.nodes) expect(node.status).toBe('PENDING');
      expect(await auditOf(r.headers.get('x-request-id'))).toEqual([
        { principal_kind: 'logistics_partner', operation_name: 'Waiting', operation_hash: waiting.sha256, outcome: 'ok', error_codes: [], detail: null },
      ]);
    });

    it("runs it named by Apollo's persisted-query hash too, and over GET; a mutation over GET is 405", async () => {
      const byHash = await gw.post({ operationName: 'Waiting', variables: { first: 1 }, extensions: { persistedQuery: { version: 1, sha256Hash: waiting.sha256 } } }, carrier);
      expect({ status: byHash.status, n: byHash.json.data?.shipments.nodes.length }).toEqual({ status: 200, n: 1 });
      const get = (id: string, variables: unknown) =>
        fetch(`${gw.url}/graphql?documentId=${id}&variables=${encodeURIComponent(JSON.stringify(variables))}`, { headers: { ...carrier, 'apollo-require-preflight': 'true' } });
      const query = await get(`sha256:${waiting.sha256}`, { first: 1 });
      expect(query.status).toBe(200);
      expect((await query.json()).data.shipments.nodes).toHaveLength(1);
      const mutation = await get(`sha256:${label.sha256}`, { input: { shipmentId: '00000000-0000-4000-8000-000000000000', trackingNumber: 'TRK-0001' } });
      expect({ status: mutation.status, codes: codesOf(await mutation.json()) }).toEqual({ status: 405, codes: ['METHOD_NOT_ALLOWED'] });
    });

    it('refuses text with TRUSTED_DOCUMENT_REQUIRED (403), even the text of a registered operation, and audits and counts the refusal', async () => {
      const SERIES = 'ntk_graphql_requests_total{principal_kind="logistics_partner",purpose="fulfillment",outcome="refused"} ';
      const refusedSoFar = async () => Number((await (await fetch(`${gw.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(SERIES))?.slice(SERIES.length) ?? 0);
      const before = await refusedSoFar();
      for (const body of [{ query: `{ shipments(first: 1) { nodes { id } } }` }, { query: WAITING_BODY, variables: { first: 1 } }]) {
        const r = await gw.post(body, carrier);
        expect({ status: r.status, codes: codesOf(r.json), data: r.json.data }).toEqual({ status: 403, codes: ['TRUSTED_DOCUMENT_REQUIRED'], data: undefined });
        expect(await auditOf(r.headers.get('x-request-id'))).toEqual([
          { principal_kind: 'logistics_partner', operation_name: null, operation_hash: null, outcome: 'denied', error_codes: ['TRUSTED_DOCUMENT_REQUIRED'], detail: null },
        ]);
      }
      expect((await refusedSoFar()) - before).toBe(2);
    });

    it("answers TRUSTED_DOCUMENT_NOT_FOUND (404) for an unknown id and for another audience's document alike", async () => {
      const unknown = await gw.post({ documentId: `sha256:${sha256('query Nope { __typename }')}` }, carrier);
      const othersDocument = await gw.post({ documentId: `sha256:${waiting.sha256}`, variables: { first: 1 } }, provider);
      const apq = await gw.post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256('query Nope { __typename }') } } }, carrier);
      for (const r of [unknown, othersDocument, apq]) expect({ status: r.status, codes: codesOf(r.json) }).toEqual({ status: 404, codes: ['TRUSTED_DOCUMENT_NOT_FOUND'] });
      expect((await auditOf(othersDocument.headers.get('x-request-id')))[0]).toEqual(
        expect.objectContaining({ principal_kind: 'payment_provider', outcome: 'denied', error_codes: ['TRUSTED_DOCUMENT_NOT_FOUND'], detail: { documentId: `sha256:${waiting.sha256}` } }),
      );
    });

    it('refuses a malformed id, and text that is not the document its id names, with BAD_REQUEST (400)', async () => {
      const malformed = await gw.post({ documentId: waiting.sha256 }, carrier);
      const mismatch = await gw.post({ documentId: `sha256:${waiting.sha256}`, query: `query Waiting($first: Int!) { shipments(first: $first) { nodes { id trackingNumber } } }`, variables: { first: 1 } }, carrier);
      expect([malformed, mismatch].map((r) => ({ status: r.status, codes: codesOf(r.json) }))).toEqual([
        { status: 400, codes: ['BAD_REQUEST'] },
        { status: 400, codes: ['BAD_REQUEST'] },
      ]);
    });

    it('stops running a revoked document at once (with look-ups not remembered)', async () => {
      const ops = operationsOfFiles(carrierContract, [{ source: 'soon-revoked.graphql', text: `query SoonRevoked { shipments(first: 1) { nodes { id } } }` }]);
      await registerTrustedDocuments(db.dataSource, 'logistics_partner', ops);
      const body = { documentId: `sha256:${ops[0]!.sha256}` };
      expect((await gw.post(body, carrier)).status).toBe(200);
      await revokeTrustedDocuments(db.dataSource, 'logistics_partner', [body.documentId]);
      const after = await gw.post(body, carrier);
      expect({ status: after.status, codes: codesOf(after.json) }).toEqual({ status: 404, codes: ['TRUSTED_DOCUMENT_NOT_FOUND'] });
    });

    it("serves Apollo Client whose persisted-query link takes its hashes from the registration's ids, sending no text", async () => {
      const { fetch: counting, sent } = recordingFetch();
      // Apollo's cache wants __typename everywhere: the registered document selects it, since the registered text is what runs.
      const APOLLO_TEXT = `query ApolloWaiting($first: Int!) { shipments(first: $first) { __typename nodes { __typename id status } } }`;
      const [apolloWaiting] = operationsOfFiles(carrierContract, [{ source: 'apollo.graphql', text: APOLLO_TEXT }]);
      await registerTrustedDocuments(db.dataSource, 'logistics_partner', [apolloWaiting!]);
      const ids = new Map([[apolloWaiting!.name, apolloWaiting!.sha256]]);
      const client = new ApolloClient({
        cache: new InMemoryCache(),
        link: ApolloLink.from([
          createPersistedQueryLink({ generateHash: (document) => ids.get(getOperationName(document) ?? '') ?? 'unregistered' }),
          new HttpLink({ uri: `${gw.url}/graphql`, fetch: counting, headers: carrier }),
        ]),
        defaultOptions: { query: { fetchPolicy: 'network-only' } },
      });
      try {
        for (let i = 0; i < 2; i += 1) expect((await client.query({ query: gql(APOLLO_TEXT), variables: { first: 2 } })).data.shipments.nodes).toHaveLength(2);
        expect(sent).toEqual([
          { hasQuery: false, hash: apolloWaiting!.sha256 },
          { hasQuery: false, hash: apolloWaiting!.sha256 },
        ]);
      } finally {
        client.stop();
      }
    });

    it('leaves staff unaffected: their text runs as always', async () => {
      const staff = { authorization: `Bearer ${await mintDevToken({ kind: 'staff', roles: ['fulfillment'], purposes: ['fulfillment'] }, gw.authConfig)}` };
      const r = await gw.post({ query: `{ orders(first: 1) { nodes { id orderNumber } } }` }, staff);
      expect({ status: r.status, codes: codesOf(r.json) }).toEqual({ status: 200, codes: [] });
    });
  });

  describe('optional and off', () => {
    it('optional: a registered id runs, text runs, and an unknown Apollo hash falls back to automatic persisted queries', async () => {
      const gw = await startHttpGateway(db, { trustedDocuments: { mode: 'optional', cacheTtlMs: 0 } });
      try {
        const carrier = { authorization: `Bearer ${await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, gw.authConfig)}` };
        const [op] = operationsOfFiles(carrierContract, [{ source: 'optional.graphql', text: `query Optional { shipments(first: 1) { nodes { id } } }` }]);
        await registerTrustedDocuments(db.dataSource, 'logistics_partner', [op!]);
        expect((await gw.post({ documentId: `sha256:${op!.sha256}` }, carrier)).status).toBe(200);
        expect((await gw.post({ query: `{ shipments(first: 1) { nodes { id } } }` }, carrier)).status).toBe(200);
        const apq = await gw.post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ shipments(first: 2) { nodes { id } } }') } } }, carrier);
        expect({ status: apq.status, codes: codesOf(apq.json) }).toEqual({ status: 200, codes: ['PERSISTED_QUERY_NOT_FOUND'] });
      } finally {
        await gw.close();
      }
    });

    it('off (the default): a documentId is not understood, and text runs', async () => {
      const gate = new TrustedDocumentGate(db.dataSource, { mode: 'off', audiences: ['logistics_partner'] });
      const fields = { documentId: `sha256:${'0'.repeat(64)}` };
      expect(await gate.admit('logistics_partner', fields)).toEqual({ fields });
      const gw = await startHttpGateway(db);
      try {
        const carrier = { authorization: `Bearer ${await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, gw.authConfig)}` };
        const r = await gw.post(fields, carrier);
        expect({ status: r.status, codes: codesOf(r.json) }).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
        expect((await gw.post({ query: `{ shipments(first: 1) { nodes { id } } }` }, carrier)).status).toBe(200);
      } finally {
        await gw.close();
      }
    });

    it('applies to staff only when configured for them: then their text is refused, and partners not named are unaffected', async () => {
      const gate = new TrustedDocumentGate(db.dataSource, { mode: 'required', audiences: ['staff'] });
      const text = { query: `{ orders(first: 1) { nodes { id } } }` };
      const refused = await gate.admit('staff', text);
      expect('refusal' in refused && refused.refusal.extensions.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
      expect(await gate.admit('logistics_partner', text)).toEqual({ fields: text });
    });

    it('refuses an audience that is no principal kind at start-up, naming the setting', () => {
      expect(() => new TrustedDocumentGate(db.dataSource, { mode: 'required', audiences: ['carrier'] })).toThrow(/TRUSTED_DOCUMENTS_FOR: expected principal kinds .*got carrier/);
    });
  });
});
