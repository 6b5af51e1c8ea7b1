/**
 * OpenTelemetry traces (@opentelemetry/sdk-node), off by default. Set OTEL_EXPORTER_OTLP_ENDPOINT
 * (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and the process exports, over OTLP, a trace per request:
 * the HTTP request, the GraphQL parse, validation and resolvers, every SQL statement, and the
 * gateway's own spans — the token check (`auth.verify`) and the audit write (`audit.append`, the
 * event's record and its append — with the wait for it where the request waits itself: a write's
 * event in its transaction, an in-process run; over HTTP a read's wait is the transport's, after
 * the span ends — and `audit.write_batch`, the group commit's SQL: under the request's
 * `audit.append` when the batch serves that request alone, else a trace of its own linked from
 * each request it serves). The SDK reads the usual OTEL_* variables (protocol, headers, sampler,
 * service name: need-to-know by default).
 *
 * The instrumentations patch `http`, `pg` and `graphql` when they are first loaded, so this
 * module is imported before any of them (first line of main.ts). Traces carry no personal data:
 * the SQL spans hold statement text with parameters left out, the GraphQL spans hold no
 * variables, and the HTTP spans no headers. Every log line and every audit event of a traced
 * request carries its trace id (logger.ts, audit-plugin.ts).
 */
import { context, INVALID_SPAN_CONTEXT, ProxyTracerProvider, ROOT_CONTEXT, trace, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';

export const TRACER_NAME = 'need-to-know';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** The active span's trace id, or undefined when no span is recording (tracing off). */
export function activeTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  if (!span || !span.isRecording()) return undefined;
  return span.spanContext().traceId;
}

/** The active trace and span ids for a log line, or nothing when tracing is off. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (!span || !span.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** The span `work` is handed while no tracer provider is registered: records nothing, as the API's own no-op span. */
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Whether a tracer provider is registered (the SDK, or a test's). Without one the API's tracer
 * starts spans that record nothing, at a cost on every request (about 27,000 instructions for a
 * point read's spans, docs/performance.md): `work` then runs at once with a no-op span.
 */
function tracing(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined;
}

/** Runs `work` in a span of its own (a child of the active one); records a failure on it. */
export async function inSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracing()) return work(NOT_RECORDING);
  return tracer().startActiveSpan(name, (span) => endingSpan(span, work));
}

async function endingSpan<T>(span: Span, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await work(span);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2 });
    throw error;
  } finally {
    span.end();
  }
}

/** The active span's context, to tie work done later on its behalf to it; undefined when no span is recording. */
export function activeSpanContext(): SpanContext | undefined {
  const span = trace.getSpan(context.active());
  return span?.isRecording() ? span.spanContext() : undefined;
}

/**
 * Runs `work`, done on behalf of the spans `on`, in a span of its own: a child of that span when
 * all of it is for one, else the root of a trace of its own with a link to each (a group commit
 * serving several requests belongs to none of them).
 */
export async function inSpanFor<T>(name: string, on: readonly SpanContext[], work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracing()) return work(NOT_RECORDING);
  const one = on.length > 0 && on.every((c) => c.spanId === on[0].spanId && c.traceId === on[0].traceId);
  const run = (span: Span) => endingSpan(span, work);
  if (one) return tracer().startActiveSpan(name, {}, trace.setSpanContext(ROOT_CONTEXT, on[0]), run);
  return tracer().startActiveSpan(name, { root: true, links: on.map((c) => ({ context: c })) }, run);
}

let started: { shutdown(): Promise<void> } | undefined;

/**
 * Starts the SDK when an OTLP endpoint is configured; a no-op otherwise (the API's spans are then
 * free no-ops). Synchronous, so that it runs before the instrumented modules are required.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (started || !(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT)) return false;
  // Required here, not imported above: with tracing off none of the SDK is loaded.
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  env.OTEL_SERVICE_NAME ??= 'need-to-know';
  // Traces only: the metrics are Prometheus's (/metrics), the logs pino's JSON on stdout.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      // Resolver spans for every field would dwarf the request; one span per parse, validate and execute.
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, allowValues: false, depth: 2 }),
    ],
  });
  sdk.start();
  started = sdk;
  return true;
}

/** Sends the spans still buffered; called when the process stops. */
export async function stopTracing(): Promise<void> {
  await started?.shutdown();
  started = undefined;
}
