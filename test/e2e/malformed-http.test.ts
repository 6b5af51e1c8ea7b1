/**
 * Requests Node's HTTP parser refuses, sent to the gateway as deployed (`serve`, its own
 * listener): each is answered with the coded JSON error every other refusal has, not a bare
 * status line, and the connection is closed. Too large headers keep Node's 431.
 */
import net from 'node:net';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startServeProcess, type ServeProcess } from '../harness/serve-process';

/** Sends `raw` on a connection of its own; resolves with everything answered once the gateway closes it. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

function parsed(answer: string) {
  const [head, body] = answer.split('\r\n\r\n');
  const [statusLine, ...fields] = head!.split('\r\n');
  const headers = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]));
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    json = undefined;
  }
  return { statusLine, headers, json };
}

describe('requests that are not HTTP, sent to the gateway process', () => {
  let db: TestDatabase;
  let gateway: ServeProcess;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    gateway = await startServeProcess(db, {});
    port = Number(new URL(gateway.url).port);
  });
  afterAll(async () => {
    await gateway?.stop();
    await db?.drop();
  });

  it.each([
    ['a NUL character in a header', 'POST /graphql HTTP/1.1\r\nHost: x\r\nX-Legal-Case: a\u0000b\r\nContent-Length: 2\r\n\r\n{}'],
    ['a control character in a header', 'POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0001b\r\nContent-Length: 2\r\n\r\n{}'],
    ['a request line that is not one', 'HELLO\r\n\r\n'],
    ['a body framed two ways', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('%s: 400 BAD_REQUEST as JSON, and the connection closed', async (_label, raw) => {
    const answer = parsed(await exchange(port, raw));
    expect(answer).toEqual({
      statusLine: 'HTTP/1.1 400 Bad Request',
      headers: expect.objectContaining({ 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', connection: 'close' }),
      json: { errors: [{ message: 'The request is not valid HTTP/1.1', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('too large headers keep their own status', async () => {
    const answer = parsed(await exchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(answer.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('a request that is HTTP is served on a connection of its own alongside', async () => {
    const answer = parsed(await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect({ statusLine: answer.statusLine, json: answer.json }).toEqual({ statusLine: 'HTTP/1.1 200 OK', json: { status: 'ok' } });
  });
});
