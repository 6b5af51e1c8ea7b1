/**
 * JSON answers the gateway's HTTP endpoints send themselves (outside Apollo): a body with its
 * length, and the masked answer of a request whose response cannot leave (its shape is
 * error-format.ts's).
 */
import type http from 'node:http';
import { isDatabaseUnavailable } from './db-errors';
import { INTERNAL_ERROR_BODY } from './error-format';
import { SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS, serviceUnavailableError } from './errors';

/**
 * What every answer of the gateway's listeners carries unless it says otherwise (the console's
 * files, the export link's page, a contract): a browser that is handed one — a page that fetched
 * it, a tab that opened it — reads it as the type it says, runs nothing in it, loads nothing for
 * it, frames it nowhere, sends no referrer from it and keeps no copy of it. Set on the response
 * before anything else, so no path through the transport can send an answer without them.
 */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
});

export function setAnswerHeaders(res: http.ServerResponse): void {
  for (const name in ANSWER_HEADERS) res.setHeader(name, ANSWER_HEADERS[name]!);
}

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
