/**
 * The gateway as it is deployed: `node dist/src/main.js serve`, a process of its own with its
 * configuration in the environment, on a random port of 127.0.0.1. The suite never restarts it
 * during a fault; if it exits, that is a finding. Its output is read line by line: JSON log lines
 * are counted by level, anything else (an unstructured line on stdout or stderr) is kept as a
 * finding too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ProbeSample } from './probe';
import { freePort } from './processes';

/** The repository root: the nearest directory above this file with a package.json. */
export function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('the repository root (package.json) was not found above ' + __dirname);
  }
}

/** A built file of the repository (dist/...), e.g. the entry point the suite runs, which is what `npm start` runs. */
export function built(...parts: string[]): string {
  const file = path.join(repositoryRoot(), 'dist', ...parts);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: build first (npm run build, or tsc -p .)`);
  return file;
}

export const builtMain = () => built('src', 'main.js');

export interface OutputTally {
  /** JSON log lines by pino level name. */
  levels: Record<string, number>;
  /** Messages of warn and error lines, with how often each came. */
  problems: Record<string, number>;
  /** For each of those messages, the error the first such line carried (`err.message`, `error`). */
  examples: Record<string, string>;
  /** Lines that were not JSON log lines (stderr, or stdout that did not parse): the first 20. */
  unstructured: string[];
  unstructuredCount: number;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export interface GatewayProcessOptions {
  name: string;
  env: NodeJS.ProcessEnv;
  /** Node options before the script, e.g. ['--require', probe]. */
  execArgv?: string[];
  /** Keep an IPC channel (for a preloaded probe). */
  ipc?: boolean;
}

export class GatewayProcess {
  /** How it ended, once it has. */
  exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;

  private constructor(
    readonly name: string,
    /** http://127.0.0.1:PORT */
    readonly url: string,
    readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    /** Its output so far, still counting. */
    readonly output: OutputTally,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(options: GatewayProcessOptions): Promise<GatewayProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [...(options.execArgv ?? []), builtMain(), 'serve'], {
      // METRICS_PORT 0: several gateways run side by side here, and none of them is scraped.
      env: { METRICS_PORT: '0', ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    });
    let gateway: GatewayProcess | undefined;
    const early: string[] = [];
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (gateway) gateway.exit = { code, signal, at: performance.now() };
        resolve();
      });
    });
    const tally: OutputTally = { levels: {}, problems: {}, examples: {}, unstructured: [], unstructuredCount: 0 };
    let serving: ((url: string) => void) | undefined;
    const servingUrl = new Promise<string>((resolve) => (serving = resolve));
    const unstructured = (line: string) => {
      tally.unstructuredCount += 1;
      if (tally.unstructured.length < 20) tally.unstructured.push(line.slice(0, 300));
    };
    readLines(child.stdout!, (line) => {
      if (early.length < 200) early.push(line);
      let entry: { level?: number; msg?: string; url?: string; err?: { message?: string; code?: string }; error?: string; code?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return unstructured(line);
      }
      const level = LEVELS[entry.level ?? 0] ?? String(entry.level);
      tally.levels[level] = (tally.levels[level] ?? 0) + 1;
      if ((entry.level ?? 0) >= 40 && entry.msg) {
        tally.problems[entry.msg] = (tally.problems[entry.msg] ?? 0) + 1;
        const code = entry.err?.code ?? entry.code;
        tally.examples[entry.msg] ??= `${entry.err?.message ?? entry.error ?? ''}${code ? ` (${code})` : ''}`.slice(0, 200);
      }
      if (entry.msg === 'need-to-know is serving' && entry.url) serving?.(entry.url);
    });
    readLines(child.stderr!, (line) => {
      if (early.length < 200) early.push(line);
      unstructured(line);
    });
    // The deadline is cleared however the start ends: nothing of a start outlives it.
    let deadline: NodeJS.Timeout | undefined;
    const url = await Promise.race([
      servingUrl,
      exited.then(() => Promise.reject(new Error(`gateway ${options.name} exited while starting:\n${early.slice(-30).join('\n')}`))),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(() => reject(new Error(`gateway ${options.name} did not serve within 60 s:\n${early.slice(-30).join('\n')}`)), 60_000);
      }),
    ])
      .catch((error: unknown) => {
        child.kill('SIGKILL');
        throw error;
      })
      .finally(() => clearTimeout(deadline));
    gateway = new GatewayProcess(options.name, url.replace(/\/graphql$/, ''), child, exited, tally);
    return gateway;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM, then waits (at most `timeoutMs`, then SIGKILL) for the process to end; how it ended. */
  async terminate(timeoutMs = 40_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = performance.now();
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    return { code: this.exit!.code, signal: this.exit!.signal, ms: Math.round(this.exit!.at - started) };
  }

  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** Asks a preloaded probe (faults/probe.ts; start with `ipc: true`) for a sample. */
  sample(gc: boolean): Promise<ProbeSample> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`gateway ${this.name}: no sample within 10 s (was it started with the probe?)`));
      }, 10_000);
      const onMessage = (message: ProbeSample) => {
        if (message?.type !== 'sample') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'sample', gc });
    });
  }
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line.trim()) onLine(line);
  });
  stream.on('end', () => rest.trim() && onLine(rest));
}
