/**
 * `serve` told to stop keeps its metrics listener until it has closed: a scrape in flight when
 * SIGTERM arrives is answered after the public listener has drained, and only then does the
 * process go on to stop the gateway and exit.
 */
import net from 'node:net';
import { freePort } from '../../faults/processes';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startServeProcess, until } from '../harness/serve-process';

/** Whether a TCP connection to `port` is refused (nothing listens there any more). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('serve, stopping', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('answers a metrics scrape in flight before it stops the gateway and exits', async () => {
    const metricsPort = await freePort();
    const gateway = await startServeProcess(db, { METRICS_PORT: String(metricsPort) });
    const publicPort = Number(new URL(gateway.url).port);
    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    try {
      // A scrape whose request is still arriving: its connection is busy, not idle.
      const scrape = net.connect(metricsPort, '127.0.0.1');
      await new Promise((resolve) => scrape.once('connect', resolve));
      const answer: Buffer[] = [];
      scrape.on('data', (chunk: Buffer) => answer.push(chunk));
      const scrapeClosed = new Promise((resolve) => scrape.once('close', resolve));
      scrape.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');

      gateway.child.kill('SIGTERM');
      await until('the stopping log line', () => gateway.lines.find((l) => l.msg?.toString().startsWith('stopping')));
      // The public listener has drained; the metrics listener is closing.
      let publicClosed = false;
      await until('the public listener to close', () => (publicClosed ? true : void refused(publicPort).then((r) => (publicClosed = r))));
      expect(gateway.child.exitCode).toBeNull();

      scrape.write('\r\n');
      await scrapeClosed;
      const text = Buffer.concat(answer).toString('utf8');
      expect(text.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      expect(text).toContain('ntk_graphql_requests_total');
      expect(await exited).toBe(0);
      expect(gateway.lines.at(-1)?.msg).toBe('stopped');
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});
