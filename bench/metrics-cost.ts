/**
 * What the Prometheus metrics cost a request, measured side by side in one process:
 * two gateways over the same database (DATABASE_URL, migrated and seeded with the demo data),
 * one with the gateway's metrics and one whose metrics do nothing, each behind an HTTP server of
 * its own on loopback, driven in alternating rounds (on, off, off, on, ...) by sequential
 * requests — a customer-service read of a customer with its first 10 orders. Per round: this
 * process's CPU time per request (the gateway's work and the client's, alike on both sides; the
 * database's is in its own processes) and the median latency. Prints the medians and the spread
 * (min–max) of the rounds, and the per-round differences.
 *
 *   node dist/bench/metrics-cost.js [--rounds 8] [--requests 300]
 */
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { loadAuthConfig } from '../src/auth/auth-config';
import { createAuthenticator } from '../src/auth/authenticate';
import { mintDevToken } from '../src/auth/dev-token';
import { createPrincipalResolver } from '../src/auth/principal-resolver';
import { createTokenVerifier } from '../src/auth/token-verifier';
import { createDataSource } from '../src/data-source';
import { createLogger } from '../src/platform/logger';
import { GatewayMetrics } from '../src/platform/metrics';
import { DEMO_IDS } from '../src/seed/demo-ids';
import { createGateway } from '../src/server';

/** Metrics that record nothing: the gateway as it would be without them. */
class NoMetrics extends GatewayMetrics {
  override request(): void {}
  override audited(): void {}
  override auditBatch(): void {}
  override auditFailure(): void {}
  override job(): void {}
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, requests: { type: 'string', default: '300' } } });
  const rounds = Number(values.rounds);
  const requests = Number(values.requests);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL: expected a migrated database with the demo data');
  const dataSource = createDataSource({ url });
  await dataSource.initialize();
  const authConfig = loadAuthConfig({}, 'test');
  const logger = createLogger('silent');
  const start = async (metrics: GatewayMetrics) => {
    const gateway = await createGateway({
      dataSource,
      logger,
      metrics,
      secrets: { behaviorPseudonymKey: 'k'.repeat(32), cursorSecret: 'c'.repeat(32) },
      authenticate: createAuthenticator({ verifier: createTokenVerifier(authConfig), resolver: createPrincipalResolver(dataSource) }),
      development: false,
      rateLimits: { fieldsPerMinute: 1_000_000, missesPerMinute: 1_000_000, behaviorEventsPerMinute: 1_000_000 },
    });
    const server = http.createServer(gateway.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { gateway, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
  };
  const on = await start(new GatewayMetrics());
  const off = await start(new NoMetrics({ processMetrics: false }));
  const token = await mintDevToken({ kind: 'staff', subject: 'bench-metrics', roles: ['customer_service'], purposes: ['after_sales'] }, authConfig);
  const body = JSON.stringify({ query: `{ customer(id: "${DEMO_IDS.demoCustomer}") { accountName email orders(first: 10) { nodes { orderNumber status totalAmount } } } }` });
  const send = async (target: string) => {
    const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  const round = async (target: string) => {
    const latencies: number[] = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      await send(target);
      latencies.push(performance.now() - t);
    }
    const used = process.cpuUsage(cpu);
    return { cpuUsPerRequest: (used.user + used.system) / requests, p50Ms: median(latencies) };
  };
  for (const target of [on.url, off.url]) for (let i = 0; i < 100; i++) await send(target); // warm-up
  const results = { on: [] as Array<{ cpuUsPerRequest: number; p50Ms: number }>, off: [] as Array<{ cpuUsPerRequest: number; p50Ms: number }> };
  for (let r = 0; r < rounds; r++) {
    const order: Array<'on' | 'off'> = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
    for (const side of order) results[side].push(await round(side === 'on' ? on.url : off.url));
  }
  const cpu = (side: 'on' | 'off') => results[side].map((x) => x.cpuUsPerRequest);
  const p50 = (side: 'on' | 'off') => results[side].map((x) => x.p50Ms);
  const diffs = results.on.map((x, i) => x.cpuUsPerRequest - results.off[i].cpuUsPerRequest);
  console.log(`${rounds} rounds of ${requests} sequential requests per side (ABBA order)`);
  console.log(`CPU µs/request  on: median ${median(cpu('on')).toFixed(1)} (${spread(cpu('on'))})  off: median ${median(cpu('off')).toFixed(1)} (${spread(cpu('off'))})`);
  console.log(`on − off per round (µs): ${diffs.map((d) => d.toFixed(1)).join(', ')}; median ${median(diffs).toFixed(1)}`);
  console.log(`p50 latency ms  on: median ${median(p50('on')).toFixed(2)} (${spread(p50('on'))})  off: median ${median(p50('off')).toFixed(2)} (${spread(p50('off'))})`);
  // The calls one request makes, alone: its count and latency, its audit event's denials, its batch.
  const calls = new GatewayMetrics({ processMetrics: false });
  const perCall: number[] = [];
  for (let run = 0; run < 5; run++) {
    const n = 200_000;
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      calls.request('staff', 'after_sales', 'ok', 0.008);
      calls.audited('staff', i % 10 === 0 ? ['Order.customer'] : [], []);
      calls.auditBatch(1, 2, false);
    }
    const used = process.cpuUsage(before);
    perCall.push((used.user + used.system) / n);
  }
  console.log(`the metric calls of one request alone: median ${median(perCall).toFixed(2)} µs CPU (${perCall.map((x) => x.toFixed(2)).join(', ')}; 5 runs of 200,000)`);
  const scrapeStarted = performance.now();
  const scrape = await on.gateway.metrics.scrape();
  console.log(`one scrape: ${(performance.now() - scrapeStarted).toFixed(1)} ms, ${scrape.text.length} bytes`);
  for (const side of [on, off]) {
    side.server.closeAllConnections();
    await new Promise((resolve) => side.server.close(resolve));
    await side.gateway.stop();
  }
  await dataSource.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
