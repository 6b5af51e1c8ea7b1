/**
 * Seals what must not be stored in clear (AES-256-GCM under a key derived from a configured
 * secret, one key per use): mail bodies while they wait in the outbox, so a one-time code is
 * never stored in clear, not even for the seconds before it is sent; webhook signing secrets;
 * the responses kept for idempotent retries. The caller names what a sealed value belongs to
 * (a row id) as associated data: a value moved to another row does not open.
 *
 * Rotation: a box may also hold the secrets the current one replaced (NAME_PREVIOUS). It seals
 * under the current secret only and opens under any of them; `reseal` moves a value made under a
 * previous secret to the current one, so that secret can be dropped. Opening always tries every
 * key, whichever opens, so a value under a previous secret and one under none cost the same.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key per secret, the current one first. */
export function deriveKeys(secret: string, previous: readonly string[], use: string): readonly Buffer[] {
  return [secret, ...previous].map((s) => Buffer.from(hkdfSync('sha256', s, 'need-to-know', use, 32)));
}

export class SecretBox {
  private readonly keys: readonly Buffer[];

  /**
   * `use` separates the keys of different uses of one secret (mail bodies, webhook signing
   * secrets, idempotent responses); `previous`: the secrets `secret` replaced, for opening only.
   */
  constructor(secret: string, use = 'mail-outbox-body', previous: readonly string[] = []) {
    this.keys = deriveKeys(secret, previous, use);
  }

  seal(plain: string, boundTo: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** The plain text; throws when `sealed` opens under none of the secrets (or is not bound to `boundTo`). */
  open(sealed: Buffer, boundTo: string): string {
    return this.openWithKey(sealed, boundTo).plain;
  }

  /**
   * `sealed` sealed again under the current secret when it opens under a previous one; undefined
   * when it is under the current one already. Throws, as `open`, when it opens under none.
   */
  reseal(sealed: Buffer, boundTo: string): Buffer | undefined {
    const { plain, key } = this.openWithKey(sealed, boundTo);
    return key === 0 ? undefined : this.seal(plain, boundTo);
  }

  private openWithKey(sealed: Buffer, boundTo: string): { plain: string; key: number } {
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error(`SecretBox.open: expected at least ${IV_BYTES + TAG_BYTES} bytes, got ${sealed.length}`);
    let opened: { plain: string; key: number } | undefined;
    // Every key, even after one opened: the time taken does not tell which one did.
    this.keys.forEach((key, i) => {
      const plain = openUnder(key, sealed, boundTo);
      if (plain !== undefined && opened === undefined) opened = { plain, key: i };
    });
    if (!opened) throw new Error('SecretBox.open: the value does not open under the current secret or a previous one');
    return opened;
  }
}

function openUnder(key: Buffer, sealed: Buffer, boundTo: string): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Keyed fingerprints (HMAC-SHA256 under a key derived from a configured secret, one key per use)
 * of what is compared but never opened: a fingerprint made under one secret tells nothing to
 * whoever lacks it, so what it was made of (a request's variables, a one-time code among them)
 * cannot be tried against it offline. It is made under the current secret and matches under any
 * of them (NAME_PREVIOUS), every key tried whichever matches, as `SecretBox.open` does. A
 * fingerprint cannot be moved to the current secret: one made under a previous secret matches
 * until it expires with what it belongs to, or that secret is dropped.
 */
export class SecretMac {
  private readonly keys: readonly Buffer[];

  constructor(secret: string, use: string, previous: readonly string[] = []) {
    this.keys = deriveKeys(secret, previous, use);
  }

  /** The fingerprint of `text` under the current secret: 64 hex digits. */
  fingerprint(text: string): string {
    return createHmac('sha256', this.keys[0]).update(text, 'utf8').digest('hex');
  }

  /** Whether `stored` is the fingerprint of `text` under the current secret or a previous one. */
  matches(text: string, stored: string): boolean {
    const expected = Buffer.from(stored, 'utf8');
    let found = false;
    for (const key of this.keys) {
      const made = Buffer.from(createHmac('sha256', key).update(text, 'utf8').digest('hex'), 'utf8');
      found = (made.length === expected.length && timingSafeEqual(made, expected)) || found;
    }
    return found;
  }
}
