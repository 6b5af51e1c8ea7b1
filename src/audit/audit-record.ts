/**
 * An audit event as it is hashed and stored, and the hashes of events and seals.
 *
 * `toAuditRecord` checks and normalizes an event once (sorted, de-duplicated lists; lowercase
 * ids; millisecond timestamps; JSON-clean detail) so that the row read back from PostgreSQL
 * hashes to exactly what the writer hashed. The writer and `audit verify` both hash through
 * `eventHash` and `sealHash`; nothing else may.
 */
import { v7 as timeOrderedUuid } from 'uuid';
import { BoundedCache } from '../platform/bounded-cache';
import { isoTime } from '../platform/iso-time';
import { AuditOperationType, AuditOutcome } from './audit-event.entity';
import { canonicalJson } from '../platform/canonical-json';
import { leafHash, sha256Hex } from './merkle';

/** Who acted: a GraphQL principal, or `system` for jobs. */
export interface AuditPrincipal {
  kind: string;
  /** Token subject, or the job's name. */
  id: string;
  roles?: readonly string[];
  partnerId?: string | null;
  customerId?: string | null;
  grantId?: string | null;
}

/** What a writer hands to `AuditLog.append`. */
export interface AuditEventInput {
  requestId: string;
  /** Default: now. */
  at?: Date;
  principal: AuditPrincipal;
  purpose: string | null;
  operationType: AuditOperationType | null;
  operationName?: string | null;
  operationHash?: string | null;
  subjectIds?: readonly string[];
  disclosed?: readonly string[];
  masked?: readonly string[];
  denied?: readonly string[];
  outcome: AuditOutcome;
  errorCodes?: readonly string[];
  legalCaseReference?: string | null;
  /** The privacy request a data_subject_request read serves (X-Privacy-Request). */
  privacyRequestReference?: string | null;
  /** A read compliance reviews first: one that serves a legal case or a privacy request. A reference always flags. */
  flagged?: boolean;
  /** The W3C trace id of the request's trace (32 lowercase hex digits), when tracing is on. */
  traceId?: string | null;
  /** Non-personal facts, at most 8 KiB of JSON: a job's counts, the request an idempotent replay repeats. */
  detail?: Record<string, unknown> | null;
}

/** The stored, hashed content of one event (every audit_event column but seal_id and hash). */
export interface AuditRecordContent {
  id: string;
  at: Date;
  requestId: string;
  principalKind: string;
  principalId: string;
  roles: string[];
  partnerId: string | null;
  customerId: string | null;
  grantId: string | null;
  purpose: string | null;
  operationType: AuditOperationType | null;
  operationName: string | null;
  operationHash: string | null;
  subjectIds: string[];
  disclosed: string[];
  masked: string[];
  denied: string[];
  outcome: AuditOutcome;
  errorCodes: string[];
  legalCaseReference: string | null;
  privacyRequestReference: string | null;
  flagged: boolean;
  detail: Record<string, unknown> | null;
  traceId: string | null;
}

export interface AuditRecord extends AuditRecordContent {
  /** The Merkle leaf of this event: sha256(0x00 || canonical JSON of the content). */
  hash: string;
  /**
   * Where the subjects are stored: `subjectSetHash(subjectIds)` when there are two or more; null
   * when there are none, or one, which the row holds itself (`subject_id`, migration 1795000012000).
   */
  subjectSet: string | null;
  /** Where the coordinate lists are stored: `coordinateSetHash` of disclosed, masked and denied (empty ones too). */
  coordinateSet: string;
}

const json = JSON.stringify;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WORD = /^[a-z][a-z0-9_]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const MAX_DETAIL_BYTES = 8 * 1024;
const OUTCOMES = new Set<string>(Object.values(AuditOutcome));
const OPERATION_TYPES = new Set<string>(Object.values(AuditOperationType));

export class AuditEventError extends Error {
  override name = 'AuditEventError';
}

function fail(field: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? JSON.stringify(got.length > 60 ? `${got.slice(0, 60)}…` : got) : String(got);
  throw new AuditEventError(`audit event ${field}: expected ${expected}, got ${shown}`);
}

function text(field: string, value: unknown, max: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || (pattern && !pattern.test(value))) {
    fail(field, `a string of 1 to ${max} characters${pattern ? ` matching ${pattern}` : ''}`, value);
  }
  return value;
}

function optionalText(field: string, value: unknown, max: number, pattern?: RegExp): string | null {
  return value === undefined || value === null ? null : text(field, value, max, pattern);
}

function uuid(field: string, value: unknown): string {
  const lower = typeof value === 'string' ? value.toLowerCase() : value;
  if (typeof lower !== 'string' || !UUID.test(lower)) fail(field, 'a UUID', value);
  return lower;
}

function optionalUuid(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : uuid(field, value);
}

/** Sorted, without duplicates: a set, written the same way every time. */
function set(field: string, values: readonly unknown[] | undefined, each: (field: string, value: unknown) => string): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) fail(field, 'an array', values);
  return [...new Set(values.map((v, i) => each(`${field}[${i}]`, v)))].sort();
}

function detailOf(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) fail('detail', 'a JSON object', value);
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json) > MAX_DETAIL_BYTES) fail('detail', `at most ${MAX_DETAIL_BYTES} bytes of JSON`, `${Buffer.byteLength(json)} bytes`);
  return JSON.parse(json) as Record<string, unknown>;
}

const principalIdOf = (v: unknown) => text('principal.id', v, 200);
// A GraphQL operation name is the caller's to choose: keep a bounded prefix rather than refuse.
const operationNameOf = (v: unknown) => (typeof v === 'string' && v !== '' ? v.slice(0, 200) : null);
const operationHashOf = (v: unknown) => optionalText('operationHash', v, 64, SHA256_HEX);
const role = (f: string, v: unknown) => text(f, v, 40, WORD);
const coordinate = (f: string, v: unknown) => text(f, v, 200);
const errorCode = (f: string, v: unknown) => text(f, typeof v === 'string' ? v.slice(0, 40) : v, 40);

/** Checks and normalizes an event and gives it an id and its hash. Throws AuditEventError. */
export function toAuditRecord(input: AuditEventInput, checked?: CheckedLists): AuditRecord {
  const at = input.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) fail('at', 'a valid Date', at);
  if (!OUTCOMES.has(input.outcome)) fail('outcome', [...OUTCOMES].join(' | '), input.outcome);
  if (input.operationType !== null && !OPERATION_TYPES.has(input.operationType)) fail('operationType', `null or ${[...OPERATION_TYPES].join(' | ')}`, input.operationType);
  const purpose = optionalText('purpose', input.purpose, 40, WORD);
  const subjects = subjectsOf(input.subjectIds, checked);
  const roles = listOf('principal.roles', input.principal?.roles, role, checked);
  const disclosed = listOf('disclosed', input.disclosed, coordinate, checked);
  const masked = listOf('masked', input.masked, coordinate, checked);
  const denied = listOf('denied', input.denied, coordinate, checked);
  const errorCodes = listOf('errorCodes', input.errorCodes, errorCode, checked);
  const principalId = repeated('principal.id', input.principal?.id, checked, principalIdOf);
  const operationName = repeated('operationName', input.operationName, checked, operationNameOf);
  const operationHash = repeated('operationHash', input.operationHash, checked, operationHashOf);
  const record: AuditRecord = {
    // Time-ordered (UUIDv7): new events land at the right edge of the primary key's btree
    // instead of on random pages, which after each checkpoint cost a full-page WAL image apiece.
    id: timeOrderedUuid(),
    at: new Date(at.getTime()),
    requestId: text('requestId', input.requestId, 64),
    principalKind: text('principal.kind', input.principal?.kind, 32, WORD),
    principalId: principalId.value!,
    roles: copyOf(roles),
    partnerId: optionalUuid('principal.partnerId', input.principal.partnerId),
    customerId: optionalUuid('principal.customerId', input.principal.customerId),
    grantId: optionalUuid('principal.grantId', input.principal.grantId),
    purpose,
    operationType: input.operationType,
    operationName: operationName.value,
    operationHash: operationHash.value,
    subjectIds: copyOf(subjects),
    disclosed: copyOf(disclosed),
    masked: copyOf(masked),
    denied: copyOf(denied),
    outcome: input.outcome,
    errorCodes: copyOf(errorCodes),
    legalCaseReference: optionalText('legalCaseReference', input.legalCaseReference, 100),
    privacyRequestReference: optionalText('privacyRequestReference', input.privacyRequestReference, 100),
    flagged: input.flagged === true || (input.legalCaseReference ?? null) !== null || (input.privacyRequestReference ?? null) !== null,
    detail: detailOf(input.detail),
    traceId: optionalText('traceId', input.traceId, 32, TRACE_ID),
    hash: '',
    subjectSet: subjects.set,
    coordinateSet: coordinateSetOf(disclosed, masked, denied, checked),
  };
  // The lists' canonical JSON was written when they were checked, the free text once here: the hash and the row reuse them.
  const written: WrittenParts = {
    at: isoTime(record.at),
    roles: roles.json,
    subjectIds: subjects.json,
    disclosed: disclosed.json,
    masked: masked.json,
    denied: denied.json,
    errorCodes: errorCodes.json,
    requestId: json(record.requestId),
    principalId: principalId.json,
    operationName: operationName.json,
    legalCaseReference: nullableJson(record.legalCaseReference),
  };
  record.hash = leafHash(checkedEventJson(record, written));
  rowHeads.set(record, rowHeadOf(record, written));
  return record;
}

/** What toAuditRecord wrote once and the hash and the row both use: the ISO time, the lists' canonical JSON and the free text's JSON. */
interface WrittenParts {
  at: string;
  roles: string;
  subjectIds: string;
  disclosed: string;
  masked: string;
  denied: string;
  errorCodes: string;
  requestId: string;
  principalId: string;
  operationName: string;
  legalCaseReference: string;
}

/**
 * The row JSON of a record toAuditRecord made, but for its seal (rowJsonOf): written while the
 * request's event is made, from the parts its hash used, so the batch writer only appends the seal.
 * Kept beside the record rather than in it: a record is handed to its appender and compared whole.
 */
const rowHeads = new WeakMap<AuditRecord, string>();

/** A checked value that JSON writes as itself in quotes (a UUID, a word, hex digits, an ISO time), or null. */
const quoted = (value: string | null) => (value === null ? 'null' : `"${value}"`);
/** JSON.stringify of free text that is mostly absent: null without the call. */
const nullableJson = (value: string | null) => (value === null ? 'null' : json(value));

/**
 * `canonicalEventJson` of a record toAuditRecord has just checked, written as one template: every
 * value whose check leaves nothing to escape (UUIDs, words, hex, the ISO time, enum values) is
 * quoted as it is, the rest goes through JSON.stringify. The same bytes as canonicalJson of the
 * content (test/audit/hashing.test.ts compares them over varied and hostile events).
 */
function checkedEventJson(r: AuditRecord, w: WrittenParts): string {
  return (
    `{"at":"${w.at}","customerId":${quoted(r.customerId)},"denied":${w.denied},"detail":${r.detail === null ? 'null' : canonicalJson(r.detail)},` +
    `"disclosed":${w.disclosed},"errorCodes":${w.errorCodes},"flagged":${r.flagged},"grantId":${quoted(r.grantId)},"id":"${r.id}",` +
    `"legalCaseReference":${w.legalCaseReference},"masked":${w.masked},"operationHash":${quoted(r.operationHash)},` +
    `"operationName":${w.operationName},"operationType":${quoted(r.operationType)},"outcome":"${r.outcome}",` +
    `"partnerId":${quoted(r.partnerId)},"principalId":${w.principalId},"principalKind":"${r.principalKind}",` +
    `${r.privacyRequestReference === null ? '' : `"privacyRequestReference":${json(r.privacyRequestReference)},`}` +
    `"purpose":${quoted(r.purpose)},"requestId":${w.requestId},"roles":${w.roles},"subjectIds":${w.subjectIds}` +
    `${r.traceId === null ? '' : `,"traceId":"${r.traceId}"`}}`
  );
}

/** A list checked and normalized (sorted, without duplicates), with its canonical JSON; for subjects, their set's key. */
interface CheckedList {
  items: readonly string[];
  json: string;
  set: string | null;
}

const EMPTY_LIST: CheckedList = Object.freeze({ items: Object.freeze([]), json: '[]', set: null });

/** A text field as checked (or bounded), and its JSON. */
interface CheckedText {
  input: unknown;
  value: string | null;
  json: string;
}

/**
 * A text field checked by `check` (which throws when it fails), and its JSON: answered from the
 * last value the field was given when it is the same (a caller repeats its id, every request of
 * an operation its name and hash), without checking or writing it again. The check depends on
 * the value alone, so the answer is the same; a value that failed is never kept.
 */
function repeated(field: string, input: unknown, checked: CheckedLists | undefined, check: (value: unknown) => string | null): CheckedText {
  const last = checked?.lastTexts.get(field);
  if (last !== undefined && last.input === input) return last;
  const value = check(input);
  const kept: CheckedText = { input, value, json: nullableJson(value) };
  checked?.lastTexts.set(field, kept);
  return kept;
}

/** The record's own copy of a checked list. */
const copyOf = (list: CheckedList): string[] => (list.items.length === 0 ? [] : list.items.slice());

/**
 * Lists already checked, sorted, written as canonical JSON and (subjects) hashed, by their exact
 * input: the requests that repeat a list — a partner polling its manifest repeats its 50
 * subjects, every request of a shape its coordinates, a caller its roles — skip the checks, the
 * sort, the JSON and the set hash. Only lists that passed the checks are kept, and each record
 * gets copies of the items, never the kept list. Each audit log writer keeps its own (AuditLog);
 * without one, every list is checked.
 */
export class CheckedLists {
  /** By `subjectListKey` of the ids as given, with those ids: a list is taken only when it repeats them item for item. */
  readonly subjects: BoundedCache<KeptSubjects>;
  /** By field and the JSON of the list as given (string lists only). */
  readonly strings: BoundedCache<CheckedList>;
  /** Coordinate set keys by the canonical JSON of the three lists. */
  readonly coordinateSets: BoundedCache<string>;
  /**
   * The last string list each field was given, item by item, and what it checked as: a caller
   * repeating its shape (the same coordinates, the same roles) is answered by comparing items,
   * before the list is written out as a key and looked up (~20 k instructions a point read).
   */
  readonly lastStrings = new Map<string, { input: readonly string[]; list: CheckedList }>();
  /** The last value of each text field `repeated` checks, as checked, with its JSON. */
  readonly lastTexts = new Map<string, CheckedText>();
  /** The last three coordinate lists (as checked, by identity) and their set's key. */
  lastCoordinateSet: { disclosed: CheckedList; masked: CheckedList; denied: CheckedList; key: string } | undefined;
  constructor(size = 500) {
    this.subjects = new BoundedCache(size);
    this.strings = new BoundedCache(size);
    this.coordinateSets = new BoundedCache(size);
  }
}

/** A subject list as it was given, and what checking it gave. */
interface KeptSubjects {
  given: readonly string[];
  list: CheckedList;
}

/**
 * Where a subject list of two or more is kept: its length and its first and last items. Short,
 * where the whole list joined (3.7 kB for a page of 100) would be built and hashed per request;
 * lists that share it are told apart by their items (`sameItems`), the later one kept.
 */
function subjectListKey(values: readonly unknown[]): string | undefined {
  const first = values[0];
  const last = values[values.length - 1];
  return typeof first === 'string' && typeof last === 'string' ? `${values.length}\u0000${first}\u0000${last}` : undefined;
}

function sameItems(kept: readonly string[], values: readonly unknown[]): boolean {
  if (kept.length !== values.length) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== values[i]) return false;
  return true;
}

function checkedList(items: readonly string[], set: string | null): CheckedList {
  // The items are not frozen (a frozen array is copied element by element, several times slower):
  // the kept list is never handed out, every record gets a copy (copyOf).
  return Object.freeze({ items, json: JSON.stringify(items), set });
}

function listOf(field: string, values: readonly unknown[] | undefined, each: (field: string, value: unknown) => string, checked: CheckedLists | undefined): CheckedList {
  if (values === undefined || (Array.isArray(values) && values.length === 0)) return EMPTY_LIST;
  const last = checked?.lastStrings.get(field);
  if (last !== undefined && Array.isArray(values) && sameItems(last.input, values)) return last.list;
  const key = checked && Array.isArray(values) && values.every((v) => typeof v === 'string') ? `${field}:${JSON.stringify(values)}` : undefined;
  if (key === undefined) return checkedList(set(field, values, each), null);
  let list = checked!.strings.get(key);
  if (!list) {
    list = checkedList(set(field, values, each), null);
    checked!.strings.set(key, list);
  }
  // A copy: the caller's array may change after this.
  checked!.lastStrings.set(field, { input: (values as string[]).slice(), list });
  return list;
}

function subjectsOf(values: readonly unknown[] | undefined, checked: CheckedLists | undefined): CheckedList {
  if (values === undefined || (Array.isArray(values) && values.length === 0)) return EMPTY_LIST;
  // One subject (a point read: mostly a customer not seen before) is checked directly and not
  // kept, so that such events do not push the recurring sets out of the cache; it names no set,
  // the row holds it (`subject_id`).
  if (Array.isArray(values) && values.length === 1) {
    const id = uuid('subjectIds[0]', values[0]);
    return { items: [id], json: `["${id}"]`, set: null };
  }
  const key = checked && Array.isArray(values) ? subjectListKey(values) : undefined;
  const kept = key === undefined ? undefined : checked!.subjects.get(key);
  if (kept && sameItems(kept.given, values!)) return kept.list;
  const ids = set('subjectIds', values, uuid);
  // The same id twice is one subject: held in the row too.
  const list = checkedList(ids, ids.length === 1 ? null : subjectSetHash(ids));
  // Only a list that passed is kept (set() throws otherwise): its items are all strings.
  if (key !== undefined) checked!.subjects.set(key, { given: (values as string[]).slice(), list });
  return list;
}

function coordinateSetOf(disclosed: CheckedList, masked: CheckedList, denied: CheckedList, checked: CheckedLists | undefined): string {
  const last = checked?.lastCoordinateSet;
  if (last !== undefined && last.disclosed === disclosed && last.masked === masked && last.denied === denied) return last.key;
  // The same bytes as canonicalJson({ denied, disclosed, masked }): keys in code-unit order.
  const json = `{"denied":${denied.json},"disclosed":${disclosed.json},"masked":${masked.json}}`;
  let key = checked?.coordinateSets.get(json);
  if (key === undefined) {
    key = sha256Hex(json);
    checked?.coordinateSets.set(json, key);
  }
  if (checked) checked.lastCoordinateSet = { disclosed, masked, denied, key };
  return key;
}

/**
 * The key of an event's coordinate lists in audit_coordinate_set: sha256 (hex) of the canonical
 * JSON of `{ denied, disclosed, masked }`, each sorted. As with subject sets, the events that
 * repeat the lists (every request of one shape) share one row, and each event's own hash still
 * covers the lists, so a set that is changed or swapped breaks the hash of every event naming it.
 */
export function coordinateSetHash(lists: { disclosed: readonly string[]; masked: readonly string[]; denied: readonly string[] }): string {
  return sha256Hex(canonicalJson({ denied: lists.denied, disclosed: lists.disclosed, masked: lists.masked }));
}

/**
 * The key of a set of subjects in audit_subject_set: sha256 (hex) of the canonical JSON of the
 * sorted ids. The events that repeat a set (a partner polling its manifest) share one row; each
 * event's own hash still covers the ids themselves, so a set that is changed or swapped breaks
 * the hash of every event that names it. Migration 1795000000006 computes the same key in SQL.
 */
export function subjectSetHash(sortedSubjectIds: readonly string[]): string {
  return sha256Hex(canonicalJson(sortedSubjectIds));
}

/**
 * The Merkle leaf of an event's content. A field added after events were written is hashed only
 * when it is set (canonical JSON leaves out undefined), so every older event keeps its hash:
 * `privacyRequestReference` (migration 1795000001501), `traceId` (migration 1795000008001).
 * For any content (verify hashes rows read back); toAuditRecord, whose values it has checked,
 * writes the same bytes by `checkedEventJson`.
 */
export function eventHash(content: AuditRecordContent): string {
  return leafHash(canonicalEventJson(content));
}

/** The fields an event's hash covers: every content field, in canonical JSON's key order. */
const HASHED_FIELDS: ReadonlyArray<keyof AuditRecordContent> = (
  [
    'id', 'at', 'requestId', 'principalKind', 'principalId', 'roles', 'partnerId', 'customerId', 'grantId', 'purpose', 'operationType', 'operationName',
    'operationHash', 'subjectIds', 'disclosed', 'masked', 'denied', 'outcome', 'errorCodes', 'legalCaseReference', 'privacyRequestReference', 'flagged',
    'detail', 'traceId',
  ] as const
).slice().sort();

/** Fields added after events were written: left out when null, so that older events keep their hash. */
const LEFT_OUT_WHEN_NULL = new Set<keyof AuditRecordContent>(['privacyRequestReference', 'traceId']);

/**
 * The canonical JSON of an event's hashed content, written field by field in a fixed order
 * instead of sorting keys per event: the same bytes as `canonicalJson` of the object with those
 * fields (test/audit/hashing.test.ts compares them).
 */
function canonicalEventJson(content: AuditRecordContent): string {
  const members: string[] = [];
  for (const field of HASHED_FIELDS) {
    const value = content[field];
    if (value === undefined || (value === null && LEFT_OUT_WHEN_NULL.has(field))) continue;
    members.push(`"${field}":${canonicalJson(value)}`);
  }
  return `{${members.join(',')}}`;
}

export interface SealContent {
  /** Decimal string of the bigint id. */
  id: string;
  sealedAt: Date;
  eventCount: number;
  eventIds: string[];
  merkleRoot: string;
  previousHash: string;
}

/** canonicalJson of a seal's time: a valid Date is written as its ISO time in quotes (nothing in it to escape), anything else as canonicalJson answers. */
function sealedAtJson(sealedAt: Date): string {
  return sealedAt instanceof Date && !Number.isNaN(sealedAt.getTime()) ? `"${isoTime(sealedAt)}"` : canonicalJson(sealedAt);
}

/** sha256 of the canonical JSON of the seal's six fields, written in canonical JSON's key order (the same bytes; hashing.test.ts compares them). */
export function sealHash(seal: SealContent): string {
  return sha256Hex(
    `{"eventCount":${canonicalJson(seal.eventCount)},"eventIds":${canonicalJson(seal.eventIds)},"id":${canonicalJson(seal.id)},` +
      `"merkleRoot":${canonicalJson(seal.merkleRoot)},"previousHash":${canonicalJson(seal.previousHash)},"sealedAt":${sealedAtJson(seal.sealedAt)}}`,
  );
}

/**
 * An audit_event row as node-postgres returns it (snake_case columns), with `subject_ids` read
 * from its subject set and the coordinate lists from its coordinate set (`EVENT_SETS`): null
 * when the row names a set that is missing (and, for the lists, when it holds lists of its own
 * as well as naming a set).
 */
export interface AuditEventRow {
  id: string;
  at: Date;
  request_id: string;
  principal_kind: string;
  principal_id: string;
  roles: string[];
  partner_id: string | null;
  customer_id: string | null;
  grant_id: string | null;
  purpose: string | null;
  operation_type: string | null;
  operation_name: string | null;
  operation_hash: string | null;
  subject_set: string | null;
  /** The one subject an event written after migration 1795000012000 holds in its row. */
  subject_id?: string | null;
  subject_ids: string[] | null;
  coordinate_set: string | null;
  disclosed: string[] | null;
  masked: string[] | null;
  denied: string[] | null;
  outcome: string;
  error_codes: string[];
  legal_case_reference: string | null;
  privacy_request_reference: string | null;
  trace_id: string | null;
  flagged: boolean;
  detail: Record<string, unknown> | null;
  seal_id: string;
  hash: string;
}

/** An event's subject ids over alias `e`, with `s` its subject set joined (`EVENT_SETS_JOIN`). */
const EVENT_SUBJECTS = `CASE WHEN e.subject_id IS NULL THEN (CASE WHEN e.subject_set IS NULL THEN '{}'::uuid[] ELSE s.subject_ids END) WHEN e.subject_set IS NULL THEN ARRAY[e.subject_id] END`;

/**
 * One coordinate list of an event, over alias `e`, with `c` its coordinate set joined
 * (`EVENT_SETS_JOIN`): events written before migration 1795000011000 hold their lists in their
 * own row and name no set; later events name a set and hold none. A row that does both reads null.
 */
function eventCoordinates(list: 'disclosed' | 'masked' | 'denied'): string {
  return `CASE WHEN e.coordinate_set IS NULL THEN e.${list} WHEN e.disclosed IS NULL AND e.masked IS NULL AND e.denied IS NULL THEN c.${list} END AS ${list}`;
}

/**
 * Reads an event's subjects and coordinate lists with it, wherever each is stored:
 * `SELECT e.*, ${EVENT_SETS} FROM audit_event e ${EVENT_SETS_JOIN}` (its columns come after
 * `e.*`'s and take their place). An event without subjects names no set and reads an empty
 * list; one with a single subject holds it (`subject_id`, since migration 1795000012000) and
 * names no set; one whose set is missing, or that holds a subject and names a set, reads null.
 */
export const EVENT_SETS = `${EVENT_SUBJECTS} AS subject_ids, ${eventCoordinates('disclosed')}, ${eventCoordinates('masked')}, ${eventCoordinates('denied')}`;
export const EVENT_SETS_JOIN = `LEFT JOIN audit_subject_set s ON s.hash = e.subject_set LEFT JOIN audit_coordinate_set c ON c.hash = e.coordinate_set`;

/**
 * One coordinate list of the event row `alias` as an expression, its set read by a subquery: for
 * statements that read events without `EVENT_SETS_JOIN` (the data-subject export).
 */
export function coordinateListOf(alias: string, list: 'disclosed' | 'masked' | 'denied'): string {
  return `CASE WHEN ${alias}.coordinate_set IS NULL THEN ${alias}.${list} ELSE (SELECT c.${list} FROM audit_coordinate_set c WHERE c.hash = ${alias}.coordinate_set) END`;
}

export function contentOfRow(row: AuditEventRow): AuditRecordContent {
  return {
    id: row.id,
    at: row.at,
    requestId: row.request_id,
    principalKind: row.principal_kind,
    principalId: row.principal_id,
    roles: row.roles,
    partnerId: row.partner_id,
    customerId: row.customer_id,
    grantId: row.grant_id,
    purpose: row.purpose,
    operationType: row.operation_type as AuditOperationType | null,
    operationName: row.operation_name,
    operationHash: row.operation_hash,
    // A missing set reads as no subjects: the event's hash, which covers them, then fails.
    subjectIds: row.subject_ids ?? [],
    // Null (a missing set, or lists stored twice) hashes as null: the event's hash then fails.
    disclosed: row.disclosed as string[],
    masked: row.masked as string[],
    denied: row.denied as string[],
    outcome: row.outcome as AuditOutcome,
    errorCodes: row.error_codes,
    legalCaseReference: row.legal_case_reference,
    privacyRequestReference: row.privacy_request_reference ?? null,
    flagged: row.flagged,
    detail: row.detail,
    traceId: row.trace_id ?? null,
  };
}

/**
 * The columns of a row as a JSON object, as json_populate_recordset reads them (audit-log.ts):
 * written as text directly, the one copy of the row the writer makes. The coordinate lists are
 * not in it: the row names their set, and its own list columns stay null. A record toAuditRecord
 * made has all of it but the seal written already (`rowHeads`).
 */
export function rowJsonOf(record: AuditRecord, sealId: string): string {
  return `${rowHeads.get(record) ?? rowHeadOf(record)},"seal_id":${json(sealId)}}`;
}

/** The subject the row holds itself: the only one, of an event that names no set. */
function inlineSubjectOf(record: Pick<AuditRecord, 'subjectSet' | 'subjectIds'>): string | null {
  return record.subjectSet === null && record.subjectIds.length === 1 ? record.subjectIds[0]! : null;
}

/** The row JSON without its closing brace and seal: every column but seal_id. Checked values (`written` given) are quoted as they are. */
function rowHeadOf(record: AuditRecord, written?: WrittenParts): string {
  const q = written ? quoted : json;
  return (
    `{"id":${q(record.id)},"at":${written ? `"${written.at}"` : json(record.at.toISOString())},"request_id":${written?.requestId ?? json(record.requestId)},` +
    `"principal_kind":${q(record.principalKind)},"principal_id":${written?.principalId ?? json(record.principalId)},"roles":${written?.roles ?? json(record.roles)},` +
    `"partner_id":${q(record.partnerId)},"customer_id":${q(record.customerId)},"grant_id":${q(record.grantId)},` +
    `"purpose":${q(record.purpose)},"operation_type":${q(record.operationType)},"operation_name":${written?.operationName ?? json(record.operationName)},` +
    `"operation_hash":${q(record.operationHash)},"subject_set":${q(record.subjectSet)},"subject_id":${q(inlineSubjectOf(record))},"coordinate_set":"${record.coordinateSet}",` +
    `"outcome":${q(record.outcome)},"error_codes":${written?.errorCodes ?? json(record.errorCodes)},` +
    `"legal_case_reference":${written?.legalCaseReference ?? json(record.legalCaseReference)},"privacy_request_reference":${nullableJson(record.privacyRequestReference)},` +
    `"flagged":${record.flagged === true},"detail":${record.detail === null ? 'null' : json(record.detail)},"trace_id":${q(record.traceId)},"hash":${q(record.hash)}`
  );
}
