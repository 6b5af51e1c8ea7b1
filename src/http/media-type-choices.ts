/**
 * `negotiator`'s media type lists, remembered per Accept value and offered list.
 *
 * Apollo Server negotiates the Accept header with `negotiator` on every operation it executes, to
 * tell its executor whether the client wants the legacy incremental delivery format
 * (requestPipeline's `useLegacyIncremental`), and again in runHttpQuery when no hook chose the
 * answer's content type. Each call parses the header afresh: about 45 k instructions a request,
 * more than the gateway spends routing it. The answer depends only on the header's text and the
 * media types offered, and clients send the same few Accept values again and again, so the list
 * `Negotiator.prototype.mediaTypes` answers is kept per pair (a copy handed out each time, so a
 * caller that changes it changes nothing kept). Anything else — no list offered, a long header, a
 * long list — is negotiated as before. The prototype is negotiator's own, shared by Apollo and
 * response-content-type.ts (one copy in node_modules; test/platform/media-type-choices.test.ts
 * checks Apollo resolves the same module).
 */
import Negotiator from 'negotiator';
import { BoundedCache } from '../platform/bounded-cache';

/** Pairs remembered; keys are what clients send, bounded by count and by length. */
const CHOICES = 200;
/** A longer Accept value, or a longer list of offered types, is negotiated every time. */
const LONGEST_KEPT = 256;
const MOST_OFFERED = 8;

type MediaTypes = (this: Negotiator, available?: string[]) => string[];

const REMEMBERED = Symbol.for('need-to-know.mediaTypeChoices');

/** The key of an Accept value (undefined: no header) and an offered list; each part is length-prefixed. */
function keyOf(accept: string | undefined, available: readonly string[]): string | undefined {
  if (accept !== undefined && (typeof accept !== 'string' || accept.length > LONGEST_KEPT)) return undefined;
  if (available.length > MOST_OFFERED) return undefined;
  let key = accept === undefined ? '-' : `${accept.length}:${accept}`;
  for (const type of available) {
    if (typeof type !== 'string' || type.length > LONGEST_KEPT) return undefined;
    key += `${type.length}:${type}`;
  }
  return key;
}

/** Makes negotiator's `mediaTypes` remember its answers (see the header); once per process, idempotent. */
export function rememberMediaTypeChoices(): void {
  const prototype = Negotiator.prototype as unknown as Record<string | symbol, unknown> & { mediaTypes: MediaTypes };
  if (prototype[REMEMBERED]) return;
  const negotiate = prototype.mediaTypes;
  const chosen = new BoundedCache<readonly string[]>(CHOICES);
  prototype.mediaTypes = function mediaTypes(this: Negotiator, available?: string[]): string[] {
    const accept = (this as unknown as { request: { headers: { accept?: string } } }).request.headers.accept;
    const key = Array.isArray(available) ? keyOf(accept, available) : undefined;
    if (key === undefined) return negotiate.call(this, available);
    return chosen.getOrCompute(key, () => negotiate.call(this, available)).slice();
  };
  prototype[REMEMBERED] = negotiate;
}
