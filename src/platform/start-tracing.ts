/**
 * Imported first by main.ts, for its side effect: starts OpenTelemetry (tracing.ts) when an OTLP
 * endpoint is configured, before `http`, `pg` and `graphql` are loaded and can no longer be patched.
 */
import { startTracing } from './tracing';

startTracing();
