/**
 * The compliance console (console/, built by Vite into dist/console) as the gateway serves it at
 * /console: the built files, read into memory once at start-up (only those files can be served:
 * no path from a request ever reaches the file system), and — in development only — a sign-in
 * that mints a compliance officer's token.
 *
 * The console holds no data of its own: every page calls /graphql with the officer's bearer
 * token, so what it shows is row-scoped, field-ruled and audited like any other caller's reads.
 * That includes the disclosure matrix its "Who sees what" page shows (`Query.disclosureMatrix`):
 * it names every field, those hidden from partners' contracts among them, so it is the matrix's
 * to give, and it gives it to compliance officers only.
 *
 * Every answer carries a Content-Security-Policy that lets the page load and call only its own
 * origin (no third-party request can leave the browser), refuses framing, and sends no referrer.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type http from 'node:http';

export const CONSOLE_PATH = '/console';
export const DEV_SIGN_IN_PATH = `${CONSOLE_PATH}/api/dev-sign-in`;

export interface ConsoleOptions {
  /** The directory Vite built the console into (dist/console). */
  directory: string;
  /** Development only: mints a compliance officer's token for the sign-in page's button. Absent in production. */
  devSignIn?: () => Promise<string>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

interface Asset {
  body: Buffer;
  /** The body gzipped once at start-up, when that is smaller. */
  gzipped?: Buffer;
  type: string;
  etag: string;
  /** Hashed file names (assets/…) never change: cached for a year; index.html is revalidated. */
  immutable: boolean;
}

function asset(body: Buffer, type: string, immutable: boolean): Asset {
  const gzipped = gzipSync(body, { level: 9 });
  return { body, ...(gzipped.length < body.length * 0.9 ? { gzipped } : {}), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, immutable };
}

function filesUnder(directory: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(directory, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(prefix, entry.name);
    return entry.isDirectory() ? filesUnder(directory, relative) : entry.isFile() ? [relative] : [];
  });
}

/**
 * Whether a Host header names the loopback interface: localhost, an address in 127.0.0.0/8 or
 * [::1], with any port. A page served from another name that resolves to the machine (DNS
 * rebinding) sends its own name, and is not.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  const parts = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(host ?? '');
  if (!parts) return false;
  const hostname = parts[1]!.toLowerCase();
  const ipv4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  return hostname === 'localhost' || hostname === '[::1]' || (ipv4 !== null && ipv4.slice(1).every((octet) => Number(octet) <= 255));
}

export class ConsoleAssets {
  private constructor(
    private readonly assets: ReadonlyMap<string, Asset>,
    private readonly index: Asset,
    private readonly devSignIn: (() => Promise<string>) | undefined,
  ) {}

  /** Reads the built console; fails with what to run when it has not been built. */
  static async load(options: ConsoleOptions): Promise<ConsoleAssets> {
    const indexFile = path.join(options.directory, 'index.html');
    if (!fs.existsSync(indexFile)) {
      throw new Error(`the compliance console is not built: ${indexFile} is missing (run "npm run build:console")`);
    }
    const assets = new Map<string, Asset>();
    for (const file of filesUnder(options.directory)) {
      const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
      assets.set(`${CONSOLE_PATH}/${file}`, asset(fs.readFileSync(path.join(options.directory, file)), type, file.startsWith('assets/')));
    }
    return new ConsoleAssets(assets, assets.get(`${CONSOLE_PATH}/index.html`)!, options.devSignIn);
  }

  /** Whether a path is the console's: /console and everything under it. */
  handles(pathname: string): boolean {
    return pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`);
  }

  async serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) res.setHeader(name, value);
    if (url.pathname === DEV_SIGN_IN_PATH) return this.signIn(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed\n');
      return;
    }
    // The console routes by the URL's fragment: every path that is not a file is the page itself.
    const found = this.assets.get(url.pathname) ?? (url.pathname.startsWith(`${CONSOLE_PATH}/assets/`) || url.pathname.startsWith(`${CONSOLE_PATH}/api/`) ? undefined : this.index);
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found\n');
      return;
    }
    res.setHeader('etag', found.etag);
    res.setHeader('cache-control', found.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.headers['if-none-match'] === found.etag) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.setHeader('vary', 'accept-encoding');
    const gzip = found.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? found.gzipped! : found.body;
    res.writeHead(200, { 'content-type': found.type, 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** POST only (a page cannot be tricked into it by a link), and only where a development signer was given. */
  private async signIn(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.devSignIn) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'Development sign-in is off: sign in with a bearer token from the identity provider' }));
      return;
    }
    // A page on another name that resolves to this machine (DNS rebinding) sends that name: only a loopback Host is answered.
    if (!isLoopbackHost(req.headers.host)) {
      res.writeHead(403, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: 'Development sign-in answers only on a loopback address (Host localhost, 127.0.0.1 or [::1])', extensions: { code: 'FORBIDDEN' } }] }));
      return;
    }
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'Use POST with content-type application/json' }));
      return;
    }
    const token = await this.devSignIn();
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ token }));
  }
}
