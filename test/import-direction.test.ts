/**
 * The import direction of src/ (docs/architecture.md): a folder imports only folders below it.
 *
 *   main                            process entry (CLI)
 *   server, seed                    composition root; demo data
 *   http, schema-file               transport
 *   execution, schema, console      routing and the executors; the schema's resolver list; the console's assets
 *   context, data-source            per-request state; the data source with every entity
 *   retention                       the retention job and its plans
 *   privacy/handlers                the privacy-handler registry: each table's export, erasure, retention
 *   domains                         business code
 *   idempotency, mail               idempotent writes; the mail outbox and its worker
 *   audit, hardening                the audit log; limits
 *   enforcement                     shield rules, argument rules, contract check, scoped loaders
 *   auth, privacy                   authentication; desensitizing and redaction (privacy/ but its handlers)
 *   policy                          pure policy: vocabulary, matrix, classification, scope SQL
 *   platform                        database, errors, logging: no domain
 *
 * Type-only imports of the request context are allowed from anywhere: it is the contract
 * between the layers that read request state. Every other arrow against the direction is listed
 * below with its reason; a new one fails this test.
 */
import fs from 'node:fs';
import path from 'node:path';

const LAYERS: readonly (readonly string[])[] = [
  ['platform'],
  ['policy'],
  ['auth', 'privacy'],
  ['enforcement'],
  ['audit', 'hardening'],
  ['idempotency', 'mail'],
  ['integration'],
  ['domains'],
  ['privacy/handlers'],
  ['retention'],
  ['context', 'data-source'],
  ['execution', 'schema', 'console'],
  ['http', 'schema-file'],
  ['server', 'seed'],
  ['main'],
];

/** Arrows against the direction that are known, each with why it is still there. */
const KNOWN: Readonly<Record<string, string>> = {
  'privacy/handlers/registry.ts -> retention': "names the retention job's own run table among the tables that hold no personal data",
  // The request workflow (codes, deadlines, status) lives with its domain, and carries out an
  // access or erasure request through the registry's export and erasure plans; the resolver
  // shares its types. Moving the workflow above privacy/handlers would end both arrows.
  'domains/privacy-requests/export-download.ts -> privacy/handlers': 'builds the access export the download link answers with, from the registry',
  'domains/privacy-requests/privacy-rights.ts -> privacy/handlers': "carries out access and erasure requests through the registry's export and erasure plans",
};

const SRC = path.join(__dirname, '..', 'src');

function layerOf(file: string): string {
  const [first, second] = path.relative(SRC, file).split(path.sep);
  // The privacy handlers read and erase every domain's data; the rest of privacy/ serves the domains.
  if (first === 'privacy' && second === 'handlers') return 'privacy/handlers';
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
}

function rankOf(layer: string): number {
  const rank = LAYERS.findIndex((names) => names.includes(layer));
  if (rank < 0) throw new Error(`src/${layer} is in no layer of test/import-direction.test.ts: place it`);
  return rank;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every arrow against the direction: `file -> layer`. */
function arrowsAgainstDirection(): string[] {
  const arrows = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/^import\s+(type\s+)?[^;]*?from '(\.[^']+)'/gms)) {
      const to = layerOf(path.resolve(path.dirname(file), m[2]));
      if (to === from || (m[1] && to === 'context')) continue;
      if (rankOf(to) >= rankOf(from)) arrows.add(`${path.relative(SRC, file)} -> ${to}`);
    }
  }
  return [...arrows].sort();
}

describe('import direction', () => {
  it('places every folder of src/ in a layer', () => {
    const folders = fs.readdirSync(SRC).map((name) => (name.endsWith('.ts') ? name.slice(0, -3) : name));
    expect(folders.filter((f) => !LAYERS.some((names) => names.includes(f)))).toEqual([]);
  });

  it('has no arrow against the direction but the known ones', () => {
    expect(arrowsAgainstDirection()).toEqual(Object.keys(KNOWN).sort());
  });

  it('reads imports at all (a pattern that matched nothing would pass the test above)', () => {
    const text = fs.readFileSync(path.join(SRC, 'server.ts'), 'utf8');
    expect([...text.matchAll(/^import\s+(type\s+)?[^;]*?from '(\.[^']+)'/gms)].length).toBeGreaterThan(10);
  });
});
