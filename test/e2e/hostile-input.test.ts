/**
 * Hostile input over real HTTP, generated from the schema where it can be: every text value a
 * caller can send — each String and ID leaf of every argument of every root field, in variables
 * and as a literal — with a NUL character (PostgreSQL refuses U+0000 in text), a lone surrogate
 * (not Unicode: it would be stored as U+FFFD), and over the longest text taken. Each is a 400
 * BAD_USER_INPUT that names where, refused before any statement runs, nothing written, and the
 * refusal audited. Also: an operation name that names no operation, and a body that is not UTF-8.
 */
import {
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { mintDevToken } from '../../src/auth/dev-token';
import { DEFAULT_RATE_LIMITS } from '../../src/hardening/rate-limit';
import { MAX_TEXT_LENGTH } from '../../src/hardening/text-values';
import { totalSqlStatements } from '../../src/platform/sql-counter';
import { buildGatewaySchema } from '../../src/schema';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { eventCount, lastEvent } from '../audit/audit-harness';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { dataDigest } from '../harness/erasure-fixture';
import { startHttpGateway, type HttpGateway } from '../harness/http';

/** One text leaf: the root field, the argument, and the path of input fields below it. */
interface Leaf {
  root: 'Query' | 'Mutation';
  field: GraphQLField<unknown, unknown>;
  arg: GraphQLArgument;
  path: string[];
}

const TEXT_SCALARS = new Set(['String', 'ID']);
const UUID = '00000000-0000-4000-8000-000000000001';

/** Every String or ID leaf reachable from a root field's arguments (an input type met again on the way down is not entered twice). */
function textLeaves(schema: GraphQLSchema): Leaf[] {
  const leaves: Leaf[] = [];
  for (const root of ['Query', 'Mutation'] as const) {
    for (const field of Object.values(schema.getRootType(root === 'Query' ? ('query' as never) : ('mutation' as never))!.getFields())) {
      for (const arg of field.args) {
        const walk = (type: GraphQLInputType, path: string[], seen: ReadonlySet<string>) => {
          const named = getNamedType(type);
          if (isScalarType(named) && TEXT_SCALARS.has(named.name)) leaves.push({ root, field, arg, path });
          if (!isInputObjectType(named) || seen.has(named.name)) return;
          for (const f of Object.values(named.getFields())) walk(f.type, [...path, f.name], new Set([...seen, named.name]));
        };
        walk(arg.type, [], new Set());
      }
    }
  }
  return leaves;
}

/** A value of `type`: every required input field filled, `path` followed and set to `text` at its end. */
function valueOf(type: GraphQLInputType, path: readonly string[], text: string | undefined): unknown {
  if (isNonNullType(type)) return valueOf(type.ofType, path, text);
  if (isListType(type)) return [valueOf(type.ofType, path, text)];
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (f.name === path[0]) value[f.name] = valueOf(f.type, path.slice(1), text);
      else if (isNonNullType(f.type) && f.defaultValue === undefined) value[f.name] = valueOf(f.type, [], undefined);
    }
    return value;
  }
  if (text !== undefined && path.length === 0) return text;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  switch (type.name) {
    case 'ID':
      return UUID;
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return true;
    case 'DateTimeISO':
      return '2026-01-01T00:00:00.000Z';
    case 'Decimal':
      return '1.00';
    default:
      return 'text';
  }
}

/** `value` written as a GraphQL literal of `type` (a JSON string is a GraphQL string, escapes and all). */
function literalOf(value: unknown, type: GraphQLInputType): string {
  if (isNonNullType(type)) return literalOf(value, type.ofType);
  if (isListType(type)) return `[${(value as unknown[]).map((v) => literalOf(v, type.ofType)).join(', ')}]`;
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    return `{ ${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${literalOf(v, fields[k]!.type)}`).join(', ')} }`;
  }
  if (isEnumType(type)) return String(value);
  return JSON.stringify(value);
}

/** The operation that sends `text` at `leaf`: in a variable, or written into the document as a literal. */
function operationOf(leaf: Leaf, text: string, as: 'variable' | 'literal'): { query: string; variables: Record<string, unknown> } {
  const args = leaf.field.args.filter((a) => a === leaf.arg || (isNonNullType(a.type) && a.defaultValue === undefined));
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  const written = args.map((a, i) => {
    const value = valueOf(a.type, a === leaf.arg ? leaf.path : [], a === leaf.arg ? text : undefined);
    if (as === 'literal') return `${a.name}: ${literalOf(value, a.type)}`;
    variables[`a${i}`] = value;
    definitions.push(`$a${i}: ${String(a.type)}`);
    return `${a.name}: $a${i}`;
  });
  const selection = isCompositeType(getNamedType(leaf.field.type)) ? ' { __typename }' : '';
  const operation = leaf.root === 'Query' ? 'query' : 'mutation';
  return { query: `${operation}${definitions.length ? `(${definitions.join(', ')})` : ''} { ${leaf.field.name}(${written.join(', ')})${selection} }`, variables };
}

describe('hostile input over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let officer: Record<string, string>;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    schema = await buildGatewaySchema();
    // Every request here is refused on purpose, far more than a minute's budget of refusals allows
    // (refusal-budgets.test.ts tests that budget).
    gw = await startHttpGateway(db, { rateLimits: { ...DEFAULT_RATE_LIMITS, refusalsPerMinute: 100_000, fieldsPerMinute: 100_000 } });
    const token = await mintDevToken({ kind: 'staff', roles: ['compliance_officer'], purposes: ['legal_compliance'] }, gw.authConfig);
    officer = { authorization: `Bearer ${token}`, 'x-legal-case': 'CASE-2026-HOSTILE' };
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  async function send(body: unknown, headers: Record<string, string> = {}) {
    const before = totalSqlStatements();
    const r = await gw.post(body, { ...officer, ...headers });
    return { ...r, codes: (r.json?.errors ?? []).map((e: any) => e.extensions?.code), statements: totalSqlStatements() - before };
  }

  describe('an operation name that names no operation of the document', () => {
    it.each([
      ['a name the document does not have', { query: 'query A { __typename }', operationName: 'B' }],
      ['a name with a NUL character', { query: 'query A { __typename }', operationName: 'A\u0000' }],
      ['no name, and several operations', { query: 'query A { __typename } query B { __typename }' }],
      ['a mutation document under another name', { query: `mutation M { placeLegalHold(input: { scope: CUSTOMER, customerId: "${DEMO_IDS.demoCustomer}", reason: "r" }) { id } }`, operationName: 'N' }],
    ])('%s: 400 OPERATION_RESOLUTION_FAILURE, nothing runs', async (_label, body) => {
      const r = await send(body);
      expect({ status: r.status, codes: r.codes, statements: r.statements }).toEqual({ status: 400, codes: ['OPERATION_RESOLUTION_FAILURE'], statements: 0 });
    });

    it('with an Idempotency-Key too', async () => {
      const r = await send({ query: `mutation M { placeLegalHold(input: { scope: CUSTOMER, customerId: "${DEMO_IDS.demoCustomer}", reason: "r" }) { id } }`, operationName: 'N' }, { 'idempotency-key': 'hostile-1' });
      expect({ status: r.status, codes: r.codes, statements: r.statements }).toEqual({ status: 400, codes: ['OPERATION_RESOLUTION_FAILURE'], statements: 0 });
    });
  });

  describe('text values', () => {
    const leaves = () => textLeaves(schema);

    it('finds the text inputs of the schema: free text of mutations and filters among them', async () => {
      schema = await buildGatewaySchema();
      const names = leaves().map((l) => `${l.field.name}(${[l.arg.name, ...l.path].join('.')})`);
      expect(names).toEqual(expect.arrayContaining(['postCaseMessage(input.body)', 'placeLegalHold(input.reason)', 'auditEvents(filter.principalId)', 'customer(id)', 'registerWebhookEndpoint(input.url)']));
      expect(names.length).toBeGreaterThan(60);
    });

    const HOSTILE: Array<[string, string, 'variable' | 'literal', RegExp]> = [
      ['a NUL character in a variable', 'a\u0000b', 'variable', /NUL character/],
      ['a NUL character in a literal', 'a\u0000b', 'literal', /NUL character/],
      ['a lone surrogate in a variable', 'a\ud800b', 'variable', /not well-formed Unicode/],
      ['text over the longest taken', 'x'.repeat(MAX_TEXT_LENGTH + 1), 'variable', new RegExp(`longer than ${MAX_TEXT_LENGTH}`)],
    ];

    it.each(HOSTILE)('%s, at every text input of every root field: 400 BAD_USER_INPUT naming where, nothing runs or is written, the refusal audited', async (_label, text, as, problem) => {
      const before = await dataDigest(db.dataSource);
      const answers: Array<Record<string, unknown>> = [];
      for (const leaf of leaves()) {
        const where = `${leaf.field.name}(${[leaf.arg.name, ...leaf.path].join('.')})`;
        const events = await eventCount(db.dataSource);
        const r = await send(operationOf(leaf, text, as));
        const event = await lastEvent(db.dataSource);
        answers.push({
          where,
          status: r.status,
          codes: r.codes,
          says: problem.test(r.json?.errors?.[0]?.message ?? ''),
          statements: r.statements,
          audited: (await eventCount(db.dataSource)) - events === 1 && event.errorCodes.includes('BAD_USER_INPUT'),
        });
      }
      expect(answers).toEqual(answers.map(({ where }) => ({ where, status: 400, codes: ['BAD_USER_INPUT'], says: true, statements: 0, audited: true })));
      expect(await dataDigest(db.dataSource)).toEqual(before);
    });

    it('names where in a variable the text is', async () => {
      const r = await send({ query: 'mutation($i: PostCaseMessageInput!) { postCaseMessage(input: $i) { id } }', variables: { i: { caseId: UUID, body: 'a\u0000' } } });
      expect(r.json.errors[0].message).toBe('$i.body: text may not contain the NUL character (U+0000)');
    });

    it('takes text as long as the longest, and well-formed text of any script', async () => {
      const r = await send({ query: 'query($p: String) { auditEvents(first: 1, filter: { principalId: $p }) { nodes { id } } }', variables: { p: 'x'.repeat(MAX_TEXT_LENGTH) } });
      // Refused by the filter's own limit (200), not by the gateway's bound on every text.
      expect({ codes: r.codes, message: r.json.errors[0].message }).toEqual({ codes: ['BAD_USER_INPUT'], message: 'Invalid input: see extensions.fields' });
      const ok = await send({ query: 'query($p: String) { auditEvents(first: 1, filter: { principalId: $p }) { nodes { id } } }', variables: { p: 'Zoë 🎉 中文 עברית \u200d' } });
      expect({ status: ok.status, codes: ok.codes }).toEqual({ status: 200, codes: [] });
    });

    it('walks deeply nested variables without running out of stack', async () => {
      const deep = `{"query":"query($p: String) { auditEvents(first: 1, filter: { principalId: $p }) { nodes { id } } }","variables":{"p":"x","q":${'['.repeat(40_000)}"\\u0000"${']'.repeat(40_000)}}}`;
      const r = await send(deep);
      expect({ status: r.status, codes: r.codes, statements: r.statements }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'], statements: 0 });
    });
  });

  it('a body that is not UTF-8 is a 400 BAD_REQUEST, not text with replacement characters', async () => {
    const before = totalSqlStatements();
    const body = Buffer.concat([Buffer.from('{"query":"query($p: String) { auditEvents(first: 1, filter: { principalId: $p }) { nodes { id } } }","variables":{"p":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { ...officer, 'content-type': 'application/json' }, body });
    expect({ status: response.status, body: await response.json(), statements: totalSqlStatements() - before }).toEqual({
      status: 400,
      body: { errors: [{ message: 'The request body is not valid UTF-8', extensions: { code: 'BAD_REQUEST' } }] },
      statements: 0,
    });
  });

  it('a query string that is not UTF-8 is a 400 BAD_REQUEST too', async () => {
    const before = totalSqlStatements();
    const query = encodeURIComponent('query($p: String) { auditEvents(first: 1, filter: { principalId: $p }) { nodes { id } } }');
    const response = await fetch(`${gw.url}/graphql?query=${query}&variables=${encodeURIComponent('{"p":"a')}%FF%FE${encodeURIComponent('"}')}`, { headers: { ...officer, 'apollo-require-preflight': 'true' } });
    expect({ status: response.status, body: await response.json(), statements: totalSqlStatements() - before }).toEqual({
      status: 400,
      body: { errors: [{ message: 'The query string is not valid percent-encoded UTF-8', extensions: { code: 'BAD_REQUEST' } }] },
      statements: 0,
    });
  });

  it.each([['too-large'], ['not-utf8']])('a body that reads %s is what it is: not JSON', async (body) => {
    const r = await send(body);
    expect({ status: r.status, json: r.json, statements: r.statements }).toEqual({
      status: 400,
      json: { errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] },
      statements: 0,
    });
  });
});
