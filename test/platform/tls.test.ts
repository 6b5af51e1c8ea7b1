/**
 * Encryption in transit, with certificates this test makes (openssl): the gateway serves HTTPS
 * with a certificate and key and nothing in plain text on that port; production will not serve
 * plain HTTP unless a proxy in front encrypts; and the gateway's connections to a PostgreSQL
 * that serves TLS are encrypted and checked (verify-full: chain and name; verify-ca: chain).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PostgresCluster } from '../../faults/postgres-cluster';
import { ConfigError, loadConfig } from '../../src/platform/config';
import { createDataSource } from '../../src/data-source';
import { createListener, databaseSslOptions } from '../../src/platform/tls';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-tls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA, and a certificate it signs for `altNames` (e.g. IP:127.0.0.1). */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
    '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}
function makeLeaf(name: string, ca: string, altNames: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  fs.writeFileSync(file(`${name}.ext`), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

beforeAll(() => {
  makeCa('test-ca');
  makeCa('other-ca');
  makeLeaf('loopback', 'test-ca', 'IP:127.0.0.1');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('HTTPS', () => {
  const served = (config: Parameters<typeof createListener>[0]) => {
    const server = createListener(config, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('over tls');
    });
    return new Promise<http.Server>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  };
  const close = (server: http.Server) => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };

  it('serves HTTPS with the certificate it is given, and nothing to a plain-text client', async () => {
    const config = loadConfig({ NODE_ENV: 'test', TLS_CERT_FILE: file('loopback.crt'), TLS_KEY_FILE: file('loopback.key') });
    const server = await served(config);
    const port = (server.address() as AddressInfo).port;
    try {
      const answer = await new Promise<{ status?: number; body: string; protocol: string; peer: string }>((resolve, reject) => {
        const req = https.get({ host: '127.0.0.1', port, path: '/', ca: fs.readFileSync(file('test-ca.crt')), agent: false }, (res) => {
          const socket = res.socket as import('node:tls').TLSSocket;
          const protocol = socket.getProtocol() ?? '';
          const peer = socket.getPeerCertificate().subject.CN as string;
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode, body, protocol, peer }));
        });
        req.on('error', reject);
      });
      expect(answer).toEqual({ status: 200, body: 'over tls', protocol: expect.stringMatching(/^TLSv1\.[23]$/), peer: 'loopback' });
      // A client that does not trust the CA refuses the server.
      await expect(new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/', ca: fs.readFileSync(file('other-ca.crt')), agent: false }, resolve).on('error', reject))).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
      // Plain HTTP to the same port gets no answer in plain text.
      const plain = await new Promise<string>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => resolve(`status ${res.statusCode}`)).on('error', (e) => resolve(`error ${e.message}`));
      });
      expect(plain).toMatch(/^(error|status 400)/);
    } finally {
      await close(server);
    }
  });

  it('production refuses to serve plain HTTP unless a proxy in front encrypts; both TLS files or neither', () => {
    const production = { NODE_ENV: 'production', BEHAVIOR_PSEUDONYM_KEY: 'b'.repeat(40), CURSOR_SECRET: 'c'.repeat(40), PRIVACY_SECRET: 'p'.repeat(40), SMTP_URL: 'smtp://mail.example:587', WEBHOOK_SECRET_KEY: 'w'.repeat(40) };
    const config = loadConfig(production);
    expect(() => createListener(config, () => undefined)).toThrow(ConfigError);
    expect(() => createListener(config, () => undefined)).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE: required in production/);
    expect(createListener(loadConfig({ ...production, TLS_TERMINATED_BY_PROXY: 'true' }), () => undefined)).toBeInstanceOf(http.Server);
    expect(() => loadConfig({ TLS_CERT_FILE: file('loopback.crt') })).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE: set both/);
  });
});

describe('TLS to PostgreSQL', () => {
  let cluster: PostgresCluster;

  beforeAll(async () => {
    cluster = await PostgresCluster.create({
      log: () => undefined,
      tls: { certPem: fs.readFileSync(file('loopback.crt'), 'utf8'), keyPem: fs.readFileSync(file('loopback.key'), 'utf8') },
    });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  /** Connects as the gateway would with `env`, and reports whether the session is encrypted. */
  async function sessionOver(host: string, env: Record<string, string>): Promise<boolean> {
    const config = loadConfig({ NODE_ENV: 'test', ...env });
    const dataSource = createDataSource({ url: `postgres://postgres@${host}:${cluster.port}/postgres`, poolSize: 1, ssl: databaseSslOptions(config.databaseTls) });
    try {
      await dataSource.initialize();
      const [row] = await dataSource.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return row.ssl as boolean;
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  }

  it('verify-full: encrypted, the chain and the name checked', async () => {
    expect(await sessionOver('127.0.0.1', { DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_ROOT_CERT: file('test-ca.crt') })).toBe(true);
  });

  it('verify-full refuses a server whose certificate another CA signed, or that names another host', async () => {
    await expect(sessionOver('127.0.0.1', { DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_ROOT_CERT: file('other-ca.crt') })).rejects.toThrow(/certificate|self[- ]signed|verify/i);
    // The certificate names 127.0.0.1 only.
    await expect(sessionOver('localhost', { DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_ROOT_CERT: file('test-ca.crt') })).rejects.toThrow(/Hostname\/IP does not match|altnames/i);
  });

  it('verify-ca checks the chain but not the name; require encrypts; disable does not', async () => {
    expect(await sessionOver('localhost', { DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_ROOT_CERT: file('test-ca.crt') })).toBe(true);
    await expect(sessionOver('localhost', { DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_ROOT_CERT: file('other-ca.crt') })).rejects.toThrow(/certificate|self[- ]signed|verify/i);
    expect(await sessionOver('127.0.0.1', { DATABASE_SSL_MODE: 'require' })).toBe(true);
    expect(await sessionOver('127.0.0.1', { DATABASE_SSL_MODE: 'disable' })).toBe(false);
  });

  it('refuses settings that cannot verify what they promise', () => {
    expect(() => loadConfig({ DATABASE_SSL_MODE: 'verify-full' })).toThrow(/DATABASE_SSL_ROOT_CERT: required with DATABASE_SSL_MODE=verify-full/);
    expect(() => loadConfig({ DATABASE_SSL_MODE: 'prefer' })).toThrow(/DATABASE_SSL_MODE: expected one of disable, require, verify-ca, verify-full/);
    expect(() => loadConfig({ DATABASE_SSL_MODE: 'require', DATABASE_URL: 'postgres://h/db?sslmode=disable' })).toThrow(/leave ssl parameters out/);
  });

  // Last in this block (afterAll's destroy then finds nothing running). A timer left pending by
  // destroy() would keep the test worker alive after its last file.
  it('destroying the cluster stops the server and leaves no timer behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await cluster.destroy();
    expect(cluster.pid).toBeUndefined();
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
