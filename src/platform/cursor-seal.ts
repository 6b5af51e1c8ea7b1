/**
 * Sealed cursors. A cursor is a row's position in a list — its sort value and id — that the
 * caller hands back for the next page; the caller never reads it. The position is encrypted and
 * authenticated with AES-256-GCM under a server key (CURSOR_SECRET, through HKDF), and bound, as
 * additional authenticated data, to the caller it was made for (its policy view and identity,
 * from the context) and to the list (with the filter it was read under: pagination.ts cursorList)
 * and ordering. So:
 * - a cursor carries nothing in the clear: no sort value (a creation time the caller may not
 *   see) and no id leaks through it;
 * - a cursor changed by one bit fails authentication;
 * - a cursor made for another caller, another list, filter or ordering fails authentication too,
 *   and all of these are refused alike: one BAD_USER_INPUT, one message, whatever went wrong.
 *
 * Layout, base64url: version (1 byte) | IV (12 random bytes) | tag (16 bytes) | ciphertext of
 * the JSON `[value, id]`. The version byte lets a later format tell its own.
 *
 * Rotation: cursors are sealed under CURSOR_SECRET and open under it or a secret it replaced
 * (CURSOR_SECRET_PREVIOUS), every key tried whichever opens, so a cursor under a previous secret
 * and a forged one take as long and are refused alike once that secret is dropped.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomFillSync, type KeyObject } from 'node:crypto';
import { badUserInput } from './errors';
import type { CursorCodec, CursorPosition, Ordering } from './pagination';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
/** Far above any cursor this writes (about 120 characters); longer input is refused unread. */
const MAX_CURSOR_LENGTH = 512;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const INVALID_CURSOR_MESSAGE = 'after: not a cursor this list gave this caller; pass the endCursor of the previous page';

/** IVs are taken from a buffer of random bytes filled this many IVs at a time (a page of 50 edges seals 50 cursors). */
const IVS_PER_FILL = 256;
let ivs = Buffer.alloc(0);
let nextIv = 0;

/** A fresh random IV, never handed out twice. */
function randomIv(): Buffer {
  if (nextIv + IV_BYTES > ivs.length) {
    ivs = randomFillSync(Buffer.allocUnsafe(IV_BYTES * IVS_PER_FILL));
    nextIv = 0;
  }
  const iv = ivs.subarray(nextIv, nextIv + IV_BYTES);
  nextIv += IV_BYTES;
  return iv;
}

/** The server's cursor keys, derived once from CURSOR_SECRET (sealing and opening) and the secrets it replaced (opening). */
export class CursorKey {
  private readonly keys: readonly KeyObject[];

  constructor(secret: string, previous: readonly string[] = []) {
    if (typeof secret !== 'string' || secret.length === 0) throw new Error('CursorKey: expected a non-empty secret');
    // KeyObjects, made once: a raw key would be copied into one for every cursor.
    this.keys = [secret, ...previous].map((s) => createSecretKey(Buffer.from(hkdfSync('sha256', s, 'need-to-know', 'cursor v1', 32))));
  }

  /**
   * A codec that seals cursors for one caller (`binding` names its view and identity) and opens
   * only those. The binding may be given as a function, asked once when the first cursor is sealed
   * or opened: most requests use none.
   */
  forCaller(binding: string | (() => string)): CursorCodec {
    const keys = this.keys;
    const key = keys[0];
    let bound = typeof binding === 'string' ? binding : undefined;
    // A page seals all its cursors for one list and ordering: their associated data is built once.
    const aads = new Map<string, Buffer>();
    const aad = (list: string, ordering: Ordering) => {
      bound ??= (binding as () => string)();
      const text = `${bound}\u0000${list}\u0000${ordering.name}`;
      let bytes = aads.get(text);
      if (!bytes) aads.set(text, (bytes = Buffer.from(text, 'utf8')));
      return bytes;
    };
    return {
      seal(list, ordering, value, id) {
        const v = value instanceof Date ? value.toISOString() : value;
        const iv = randomIv();
        const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        cipher.setAAD(aad(list, ordering));
        const update = cipher.update(JSON.stringify([v, id]), 'utf8');
        const final = cipher.final(); // empty for GCM, a stream mode
        const body = final.length === 0 ? update : Buffer.concat([update, final]);
        const sealed = Buffer.allocUnsafe(HEADER_BYTES + body.length);
        sealed[0] = VERSION;
        iv.copy(sealed, 1);
        cipher.getAuthTag().copy(sealed, 1 + IV_BYTES);
        body.copy(sealed, HEADER_BYTES);
        return sealed.toString('base64url');
      },
      open(cursor, list, ordering): CursorPosition {
        const position = typeof cursor === 'string' && cursor.length <= MAX_CURSOR_LENGTH ? decryptUnderAny(keys, cursor, aad(list, ordering)) : undefined;
        const valid =
          Array.isArray(position) &&
          position.length === 2 &&
          typeof position[1] === 'string' &&
          UUID.test(position[1]) &&
          (ordering.kind === 'number' ? typeof position[0] === 'number' : typeof position[0] === 'string') &&
          (ordering.kind !== 'timestamp' || !Number.isNaN(Date.parse(position[0] as string)));
        if (!valid) throw badUserInput(INVALID_CURSOR_MESSAGE);
        return { v: position[0] as string | number, i: position[1] as string };
      },
    };
  }
}

/** What `cursor` holds under the first of `keys` it opens under; every key is tried, whichever opens. */
function decryptUnderAny(keys: readonly KeyObject[], cursor: string, aad: Buffer): unknown {
  const raw = Buffer.from(cursor, 'base64url');
  if (raw.length <= HEADER_BYTES || raw[0] !== VERSION) return undefined;
  if (keys.length === 1) return decrypt(keys[0], raw, aad);
  let found: unknown;
  for (const key of keys) {
    const position = decrypt(key, raw, aad);
    if (found === undefined) found = position;
  }
  return found;
}

function decrypt(key: KeyObject, raw: Buffer, aad: Buffer): unknown {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(raw.subarray(1 + IV_BYTES, HEADER_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(HEADER_BYTES)), decipher.final()]).toString('utf8');
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
