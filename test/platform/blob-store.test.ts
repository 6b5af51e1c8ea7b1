/**
 * The blob store contract (platform/blob-store.ts), run on both implementations: the local
 * directory, and the S3 client against an S3-compatible server (s3rver, from npm) behind a
 * proxy that checks every request's AWS Signature Version 4 with its own implementation of the
 * specification — s3rver itself does not check V4 signatures, so without the proxy a client
 * that signed wrongly would pass.
 */
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { BlobStore } from '../../src/platform/blob-store';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { S3BlobStore } from '../../src/platform/blob-store-s3';

const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const BUCKET = 'attachments';
const REGION = 'eu-west-1';

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Whether `req` carries a valid SigV4 signature by ACCESS_KEY/SECRET_KEY for REGION and service
 * s3, and a payload hash that matches `body` (or says UNSIGNED-PAYLOAD). Written from AWS's
 * specification ("Create a signed AWS API request"), not from the SDK.
 */
function signatureProblem(req: http.IncomingMessage, body: Buffer): string | undefined {
  const auth = req.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!match) return `not a SigV4 authorization: ${auth}`;
  const [, accessKey, day, region, signedHeaders, signature] = match;
  if (accessKey !== ACCESS_KEY) return `unknown access key ${accessKey}`;
  if (region !== REGION) return `signed for region ${region}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day)) return 'x-amz-date is not the credential day';
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256Hex(body)) return 'the payload hash does not match the body';
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  const url = new URL(req.url ?? '/', 'http://proxy.invalid');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = names.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, url.pathname, query, headers, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET_KEY}`, day), region), 's3'), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  return expected === signature ? undefined : 'signature mismatch';
}

/**
 * A proxy to `target` that answers 403 SignatureDoesNotMatch to any request not signed right, and
 * 503 SlowDown to the next `busy` requests, as a loaded S3 does.
 */
async function verifyingProxy(target: string): Promise<{ url: string; refused: string[]; busy: number; close(): Promise<void> }> {
  const refused: string[] = [];
  const proxy = { busy: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (proxy.busy > 0) {
        proxy.busy -= 1;
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        return;
      }
      const problem = signatureProblem(req, body);
      if (problem) {
        refused.push(problem);
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>${problem}</Message></Error>`);
        return;
      }
      const forward = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function keysOf(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const blob of store.list(prefix)) keys.push(blob.key);
  return keys.sort();
}

/** s3rver with the bucket, in `dir`, behind a signature-checking proxy. */
async function checkedS3(dir: string): Promise<Awaited<ReturnType<typeof verifyingProxy>> & { stop(): Promise<void> }> {
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = await server.run();
  const proxy = await verifyingProxy(`http://127.0.0.1:${port}`);
  return Object.assign(proxy, {
    async stop() {
      await proxy.close();
      await server.close();
    },
  });
}

function fileIn(dir: string, name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

describe.each([['a local directory'], ['an S3-compatible server']])('the blob store on %s', (where) => {
  let store: BlobStore;
  let scratch: string;
  let cleanup: () => Promise<void>;
  let proxy: Awaited<ReturnType<typeof checkedS3>> | undefined;
  const file = (name: string, content: Buffer) => fileIn(scratch, name, content);

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-store-'));
    if (where === 'a local directory') {
      const root = path.join(scratch, 'blobs');
      store = new FileSystemBlobStore(root);
      cleanup = async () => undefined;
    } else {
      proxy = await checkedS3(path.join(scratch, 's3'));
      const s3 = new S3BlobStore({ kind: 's3', bucket: BUCKET, prefix: 'gateway/', endpoint: proxy.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
      store = s3;
      cleanup = async () => {
        s3.close();
        await proxy!.stop();
      };
    }
  });
  afterAll(async () => {
    await cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('stores a file under a key and streams it back byte for byte', async () => {
    const content = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await store.put('after-sales/case-a/one', file('one', content), content.length);
    const back = await store.get('after-sales/case-a/one');
    expect(back).toBeDefined();
    expect((await readAll(back!)).equals(content)).toBe(true);
    if (proxy) expect(proxy.refused).toEqual([]);
  });

  it('answers undefined for a key it does not hold, and deletes without complaint what is not there', async () => {
    expect(await store.get('after-sales/case-a/none')).toBeUndefined();
    await expect(store.delete('after-sales/case-a/none')).resolves.toBeUndefined();
  });

  it('lists what is under a prefix with when it was written, and forgets what it deleted', async () => {
    const before = Date.now() - 60_000;
    await store.put('after-sales/case-b/two', file('two', Buffer.from('two')), 3);
    await store.put('other/three', file('three', Buffer.from('three')), 5);
    const listed: Array<{ key: string; writtenAt: Date }> = [];
    for await (const blob of store.list('after-sales/')) listed.push(blob);
    expect(listed.map((b) => b.key).sort()).toEqual(['after-sales/case-a/one', 'after-sales/case-b/two']);
    for (const blob of listed) expect(blob.writtenAt.getTime()).toBeGreaterThan(before);
    await store.delete('after-sales/case-b/two');
    expect(await keysOf(store, 'after-sales/')).toEqual(['after-sales/case-a/one']);
    expect(await store.get('after-sales/case-b/two')).toBeUndefined();
  });

  it('refuses keys that could be read two ways', async () => {
    for (const key of ['../etc/passwd', 'after-sales/../x', '/abs', 'Upper/Case', 'a//b', '', 'a/./b']) {
      await expect(store.get(key)).rejects.toThrow(/expected a key of lowercase segments/);
    }
  });
});

describe('the S3 client against a server that checks it', () => {
  let scratch: string;
  let proxy: Awaited<ReturnType<typeof checkedS3>>;
  const storeWith = (secretAccessKey: string) =>
    new S3BlobStore({ kind: 's3', bucket: BUCKET, prefix: '', endpoint: proxy.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey } });
  const file = (name: string, content: string) => fileIn(scratch, name, content);

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-store-'));
    proxy = await checkedS3(path.join(scratch, 's3'));
  });
  afterAll(async () => {
    await proxy.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('signs with the credentials it is given: with the wrong secret it is refused', async () => {
    const wrong = storeWith('not-the-secret');
    try {
      await expect(wrong.put('after-sales/x', file('x', 'x'), 1)).rejects.toThrow();
      expect(proxy.refused).toEqual(['signature mismatch']);
    } finally {
      wrong.close();
    }
  });

  it('sends an upload again from its file when the store is busy at first, and stores it whole', async () => {
    const right = storeWith(SECRET_KEY);
    try {
      proxy.busy = 2;
      await right.put('after-sales/busy', file('busy', 'sent again from the file'), 24);
      expect(proxy.busy).toBe(0);
      expect((await readAll((await right.get('after-sales/busy'))!)).toString()).toBe('sent again from the file');
    } finally {
      right.close();
    }
  });
});
