/**
 * The process environment, parsed once into a frozen, typed object.
 *
 * Every setting is read here and nowhere else, so a misspelt or malformed variable fails the
 * process at start-up with a message that names the variable, what it expected and what it got.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proxyAddr from 'proxy-addr';

export type NodeEnv = 'development' | 'test' | 'production';

export interface Config {
  readonly nodeEnv: NodeEnv;
  /** PostgreSQL connection string; when absent an embedded PostgreSQL is started under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  /** Size of the pg connection pool per process. */
  readonly dbPoolSize: number;
  /** Server-side `statement_timeout` for every connection, in milliseconds. */
  readonly statementTimeoutMs: number;
  /** How long a request waits for a database connection (new, or a free one of a full pool), in milliseconds. */
  readonly dbConnectTimeoutMs: number;
  /** Master secret of the daily visitor-pseudonym keys (behaviour data). */
  readonly behaviorPseudonymKey: string;
  /**
   * BEHAVIOR_PSEUDONYM_KEY_PREVIOUS and BEHAVIOR_PSEUDONYM_KEY_SINCE: the master it replaced, which
   * still pseudonymizes the days before `since` (the first UTC day under the current one).
   */
  readonly behaviorPseudonymRotation: { readonly previousKey: string; readonly since: string } | undefined;
  /** Secret the key that seals pagination cursors and attachment links is derived from. */
  readonly cursorSecret: string;
  /** CURSOR_SECRET_PREVIOUS: secrets it replaced, whose cursors and links still open until they expire. */
  readonly previousCursorSecrets: readonly string[];
  /** Browser origins allowed to call (CORS_ORIGINS, comma-separated); none by default. */
  readonly corsOrigins: readonly string[];
  /** Shared rate-limit store for several replicas; in-process memory when unset. */
  readonly redisUrl: string | undefined;
  readonly limits: {
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxRootFields: number;
    readonly maxTokens: number;
    readonly maxDirectives: number;
    readonly maxCost: number;
  };
  readonly rateLimits: {
    readonly fieldsPerMinute: number;
    readonly missesPerMinute: number;
    readonly behaviorEventsPerMinute: number;
    readonly refusalsPerMinute: number;
    readonly unauthenticatedPerMinute: number;
    readonly uploadsPerHour: number;
    readonly uploadBytesPerHour: number;
  };
  /** TRUSTED_PROXIES: the proxies in front whose X-Forwarded-For names the client address (none by default). */
  readonly trustedProxies: readonly string[];
  /** k of the behaviour aggregates: the fewest distinct visitors a published cell counts (10 or more). */
  readonly analyticsMinCell: number;
  /** Where attachment content is kept, and what an upload may be. */
  readonly attachments: AttachmentConfig;
  readonly retention: RetentionSettings;
  /** Data-subject rights (design §6). */
  readonly rights: {
    /** Secret the one-time codes are hashed under and mail bodies are sealed with (PRIVACY_SECRET). */
    readonly secret: string;
    /**
     * PRIVACY_SECRET_PREVIOUS: secrets it replaced. Nothing new is made under them; what was (a
     * queued mail, a code's hash, a kept idempotent response) still opens or verifies under them.
     */
    readonly previousSecrets: readonly string[];
    /** IANA time zone the working days of a request's deadline are counted in (PRIVACY_TIME_ZONE). */
    readonly timeZone: string;
    /** Days that are not working days besides weekends, `YYYY-MM-DD` (PRIVACY_HOLIDAYS, comma-separated). */
    readonly holidays: readonly string[];
    /** Requests one customer may open in 24 hours (PRIVACY_REQUESTS_PER_DAY). */
    readonly requestsPerDay: number;
    /** Where download links point: the gateway's public origin (PUBLIC_URL); http://HOST:PORT by default. */
    readonly publicUrl: string | undefined;
  };
  /** Outgoing mail (one-time codes): an SMTP server (SMTP_URL), or in development a local sink `serve` starts. */
  readonly mail: {
    readonly smtpUrl: string | undefined;
    readonly from: string;
    /** Port of the development sink when SMTP_URL is unset (MAIL_SINK_PORT). */
    readonly sinkPort: number;
  };
  /** Change notifications: the key partners' signing secrets are sealed under, and attempts before a delivery is dead. */
  readonly webhooks: {
    readonly secretKey: string;
    /** WEBHOOK_SECRET_KEY_PREVIOUS: keys it replaced, under which signing secrets sealed before still open (`secrets reseal` moves them). */
    readonly previousSecretKeys: readonly string[];
    readonly maxAttempts: number;
  };
  /** HTTPS: the gateway's certificate chain and private key (PEM files); plain HTTP when absent. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** TLS_TERMINATED_BY_PROXY=true: a proxy in front encrypts, so production may serve plain HTTP behind it. */
  readonly tlsTerminatedByProxy: boolean;
  /** TLS to PostgreSQL (DATABASE_SSL_*); undefined leaves it to the connection string. */
  readonly databaseTls: DatabaseTls | undefined;
  /** Where GET /metrics listens (a listener of its own); port 0 turns that listener off. */
  readonly metricsHost: string;
  readonly metricsPort: number;
  /** Whether the public listener answers GET /metrics too (METRICS_ON_PUBLIC_LISTENER=true); off by default. */
  readonly metricsOnPublicListener: boolean;
  /** Trusted documents (integration/trusted-document-gate.ts). */
  readonly trustedDocuments: {
    /** TRUSTED_DOCUMENTS: off (development and test default), optional (production default) or required. */
    readonly mode: TrustedDocumentMode;
    /** TRUSTED_DOCUMENTS_FOR: the principal kinds it applies to; undefined: the partner audiences (those with a contract). */
    readonly audiences: readonly string[] | undefined;
  };
}

export const TRUSTED_DOCUMENT_MODES = ['off', 'optional', 'required'] as const;
export type TrustedDocumentMode = (typeof TRUSTED_DOCUMENT_MODES)[number];

export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type DatabaseSslMode = (typeof DATABASE_SSL_MODES)[number];

export interface DatabaseTls {
  /** As libpq's sslmode: verify-full checks the chain against `rootCertFile` and the host name; verify-ca the chain only. */
  readonly mode: DatabaseSslMode;
  /** CA certificate(s) the server's must chain to (PEM); required by verify-ca and verify-full. */
  readonly rootCertFile?: string;
  /** A client certificate and key, for servers that authenticate clients by certificate. */
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Where after-sales attachments are stored (never published), and the limits of an upload. */
export interface AttachmentConfig {
  /** `file`: a directory (default `DATA_DIR/blobs`); `s3`: a bucket of an S3-compatible object store. */
  readonly store:
    | { readonly kind: 'file'; readonly directory: string }
    | {
        readonly kind: 's3';
        readonly bucket: string;
        /** Key prefix inside the bucket ('' or ending in '/'). */
        readonly prefix: string;
        /** Endpoint of an S3-compatible server (path-style addressing); AWS's own when absent. */
        readonly endpoint: string | undefined;
        readonly region: string;
        /** Explicit credentials; the SDK's default chain (environment, profile, instance role) when absent. */
        readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
      };
  /** Largest upload per kind, in bytes. */
  readonly maxBytes: { readonly photo: number; readonly video: number; readonly document: number };
  /** How long a download link issued by `CaseAttachment.downloadUrl` works, in seconds. */
  readonly linkTtlSeconds: number;
}

/** The retention job's settings (src/retention/retention-job.ts). */
export interface RetentionSettings {
  /** Days after the last delivery during which a delivered order stays open for after-sales. */
  readonly afterSalesWindowDays: number;
  /** Page views are deleted this many months after they happened. */
  readonly behaviorEventMonths: number;
  /** Records per batch (one transaction and one audit event each). */
  readonly batchSize: number;
  /** `serve` runs the job every this many minutes; 0 (the default): never, run it from a scheduler. */
  readonly intervalMinutes: number;
}

export const DEV_PSEUDONYM_KEY = 'need-to-know-dev-pseudonym-key';
export const DEV_CURSOR_SECRET = 'need-to-know-dev-cursor-secret';
export const DEV_PRIVACY_SECRET = 'need-to-know-dev-privacy-secret';
export const DEV_WEBHOOK_SECRET_KEY = 'need-to-know-dev-webhook-secret-key';

const NODE_ENVS: readonly NodeEnv[] = ['development', 'test', 'production'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function origins(env: NodeJS.ProcessEnv): readonly string[] {
  const raw = env.CORS_ORIGINS ?? '';
  const list = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of list) {
    if (origin === '*' || !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(`CORS_ORIGINS: expected comma-separated origins like https://shop.example (no * and no path), got ${JSON.stringify(origin)}`);
    }
  }
  return Object.freeze(list);
}

/** A server secret: required in production (32 or more characters), a fixed development value otherwise. */
function secret(env: NodeJS.ProcessEnv, name: string, nodeEnv: NodeEnv, developmentValue: string): string {
  const key = env[name];
  if (key === undefined || key === '') {
    if (nodeEnv === 'production') throw new ConfigError(`${name}: required in production (32 or more random characters)`);
    return developmentValue;
  }
  if (key.length < 32) throw new ConfigError(`${name}: expected 32 or more characters`);
  return key;
}

/** The most previous secrets one setting takes: each is tried on every value opened, so the list stays short. */
export const MAX_PREVIOUS_SECRETS = 3;

/**
 * NAME_PREVIOUS: the secrets NAME replaced, comma-separated (a secret itself has no comma), still
 * accepted for what was made under them. Each is checked as NAME is (32 or more characters; the
 * development value only outside production); none may be NAME itself or appear twice, and there
 * are at most MAX_PREVIOUS_SECRETS.
 */
function previousSecrets(env: NodeJS.ProcessEnv, name: string, nodeEnv: NodeEnv, current: string, developmentValue: string): readonly string[] {
  const variable = `${name}_PREVIOUS`;
  const list = (env[variable] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length > MAX_PREVIOUS_SECRETS) throw new ConfigError(`${variable}: expected at most ${MAX_PREVIOUS_SECRETS} comma-separated secrets, got ${list.length}`);
  list.forEach((key, i) => {
    const which = `${variable} (secret ${i + 1} of ${list.length})`;
    if (key === developmentValue) {
      if (nodeEnv === 'production') throw new ConfigError(`${which}: the development value is public and refused in production`);
    } else if (key.length < 32) {
      throw new ConfigError(`${which}: expected 32 or more characters (secrets are separated by commas and hold none), got ${key.length}`);
    }
    if (key === current) throw new ConfigError(`${which}: expected a secret ${name} replaced, got ${name} itself`);
    if (list.indexOf(key) !== i) throw new ConfigError(`${which}: expected each secret once, got it twice`);
  });
  return Object.freeze(list);
}

/**
 * The NAME_PREVIOUS settings `config` holds a secret under, by name (never the value), for
 * `serve`'s start-up warning: a previous secret is for the length of a rotation, and one left
 * configured keeps accepting what a leaked secret made. JWT_PUBLIC_KEY_PREVIOUS is read with the
 * authentication settings (auth/auth-config.ts), and named beside these by `serve`.
 */
export function previousSecretSettings(config: Config): string[] {
  const settings: Array<[string, boolean]> = [
    ['BEHAVIOR_PSEUDONYM_KEY_PREVIOUS', config.behaviorPseudonymRotation !== undefined],
    ['CURSOR_SECRET_PREVIOUS', config.previousCursorSecrets.length > 0],
    ['PRIVACY_SECRET_PREVIOUS', config.rights.previousSecrets.length > 0],
    ['WEBHOOK_SECRET_KEY_PREVIOUS', config.webhooks.previousSecretKeys.length > 0],
  ];
  return settings.filter(([, set]) => set).map(([name]) => name);
}

/** BEHAVIOR_PSEUDONYM_KEY_PREVIOUS with BEHAVIOR_PSEUDONYM_KEY_SINCE (both or neither): one previous master, and the first day it no longer serves. */
function pseudonymRotation(env: NodeJS.ProcessEnv, nodeEnv: NodeEnv, current: string): Config['behaviorPseudonymRotation'] {
  const previous = previousSecrets(env, 'BEHAVIOR_PSEUDONYM_KEY', nodeEnv, current, DEV_PSEUDONYM_KEY);
  const since = env.BEHAVIOR_PSEUDONYM_KEY_SINCE || undefined;
  if (previous.length === 0 && since === undefined) return undefined;
  if (previous.length !== 1 || since === undefined) {
    throw new ConfigError('BEHAVIOR_PSEUDONYM_KEY_PREVIOUS and BEHAVIOR_PSEUDONYM_KEY_SINCE: set both (one previous key, and the first UTC day under BEHAVIOR_PSEUDONYM_KEY), or neither');
  }
  if (!isDay(since)) throw new ConfigError(`BEHAVIOR_PSEUDONYM_KEY_SINCE: expected a date like 2026-12-25 (the first UTC day under BEHAVIOR_PSEUDONYM_KEY), got ${JSON.stringify(since)}`);
  return Object.freeze({ previousKey: previous[0], since });
}

const MIB = 1024 * 1024;

/**
 * BLOB_STORE_URL: unset (a directory under DATA_DIR), `file:///absolute/dir`, or
 * `s3://bucket/optional/prefix` with S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY.
 */
function attachmentConfig(env: NodeJS.ProcessEnv, dataDir: string): AttachmentConfig {
  const raw = env.BLOB_STORE_URL ?? '';
  let store: AttachmentConfig['store'];
  if (raw === '') {
    store = { kind: 'file', directory: path.join(dataDir, 'blobs') };
  } else if (raw.startsWith('file://')) {
    let directory: string;
    try {
      directory = fileURLToPath(raw);
    } catch {
      throw new ConfigError(`BLOB_STORE_URL: expected file:///absolute/directory, got ${JSON.stringify(raw)}`);
    }
    store = { kind: 'file', directory };
  } else if (raw.startsWith('s3://')) {
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([A-Za-z0-9!_.*'()\/-]*))?$/.exec(raw);
    if (!match) throw new ConfigError(`BLOB_STORE_URL: expected s3://bucket or s3://bucket/prefix, got ${JSON.stringify(raw)}`);
    const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
    const endpoint = env.S3_ENDPOINT || undefined;
    if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
      throw new ConfigError(`S3_ENDPOINT: expected http(s)://host[:port], got ${JSON.stringify(endpoint)}`);
    }
    const accessKeyId = env.S3_ACCESS_KEY_ID || undefined;
    const secretAccessKey = env.S3_SECRET_ACCESS_KEY || undefined;
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      throw new ConfigError('S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both, or neither (the SDK then finds credentials itself)');
    }
    store = {
      kind: 's3',
      bucket: match[1],
      prefix: prefix === '' ? '' : `${prefix}/`,
      endpoint,
      region: env.S3_REGION || 'us-east-1',
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    };
  } else {
    throw new ConfigError(`BLOB_STORE_URL: expected file:///directory or s3://bucket/prefix, got ${JSON.stringify(raw)}`);
  }
  return Object.freeze({
    store: Object.freeze(store),
    maxBytes: Object.freeze({
      photo: integer(env, 'ATTACHMENT_MAX_MB_PHOTO', 15, 1, 1024) * MIB,
      video: integer(env, 'ATTACHMENT_MAX_MB_VIDEO', 200, 1, 10240) * MIB,
      document: integer(env, 'ATTACHMENT_MAX_MB_DOCUMENT', 20, 1, 1024) * MIB,
    }),
    linkTtlSeconds: integer(env, 'ATTACHMENT_LINK_TTL_SECONDS', 300, 10, 3600),
  });
}

/** RATE_LIMIT_UPLOAD_MB_PER_HOUR (default 1024): at least the largest upload of any kind, which could never be made otherwise. */
function uploadBytesPerHour(env: NodeJS.ProcessEnv, maxBytes: AttachmentConfig['maxBytes']): number {
  const largest = Math.max(maxBytes.photo, maxBytes.video, maxBytes.document) / MIB;
  return integer(env, 'RATE_LIMIT_UPLOAD_MB_PER_HOUR', Math.max(1024, largest), largest, 10_000_000) * MIB;
}

/** TRUSTED_PROXIES: comma-separated addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`. */
function trustedProxies(env: NodeJS.ProcessEnv): readonly string[] {
  const list = (env.TRUSTED_PROXIES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  try {
    proxyAddr.compile(list);
  } catch (error) {
    throw new ConfigError(`TRUSTED_PROXIES: expected comma-separated addresses, CIDR ranges, loopback, linklocal or uniquelocal (${(error as Error).message})`);
  }
  return Object.freeze(list);
}

function timeZone(env: NodeJS.ProcessEnv): string {
  const raw = env.PRIVACY_TIME_ZONE || 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw });
  } catch {
    throw new ConfigError(`PRIVACY_TIME_ZONE: expected an IANA time zone such as Europe/London, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** A calendar date written YYYY-MM-DD that exists. */
function isDay(day: string): boolean {
  const parsed = new Date(`${day}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === day;
}

function holidays(env: NodeJS.ProcessEnv): readonly string[] {
  const list = (env.PRIVACY_HOLIDAYS ?? '').split(',').map((d) => d.trim()).filter(Boolean);
  for (const day of list) {
    if (!isDay(day)) {
      throw new ConfigError(`PRIVACY_HOLIDAYS: expected comma-separated dates like 2026-12-25, got ${JSON.stringify(day)}`);
    }
  }
  return Object.freeze(list);
}

function url(env: NodeJS.ProcessEnv, name: string, schemes: readonly string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name}: expected a URL (${schemes.join(' or ')}), got something that does not parse`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) throw new ConfigError(`${name}: expected a ${schemes.join(' or ')} URL, got ${parsed.protocol}`);
  return raw;
}

/** Required in production: the codes that verify a customer's identity must reach them. */
function smtpUrl(env: NodeJS.ProcessEnv, nodeEnv: NodeEnv): string | undefined {
  const value = url(env, 'SMTP_URL', ['smtp', 'smtps']);
  if (value === undefined && nodeEnv === 'production') throw new ConfigError('SMTP_URL: required in production (smtp://user:pass@host:587 or smtps://...)');
  return value;
}

function httpsFiles(env: NodeJS.ProcessEnv): Config['tls'] {
  const certFile = env.TLS_CERT_FILE || undefined;
  const keyFile = env.TLS_KEY_FILE || undefined;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE: set both (PEM files) to serve HTTPS, or neither');
  return Object.freeze({ certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) });
}

function databaseTls(env: NodeJS.ProcessEnv): DatabaseTls | undefined {
  const raw = env.DATABASE_SSL_MODE || undefined;
  const rootCertFile = env.DATABASE_SSL_ROOT_CERT || undefined;
  const certFile = env.DATABASE_SSL_CERT || undefined;
  const keyFile = env.DATABASE_SSL_KEY || undefined;
  if (raw === undefined) {
    if (rootCertFile ?? certFile ?? keyFile) throw new ConfigError('DATABASE_SSL_MODE: required with DATABASE_SSL_ROOT_CERT, DATABASE_SSL_CERT or DATABASE_SSL_KEY');
    return undefined;
  }
  const mode = raw as DatabaseSslMode;
  if (!DATABASE_SSL_MODES.includes(mode)) throw new ConfigError(`DATABASE_SSL_MODE: expected one of ${DATABASE_SSL_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
  if ((mode === 'verify-ca' || mode === 'verify-full') && rootCertFile === undefined) {
    throw new ConfigError(`DATABASE_SSL_ROOT_CERT: required with DATABASE_SSL_MODE=${mode} (the CA the server's certificate must chain to)`);
  }
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('DATABASE_SSL_CERT and DATABASE_SSL_KEY: set both, or neither');
  return Object.freeze({
    mode,
    ...(rootCertFile ? { rootCertFile: path.resolve(rootCertFile) } : {}),
    ...(certFile ? { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile!) } : {}),
  });
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
}

function trustedDocuments(env: NodeJS.ProcessEnv, nodeEnv: NodeEnv): Config['trustedDocuments'] {
  const mode = (env.TRUSTED_DOCUMENTS || (nodeEnv === 'production' ? 'optional' : 'off')) as TrustedDocumentMode;
  if (!TRUSTED_DOCUMENT_MODES.includes(mode)) {
    throw new ConfigError(`TRUSTED_DOCUMENTS: expected one of ${TRUSTED_DOCUMENT_MODES.join(', ')}, got ${JSON.stringify(env.TRUSTED_DOCUMENTS)}`);
  }
  const raw = env.TRUSTED_DOCUMENTS_FOR;
  if (raw === undefined || raw === '') return Object.freeze({ mode, audiences: undefined });
  const audiences = raw.split(',').map((kind) => kind.trim());
  for (const kind of audiences) {
    if (!/^[a-z_]+$/.test(kind)) throw new ConfigError(`TRUSTED_DOCUMENTS_FOR: expected comma-separated principal kinds like logistics_partner,payment_provider, got ${JSON.stringify(kind)}`);
  }
  return Object.freeze({ mode, audiences: Object.freeze(audiences) });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = (env.NODE_ENV ?? 'development') as NodeEnv;
  if (!NODE_ENVS.includes(nodeEnv)) {
    throw new ConfigError(`NODE_ENV: expected one of ${NODE_ENVS.join(', ')}, got ${JSON.stringify(env.NODE_ENV)}`);
  }
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL: expected a postgres:// or postgresql:// connection string');
  }
  const dataDir = path.resolve(env.DATA_DIR ?? '.data');
  const dbTls = databaseTls(env);
  if (dbTls && databaseUrl && /[?&]ssl/i.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL: leave ssl parameters out of it when DATABASE_SSL_MODE is set (the connection string would override them)');
  }
  const attachments = attachmentConfig(env, dataDir);
  const behaviorPseudonymKey = secret(env, 'BEHAVIOR_PSEUDONYM_KEY', nodeEnv, DEV_PSEUDONYM_KEY);
  const cursorSecret = secret(env, 'CURSOR_SECRET', nodeEnv, DEV_CURSOR_SECRET);
  const privacySecret = secret(env, 'PRIVACY_SECRET', nodeEnv, DEV_PRIVACY_SECRET);
  const webhookSecretKey = secret(env, 'WEBHOOK_SECRET_KEY', nodeEnv, DEV_WEBHOOK_SECRET_KEY);
  return Object.freeze({
    nodeEnv,
    databaseUrl,
    dataDir,
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    host: env.HOST ?? '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65535),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 200),
    statementTimeoutMs: integer(env, 'STATEMENT_TIMEOUT_MS', 5000, 100, 600000),
    dbConnectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100, 600000),
    behaviorPseudonymKey,
    behaviorPseudonymRotation: pseudonymRotation(env, nodeEnv, behaviorPseudonymKey),
    cursorSecret,
    previousCursorSecrets: previousSecrets(env, 'CURSOR_SECRET', nodeEnv, cursorSecret, DEV_CURSOR_SECRET),
    corsOrigins: origins(env),
    redisUrl: env.REDIS_URL || undefined,
    limits: Object.freeze({
      maxDepth: integer(env, 'LIMIT_DEPTH', 8, 2, 50),
      maxAliases: integer(env, 'LIMIT_ALIASES', 15, 0, 1000),
      maxRootFields: integer(env, 'LIMIT_ROOT_FIELDS', 10, 1, 1000),
      maxTokens: integer(env, 'LIMIT_TOKENS', 1000, 50, 100000),
      maxDirectives: integer(env, 'LIMIT_DIRECTIVES', 10, 0, 1000),
      maxCost: integer(env, 'LIMIT_COST', 20000, 10, 10000000),
    }),
    rateLimits: Object.freeze({
      fieldsPerMinute: integer(env, 'RATE_LIMIT_FIELDS_PER_MINUTE', 6000, 1, 10000000),
      missesPerMinute: integer(env, 'RATE_LIMIT_MISSES_PER_MINUTE', 60, 1, 1000000),
      behaviorEventsPerMinute: integer(env, 'RATE_LIMIT_BEHAVIOR_EVENTS_PER_MINUTE', 60000, 1, 100000000),
      refusalsPerMinute: integer(env, 'RATE_LIMIT_REFUSALS_PER_MINUTE', 60, 1, 1000000),
      unauthenticatedPerMinute: integer(env, 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', 60, 1, 1000000),
      uploadsPerHour: integer(env, 'RATE_LIMIT_UPLOADS_PER_HOUR', 30, 1, 1000000),
      uploadBytesPerHour: uploadBytesPerHour(env, attachments.maxBytes),
    }),
    trustedProxies: trustedProxies(env),
    // Configurable upward only: fewer than 10 visitors per published cell is refused at start-up.
    analyticsMinCell: integer(env, 'ANALYTICS_MIN_CELL', 10, 10, 1000000),
    attachments,
    retention: Object.freeze({
      afterSalesWindowDays: integer(env, 'RETENTION_AFTER_SALES_WINDOW_DAYS', 30, 0, 365),
      behaviorEventMonths: integer(env, 'RETENTION_BEHAVIOR_EVENT_MONTHS', 13, 1, 36),
      batchSize: integer(env, 'RETENTION_BATCH_SIZE', 500, 1, 10000),
      intervalMinutes: integer(env, 'RETENTION_INTERVAL_MINUTES', 0, 0, 10080),
    }),
    rights: Object.freeze({
      secret: privacySecret,
      previousSecrets: previousSecrets(env, 'PRIVACY_SECRET', nodeEnv, privacySecret, DEV_PRIVACY_SECRET),
      timeZone: timeZone(env),
      holidays: holidays(env),
      requestsPerDay: integer(env, 'PRIVACY_REQUESTS_PER_DAY', 5, 1, 1000),
      publicUrl: url(env, 'PUBLIC_URL', ['http', 'https']),
    }),
    mail: Object.freeze({
      smtpUrl: smtpUrl(env, nodeEnv),
      from: env.MAIL_FROM || 'need-to-know <privacy@need-to-know.invalid>',
      sinkPort: integer(env, 'MAIL_SINK_PORT', 2525, 0, 65535),
    }),
    webhooks: Object.freeze({
      secretKey: webhookSecretKey,
      previousSecretKeys: previousSecrets(env, 'WEBHOOK_SECRET_KEY', nodeEnv, webhookSecretKey, DEV_WEBHOOK_SECRET_KEY),
      maxAttempts: integer(env, 'WEBHOOK_MAX_ATTEMPTS', 12, 1, 30),
    }),
    tls: httpsFiles(env),
    tlsTerminatedByProxy: env.TLS_TERMINATED_BY_PROXY === 'true',
    databaseTls: dbTls,
    metricsHost: env.METRICS_HOST ?? '127.0.0.1',
    metricsPort: integer(env, 'METRICS_PORT', 9464, 0, 65535),
    metricsOnPublicListener: flag(env, 'METRICS_ON_PUBLIC_LISTENER'),
    trustedDocuments: trustedDocuments(env, nodeEnv),
  });
}
