/**
 * GraphQL Code Generator (its typescript-operations plugin, from npm) over the
 * committed carrier contract, with the scalar mapping the README gives: the generated types of
 * a manifest query are non-null where the contract promises a value, nullable where it may be
 * empty, and its scalars are strings, never `any`. The generated code is type-checked with a
 * client's use of it, and a misuse is a type error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as operationsPlugin from '@graphql-codegen/typescript-operations';
import { parse } from 'graphql';
import ts from 'typescript';

const CONTRACT = readFileSync(path.resolve(__dirname, '../../contracts/logistics_partner.graphql'), 'utf8');
const MANIFEST = `query Manifest($after: String) {
  shipments(first: 100, after: $after) {
    nodes { id status createdAt trackingNumber deliveredAt events { eventTime: occurredAt location } order { orderNumber } }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function generate(): Promise<string> {
  return codegen({
    filename: 'carrier.ts',
    schema: parse(CONTRACT),
    documents: [{ location: 'manifest.graphql', document: parse(MANIFEST) }],
    plugins: [{ typescriptOperations: {} }],
    pluginMap: { typescriptOperations: operationsPlugin },
    config: { scalars: { DateTimeISO: { input: 'string', output: 'string' }, Decimal: { input: 'string', output: 'string' } }, strictScalars: true },
  });
}

/** Type errors of `files` compiled together, strict. */
function typeErrors(files: Record<string, string>): string[] {
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => (name in files ? ts.createSourceFile(name, files[name]!, version) : read(name, version));
  host.fileExists = ((exists) => (name: string) => name in files || exists(name))(host.fileExists.bind(host));
  host.directoryExists = ((exists) => (name: string) => name === '/virtual' || (exists ? exists(name) : true))(host.directoryExists?.bind(host));
  const program = ts.createProgram(Object.keys(files), options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('GraphQL Code Generator over the carrier contract', () => {
  let generated: string;
  beforeAll(async () => {
    generated = await generate();
  });

  it('types what the contract promises: non-null where always present, nullable where it may be empty, scalars as strings', () => {
    expect(generated).not.toMatch(/\bany\b/);
    const manifest = generated.slice(generated.indexOf('export type ManifestQuery ='));
    expect(manifest).toMatch(/status: ShipmentStatus, createdAt: string, trackingNumber: string \| null, deliveredAt: string \| null/);
    expect(manifest).toMatch(/events: Array<\{ location: string, eventTime: string \}> \| null/);
    expect(manifest).toMatch(/order: \{ orderNumber: string \} \| null/);
  });

  it("type-checks a client's use of the generated types, and refuses a misuse", () => {
    const use = (body: string) => ({ '/virtual/carrier.ts': generated, '/virtual/use.ts': `import type { ManifestQuery } from './carrier';\ndeclare const data: ManifestQuery;\n${body}\n` });
    expect(typeErrors(use(`const first = data.shipments.nodes[0]!;\nconst when: Date = new Date(first.createdAt);\nconst label: string = first.status;\nconst tracking: string = first.trackingNumber ?? 'none';\nexport { when, label, tracking };`))).toEqual([]);
    // A nullable field used as if always present, and a scalar used as a number.
    expect(typeErrors(use(`const t: string = data.shipments.nodes[0]!.trackingNumber;\nexport { t };`)).join('\n')).toMatch(/null/);
    expect(typeErrors(use(`const n: number = data.shipments.nodes[0]!.createdAt;\nexport { n };`)).join('\n')).toMatch(/string.*number/);
    // Three TypeScript programs with the standard library: slow on a busy machine.
  }, 120_000);
});
