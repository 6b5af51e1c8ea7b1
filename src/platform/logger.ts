/**
 * Structured JSON logs. Personal data, tokens and GraphQL variables are never passed to the
 * logger; the redaction list below is a second wall for the fields that could carry them.
 *
 * While the database cannot be reached every request fails the same way, and each would log the
 * same warning or error several times (the failed statement, the unwritten audit batch, the
 * masked error): thousands of lines a second, costing the CPU the recovery needs. Warnings and
 * errors whose `err` (or `error` and `code`) says the database is unavailable are therefore
 * written at most once per message per UNAVAILABLE_LOG_INTERVAL_MS; the next one written says
 * how many were left out (`suppressed`). Each request's own access line is never dropped.
 */
import pino from 'pino';
import { isDatabaseUnavailable } from './db-errors';
import { traceFields } from './tracing';

export type Logger = pino.Logger;

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'variables',
  '*.variables',
  '*.token',
  // A failed query's parameters, and PostgreSQL's detail line ("Key (email)=(…) already
  // exists"), carry the values written: the statement text alone is enough to find the fault.
  'err.parameters',
  'err.detail',
  'err.driverError.parameters',
  'err.driverError.detail',
  'err.driverError.where',
];

export const UNAVAILABLE_LOG_INTERVAL_MS = 1000;

/** Whether a log line's fields describe a database that cannot answer now. */
function aboutUnavailableDatabase(fields: Record<string, unknown>): boolean {
  if (fields.err !== undefined) return isDatabaseUnavailable(fields.err);
  return typeof fields.error === 'string' && isDatabaseUnavailable({ message: fields.error, code: fields.code });
}

/** For each message: may a line be written now, and how many were left out since the last one. */
function throttle(intervalMs: number): (message: string) => { write: boolean; suppressed: number } {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (message) => {
    const now = performance.now();
    const entry = last.get(message);
    if (entry && now - entry.at < intervalMs) {
      entry.suppressed += 1;
      return { write: false, suppressed: 0 };
    }
    last.set(message, { at: now, suppressed: 0 });
    return { write: true, suppressed: entry?.suppressed ?? 0 };
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const unavailable = throttle(UNAVAILABLE_LOG_INTERVAL_MS);
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'need-to-know' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // With tracing on, every line written inside a traced request carries its trace and span ids.
    mixin: traceFields,
    hooks: {
      logMethod(args, method, levelValue) {
        const [fields, message] = args as unknown[];
        if (levelValue >= 40 && fields && typeof fields === 'object' && typeof message === 'string' && aboutUnavailableDatabase(fields as Record<string, unknown>)) {
          const verdict = unavailable(message);
          if (!verdict.write) return;
          if (verdict.suppressed > 0) args[0] = { ...(fields as object), suppressed: verdict.suppressed };
        }
        return method.apply(this, args);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
