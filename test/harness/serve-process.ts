/**
 * The gateway as deployed (`node dist/src/main.js serve`) in a process of its own, for tests of
 * what only the process does: its instrumentation, its signals, its listeners.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { TestDatabase } from './database';

const MAIN = path.resolve(__dirname, '../../dist/src/main.js');

export interface ServeProcess {
  /** The public listener's origin (no path). */
  url: string;
  /** Every JSON log line written so far. */
  lines: Array<Record<string, unknown>>;
  child: ChildProcess;
  /** SIGTERM, resolving once the process has exited. */
  stop(): Promise<void>;
}

/** The gateway process; resolves once it serves, with its URL and every log line it writes. */
export async function startServeProcess(db: Pick<TestDatabase, 'url'>, env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not serve within 30 s: ${stderr.join('\n')}`)), 30_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.msg === 'need-to-know is serving') {
        clearTimeout(timer);
        resolve(String(entry.url).replace(/\/graphql$/, ''));
      }
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) while starting: ${stderr.join('\n')}`)));
  });
  return {
    url,
    lines,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Resolves with the first value `probe` gives, asked every 50 ms; throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
