/**
 * The servers under test, each a forked process of its own so that the load generator (this
 * process) never shares an event loop with them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FromServer, ServerStats, ToServer } from './ipc';

export interface ForkedServer {
  name: string;
  port: number;
  /** The forked process's id (with a wrapper such as valgrind, the wrapper's, which runs node in place). */
  pid: number;
  detail: Record<string, unknown>;
  stats(): Promise<ServerStats>;
  /** Stats once no request is in flight (waits at most `timeoutMs`). */
  idleStats(timeoutMs?: number): Promise<ServerStats>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

export async function forkServer(
  name: string,
  script: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; execArgv?: string[]; execPath?: string; readyTimeoutMs?: number },
): Promise<ForkedServer> {
  const child: ChildProcess = fork(path.resolve(__dirname, script), args, {
    env: options.env,
    execArgv: options.execArgv ?? [],
    // A wrapper (valgrind, for bench/callgrind.ts) runs node itself: execArgv then begins with its own flags.
    ...(options.execPath ? { execPath: options.execPath } : {}),
    // The servers' own output (warnings, errors) goes to this process's stderr, never to the table.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  let exited: string | undefined;
  const waiting = new Set<{ reject(e: Error): void }>();
  child.on('exit', (code, signal) => {
    exited = `${name} exited (${signal ?? `code ${code}`})`;
    for (const w of waiting) w.reject(new Error(exited));
  });

  function next<T extends FromServer['type']>(type: T, timeoutMs: number): Promise<Extract<FromServer, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (exited) return reject(new Error(exited));
      const entry = {
        reject: (e: Error) => {
          cleanup();
          reject(e);
        },
      };
      const timer = setTimeout(() => entry.reject(new Error(`${name}: no ${type} message within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: FromServer) => {
        if (message.type === 'failed') return entry.reject(new Error(`${name} failed:\n${message.message}`));
        if (message.type !== type) return;
        cleanup();
        resolve(message as Extract<FromServer, { type: T }>);
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        waiting.delete(entry);
      };
      waiting.add(entry);
      child.on('message', onMessage);
    });
  }

  const send = (message: ToServer) => child.send(message);
  const ready = await next('ready', options.readyTimeoutMs ?? READY_TIMEOUT_MS).catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });

  const stats = async (): Promise<ServerStats> => {
    const reply = next('stats', 10_000);
    send({ type: 'stats' });
    const { sql, auditSql, cpuMicros, requests, inFlight } = await reply;
    return { sql, auditSql, cpuMicros, requests, inFlight };
  };

  return {
    name,
    port: ready.port,
    pid: child.pid!,
    detail: ready.detail ?? {},
    stats,
    async idleStats(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = await stats();
        if (s.inFlight === 0 || Date.now() > until) return s;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
