/**
 * Preloaded into a gateway process by the soak (`node --expose-gc --require probe.js main.js
 * serve`): answers a `sample` message on the IPC channel with the process's memory and the
 * event-loop delay since the previous sample. With `gc: true` it first runs a full garbage
 * collection (when --expose-gc is on), so heapUsed is what survives, not what waits to be freed.
 * The gateway's own code knows nothing of it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProbeSample {
  type: 'sample';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Event-loop delay since the previous sample, ms. */
  loopDelay: { p50: number; p99: number; max: number };
  /** CPU time used so far (user + system), µs. */
  cpuMicros: number;
}

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('message', (message: { type?: string; gc?: boolean }) => {
    if (message?.type !== 'sample') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) gc();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const sample: ProbeSample = {
      type: 'sample',
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      loopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      cpuMicros: cpu.user + cpu.system,
    };
    delay.reset();
    process.send!(sample);
  });
  // The channel must not keep the process alive once the gateway has stopped.
  process.channel?.unref();
}
