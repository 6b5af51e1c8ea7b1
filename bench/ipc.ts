/**
 * The messages between the benchmark driver and the servers it forks. A server process reports
 * `ready` with its port once it listens; the driver then asks for `stats` before and after each
 * measurement, and ends it with `stop`.
 */
export interface ServerStats {
  /** Data statements this process has issued (the process-wide counter of src/platform/sql-counter). */
  sql: number;
  /** The audit log's own statements (group commit: one batch serves many requests). */
  auditSql: number;
  /** CPU time this process has used (user + system), in microseconds. */
  cpuMicros: number;
  /** HTTP requests answered. */
  requests: number;
  /** HTTP requests received and not yet answered. */
  inFlight: number;
}

export type ToServer = { type: 'stats' } | { type: 'stop' };
export type FromServer =
  | { type: 'ready'; port: number; detail?: Record<string, unknown> }
  | ({ type: 'stats' } & ServerStats)
  | { type: 'failed'; message: string };

/** Counts requests answered and in flight, for the `stats` message. */
export class RequestTally {
  requests = 0;
  inFlight = 0;

  /** Call at the start of every request. */
  track(res: { once(event: 'close', listener: () => void): unknown }): void {
    this.inFlight += 1;
    res.once('close', () => {
      this.inFlight -= 1;
      this.requests += 1;
    });
  }
}

/** Wires a forked server's IPC channel: answers `stats`, runs `stop` and exits. */
export function serveIpc(stats: () => Omit<ServerStats, 'cpuMicros'>, stop: () => Promise<void>): void {
  const send = (message: FromServer) => process.send?.(message);
  process.on('message', (message: ToServer) => {
    if (message.type === 'stats') {
      const cpu = process.cpuUsage();
      send({ type: 'stats', ...stats(), cpuMicros: cpu.user + cpu.system });
    }
    if (message.type === 'stop') {
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`stopping failed: ${(error as Error)?.stack ?? String(error)}\n`);
          process.exit(1);
        },
      );
    }
  });
  // The driver died without saying stop: do not linger.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
}

export function reportReady(port: number, detail?: Record<string, unknown>): void {
  process.send?.({ type: 'ready', port, detail } satisfies FromServer);
}

export function reportFailure(error: unknown): never {
  const message = (error as Error)?.stack ?? String(error);
  process.send?.({ type: 'failed', message } satisfies FromServer);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
