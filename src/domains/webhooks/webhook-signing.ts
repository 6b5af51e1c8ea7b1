/**
 * How a notification is signed: the Standard Webhooks specification (standardwebhooks.com), with
 * its reference library. Each request carries `webhook-id` (the event id, the same on every
 * attempt: de-duplicate by it), `webhook-timestamp` (Unix seconds of this attempt) and
 * `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret in force,
 * separated by spaces — two while a rotation's grace period runs. A receiver accepts a request
 * when one of them verifies under its secret and the timestamp is within REPLAY_WINDOW_SECONDS
 * of its clock (examples/partner-client/src/webhook-receiver.ts, or `standardwebhooks` itself).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { SealedStore } from '../../platform/reseal';
import { SecretBox } from '../../platform/secret-box';

/** What receivers refuse: a timestamp further than this from their clock (the library's tolerance). */
export const REPLAY_WINDOW_SECONDS = 5 * 60;
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new signing secret, as Standard Webhooks writes one: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The headers of one attempt, signed with every secret given (the current one first). */
export function signNotification(eventId: string, at: Date, body: string, secrets: readonly string[]): SignedHeaders {
  if (secrets.length === 0) throw new Error('signNotification: expected at least one secret, got none');
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(eventId, at, body)).join(' '),
  };
}

/**
 * Seals signing secrets at rest (AES-256-GCM under a key derived from WEBHOOK_SECRET_KEY), each
 * bound to its endpoint's id: the gateway must sign with them, so they cannot be hashed. Those
 * sealed under a key WEBHOOK_SECRET_KEY replaced (`previousKeys`) still open; `reseal` moves them.
 */
export class SigningSecretBox {
  private readonly box: SecretBox;

  constructor(key: string, previousKeys: readonly string[] = []) {
    this.box = new SecretBox(key, 'webhook-signing-secret', previousKeys);
  }

  /** See SecretBox.reseal. */
  reseal(sealed: Buffer, endpointId: string): Buffer | undefined {
    return this.box.reseal(sealed, endpointId);
  }

  seal(secret: string, endpointId: string): Buffer {
    return this.box.seal(secret, endpointId);
  }

  open(sealed: Buffer, endpointId: string): string {
    return this.box.open(sealed, endpointId);
  }
}

/** Every endpoint's signing secret, and the previous one of a rotation, for `secrets reseal`. */
export function signingSecretStore(box: SigningSecretBox): SealedStore {
  return {
    name: 'webhook_endpoint.sealed_secret',
    table: 'webhook_endpoint',
    key: 'id',
    keyType: 'uuid',
    where: 'true',
    columns: [
      { column: 'sealed_secret', boundTo: (row) => String(row.id) },
      { column: 'sealed_previous_secret', boundTo: (row) => String(row.id) },
    ],
    box,
  };
}
