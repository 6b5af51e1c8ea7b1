/**
 * The content type of /graphql answers follows the request's Accept header as Apollo Server
 * documents it (application/json unless application/graphql-response+json is preferred; 406 when
 * neither is acceptable), for every request with the same header value, a long one included.
 */
import http from 'node:http';
import { mintDevToken } from '../../src/auth/dev-token';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** One request with exactly the headers given (fetch would add an Accept of its own). */
function send(url: string, method: 'GET' | 'POST', query: string, headers: Record<string, string>): Promise<Answer> {
  const target = new URL('/graphql', url);
  if (method === 'GET') target.searchParams.set('query', query);
  const body = method === 'POST' ? JSON.stringify({ query }) : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers: { ...(body ? { 'content-type': 'application/json' } : { 'apollo-require-preflight': 'true' }), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('content negotiation of /graphql answers', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let authorization: string;
  const ok = '{ policyVersions { version } }';

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    gw = await startHttpGateway(db);
    authorization = `Bearer ${await mintDevToken({ kind: 'staff', roles: ['customer_service'], purposes: ['after_sales'] }, gw.authConfig)}`;
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
  });

  const longAccept = `application/graphql-response+json, ${Array.from({ length: 40 }, (_, i) => `application/x-other-${i};q=0.1`).join(', ')}`;

  it.each([
    ['no Accept header', undefined, 200, JSON_TYPE],
    ['*/*', '*/*', 200, JSON_TYPE],
    ['application/json', 'application/json', 200, JSON_TYPE],
    ['application/graphql-response+json', 'application/graphql-response+json', 200, GRAPHQL_RESPONSE_TYPE],
    ['graphql-response preferred by weight', 'application/json;q=0.5, application/graphql-response+json', 200, GRAPHQL_RESPONSE_TYPE],
    ['json preferred by weight', 'application/graphql-response+json;q=0.1, application/json', 200, JSON_TYPE],
    ['a long header value', longAccept, 200, GRAPHQL_RESPONSE_TYPE],
    ['nothing acceptable', 'text/html', 406, JSON_TYPE],
  ])('%s: the same answer every time, by POST and by GET', async (_what, accept, status, contentType) => {
    const headers: Record<string, string> = { authorization, ...(accept === undefined ? {} : { accept }) };
    for (const method of ['POST', 'GET', 'POST'] as const) {
      const answer = await send(gw.url, method, ok, headers);
      expect({ method, status: answer.status, contentType: answer.contentType }).toEqual({ method, status, contentType });
      if (status === 200) expect(JSON.parse(answer.body).data.policyVersions.length).toBeGreaterThan(0);
      else expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });

  it('an error answer takes the negotiated type too', async () => {
    for (const [accept, contentType] of [
      ['application/graphql-response+json', GRAPHQL_RESPONSE_TYPE],
      ['application/json', JSON_TYPE],
    ]) {
      const answer = await send(gw.url, 'POST', '{ policyVersions { version ', { authorization, accept: accept! });
      expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status: 400, contentType });
      expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    }
  });
});
