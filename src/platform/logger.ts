/**
 * Structured JSON logs. Personal data, tokens and GraphQL variables are never passed to the
 * logger; the redaction list below is a second wall for the fields that could carry them.
 */
import pino from 'pino';

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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'need-to-know' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
