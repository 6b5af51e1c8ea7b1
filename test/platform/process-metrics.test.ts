/**
 * Node's process metrics are the process's: gateways started one after another in one process
 * (tests, benchmarks) share one collector of them, since what collects them (an event-loop-delay
 * monitor, a GC observer) can never be stopped, and each gateway's scrape still carries them once.
 */
import perfHooks from 'node:perf_hooks';
import { GatewayMetrics } from '../../src/platform/metrics';

const count = (text: string, line: string) => text.split('\n').filter((l) => l === line).length;

it('starts one event-loop monitor for any number of gateways, and each scrape holds the process metrics once', async () => {
  const monitors = jest.spyOn(perfHooks, 'monitorEventLoopDelay');
  const observers = jest.spyOn(perfHooks.PerformanceObserver.prototype, 'observe');
  const gateways = [new GatewayMetrics(), new GatewayMetrics(), new GatewayMetrics()];
  expect(monitors).toHaveBeenCalledTimes(1);
  expect(observers.mock.calls.filter(([options]) => JSON.stringify(options).includes('gc'))).toHaveLength(1);
  for (const metrics of gateways) {
    const { text } = await metrics.scrape();
    expect(count(text, '# TYPE ntk_process_resident_memory_bytes gauge')).toBe(1);
    expect(count(text, '# TYPE ntk_nodejs_eventloop_lag_seconds gauge')).toBe(1);
    expect(count(text, '# TYPE ntk_graphql_requests_total counter')).toBe(1);
  }
  // Without process metrics, none.
  expect((await new GatewayMetrics({ processMetrics: false }).scrape()).text).not.toContain('ntk_process_');
});
