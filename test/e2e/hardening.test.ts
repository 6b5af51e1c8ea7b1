/**
 * Hostile input over real HTTP: each kind of abuse gets its exact status and code, and nothing
 * runs where nothing should (no SQL statement is issued for a refused operation).
 */
import { Writable } from 'node:stream';
import { mintDevToken } from '../../src/auth/dev-token';
import { createLogger } from '../../src/platform/logger';
import { totalSqlStatements } from '../../src/platform/sql-counter';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const ALLOWED_ORIGIN = 'https://shop.example';

describe('hardening over HTTP', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let auth: Record<string, string>;
  const logLines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    gw = await startHttpGateway(db, { corsOrigins: [ALLOWED_ORIGIN], logger: createLogger('info', sink) });
    const token = await mintDevToken({ kind: 'staff', roles: ['compliance_officer'], purposes: ['legal_compliance'] }, gw.authConfig);
    auth = { authorization: `Bearer ${token}`, 'x-legal-case': 'CASE-2026-001' };
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  /** Sends, and reports the status, the error codes and how many SQL statements ran. */
  async function send(body: unknown, headers: Record<string, string> = {}) {
    const before = totalSqlStatements();
    const r = await gw.post(body, { ...auth, ...headers });
    return { ...r, codes: (r.json?.errors ?? []).map((e: any) => e.extensions?.code), statements: totalSqlStatements() - before };
  }

  const nested = (depth: number) => {
    let inner = 'id';
    for (let i = 0; i < depth; i += 1) inner = `order { customer { orders(first: 1) { nodes { ${inner} } } } }`;
    return `{ shipments(first: 1) { nodes { ${inner} } } }`;
  };

  it.each([
    ['too deep', { query: nested(3) }],
    ['too many aliases', { query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }` }],
    ['too many root fields', { query: `{ ${Array.from({ length: 11 }, (_, i) => `p${i}: policyVersions { id }`).join(' ')} }` }],
    ['too costly with literal page sizes', { query: '{ customers(first: 100) { nodes { orders(first: 100) { nodes { items { sku } } } } } }' }],
    [
      'too costly with page sizes in variables',
      { query: 'query($a: Int, $b: Int) { customers(first: $a) { nodes { orders(first: $b) { nodes { items { sku } } } } } }', variables: { a: 100, b: 100 } },
    ],
    ['introspection', { query: '{ __schema { types { name } } }' }],
  ])('%s: 400 GRAPHQL_VALIDATION_FAILED, nothing runs', async (_label, body) => {
    const r = await send(body);
    expect({ status: r.status, codes: [...new Set(r.codes)], statements: r.statements }).toEqual({ status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'], statements: 0 });
  });

  it('one document costs what each request\'s page sizes say, in any order they come', async () => {
    const query = 'query($a: Int, $b: Int) { customers(first: $a) { nodes { orders(first: $b) { nodes { items { sku } } } } } }';
    // Cost 1 + a·(6 + 155·b): a list without `first` counts 5 of each child; b is 20 when not
    // given; the limit is 20,000.
    const sent: Array<[Record<string, unknown>, number]> = [
      [{ a: 1, b: 1 }, 200],
      [{ a: 100, b: 100 }, 400],
      [{ a: 1 }, 200],
      [{ a: 10 }, 400],
      [{ a: 10, b: 10 }, 200],
      [{ a: 10, b: 13 }, 400],
      [{ a: 13, b: 10 }, 400],
      [{ a: 1, b: 1 }, 200],
      [{ a: 10, b: 13 }, 400],
    ];
    const answers = [];
    for (const [variables] of sent) {
      const r = await send({ query, variables });
      answers.push({ status: r.status, codes: [...new Set(r.codes)] });
    }
    expect(answers).toEqual(sent.map(([, status]) => ({ status, codes: status === 400 ? ['GRAPHQL_VALIDATION_FAILED'] : [] })));
  });

  it('a misspelled field is refused without suggesting the real one', async () => {
    const r = await send({ query: '{ orders(first: 1) { nodes { totalAmout } } }' });
    expect(r.status).toBe(400);
    expect(r.text).not.toMatch(/Did you mean|totalAmount/);
  });

  it('a token flood is a 400 parse error', async () => {
    const r = await send({ query: `{ ${'__typename '.repeat(1200)} }` });
    expect({ status: r.status, codes: r.codes, statements: r.statements }).toEqual({ status: 400, codes: ['GRAPHQL_PARSE_FAILED'], statements: 0 });
  });

  it('an oversized body is 413', async () => {
    const r = await send({ query: `{ __typename } # ${'x'.repeat(110 * 1024)}` });
    expect(r.status).toBe(413);
    expect(r.statements).toBe(0);
  });

  it('a batch is refused', async () => {
    const r = await send([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(r.status).toBe(400);
    expect(r.statements).toBe(0);
  });

  it('a mutation over GET is refused; a query over GET works', async () => {
    const mutation = encodeURIComponent('mutation { addCaseRecord(input: { caseId: "x", action: "a" }) { id } }');
    const get = (q: string) => fetch(`${gw.url}/graphql?query=${q}`, { headers: { ...auth, 'apollo-require-preflight': 'true' } });
    expect((await get(mutation)).status).toBe(405);
    const ok = await get(encodeURIComponent('{ policyVersions { version } }'));
    expect(ok.status).toBe(200);
  });

  it('a GET without a preflight-forcing header is refused (CSRF prevention)', async () => {
    const r = await fetch(`${gw.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: auth });
    expect(r.status).toBe(400);
  });

  describe('a request a page of another site can send without a preflight (CSRF) runs no mutation', () => {
    const HOLD = { query: `mutation { placeLegalHold(input: { scope: CUSTOMER, customerId: "${DEMO_IDS.demoCustomer}", reason: "csrf" }) { id } }` };
    const holds = async () => Number((await db.dataSource.query(`SELECT count(*) AS n FROM legal_hold WHERE reason = 'csrf'`))[0].n);
    /** POSTs the mutation as JSON text under `type` (a form with enctype text/plain can spell JSON; fetch's no-cors mode can send any body). */
    const post = async (type: string | undefined, body = JSON.stringify(HOLD)) => {
      const before = totalSqlStatements();
      const r = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { ...auth, ...(type === undefined ? {} : { 'content-type': type }) }, body: type === undefined ? new Blob([body]) : body });
      await r.arrayBuffer();
      return { status: r.status, statements: totalSqlStatements() - before };
    };

    it.each([['text/plain'], ['text/plain; charset=utf-8'], ['TEXT/PLAIN'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x'], [undefined]])('content type %s: refused, nothing written', async (type) => {
      expect(await post(type)).toEqual({ status: 400, statements: 0 });
      expect(await holds()).toBe(0);
    });

    it('a form of fields: refused, nothing written', async () => {
      expect(await post('application/x-www-form-urlencoded', `query=${encodeURIComponent(HOLD.query)}`)).toEqual({ status: 400, statements: 0 });
      expect(await post('multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${HOLD.query}\r\n--x--\r\n`)).toEqual({ status: 400, statements: 0 });
      expect(await holds()).toBe(0);
    });

    it('a GET, with or without the preflight header: refused, nothing written', async () => {
      for (const headers of [auth, { ...auth, 'apollo-require-preflight': 'true' }]) {
        const r = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(HOLD.query)}`, { headers });
        expect([400, 405]).toContain(r.status);
      }
      expect(await holds()).toBe(0);
    });

    it('the same mutation as JSON, which a page of another site cannot send without a preflight, is written', async () => {
      expect((await post('application/json')).status).toBe(200);
      expect(await holds()).toBe(1);
      await db.dataSource.query(`DELETE FROM legal_hold WHERE reason = 'csrf'`);
    });
  });

  it('a browser on an origin that is not allowed gets 403; an allowed origin gets CORS headers', async () => {
    const refused = await send({ query: '{ __typename }' }, { origin: 'https://evil.example' });
    expect({ status: refused.status, statements: refused.statements }).toEqual({ status: 403, statements: 0 });
    const allowed = await send({ query: '{ __typename }' }, { origin: ALLOWED_ORIGIN });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const preflight = await fetch(`${gw.url}/graphql`, { method: 'OPTIONS', headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
  });

  it("a page of the gateway's own origin (the console) is not cross-origin; another port or scheme of the same host is", async () => {
    const own = new URL(gw.url);
    const same = await send({ query: '{ __typename }' }, { origin: own.origin });
    expect({ status: same.status, allowOrigin: same.headers.get('access-control-allow-origin') }).toEqual({ status: 200, allowOrigin: null });
    for (const other of [`http://${own.hostname}:${Number(own.port) + 1}`, `https://${own.host}`.replace(/:\d+$/, ''), 'null']) {
      expect({ other, status: (await send({ query: '{ __typename }' }, { origin: other })).status }).toEqual({ other, status: 403 });
    }
  });

  it.each([
    ['a literal page size over 100', { query: '{ orders(first: 101) { nodes { id } } }' }],
    ['a page size over 100 in a variable', { query: 'query($n: Int) { orders(first: $n) { nodes { id } } }', variables: { n: 5000 } }],
    ['a zero page size in a variable', { query: 'query($n: Int) { orders(first: $n) { nodes { id } } }', variables: { n: 0 } }],
    ['a null page size in a variable', { query: 'query($n: Int) { orders(first: $n) { nodes { id } } }', variables: { n: null } }],
  ])('%s is BAD_USER_INPUT and reads nothing', async (_label, body) => {
    const r = await send(body);
    expect(r.codes).toEqual(['BAD_USER_INPUT']);
    // `orders` is a non-null connection, so its error empties `data`.
    expect(r.json.data).toBeNull();
    expect(r.statements).toBe(0);
  });

  it('a failure inside a resolver is masked: constant message, no SQL, no stack', async () => {
    await db.dataSource.query('ALTER TABLE legal_hold RENAME TO legal_hold_away');
    try {
      const r = await send({ query: '{ legalHolds { reason } }' });
      expect(r.json.errors).toEqual([{ message: 'Internal server error', path: ['legalHolds'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      expect(r.text).not.toMatch(/legal_hold|SELECT|relation|stack/i);
    } finally {
      await db.dataSource.query('ALTER TABLE legal_hold_away RENAME TO legal_hold');
    }
  });

  it('logs each request as JSON with request id, principal, operation, duration and outcome — never tokens or variables', async () => {
    const secretId = DEMO_IDS.demoCustomer;
    await send({ query: 'query FindOrders($id: ID!) { customer(id: $id) { email } }', operationName: 'FindOrders', variables: { id: secretId } });
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'graphql request' && l.operation === 'FindOrders');
    expect(line).toEqual(expect.objectContaining({ principal: 'staff', purpose: 'legal_compliance', status: 200, outcome: 'ok' }));
    expect(typeof line.requestId).toBe('string');
    expect(typeof line.ms).toBe('number');
    const all = logLines.join('\n');
    expect(all).not.toContain(secretId);
    expect(all).not.toContain('jordan.demo@example.com');
    expect(all).not.toContain(auth.authorization.slice('Bearer '.length));
  });
});

describe('rate limits', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
  });
  afterAll(() => db.drop());

  const tokenFor = (gw: HttpGateway, partnerId: string) =>
    mintDevToken({ kind: 'logistics_partner', partnerId, purposes: ['fulfillment'] }, gw.authConfig);

  it('every aliased call counts; a flooding principal is limited with a retry hint while another carries on', async () => {
    const gw = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 30, missesPerMinute: 100 } });
    try {
      const flooder = { authorization: `Bearer ${await tokenFor(gw, DEMO_IDS.logisticsPartners[0])}` };
      const other = { authorization: `Bearer ${await tokenFor(gw, DEMO_IDS.logisticsPartners[1])}` };
      const tenAliases = { query: `{ ${Array.from({ length: 10 }, (_, i) => `s${i}: shipments(first: 1) { nodes { id } }`).join(' ')} }` };
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await gw.post(tenAliases, flooder)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await gw.post(tenAliases, flooder);
      expect(limited.json.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await gw.post({ query: '{ shipments(first: 1) { nodes { id } } }' }, other)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('by-id look-ups that miss have a tighter budget', async () => {
    const gw = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 1000, missesPerMinute: 3 } });
    try {
      const carrier = { authorization: `Bearer ${await tokenFor(gw, DEMO_IDS.logisticsPartners[0])}` };
      const miss = { query: '{ shipment(id: "00000000-0000-4000-8000-000000000000") { id } }' };
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await gw.post(miss, carrier)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      // Lists are not look-ups by id: they still work.
      expect((await gw.post({ query: '{ shipments(first: 1) { nodes { id } } }' }, carrier)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it.each([
    ['privacy request', 'privacyRequest', 'id'],
    ['privacy export', 'privacyExport', 'requestId'],
  ])('counts a customer guessing %s ids against the same budget', async (_what, field, selected) => {
    const gw = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 1000, missesPerMinute: 2 } });
    try {
      const customer = { authorization: `Bearer ${await mintDevToken({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['data_subject_request'] }, gw.authConfig)}` };
      const guess = (n: number) => ({ query: `{ ${field}(id: "00000000-0000-4000-8000-00000000000${n}") { ${selected} } }` });
      const answers: Array<{ status: number; data: unknown }> = [];
      for (let i = 0; i < 4; i += 1) {
        const res = await gw.post(guess(i), customer);
        answers.push({ status: res.status, data: res.json?.data?.[field] ?? null });
      }
      expect(answers).toEqual([
        { status: 200, data: null },
        { status: 200, data: null },
        { status: 429, data: null },
        { status: 429, data: null },
      ]);
    } finally {
      await gw.close();
    }
  });

  it('the misses budget is shared through Redis too, and read before every look-up answers, one that finds its row as one that misses', async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const a = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 1000, missesPerMinute: 2, redisUrl } });
    const b = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 1000, missesPerMinute: 2, redisUrl } });
    try {
      // A principal of its own for this test, so earlier runs against the same Redis do not count.
      const subject = `misses-replica-test-${Date.now()}-${Math.random()}`;
      const token = await mintDevToken({ kind: 'staff', subject, roles: ['customer_service'], purposes: ['after_sales'] }, a.authConfig);
      const headers = { authorization: `Bearer ${token}` };
      const listed = await a.post({ query: '{ orders(first: 1) { nodes { id } } }' }, headers);
      const id = listed.json.data.orders.nodes[0].id as string;
      const hit = { query: `{ order(id: "${id}") { id } }` };
      const miss = { query: '{ order(id: "00000000-0000-4000-8000-000000000000") { id } }' };
      const answers: Array<{ status: number; found: boolean }> = [];
      for (const [gw, request] of [
        [b, hit],
        [a, miss],
        [b, miss],
        [a, hit],
        [b, hit],
      ] as const) {
        const res = await gw.post(request, headers);
        answers.push({ status: res.status, found: Boolean(res.json?.data?.order) });
      }
      expect(answers).toEqual([
        { status: 200, found: true },
        { status: 200, found: false },
        { status: 200, found: false },
        { status: 429, found: false },
        { status: 429, found: false },
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is shared between replicas through Redis', async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const a = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 4, missesPerMinute: 100, redisUrl } });
    const b = await startHttpGateway(db, { rateLimits: { fieldsPerMinute: 4, missesPerMinute: 100, redisUrl } });
    try {
      // A principal of its own for this test, so earlier runs against the same Redis do not count.
      const subject = `replica-test-${Date.now()}-${Math.random()}`;
      const token = await mintDevToken({ kind: 'staff', subject, roles: ['customer_service'], purposes: ['after_sales'] }, a.authConfig);
      const headers = { authorization: `Bearer ${token}` };
      const one = { query: '{ policyVersions { version } }' };
      const statuses = [];
      for (const gw of [a, b, a, b, a]) statuses.push((await gw.post(one, headers)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
