/**
 * Sending a write again until it is answered: after a dropped connection, a 5xx, a 429 or a 503
 * the same request goes again with the same Idempotency-Key, so the gateway writes it once and
 * answers the retry with the first response. Any other error is final.
 */
import { ClientError } from 'graphql-request';

export interface RetryOptions {
  /** Attempts in all (4 unless told). */
  attempts?: number;
  /** How to wait between attempts (setTimeout unless told). */
  wait?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether an error leaves the request's outcome unknown or asks for a retry. */
function retryable(error: unknown): boolean {
  if (error instanceof ClientError) return error.response.status === 429 || error.response.status >= 500;
  // fetch rejects with a TypeError when the connection fails or drops before the answer.
  return error instanceof TypeError;
}

/** The seconds the gateway asked to wait (Retry-After), else exponential back-off from 250 ms. */
function delayOf(error: unknown, attempt: number): number {
  // graphql-request keeps the response's headers on the error, untyped.
  const headers = error instanceof ClientError ? (error.response.headers as Headers | undefined) : undefined;
  const header = headers?.get('retry-after');
  const seconds = header ? Number(header) : NaN;
  return Number.isFinite(seconds) ? seconds * 1000 : 250 * 2 ** attempt;
}

export async function withRetries<T>(send: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  const wait = options.wait ?? sleep;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (attempt + 1 >= attempts || !retryable(error)) throw error;
      await wait(delayOf(error, attempt));
    }
  }
}
