/**
 * Seals what must not be stored in clear (AES-256-GCM under a key derived from a configured
 * secret, one key per use): mail bodies while they wait in the outbox, so a one-time code is
 * never stored in clear, not even for the seconds before it is sent; webhook signing secrets;
 * the responses kept for idempotent retries. The caller names what a sealed value belongs to
 * (a row id) as associated data: a value moved to another row does not open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private readonly key: Buffer;

  /** `use` separates the keys of different uses of one secret (mail bodies, webhook signing secrets, idempotent responses). */
  constructor(secret: string, use = 'mail-outbox-body') {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'need-to-know', use, 32));
  }

  seal(plain: string, boundTo: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, boundTo: string): string {
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error(`SecretBox.open: expected at least ${IV_BYTES + TAG_BYTES} bytes, got ${sealed.length}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
