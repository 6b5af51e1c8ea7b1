/**
 * Idempotent mutations. A caller that sends a mutation again with the same `Idempotency-Key`
 * header and the same request within 24 hours gets the first response again and nothing is
 * written twice; the same key with another request is refused (IDEMPOTENCY_KEY_REUSED, HTTP 422, as the
 * IETF Idempotency-Key draft advises).
 *
 * - Keys are per caller: its principal (`principalKey`: a partner, whichever of its systems
 *   calls) under its policy view (roles, purpose, a grant's categories). A record is found by
 *   sha256 of the three and the key, so a key sent by another principal, or by the same one under
 *   another purpose, other roles or another grant, is another key: it never replays, refuses or
 *   waits for what the first caller's key holds, and is answered exactly as a fresh key. The key
 *   itself is not stored.
 * - A request is its operation text, operation name, variables and purpose, kept as a keyed
 *   fingerprint of their canonical JSON (HMAC-SHA256 under a key derived from the privacy secret,
 *   platform/secret-box.ts SecretMac), so the variables (a one-time code among them) cannot be
 *   tried against a stored fingerprint offline. A fingerprint made under a secret listed in
 *   PRIVACY_SECRET_PREVIOUS still matches; it cannot be re-made under the current one, and expires
 *   with its record.
 * - Records made before keys named the caller's view (`fingerprint_keyed` false) are found by
 *   principal and key, with an unkeyed sha256 fingerprint, for the rest of their 24 hours, and
 *   answered as they were: replayed only under the view that answered them, refused under another.
 * - The key is claimed after validation and the limits, just before the operation runs, by
 *   inserting its record in the request's transaction (platform/request-transaction.ts). The
 *   response, and what its audit event recorded, are added just before that transaction
 *   commits with the writes and the event: a response is kept exactly when its request
 *   committed, whatever it answered; one withheld or rolled back leaves the key free. A second
 *   request with the same key while the first runs waits on the record's primary key until the
 *   first ends, then replays its response (or runs, if the first rolled back): two requests
 *   with one key never both write.
 * - A replay discloses again, so it is treated as a response: the limits, the contract and the
 *   rate limit apply as to any request, a write the caller's policy no longer grants is refused
 *   (FORBIDDEN, as the field rules refuse it), and its audit event records what the first
 *   response did (subjects, coordinates) and names the request replayed. It carries
 *   `Idempotent-Replayed: true`. What a response showed was decided by the caller's policy view
 *   then: a record is found only under that view, so a role taken away leaves nothing it showed
 *   readable (the same person under the new roles sends a new request). (What the first response showed is shown again as it was: a
 *   shipment reassigned since is replayed as the carrier saw it then.)
 * - A record holds personal data (the response). The response and what its audit event recorded
 *   are sealed at rest (platform/secret-box.ts: AES-256-GCM under a key derived from the privacy
 *   secret, label `idempotency-response`), bound to the record's key hash and request id, so a
 *   sealed response opens for no other record. A record sealed under a secret listed in
 *   PRIVACY_SECRET_PREVIOUS still opens. A record that no longer opens (the secret changed, the
 *   old one not kept as a previous one) is refused with IDEMPOTENCY_KEY_REUSED and runs nothing: freeing the key would run
 *   a write that may already have committed a second time; the key is free once the record
 *   expires. A record is never replayed after 24 hours — the key is then free for a new request —
 *   and `purgeExpired` deletes expired records; the gateway runs it every 10 minutes.
 * - Queries ignore the header: reading twice is already safe.
 * - A write whose answer holds a secret that is never kept (a webhook signing secret, a one-time
 *   download link) refuses a key (`refuseIdempotencyKey`): kept, even sealed, it would be a copy.
 */
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { getLocation, type FormattedExecutionResult } from 'graphql';
import type { DataSource } from 'typeorm';
import { canonicalJson } from '../platform/canonical-json';
import type { DisclosureSnapshot } from '../audit/disclosure-recorder';
import { sha256Hex } from '../audit/merkle';
import { principalKey } from '../policy/principal';
import type { RequestContext } from '../context';
import { fragmentsOf, rootFieldsOf } from '../platform/documents';
import { badUserInput, ErrorCode } from '../platform/errors';
import type { RequestTransaction } from '../platform/request-transaction';
import { recordSqlStatement } from '../platform/sql-counter';
import { deniedMessage } from '../enforcement/field-rules';
import type { SealedStore } from '../platform/reseal';
import type { SecretBox, SecretMac } from '../platform/secret-box';

const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** How long a first response is replayed. */
const IDEMPOTENCY_WINDOW_HOURS = 24;

/** 1 to 255 visible ASCII characters (a UUID is usual), optionally as a quoted structured-field string. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/** What the request's key turned out to be: claimed by this request, or answered by an earlier one. */
export type IdempotencyClaim = { kind: 'first'; keyHash: string; requestId: string; box: SecretBox; view: string } | { kind: 'replay'; requestId: string };

/** What a record keeps beside the response: what its audit event recorded, and the key of the policy view that answered it. */
interface KeptDisclosure extends DisclosureSnapshot {
  view: string;
}

/** The label the key sealing responses is derived under (from the privacy secret, as mail bodies' is under another). */
export const RESPONSE_BOX_USE = 'idempotency-response';
/** The label the key of requests' fingerprints is derived under (from the privacy secret). */
export const FINGERPRINT_MAC_USE = 'idempotency-fingerprint';

/** What a sealed part of a record is bound to: the record (key hash and the request that wrote it) and which part it is. */
function boundTo(keyHash: string, requestId: string, part: 'response' | 'disclosure'): string {
  return `idempotency_record:${keyHash}:${requestId}:${part}`;
}

/** The responses kept for retries, for `secrets reseal` (an expired record is never opened again). */
export function idempotencySealedStore(box: SecretBox): SealedStore {
  return {
    name: 'idempotency_record.response',
    table: 'idempotency_record',
    key: 'key_hash',
    keyType: 'text',
    where: 'response IS NOT NULL AND expires_at > now()',
    reads: ['request_id'],
    columns: [
      { column: 'response', boundTo: (row) => boundTo(String(row.key_hash), String(row.request_id), 'response') },
      { column: 'disclosure', boundTo: (row) => boundTo(String(row.key_hash), String(row.request_id), 'disclosure') },
    ],
    box,
  };
}

/**
 * Claims the key ($1) unless it is free only because an earlier record names it under the
 * principal alone ($4, a legacy key hash: see `legacyKeyHash`), which then answers instead.
 */
const CLAIM = `
  INSERT INTO idempotency_record AS r (key_hash, fingerprint, fingerprint_keyed, request_id, created_at, expires_at)
  SELECT $1, $2, true, $3, now(), now() + make_interval(hours => ${IDEMPOTENCY_WINDOW_HOURS})
  WHERE NOT EXISTS (SELECT 1 FROM idempotency_record l WHERE l.key_hash = $4 AND NOT l.fingerprint_keyed AND l.expires_at > now())
  ON CONFLICT (key_hash) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, fingerprint_keyed = true, request_id = EXCLUDED.request_id,
    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, status = NULL, response = NULL, disclosure = NULL
  WHERE r.expires_at <= now()
  RETURNING 1`;
/** The record holding the key: the caller's own, or a legacy one of its principal still in force (that one first). */
const FIND = `
  SELECT key_hash, fingerprint, fingerprint_keyed, request_id, status, response, disclosure FROM idempotency_record
  WHERE key_hash = $1 OR (key_hash = $2 AND NOT fingerprint_keyed AND expires_at > now())
  ORDER BY fingerprint_keyed LIMIT 1`;
const REMEMBER = `UPDATE idempotency_record SET status = $2, response = $3, disclosure = $4 WHERE key_hash = $1`;
const PURGE = `DELETE FROM idempotency_record WHERE expires_at <= now()`;

interface StoredRecord {
  key_hash: string;
  fingerprint: string;
  fingerprint_keyed: boolean;
  request_id: string;
  status: number | null;
  response: Buffer | null;
  disclosure: Buffer | null;
}

function refusal(status: number, message: string, code: ErrorCode = ErrorCode.BAD_USER_INPUT): GraphQLResponse {
  return {
    http: { status, headers: new HeaderMap() },
    body: { kind: 'single', singleResult: { errors: [{ message, extensions: { code } }] } },
  };
}

/** The key a header names, or undefined when it is not one. */
function idempotencyKeyOf(header: string): string | undefined {
  const key = header.length > 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  return KEY.test(key) ? key : undefined;
}

async function run(tx: RequestTransaction, sql: string, values: unknown[]): Promise<Array<Record<string, unknown>>> {
  recordSqlStatement(sql);
  return (await tx.query({ text: sql, values })).rows;
}

/** Claims `keyHash` for this request, or returns the record of the request that holds it. */
async function claim(tx: RequestTransaction, keyHash: string, legacyHash: string, fingerprint: string, requestId: string): Promise<StoredRecord | 'claimed'> {
  await tx.open();
  if ((await run(tx, CLAIM, [keyHash, fingerprint, requestId, legacyHash])).length === 1) return 'claimed';
  const [found] = (await run(tx, FIND, [keyHash, legacyHash])) as unknown as StoredRecord[];
  if (!found) throw new Error('idempotency: the record that held the key is gone');
  return found;
}

/** Stores the response of the request that claimed its key, in its transaction (just before the COMMIT). */
export async function rememberResponse(tx: RequestTransaction, claimed: IdempotencyClaim, status: number, body: string, disclosure: DisclosureSnapshot): Promise<void> {
  if (claimed.kind !== 'first') return;
  const { keyHash, requestId, box, view } = claimed;
  const kept: KeptDisclosure = { ...disclosure, view };
  await run(tx, REMEMBER, [
    keyHash,
    status,
    box.seal(body, boundTo(keyHash, requestId, 'response')),
    box.seal(JSON.stringify(kept), boundTo(keyHash, requestId, 'disclosure')),
  ]);
}

/**
 * The response of a committed record, its disclosure and the policy view that answered it, or
 * undefined when they do not open under `box` (the secret changed, or the bytes did). `view` is
 * undefined for a record kept before records named their view.
 */
export function openRecord(
  box: SecretBox,
  keyHash: string,
  requestId: string,
  sealed: { response: Buffer; disclosure: Buffer },
): { response: FormattedExecutionResult; disclosure: DisclosureSnapshot; view: string | undefined } | undefined {
  try {
    const response = JSON.parse(box.open(sealed.response, boundTo(keyHash, requestId, 'response'))) as FormattedExecutionResult;
    const { view, ...disclosure } = JSON.parse(box.open(sealed.disclosure, boundTo(keyHash, requestId, 'disclosure'))) as Partial<KeptDisclosure> & DisclosureSnapshot;
    return { response, disclosure, view };
  } catch {
    return undefined;
  }
}

/**
 * Refuses the request's Idempotency-Key in a write whose answer holds a secret (`what`: a webhook
 * signing secret, a one-time download link): such an answer is never kept, and a key would keep
 * it 24 hours, sealed or not. Called first, before the write looks its target up, so the refusal
 * is the same whatever the input names. A caller that lost the answer asks for a new secret.
 */
export function refuseIdempotencyKey(ctx: Pick<RequestContext, 'idempotency'>, what: 'a signing secret' | 'a one-time download link'): void {
  if (ctx.idempotency.claim) {
    throw badUserInput(`Idempotency-Key: not accepted by writes that answer ${what}, which is never kept; send it without one`);
  }
}

/** Deletes the records no longer replayed; returns how many. */
export async function purgeExpired(dataSource: DataSource): Promise<number> {
  const [, deleted] = (await dataSource.query(PURGE)) as [unknown, number];
  return deleted;
}

/**
 * The key hash of a record made before keys named the caller's view (its principal and key
 * only). Such records are found for the rest of their 24 hours and answered as they were made:
 * their fingerprint an unkeyed sha256 of the request, their view checked on replay.
 */
function legacyKeyHash(principal: string, key: string): string {
  return sha256Hex(canonicalJson([principal, key]));
}

/**
 * `box` seals responses at rest: `new SecretBox(privacySecret, RESPONSE_BOX_USE)`; `mac` makes the
 * requests' fingerprints: `new SecretMac(privacySecret, FINGERPRINT_MAC_USE)`.
 */
export function createIdempotencyPlugin(box: SecretBox, mac: SecretMac): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation(rc): Promise<GraphQLResponse | null> {
          if (rc.operation.operation !== 'mutation') return null;
          const header = rc.request.http?.headers.get(IDEMPOTENCY_KEY_HEADER);
          if (header === undefined) return null;
          const key = idempotencyKeyOf(header);
          if (key === undefined) return refusal(400, 'Idempotency-Key: expected 1 to 255 visible ASCII characters, e.g. a UUID');
          const ctx = rc.contextValue;
          const principal = principalKey(ctx.caller.principal);
          // The caller is its principal under its view (roles, purpose, grant): any other caller's key is another key.
          const keyHash = sha256Hex(canonicalJson([principal, ctx.policy.key, key]));
          const legacyHash = legacyKeyHash(principal, key);
          let request: string;
          try {
            request = canonicalJson({ query: rc.source, operationName: rc.request.operationName ?? null, variables: rc.request.variables ?? {}, purpose: ctx.caller.purpose });
          } catch {
            // JSON can spell a number no variable holds (1e999 parses as Infinity): it has no canonical form.
            return refusal(400, 'variables: a number out of range');
          }
          const found = await claim(ctx.transaction, keyHash, legacyHash, mac.fingerprint(request), ctx.requestId);
          if (found === 'claimed') {
            ctx.idempotency.claim = { kind: 'first', keyHash, requestId: ctx.requestId, box, view: ctx.policy.key };
            return null;
          }
          if (found.status === null || found.response === null || found.disclosure === null) {
            throw new Error('idempotency: a committed record without its response');
          }
          const sameRequest = found.fingerprint_keyed ? mac.matches(request, found.fingerprint) : sha256Hex(request) === found.fingerprint;
          const opened = openRecord(box, found.key_hash, found.request_id, { response: found.response, disclosure: found.disclosure });
          if (!opened) {
            // Not run again: the first request committed, and running it a second time is what the key prevents.
            // (A fingerprint made under a secret no longer configured matches nothing either: this is that record.)
            ctx.logger.warn({ keptRequestId: found.request_id }, 'idempotency: a kept response does not open (was it sealed under a privacy secret no longer configured, current or previous?); refused until it expires');
            return refusal(
              422,
              'Idempotency-Key: the first response to this key can no longer be replayed, and the request was not run again; check whether it took effect before sending it with a new key',
              ErrorCode.IDEMPOTENCY_KEY_REUSED,
            );
          }
          if (!sameRequest) {
            return refusal(422, 'Idempotency-Key: already used for a different request; send a new request with a new key', ErrorCode.IDEMPOTENCY_KEY_REUSED);
          }
          ctx.idempotency.claim = { kind: 'replay', requestId: found.request_id };
          // A write the caller's policy no longer grants (its role changed) is refused as the field rules would refuse it.
          const revoked = rootFieldsOf(rc.operation.selectionSet, fragmentsOf(rc.document)).filter((f) => ctx.policy.decide('Mutation', f.name.value) === 'denied');
          if (revoked.length > 0) {
            return {
              http: { status: 200, headers: new HeaderMap() },
              body: {
                kind: 'single',
                singleResult: {
                  data: null,
                  errors: revoked.map((f) => ({
                    message: deniedMessage(`Mutation.${f.name.value}`),
                    ...(f.loc ? { locations: [getLocation(f.loc.source, f.loc.start)] } : {}),
                    path: [(f.alias ?? f.name).value],
                    extensions: { code: ErrorCode.FORBIDDEN },
                  })),
                },
              },
            };
          }
          // What the first response showed was decided by the view that answered it: under another
          // (a role taken away, or added) it is not shown, and the request is not run again. Only a
          // legacy record, found by principal and key alone, can have been answered under another view.
          if (opened.view !== ctx.policy.key) {
            return refusal(
              422,
              "Idempotency-Key: the first response to this key was answered under other permissions than this request's (a role changed), and the request was not run again; check whether it took effect before sending it with a new key",
              ErrorCode.IDEMPOTENCY_KEY_REUSED,
            );
          }
          ctx.disclosures.replay(opened.disclosure);
          return {
            http: { status: found.status, headers: new HeaderMap([[REPLAYED_HEADER, 'true']]) },
            body: { kind: 'single', singleResult: opened.response },
          };
        },
      };
    },
  };
}
