/**
 * Requests sent a fixed number of times over keep-alive connections, every answer checked: the
 * counted drivers' load (bench/callgrind.ts, bench/allocations.ts), where a run is a number of
 * requests rather than a duration; and the options they share.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { SCENARIOS, type Scenario } from './scenarios';
import type { ForkedServer } from './servers';

/** Times one request may be answered 503 (the database did not answer in time: a slow, instrumented gateway at a busy machine's pace) and sent again. */
const MAX_RETRIES = 5;

/**
 * Sends `count` requests, `connections` at a time; a 503 is sent again after its Retry-After, up
 * to MAX_RETRIES times; throws on the first that is not a correct answer. Returns how many were
 * sent again (their refused attempts are in a batch's count: the caller reports them).
 */
export async function send(server: ForkedServer, agent: http.Agent, headers: Record<string, string>, body: (i: number) => string, check: (i: number, status: number, text: string) => string | undefined, first: number, count: number, connections: number): Promise<number> {
  let next = first;
  let retried = 0;
  const end = first + count;
  const one = (i: number, attempt = 0): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const payload = body(i);
      const req = http.request({ host: '127.0.0.1', port: server.port, path: '/graphql', method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(payload) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 503 && attempt < MAX_RETRIES) {
            retried += 1;
            const seconds = Number(res.headers['retry-after']) || 1;
            setTimeout(() => one(i, attempt + 1).then(resolve, reject), seconds * 1000);
            return;
          }
          const problem = check(i, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
          if (problem) reject(new Error(`request ${i}: ${problem}`));
          else resolve();
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  const lane = async () => {
    while (next < end) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(connections, count) }, lane));
  return retried;
}

/** A whole number of at least `min` given as `--name`; throws "expected …, got …" otherwise. */
export function countOption(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer of at least ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** `--scenarios` (e.g. `3,4`): read scenarios only, since the counted drivers send each request many times. */
export function readScenariosOption(text: string): Scenario[] {
  return text.split(',').map((s) => {
    const scenario = SCENARIOS.find((c) => c.number === Number(s));
    if (!scenario || scenario.writes) throw new Error(`--scenarios: ${s} is not a read scenario`);
    return scenario;
  });
}

/** The gateway script of a built checkout (`--gateway DIR`, default `root`): dist/bench/gateway-server.js. */
export function gatewayScriptOption(dir: string | undefined, root: string): string {
  const gateway = path.resolve(dir ?? root, 'dist', 'bench', 'gateway-server.js');
  if (!fs.existsSync(gateway)) throw new Error(`no built gateway at ${gateway} (npm run build there)`);
  return gateway;
}
