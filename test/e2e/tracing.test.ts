/**
 * OpenTelemetry traces, end to end: the gateway as deployed (`node dist/src/main.js serve`), with
 * an OTLP endpoint in its environment pointing at a collector this test runs. One request's trace
 * holds the HTTP request, the token check, its SQL and the audit write as spans; the request's
 * audit event and its log line carry that trace's id. Without an endpoint, nothing is traced.
 * (Instrumentation patches modules as Node loads them, which jest's own module loader bypasses:
 * hence a process of its own.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { mintDevToken } from '../../src/auth/dev-token';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startServeProcess, until } from '../harness/serve-process';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links?: Array<{ traceId: string; spanId: string }>;
}

/** A minimal OTLP/HTTP JSON collector: keeps every span it is sent. */
async function startCollector(): Promise<{ url: string; spans: OtlpSpan[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };
      for (const r of body.resourceSpans ?? []) for (const s of r.scopeSpans ?? []) spans.push(...(s.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('OpenTelemetry traces', () => {
  let db: TestDatabase;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    token = await mintDevToken({ kind: 'staff', subject: 'agent-trace', roles: ['customer_service'], purposes: ['after_sales'] }, loadAuthConfig({}, 'test'));
  });
  afterAll(() => db.drop());

  it('show one request as the HTTP request with its token check, SQL and audit write, and tie it to its audit event and log line', async () => {
    const collector = await startCollector();
    const gateway = await startServeProcess(db, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    try {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ operationName: 'Traced', query: 'query Traced { customers(first: 2) { nodes { id email } } }' }),
      });
      expect(response.status).toBe(200);
      const requestId = response.headers.get('x-request-id');
      const [event] = await db.dataSource.query(`SELECT trace_id FROM audit_event WHERE request_id = $1`, [requestId]);
      expect(event.trace_id).toMatch(/^[0-9a-f]{32}$/);
      const traceId: string = event.trace_id;

      const spans = await until('the audit write spans', () => {
        const mine = collector.spans.filter((s) => s.traceId === traceId);
        return mine.some((s) => s.name === 'audit.append') && mine.some((s) => s.name === 'audit.write_batch') ? mine : undefined;
      });
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const root = spans.find((s) => !s.parentSpanId || !byId.has(s.parentSpanId))!;
      expect(root.name).toBe('POST');
      const names = spans.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['auth.verify', 'audit.append', 'audit.write_batch']));
      // The group commit that wrote the event (it served this request alone), with its SQL under it.
      const append = spans.find((s) => s.name === 'audit.append')!;
      const batch = spans.find((s) => s.name === 'audit.write_batch')!;
      expect(batch.parentSpanId).toBe(append.spanId);
      expect(spans.filter((s) => s.parentSpanId === batch.spanId).length).toBeGreaterThanOrEqual(1);
      // The SQL of the request: at least the customers' page, a pg span inside the request's trace.
      expect(names.filter((n) => /^(pg\.query|SELECT)/.test(n)).length).toBeGreaterThanOrEqual(1);
      expect(names.some((n) => n.startsWith('graphql.'))).toBe(true);
      // Every gateway span hangs under the request.
      const underRoot = (s: OtlpSpan): boolean => s === root || (s.parentSpanId !== undefined && byId.has(s.parentSpanId) && underRoot(byId.get(s.parentSpanId)!));
      expect(spans.filter((s) => !underRoot(s))).toEqual([]);

      const accessLine = await until('the access log line', () => gateway.lines.find((l) => l.requestId === requestId && l.msg === 'graphql request'));
      expect(accessLine.trace_id).toBe(traceId);
    } finally {
      await gateway.stop();
      await collector.close();
    }
  });

  it('are off without an OTLP endpoint: no trace id on events or log lines', async () => {
    const gateway = await startServeProcess(db, {});
    try {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ customers(first: 1) { nodes { id } } }' }),
      });
      expect(response.status).toBe(200);
      const requestId = response.headers.get('x-request-id');
      const [event] = await db.dataSource.query(`SELECT trace_id FROM audit_event WHERE request_id = $1`, [requestId]);
      expect(event).toEqual({ trace_id: null });
      const accessLine = await until('the access log line', () => gateway.lines.find((l) => l.requestId === requestId && l.msg === 'graphql request'));
      expect(accessLine.trace_id).toBeUndefined();
    } finally {
      await gateway.stop();
    }
  });
});
