/**
 * Trusted documents, registered: the operations an audience's tokens may run when trusted
 * documents are required (trusted-document-gate.ts), taken from a partner's own `.graphql` files.
 *
 * A file may hold several operations and the fragments they use. Each operation becomes one
 * trusted document: the operation and the fragments it uses (transitively), in the file's order,
 * printed by graphql-js. Its document id is `sha256:` and the lower-case hex sha256 of that
 * text (UTF-8), as the GraphQL-over-HTTP persisted-documents appendix defines a SHA256 hex
 * document identifier; the same hex is the hash Apollo's persisted-query link sends.
 *
 * A registration is all or nothing: every operation of every file must be named, a query or a
 * mutation, valid against the audience's contract (policy/contracts.ts; the full schema for an
 * audience without one) and within the operation limits the gateway enforces before running it
 * (tokens, depth, aliases, directives, root fields; the cost depends on the variables and is
 * left to run time); otherwise nothing is stored and each problem names its file, line and
 * column. Registering a document again changes nothing (or reinstates it if it was revoked);
 * a revocation keeps the row, with the time it was revoked.
 */
import { createHash } from 'node:crypto';
import {
  GraphQLError,
  Kind,
  parse,
  print,
  specifiedRules,
  validate,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { DataSource } from 'typeorm';
import { armorProtections, maxRootFieldsRule } from '../hardening/operation-limits';
import { DEFAULT_LIMITS, type OperationLimits } from '../platform/limits';

/** One operation as registered and as it runs. */
export interface TrustedOperation {
  /** Lower-case hex sha256 of `body`. */
  sha256: string;
  name: string;
  type: 'query' | 'mutation';
  body: string;
  /** The file it came from, as named when registering. */
  source: string;
}

export type RegistrationOutcome = 'registered' | 'reinstated' | 'already registered';

export interface RegisteredOperation extends TrustedOperation {
  outcome: RegistrationOutcome;
}

export interface TrustedDocumentRow {
  audience: string;
  sha256: string;
  name: string;
  type: string;
  source: string;
  registeredAt: Date;
  revokedAt: Date | null;
}

/** A registration or revocation refused; `problems` name the file, line and column of each. */
export class TrustedDocumentError extends Error {
  override name = 'TrustedDocumentError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Operation names a manifest and the log can carry (GraphQL names, bounded). */
const MAX_NAME_LENGTH = 200;

export function documentIdOf(sha256: string): string {
  return `sha256:${sha256}`;
}

export function sha256Of(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function where(source: string, error: GraphQLError): string {
  const at = error.locations?.[0];
  return at ? `${source}:${at.line}:${at.column}` : source;
}

/** The fragments an operation uses, directly or through other fragments, in the file's order. */
function fragmentsUsedBy(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): Set<string> {
  const used = new Set<string>();
  const pending: DefinitionNode[] = [operation];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const name = node.name.value;
        const fragment = fragments.get(name);
        if (!used.has(name) && fragment) {
          used.add(name);
          pending.push(fragment);
        }
      },
    });
  }
  return used;
}

/**
 * The operations of one file, each checked against `schema`. Returns the operations and the
 * problems found; a file with problems gives no operations.
 */
export function operationsOfFile(
  schema: GraphQLSchema,
  text: string,
  source: string,
  limits: OperationLimits = DEFAULT_LIMITS,
): { operations: TrustedOperation[]; problems: string[] } {
  let document: DocumentNode;
  try {
    document = parse(text, { maxTokens: limits.maxTokens });
  } catch (error) {
    return { operations: [], problems: [`${where(source, error as GraphQLError)}: ${(error as GraphQLError).message}`] };
  }
  const problems: string[] = [];
  const operations: OperationDefinitionNode[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
    else if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else problems.push(`${source}: only operations and fragments can be registered, not a ${definition.kind}`);
  }
  if (operations.length === 0 && problems.length === 0) problems.push(`${source}: no operation to register`);
  for (const operation of operations) {
    const line = operation.loc ? `${source}:${operation.loc.startToken.line}:${operation.loc.startToken.column}` : source;
    if (!operation.name) problems.push(`${line}: an operation without a name; name it (clients and the manifest know it by its name)`);
    else if (operation.name.value.length > MAX_NAME_LENGTH) problems.push(`${line}: an operation name over ${MAX_NAME_LENGTH} characters`);
    if (operation.operation === 'subscription') problems.push(`${line}: a subscription; only queries and mutations are served`);
  }
  // Against the audience's schema and the limits, as the gateway validates it: a field outside the contract does not exist.
  const rules = [...specifiedRules, ...armorProtections(limits).validationRules, maxRootFieldsRule(limits.maxRootFields)];
  for (const error of validate(schema, document, rules)) {
    problems.push(`${where(source, error)}: ${error.message.replace(/ ?Did you mean(.+?)\?$/, '')}`);
  }
  if (problems.length > 0) return { operations: [], problems };
  return {
    operations: operations.map((operation) => {
      const used = fragmentsUsedBy(operation, fragments);
      const definitions = document.definitions.filter((d) => d === operation || (d.kind === Kind.FRAGMENT_DEFINITION && used.has(d.name.value)));
      const body = print({ kind: Kind.DOCUMENT, definitions });
      return { sha256: sha256Of(body), name: operation.name!.value, type: operation.operation as 'query' | 'mutation', body, source };
    }),
    problems: [],
  };
}

/** The operations of several files, or a TrustedDocumentError with every problem of every file. */
export function operationsOfFiles(
  schema: GraphQLSchema,
  files: ReadonlyArray<{ source: string; text: string }>,
  limits: OperationLimits = DEFAULT_LIMITS,
): TrustedOperation[] {
  const operations: TrustedOperation[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const result = operationsOfFile(schema, file.text, file.source, limits);
    operations.push(...result.operations);
    problems.push(...result.problems);
  }
  const byName = new Map<string, TrustedOperation>();
  for (const operation of operations) {
    const other = byName.get(operation.name);
    if (other && other.sha256 !== operation.sha256) problems.push(`${operation.source}: operation ${operation.name} is also in ${other.source}, differently; a client names each operation once`);
    byName.set(operation.name, operation);
  }
  if (problems.length > 0) throw new TrustedDocumentError(problems);
  // The same operation in two files is one document.
  return [...new Map(operations.map((o) => [o.sha256, o])).values()];
}

/** Stores the operations for `audience` in one transaction: new ones inserted, revoked ones reinstated, others left as they are. */
export async function registerTrustedDocuments(dataSource: DataSource, audience: string, operations: readonly TrustedOperation[], now = new Date()): Promise<RegisteredOperation[]> {
  return dataSource.transaction(async (manager) => {
    const existing: Array<{ sha256: string; revoked_at: Date | null }> = await manager.query(
      `SELECT sha256, revoked_at FROM trusted_document WHERE audience = $1 AND sha256 = ANY($2) FOR UPDATE`,
      [audience, operations.map((o) => o.sha256)],
    );
    const known = new Map(existing.map((row) => [row.sha256, row.revoked_at]));
    const registered: RegisteredOperation[] = [];
    for (const operation of operations) {
      if (!known.has(operation.sha256)) {
        await manager.query(
          `INSERT INTO trusted_document (audience, sha256, body, operation_name, operation_type, source, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [audience, operation.sha256, operation.body, operation.name, operation.type, operation.source.slice(0, 300), now],
        );
        registered.push({ ...operation, outcome: 'registered' });
      } else if (known.get(operation.sha256) !== null) {
        await manager.query(`UPDATE trusted_document SET revoked_at = NULL WHERE audience = $1 AND sha256 = $2`, [audience, operation.sha256]);
        registered.push({ ...operation, outcome: 'reinstated' });
      } else {
        registered.push({ ...operation, outcome: 'already registered' });
      }
    }
    return registered;
  });
}

/** The registered documents, of one audience or all, revoked ones included (with when). */
export async function listTrustedDocuments(dataSource: DataSource, audience?: string): Promise<TrustedDocumentRow[]> {
  const rows: Array<{ audience: string; sha256: string; operation_name: string; operation_type: string; source: string; registered_at: Date; revoked_at: Date | null }> =
    await dataSource.query(
      `SELECT audience, sha256, operation_name, operation_type, source, registered_at, revoked_at FROM trusted_document
       WHERE $1::text IS NULL OR audience = $1 ORDER BY audience, operation_name, registered_at, sha256`,
      [audience ?? null],
    );
  return rows.map((r) => ({
    audience: r.audience,
    sha256: r.sha256,
    name: r.operation_name,
    type: r.operation_type,
    source: r.source,
    registeredAt: r.registered_at,
    revokedAt: r.revoked_at,
  }));
}

/** An active document that no longer passes registration's checks, and why. */
export interface InvalidTrustedDocument {
  audience: string;
  sha256: string;
  name: string;
  problems: string[];
}

/**
 * The active documents (of one audience, or all) that would not be registered today: checked
 * again against their audience's current schema (`schemaOf`; undefined for an audience the
 * gateway no longer has) and the limits. Run before deploying a contract change, it lists the
 * operations partners run that the change breaks.
 */
export async function invalidTrustedDocuments(
  dataSource: DataSource,
  schemaOf: (audience: string) => GraphQLSchema | undefined,
  limits: OperationLimits = DEFAULT_LIMITS,
  audience?: string,
): Promise<{ checked: number; invalid: InvalidTrustedDocument[] }> {
  const rows: Array<{ audience: string; sha256: string; operation_name: string; body: string }> = await dataSource.query(
    `SELECT audience, sha256, operation_name, body FROM trusted_document
      WHERE revoked_at IS NULL AND ($1::text IS NULL OR audience = $1) ORDER BY audience, operation_name, sha256`,
    [audience ?? null],
  );
  const invalid: InvalidTrustedDocument[] = [];
  for (const row of rows) {
    const schema = schemaOf(row.audience);
    const problems = schema ? operationsOfFile(schema, row.body, documentIdOf(row.sha256), limits).problems : [`the gateway has no audience ${row.audience}`];
    if (problems.length > 0) invalid.push({ audience: row.audience, sha256: row.sha256, name: row.operation_name, problems });
  }
  return { checked: rows.length, invalid };
}

/** `sha256:<hex>` or the bare hex, as the CLI accepts a document id. */
export function parseDocumentId(id: string): string | undefined {
  const hex = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/**
 * Revokes documents of `audience` (ids as `sha256:<hex>`): all of them, or — when one is not
 * registered for the audience or malformed — none, with a problem for each. Returns the ids
 * revoked now (one already revoked is not revoked again).
 */
export async function revokeTrustedDocuments(dataSource: DataSource, audience: string, ids: readonly string[], now = new Date()): Promise<string[]> {
  return dataSource.transaction(async (manager) => {
    const problems: string[] = [];
    const hexes: string[] = [];
    for (const id of ids) {
      const hex = parseDocumentId(id);
      if (hex) hexes.push(hex);
      else problems.push(`${JSON.stringify(id)}: expected a document id sha256:<64 lower-case hex digits>`);
    }
    const found: Array<{ sha256: string }> = await manager.query(`SELECT sha256 FROM trusted_document WHERE audience = $1 AND sha256 = ANY($2) FOR UPDATE`, [audience, hexes]);
    const present = new Set(found.map((r) => r.sha256));
    for (const hex of hexes) if (!present.has(hex)) problems.push(`${documentIdOf(hex)}: no such document is registered for ${audience}`);
    if (problems.length > 0) throw new TrustedDocumentError(problems);
    // TypeORM answers an UPDATE ... RETURNING with [rows, count].
    const [revoked]: [Array<{ sha256: string }>, number] = await manager.query(
      `UPDATE trusted_document SET revoked_at = $3 WHERE audience = $1 AND sha256 = ANY($2) AND revoked_at IS NULL RETURNING sha256`,
      [audience, hexes, now],
    );
    return revoked.map((r) => documentIdOf(r.sha256)).sort();
  });
}

/**
 * The operations as Apollo's persisted-query manifest (format `apollo-persisted-query-manifest`,
 * version 1: id, name, type, body): what a client needs to send each operation by its id.
 */
export function persistedQueryManifest(operations: readonly TrustedOperation[]): string {
  const sorted = [...operations].sort((a, b) => a.name.localeCompare(b.name) || a.sha256.localeCompare(b.sha256));
  return `${JSON.stringify(
    { format: 'apollo-persisted-query-manifest', version: 1, operations: sorted.map((o) => ({ id: o.sha256, name: o.name, type: o.type, body: o.body })) },
    null,
    2,
  )}\n`;
}
