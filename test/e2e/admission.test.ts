/**
 * Admission is linear in the document. Named fragments that each spread the next one ten
 * times, N levels deep, are a document of a few hundred bytes that stands for 10^N selections;
 * every walk that runs before execution (the field-rule decision, the rate limiter's and the
 * root-field limit's count, the cost limit, the contract checks) must expand each fragment
 * once. The walks count the selections they visit (`admissionVisits`); each level of the family
 * adds the same text, so it must add the same number of visits. Validation stops after ten
 * errors, in Apollo's validation and in a partner's contract alike.
 */
import type { Caller } from '../../src/policy/principal';
import { DEFAULT_LIMITS } from '../../src/hardening/operation-limits';
import { admissionVisits } from '../../src/platform/documents';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import type { Gateway } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { as } from '../harness/principals';

/** `leaf` is selected at the end of N levels of fragments on `type`, each spreading the next ten times. */
function fragmentFamily(levels: number, type: string, leaf: string): string {
  const fragments: string[] = [];
  for (let i = 0; i < levels; i++) {
    const body = i === levels - 1 ? leaf : Array.from({ length: 10 }, () => `...F${i + 1}`).join(' ');
    fragments.push(`fragment F${i} on ${type} { ${body} }`);
  }
  return fragments.join('\n');
}

const FAMILIES = {
  /** The shape: the fragments nest inside a list of shipments (refused for depth with the default limits). */
  shipments: (levels: number) => `query Nested { shipments(first: 1) { nodes { ...F0 } } }\n${fragmentFamily(levels, 'Shipment', 'id trackingNumber')}`,
  /** On the root type: the fragments multiply the root fields and the cost, not the depth of fields. */
  root: (levels: number) => `query Nested { ...F0 }\n${fragmentFamily(levels, 'Query', 'shipments(first: 1) { nodes { id } }')}`,
};

const LEVELS = [3, 4, 5, 6, 7, 8, 9];

type Outcome = { status: number; codes: string[] };

describe('document admission', () => {
  let db: TestDatabase;
  /** Default limits: the families are refused. */
  let limited: Gateway;
  /** No depth or cost limit: the families are admitted and every walk runs, the cost's and the contract's included. */
  let open: Gateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ gateway: limited } = await createTestGateway(db));
    ({ gateway: open } = await createTestGateway(db, { limits: { ...DEFAULT_LIMITS, maxDepth: 1000, maxCost: Number.MAX_SAFE_INTEGER } }));
  });
  afterAll(async () => {
    await limited.stop();
    await open.stop();
    await db.drop();
  });

  async function admit(gateway: Gateway, query: string, caller: Caller): Promise<{ visits: number } & Outcome> {
    const before = admissionVisits.count;
    const response = await gateway.execute(query, caller);
    const visits = admissionVisits.count - before;
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    const codes = (response.body.singleResult.errors ?? []).map((e) => String(e.extensions?.code));
    return { visits, status: response.http.status ?? 200, codes: [...new Set(codes)] };
  }

  const callers: Array<[string, Caller]> = [
    ['a logistics partner (contract checks too)', as.logistics(DEMO_IDS.logisticsPartners[0])],
    ['staff', as.staff(['customer_service'], 'fulfillment')],
  ];

  describe.each(callers)('for %s', (_label, caller) => {
    it.each([
      ['shipments', 'limited', { status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] }],
      ['root', 'limited', { status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] }],
      ['shipments', 'open', { status: 200, codes: [] }],
      ['root', 'open', { status: 200, codes: [] }],
    ] as const)('the %s family, %s: each level adds the same number of visits', async (family, which, outcome) => {
      const gateway = which === 'limited' ? limited : open;
      const runs: Array<{ levels: number; visits: number } & Outcome> = [];
      for (const levels of LEVELS) runs.push({ levels, ...(await admit(gateway, FAMILIES[family](levels), caller)) });
      for (const run of runs) expect({ levels: run.levels, status: run.status, codes: run.codes }).toEqual({ levels: run.levels, ...outcome });
      const steps = runs.slice(1).map((run, i) => run.visits - runs[i]!.visits);
      // Linear: a constant step per level (an expanding walk would multiply by ten per level).
      expect(new Set(steps).size).toBe(1);
      expect(steps[0]).toBeGreaterThan(0);
      expect(steps[0]).toBeLessThanOrEqual(100);
      // The deepest document, 10^9 selections expanded, is admitted with a few hundred visits.
      expect(runs.at(-1)!.visits).toBeLessThan(1000);
    });
  });

  it('refuses a fragment cycle without walking round it', async () => {
    const before = admissionVisits.count;
    const r = await admit(limited, `query { ...A } fragment A on Query { ...B policyVersions { id } } fragment B on Query { ...A }`, as.staff(['customer_service'], 'fulfillment'));
    expect({ status: r.status, codes: r.codes }).toEqual({ status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(admissionVisits.count - before).toBeLessThan(20);
  });

  describe('validation errors are capped at ten (and one saying so)', () => {
    const unknownDirectives = `{ policyVersions ${Array.from({ length: 300 }, (_, i) => `@d${i}`).join(' ')} { id } }`;
    const unknownFields = `{ shipments(first: 1) { nodes { ${Array.from({ length: 300 }, (_, i) => `f${i}`).join(' ')} } } }`;

    it.each([
      ['300 unknown directives, staff', unknownDirectives, as.staff(['customer_service'], 'fulfillment')],
      ['300 unknown fields, staff', unknownFields, as.staff(['customer_service'], 'fulfillment')],
      ['300 unknown fields, a logistics partner (its contract)', unknownFields, as.logistics(DEMO_IDS.logisticsPartners[0])],
      ['300 unknown directives, a payment provider (its contract)', unknownDirectives, as.payment(DEMO_IDS.paymentProviders[0])],
    ])('%s', async (_label, query, caller) => {
      const response = await limited.execute(query, caller);
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      const errors = response.body.singleResult.errors ?? [];
      expect(response.http.status).toBe(400);
      expect(errors).toHaveLength(11);
      expect(errors.at(-1)!.message).toBe('Too many validation errors, error limit reached. Validation aborted.');
      expect(new Set(errors.map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    });
  });
});
