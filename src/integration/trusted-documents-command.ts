/**
 * `need-to-know trusted-documents register | list | revoke`: the command line over
 * trusted-documents.ts. Each prints one line per document on stdout; a refusal throws
 * TrustedDocumentError naming every problem, and nothing is stored.
 */
import fs from 'node:fs';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { OperationLimits } from '../platform/limits';
import {
  documentIdOf,
  invalidTrustedDocuments,
  listTrustedDocuments,
  operationsOfFiles,
  parseDocumentId,
  persistedQueryManifest,
  registerTrustedDocuments,
  revokeTrustedDocuments,
  TrustedDocumentError,
} from './trusted-documents';

export interface RegisterOptions {
  audience: string;
  /** The audience's schema: its contract, or the full schema for an audience without one. */
  schema: GraphQLSchema;
  files: readonly string[];
  /** The operation limits the gateway enforces (config.limits). */
  limits: OperationLimits;
  /** Where to write the persisted-query manifest of the operations registered. */
  manifest?: string;
  /** Check and print (and write the manifest) without storing anything: no database needed. */
  dryRun?: boolean;
  /** Opens the database, only when something is to be stored. */
  open(): Promise<{ dataSource: DataSource; close(): Promise<void> }>;
  out(line: string): void;
}

export async function runRegister(options: RegisterOptions): Promise<void> {
  if (options.files.length === 0) throw new TrustedDocumentError(['name at least one .graphql file to register']);
  const files = options.files.map((source) => {
    try {
      return { source, text: fs.readFileSync(source, 'utf8') };
    } catch (error) {
      throw new TrustedDocumentError([`${source}: cannot read it: ${(error as Error).message}`]);
    }
  });
  const operations = operationsOfFiles(options.schema, files, options.limits);
  if (options.dryRun) {
    for (const o of operations) options.out(`valid               ${documentIdOf(o.sha256)}  ${o.type} ${o.name}  (${o.source})`);
  } else {
    const db = await options.open();
    try {
      const registered = await registerTrustedDocuments(db.dataSource, options.audience, operations);
      for (const o of registered) options.out(`${o.outcome.padEnd(19)} ${documentIdOf(o.sha256)}  ${o.type} ${o.name}  (${o.source})`);
    } finally {
      await db.close();
    }
  }
  if (options.manifest) fs.writeFileSync(options.manifest, persistedQueryManifest(operations));
}

export async function runList(dataSource: DataSource, audience: string | undefined, out: (line: string) => void): Promise<void> {
  for (const d of await listTrustedDocuments(dataSource, audience)) {
    const state = d.revokedAt ? `revoked ${d.revokedAt.toISOString()}` : 'active';
    out(`${d.audience}  ${documentIdOf(d.sha256)}  ${d.type} ${d.name}  (${d.source})  registered ${d.registeredAt.toISOString()}  ${state}`);
  }
}

export async function runRevoke(dataSource: DataSource, audience: string, ids: readonly string[], out: (line: string) => void): Promise<void> {
  if (ids.length === 0) throw new TrustedDocumentError(['name at least one document id (sha256:<hex>) to revoke']);
  const revoked = new Set(await revokeTrustedDocuments(dataSource, audience, ids));
  for (const id of ids.map((given) => documentIdOf(parseDocumentId(given)!))) out(`${revoked.has(id) ? 'revoked' : 'already revoked'}  ${id}`);
}

/**
 * Checks every active document against its audience's current schema and the limits; prints the
 * ones that no longer pass, with why, and returns how many (the command exits 1 when any).
 */
export async function runCheck(
  dataSource: DataSource,
  schemaOf: (audience: string) => GraphQLSchema | undefined,
  limits: OperationLimits,
  audience: string | undefined,
  out: (line: string) => void,
): Promise<number> {
  const { checked, invalid } = await invalidTrustedDocuments(dataSource, schemaOf, limits, audience);
  for (const d of invalid) for (const problem of d.problems) out(`invalid  ${d.audience}  ${d.name}  ${problem}`);
  out(`${checked} active document${checked === 1 ? '' : 's'} checked, ${invalid.length} no longer valid`);
  return invalid.length;
}
