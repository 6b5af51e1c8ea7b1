/**
 * Encryption in transit (privacy policy: personal data is encrypted in transit).
 *
 * - Callers: with TLS_CERT_FILE and TLS_KEY_FILE the gateway serves HTTPS only (TLS 1.2 or
 *   newer); without them, plain HTTP, which production accepts only with
 *   TLS_TERMINATED_BY_PROXY=true (a proxy in front encrypts).
 * - PostgreSQL: DATABASE_SSL_MODE as libpq's sslmode. `verify-full` checks the server's
 *   certificate against DATABASE_SSL_ROOT_CERT and its name against the host connected to;
 *   `verify-ca` the chain only; `require` encrypts without checking who answers; `disable`
 *   never encrypts. A client certificate (DATABASE_SSL_CERT, DATABASE_SSL_KEY) is sent when given.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError, type Config, type DatabaseTls } from './config';

/** The `ssl` option of pg's connections for `tls`; undefined leaves it to the connection string. */
export function databaseSslOptions(tls: DatabaseTls | undefined): false | ConnectionOptions | undefined {
  if (!tls) return undefined;
  if (tls.mode === 'disable') return false;
  const client = tls.certFile ? { cert: readPem(tls.certFile, 'DATABASE_SSL_CERT'), key: readPem(tls.keyFile!, 'DATABASE_SSL_KEY') } : {};
  if (tls.mode === 'require') return { rejectUnauthorized: false, ...client };
  const ca = readPem(tls.rootCertFile!, 'DATABASE_SSL_ROOT_CERT');
  if (tls.mode === 'verify-ca') return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined, ...client };
  return { ca, rejectUnauthorized: true, ...client };
}

function readPem(file: string, variable: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** The server `serve` listens with: HTTPS when the configuration names a certificate and key. */
export function createListener(config: Pick<Config, 'tls' | 'tlsTerminatedByProxy' | 'nodeEnv'>, listener: http.RequestListener): http.Server {
  if (config.tls) {
    return https.createServer(
      { cert: readPem(config.tls.certFile, 'TLS_CERT_FILE'), key: readPem(config.tls.keyFile, 'TLS_KEY_FILE'), minVersion: 'TLSv1.2' },
      listener,
    );
  }
  if (config.nodeEnv === 'production' && !config.tlsTerminatedByProxy) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE: required in production to serve HTTPS (or TLS_TERMINATED_BY_PROXY=true when a proxy in front encrypts)');
  }
  return http.createServer(listener);
}
