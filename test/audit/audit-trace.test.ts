/**
 * The audit write in a trace: a group commit that serves one request is a span under that
 * request's span; one that serves several is a trace of its own, linked from each. Spans are
 * kept in memory by an SDK tracer provider registered for this test only.
 */
import { trace, type SpanContext } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';
import { AuditOperationType, AuditOutcome } from '../../src/audit/audit-event.entity';
import { AuditLog } from '../../src/audit/audit-log';
import type { AuditEventInput } from '../../src/audit/audit-record';
import { createTestDatabase, type TestDatabase } from '../harness/database';

const event = (n: number): AuditEventInput => ({
  requestId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  principal: { kind: 'system', id: 'audit-trace-test' },
  purpose: 'system',
  operationType: AuditOperationType.JOB,
  operationName: 'trace.test',
  outcome: AuditOutcome.OK,
});

describe('the audit write as a span', () => {
  let db: TestDatabase;
  const exporter = new tracing.InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    provider.register();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    await db.drop();
  });
  beforeEach(() => exporter.reset());

  /** Appends `n` inside a request span of its own; resolves with that span's context once the event is written. */
  const appendIn = (log: AuditLog, name: string, n: number): Promise<SpanContext> =>
    trace.getTracer('test').startActiveSpan(name, async (span) => {
      await log.append(event(n));
      span.end();
      return span.spanContext();
    });
  const batchSpans = () => exporter.getFinishedSpans().filter((s) => s.name === 'audit.write_batch');

  it('is a child of the one request a batch serves, with the batch SQL under it', async () => {
    const log = new AuditLog(db.dataSource, { windowMs: 1 });
    const request = await appendIn(log, 'request A', 1);
    await log.close();
    const [batch] = batchSpans();
    expect(batchSpans()).toHaveLength(1);
    expect({ trace: batch.spanContext().traceId, parent: batch.parentSpanContext?.spanId, events: batch.attributes['audit.events'] }).toEqual({
      trace: request.traceId,
      parent: request.spanId,
      events: 1,
    });
    expect(batch.links).toEqual([]);
  });

  it('is a trace of its own when it serves several requests, linked to each', async () => {
    // A window long enough for both appends to share the batch.
    const log = new AuditLog(db.dataSource, { windowMs: 50 });
    const [a, b] = await Promise.all([appendIn(log, 'request A', 2), appendIn(log, 'request B', 3)]);
    await log.close();
    const [batch] = batchSpans();
    expect(batchSpans()).toHaveLength(1);
    expect(batch.attributes['audit.events']).toBe(2);
    expect(batch.parentSpanContext).toBeUndefined();
    expect([a.traceId, b.traceId]).not.toContain(batch.spanContext().traceId);
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual([a.spanId, b.spanId].sort());
  });
});
