/**
 * A contract's non-null fields hold: each audience's widest read, generated from its contract
 * (every list root field, every field without required arguments, three levels deep), runs
 * over the demo data, and every position the contract declares non-null is checked in the
 * answer. The contract's nullable fields are not checked: null is what they promise may come.
 */
import {
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { Caller } from '../../src/policy/principal';
import { buildContract, type ContractAudience } from '../../src/policy/contracts';
import { PolicyEngine } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { as } from '../harness/principals';

const PAGE = 10;

/** A selection of every field of `type` that needs no argument but paging, `depth` levels of objects deep. */
function selectAll(type: GraphQLObjectType, depth: number): string {
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const paging = field.args.some((a) => a.name === 'first') ? `(first: ${PAGE})` : '';
    const target = getNamedType(field.type);
    if (isLeafType(target)) parts.push(field.name);
    else if (isObjectType(target) && depth > 0) {
      const inner = selectAll(target, depth - 1);
      if (inner) parts.push(`${field.name}${paging} { ${inner} }`);
    }
  }
  return parts.join(' ');
}

/** Paths where the answer holds null and the contract says it never does. */
function nullsAtNonNull(value: unknown, type: GraphQLOutputType, path: string, found: string[]): void {
  if (isNonNullType(type)) {
    if (value === null || value === undefined) found.push(path);
    else nullsAtNonNull(value, type.ofType, path, found);
    return;
  }
  if (value === null || value === undefined) return;
  if (isListType(type)) {
    (value as unknown[]).forEach((item, i) => nullsAtNonNull(item, type.ofType, `${path}[${i}]`, found));
    return;
  }
  if (isObjectType(type)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      nullsAtNonNull(inner, type.getFields()[key]!.type, `${path}.${key}`, found);
    }
  }
}

/** Positions the contract declares non-null that the widest read reached with a value. */
function checkedNonNull(value: unknown, type: GraphQLOutputType, counter: { n: number }): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) {
    if (isLeafType(getNamedType(type)) && !isListType(type.ofType)) counter.n += 1;
    checkedNonNull(value, type.ofType, counter);
  } else if (isListType(type)) (value as unknown[]).forEach((item) => checkedNonNull(item, type.ofType, counter));
  else if (isObjectType(type)) for (const [key, inner] of Object.entries(value as Record<string, unknown>)) checkedNonNull(inner, type.getFields()[key]!.type, counter);
}

describe('contract types hold over real answers', () => {
  let db: TestDatabase;
  let schema: GraphQLSchema;
  let engine: PolicyEngine;
  let run: Awaited<ReturnType<typeof createTestGateway>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    schema = await buildGatewaySchema();
    engine = new PolicyEngine(schema);
    run = await createTestGateway(db);
  });
  afterAll(async () => {
    await run.gateway.stop();
    await db.drop();
  });

  const audiences: Array<[ContractAudience, () => Caller]> = [
    ['logistics_partner', () => as.logistics(DEMO_IDS.logisticsPartners[0])],
    ['payment_provider', () => as.payment(DEMO_IDS.paymentProviders[0])],
    ['platform_operator', () => as.platform(DEMO_IDS.platformOperator)],
  ];

  it.each(audiences)('%s: no non-null field of its contract is ever null in its widest read', async (audience, caller) => {
    const contract = buildContract(schema, audience, engine);
    const query = contract.getQueryType()!;
    let checked = 0;
    for (const root of Object.values(query.getFields())) {
      if (!root.args.some((a) => a.name === 'first')) continue;
      const selection = selectAll(getNamedType(root.type) as GraphQLObjectType, 3);
      const document = `{ ${root.name}(first: ${PAGE}) { ${selection} } }`;
      const result = await run.execute(document, caller());
      expect({ root: root.name, errors: result.errors ?? [] }).toEqual({ root: root.name, errors: [] });
      const found: string[] = [];
      nullsAtNonNull(result.data![root.name], root.type, root.name, found);
      expect(found).toEqual([]);
      const counter = { n: 0 };
      checkedNonNull(result.data![root.name], root.type, counter);
      checked += counter.n;
    }
    // The read reached non-null leaves: the check above was not vacuous.
    expect(checked).toBeGreaterThan(50);
  });

  it('a field is non-null only where the audience sees it and its column is NOT NULL', () => {
    const carrier = buildContract(schema, 'logistics_partner', engine);
    const shipment = carrier.getType('Shipment') as GraphQLObjectType;
    const fields = shipment.getFields();
    // status: NOT NULL column, seen by carriers. trackingNumber, deliveredAt: nullable columns.
    // order: a link, which row scope can leave null.
    expect(String(fields.status!.type)).toBe('ShipmentStatus!');
    expect(String(fields.trackingNumber!.type)).toBe('String');
    expect(String(fields.deliveredAt!.type)).toBe('DateTimeISO');
    expect(String(fields.order!.type)).toBe('Order');
    // The full schema keeps it nullable: other callers may be refused it.
    expect(String((schema.getType('Shipment') as GraphQLObjectType).getFields().status!.type)).toBe('ShipmentStatus');
    // A third party's view depends on each grant: nothing of it is promised.
    const thirdParty = buildContract(schema, 'third_party', engine);
    const order = thirdParty.getType('Order') as GraphQLObjectType;
    expect(Object.values(order.getFields()).filter((f) => isNonNullType(f.type) && f.name !== 'id').map((f) => f.name)).toEqual([]);
  });

  it('custom scalars name their specification', () => {
    const carrier = buildContract(schema, 'logistics_partner', engine);
    expect(carrier.getType('DateTimeISO')).toMatchObject({ specifiedByURL: 'https://datatracker.ietf.org/doc/html/rfc3339#section-5.6' });
    expect(carrier.getType('Decimal')).toMatchObject({ specifiedByURL: 'https://www.w3.org/TR/xmlschema11-2/#decimal' });
  });
});
