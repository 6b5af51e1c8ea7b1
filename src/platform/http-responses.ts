/**
 * JSON answers the gateway's HTTP endpoints send themselves (outside Apollo): a body with its
 * length, and the masked answer of a request whose response cannot leave.
 */
import type http from 'node:http';
import { isDatabaseUnavailable } from './db-errors';
import { ErrorCode, SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS, serviceUnavailableError } from './errors';

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';
/** The whole body of a response withheld for an unexpected failure. */
const INTERNAL_ERROR_BODY = Object.freeze({ errors: [{ message: INTERNAL_ERROR_MESSAGE, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });

export function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** One coded error as the whole answer. */
export function sendError(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { errors: [{ message, extensions: { code } }] }, headers);
}

/**
 * Answers a request whose response cannot leave because of `error`: 503 SERVICE_UNAVAILABLE
 * with Retry-After when the database could not answer, 500 INTERNAL_SERVER_ERROR otherwise.
 */
export function sendWithheld(res: http.ServerResponse, error: unknown): void {
  if (isDatabaseUnavailable(error)) send(res, 503, { errors: [serviceUnavailableError()] }, { 'retry-after': String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS) });
  else send(res, 500, INTERNAL_ERROR_BODY);
}
