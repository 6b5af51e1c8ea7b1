/**
 * MEASUREMENT ONLY: how the `--audit-floor` gateways (bench/audit-floor.ts, which says what each
 * leaves out and why none may run outside the benchmark) are made, in the benchmark gateway's own
 * process (bench/gateway-server.ts): by replacing members of the audit writer and, for `no-audit`,
 * three of the gateway's wiring functions. Nothing in src/ knows of them.
 */
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import * as auditPluginModule from '../src/audit/audit-plugin';
import { AuditLog, type AuditLogOptions } from '../src/audit/audit-log';
import { Routing } from '../src/execution/routing';
import * as transportModule from '../src/http/http-transport';

/** The writer's members the variants replace (private in src/audit/audit-log.ts). */
interface WriterInternals {
  insert(client: PoolClient, ...rest: unknown[]): Promise<unknown>;
  commitsDurably(client: PoolClient): Promise<boolean>;
}

function internalsOf(log: AuditLog): WriterInternals {
  const internals = log as unknown as WriterInternals;
  if (typeof internals.insert !== 'function' || typeof internals.commitsDurably !== 'function') {
    throw new Error('audit-floor: the audit writer no longer has insert() and commitsDurably(); the measurement variants must follow it');
  }
  return internals;
}

/**
 * A writer that does all its work but send the batch: `insert` builds the statement's values (the
 * rows' JSON, the seal and its hash) and counts the statement, then gets the answer a sealed batch
 * gets without a round trip. The first batch still reads the chain's end under the lock.
 */
export function unsentAuditLog(dataSource: DataSource, options: AuditLogOptions = {}): AuditLog {
  const log = new AuditLog(dataSource, options);
  const internals = internalsOf(log);
  const insert = internals.insert;
  // What PostgreSQL answers for a batch it sealed: (locked, chained, sealed).
  const unsent = { query: async () => ({ rows: [[true, true, true]] }) } as unknown as PoolClient;
  internals.insert = function (this: AuditLog, _client: PoolClient, ...rest: unknown[]) {
    return insert.call(this, unsent, ...rest);
  };
  return log;
}

/** A writer whose sessions commit without waiting for the WAL flush (`synchronous_commit = off`); otherwise the real one. */
export function asyncCommitAuditLog(dataSource: DataSource, options: AuditLogOptions = {}): AuditLog {
  const log = new AuditLog(dataSource, options);
  const internals = internalsOf(log);
  const set = new WeakSet<PoolClient>();
  // The real check reads the setting and sends a batch on a session that is not `on` to the locked
  // path, which forces it on for its commit: here the session is set off and the fast path kept.
  internals.commitsDurably = async (client: PoolClient) => {
    if (!set.has(client)) {
      await client.query('SET synchronous_commit = off');
      set.add(client);
    }
    return true;
  };
  return log;
}

/**
 * Makes the next gateway this process creates one without its audit: the audit plugin made empty,
 * the transport given no writer (nothing announced, no wait before the response), the routing told
 * nothing is audited. Call before `createGateway`; the function it returns throws unless all three
 * were used (a gateway wired otherwise would measure something else). Never undone: the process is
 * the measurement's.
 */
export function withoutAuditInNextGateway(): () => void {
  const used = { plugin: 0, transport: 0, routing: 0 };
  const plugins = auditPluginModule as unknown as { createAuditPlugin: (...args: unknown[]) => object };
  plugins.createAuditPlugin = () => {
    used.plugin++;
    return {};
  };
  const transports = transportModule as unknown as { createHttpTransport: typeof transportModule.createHttpTransport };
  const createHttpTransport = transports.createHttpTransport;
  transports.createHttpTransport = (deps) => {
    used.transport++;
    return createHttpTransport({ ...deps, auditLog: undefined });
  };
  const start = Routing.start.bind(Routing);
  Routing.start = (options) => {
    used.routing++;
    return start({ ...options, audited: false });
  };
  return () => {
    if (used.plugin !== 1 || used.transport !== 1 || used.routing !== 1) {
      throw new Error(`audit-floor: the gateway was not made without its audit (audit plugin ${used.plugin}, transport ${used.transport}, routing ${used.routing} of 1 each)`);
    }
  };
}
