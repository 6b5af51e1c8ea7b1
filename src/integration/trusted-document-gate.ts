/**
 * Trusted documents at request time: a request of an audience under trusted documents runs a
 * registered operation named by its id, and — when they are required — nothing else.
 *
 * A request names a registered document (trusted-documents.ts) in either of two ways:
 * - `documentId: "sha256:<hex>"`, as the GraphQL-over-HTTP persisted-documents appendix has it
 *   (a POST body's property, or a GET parameter);
 * - Apollo's `extensions.persistedQuery.sha256Hash: "<hex>"` (its persisted-query link).
 * The registered text then stands in for `query`, before anything parses it, so the request runs
 * exactly as if the text had been sent: same executor choice, validation against the contract,
 * limits, rate limits, idempotency and audit. A request that sends its text as well must send
 * the text of that id.
 *
 * Per audience (principal kind) the mode is one of:
 * - `off`: registered documents are not consulted (a `documentId` is not understood);
 * - `optional`: a registered id runs; an Apollo hash that is not registered falls back to
 *   Apollo's automatic persisted queries, and text runs as always;
 * - `required`: only a registered id runs. Text without an id is refused with
 *   TRUSTED_DOCUMENT_REQUIRED (403) before it is parsed; an id not registered for the audience, or
 *   revoked, with TRUSTED_DOCUMENT_NOT_FOUND (404) — not PERSISTED_QUERY_NOT_FOUND, which would
 *   make Apollo's link send the text it may not run.
 * A refusal is the transport's to answer and audit (http/http-transport.ts), with the id the
 * request named in the audit event's detail.
 *
 * Look-ups are remembered for `cacheTtlMs` (5 s by default), found or not: a revocation takes
 * effect within that time on every replica.
 */
import { GraphQLError } from 'graphql';
import type { DataSource } from 'typeorm';
import { BoundedCache } from '../platform/bounded-cache';
import type { TrustedDocumentMode } from '../platform/config';
import { ErrorCode } from '../platform/errors';
import { PRINCIPAL_KINDS, type PrincipalKind } from '../policy/vocabulary';
import { documentIdOf, sha256Of } from './trusted-documents';

export { TRUSTED_DOCUMENT_MODES, type TrustedDocumentMode } from '../platform/config';

export interface TrustedDocumentSettings {
  mode: TrustedDocumentMode;
  /** The principal kinds the mode applies to (checked at start-up); every other kind is `off`. */
  audiences: readonly string[];
  /** How long a look-up is remembered; 5000 unless told (0: never, for tests of revocation). */
  cacheTtlMs?: number;
}

export const TRUSTED_DOCUMENTS_OFF: TrustedDocumentSettings = { mode: 'off', audiences: [] };

/** The fields of a GraphQL request the gate reads (POST body or GET parameters). */
export interface TrustedRequestFields {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

export type GateOutcome<F> =
  /** The request to run: `fields` with the registered text as `query` when an id named it (`trusted`). */
  | { fields: F; trusted?: string }
  /** Why it may not run; `documentId` the id it named, if any (for the audit event). */
  | { refusal: GraphQLError; documentId?: string };

const DEFAULT_CACHE_TTL_MS = 5000;
const CACHE_SIZE = 2000;

function refusal(code: string, message: string, documentId?: string): { refusal: GraphQLError; documentId?: string } {
  return { refusal: new GraphQLError(message, { extensions: { code } }), ...(documentId ? { documentId } : {}) };
}

type NamedId = { hex: string; style: 'documentId' | 'apq' } | { malformed: string } | undefined;

function idOf(fields: TrustedRequestFields): NamedId {
  if (fields.documentId !== undefined) {
    const id = fields.documentId;
    if (typeof id === 'string' && /^sha256:[0-9a-f]{64}$/.test(id)) return { hex: id.slice('sha256:'.length), style: 'documentId' };
    return { malformed: `documentId: expected sha256:<64 lower-case hex digits>, got ${JSON.stringify(id)?.slice(0, 80)}` };
  }
  const hash = (fields.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  if (typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) return { hex: hash, style: 'apq' };
  return undefined;
}

export class TrustedDocumentGate {
  private readonly cache = new BoundedCache<{ body: string | null; until: number }>(CACHE_SIZE);
  private readonly ttlMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: TrustedDocumentSettings,
  ) {
    this.ttlMs = settings.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    const unknown = settings.audiences.filter((kind) => !(PRINCIPAL_KINDS as readonly string[]).includes(kind));
    if (unknown.length > 0) throw new Error(`TRUSTED_DOCUMENTS_FOR: expected principal kinds (${PRINCIPAL_KINDS.join(', ')}), got ${unknown.join(', ')}`);
  }

  modeFor(kind: PrincipalKind): TrustedDocumentMode {
    return (this.settings.audiences as readonly string[]).includes(kind) ? this.settings.mode : 'off';
  }

  /** The request a caller of `kind` runs, or why it may not run. */
  async admit<F extends TrustedRequestFields>(kind: PrincipalKind, fields: F | undefined): Promise<GateOutcome<F | undefined>> {
    const mode = this.modeFor(kind);
    if (mode === 'off') return { fields };
    const named = fields && typeof fields === 'object' ? idOf(fields) : undefined;
    if (named && 'malformed' in named) return refusal(ErrorCode.BAD_REQUEST, named.malformed);
    if (!named) {
      if (mode === 'optional') return { fields };
      return refusal(
        ErrorCode.TRUSTED_DOCUMENT_REQUIRED,
        `This token runs trusted documents only: send the documentId (sha256:<hex>) of an operation registered for ${kind}, not its text`,
      );
    }
    const body = await this.lookUp(kind, named.hex);
    if (body === null) {
      // Apollo's automatic persisted queries, where trusted documents are optional.
      if (named.style === 'apq' && mode === 'optional') return { fields };
      return refusal(
        ErrorCode.TRUSTED_DOCUMENT_NOT_FOUND,
        `No trusted document ${documentIdOf(named.hex)} is registered for ${kind}: register the operation, or send the id its registration printed`,
        documentIdOf(named.hex),
      );
    }
    if (typeof fields!.query === 'string' && sha256Of(fields!.query) !== named.hex) {
      return refusal(ErrorCode.BAD_REQUEST, `The query sent is not the document ${documentIdOf(named.hex)}: send the id alone`, documentIdOf(named.hex));
    }
    const { documentId: _documentId, ...rest } = fields!;
    return { fields: { ...rest, query: body } as unknown as F, trusted: documentIdOf(named.hex) };
  }

  private async lookUp(audience: string, hex: string): Promise<string | null> {
    const key = `${audience}:${hex}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.body;
    const rows: Array<{ body: string }> = await this.dataSource.query(
      `SELECT body FROM trusted_document WHERE audience = $1 AND sha256 = $2 AND revoked_at IS NULL`,
      [audience, hex],
    );
    const body = rows[0]?.body ?? null;
    if (this.ttlMs > 0) this.cache.set(key, { body, until: now + this.ttlMs });
    return body;
  }
}
