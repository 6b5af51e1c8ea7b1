/**
 * Stopping releases everything the gateway started: once `stop()` has run (and the caller has
 * closed its HTTP server and data source, as `serve` does), no timer, socket, server or process
 * the gateway opened keeps the process alive — with Redis shared rate limits, the attachment
 * sweep and the webhook worker all running, and after requests that used them.
 */
import { createHook } from 'node:async_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintDevToken } from '../../src/auth/dev-token';
import { createDataSource } from '../../src/data-source';
import { createLogger } from '../../src/platform/logger';
import { FileSystemBlobStore } from '../../src/platform/blob-store-fs';
import { RedisServer } from '../../faults/redis-server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHttpGateway } from '../harness/http';

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
    /** Those still holding the process up: each one's type and the first frames outside Node that created it. */
    async holding(): Promise<string[]> {
      // Sockets and servers are released once their close callbacks have run (their destruction still counts).
      tracking = false;
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      hook.disable();
      return [...live.values()]
        .filter(({ ref }) => {
          const r = ref.deref() as { hasRef?: () => boolean } | undefined;
          return typeof r?.hasRef === 'function' && r.hasRef();
        })
        .map(({ type, stack }) => `${type} ${(stack ?? '').split('\n').filter((l) => l.includes('/') && !l.includes('node:') && !l.includes('AsyncHook.init')).slice(0, 3).map((l) => l.trim()).join(' < ')}`);
    },
  };
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
    expect(await resources.holding()).toEqual([]);
  }, 120_000);
});
