/**
 * Download links of attachments: short-lived, sealed, and bound to the caller they were issued to.
 *
 * `CaseAttachment.downloadUrl` issues one to a caller whose matrix row sees the attachment's
 * content; the link is a path on the gateway, `/attachments/<token>`, that a browser can open
 * without headers (an <img> or a download). The token is a JWE (jose: `dir` + A256GCM under a key
 * derived from CURSOR_SECRET), so it carries nothing readable — no case, no customer, no storage
 * key — and a token altered by one bit, expired, or sealed under another key opens as nothing. A
 * token sealed under a secret CURSOR_SECRET replaced (CURSOR_SECRET_PREVIOUS) opens until it
 * expires; every key is tried whichever opens, so it takes as long as one that opens under none.
 * Inside: the attachment id, the caller it was issued to (principal and purpose) and the legal
 * case or privacy request the read served. The download endpoint looks that caller up again and
 * decides again (attachment-http.ts): a withdrawn grant or a suspended partner ends its links too.
 */
import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose';
import type { ServedRequest } from '../../audit/served-request';
import type { Caller, Principal } from '../../policy/principal';
import type { Purpose } from '../../policy/vocabulary';

const AUDIENCE = 'need-to-know:attachment-download';
/** Far above any token this issues (about 600 characters); longer input is refused unread. */
const MAX_TOKEN_LENGTH = 2048;

/** What a link carries: the attachment, whom it was issued to and for what, and what the read served. */
export interface AttachmentLink {
  attachmentId: string;
  principal: Principal;
  purpose: Purpose;
  served: ServedRequest;
  /** When the link stops working. */
  expiresAt: Date;
}

export class AttachmentLinks {
  private readonly key: Uint8Array;
  private readonly keys: readonly Uint8Array[];

  /** `secret`: CURSOR_SECRET; `ttlSeconds`: how long a link works; `previous`: CURSOR_SECRET_PREVIOUS, for opening only. */
  constructor(secret: string, readonly ttlSeconds: number, previous: readonly string[] = []) {
    if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('AttachmentLinks: expected a non-empty secret');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new TypeError(`AttachmentLinks: expected ttlSeconds to be a positive integer, got ${ttlSeconds}`);
    this.keys = [secret, ...previous].map((s) => new Uint8Array(hkdfSync('sha256', s, 'need-to-know', 'attachment link v1', 32)));
    this.key = this.keys[0];
  }

  /** The path of a download link of `attachmentId` for `caller`. */
  async issue(attachmentId: string, caller: Caller, served: ServedRequest): Promise<string> {
    const token = await new EncryptJWT({ att: attachmentId, pri: caller.principal, pur: caller.purpose, srv: served })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .encrypt(this.key);
    return `/attachments/${token}`;
  }

  /** What `token` carries, or undefined for anything that is not an unexpired link this gateway issued. */
  async open(token: string): Promise<AttachmentLink | undefined> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    const opened = await Promise.all(this.keys.map((key) => decryptUnder(key, token)));
    const payload = opened.find((p) => p !== undefined);
    if (payload === undefined) return undefined;
    const { att, pri, pur, srv, exp } = payload as { att?: unknown; pri?: unknown; pur?: unknown; srv?: unknown; exp?: number };
    if (typeof att !== 'string' || typeof pri !== 'object' || pri === null || typeof pur !== 'string' || typeof exp !== 'number') return undefined;
    return { attachmentId: att, principal: pri as Principal, purpose: pur as Purpose, served: (srv ?? {}) as ServedRequest, expiresAt: new Date(exp * 1000) };
  }
}

/** The claims of `token` under `key`, or undefined for anything that is not an unexpired link sealed under it. */
async function decryptUnder(key: Uint8Array, token: string): Promise<JWTPayload | undefined> {
  try {
    return (await jwtDecrypt(token, key, { audience: AUDIENCE, clockTolerance: 0, keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })).payload;
  } catch {
    return undefined;
  }
}
