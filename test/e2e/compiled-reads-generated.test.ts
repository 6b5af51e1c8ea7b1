/**
 * Compiled reads against graphql-js over generated operations: for every row of the disclosure
 * matrix, operations generated from the whole schema — each root field, every field of its type
 * whatever the caller's view decides (denied and masked ones included), the fields the view shows,
 * and nested connections with edges and cursors — run on a gateway with compiled reads (in
 * process and over HTTP) and on one without. Both must give the same data, the same errors in
 * the same (response) order and the same audit event; the compiled one may only send fewer
 * statements. A compiled statement is the one rendered afresh for the request: the gateway keeps
 * templates across operations and callers, its text and values must be those of a gateway that
 * renders every statement anew. Which operations compile, and why the others go to graphql-js, is counted;
 * `READ_PLAN_COVERAGE=1` prints the count.
 */
import {
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { needsFieldRules } from '../../src/enforcement/field-rules';
import { DEFAULT_RATE_LIMITS } from '../../src/hardening/rate-limit';
import { ReadPlans } from '../../src/execution/read-plans';
import { MATRIX } from '../../src/policy/disclosure-matrix';
import { PolicyEngine, type PolicyView } from '../../src/policy/policy-view';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { DisclosureRecorder } from '../../src/audit/disclosure-recorder';
import { Client } from 'pg';
import { builtByPostgres, callerFrom, httpOutcomeAndEvent, isCompiled, outcomeAndEvent, seedWebhookDeliveries } from '../harness/compiled-equivalence';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { callerOfMatrixRow } from '../harness/principals';
import { insertServedRequest } from '../harness/privacy-request-fixture';

/**
 * Root fields left out: their answers change from one run to the next (the audit log grows with
 * every request; the retention preview is computed against the clock).
 */
const UNSTABLE_ROOTS = new Set(['auditEvents', 'auditIntegrity', 'retentionPreview']);

/** Page arguments generated operations send; any other required argument without a default leaves its field out. */
const PAGE_SIZE = 2;

/**
 * What a generated operation selects: every field, the fields the caller's view shows, or every
 * field compiled reads read (denied and masked ones included), or only those the view denies (no
 * id beside them); connections as `nodes` or as `edges` with cursors.
 */
interface Mode {
  name: string;
  fields: 'every' | 'shown' | 'compiled' | 'denied';
  edges: boolean;
}
const MODES: readonly Mode[] = [
  { name: 'every field', fields: 'every', edges: false },
  { name: 'fields shown', fields: 'shown', edges: false },
  { name: 'edges and cursors', fields: 'shown', edges: true },
  { name: 'every compiled field', fields: 'compiled', edges: false },
  { name: 'every compiled field, edges and cursors', fields: 'compiled', edges: true },
  { name: 'denied compiled fields alone', fields: 'denied', edges: false },
];

/** Whether a mode selects `Type.field` for `view` (`compiled`: the fields read plans read, by type). */
type Selects = (mode: Mode, typeName: string, fieldName: string) => boolean;

const isConnection = (type: GraphQLObjectType) => type.name.endsWith('Connection') && 'nodes' in type.getFields();

/** The arguments a generated selection sends a field, or undefined when it cannot fill one it must. */
function argumentsOf(field: GraphQLField<unknown, unknown>, idOf: (typeName: string) => string): string | undefined {
  const parts: string[] = [];
  for (const arg of field.args) {
    if (arg.name === 'first') parts.push(`first: ${PAGE_SIZE}`);
    else if (arg.name === 'id' && isNonNullType(arg.type)) parts.push(`id: "${idOf(getNamedType(field.type).name)}"`);
    else if (isNonNullType(arg.type) && arg.defaultValue === undefined) return undefined;
  }
  return parts.length > 0 ? `(${parts.join(', ')})` : '';
}

/** The selection of `type` a mode generates, `depth` relations deep. */
function selectionOf(type: GraphQLObjectType, depth: number, mode: Mode, selects: Selects, idOf: (typeName: string) => string): string {
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (!selects(mode, type.name, field.name)) continue;
    const args = argumentsOf(field, idOf);
    if (args === undefined) continue;
    const target = getNamedType(field.type);
    if (isLeafType(target)) {
      parts.push(`${field.name}${args}`);
      continue;
    }
    if (!isObjectType(target) || depth === 0) continue;
    if (isConnection(target)) {
      const node = getNamedType(target.getFields().nodes!.type) as GraphQLObjectType;
      const inner = selectionOf(node, depth - 1, mode, selects, idOf) || '__typename';
      parts.push(
        mode.edges
          ? `${field.name}${args} { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${inner} } } }`
          : `${field.name}${args} { pageInfo { hasNextPage hasPreviousPage } nodes { ${inner} } }`,
      );
    } else parts.push(`${field.name}${args} { ${selectionOf(target, depth - 1, mode, selects, idOf) || '__typename'} }`);
  }
  return parts.join(' ');
}

/** Every generated operation for `view`: each stable root field in each mode (a root looked up by id, once with a row of the caller's and once with another's). */
function generated(schema: GraphQLSchema, selects: Selects, ids: Record<string, string[]>): Array<{ name: string; query: string }> {
  const out: Array<{ name: string; query: string }> = [];
  const query = schema.getQueryType()!;
  for (const field of Object.values(query.getFields())) {
    if (UNSTABLE_ROOTS.has(field.name)) continue;
    const target = getNamedType(field.type);
    const choices = field.args.some((a) => a.name === 'id') ? (ids[target.name] ?? ['00000000-0000-4000-8000-000000000000']) : [''];
    for (const [n, id] of choices.entries()) {
      const idOf = (typeName: string) => (typeName === target.name ? id : (ids[typeName]?.[0] ?? '00000000-0000-4000-8000-000000000000'));
      const args = argumentsOf(field, idOf);
      if (args === undefined) continue;
      for (const mode of MODES) {
        if ((mode.fields === 'compiled' || mode.fields === 'denied') && !selects(mode, query.name, field.name)) continue;
        const name = `${field.name}${choices.length > 1 ? ` #${n}` : ''}, ${mode.name}`;
        if (isLeafType(target)) out.push({ name, query: `{ ${field.name}${args} }` });
        else if (isObjectType(target)) {
          const selection = isConnection(target) ? undefined : selectionOf(target, 2, mode, selects, idOf);
          if (selection !== undefined) {
            out.push({ name, query: `{ ${field.name}${args} { ${selection || '__typename'} } }` });
            continue;
          }
          const node = getNamedType(target.getFields().nodes!.type) as GraphQLObjectType;
          const inner = selectionOf(node, 2, mode, selects, idOf) || '__typename';
          const body = mode.edges ? `pageInfo { startCursor endCursor hasNextPage } edges { cursor node { ${inner} } }` : `pageInfo { hasNextPage hasPreviousPage } nodes { ${inner} }`;
          out.push({ name, query: `{ ${field.name}${args.replace(`first: ${PAGE_SIZE}`, 'first: 4')} { ${body} } }` });
        }
      }
    }
  }
  return out;
}

/**
 * Gives `requests` a result as a completed request holds one (the seed holds none): keys out of
 * order, an integer-like one, nested objects and lists, numbers and text.
 */
async function withResults(db: TestDatabase, requests: string[]): Promise<string[]> {
  const result = { withdrawn: ['grant-b', 'grant-a'], erased: { orders: 2, addresses: 1 }, '10': true, kept: [{ table: 'order', reason: 'retention', rows: 1.5 }], note: 'é "quoted"' };
  await db.dataSource.query(`UPDATE privacy_request SET result = $2::jsonb WHERE id = ANY($1::uuid[])`, [requests, JSON.stringify(result)]);
  return requests;
}

/** A download link is sealed afresh for every response: compared by what it links to (its path's kind), not its sealing. */
function withoutSealedLinks<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (key, v) => (key === 'downloadUrl' && typeof v === 'string' ? v.replace(/^(\/attachments\/)[^/]+$/, '$1(sealed)') : v)) as T;
}

/** The by-id look-up of a privacy request (loader-factory.ts `byIdLoader` over privacy_request), as the served request's check sends it. */
const SERVED_REQUEST_LOOKUP = /FROM "privacy_request" t WHERE t\."id" = ANY\(\$\d+::uuid\[\]\)/;
/** How the generated operations ran, over every row: compiled, refused before execution, or on graphql-js and why. */
const coverage = new Map<string, number>();
const count = (key: string) => coverage.set(key, (coverage.get(key) ?? 0) + 1);
let compiledWithDenials = 0;
let compiledWithMasks = 0;
/** Compiled operations whose audit event was not made from what the plan reported its response carries (the response was walked instead). */
const compiledUnreported: string[] = [];

describe('compiled reads over generated operations give what graphql-js gives', () => {
  let db: TestDatabase;
  let compiled: Gateway;
  let fresh: Gateway;
  let compiledHttp: HttpGateway;
  let plain: Gateway;
  let schema: GraphQLSchema;
  let engine: PolicyEngine;
  let plans: ReadPlans;
  let ids: Record<string, string[]>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    // Generated operations are refused (403) and miss (a row of another's) far more often than a
    // caller's budgets allow in a minute: the budgets are not what is compared here.
    const rateLimits = { ...DEFAULT_RATE_LIMITS, fieldsPerMinute: 1_000_000, missesPerMinute: 1_000_000, refusalsPerMinute: 1_000_000 };
    ({ gateway: compiled } = await createTestGateway(db, { rateLimits }));
    ({ gateway: plain } = await createTestGateway(db, { compiledReads: false, rateLimits }));
    ({ gateway: fresh } = await createTestGateway(db, { readPlanTemplates: false, rateLimits }));
    compiledHttp = await startHttpGateway(db, { authenticate: callerFrom, rateLimits });
    schema = await buildGatewaySchema();
    engine = new PolicyEngine(schema);
    plans = new ReadPlans(schema, db.dataSource);
    const [carrier] = DEMO_IDS.logisticsPartners;
    const [provider] = DEMO_IDS.paymentProviders;
    const two = async (sql: string, params: unknown[]) => ((await db.dataSource.query(sql, params)) as Array<{ id: string }>).map((r) => r.id);
    ids = {
      Order: await two(`(SELECT id FROM "order" WHERE customer_id = $1 ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM "order" WHERE customer_id <> $1 ORDER BY id LIMIT 1)`, [DEMO_IDS.demoCustomer]),
      Shipment: await two(`(SELECT id FROM shipment WHERE logistics_partner_id = $1 ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM shipment WHERE logistics_partner_id <> $1 ORDER BY id LIMIT 1)`, [carrier]),
      PaymentVerification: await two(`(SELECT id FROM payment_verification WHERE provider_id = $1 ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM payment_verification WHERE provider_id <> $1 ORDER BY id LIMIT 1)`, [provider]),
      Customer: [DEMO_IDS.demoCustomer, ...(await two(`SELECT id FROM customer WHERE id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]))],
      AfterSalesCase: await two(`(SELECT id FROM after_sales_case WHERE customer_id = $1 ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM after_sales_case WHERE customer_id <> $1 ORDER BY id LIMIT 1)`, [DEMO_IDS.demoCustomer]),
      ConsentGrant: [DEMO_IDS.consentGrant],
      Partner: [carrier!, ...(await two(`SELECT id FROM partner WHERE id <> ALL($1::uuid[]) ORDER BY id LIMIT 1`, [[carrier, provider, DEMO_IDS.platformOperator]]))],
      PrivacyRequest: await withResults(db, await two(`(SELECT id FROM privacy_request WHERE customer_id = $1 ORDER BY id LIMIT 1) UNION ALL (SELECT id FROM privacy_request WHERE customer_id <> $1 ORDER BY id LIMIT 1)`, [DEMO_IDS.demoCustomer])),
      WebhookDelivery: await seedWebhookDeliveries(db, [carrier!, provider!]),
    };
  });
  afterAll(async () => {
    await compiled?.stop();
    await compiledHttp?.close();
    await plain?.stop();
    await fresh?.stop();
    await db?.drop();
    if (process.env.READ_PLAN_COVERAGE) {
      const total = [...coverage.values()].reduce((a, b) => a + b, 0);
      const lines = [...coverage.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${String(v).padStart(5)}  ${k}`);
      console.info(`generated operations: ${total}\n${lines.join('\n')}`);
    }
  });

  describe.each(MATRIX.map((row) => [`${row.principal} / ${row.purpose}`, row] as const))('%s', (_label, row) => {
    it('same data, errors and audit events; never more statements', async () => {
      const caller = callerOfMatrixRow(row);
      const view = engine.viewFor(caller);
      const selects: Selects = (mode, typeName, fieldName) => {
        if (mode.fields === 'every') return true;
        if (mode.fields === 'shown') return view.decide(typeName, fieldName) !== 'denied';
        const compiledField = plans.compiledFields(typeName).has(fieldName);
        // Denied fields alone, below a root field (which the view may or may not deny).
        return mode.fields === 'compiled' || typeName === schema.getQueryType()!.name ? compiledField : compiledField && view.decide(typeName, fieldName) === 'denied';
      };
      // What a compiled read reports its response carries, in place of the audit's walk of the response.
      const reports = jest.spyOn(DisclosureRecorder.prototype, 'carriedIn');
      const reported = () => reports.mock.results.filter((r) => r.value !== undefined).length;
      // The compiled statements sent (text and values), as pg's client is given them.
      const queries = jest.spyOn(Client.prototype, 'query');
      const sent = () =>
        queries.mock.calls.flatMap(([statement]) => {
          const { text, values } = (statement ?? {}) as { text?: unknown; values?: unknown[] };
          // A time bound per request (a privacy request's `overdue`: now) differs from run to run.
          return typeof text === 'string' && isCompiled(text) ? [{ text, values: values?.map((v) => (v instanceof Date ? 'a time' : v)) }] : [];
        });
      for (const op of generated(schema, selects, ids)) {
        reports.mockClear();
        queries.mockClear();
        const c = withoutSealedLinks(await outcomeAndEvent(compiled, db, op.query, caller));
        const inProcess = reported();
        const templated = sent();
        const h = withoutSealedLinks(await httpOutcomeAndEvent(compiledHttp, db, op.query, caller));
        if (c.compiled && c.outcome.data !== null && (inProcess !== 1 || reported() !== 2)) compiledUnreported.push(op.name);
        queries.mockClear();
        const f = withoutSealedLinks(await outcomeAndEvent(fresh, db, op.query, caller));
        expect({ op: op.name, statements: templated, outcome: c.outcome, event: c.event }).toEqual({ op: op.name, statements: sent(), outcome: f.outcome, event: f.event });
        if (c.compiled) expect({ op: op.name, seen: templated.length > 0 }).toEqual({ op: op.name, seen: true });
        const p = withoutSealedLinks(await outcomeAndEvent(plain, db, op.query, caller));
        expect({ op: op.name, outcome: c.outcome, event: c.event }).toEqual({ op: op.name, outcome: p.outcome, event: p.event });
        expect({ op: op.name, outcome: h.outcome, event: h.event }).toEqual({ op: op.name, outcome: p.outcome, event: p.event });
        expect({ op: op.name, json: JSON.stringify(h.outcome) }).toEqual({ op: op.name, json: JSON.stringify(p.outcome) });
        if (builtByPostgres(h.text)) expect({ op: op.name, compiled: c.compiled }).toEqual({ op: op.name, compiled: true });
        if (c.compiled && c.statements > p.statements) expect({ op: op.name, compiled: c.texts, plain: p.texts }).toBeUndefined();
        expect(p.compiled).toBe(false);

        // Coverage: why an operation that ran did not compile.
        const shape = op.name.replace(/ #\d/, '');
        if (c.compiled) {
          count(`compiled: ${shape.slice(shape.indexOf(', ') + 2)}`);
          if (c.outcome.errors?.some((e) => e.extensions?.code === 'FORBIDDEN')) compiledWithDenials += 1;
          if ((c.event.masked as string[]).length > 0) compiledWithMasks += 1;
          continue;
        }
        if (c.outcome.data === undefined || c.outcome.errors?.some((e) => !e.path)) {
          count(`refused before execution (${String(c.outcome.errors?.[0]?.extensions?.code)})`);
          continue;
        }
        const document = parse(op.query);
        const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
        const reason = plans.reasonFor(document, operation);
        const plan = plans.planFor(document, operation);
        // A denied root field sends no statement of its own; the one that may be there is the transport's look-up of
        // the X-Privacy-Request the test sends (served-privacy-request.ts), which runs before any root field.
        const ownStatements = c.statements - Math.min(1, c.texts.filter((t) => SERVED_REQUEST_LOOKUP.test(t)).length);
        if (!reason && ownStatements === 0 && plan?.unusableFor(view) === undefined) {
          count('compiled: a denied root field (no statement)');
          continue;
        }
        const why = reason ?? plan?.unusableFor(needsFieldRules(schema, view.decide, document) ? view : undefined) ?? 'at run time (arguments, a row below whose subject is not the root row’s)';
        count(`graphql-js: ${why.replace(/^root field (.*)/, 'a root field not compiled: $1')}`);
      }
      // Some 100 operations, each run three times, on a machine that may be loaded.
    }, 600_000);
  });

  describe('over every row', () => {
    it('compiles operations with denied fields and with masked ones', () => {
      // Counted by the rows above (jest runs a file's blocks in order).
      expect(compiledWithDenials).toBeGreaterThan(0);
      expect(compiledWithMasks).toBeGreaterThan(0);
    });

    it('reads what a compiled response carries from its statement, never by walking the response', () => {
      expect(compiledUnreported).toEqual([]);
    });
  });
});
