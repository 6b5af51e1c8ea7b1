/**
 * The request headers the gateway reads, attacked over the wire. Node joins most headers sent
 * twice into one value ("A, B") and keeps only the first of a few (Authorization, Content-Type,
 * Host): either way a single-valued header sent twice would be read as something the client did
 * not mean, so it is refused with 400 BAD_REQUEST naming it, before anything runs. A body in
 * another charset than UTF-8 is refused with 415 (it would be read as UTF-8), and every refusal
 * of a body of a known caller is audited. The development sign-in answers only a loopback Host.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mintDevToken } from '../../src/auth/dev-token';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const CONSOLE_DIRECTORY = path.resolve(__dirname, '../../dist/console');

/** Sends a request of exactly these header lines on a connection of its own; the parsed answer once the gateway answers. */
function exchange(
  url: string,
  method: string,
  target: string,
  headers: Array<[string, string]>,
  body = '',
  encoding: BufferEncoding = 'utf8',
): Promise<{ status: number; headers: Record<string, string>; json: any }> {
  const port = Number(new URL(url).port);
  const lines = [`${method} ${target} HTTP/1.1`, ...headers.map(([n, v]) => `${n}: ${v}`), `Content-Length: ${Buffer.byteLength(body, encoding)}`, 'Connection: close', '', body];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from(lines.join('\r\n'), encoding)));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = answer.split('\r\n\r\n');
      const [statusLine, ...fields] = head!.split('\r\n');
      const fieldsOf = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]));
      let text = rest.join('\r\n\r\n');
      if (fieldsOf['transfer-encoding'] === 'chunked') {
        let decoded = '';
        for (let at = 0; ; ) {
          const end = text.indexOf('\r\n', at);
          const size = parseInt(text.slice(at, end), 16);
          if (!size) break;
          decoded += text.slice(end + 2, end + 2 + size);
          at = end + 2 + size + 2;
        }
        text = decoded;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine!.split(' ')[1]), headers: fieldsOf, json });
    });
  });
}

describe('request headers', () => {
  let db: TestDatabase;
  let gw: HttpGateway;
  let officerToken: string;
  let carrierToken: string;
  let customerToken: string;
  let blobDir: string;
  const auditOf = (requestId: string | undefined) =>
    db.dataSource.query(`SELECT principal_kind, operation_type, outcome, error_codes, legal_case_reference FROM audit_event WHERE request_id = $1`, [requestId]);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-headers-'));
    gw = await startHttpGateway(db, { corsOrigins: ['https://shop.example'] }, { store: new FileSystemBlobStore(blobDir), limits: { photo: 300_000, video: 1_000_000, document: 4_000 }, sweepEveryMs: 0 });
    officerToken = await mintDevToken({ kind: 'staff', subject: 'officer-headers', roles: ['compliance_officer'], purposes: ['legal_compliance', 'data_subject_request'] }, gw.authConfig);
    carrierToken = await mintDevToken({ kind: 'logistics_partner', partnerId: DEMO_IDS.logisticsPartners[0], purposes: ['fulfillment'] }, gw.authConfig);
    customerToken = await mintDevToken({ kind: 'customer', customerId: DEMO_IDS.demoCustomer, purposes: ['after_sales'] }, gw.authConfig);
  });
  afterAll(async () => {
    await gw.close();
    await db.drop();
    fs.rmSync(blobDir, { recursive: true, force: true });
  });

  describe('a single-valued header sent twice is refused with 400 BAD_REQUEST naming it, and nothing runs', () => {
    const READ = '{ customers(first: 1) { nodes { email } } }';
    const graphql = (): Array<[string, string]> => [
      ['Host', '127.0.0.1'],
      ['Authorization', `Bearer ${officerToken}`],
      ['X-Purpose', 'legal_compliance'],
      ['X-Legal-Case', 'CASE-1'],
      ['Content-Type', 'application/json'],
    ];
    /** Each header the gateway reads as one value, the name it is refused under, and a second value for it. */
    const headers: Array<[name: string, second: () => string, path: 'graphql' | 'attachments' | 'contract']> = [
      ['Authorization', () => `Bearer ${carrierToken}`, 'graphql'],
      ['Authorization', () => `Bearer ${carrierToken}`, 'contract'],
      ['Authorization', () => `Bearer ${carrierToken}`, 'attachments'],
      ['X-Purpose', () => 'data_subject_request', 'graphql'],
      ['X-Legal-Case', () => 'CASE-2', 'graphql'],
      ['X-Privacy-Request', () => '00000000-0000-4000-8000-000000000000', 'graphql'],
      ['Idempotency-Key', () => 'key-two', 'graphql'],
      ['Content-Type', () => 'text/plain', 'graphql'],
      ['Origin', () => 'https://shop.example', 'graphql'],
      ['Host', () => 'gateway.example', 'graphql'],
      ['X-Case-Id', () => '00000000-0000-4000-8000-000000000001', 'attachments'],
      ['X-Attachment-Kind', () => 'document', 'attachments'],
    ];
    const request = (where: 'graphql' | 'attachments' | 'contract', extra: Array<[string, string]>) => {
      if (where === 'contract') return exchange(gw.url, 'GET', '/contracts/logistics_partner.graphql', [['Host', '127.0.0.1'], ['Authorization', `Bearer ${carrierToken}`], ...extra]);
      if (where === 'attachments') {
        return exchange(gw.url, 'POST', '/attachments', [['Host', '127.0.0.1'], ['Authorization', `Bearer ${customerToken}`], ['X-Case-Id', '00000000-0000-4000-8000-000000000002'], ['X-Attachment-Kind', 'photo'], ...extra], '%PDF-1.4');
      }
      return exchange(gw.url, 'POST', '/graphql', [...graphql(), ...extra], JSON.stringify({ query: READ }));
    };

    it.each(headers.flatMap(([name, second, where]) => [
      [name, where, 'another value', second] as const,
      [name, where, 'the same value again', undefined] as const,
    ]))('%s on %s, with %s', async (name, where, _label, second) => {
      // The first value is the one the request carries anyway (or, for a header it does not carry, the second).
      const base = where === 'graphql' ? graphql() : where === 'contract' ? [['Authorization', `Bearer ${carrierToken}`]] : [['Authorization', `Bearer ${customerToken}`], ['X-Case-Id', 'x'], ['X-Attachment-Kind', 'photo']];
      const first = base.find(([n]) => n === name)?.[1] ?? second?.() ?? 'value';
      const extra: Array<[string, string]> = base.some(([n]) => n === name) ? [[name, second ? second() : first]] : [[name, first], [name, second ? second() : first]];
      const answer = await request(where, extra);
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 400,
        body: { errors: [{ message: `${name}: expected the header once, got it 2 times`, extensions: { code: 'BAD_REQUEST' } }] },
      });
      expect(await auditOf(answer.headers['x-request-id'])).toEqual([]);
    });

    it('X-Legal-Case sent twice is not joined into a reference: no read is recorded under "CASE-1, CASE-2"', async () => {
      const answer = await request('graphql', [['X-Legal-Case', 'CASE-2']]);
      expect(answer.status).toBe(400);
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE legal_case_reference LIKE '%,%'`)).toEqual([{ n: 0 }]);
    });

    it('one header whose value holds a comma is one value: read as sent', async () => {
      const answer = await exchange(gw.url, 'POST', '/graphql', [...graphql().filter(([n]) => n !== 'X-Legal-Case'), ['X-Legal-Case', 'Court ref. 12/2026, chamber 3']], JSON.stringify({ query: READ }));
      expect([answer.status, answer.json.errors]).toEqual([200, undefined]);
      expect(await auditOf(answer.headers['x-request-id'])).toEqual([expect.objectContaining({ legal_case_reference: 'Court ref. 12/2026, chamber 3' })]);
    });

    it('headers that are lists may come twice: Accept', async () => {
      const answer = await request('graphql', [['Accept', 'application/json'], ['Accept', 'application/graphql-response+json']]);
      expect([answer.status, answer.json.errors]).toEqual([200, undefined]);
    });
  });

  describe('a body in another charset than UTF-8', () => {
    const headersFor = (contentType: string): Array<[string, string]> => [
      ['Host', '127.0.0.1'],
      ['Authorization', `Bearer ${carrierToken}`],
      ['Content-Type', contentType],
    ];
    const BODY = JSON.stringify({ query: '{ shipments(first: 1) { nodes { trackingNumber } } }' });

    it.each(['application/json; charset=iso-8859-1', 'application/json; charset=latin1', 'application/json;charset="utf-16"', 'application/json; charset=us-ascii', 'application/json; charset=utf-8; charset=latin1', 'application/json; charset'])(
      '%s: 415 UNSUPPORTED_MEDIA_TYPE, audited, nothing run',
      async (contentType) => {
        const answer = await exchange(gw.url, 'POST', '/graphql', headersFor(contentType), BODY);
        expect({ status: answer.status, code: answer.json?.errors?.[0]?.extensions?.code }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
        expect(answer.json.errors[0].message).toMatch(/^Content-Type: /);
        expect(await auditOf(answer.headers['x-request-id'])).toEqual([{ principal_kind: 'logistics_partner', operation_type: null, outcome: 'denied', error_codes: ['UNSUPPORTED_MEDIA_TYPE'], legal_case_reference: null }]);
      },
    );

    it.each(['application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"', 'application/graphql-response+json; charset=utf-8'])('%s is read', async (contentType) => {
      const answer = await exchange(gw.url, 'POST', '/graphql', headersFor(contentType), BODY);
      expect([answer.status, answer.json?.errors]).toEqual([200, undefined]);
    });
  });

  describe('refusals of the body itself are audited like every other refusal of a known caller', () => {
    const headers = (): Array<[string, string]> => [['Host', '127.0.0.1'], ['Authorization', `Bearer ${carrierToken}`], ['Content-Type', 'application/json']];
    const audited = (code: string) => [{ principal_kind: 'logistics_partner', operation_type: null, outcome: 'denied', error_codes: [code], legal_case_reference: null }];

    it('a body that is not JSON: 400 BAD_REQUEST, audited', async () => {
      const answer = await exchange(gw.url, 'POST', '/graphql', headers(), '{"query": ');
      expect([answer.status, answer.json.errors[0].extensions.code]).toEqual([400, 'BAD_REQUEST']);
      expect(await auditOf(answer.headers['x-request-id'])).toEqual(audited('BAD_REQUEST'));
    });

    it('a body over 100 kB: 413 PAYLOAD_TOO_LARGE, audited', async () => {
      const answer = await exchange(gw.url, 'POST', '/graphql', headers(), JSON.stringify({ query: `{ shipments(first: 1) { nodes { id } } } #${'x'.repeat(110_000)}` }));
      expect([answer.status, answer.json.errors[0].extensions.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      expect(await auditOf(answer.headers['x-request-id'])).toEqual(audited('PAYLOAD_TOO_LARGE'));
    });

    it('a body that is not UTF-8: 400 BAD_REQUEST, audited', async () => {
      // A lone continuation byte, sent as latin1 so that it reaches the wire as it is.
      const answer = await exchange(gw.url, 'POST', '/graphql', headers(), `{"query":"{ shipments(first: 1) { nodes { id } } }#\u0080"}`, 'latin1');
      expect([answer.status, answer.json.errors[0].message]).toEqual([400, 'The request body is not valid UTF-8']);
      expect(await auditOf(answer.headers['x-request-id'])).toEqual(audited('BAD_REQUEST'));
    });

    it('a query string that is not UTF-8: 400 BAD_REQUEST, audited', async () => {
      const answer = await exchange(gw.url, 'GET', '/graphql?query=%7B__typename%7D%23%80', [...headers(), ['Apollo-Require-Preflight', 'true']]);
      expect([answer.status, answer.json.errors[0].message]).toEqual([400, 'The query string is not valid percent-encoded UTF-8']);
      expect(await auditOf(answer.headers['x-request-id'])).toEqual(audited('BAD_REQUEST'));
    });
  });

  describe('the development sign-in', () => {
    let dev: HttpGateway;
    beforeAll(async () => {
      dev = await startHttpGateway(db, {
        console: { directory: CONSOLE_DIRECTORY, devSignIn: () => mintDevToken({ kind: 'staff', subject: 'dev-officer', roles: ['compliance_officer'], purposes: ['legal_compliance'] }, dev.authConfig) },
      });
    });
    afterAll(() => dev.close());
    const signIn = (host: string) => exchange(dev.url, 'POST', '/console/api/dev-sign-in', [['Host', host], ['Content-Type', 'application/json']], '{}');

    it.each(['127.0.0.1', '127.0.0.1:4000', 'localhost:4000', 'LOCALHOST', '[::1]:4000', '127.8.9.10'])('answers a token to Host %s', async (host) => {
      const answer = await signIn(host);
      expect([answer.status, typeof answer.json?.token]).toEqual([200, 'string']);
    });

    // A page on a name that resolves to the developer's machine (DNS rebinding) sends its own name as Host.
    it.each(['attacker.example', 'attacker.example:4000', 'localhost.attacker.example', '127.0.0.1.attacker.example', '0.0.0.0:4000', '192.168.1.20:4000', '[::ffff:7f00:1]:4000x', ''])(
      'refuses Host %j with 403 FORBIDDEN and no token',
      async (host) => {
        const answer = await signIn(host);
        expect({ status: answer.status, body: answer.json }).toEqual({
          status: 403,
          body: { errors: [{ message: 'Development sign-in answers only on a loopback address (Host localhost, 127.0.0.1 or [::1])', extensions: { code: 'FORBIDDEN' } }] },
        });
      },
    );
  });
});
