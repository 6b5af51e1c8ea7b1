/**
 * A Redis the fault suite owns: `redis-server` (REDIS_SERVER names another binary) on a random
 * free port of 127.0.0.1, without persistence, stopped and started again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort, sleep } from './processes';

export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number, private readonly log: (line: string) => void) {}

  static async create(log: (line: string) => void): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), log);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`redis-server could not be started (${error.message}): install Redis or set REDIS_SERVER`)));
      child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} while starting`)));
    });
    failed.catch(() => undefined);
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => chunk.split('\n').filter((l) => l.trim()).forEach(this.log));
    }
    const until = Date.now() + 10_000;
    while (!(await answersPing(this.port))) {
      await Promise.race([sleep(50), failed]);
      if (Date.now() > until) throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
    }
  }

  /** Stops it (SIGTERM) and resolves when it exited. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  killNow(): void {
    this.child?.kill('SIGKILL');
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
