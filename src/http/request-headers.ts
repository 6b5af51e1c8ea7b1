/**
 * The request headers the gateway reads as one value each, read as the client sent them.
 *
 * Node hands a header sent twice over as one value: most joined ("CASE-1, CASE-2"), a few
 * (Authorization, Content-Type, Host) as the first alone. Either way the gateway would act on
 * something the client did not send — a legal case reference of two cases, the first of two
 * tokens — so a request naming one of these headers more than once is refused before anything
 * of it is read (`duplicatedHeader`, from the raw header lines). Headers that are lists by
 * definition (Accept, If-None-Match, X-Forwarded-For) may come as often as a client likes.
 *
 * A body's `charset`, when Content-Type names one, must be UTF-8: JSON is UTF-8 (RFC 8259) and
 * the body is decoded as such, so a body declared in another charset would be read as something
 * else than was meant (`charsetRefusal`).
 */

/** Each header read as one value, by its lower-case name, with the name messages give it. */
const SINGLE_VALUED: ReadonlyMap<string, string> = new Map(
  [
    'Authorization',
    'X-Purpose',
    'X-Legal-Case',
    'X-Privacy-Request',
    'Idempotency-Key',
    'Content-Type',
    'Content-Length',
    'Host',
    'Origin',
    'X-Case-Id',
    'X-Attachment-Kind',
  ].map((name) => [name.toLowerCase(), name]),
);

/** The headers the gateway reads as one value each (their names as messages give them). */
export const SINGLE_VALUED_HEADERS: readonly string[] = [...SINGLE_VALUED.values()];

/** The first single-valued header the request names more than once, and how often; undefined when none. */
export function duplicatedHeader(rawHeaders: readonly string[]): { name: string; times: number } | undefined {
  let seen: Map<string, number> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLE_VALUED.has(name)) continue;
    seen ??= new Map();
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  if (!seen) return undefined;
  for (const [name, times] of seen) if (times > 1) return { name: SINGLE_VALUED.get(name)!, times };
  return undefined;
}

/** The message refusing a header sent `times` times. */
export function duplicatedHeaderMessage({ name, times }: { name: string; times: number }): string {
  return `${name}: expected the header once, got it ${times} times`;
}

/**
 * Why a request body declared by `contentType` cannot be read as UTF-8, or undefined when it can:
 * no charset, or exactly one `charset=utf-8` (any case, quoted or not). A charset named twice, or
 * without a value, is refused too: which one the client meant is not for the gateway to guess.
 */
export function charsetRefusal(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const charsets = contentType
    .split(';')
    .slice(1)
    .map((parameter) => parameter.trim())
    .filter((parameter) => /^charset(?:\s*=|$)/i.test(parameter));
  if (charsets.length === 0) return undefined;
  if (charsets.length > 1) return `Content-Type: expected one charset, got ${charsets.length}`;
  const value = charsets[0]!.slice(charsets[0]!.indexOf('=') + 1).trim().replace(/^"(.*)"$/, '$1');
  if (charsets[0]!.includes('=') && value.toLowerCase() === 'utf-8') return undefined;
  return `Content-Type: the body must be UTF-8 (charset=utf-8 or none), got charset ${JSON.stringify(value.slice(0, 40))}`;
}
