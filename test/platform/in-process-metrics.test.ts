/**
 * A gateway started in a process that goes on (a test, a benchmark) without metrics of its
 * caller's starts none of Node's process-metric collectors: a GC observer and an event-loop
 * monitor can never be stopped, and each would hold on to everything reachable from where it was
 * made for as long as the process lives. The process entry (`serve`) adds them itself.
 */
import perfHooks from 'node:perf_hooks';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { createTestGateway } from '../harness/gateway';

describe('a gateway started in process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('starts no GC observer and no event-loop monitor, and its scrape has no process metrics', async () => {
    const monitors = jest.spyOn(perfHooks, 'monitorEventLoopDelay');
    const observers = jest.spyOn(perfHooks.PerformanceObserver.prototype, 'observe');
    const { gateway } = await createTestGateway(db);
    try {
      expect(monitors).not.toHaveBeenCalled();
      expect(observers.mock.calls.filter(([options]) => JSON.stringify(options).includes('gc'))).toEqual([]);
      expect((await gateway.metrics.scrape()).text).not.toContain('ntk_process_');
    } finally {
      await gateway.stop();
    }
  });
});
