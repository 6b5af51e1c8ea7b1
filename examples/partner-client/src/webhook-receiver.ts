/**
 * A receiver for need-to-know's change notifications, usable as it is: Node's own `http` and
 * `crypto`, nothing else. Notifications follow the Standard Webhooks specification
 * (https://www.standardwebhooks.com), so any of its libraries verifies them too.
 *
 * Each notification is a POST with a JSON body `{ type, timestamp, data }` and three headers:
 *
 *   webhook-id         the event id: the same on every retry, so process each id once
 *   webhook-timestamp  Unix seconds when this attempt was signed
 *   webhook-signature  `v1,<base64>` per secret in force, space-separated (two while the
 *                      partner rotates its secret): HMAC-SHA256, keyed with the base64 part of
 *                      the `whsec_...` secret, over `${id}.${timestamp}.${raw body}`
 *
 * A notification is accepted when one signature verifies under one of the receiver's secrets
 * and the timestamp is within 5 minutes of the receiver's clock (an old request replayed, or
 * one signed far in the future, is refused). Answer 2xx quickly: anything else, or no answer
 * within 10 s, is retried with back-off until the gateway gives up (README, Webhooks).
 *
 *   const server = http.createServer(createWebhookReceiver({
 *     secrets: [process.env.WEBHOOK_SECRET!],
 *     onNotification: async (n) => { await handle(n.type, n.data); },
 *   }));
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** How far a notification's timestamp may be from the receiver's clock. */
export const TOLERANCE_SECONDS = 5 * 60;
/** The largest body accepted; notifications are a few kilobytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface Notification<T = Record<string, unknown>> {
  /** The event id (`webhook-id`): de-duplicate by it. */
  id: string;
  /** When this attempt was signed. */
  signedAt: Date;
  /** `shipment.assigned`, `shipment.changed` or `payment_verification.changed`. */
  type: string;
  /** When the change was written. */
  timestamp: string;
  /** The record, keyed by its kind: `{ shipment: {...} }` or `{ paymentVerification: {...} }`. */
  data: T;
}

export type VerificationFailure = 'missing_headers' | 'timestamp_out_of_window' | 'no_matching_signature' | 'malformed_body';

export class WebhookVerificationError extends Error {
  constructor(readonly reason: VerificationFailure, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

function header(headers: IncomingHttpHeaders | Record<string, string | undefined>, name: string): string | undefined {
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/**
 * Verifies one notification: its headers and its raw body, exactly as received (re-serialized
 * JSON does not verify). Returns it parsed, or throws a WebhookVerificationError saying why.
 */
export function verifyNotification(
  secrets: readonly string[],
  headers: IncomingHttpHeaders | Record<string, string | undefined>,
  rawBody: Buffer | string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): Notification {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing_headers', 'expected webhook-id, webhook-timestamp and webhook-signature');
  const seconds = Number(timestamp);
  const now = (options.now ?? new Date()).getTime() / 1000;
  const tolerance = options.toleranceSeconds ?? TOLERANCE_SECONDS;
  if (!/^\d+$/.test(timestamp) || Math.abs(now - seconds) > tolerance) {
    throw new WebhookVerificationError('timestamp_out_of_window', `expected a timestamp within ${tolerance} s of now, got ${timestamp}`);
  }
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8');
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const given = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  const verified = secrets.some((secret) => {
    const expected = createHmac('sha256', keyOf(secret)).update(signed).digest();
    return given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
  });
  if (!verified) throw new WebhookVerificationError('no_matching_signature', 'no v1 signature verifies under the secrets given');
  let parsed: { type?: unknown; timestamp?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('malformed_body', 'the body is not JSON');
  }
  if (typeof parsed.type !== 'string' || typeof parsed.timestamp !== 'string' || typeof parsed.data !== 'object' || parsed.data === null) {
    throw new WebhookVerificationError('malformed_body', 'expected { type, timestamp, data }');
  }
  return { id, signedAt: new Date(seconds * 1000), type: parsed.type, timestamp: parsed.timestamp, data: parsed.data as Record<string, unknown> };
}

export interface ReceiverOptions {
  /** Your signing secret(s): while you rotate, both the old and the new one. */
  secrets: readonly string[];
  /** Handles a verified notification; throw to have it retried. Called once per event id (see `seen`). */
  onNotification(notification: Notification): Promise<void> | void;
  /**
   * Remembers event ids already handled. In memory by default (the last 10,000); keep them in
   * your own database to survive restarts: a notification can arrive more than once. Two copies
   * arriving at the same moment can both pass this check, so the handler's own write should be
   * idempotent too (an upsert keyed by the event id, or by the record and its state).
   */
  seen?: { has(id: string): boolean | Promise<boolean>; add(id: string): void | Promise<void> };
  /** Refused notifications, for your logs (never log the body: it is personal data). */
  onRefused?(reason: VerificationFailure | 'too_large'): void;
  now?: () => Date;
}

function recentIds(limit = 10_000): NonNullable<ReceiverOptions['seen']> {
  const ids = new Set<string>();
  return {
    has: (id) => ids.has(id),
    add(id) {
      ids.add(id);
      if (ids.size > limit) ids.delete(ids.values().next().value as string);
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * An HTTP handler: 204 for a notification handled (or already handled), 401 for one that does
 * not verify, 413 for a body too large, 405 for anything but POST, 500 when `onNotification`
 * throws (the gateway then retries it).
 */
export function createWebhookReceiver(options: ReceiverOptions): RequestListener {
  const seen = options.seen ?? recentIds();
  const answer = (res: ServerResponse, status: number) => {
    res.statusCode = status;
    res.end();
  };
  return (req, res) => {
    if (req.method !== 'POST') return answer(res, 405);
    void (async () => {
      const body = await readBody(req);
      if (!body) {
        options.onRefused?.('too_large');
        return answer(res, 413);
      }
      let notification: Notification;
      try {
        notification = verifyNotification(options.secrets, req.headers, body, { now: options.now?.() });
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        options.onRefused?.(error.reason);
        return answer(res, error.reason === 'malformed_body' ? 400 : 401);
      }
      if (await seen.has(notification.id)) return answer(res, 204);
      await options.onNotification(notification);
      await seen.add(notification.id);
      answer(res, 204);
    })().catch(() => {
      if (!res.headersSent) answer(res, 500);
    });
  };
}
