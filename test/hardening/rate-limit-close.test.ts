/**
 * Closing a rate limiter leaves no timer of its own behind. One whose Redis never answers
 * releases the wait for it: the timer that would have given up on Redis after
 * REDIS_READY_TIMEOUT_MS is cleared, not left to run out, and whoever awaits `ready` is let go.
 * And each key counted in memory (the in-memory limiters, and the ones Redis falls back to)
 * holds a timer until its window ends, up to an hour: unref'd, it holds no process up, but it
 * keeps everything reachable from where it was set, so close() clears them too.
 */
import { createHook } from 'node:async_hooks';
import { freePort } from '../../faults/processes';
import { createRateLimiter } from '../../src/hardening/rate-limit';

/** Timers created while tracking whose first frame outside Node is in `file`, and which were not destroyed since. */
function timersFrom(file: RegExp) {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      const frame = (new Error().stack ?? '').split('\n').find((l) => l.includes('/') && !l.includes('node:') && !l.includes('AsyncHook.init'));
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

describe('closing a rate limiter', () => {
  it('clears its wait for Redis and what it counted in memory meanwhile, and resolves ready', async () => {
    const port = await freePort();
    const timers = timersFrom(/src\/hardening\/rate-limit\.ts|node_modules\/rate-limiter-flexible\//);
    const limiter = createRateLimiter({ fieldsPerMinute: 10, missesPerMinute: 10, redisUrl: `redis://127.0.0.1:${port}` });
    // Counted in memory meanwhile, as Redis cannot be reached.
    await limiter.admission.unauthenticated('192.0.2.9');
    await limiter.close();
    expect(await timers.remaining()).toEqual([]);
    const nextTurn = new Promise((resolve) => setImmediate(() => resolve('still waiting')));
    expect(await Promise.race([limiter.ready.then(() => 'ready'), nextTurn])).toBe('ready');
  });

  it('clears the timers of the keys it counted in memory', async () => {
    const timers = timersFrom(/node_modules\/rate-limiter-flexible\//);
    const limiter = createRateLimiter({ fieldsPerMinute: 10, missesPerMinute: 10 });
    await limiter.admission.unauthenticated('192.0.2.7');
    await limiter.admission.unauthenticated('192.0.2.8');
    await limiter.close();
    expect(await timers.remaining()).toEqual([]);
  });
});
