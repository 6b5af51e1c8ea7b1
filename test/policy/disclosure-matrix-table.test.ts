/**
 * For every matrix row (principal or staff role x purpose) and every classified field of every
 * object type, the gateway's answer is the decision the reviewed table test/policy/decisions.txt
 * gives (decision-table.ts; not the policy engine the gateway runs) —
 * the value, a masked value, or FORBIDDEN naming the field (for partners and third parties: a
 * validation error, since the field is not in their contract).
 */
import { getNamedType, isObjectType, isLeafType, type GraphQLObjectType } from 'graphql';
import type { Caller } from '../../src/policy/principal';
import { buildContract, isContractAudience } from '../../src/policy/contracts';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import { PolicyEngine, type Decision } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { callerOfMatrixRow } from '../harness/principals';
import { dataTypesOf, decisionIn, readDecisions } from './decision-table';
import type { Gateway } from '../../src/server';

const decisions = readDecisions();

/** How to reach objects of each type from the root: a query with `SEL` where the fields go. */
const PATHS: Record<string, { query: string; objects: (data: any) => any[] }> = {
  Customer: { query: '{ customers(first: 5) { nodes { SEL } } }', objects: (d) => d?.customers?.nodes ?? [] },
  Address: { query: '{ customers(first: 5) { nodes { addresses { SEL } } } }', objects: (d) => (d?.customers?.nodes ?? []).flatMap((c: any) => c.addresses ?? []) },
  Order: { query: '{ orders(first: 5) { nodes { SEL } } }', objects: (d) => d?.orders?.nodes ?? [] },
  ShippingAddress: { query: '{ orders(first: 5) { nodes { shippingAddress { SEL } } } }', objects: (d) => (d?.orders?.nodes ?? []).map((o: any) => o.shippingAddress).filter(Boolean) },
  CustomsDeclaration: { query: '{ orders(first: 20) { nodes { customs { SEL } } } }', objects: (d) => (d?.orders?.nodes ?? []).map((o: any) => o.customs).filter(Boolean) },
  OrderItem: { query: '{ orders(first: 5) { nodes { items { SEL } } } }', objects: (d) => (d?.orders?.nodes ?? []).flatMap((o: any) => o.items ?? []) },
  ItemAttribute: { query: '{ orders(first: 5) { nodes { items { attributes { SEL } } } } }', objects: (d) => (d?.orders?.nodes ?? []).flatMap((o: any) => (o.items ?? []).flatMap((i: any) => i.attributes ?? [])) },
  Shipment: { query: '{ shipments(first: 5) { nodes { SEL } } }', objects: (d) => d?.shipments?.nodes ?? [] },
  ShipmentEvent: { query: '{ shipments(first: 5) { nodes { events { SEL } } } }', objects: (d) => (d?.shipments?.nodes ?? []).flatMap((s: any) => s.events ?? []) },
  PaymentVerification: { query: '{ paymentVerifications(first: 5) { nodes { SEL } } }', objects: (d) => d?.paymentVerifications?.nodes ?? [] },
  AfterSalesCase: { query: '{ afterSalesCases(first: 5) { nodes { SEL } } }', objects: (d) => d?.afterSalesCases?.nodes ?? [] },
  CaseMessage: { query: '{ afterSalesCases(first: 5) { nodes { messages { SEL } } } }', objects: (d) => (d?.afterSalesCases?.nodes ?? []).flatMap((c: any) => c.messages ?? []) },
  CaseAttachment: { query: '{ afterSalesCases(first: 20) { nodes { attachments { SEL } } } }', objects: (d) => (d?.afterSalesCases?.nodes ?? []).flatMap((c: any) => c.attachments ?? []) },
  CaseRecord: { query: '{ afterSalesCases(first: 20) { nodes { records { SEL } } } }', objects: (d) => (d?.afterSalesCases?.nodes ?? []).flatMap((c: any) => c.records ?? []) },
  BehaviorEvent: { query: '{ behaviorEvents(first: 5) { nodes { SEL } } }', objects: (d) => d?.behaviorEvents?.nodes ?? [] },
  BehaviorAggregateReport: { query: '{ behaviorAggregates(from: "2025-12-01", to: "2025-12-31") { SEL } }', objects: (d) => (d?.behaviorAggregates ? [d.behaviorAggregates] : []) },
  BehaviorCell: {
    query: '{ behaviorAggregates(from: "2025-12-01", to: "2025-12-31", groupBy: [DEVICE_CLASS]) { cells { SEL } } }',
    objects: (d) => d?.behaviorAggregates?.cells ?? [],
  },
  ConsentGrant: { query: '{ customers(first: 100, orderBy: CREATED_AT_ASC) { nodes { consentGrants { SEL } } } }', objects: (d) => (d?.customers?.nodes ?? []).flatMap((c: any) => c.consentGrants ?? []) },
  PreferenceConsent: { query: '{ customers(first: 5) { nodes { preferenceConsents { SEL } } } }', objects: (d) => (d?.customers?.nodes ?? []).flatMap((c: any) => c.preferenceConsents ?? []) },
  PrivacyRequest: { query: '{ privacyRequests(first: 5) { nodes { SEL } } }', objects: (d) => d?.privacyRequests?.nodes ?? [] },
  PrivacyRequestTransition: {
    query: '{ privacyRequests(first: 5) { nodes { transitions { SEL } } } }',
    objects: (d) => (d?.privacyRequests?.nodes ?? []).flatMap((r: any) => r.transitions ?? []),
  },
  // The seed has no completed access request: the export answers an error, and only the field rules are checked.
  PrivacyExport: { query: '{ privacyExport(id: "6b1f0c9e-2a4d-4f3b-9c8e-7d6a5b4c3d2e") { SEL } }', objects: (d) => (d?.privacyExport ? [d.privacyExport] : []) },
  LegalHold: { query: '{ legalHolds { SEL } }', objects: (d) => d?.legalHolds ?? [] },
  Partner: { query: '{ partners(first: 5) { nodes { SEL } } }', objects: (d) => d?.partners?.nodes ?? [] },
  PolicyVersion: { query: '{ policyVersions { SEL } }', objects: (d) => d?.policyVersions ?? [] },
  AuditEvent: { query: '{ auditEvents(first: 5) { nodes { SEL } } }', objects: (d) => d?.auditEvents?.nodes ?? [] },
  AuditIntegrity: { query: '{ auditIntegrity { SEL } }', objects: (d) => (d?.auditIntegrity ? [d.auditIntegrity] : []) },
  AuditSeal: { query: '{ auditIntegrity { latestSeal { SEL } } }', objects: (d) => (d?.auditIntegrity?.latestSeal ? [d.auditIntegrity.latestSeal] : []) },
  AuditVerificationResult: {
    query: '{ auditIntegrity { lastVerification { SEL } } }',
    objects: (d) => (d?.auditIntegrity?.lastVerification ? [d.auditIntegrity.lastVerification] : []),
  },
  RetentionPreview: { query: '{ retentionPreview { SEL } }', objects: (d) => (d?.retentionPreview ? [d.retentionPreview] : []) },
  RetentionTableCounts: { query: '{ retentionPreview { tables { SEL } } }', objects: (d) => d?.retentionPreview?.tables ?? [] },
  WebhookEndpoint: { query: '{ webhookEndpoints { SEL } }', objects: (d) => d?.webhookEndpoints ?? [] },
  WebhookDelivery: { query: '{ webhookDeliveries(first: 5) { nodes { SEL } } }', objects: (d) => d?.webhookDeliveries?.nodes ?? [] },
};


function selectionOf(type: GraphQLObjectType, fieldName: string): string {
  const field = type.getFields()[fieldName];
  return isLeafType(getNamedType(field.type)) ? fieldName : `${fieldName} { __typename }`;
}

const forbiddenCoordinates = (r: ExecuteResult) =>
  new Set((r.errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => /: (\w+\.\w+)$/.exec(e.message)?.[1]));

describe('the disclosure matrix, field by field', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller) => Promise<ExecuteResult>;
  let engine: PolicyEngine;
  let schema: Awaited<ReturnType<typeof buildGatewaySchema>>;
  let types: GraphQLObjectType[];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
    schema = await buildGatewaySchema();
    engine = new PolicyEngine(schema);
    types = Object.keys(PATHS).map((name) => schema.getType(name) as GraphQLObjectType);
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('has a path for every object type that holds data', async () => {
    // A PrivacyExportLink and a WebhookEndpointSecret are only ever a mutation's result
    // (createPrivacyExportLink; registerWebhookEndpoint, rotateWebhookSecret): no read reaches them.
    expect(Object.keys(PATHS).sort()).toEqual(dataTypesOf(schema).filter((t) => t !== 'PrivacyExportLink' && t !== 'WebhookEndpointSecret'));
  });

  describe.each(MATRIX.map((row) => [`${row.principal} / ${row.purpose}`, row] as const))('%s', (_label, row) => {
    it('answers every field as the matrix says', async () => {
      const caller = callerOfMatrixRow(row);
      const mismatches: string[] = [];
      let observed = 0;
      for (const type of types) {
        const fields = Object.keys(type.getFields());
        const expected = new Map<string, Decision>(fields.map((f) => [f, decisionIn(decisions, row, `${type.name}.${f}`)]));
        if (isContractAudience(caller.principal.kind)) {
          // Partners and third parties: a field outside their contract fails validation, one
          // operation per field. The contract holds only fields the matrix does not deny, and only
          // types their row scope can return.
          const contract = buildContract(schema, caller.principal.kind, engine);
          for (const f of fields) {
            const contractType = contract.getType(type.name);
            const inContract = isObjectType(contractType) && contractType.getFields()[f] !== undefined;
            const want = expected.get(f)!;
            // A third party's contract is the widest grant; its own grant may name less, and what
            // the grant does not name is then FORBIDDEN at run time.
            const perCaller = caller.principal.kind === 'third_party';
            if (inContract && want === 'denied' && !perCaller) mismatches.push(`${type.name}.${f}: denied by the matrix but in the contract`);
            const r = await execute(PATHS[type.name].query.replace('SEL', selectionOf(type, f)), caller);
            const invalid = r.errors?.some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED') ?? false;
            if (inContract && want === 'denied' && perCaller && !invalid) {
              const reached = PATHS[type.name].objects(r.data).length > 0;
              if (reached && !forbiddenCoordinates(r).has(`${type.name}.${f}`)) mismatches.push(`${type.name}.${f}: outside the grant, expected FORBIDDEN`);
              if (PATHS[type.name].objects(r.data).some((o) => o[f] !== null && o[f] !== undefined)) mismatches.push(`${type.name}.${f}: outside the grant, got a value`);
            }
            // (A field in the contract may still be invalid here when its path from the root is not.)
            if (!inContract && !invalid) mismatches.push(`${type.name}.${f}: outside the contract, expected a validation error`);
            const values = PATHS[type.name].objects(r.data).map((o) => o[f]);
            observed += values.filter((v) => v !== null && v !== undefined).length;
            if (want === 'masked' && values.some((v) => typeof v === 'string' && !v.includes('•••'))) mismatches.push(`${type.name}.${f}: not masked`);
          }
          continue;
        }
        const query = PATHS[type.name].query.replace('SEL', fields.map((f) => selectionOf(type, f)).join(' '));
        const r = await execute(query, caller);
        const forbidden = forbiddenCoordinates(r);
        const objects = PATHS[type.name].objects(r.data);
        for (const f of fields) {
          const want = expected.get(f)!;
          const values = objects.map((o) => o[f]);
          observed += values.filter((v) => v !== null && v !== undefined).length;
          if (want === 'denied') {
            if (values.some((v) => v !== null)) mismatches.push(`${type.name}.${f}: expected denied, got a value`);
            if (objects.length > 0 && !forbidden.has(`${type.name}.${f}`)) mismatches.push(`${type.name}.${f}: expected FORBIDDEN`);
          } else {
            if (forbidden.has(`${type.name}.${f}`)) mismatches.push(`${type.name}.${f}: expected ${want}, got FORBIDDEN`);
            const strings = values.filter((v): v is string => typeof v === 'string');
            if (want === 'masked' && strings.some((v) => !v.includes('•••'))) mismatches.push(`${type.name}.${f}: expected masked, got a clear value`);
            if (want === 'visible' && strings.some((v) => v.includes('•••'))) mismatches.push(`${type.name}.${f}: expected visible, got a masked value`);
          }
        }
      }
      expect(mismatches).toEqual([]);
      // The table is only worth something if it saw data: every row but the storefront's reads some.
      if (row.rows !== 'none') expect(observed).toBeGreaterThan(0);
      // Partners and third parties: one operation per field.
    }, 120_000);
  });
});
