/**
 * A background job run over and over: each run starts `pollMs` after the previous one ended,
 * never two at a time, until stopped; a run that fails is reported and the loop goes on. The
 * outbox workers (mail, webhooks) are such loops; tests call `runOnce()` directly instead.
 */
export class PollingLoop<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stopped = true;

  constructor(
    private readonly run: () => Promise<T>,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.runOnce()
        .catch(this.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.pollMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops polling and waits for the run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One run now, or the one in progress. */
  runOnce(): Promise<T> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}

/** The wait after the `attempt`-th failure (1-based) of a job: `base` doubling after each, at most `max`. */
export function exponentialDelayMs(attempt: number, base: number, max: number): number {
  return Math.min(base * 2 ** Math.max(0, attempt - 1), max);
}
