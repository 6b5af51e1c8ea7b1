/**
 * Stopping releases everything the gateway started: once `stop()` has run (and the caller has
 * closed its HTTP server and data source, as `serve` does), no timer, socket, server or process
 * the gateway opened keeps the process alive — with Redis shared rate limits, the attachment
 * sweep and the webhook worker all running, and after requests that used them. A start that
 * fails part way stops what it had started. Two views of it: the async resources created while
 * the gateway ran, and Node's own list of the resources keeping the process alive, before and after.
 */
import { createHook } from 'node:async_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintDevToken } from '../../src/auth/dev-token';
import { createDataSource } from '../../src/data-source';
import { createLogger } from '../../src/platform/logger';
import { createGateway } from '../../src/server';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { RedisServer } from '../../faults/redis-server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { TEST_SECRETS } from '../harness/gateway';
import { startHttpGateway } from '../harness/http';

const JEST_FRAME = /node_modules\/(@jest\/|jest-)/;

/** Async resources created while `hook` is on that still exist; those that can hold the process up say so by `hasRef()`. */
function trackResources() {
  const live = new Map<number, { type: string; ref: WeakRef<object>; stack: string | undefined }>();
  let tracking = true;
  const hook = createHook({
    init(id, type, _trigger, resource) {
      // Promises never hold the process up, and a stack taken for each of the thousands a gateway's
      // start makes cost this test its time box under load.
      if (tracking && type !== 'PROMISE') live.set(id, { type, ref: new WeakRef(resource), stack: new Error().stack });
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return {
    /**
     * Those still holding the process up: ours, each one's type and the first frames outside Node
     * that created it; and how many of each type jest made (its reporter's status line, when a file
     * runs in jest's own process), which no frame of ours created.
     */
    async holding(): Promise<{ ours: string[]; jests: Map<string, number> }> {
      // Sockets and servers are released once their close callbacks have run (their destruction still counts).
      tracking = false;
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      hook.disable();
      const holding = [...live.values()]
        .filter(({ ref }) => {
          const r = ref.deref() as { hasRef?: () => boolean } | undefined;
          return typeof r?.hasRef === 'function' && r.hasRef();
        })
        .map(({ type, stack }) => ({ type, frames: (stack ?? '').split('\n').filter((l) => l.includes('/') && !l.includes('node:') && !l.includes('AsyncHook.init')).map((l) => l.trim()) }));
      const jests = new Map<string, number>();
      const ours: string[] = [];
      for (const { type, frames } of holding) {
        if (frames.every((l) => JEST_FRAME.test(l))) jests.set(type, (jests.get(type) ?? 0) + 1);
        else ours.push(`${type} ${frames.slice(0, 3).join(' < ')}`);
      }
      return { ours, jests };
    },
  };
}

/** How many of each kind of resource keeps the process alive now (Node's count: handles, requests, ref'd timers). */
function aliveCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** The kinds of which more keep the process alive now than in `before` (beside `jests`, what jest made meanwhile), with how many more. */
function aliveMoreThan(before: Map<string, number>, jests: Map<string, number>): Record<string, number> {
  const more: Record<string, number> = {};
  for (const [type, n] of aliveCounts()) {
    const allowed = (before.get(type) ?? 0) + (jests.get(type) ?? 0);
    if (n > allowed) more[type] = n - allowed;
  }
  return more;
}

describe('stopping the gateway', () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await RedisServer.create(() => undefined);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-stop-'));
  });
  afterAll(async () => {
    await redis?.stop();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves nothing of its own that keeps the process alive', async () => {
    const before = aliveCounts();
    const resources = trackResources();
    const dataSource = createDataSource({ url: db.url, poolSize: 2 });
    await dataSource.initialize();
    const gw = await startHttpGateway(
      { ...db, dataSource },
      { rateLimits: { fieldsPerMinute: 100, missesPerMinute: 100, redisUrl: redis.url }, logger: createLogger('silent') },
      { store: new FileSystemBlobStore(path.join(dir, 'blobs')), limits: { photo: 1000, video: 1000, document: 1000 }, stagingDir: dir, sweepEveryMs: 20 },
    );
    gw.gateway.webhooks.start();
    const token = await mintDevToken({ kind: 'staff', subject: 'agent-stop', roles: ['customer_service'], purposes: ['after_sales'] }, gw.authConfig);
    const answer = await gw.post({ query: '{ policyVersions { version } }' }, { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    // The sweep has run at least once.
    await new Promise((resolve) => setTimeout(resolve, 60));

    await gw.close();
    await dataSource.destroy();
    const { ours, jests } = await resources.holding();
    expect(ours).toEqual([]);
    expect(aliveMoreThan(before, jests)).toEqual({});
  }, 120_000);

  it('stops what it had started when its start fails part way', async () => {
    const before = aliveCounts();
    const resources = trackResources();
    const dataSource = createDataSource({ url: db.url, poolSize: 2 });
    await dataSource.initialize();
    // Connected to Redis, Apollo started and the purge scheduled before the analytics setting is
    // found out of range (k-anonymity below 10 is refused).
    const start = createGateway({
      dataSource,
      logger: createLogger('silent'),
      secrets: TEST_SECRETS,
      authenticate: async () => {
        throw new Error('unused');
      },
      development: false,
      rateLimits: { fieldsPerMinute: 100, missesPerMinute: 100, redisUrl: redis.url },
      analytics: { minVisitorsPerCell: 9 },
    });
    await expect(start).rejects.toThrow(/minVisitorsPerCell to be an integer from 10/);
    await dataSource.destroy();
    const { ours, jests } = await resources.holding();
    expect(ours).toEqual([]);
    expect(aliveMoreThan(before, jests)).toEqual({});
  }, 120_000);
});
