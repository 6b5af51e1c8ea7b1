/**
 * JSON answers the gateway's HTTP endpoints send themselves (outside Apollo): a body with its
 * length, and the masked answer of a request whose response cannot leave (its shape is
 * error-format.ts's).
 */
import type http from 'node:http';
import { isDatabaseUnavailable } from './db-errors';
import { INTERNAL_ERROR_BODY } from './error-format';
import { SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS, serviceUnavailableError } from './errors';

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
