/**
 * The POST of a notification against receivers that misbehave on purpose, over real sockets on
 * the loopback interface: one that never answers, one that drips its headers a line at a time
 * (never idle, so only a deadline for the whole exchange ends it), one that answers 2xx and then
 * streams a body without end, one that redirects. And outside development, no connection to an
 * address that is not public, whichever way the URL writes it, over http or https; and over
 * https, no request to a receiver whose certificate does not verify.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { EndpointRefused, postNotification } from '../../src/domains/webhooks/webhook-transport';

interface Receiver {
  url: string;
  /** The paths requested, in order. */
  requested: string[];
  /** Resolves when the connection of the first request to `path` closes, with the bytes the receiver wrote on it. */
  closed(path: string): Promise<number>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const requested: string[] = [];
  const closings = new Map<string, Promise<number>>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requested.push(req.url ?? '');
    const socket = req.socket;
    let written = 0;
    const count = (chunk: string | Buffer) => (written += Buffer.byteLength(chunk));
    if (!closings.has(req.url ?? '')) closings.set(req.url ?? '', new Promise((resolve) => socket.once('close', () => resolve(written))));
    req.resume();
    switch (req.url) {
      case '/never':
        return;
      case '/drip': {
        // Headers a line every 50 ms, never finished: the socket is never idle for long.
        const status = 'HTTP/1.1 200 OK\r\n';
        socket.write(status);
        count(status);
        const timer = setInterval(() => socket.write('x-drip: 1\r\n', () => count('x-drip: 1\r\n')), 50);
        socket.once('close', () => clearInterval(timer));
        return;
      }
      case '/endless': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const block = Buffer.alloc(64 * 1024, 120);
        const pump = () => {
          while (!res.destroyed && res.write(block)) count(block);
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      case '/redirect':
        res.writeHead(307, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/redirected` });
        return res.end();
      default:
        res.statusCode = 204;
        return res.end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    closed: (path) => closings.get(path) ?? Promise.reject(new Error(`no request to ${path}`)),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('webhook transport: what a receiver can and cannot do to the worker', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver();
  });
  afterAll(() => rx.close());

  const post = (path: string, timeoutMs: number) => postNotification(rx.url + path, '{}', { 'content-type': 'application/json' }, { timeoutMs, allowLocal: true });

  it('gives up on a receiver that never answers once the deadline passes, and closes the connection', async () => {
    await expect(post('/never', 300)).rejects.toMatchObject({ name: 'TimeoutError' });
    await rx.closed('/never');
  });

  it('gives up on a receiver that drips its headers, never idle: the deadline is for the whole exchange', async () => {
    await expect(post('/drip', 300)).rejects.toMatchObject({ name: 'TimeoutError' });
    await rx.closed('/drip');
  });

  it('takes the status of a receiver that answers 2xx and streams without end, and hangs up without waiting for the deadline', async () => {
    // A deadline far beyond the test's own timeout: only hanging up early lets the connection close in time.
    await expect(post('/endless', 10 * 60_000)).resolves.toBe(200);
    const written = await rx.closed('/endless');
    // What the receiver managed to write before the hang-up: socket buffers, not a stream read to its end.
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('follows no redirect: the 307 is the answer, and its target is never called', async () => {
    await expect(post('/redirect', 5_000)).resolves.toBe(307);
    expect(rx.requested).not.toContain('/redirected');
  });

  it.each([
    ['a name that resolves to loopback, over https', (port: string) => `https://localhost:${port}/hook`],
    ['a name that resolves to loopback, over http', (port: string) => `http://localhost:${port}/hook`],
    ['an IPv4-mapped IPv6 loopback address', (port: string) => `https://[::ffff:127.0.0.1]:${port}/hook`],
    ['loopback as one decimal number', (port: string) => `http://2130706433:${port}/hook`],
    ['loopback in hex and octal parts', (port: string) => `http://0x7f.0.0.01:${port}/hook`],
    ['0.0.0.0', (port: string) => `http://0.0.0.0:${port}/hook`],
    ['IPv6 loopback', (port: string) => `http://[::1]:${port}/hook`],
  ])('outside development, calls no endpoint at %s', async (_label, url) => {
    const before = rx.requested.length;
    await expect(postNotification(url(new URL(rx.url).port), '{}', {}, { timeoutMs: 5_000, allowLocal: false })).rejects.toBeInstanceOf(EndpointRefused);
    expect(rx.requested.length).toBe(before);
  });

  it('sends nothing to an https receiver whose certificate does not verify (self-signed here): the body never leaves', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ntk-webhook-tls-'));
    const bodies: string[] = [];
    let server: https.Server | undefined;
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'self.key', '-out', 'self.crt', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server = https.createServer({ key: readFileSync(path.join(dir, 'self.key')), cert: readFileSync(path.join(dir, 'self.crt')) }, (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          bodies.push(body);
          res.statusCode = 204;
          res.end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      await expect(postNotification(url, '{"secret":"payload"}', {}, { timeoutMs: 5_000, allowLocal: true })).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(bodies).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
