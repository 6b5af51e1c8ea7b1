/**
 * The report and the gateway agree: for every row of docs/disclosure-matrix.md, every root field,
 * every write and every filter and ordering is run as a caller of that row, and it is refused
 * exactly where the committed report says so. Expectations come from the document a
 * data-protection officer reads, not from the policy engine (whose output the report is, and
 * which test/policy/disclosure-report.test.ts holds the document to).
 */
import fs from 'node:fs';
import { getNamedType, getNullableType, isEnumType, isInputObjectType, isLeafType, isListType, isObjectType, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import type { Caller } from '../../src/policy/principal';
import { GRANTABLE_CATEGORIES, MATRIX, type MatrixRow } from '../../src/policy/disclosure-matrix';
import { REPORT_FILE } from '../../src/policy/report';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway, type ExecuteResult } from '../harness/gateway';
import { callerOfMatrixRow } from '../harness/principals';
import type { Gateway } from '../../src/server';

const RANDOM_ID = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const report = fs.readFileSync(REPORT_FILE, 'utf8');

/** The lines of a row's section of the report. */
function section(row: MatrixRow): string[] {
  const lines = report.split('\n');
  const start = lines.indexOf(`## ${row.principal} × ${row.purpose}`);
  if (start < 0) throw new Error(`the report has no section for ${row.principal} × ${row.purpose}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The outcome cell of a coordinate's line in a section (fields, filters and orderings alike). */
function outcomeOf(lines: string[], coordinate: string): string {
  const line = lines.find((l) => l.startsWith(`| \`${coordinate}\` |`));
  if (!line) throw new Error(`the report lists no ${coordinate}`);
  return line.split(' | ').slice(2).join(' | ').replace(/ \|$/, '');
}

/** What the report's words mean for a caller: may it use the thing at all? */
const allowedByReport = (outcome: string) => outcome.startsWith('visible') || outcome.startsWith('not disclosed: no ') || outcome.startsWith('usable');

const refused = (r: ExecuteResult, field: string) =>
  (r.errors ?? []).some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' || (e.extensions?.code === 'FORBIDDEN' && e.path?.[0] === field));

/** A value of an input type that passes validation. */
function sample(type: GraphQLInputType): string {
  const t = getNullableType(type);
  if (isListType(t)) return `[${sample(t.ofType)}]`;
  if (isEnumType(t)) return t.getValues()[0].name;
  if (isInputObjectType(t)) return `{ ${Object.values(t.getFields()).filter((f) => f.type !== getNullableType(f.type)).map((f) => `${f.name}: ${sample(f.type)}`).join(', ')} }`;
  switch (getNamedType(t).name) {
    case 'ID':
      return `"${RANDOM_ID}"`;
    case 'DateTimeISO':
      return '"2026-01-01T00:00:00.000Z"';
    case 'Boolean':
      return 'false';
    case 'Int':
      return '1';
    default:
      return '"x"';
  }
}

/** A minimal operation on a root field: the arguments it needs, and nothing but __typename below it (nothing below a leaf). */
function rootOperation(schema: GraphQLSchema, field: string, extra = ''): string {
  const f = schema.getQueryType()!.getFields()[field];
  const args = [...f.args.filter((a) => a.type !== getNullableType(a.type) && a.defaultValue === undefined).map((a) => `${a.name}: ${sample(a.type)}`), extra].filter(Boolean);
  const target = getNamedType(f.type);
  const list = isObjectType(target) && target.name.endsWith('Connection');
  const selection = isLeafType(target) ? '' : ` { ${list ? 'nodes { __typename }' : '__typename'} }`;
  return `{ ${field}${args.length ? `(${args.join(', ')})` : ''}${selection} }`;
}

/** Inputs every write accepts the shape of, naming records that do not exist ('' for a write that takes none). */
const WRITES: Record<string, string> = {
  recordShipmentTracking: `{ shipmentId: "${RANDOM_ID}", trackingNumber: "TRK-0000" }`,
  recordShipmentEvents: `{ shipmentId: "${RANDOM_ID}", events: [{ eventId: "agreement", occurredAt: "2026-01-01T00:00:00.000Z", location: "Hub", description: "Scan" }] }`,
  recordPaymentResult: `{ orderId: "${RANDOM_ID}", providerReference: "agreement", method: WALLET, amount: "1.00", currency: "EUR", status: AUTHORIZED }`,
  openAfterSalesCase: `{ orderId: "${RANDOM_ID}", customerId: "${RANDOM_ID}", type: COMPLAINT, subject: "s", message: "m" }`,
  postCaseMessage: `{ caseId: "${RANDOM_ID}", body: "b" }`,
  updateAfterSalesCase: `{ caseId: "${RANDOM_ID}", status: OPEN }`,
  addCaseRecord: `{ caseId: "${RANDOM_ID}", action: "a" }`,
  attachCaseUpload: `{ uploadId: "${RANDOM_ID}" }`,
  // An address that is none: the write is refused as bad input, and stores nothing.
  ingestBehaviorEvents: `{ events: [{ visitorId: "v", ip: "not-an-ip", userAgent: "u", page: "/", dwellMs: 1, clicks: 1, occurredAt: "2026-01-01T00:00:00.000Z", analyticsConsent: true }] }`,
  grantConsent: `{ granteeId: "${RANDOM_ID}", categories: ["order.status"], expiresAt: "2099-01-01T00:00:00.000Z" }`,
  withdrawConsent: `{ grantId: "${RANDOM_ID}" }`,
  placeLegalHold: `{ scope: CUSTOMER, customerId: "${RANDOM_ID}", reason: "agreement" }`,
  releaseLegalHold: `{ holdId: "${RANDOM_ID}" }`,
  // A category named twice: refused as bad input, and nothing is stored.
  recordPreferenceChoices: `{ visitorId: "v", choices: [{ category: ANALYTICS, granted: true }, { category: ANALYTICS, granted: false }] }`,
  // A customer names no one (else BAD_USER_INPUT); staff name a customer that does not exist.
  submitPrivacyRequest: `{ type: ACCESS, customerId: "${RANDOM_ID}" }`,
  verifyPrivacyRequest: `{ requestId: "${RANDOM_ID}", code: "000000" }`,
  resendPrivacyRequestCode: `{ requestId: "${RANDOM_ID}" }`,
  rectifyPersonalData: `{ requestId: "${RANDOM_ID}", account: { accountName: "x" } }`,
  createPrivacyExportLink: `{ requestId: "${RANDOM_ID}" }`,
  assignPrivacyRequest: `{ requestId: "${RANDOM_ID}" }`,
  completePrivacyRequest: `{ requestId: "${RANDOM_ID}" }`,
  rejectPrivacyRequest: `{ requestId: "${RANDOM_ID}", reason: "r" }`,
  // Verifies the log and records the result: it names no record.
  verifyAuditLog: '',
  // Plain http to another host: refused as bad input, and no endpoint is stored.
  registerWebhookEndpoint: `{ url: "http://example.invalid/hook" }`,
  rotateWebhookSecret: `{ endpointId: "${RANDOM_ID}" }`,
  disableWebhookEndpoint: `{ endpointId: "${RANDOM_ID}" }`,
  redeliverWebhook: `{ deliveryId: "${RANDOM_ID}" }`,
};

describe('the report and the gateway agree', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let execute: (q: string, c: Caller) => Promise<ExecuteResult>;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    ({ gateway, execute } = await createTestGateway(db));
    schema = await buildGatewaySchema();
  });
  afterAll(async () => {
    await gateway.stop();
    await db.drop();
  });

  it('has a sample input for every write', () => {
    expect(Object.keys(WRITES).sort()).toEqual(Object.keys(schema.getMutationType()!.getFields()).sort());
  });

  describe.each(MATRIX.map((row) => [`${row.principal} × ${row.purpose}`, row] as const))('%s', (_label, row) => {
    // The report states a third party's row for the widest grant a customer can give.
    const base = callerOfMatrixRow(row);
    const caller: Caller = base.principal.kind === 'third_party' ? { ...base, principal: { ...base.principal, categories: GRANTABLE_CATEGORIES } } : base;
    const lines = section(row);

    it('refuses exactly the root fields the report denies', async () => {
      const mismatches: string[] = [];
      for (const field of Object.keys(schema.getQueryType()!.getFields())) {
        const expected = allowedByReport(outcomeOf(lines, `Query.${field}`));
        const r = await execute(rootOperation(schema, field), caller);
        if (refused(r, field) === expected) mismatches.push(`Query.${field}: the report says ${expected ? 'allowed' : 'refused'}, got ${JSON.stringify(r.errors ?? r.data)}`);
      }
      expect(mismatches).toEqual([]);
    });

    it('refuses exactly the writes the report does not list', async () => {
      const listed = new Set(lines.filter((l) => /^- `\w+`:/.test(l)).map((l) => /^- `(\w+)`/.exec(l)![1]));
      const mismatches: string[] = [];
      for (const [name, input] of Object.entries(WRITES)) {
        const r = await execute(`mutation { ${name}${input === '' ? '' : `(input: ${input})`} { __typename } }`, caller);
        if (refused(r, name) === listed.has(name)) mismatches.push(`${name}: the report says ${listed.has(name) ? 'allowed' : 'refused'}, got ${JSON.stringify(r.errors ?? r.data)}`);
      }
      expect(mismatches).toEqual([]);
    });

    it('refuses exactly the filters and orderings the report refuses, on every root field that takes them', async () => {
      const mismatches: string[] = [];
      let tried = 0;
      for (const [field, f] of Object.entries(schema.getQueryType()!.getFields())) {
        if (!allowedByReport(outcomeOf(lines, `Query.${field}`))) continue;
        for (const arg of f.args) {
          const type = getNamedType(arg.type);
          // As src/policy/arguments.ts reads them: an input's fields, a single enum's values, or
          // the argument as a whole (a list of enum values too). Required ones are sent anyway.
          const optional = arg.type === getNullableType(arg.type) || arg.defaultValue !== undefined;
          const members = isInputObjectType(type)
            ? Object.values(type.getFields()).map((m) => ({ coordinate: `${type.name}.${m.name}`, text: `${arg.name}: { ${m.name}: ${sample(m.type)} }` }))
            : isEnumType(type) && getNullableType(arg.type) === type
              ? type.getValues().map((v) => ({ coordinate: `${type.name}.${v.name}`, text: `${arg.name}: ${v.name}` }))
              : optional && lines.some((l) => l.startsWith(`| \`Query.${field}(${arg.name}:)\` |`))
                ? [{ coordinate: `Query.${field}(${arg.name}:)`, text: `${arg.name}: ${sample(arg.type)}` }]
                : [];
          for (const member of members) {
            const expected = allowedByReport(outcomeOf(lines, member.coordinate));
            const r = await execute(rootOperation(schema, field, member.text), caller);
            tried += 1;
            if (refused(r, field) === expected) mismatches.push(`${member.coordinate} on Query.${field}: the report says ${expected ? 'usable' : 'refused'}, got ${JSON.stringify(r.errors ?? r.data)}`);
          }
        }
      }
      expect(mismatches).toEqual([]);
      if (row.rows !== 'none') expect(tried).toBeGreaterThan(0);
    });
  });
});
