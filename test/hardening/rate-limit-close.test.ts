/**
 * Closing a rate limiter whose Redis never answers releases the wait for it: the timer that
 * would have given up on Redis after REDIS_READY_TIMEOUT_MS is cleared, not left to run out, and
 * whoever awaits `ready` is let go.
 */
import { createHook } from 'node:async_hooks';
import { freePort } from '../../faults/processes';
import { createRateLimiter } from '../../src/hardening/rate-limit';

/** Timers created while tracking whose first frame outside Node and node_modules is in `file`, and which were not destroyed since. */
function timersFrom(file: RegExp) {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      const frame = (new Error().stack ?? '').split('\n').find((l) => l.includes('/') && !l.includes('node:') && !l.includes('node_modules') && !l.includes('AsyncHook.init'));
      if (frame && file.test(frame)) live.set(id, frame.trim());
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return {
    async remaining(): Promise<string[]> {
      // A cleared timer is destroyed on the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      hook.disable();
      return [...live.values()];
    },
  };
}

describe('closing a rate limiter before Redis answers', () => {
  it('clears its wait for Redis and resolves ready', async () => {
    const port = await freePort();
    const timers = timersFrom(/src\/hardening\/rate-limit\.ts/);
    const limiter = createRateLimiter({ fieldsPerMinute: 10, missesPerMinute: 10, redisUrl: `redis://127.0.0.1:${port}` });
    await limiter.close();
    expect(await timers.remaining()).toEqual([]);
    const nextTurn = new Promise((resolve) => setImmediate(() => resolve('still waiting')));
    expect(await Promise.race([limiter.ready.then(() => 'ready'), nextTurn])).toBe('ready');
  });
});
