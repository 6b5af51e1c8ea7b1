/**
 * The gateway as the benchmark runs it: a process of its own (forked by run.ts), listening on a
 * random free port on 127.0.0.1, with the real authentication (JWT verification, principal
 * look-up) against the benchmark database. The driver reads its SQL statement counter over IPC.
 *
 *   node dist/bench/gateway-server.js <database-url> on|off|audit-async-commit|audit-unsent|no-audit
 *
 * `off` is createGateway's benchmark-only `protections: false` (no field policy, no audit log);
 * row scope, operation limits, contracts and the rate limiter (with a budget the benchmark never
 * reaches) apply either way. The last three are MEASUREMENT ONLY (bench/audit-floor.ts): every
 * protection on, part of the audit taken away in this process — the batch committed without
 * waiting for its WAL flush, the batch not sent, or no audit at all — to split what each
 * guarantee costs a request. No gateway outside the benchmark can run so.
 */
import 'reflect-metadata';
import http from 'node:http';
import { loadAuthConfig } from '../src/auth/auth-config';
import { createAuthenticator } from '../src/auth/authenticate';
import { createPrincipalResolver } from '../src/auth/principal-resolver';
import { createTokenVerifier } from '../src/auth/token-verifier';
import { loadConfig } from '../src/platform/config';
import { createDataSource } from '../src/data-source';
import { createLogger } from '../src/platform/logger';
import { GatewayMetrics } from '../src/platform/metrics';
import { isClassifiedCoordinate } from '../src/policy/classification';
import { totalSqlStatements } from '../src/platform/sql-counter';
import { createGateway } from '../src/server';
import { AuditLog, type AuditLogOptions } from '../src/audit/audit-log';
import { isAuditFloorVariant } from './audit-floor';
import { asyncCommitAuditLog, unsentAuditLog, withoutAuditInNextGateway } from './audit-floor-gateways';
import { RequestTally, reportFailure, reportReady, serveIpc } from './ipc';

/** The highest budget RATE_LIMIT_* accepts. */
const BENCH_RATE_LIMIT = 10_000_000;

async function main(): Promise<void> {
  const [url, mode] = process.argv.slice(2);
  if (!url || !mode || (mode !== 'on' && mode !== 'off' && !isAuditFloorVariant(mode))) {
    throw new Error(`usage: gateway-server <database-url> on|off|audit-async-commit|audit-unsent|no-audit, got ${JSON.stringify(process.argv.slice(2))}`);
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const dataSource = createDataSource({
    url,
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    applicationName: `need-to-know-bench-${mode}`,
    // Connections stay open between the halves of a run: a backend that exits takes its CPU time
    // out of PostgreSQL's total, and a new one pays for connecting and warming its caches.
    idleTimeoutMs: 0,
    onProblem: (message, detail) => logger.warn(detail, message),
  });
  await dataSource.initialize();
  // Node's process metrics as `serve` collects them (a gateway made in process starts none):
  // this process is the gateway's own, so what it measures carries what production carries.
  const metrics = new GatewayMetrics({ isKnownCoordinate: isClassifiedCoordinate });
  // The measurement variants' writers, made as createGateway makes its own (`on` keeps that one).
  const writerOptions: AuditLogOptions = { logger, onBatch: (b) => metrics.auditBatch(b.events, b.ms, b.locked) };
  const auditLog: AuditLog | undefined =
    mode === 'audit-unsent' ? unsentAuditLog(dataSource, writerOptions) : mode === 'audit-async-commit' ? asyncCommitAuditLog(dataSource, writerOptions) : undefined;
  const withoutAudit = mode === 'no-audit' ? withoutAuditInNextGateway() : undefined;
  const gateway = await createGateway({
    dataSource,
    logger,
    secrets: { behaviorPseudonymKey: config.behaviorPseudonymKey, cursorSecret: config.cursorSecret },
    authenticate: createAuthenticator({
      verifier: createTokenVerifier(loadAuthConfig(process.env, config.nodeEnv)),
      resolver: createPrincipalResolver(dataSource),
    }),
    development: false,
    protections: mode !== 'off',
    auditLog,
    limits: config.limits,
    // The limiter runs (in memory) but never trips: 20 connections of one principal are far over
    // a production budget, and a 429 measures nothing.
    rateLimits: { fieldsPerMinute: BENCH_RATE_LIMIT, missesPerMinute: BENCH_RATE_LIMIT },
    metrics,
  });
  withoutAudit?.();
  const tally = new RequestTally();
  const server = http.createServer((req, res) => {
    tally.track(res);
    gateway.handler(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the gateway did not get a TCP port');
  serveIpc(
    () => ({ sql: totalSqlStatements('data'), auditSql: totalSqlStatements('audit'), requests: tally.requests, inFlight: tally.inFlight }),
    async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.stop();
      await auditLog?.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  );
  reportReady(address.port, { mode, poolSize: config.dbPoolSize, logLevel: config.logLevel, nodeEnv: config.nodeEnv });
}

main().catch(reportFailure);
