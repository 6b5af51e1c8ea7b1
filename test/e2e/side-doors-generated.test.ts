/**
 * The side doors, as a class: generated from the executable schema, not from a hand list. For
 * every row of the disclosure matrix (each principal kind, each staff role, each purpose it may
 * declare), an id naming a row that exists but is outside the caller's row scope must answer
 * exactly as an id that names nothing:
 * - every Mutation field with an ID anywhere in its arguments (through input objects and lists);
 * - every Query root field looked up by id, and every ID member of a list's filter;
 * - every root list's `after`, and every list's below a row looked up by id: a cursor another
 *   caller was given, or given for another row's list, and a tampered one, answer as a malformed
 *   cursor does;
 * - and the two ids that travel outside the schema: the privacy request an X-Privacy-Request
 *   header names, and the case of an upload (POST /attachments, X-Case-Id), over HTTP.
 * Each foreign id is also tried in capitals (PostgreSQL reads it as the same uuid), and an id in
 * a list is also tried after one of the caller's own rows (a list is checked whole).
 * "The same" is: status, data, errors (message, code, path), the SQL statements sent (their
 * text, in order: a look-up that stops at a missing row but goes on for a foreign one shows
 * here), the audit event (everything but its id, request id, time and seal), and what was
 * written (a row trigger on every table logs each write; nothing may be written where the id
 * is refused or not found, and a write the id does not stop is compared by what it wrote).
 *
 * Which table an ID names is derived, never listed per field: a filter member from the
 * coordinate it reveals (policy/arguments.ts) and that coordinate's row source
 * (policy/tables.ts); a root look-up from its type's row source; a mutation's input field from
 * its name (`caseId`: the one table named `case` or `…_case` in the entity metadata), and the
 * few names that do not say their table are listed in ID_ALIASES with the reason. An ID the
 * generator cannot place fails the test, so a new mutation or root field cannot go unchecked.
 *
 * Rows outside the scope are those the caller's declared row scope (policy/row-scope.ts over
 * tables.ts) does not reach, read in SQL from the seeded data: the first such row by id, and a
 * row an erasure kept and restricted. That the declared scope is the design's is checked in
 * write-scope.test.ts; here, that no door answers differently from it. Whether the generator
 * reached the look-up at all is checked too: every mutation id answers NOT_FOUND to a random id
 * for at least one caller, so a refusal before the look-up cannot pass for a sound door.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { PDF } from '../harness/attachment-fixtures';
import type { Caller } from '../../src/policy/principal';
import { MATRIX, type MatrixRow } from '../../src/policy/disclosure-matrix';
import { ARGUMENT_REVEALS } from '../../src/policy/arguments';
import { PolicyEngine } from '../../src/policy/policy-view';
import { ROW_SOURCE, TABLES } from '../../src/policy/tables';
import { RESTRICTABLE } from '../../src/policy/row-scope';
import { buildGatewaySchema } from '../../src/schema';
import { countSql, totalSqlStatements } from '../../src/platform/sql-counter';
import { uploaderOf } from '../../src/domains/after-sales/attachment.service';
import { codeHash } from '../../src/domains/privacy-requests/identity-codes';
import { DEV_PRIVACY_SECRET } from '../../src/platform/config';
import { eraseCustomer } from '../../src/privacy/handlers/erasure';
import { DEFAULT_RATE_LIMITS } from '../../src/hardening/rate-limit';
import { DEMO_IDS } from '../../src/seed/demo-ids';
import { DEMO_SEED, seedDatabase } from '../../src/seed/seed';
import type { Gateway } from '../../src/server';
import { lastEvent } from '../audit/audit-harness';
import { bearerOf, callerFrom, REFERENCES, seedWebhookDeliveries } from '../harness/compiled-equivalence';
import { startHttpGateway, type HttpGateway } from '../harness/http';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createErasureFixture } from '../harness/erasure-fixture';
import { createTestGateway } from '../harness/gateway';
import { callerOfMatrixRow } from '../harness/principals';
import { insertPrivacyRequest, insertServedRequest } from '../harness/privacy-request-fixture';

/**
 * Input fields whose name does not name their table, with why they name that one. Anything
 * else is placed by its name; a name that matches no table, or several, fails the test.
 */
const ID_ALIASES: Readonly<Record<string, { table: string; why: string }>> = {
  'GrantConsentInput.granteeId': { table: 'partner', why: 'the grantee is a partner of kind THIRD_PARTY' },
  'AddressCorrectionInput.id': { table: 'address', why: 'the id of the address-book entry the correction changes' },
  'AuditEventFilter.subjectId': { table: 'customer', why: "an audit event's subjects are the customers whose data it disclosed" },
};

/**
 * Tables a write names that carry no row scope of their own in tables.ts (no GraphQL type reads
 * them): whose rows are the caller's, as the write's target rule in policy/operations.ts says.
 */
const SERVICE_SCOPES: Readonly<Record<string, (caller: Caller) => [string, unknown[]]>> = {
  // "a file the caller itself uploaded": its uploader is the caller.
  attachment_upload: (caller) => [`a.uploader = $1`, [uploaderOf(caller.principal)]],
};

/** Values a generic one would not get past validation with; keyed by input coordinate. Never ids. */
const SAMPLES: Readonly<Record<string, () => unknown>> = {
  'VerifyPrivacyRequestInput.code': () => '135790',
  'RecordPaymentResultInput.currency': () => 'EUR',
  'RecordPaymentResultInput.amount': () => '1.00',
  'GrantConsentInput.categories': () => ['order.status'],
  'GrantConsentInput.expiresAt': () => new Date(Date.now() + 30 * 86_400_000).toISOString(),
  'BehaviorEventInput.ip': () => '203.0.113.9',
  'BehaviorEventInput.userAgent': () => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
  'BehaviorEventInput.page': () => '/products/oracle',
  'BehaviorEventInput.occurredAt': () => new Date().toISOString(),
  'ShipmentEventInput.eventId': () => `oracle-${randomUUID()}`,
  'ShipmentEventInput.occurredAt': () => new Date().toISOString(),
  'SubmitPrivacyRequestInput.type': () => 'WITHDRAW_CONSENT',
  'AddressCorrectionInput.fields': () => ({ city: 'Nantes' }),
  'OrderShippingCorrectionInput.address': () => ({ recipientName: 'R. Ecipient', line1: '1 New Street', city: 'Lyon', postalCode: '69001', country: 'FR', phone: '+33100000009' }),
  'RegisterWebhookEndpointInput.url': () => 'https://hooks.example/oracle',
};

/**
 * Mutation fields that take no id anywhere in their arguments, and why no id-shaped side door
 * is open to them. A field that takes an id cannot be listed here (checked below).
 */
const NO_ID: Readonly<Record<string, string>> = {
  registerWebhookEndpoint: 'creates an endpoint of the caller itself from a URL; it names no existing row',
  verifyAuditLog: 'verifies the whole log; it takes no argument',
};

/**
 * Writes that, for one caller, are carried out whatever their id names, with the design's words
 * for why the foreign and the random id may write differently: the answer and the statements must
 * still be the same, and the audit event may differ only in naming whose data was written.
 */
const WRITES_BY_DESIGN: Readonly<Record<string, string>> = {
  'recordPreferenceChoices input.customerId':
    "the storefront records a signed-in customer's cookie choice for any active customer it names, with the same answer and statements either way (policy/operations.ts)",
  'ingestBehaviorEvents input.events[].customerId':
    'a session is kept only for an active customer who allows analytics (an id naming no one is dropped, as an objection is); the answer says how many were taken in, never how many were kept (policy/operations.ts)',
};

/**
 * Ids a principal kind may not send at all: refused before any look-up, with one answer whatever
 * they name (so the comparison holds, and there is no look-up to reach).
 */
const REFUSED_WHATEVER_IT_NAMES: Readonly<Record<string, string>> = {
  'customer submitPrivacyRequest input.customerId': "a customer's request is about themself; customerId is refused",
  'customer openAfterSalesCase input.customerId': 'customers open cases for themselves; customerId is refused',
  'customer recordPreferenceChoices input.customerId': 'customers record their own choices; customerId is refused',
};

const RANDOM = () => randomUUID();
const RATE_LIMITS = { ...DEFAULT_RATE_LIMITS, fieldsPerMinute: 1_000_000, missesPerMinute: 1_000_000, refusalsPerMinute: 1_000_000, uploadsPerHour: 1_000_000 };

/** One ID the generator found: where it is in the field's arguments, and the table it names. */
interface IdPath {
  /** `input.addresses[].id`: argument, then input fields; `[]` where a list is crossed. */
  path: string;
  /** The input coordinate of its last step (`AddressCorrectionInput.id`), or `Query.order(id:)`. */
  coordinate: string;
  table: string;
  /** For a filter on a row's own value (a delivery's `eventId`): the column of `table` the value is read from; else the row's id. */
  column?: string;
}

/** The ids the caller acts as: its customer, its partner, its grant. */
function subjectOf(caller: Caller): Record<string, string> {
  const p = caller.principal;
  const out: Record<string, string> = {};
  if ('customerId' in p && p.customerId) out.customer = p.customerId;
  if ('partnerId' in p && p.partnerId) out.partner = p.partnerId;
  if ('grantId' in p && p.grantId) out.grant = p.grantId;
  return out;
}

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('side doors, generated: every id-taking door answers a foreign row as a missing one', () => {
  let db: TestDatabase;
  let gateway: Gateway;
  let http: HttpGateway;
  let blobDir: string;
  let stagingDir: string;
  let schema: GraphQLSchema;
  let engine: PolicyEngine;
  let tableNames: string[];
  const q = <T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  /** Cases checked per caller (a matrix row), by kind of door. */
  const checked = new Map<string, { mutations: number; reads: number; cursors: number }>();
  const tally = (who: string, kind: 'mutations' | 'reads' | 'cursors') => {
    const t = checked.get(who) ?? { mutations: 0, reads: 0, cursors: 0 };
    t[kind] += 1;
    checked.set(who, t);
  };
  const callers: Array<{ who: string; caller: Caller }> = MATRIX.map((row: MatrixRow) => ({ who: `${row.principal} / ${row.purpose}`, caller: callerOfMatrixRow(row) }));

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: false });
    await insertServedRequest(db.dataSource);
    await seedWebhookDeliveries(db, [...DEMO_IDS.logisticsPartners]);
    await seedWebhookDeliveries(db, [...DEMO_IDS.paymentProviders]);
    // Rows of every kind a write names, for the demo customer and for another: privacy requests in
    // each state a write starts from, a code to verify with, a consent grant, an upload.
    const [other] = await q<{ id: string }>(`SELECT id FROM customer WHERE status = 'active' AND id <> $1 ORDER BY id LIMIT 1`, [DEMO_IDS.demoCustomer]);
    for (const customer of [DEMO_IDS.demoCustomer, other!.id]) {
      for (const [type, status] of [['rectification', 'identity_verified'], ['objection', 'received'], ['access', 'completed'], ['erasure', 'in_progress']]) {
        const id = await insertPrivacyRequest(db.dataSource, customer, type!, status!);
        // Received two days ago: not among the requests a customer may open in 24 hours, which a withdrawal's grants are checked after.
        await q(`UPDATE privacy_request SET received_at = received_at - interval '2 days' WHERE id = $1`, [id]);
        if (status === 'received') {
          await q(`INSERT INTO privacy_request_code (request_id, code_hash, issued_at, expires_at, attempts_left) VALUES ($1, $2, now(), now() + interval '15 minutes', 5)`, [
            id,
            codeHash(DEV_PRIVACY_SECRET, id, '135790'),
          ]);
        }
      }
      await q(
        `INSERT INTO consent_grant (customer_id, grantee_partner_id, categories, purpose, granted_at, expires_at)
         VALUES ($1, $2, '{order.status}', 'authorized_sharing', now(), now() + interval '30 days')`,
        [customer, DEMO_IDS.thirdParty],
      );
      const [theCase] = await q<{ id: string }>(`SELECT id FROM after_sales_case WHERE customer_id = $1 AND status <> 'closed' ORDER BY id LIMIT 1`, [customer]);
      if (theCase) {
        await q(
          `INSERT INTO attachment_upload (id, case_id, uploader, kind, content_type, size_bytes, sha256, storage_key, uploaded_at, expires_at)
           VALUES (gen_random_uuid(), $1::uuid, $2, 'document', 'application/pdf', 100, repeat('c', 64), 'after-sales/' || $1::text || '/upload', now(), now() + interval '1 day')`,
          [theCase.id, uploaderOf({ kind: 'customer', subject: `customer-${customer}`, customerId: customer })],
        );
      }
    }
    // A customer erased a week after an order shipped: rows kept and restricted in most tables.
    const erased = await createErasureFixture(db.dataSource);
    await db.dataSource.transaction((em) => eraseCustomer(em, erased.customerId, new Date()));
    // Every write to a table of data is logged by a row trigger, so "nothing written" is exact
    // (a rolled-back write logs nothing, as it wrote nothing).
    await q(`CREATE TABLE oracle_write (tbl text NOT NULL, op text NOT NULL)`);
    await q(`CREATE FUNCTION oracle_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO oracle_write VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$`);
    tableNames = db.dataSource.entityMetadatas.map((m) => m.tableName);
    for (const table of tableNames) {
      if (table.startsWith('audit_') && table !== 'audit_verification') continue;
      await q(`CREATE TRIGGER oracle_note AFTER INSERT OR UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION oracle_note()`);
    }
    ({ gateway } = await createTestGateway(db, { rateLimits: RATE_LIMITS }));
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-blobs-'));
    stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-staging-'));
    http = await startHttpGateway(
      db,
      { authenticate: callerFrom, rateLimits: RATE_LIMITS },
      { store: new FileSystemBlobStore(blobDir), limits: { photo: 300_000, video: 1_000_000, document: 4_000 }, stagingDir, sweepEveryMs: 0 },
    );
    schema = await buildGatewaySchema();
    engine = new PolicyEngine(schema);
  }, 180_000);

  afterAll(async () => {
    if (checked.size > 0) {
      const lines = [...checked].map(([who, t]) => `${who.padEnd(50)} mutations ${String(t.mutations).padStart(4)}  reads ${String(t.reads).padStart(4)}  cursors ${String(t.cursors).padStart(4)}`);
      const total = [...checked.values()].reduce((n, t) => n + t.mutations + t.reads + t.cursors, 0);
      // The count is the test's own evidence of what it covered: printed, as the task of the sweep.
      process.stdout.write(`side doors, generated: ${total} cases\n${lines.join('\n')}\n`);
    }
    await gateway?.stop();
    await http?.close();
    await db?.drop();
    for (const dir of [blobDir, stagingDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // ---- which table an ID names ----

  /** The table an input field of a mutation names, from its name; undefined when it cannot be placed. */
  function tableOfInputField(input: GraphQLInputObjectType, field: string): string | undefined {
    const alias = ID_ALIASES[`${input.name}.${field}`];
    if (alias) return alias.table;
    const stem = snake(field.replace(/Ids?$/, ''));
    if (stem === field || stem === '') return undefined;
    if (tableNames.includes(stem)) return stem;
    const ending = tableNames.filter((t) => t.endsWith(`_${stem}`));
    return ending.length === 1 ? ending[0] : undefined;
  }

  /**
   * The table a filter member names: the row source of the link it reveals (`Order.customer`:
   * customer), or for a row's own value (`WebhookDelivery.eventId`) that row's table and the
   * value's column.
   */
  function placeFilterMember(input: GraphQLInputObjectType, field: string): { table: string; column?: string } | undefined {
    const alias = ID_ALIASES[`${input.name}.${field}`];
    if (alias) return { table: alias.table };
    const reveals = ARGUMENT_REVEALS[`${input.name}.${field}`];
    if (!reveals || reveals.length !== 1) return undefined;
    const [typeName, fieldName] = reveals[0]!.split('.') as [string, string];
    const type = schema.getType(typeName);
    if (!isObjectType(type)) return undefined;
    const target = getNamedType(type.getFields()[fieldName]!.type);
    if (isObjectType(target)) return ROW_SOURCE[target.name] ? { table: ROW_SOURCE[target.name]! } : undefined;
    const column = snake(fieldName);
    // A row's own `…_id` value that is another table's id is a link to that table (an event's partnerId).
    const linked = column.replace(/_id$/, '');
    if (linked !== column && tableNames.includes(linked)) return { table: linked };
    const table = ROW_SOURCE[typeName];
    const columns = db.dataSource.entityMetadatas.find((m) => m.tableName === table)?.columns.map((c) => c.databaseName) ?? [];
    return table && columns.includes(column) ? { table, column } : undefined;
  }
  const tableOfFilterMember = (input: GraphQLInputObjectType, field: string) => placeFilterMember(input, field)?.table;

  /** Every ID in a field's arguments, placed; the unplaced ones are returned apart. */
  function idPaths(parent: string, field: GraphQLField<unknown, unknown>, place: (input: GraphQLInputObjectType, f: string) => string | undefined) {
    const found: IdPath[] = [];
    const unplaced: string[] = [];
    const walk = (path: string, type: GraphQLInputType, coordinate: string, owner: GraphQLInputObjectType | undefined, name: string, seen: Set<string>) => {
      const named = getNamedType(type);
      const listed = isListType(getNullableType(type)) ? '[]' : '';
      if (isScalarType(named) && named.name === 'ID') {
        const table = owner ? place(owner, name) : parent === 'Query' && name === 'id' ? ROW_SOURCE[getNamedType(field.type).name] : undefined;
        const column = owner && parent === 'Query' ? placeFilterMember(owner, name)?.column : undefined;
        if (table) found.push({ path: path + listed, coordinate, table, ...(column ? { column } : {}) });
        else unplaced.push(coordinate);
        return;
      }
      if (isInputObjectType(named) && !seen.has(named.name)) {
        for (const f of Object.values(named.getFields())) walk(`${path}${listed}.${f.name}`, f.type, `${named.name}.${f.name}`, named, f.name, new Set([...seen, named.name]));
      }
    };
    for (const arg of field.args) walk(arg.name, arg.type, `${parent}.${field.name}(${arg.name}:)`, undefined, arg.name, new Set());
    return { found, unplaced };
  }

  // ---- rows in and out of a caller's scope ----

  /** The caller's scope condition on `table` as positional SQL over alias `a`; undefined when every row is in scope. */
  function scopeCondition(caller: Caller, table: string): [string, unknown[]] | undefined {
    const service = SERVICE_SCOPES[table];
    if (service) return service(caller);
    if (!(table in TABLES)) throw new Error(`no row scope is declared for table ${table}: declare it in src/policy/tables.ts, or in SERVICE_SCOPES with the write's target rule`);
    const condition = engine.scopeFor(caller, engine.viewFor(caller)).condition(table as keyof typeof TABLES, 'a');
    if (!condition) return undefined;
    const params: unknown[] = [];
    const sql = condition.sql.replace(/:(\w+)/g, (_m, name: string) => {
      params.push(condition.params[name]);
      return `$${params.length}`;
    });
    return [sql, params];
  }

  const rowCache = new Map<string, Promise<{ own: string | undefined; foreign: Array<{ id: string; kind: string }> }>>();
  /** An in-scope row (the first by id, privacy requests ready to be rectified first), and rows outside the scope: the first by id, and a restricted one. */
  function rowsFor(who: string, caller: Caller, table: string) {
    const key = `${who}|${table}`;
    let rows = rowCache.get(key);
    if (!rows) {
      rows = (async () => {
        const scope = scopeCondition(caller, table);
        const restrictable = RESTRICTABLE.has(table as never);
        const [sql, params] = scope ?? ['TRUE', []];
        // The callers' own rows first, then the demo data's well-known ones: rows linked to them exist (a carrier's shipments and audit events).
        const known = `array_position($${params.length + 1}::text[], a.id::text) NULLS LAST, `;
        const prefer = table === 'privacy_request' ? `(a.type = 'rectification' AND a.status = 'identity_verified') DESC, ` : '';
        const own = await q<{ id: string }>(`SELECT a.id FROM "${table}" a WHERE COALESCE((${sql}), false) ORDER BY ${known}${prefer}a.id LIMIT 1`, [
          ...params,
          [...callers.flatMap((c) => Object.values(subjectOf(c.caller))), ...Object.values(DEMO_IDS).flat()],
        ]);
        const outside = `NOT COALESCE((${sql}), false)`;
        const first = await q<{ id: string }>(`SELECT a.id FROM "${table}" a WHERE ${outside}${restrictable ? ' AND a.restricted_at IS NULL' : ''} ORDER BY a.id LIMIT 1`, params);
        const restricted = restrictable ? await q<{ id: string }>(`SELECT a.id FROM "${table}" a WHERE ${outside} AND a.restricted_at IS NOT NULL ORDER BY a.id LIMIT 1`, params) : [];
        // The one most like the caller's own: a row outside the scope that names the caller's customer or partner in some column
        // (a third party's customer's other grants, a carrier's shipment of an order an erasure restricted).
        const mine = Object.values(subjectOf(caller));
        const columns = db.dataSource.entityMetadatas.find((m) => m.tableName === table)!.columns.map((c) => c.databaseName).filter((c) => c === 'id' || c.endsWith('_id'));
        const near =
          mine.length > 0 && columns.length > 0
            ? await q<{ id: string }>(
                `SELECT a.id FROM "${table}" a WHERE ${outside} AND (${columns.map((c) => `a."${c}"::text = ANY($${params.length + 1}::text[])`).join(' OR ')}) ORDER BY a.id LIMIT 1`,
                [...params, mine],
              )
            : [];
        const foreign = [
          ...first.map((r) => ({ id: r.id, kind: 'outside the scope' })),
          ...restricted.map((r) => ({ id: r.id, kind: 'restricted by an erasure' })),
          ...near.map((r) => ({ id: r.id, kind: "outside the scope, naming the caller's own customer or partner" })),
        ];
        return { own: own[0]?.id, foreign: foreign.filter((r, i) => foreign.findIndex((o) => o.id === r.id) === i) };
      })();
      rowCache.set(key, rows);
    }
    return rows;
  }

  // ---- running one request and reading what it did ----

  interface Observed {
    outcome: { status: number; data?: unknown; errors?: Array<{ message: string; path?: unknown; extensions?: Record<string, unknown> }> };
    statements: string[];
    event: Record<string, unknown>;
    writes: string[];
  }

  /** The writes logged since the last call, emptying the log. */
  const writesLogged = async () => {
    // TypeORM answers a DELETE … RETURNING with [rows, count].
    const [rows] = (await db.dataSource.query(`DELETE FROM oracle_write RETURNING tbl || ' ' || op AS w`)) as [Array<{ w: string }>, number];
    return rows.map((r) => r.w).sort();
  };

  async function observe(query: string, caller: Caller, variables: Record<string, unknown>): Promise<Observed> {
    await writesLogged();
    const { result: response, sql } = await countSql(() => gateway.execute(query, caller, variables, REFERENCES));
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    const outcome = { status: response.http.status ?? 200, ...JSON.parse(JSON.stringify(response.body.singleResult)) };
    const { id: _i, requestId: _r, at: _a, sealId: _s, hash: _h, ...event } = (await lastEvent(db.dataSource)) as unknown as Record<string, unknown>;
    return { outcome, statements: sql.statements, event, writes: await writesLogged() };
  }

  const codes = (o: Observed) => (o.outcome.errors ?? []).map((e) => String(e.extensions?.code));

  /** What differs between a foreign id's answer and a random one's, in words; empty when nothing does. */
  function differences(foreign: Observed, missing: Observed, writesByDesign: boolean): string[] {
    const out: string[] = [];
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(foreign.outcome, missing.outcome)) out.push(`answer: ${JSON.stringify(foreign.outcome)} vs ${JSON.stringify(missing.outcome)}`);
    if (!same(foreign.statements, missing.statements)) out.push(`statements: ${foreign.statements.length} vs ${missing.statements.length}: ${JSON.stringify(foreign.statements.filter((s) => !missing.statements.includes(s)))}`);
    if (!same(foreign.event, missing.event)) {
      // A write carried out by design names whose data it wrote: the customer a foreign id named, and nobody for a random id.
      const subjectsWritten = writesByDesign && foreign.writes.length > 0 && !same(foreign.writes, missing.writes);
      const keys = Object.keys({ ...foreign.event, ...missing.event }).filter((k) => !same(foreign.event[k], missing.event[k]) && !(subjectsWritten && k === 'subjectIds'));
      if (keys.length > 0) out.push(`audit event: ${keys.map((k) => `${k} ${JSON.stringify(foreign.event[k])} vs ${JSON.stringify(missing.event[k])}`).join('; ')}`);
    }
    const refused = codes(missing).length > 0;
    if (refused && (foreign.writes.length > 0 || missing.writes.length > 0)) out.push(`written though refused: ${JSON.stringify(foreign.writes)} vs ${JSON.stringify(missing.writes)}`);
    if (!refused && !writesByDesign && !same(foreign.writes, missing.writes)) out.push(`writes: ${JSON.stringify(foreign.writes)} vs ${JSON.stringify(missing.writes)}`);
    return out;
  }

  // ---- generated inputs ----

  /** A value for an input type that gets past validation; the id at `probe` is `id`, other ids are `other(table)` or left out. */
  interface Generation {
    /** The path of the probed id, and the id it is given. */
    probe: string;
    id: string;
    /** Where the probed id is in a list: a row of the caller's own to send before it, or none. */
    beside?: string;
    other: (table: string, required: boolean) => string | undefined;
    place: (input: GraphQLInputObjectType, f: string) => string | undefined;
  }

  function valueOf(type: GraphQLInputType, path: string, coordinate: string, g: Generation, owner?: GraphQLInputObjectType, name?: string): unknown {
    const { probe, id, other, place } = g;
    const sample = SAMPLES[coordinate];
    if (sample) return sample();
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      const inner = valueOf(nullable.ofType, `${path}[]`, `${coordinate}[]`, g, owner, name);
      if (inner === undefined) return undefined;
      // The probed id second in a list, after a row of the caller's own: a list is checked whole, not up to its first miss.
      const onProbe = probe === `${path}[]` || probe.startsWith(`${path}[].`);
      return onProbe && g.beside ? [valueOf(nullable.ofType, `${path}[]`, `${coordinate}[]`, { ...g, id: g.beside, beside: undefined }, owner, name), inner] : [inner];
    }
    if (isScalarType(nullable) && nullable.name === 'ID') {
      if (path === probe) return id;
      const table = owner && name ? place(owner, name) : undefined;
      return table ? other(table, isNonNullType(type)) : undefined;
    }
    if (isInputObjectType(nullable)) {
      const value: Record<string, unknown> = {};
      for (const f of Object.values(nullable.getFields())) {
        const fieldPath = `${path}.${f.name}`;
        const onProbe = probe === fieldPath || probe.startsWith(`${fieldPath}.`) || probe.startsWith(`${fieldPath}[]`);
        const isId = getNamedType(f.type).name === 'ID';
        if (!onProbe && !isNonNullType(f.type) && !isId && !SAMPLES[`${nullable.name}.${f.name}`]) continue;
        const v = valueOf(f.type, fieldPath, `${nullable.name}.${f.name}`, g, nullable, f.name);
        if (v !== undefined) value[f.name] = v;
      }
      return value;
    }
    if (isEnumType(nullable)) {
      // The value that names what the probed id is (a legal hold's scope ORDER for an orderId), else the first.
      const stem = snake(probe.replace(/.*\./, '').replace(/\[\]$/, '').replace(/Ids?$/, '')).toUpperCase();
      return (nullable.getValues().find((v) => v.name === stem) ?? nullable.getValues()[0]!).name;
    }
    switch (nullable.name) {
      case 'Int':
        return 1;
      case 'Float':
        return 1;
      case 'Boolean':
        return true;
      case 'DateTimeISO':
        return new Date().toISOString();
      case 'Decimal':
        return '1.00';
      default:
        return 'oracle';
    }
  }

  /** The whole schema's id-taking doors, placed; fails naming every one it cannot place. */
  function doors() {
    const mutation = schema.getMutationType()!;
    const query = schema.getQueryType()!;
    const unplaced: string[] = [];
    const mutations: Array<{ field: GraphQLField<unknown, unknown>; ids: IdPath[] }> = [];
    for (const field of Object.values(mutation.getFields())) {
      const { found, unplaced: u } = idPaths('Mutation', field, tableOfInputField);
      unplaced.push(...u);
      if (found.length === 0 && u.length === 0 && !NO_ID[field.name]) unplaced.push(`Mutation.${field.name}: takes no id and is not listed in NO_ID with a reason`);
      if (found.length > 0 && NO_ID[field.name]) unplaced.push(`Mutation.${field.name}: takes an id but is listed in NO_ID`);
      if (found.length > 0) mutations.push({ field, ids: found });
    }
    const reads: Array<{ field: GraphQLField<unknown, unknown>; ids: IdPath[] }> = [];
    const lists: Array<GraphQLField<unknown, unknown>> = [];
    for (const field of Object.values(query.getFields())) {
      const { found, unplaced: u } = idPaths('Query', field, tableOfFilterMember);
      unplaced.push(...u);
      if (found.length > 0) reads.push({ field, ids: found });
      if (field.args.some((a) => a.name === 'after')) lists.push(field);
    }
    return { mutations, reads, lists, unplaced };
  }

  it('places every id of every mutation and root field in a table, and every table has a declared scope', () => {
    const { mutations, reads, lists, unplaced } = doors();
    expect(unplaced).toEqual([]);
    for (const { ids } of [...mutations, ...reads]) for (const { table } of ids) expect(() => scopeCondition(callers[0]!.caller, table)).not.toThrow();
    // The walk found doors of each kind (so an empty schema walk cannot pass).
    expect(mutations.map((m) => m.field.name)).toContain('recordShipmentTracking');
    expect(reads.map((r) => r.field.name)).toEqual(expect.arrayContaining(['order', 'shipments']));
    expect(lists.length).toBeGreaterThan(5);
  });

  /** The selection a door's answer is read with: its type name, and for a page its page info and nodes' type names. */
  function selectionOf(field: GraphQLField<unknown, unknown>): string {
    const type = getNamedType(field.type);
    if (!isObjectType(type)) return '';
    if ('nodes' in type.getFields()) return '{ pageInfo { hasNextPage hasPreviousPage } nodes { __typename } }';
    return '{ __typename }';
  }

  it('every mutation given a foreign id answers, sends, records and writes as one given a random id', async () => {
    const { mutations } = doors();
    const found: string[] = [];
    /**
     * Per mutation id: whether a random id got as far as the look-up for some caller (NOT_FOUND; or, for an id the
     * write only refers to, the write carried out), and the codes it got otherwise.
     */
    const reached = new Map<string, boolean>();
    const answered = new Map<string, Set<string>>();
    const stopped = new Map<string, { lookedUp: boolean; answers: string[] }>();
    /** Writes the log saw where a write was carried out: page views of a foreign customer's session (so "nothing written" above is not the log's blindness). */
    let logged = 0;
    for (const { who, caller } of callers) {
      for (const { field, ids } of mutations) {
        const args = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
        const document = `mutation(${args}) { ${field.name}(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')}) ${selectionOf(field)} }`;
        for (const id of ids) {
          const key = `${field.name} ${id.path}`;
          reached.set(key, reached.get(key) ?? false);
          if (!answered.has(key)) answered.set(key, new Set());
          const rows = await rowsFor(who, caller, id.table);
          // Other ids of the input: an in-scope row of theirs, and (a second variant) left out.
          // A required one is never left out: an in-scope row of its table, else one that does not exist.
          const own = new Map<string, string | undefined>();
          for (const o of ids) own.set(o.table, (await rowsFor(who, caller, o.table)).own);
          const leftOut = (t: string, required: boolean) => (required ? (own.get(t) ?? RANDOM()) : undefined);
          const variants: Array<[string, (table: string, required: boolean) => string | undefined, string?]> = [['others left out', leftOut]];
          if (ids.length > 1) variants.push(['others in scope', (t) => own.get(t)]);
          if (id.path.includes('[]') && rows.own) variants.push(['after a row of its own in the list', leftOut, rows.own]);
          for (const [variant, other, beside] of variants) {
            const variables = (probeId: string) =>
              Object.fromEntries(field.args.map((a) => [a.name, valueOf(a.type, a.name, `Mutation.${field.name}(${a.name}:)`, { probe: id.path, id: probeId, beside, other, place: tableOfInputField })]));
            // A first random id warms what a first call warms (a view, a template), so the two compared are alike in that.
            await observe(document, caller, variables(RANDOM()));
            const missing = await observe(document, caller, variables(RANDOM()));
            const got = codes(missing);
            if (got.includes('NOT_FOUND') || (got.length === 0 && WRITES_BY_DESIGN[key] !== undefined)) reached.set(key, true);
            answered.get(key)!.add(`${who}: ${got.join(',') || 'carried out'}${got.length ? ` (${missing.outcome.errors![0]!.message})` : ''}`);
            // A caller granted the write, with a foreign row to try, must be carried to the look-up too (in some variant).
            const lookedUp = got.includes('NOT_FOUND') || (got.length === 0 && WRITES_BY_DESIGN[key] !== undefined);
            const kind = `${caller.principal.kind} ${key}`;
            if (engine.viewFor(caller).operations.has(field.name) && rows.foreign.length > 0 && !REFUSED_WHATEVER_IT_NAMES[kind]) {
              const s = stopped.get(`${who}: ${key}`) ?? { lookedUp: false, answers: [] };
              s.lookedUp ||= lookedUp;
              if (!lookedUp) s.answers.push(`${variant}: ${got.join(',')} ${missing.outcome.errors?.[0]?.message ?? ''}`);
              stopped.set(`${who}: ${key}`, s);
            }
            for (const foreign of rows.foreign) {
              const seen = await observe(document, caller, variables(foreign.id));
              logged += seen.writes.length;
              tally(who, 'mutations');
              for (const d of differences(seen, missing, WRITES_BY_DESIGN[key] !== undefined)) found.push(`${who}: ${key} (${variant}), a row ${foreign.kind}: ${d}`);
            }
            // The same id in another spelling PostgreSQL reads as the same uuid, against a missing one spelled alike.
            const [nearest] = rows.foreign;
            if (nearest && variant === 'others left out') {
              const missingCapitals = await observe(document, caller, variables(RANDOM().toUpperCase()));
              const seen = await observe(document, caller, variables(nearest.id.toUpperCase()));
              tally(who, 'mutations');
              for (const d of differences(seen, missingCapitals, WRITES_BY_DESIGN[key] !== undefined)) found.push(`${who}: ${key}, a row ${nearest.kind}, its id in capitals: ${d}`);
            }
          }
        }
      }
    }
    // Every id was carried to its look-up by some caller: a sound door was tried, not a refusal before it.
    expect({ found, unreached: [...reached].filter(([, r]) => !r).map(([k]) => `${k}: ${[...answered.get(k)!].join('; ')}`), stopped: [...stopped].filter(([, s]) => !s.lookedUp).map(([k, s]) => `${k}: ${s.answers.join('; ')}`) }).toEqual({ found: [], unreached: [], stopped: [] });
    expect(logged).toBeGreaterThan(0);
  }, 600_000);

  /** The value a read door names a row by: its id, or its own column's value. */
  const valueNamed = async (id: IdPath, row: string) => (id.column ? (await q<{ v: string }>(`SELECT "${id.column}"::text AS v FROM "${id.table}" WHERE id = $1`, [row]))[0]!.v : row);

  it('every root look-up and filter given a foreign id answers, sends and records as one given a random id', async () => {
    const { reads } = doors();
    const found: string[] = [];
    /** Per door: whether a row in some caller's scope answered differently from a random id (the comparison can tell rows apart). */
    const tells = new Map<string, boolean>();
    for (const { who, caller } of callers) {
      for (const { field, ids } of reads) {
        for (const id of ids) {
          const [arg, ...rest] = id.path.split('.');
          const member = rest.join('.').replace(/\[\]$/, '');
          const argument = field.args.find((a) => a.name === arg)!;
          const listed = id.path.endsWith('[]');
          const idType = listed ? '[ID!]' : 'ID!';
          const first = field.args.some((a) => a.name === 'first') ? 'first: 2, ' : '';
          const document = member
            ? `query($id: ${idType}) { ${field.name}(${first}${argument.name}: { ${member}: $id }) ${selectionOf(field)} }`
            : `query($id: ${idType}) { ${field.name}(${argument.name}: $id) ${selectionOf(field)} }`;
          const value = (v: string) => ({ id: listed ? [v] : v });
          const rows = await rowsFor(who, caller, id.table);
          await observe(document, caller, value(RANDOM()));
          const missing = await observe(document, caller, value(RANDOM()));
          const key = `${field.name} ${id.path}`;
          if (rows.own) {
            const own = await observe(document, caller, value(await valueNamed(id, rows.own)));
            tells.set(key, (tells.get(key) ?? false) || JSON.stringify(own.outcome) !== JSON.stringify(missing.outcome));
          } else tells.set(key, tells.get(key) ?? false);
          for (const foreign of rows.foreign) {
            // A filter on a row's own value (a delivery's event id) names the row by that value.
            const probe = await valueNamed(id, foreign.id);
            const seen = await observe(document, caller, value(probe));
            tally(who, 'reads');
            for (const d of differences(seen, missing, false)) found.push(`${who}: ${field.name} ${id.path}, a row ${foreign.kind}: ${d}`);
          }
          const [nearest] = rows.foreign;
          if (nearest && !id.column) {
            const missingCapitals = await observe(document, caller, value(RANDOM().toUpperCase()));
            const seen = await observe(document, caller, value(nearest.id.toUpperCase()));
            tally(who, 'reads');
            for (const d of differences(seen, missingCapitals, false)) found.push(`${who}: ${field.name} ${id.path}, a row ${nearest.kind}, its id in capitals: ${d}`);
          }
        }
      }
    }
    // A row in scope answers otherwise than a random id for some caller at every door: the same answers above are not blindness.
    expect({ found, blind: [...tells].filter(([, t]) => !t).map(([k]) => k) }).toEqual({ found: [], blind: [] });
  }, 600_000);

  it("every root list given another caller's cursor, or a tampered one, answers as it does a malformed cursor", async () => {
    const { lists } = doors();
    const found: string[] = [];
    /** Per list: the first page's end cursor each caller was given. */
    const given = new Map<string, Array<{ who: string; cursor: string }>>();
    const pageOf = (field: GraphQLField<unknown, unknown>) => {
      const first = field.args.some((a) => a.name === 'first') ? 'first: 1, ' : '';
      return `query($after: String) { ${field.name}(${first}after: $after) { pageInfo { endCursor hasNextPage } nodes { __typename } } }`;
    };
    for (const field of lists) {
      const cursors: Array<{ who: string; cursor: string }> = [];
      for (const { who, caller } of callers) {
        const response = await gateway.execute(pageOf(field), caller, { after: null }, REFERENCES);
        if (response.body.kind !== 'single') throw new Error('expected a single result');
        const cursor = (response.body.singleResult.data as any)?.[field.name]?.pageInfo?.endCursor;
        if (typeof cursor === 'string') cursors.push({ who, cursor });
      }
      given.set(field.name, cursors);
    }
    const tamper = (cursor: string) => `${cursor.slice(0, -2)}${cursor.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const { who, caller } of callers) {
      for (const field of lists) {
        const document = pageOf(field);
        const cursors = given.get(field.name)!;
        await observe(document, caller, { after: 'not-a-cursor' });
        const malformed = await observe(document, caller, { after: 'not-a-cursor' });
        // Another caller's: those of every other matrix row whose cursor differs (its own apart).
        const tried = cursors.filter((c) => c.who !== who);
        const own = cursors.find((c) => c.who === who);
        const probes = [...tried.map((c) => ({ label: `the cursor of ${c.who}`, cursor: c.cursor })), ...[own ?? cursors[0]].filter(Boolean).map((c) => ({ label: 'a tampered cursor', cursor: tamper(c!.cursor) }))];
        for (const probe of probes) {
          const seen = await observe(document, caller, { after: probe.cursor });
          tally(who, 'cursors');
          for (const d of differences(seen, malformed, false)) found.push(`${who}: ${field.name}(after:) given ${probe.label}: ${d}`);
        }
      }
    }
    expect(found).toEqual([]);
    // Cursors were handed out on most lists, so the comparisons above compared something.
    expect([...given.values()].filter((c) => c.length > 1).length).toBeGreaterThan(3);
  }, 600_000);
  it("every list below a row looked up by id, given a cursor of another caller's or of another row's list, answers as a malformed cursor", async () => {
    const query = schema.getQueryType()!;
    const found: string[] = [];
    let compared = 0;
    for (const root of Object.values(query.getFields())) {
      const parent = getNamedType(root.type);
      if (!isObjectType(parent) || !root.args.some((a) => a.name === 'id') || !ROW_SOURCE[parent.name]) continue;
      const table = ROW_SOURCE[parent.name]!;
      for (const list of Object.values(parent.getFields()).filter((f) => f.args.some((a) => a.name === 'after'))) {
        const document = `query($id: ID!, $after: String) { ${root.name}(id: $id) { ${list.name}(first: 1, after: $after) { pageInfo { endCursor } nodes { __typename } } } }`;
        // Cursors handed out: each caller's, on the first page of the list below its own row.
        const pool: Array<{ who: string; row: string; cursor: string }> = [];
        const ownRow = new Map<string, string>();
        for (const { who, caller } of callers) {
          const row = (await rowsFor(who, caller, table)).own;
          if (!row) continue;
          ownRow.set(who, row);
          const response = await gateway.execute(document, caller, { id: row, after: null }, REFERENCES);
          if (response.body.kind !== 'single') throw new Error('expected a single result');
          const cursor = (response.body.singleResult.data as any)?.[root.name]?.[list.name]?.pageInfo?.endCursor;
          if (typeof cursor === 'string') pool.push({ who, row, cursor });
        }
        for (const { who, caller } of callers) {
          const row = ownRow.get(who);
          if (!row) continue;
          await observe(document, caller, { id: row, after: 'not-a-cursor' });
          const malformed = await observe(document, caller, { id: row, after: 'not-a-cursor' });
          for (const given of pool.filter((g) => g.who !== who || g.row !== row)) {
            const seen = await observe(document, caller, { id: row, after: given.cursor });
            tally(who, 'cursors');
            compared += 1;
            const whose = given.who === who ? "its own cursor of another row's list" : `the cursor of ${given.who}${given.row === row ? '' : ' on another row'}`;
            for (const d of differences(seen, malformed, false)) found.push(`${who}: ${root.name} { ${list.name}(after:) } given ${whose}: ${d}`);
          }
        }
      }
    }
    expect(found).toEqual([]);
    expect(compared).toBeGreaterThan(0);
  }, 600_000);

  it('a privacy request named in X-Privacy-Request outside the scope answers as one that does not exist', async () => {
    const found: string[] = [];
    for (const { who, caller } of callers) {
      const rows = await rowsFor(who, caller, 'privacy_request');
      // Over HTTP: the reference is refused at admission, before execution, where the in-process path throws.
      const run = async (reference: string): Promise<Observed> => {
        await writesLogged();
        const before = totalSqlStatements();
        const response = await http.post({ query: '{ __typename }' }, { authorization: bearerOf(caller), 'x-legal-case': REFERENCES.legalCaseReference, 'x-privacy-request': reference });
        const statements = Array.from({ length: totalSqlStatements() - before }, () => '(a data statement)');
        const { id: _i, requestId: _r, at: _a, sealId: _s, hash: _h, ...event } = (await lastEvent(db.dataSource)) as unknown as Record<string, unknown>;
        return { outcome: { status: response.status, ...response.json }, statements, event, writes: await writesLogged() };
      };
      await run(RANDOM());
      const missing = await run(RANDOM());
      for (const foreign of rows.foreign) {
        const seen = await run(foreign.id);
        tally(who, 'reads');
        for (const d of differences(seen, missing, false)) found.push(`${who}: X-Privacy-Request naming a request ${foreign.kind}: ${d}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('an upload to a case outside the scope (POST /attachments, X-Case-Id) answers as one to a case that does not exist, and stores nothing', async () => {
    const found: string[] = [];
    const blobs = () => fs.readdirSync(blobDir, { recursive: true }).length;
    /** Callers whose upload to a missing case got as far as the case's look-up (404), not refused before it. */
    let lookedUp = 0;
    for (const { who, caller } of callers) {
      const rows = await rowsFor(who, caller, 'after_sales_case');
      const run = async (caseId: string): Promise<Observed> => {
        await writesLogged();
        const before = totalSqlStatements();
        const stored = blobs();
        const response = await fetch(`${http.url}/attachments`, {
          method: 'POST',
          headers: { authorization: bearerOf(caller), 'x-case-id': caseId, 'x-attachment-kind': 'document', 'content-type': 'application/pdf' },
          body: PDF,
        });
        const statements = Array.from({ length: totalSqlStatements() - before }, () => '(a data statement)');
        const { id: _i, requestId: _r, at: _a, sealId: _s, hash: _h, ...event } = (await lastEvent(db.dataSource)) as unknown as Record<string, unknown>;
        const writes = [...(await writesLogged()), ...(blobs() > stored ? ['a blob stored'] : [])];
        return { outcome: { status: response.status, ...((await response.json()) as object) }, statements, event, writes };
      };
      await run(RANDOM());
      const missing = await run(RANDOM());
      if (missing.outcome.status === 404) lookedUp += 1;
      for (const foreign of rows.foreign) {
        const seen = await run(foreign.id);
        tally(who, 'mutations');
        for (const d of differences(seen, missing, false)) found.push(`${who}: POST /attachments to a case ${foreign.kind}: ${d}`);
      }
    }
    expect(found).toEqual([]);
    expect(lookedUp).toBeGreaterThan(0);
  });
});
