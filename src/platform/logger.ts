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

/**
 * A child of `base` with `bindings`, made when it is first used: for a logger most holders never
 * write through (a request's: its requestId), since making a pino child serialises its bindings
 * and binds its level methods — about 13 k instructions of every point read. It stands in for the
 * child through a proxy, so that its holder keeps a plain data property (a request context is
 * copied with Object.assign, by Apollo, for every request: a getter would be called, and the child
 * made, by every copy). What is read from it is read from the child, its methods bound to it.
 */
export function lazyChild(base: Logger, bindings: pino.Bindings): Logger {
  return new Proxy<LazyChild>({ base, bindings, child: undefined }, LAZY_CHILD) as unknown as Logger;
}

/** What a lazy child holds: its parent and bindings until it is made, then the child. */
interface LazyChild {
  base: Logger;
  bindings: pino.Bindings;
  child: Logger | undefined;
}

const madeChild = (lazy: LazyChild): Logger => (lazy.child ??= lazy.base.child(lazy.bindings));

/** One handler for every lazy child (each holds its state in its target): a request allocates the target and the proxy only. */
const LAZY_CHILD: ProxyHandler<LazyChild> = {
  get(lazy, key) {
    const real = madeChild(lazy);
    const value: unknown = Reflect.get(real, key, real);
    return typeof value === 'function' ? value.bind(real) : value;
  },
  set: (lazy, key, value) => Reflect.set(madeChild(lazy), key, value),
  has: (lazy, key) => Reflect.has(madeChild(lazy), key),
  getPrototypeOf: (lazy) => Reflect.getPrototypeOf(madeChild(lazy)),
};
