/**
 * The partner contracts: derived from the matrix, committed under contracts/, and a strict
 * sub-schema of the full schema that the audience's policy view never denies.
 */
import fs from 'node:fs';
import { getNamedType, isEnumType, isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';
import { ARGUMENT_REVEALS } from '../../src/policy/arguments';
import { buildContract, CONTRACT_AUDIENCES, contractFile, descriptionWithin, printContract, type ContractAudience } from '../../src/policy/contracts';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import { PolicyEngine } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';

let schema: GraphQLSchema;
let engine: PolicyEngine;
const contracts = new Map<ContractAudience, GraphQLSchema>();

beforeAll(async () => {
  schema = await buildGatewaySchema();
  engine = new PolicyEngine(schema);
  for (const audience of CONTRACT_AUDIENCES) contracts.set(audience, buildContract(schema, audience, engine));
});

/** `Type.field` for every field of every object type of a schema. */
function coordinates(s: GraphQLSchema): Set<string> {
  const out = new Set<string>();
  for (const type of Object.values(s.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.keys(type.getFields())) out.add(`${type.name}.${field}`);
  }
  return out;
}

describe.each(CONTRACT_AUDIENCES.map((a) => [a]))('the contract of %s', (audience) => {
  it(`is committed as ${contractFile(audience)} (run \`npm run cli -- contracts\` after changing the matrix or the schema)`, () => {
    expect(printContract(audience, contracts.get(audience)!)).toEqual(fs.readFileSync(contractFile(audience), 'utf8'));
  });

  it('is a sub-schema of the full schema: same fields and types (or their non-null form), arguments, input fields and enum values a subset of the full ones', () => {
    const contract = contracts.get(audience)!;
    const subset = (part: string[], whole: string[]) => expect(part.filter((x) => !whole.includes(x))).toEqual([]);
    for (const type of Object.values(contract.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      const full = schema.getType(type.name);
      expect(full?.constructor).toBe(type.constructor);
      if (isInputObjectType(type) && isInputObjectType(full)) {
        const typed = (t: typeof type) => Object.values(t.getFields()).map((f) => `${t.name}.${f.name}: ${String(f.type)}`);
        subset(typed(type), typed(full));
      }
      if (isEnumType(type) && isEnumType(full)) subset(type.getValues().map((v) => v.name), full.getValues().map((v) => v.name));
      if (!isObjectType(type) || !isObjectType(full)) continue;
      for (const field of Object.values(type.getFields())) {
        const original = full.getFields()[field.name];
        // A field the audience always sees may be non-null in its contract (contract-types.test.ts).
        const fullType = String(original?.type);
        expect([fullType, `${fullType}!`]).toContain(String(field.type));
        subset(field.args.map((a) => `${a.name}: ${String(a.type)}`), original.args.map((a) => `${a.name}: ${String(a.type)}`));
      }
    }
  });

  it("holds no filter field and no ordering the audience's view refuses, and keeps every one it allows", () => {
    const view = engine.buildView(`test:${audience}`, MATRIX.filter((r) => r.principal === audience));
    const contract = contracts.get(audience)!;
    const held = (coordinate: string) => {
      const [typeName, member] = coordinate.split('.');
      const type = contract.getType(typeName);
      return (isInputObjectType(type) && type.getFields()[member] !== undefined) || (isEnumType(type) && type.getValue(member) !== undefined);
    };
    const members = Object.keys(ARGUMENT_REVEALS).filter((c) => !c.includes('('));
    expect(members.filter((c) => held(c) && view.decideArgument(c) !== 'visible')).toEqual([]);
    // Allowed, but not held: only where no field the audience keeps takes the argument at all.
    const usedTypes = new Set<string>();
    for (const type of Object.values(contract.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) for (const a of field.args) usedTypes.add(getNamedType(a.type).name);
    }
    const missing = members.filter((c) => view.decideArgument(c) === 'visible' && !held(c));
    expect(missing.filter((c) => usedTypes.has(c.split('.')[0]))).toEqual([]);
  });

  it("holds no field the audience's policy view denies, and no operation it may not call", () => {
    const view = engine.buildView(`test:${audience}`, MATRIX.filter((r) => r.principal === audience));
    const denied = [...coordinates(contracts.get(audience)!)].filter((c) => {
      const [typeName, fieldName] = c.split('.');
      return view.decide(typeName, fieldName) === 'denied';
    });
    expect(denied).toEqual([]);
  });

  it('executes nothing: its fields have no resolvers', () => {
    const contract = contracts.get(audience)!;
    const resolved = [...coordinates(contract)].filter((c) => {
      const [typeName, fieldName] = c.split('.');
      const type = contract.getType(typeName);
      return isObjectType(type) && type.getFields()[fieldName].resolve !== undefined;
    });
    expect(resolved).toEqual([]);
  });
});

describe('what each contract holds', () => {
  const has = (audience: ContractAudience, coordinate: string) => coordinates(contracts.get(audience)!).has(coordinate);
  const types = (audience: ContractAudience) => Object.keys(contracts.get(audience)!.getTypeMap()).filter((n) => !n.startsWith('__'));

  it("gives a carrier its shipments, the recipient and the parcel's contents, and nothing about the account holder or payments", () => {
    for (const c of ['Query.shipments', 'Shipment.trackingNumber', 'Shipment.order', 'Order.orderNumber', 'Order.shippingAddress', 'ShippingAddress.recipientName', 'ShippingAddress.phone', 'Order.customs', 'OrderItem.productName', 'Mutation.recordShipmentEvents', 'Mutation.recordShipmentTracking']) {
      expect([c, has('logistics_partner', c)]).toEqual([c, true]);
    }
    for (const c of ['Order.customer', 'Order.totalAmount', 'Order.status', 'Order.paymentVerifications', 'Order.afterSalesCases', 'OrderItem.unitPrice', 'Query.customer', 'Query.customers', 'Query.paymentVerifications', 'Mutation.recordPaymentResult']) {
      expect([c, has('logistics_partner', c)]).toEqual([c, false]);
    }
    expect(types('logistics_partner')).not.toEqual(expect.arrayContaining(['Customer']));
    for (const t of ['Customer', 'Address', 'PaymentVerification', 'AfterSalesCase', 'ConsentGrant', 'LegalHold', 'PrivacyRequest', 'BehaviorEvent']) {
      expect([t, types('logistics_partner').includes(t)]).toEqual([t, false]);
    }
  });

  it('gives a payment provider settlement data and its one write, and no shipments, items or customers', () => {
    for (const c of ['Query.paymentVerifications', 'PaymentVerification.settlementBatchRef', 'PaymentVerification.providerReference', 'Order.totalAmount', 'Mutation.recordPaymentResult']) {
      expect([c, has('payment_provider', c)]).toEqual([c, true]);
    }
    for (const t of ['Shipment', 'OrderItem', 'Customer', 'ShippingAddress']) expect([t, types('payment_provider').includes(t)]).toEqual([t, false]);
  });

  it('gives a platform operator its orders read-only, without settlement references', () => {
    expect(contracts.get('platform_operator')!.getMutationType()).toBeUndefined();
    expect(has('platform_operator', 'Order.status')).toBe(true);
    expect(has('platform_operator', 'PaymentVerification.settlementBatchRef')).toBe(false);
  });

  it('gives a third party the widest grant at most: never rights requests, legal holds, behaviour or settlement data', () => {
    expect(has('third_party', 'Customer.accountName')).toBe(true);
    for (const t of ['PrivacyRequest', 'LegalHold', 'BehaviorEvent']) expect([t, types('third_party').includes(t)]).toEqual([t, false]);
    for (const c of ['Customer.privacyRequests', 'Customer.legalHolds', 'PaymentVerification.settlementBatchRef']) expect([c, has('third_party', c)]).toEqual([c, false]);
    expect(contracts.get('third_party')!.getMutationType()).toBeUndefined();
  });

  it('drops a description that names a type outside the contract, and keeps the others', () => {
    const full = new Set(['Customer', 'Order', 'Shipment']);
    const within = new Set(['Order', 'Shipment']);
    expect(descriptionWithin('The Customer who placed the order.', full, within)).toBeUndefined();
    expect(descriptionWithin("The order's shipments (a carrier sees only its own).", full, within)).toBe("The order's shipments (a carrier sees only its own).");
    expect(descriptionWithin('Every Shipment of this Order.', full, within)).toBe('Every Shipment of this Order.');
    expect(descriptionWithin('Customers: a word that is not a type name.', full, within)).toBe('Customers: a word that is not a type name.');
  });

  it('prints no description that names a type outside the contract', () => {
    const contract = contracts.get('logistics_partner')!;
    const named = new Set(Object.keys(contract.getTypeMap()));
    const outside = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__') && !named.has(n));
    const descriptions: string[] = [];
    for (const type of Object.values(contract.getTypeMap())) {
      if (type.description) descriptions.push(type.description);
      if (isObjectType(type)) for (const f of Object.values(type.getFields())) descriptions.push(f.description ?? '', ...f.args.map((a) => a.description ?? ''));
    }
    const leaking = descriptions.filter((d) => outside.some((n) => new RegExp(`\\b${n}\\b`).test(d)));
    expect(leaking).toEqual([]);
  });

  it('refuses to build for an audience the matrix has no row for', () => {
    expect(() => buildContract(schema, 'payment_provider', engine, MATRIX.filter((r) => r.principal !== 'payment_provider'))).toThrow(
      'contract for payment_provider: the disclosure matrix has no row for it',
    );
  });

  it('follows the matrix: withholding a field removes it from the contract', () => {
    const matrix = MATRIX.map((r) => (r.principal === 'logistics_partner' ? { ...r, withhold: { ...r.withhold, 'ShippingAddress.phone': 'test' } } : r));
    const narrowed = buildContract(schema, 'logistics_partner', new PolicyEngine(schema), matrix);
    expect(coordinates(narrowed).has('ShippingAddress.phone')).toBe(false);
    expect(coordinates(narrowed).has('ShippingAddress.recipientName')).toBe(true);
  });

  it('every object type the contracts return is reachable from Query or Mutation', () => {
    for (const [audience, contract] of contracts) {
      const reachable = new Set<string>();
      const pending = [contract.getQueryType()!, ...(contract.getMutationType() ? [contract.getMutationType()!] : [])];
      while (pending.length) {
        const type = pending.pop()!;
        if (reachable.has(type.name)) continue;
        reachable.add(type.name);
        for (const f of Object.values(type.getFields())) {
          const target = getNamedType(f.type);
          if (isObjectType(target)) pending.push(target);
        }
      }
      const objectTypes = Object.values(contract.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__')).map((t) => t.name);
      expect([audience, objectTypes.filter((t) => !reachable.has(t))]).toEqual([audience, []]);
    }
  });
});
