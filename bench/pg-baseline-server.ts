/**
 * The plain `pg` baseline: how fast this machine can answer the benchmark's reads with nothing
 * but Node's HTTP server, a `pg` Pool and one hand-written SQL statement per request that
 * builds the whole JSON response in PostgreSQL. No GraphQL, no ORM, no authentication, no policy:
 * the limit of the stack the gateway runs on, not a competitor.
 *
 *   node dist/bench/pg-baseline-server.js <database-url>
 *
 * `POST /<scenario key>` with the statement's parameters as a JSON array answers with the
 * statement's `body` column, verbatim.
 */
import http from 'node:http';
import { Pool } from 'pg';
import { loadConfig } from '../src/platform/config';
import { RequestTally, reportFailure, reportReady, serveIpc } from './ipc';
import { SCENARIOS } from './scenarios';

const STATEMENTS = new Map(SCENARIOS.filter((s) => s.baseline).map((s) => [`/${s.key}`, { name: `bench_${s.key}`, text: s.baseline!.sql }]));

async function main(): Promise<void> {
  const [url] = process.argv.slice(2);
  if (!url) throw new Error('usage: pg-baseline-server <database-url>');
  const config = loadConfig();
  const pool = new Pool({ connectionString: url, max: config.dbPoolSize, application_name: 'need-to-know-bench-pg-baseline', idleTimeoutMillis: 0 });
  let sql = 0;
  const tally = new RequestTally();
  const fail = (res: http.ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message }] }));
  };
  const server = http.createServer((req, res) => {
    tally.track(res);
    const statement = STATEMENTS.get(req.url ?? '');
    if (!statement || req.method !== 'POST') return fail(res, 404, `expected POST to one of ${[...STATEMENTS.keys()].join(', ')}`);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let values: unknown[];
      try {
        values = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(res, 400, 'expected the parameters as a JSON array');
      }
      sql += 1;
      pool.query({ ...statement, values }).then(
        (result) => {
          const body: string = result.rows[0]?.body ?? '{"data":null}';
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        },
        (error: Error) => fail(res, 500, error.message),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the baseline did not get a TCP port');
  serveIpc(
    () => ({ sql, auditSql: 0, requests: tally.requests, inFlight: tally.inFlight }),
    async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  );
  reportReady(address.port, { poolSize: config.dbPoolSize });
}

main().catch(reportFailure);
