/**
 * PostGraphile plain over the benchmark database: the peer issue 23 compares the gateway with.
 * PostGraphile 5 with its default ("amber") preset, no row-level security, no JWT, no pgSettings:
 * every table of the schema `public` as PostGraphile builds it, served by grafserv on Node's own
 * HTTP server at `/graphql`, with a pool of DB_POOL_SIZE connections like the other servers.
 *
 *   <node 22> dist/bench/peers/postgraphile-server.js <database-url> <install dir> [rls]
 *
 * With `rls`, PostGraphile with row-level security instead: every request runs as the role of
 * ./postgraphile/rls.sql for the scope kind in its `x-bench-scope` header, with the setting
 * `ntk.partner` from its `x-bench-partner` header (the benchmark's stand-in for a verified JWT's
 * claims), which PostGraphile sets in a transaction around the request's statement. A request
 * without a known scope fails.
 *
 * Forked by bench/run.ts with `--peers postgraphile` (see ./install.ts for the install dir);
 * speaks the benchmark's IPC (../ipc.ts). Its modules come from the install dir, never from the
 * project's node_modules, and carry no types here: the few calls below are PostGraphile 5's
 * documented API (postgraphile(), makePgService, grafserv's node adaptor).
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadConfig } from '../../src/platform/config';
import { RequestTally, reportFailure, reportReady, serveIpc } from '../ipc';

/**
 * The data set's `webhook_event_type` enum has values such as `shipment.assigned`, which are not
 * GraphQL names; PostGraphile then drops every table that reaches the enum (order among them).
 * This inflector writes the dot as an underscore, as PostGraphile's docs advise for such enums.
 */
const DotsInEnumValues = {
  name: 'NeedToKnowBenchDotsInEnumValues',
  version: '0.0.0',
  inflection: {
    replace: {
      enumValue(this: unknown, previous: (value: string, codec: unknown) => string, _preset: unknown, value: string, codec: unknown): string {
        return previous.call(this, value.replace(/\./g, '_'), codec);
      },
    },
  },
};

/** The roles ./postgraphile/rls.sql writes its policies for, by scope kind. */
const RLS_ROLES: Readonly<Record<string, string>> = { own_shipments: 'ntk_bench_rls_carrier', own_payments: 'ntk_bench_rls_psp', all: 'ntk_bench_rls_staff' };

async function main(): Promise<void> {
  const [url, dir, variant] = process.argv.slice(2);
  if (!url || !dir || (variant !== undefined && variant !== 'rls')) throw new Error('usage: postgraphile-server <database-url> <install dir> [rls]');
  const peer = createRequire(path.join(dir, 'package.json'));
  const { Pool } = peer('pg');
  const { postgraphile } = peer('postgraphile');
  const { PostGraphileAmberPreset } = peer('postgraphile/presets/amber');
  const { makePgService } = peer('postgraphile/adaptors/pg');
  const { grafserv } = peer('postgraphile/grafserv/node');

  const config = loadConfig();
  const pool = new Pool({ connectionString: url, max: config.dbPoolSize, application_name: `need-to-know-bench-postgraphile${variant === 'rls' ? '-rls' : ''}`, idleTimeoutMillis: 0 });
  // Every statement PostGraphile sends, counted where it leaves: the clients of its pool.
  let sql = 0;
  pool.on('connect', (client: { query: (...args: unknown[]) => unknown }) => {
    const query = client.query;
    client.query = function counted(this: unknown, ...args: unknown[]) {
      sql += 1;
      return query.apply(this, args);
    };
  });
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset],
    plugins: [DotsInEnumValues],
    pgServices: [makePgService({ pool, schemas: ['public'] })],
    grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
    grafast: {
      explain: false,
      ...(variant === 'rls'
        ? {
            context: (requestContext: { node?: { req: http.IncomingMessage } }) => {
              const header = (name: string) => String(requestContext.node?.req.headers[name] ?? '');
              const role = RLS_ROLES[header('x-bench-scope')];
              if (!role) throw new Error('expected an x-bench-scope header naming a scope kind of rls.sql');
              return { pgSettings: { role, 'ntk.partner': header('x-bench-partner') } };
            },
          }
        : {}),
    },
  });
  const serv = pgl.createServ(grafserv);
  const tally = new RequestTally();
  const server = http.createServer();
  server.on('request', (_req, res) => tally.track(res));
  serv.addTo(server);
  server.keepAliveTimeout = 65_000;
  // The schema is built before the first request, so start-up is not measured.
  await pgl.getSchemaResult();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('PostGraphile did not get a TCP port');
  serveIpc(
    () => ({ sql, auditSql: 0, requests: tally.requests, inFlight: tally.inFlight }),
    async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pgl.release();
      await pool.end();
    },
  );
  reportReady(address.port, { poolSize: config.dbPoolSize, node: process.version, postgraphile: JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'postgraphile', 'package.json'), 'utf8')).version });
}

main().catch(reportFailure);
