/**
 * Rate limits while Redis is gone: each replica counts in its own memory at once (a budget
 * still holds, per replica), the outage is logged once as a JSON line and never written to
 * stderr, and when Redis is back the replicas share one budget again — without a restart.
 */
import { Writable } from 'node:stream';
import { mintDevToken } from '../../src/auth/dev-token';
import { createLogger } from '../../src/platform/logger';
import { RedisServer } from '../../faults/redis-server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway, type HttpGateway } from '../harness/http';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function collectingLogger(lines: Array<{ msg: string; level: number }>) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return createLogger('info', sink);
}

describe('rate limits while Redis is unavailable', () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let a: HttpGateway;
  let b: HttpGateway;
  const linesA: Array<{ msg: string; level: number }> = [];
  const linesB: Array<{ msg: string; level: number }> = [];
  const stderr: string[] = [];
  let restoreStderr: () => void;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await RedisServer.create(() => undefined);
    const rateLimits = { fieldsPerMinute: 4, missesPerMinute: 100, redisUrl: redis.url };
    a = await startHttpGateway(db, { rateLimits, logger: collectingLogger(linesA) });
    b = await startHttpGateway(db, { rateLimits, logger: collectingLogger(linesB) });
    const write = process.stderr.write.bind(process.stderr);
    const error = console.error;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stderr.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    console.error = (...args: unknown[]) => {
      stderr.push(args.map(String).join(' '));
      error(...args);
    };
    restoreStderr = () => {
      process.stderr.write = write;
      console.error = error;
    };
  });
  afterAll(async () => {
    restoreStderr();
    await a.close();
    await b.close();
    await redis.stop();
    await db.drop();
  });

  const one = { query: '{ policyVersions { version } }' };
  const statusesOf = async (gateways: HttpGateway[], subject: string) => {
    const token = await mintDevToken({ kind: 'staff', subject: `${subject}-${Date.now()}`, roles: ['customer_service'], purposes: ['after_sales'] }, a.authConfig);
    const statuses = [];
    for (const gw of gateways) statuses.push((await gw.post(one, { authorization: `Bearer ${token}` })).status);
    return statuses;
  };
  const until = async (done: () => boolean, what: string) => {
    for (const stop = Date.now() + 10_000; !done(); await sleep(50)) {
      if (Date.now() > stop) throw new Error(`not within 10 s: ${what}`);
    }
  };

  it('shares one budget, falls back to one per replica while Redis is down, and shares again when it is back', async () => {
    expect(await statusesOf([a, b, a, b, a], 'before')).toEqual([200, 200, 200, 200, 429]);

    await redis.stop();
    await until(() => linesA.some((l) => l.msg.startsWith('Redis unreachable')) && linesB.some((l) => l.msg.startsWith('Redis unreachable')), 'both replicas log that Redis is unreachable');
    // Each replica keeps its own count: four calls at A are the budget, the fifth is refused; B has its own.
    expect(await statusesOf([a, a, a, a, a, b], 'during')).toEqual([200, 200, 200, 200, 429, 200]);

    await redis.start();
    await until(() => linesA.some((l) => l.msg.startsWith('Redis reachable again')) && linesB.some((l) => l.msg.startsWith('Redis reachable again')), 'both replicas log that Redis is back');
    expect(await statusesOf([a, b, a, b, a], 'after')).toEqual([200, 200, 200, 200, 429]);

    // Reconnection attempts went on all along: one warning each, a JSON line, nothing on stderr.
    for (const lines of [linesA, linesB]) {
      expect(lines.filter((l) => l.msg.startsWith('Redis unreachable')).map((l) => l.level)).toEqual([40]);
    }
    expect(stderr.filter((line) => /redis/i.test(line))).toEqual([]);
  });
});
