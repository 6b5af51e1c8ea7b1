import { Writable } from 'node:stream';
import { createLogger, lazyChild, UNAVAILABLE_LOG_INTERVAL_MS } from '../../src/platform/logger';

function collecting(): { lines: Array<Record<string, any>>; sink: Writable } {
  const lines: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, sink };
}

describe('the logger', () => {
  it('redacts tokens, variables, query parameters and PostgreSQL detail lines', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', sink);
    const err = Object.assign(new Error('duplicate key value violates unique constraint'), {
      query: 'INSERT INTO customer (email) VALUES ($1)',
      parameters: ['jane@example.com'],
      detail: 'Key (lower(email))=(jane@example.com) already exists.',
      driverError: { detail: 'Key (lower(email))=(jane@example.com) already exists.', parameters: ['jane@example.com'] },
    });
    logger.error({ err, authorization: 'Bearer abc.def.ghi', variables: { email: 'jane@example.com' } }, 'request failed');
    const entry = JSON.parse(lines[0]);
    expect(lines.join('')).not.toMatch(/jane@example\.com|abc\.def\.ghi/);
    expect(entry.err.query).toBe('INSERT INTO customer (email) VALUES ($1)');
    expect(entry.err.parameters).toBe('[redacted]');
  });

  it('writes a warning or error about an unavailable database once per message per interval, then says how many it left out', async () => {
    const { lines, sink } = collecting();
    const logger = createLogger('info', sink);
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const child = logger.child({ requestId: 'r1' });
    for (let i = 0; i < 5; i++) child.error({ err: refused() }, 'request failed');
    for (let i = 0; i < 3; i++) logger.warn({ error: 'terminating connection due to administrator command', code: '57P01', query: 'SELECT 1' }, 'query failed');
    // Not about an unavailable database, or not a warning: never left out.
    for (let i = 0; i < 2; i++) logger.error({ err: new Error('duplicate key value') }, 'request failed');
    for (let i = 0; i < 2; i++) logger.info({ err: refused(), status: 503 }, 'graphql request');
    await new Promise((resolve) => setTimeout(resolve, UNAVAILABLE_LOG_INTERVAL_MS + 50));
    child.error({ err: refused() }, 'request failed');
    expect(lines.map((l) => [l.msg, l.err?.message ?? l.error, l.suppressed])).toEqual([
      ['request failed', 'connect ECONNREFUSED 127.0.0.1:5432', undefined],
      ['query failed', 'terminating connection due to administrator command', undefined],
      ['request failed', 'duplicate key value', undefined],
      ['request failed', 'duplicate key value', undefined],
      ['graphql request', 'connect ECONNREFUSED 127.0.0.1:5432', undefined],
      ['graphql request', 'connect ECONNREFUSED 127.0.0.1:5432', undefined],
      ['request failed', 'connect ECONNREFUSED 127.0.0.1:5432', 4],
    ]);
  });

  it('makes a lazy child when it is first used, once, writing what a child writes', () => {
    const { lines, sink } = collecting();
    const logger = createLogger('info', sink);
    const making = jest.spyOn(logger, 'child');
    const lazy = lazyChild(logger, { requestId: 'r7' });
    expect(making).not.toHaveBeenCalled();
    expect(lazy.isLevelEnabled('debug')).toBe(false);
    expect(lazy.level).toBe('info');
    lazy.warn({ n: 1 }, 'first');
    const { error } = lazy;
    error({ n: 2 }, 'second, through a method taken off it');
    lazy.debug('below the level: not written');
    expect(making).toHaveBeenCalledTimes(1);
    lazy.child({ step: 'nested' }).info('third');
    expect(lines.map((l) => ({ msg: l.msg, requestId: l.requestId, n: l.n, step: l.step, service: l.service }))).toEqual([
      { msg: 'first', requestId: 'r7', n: 1, step: undefined, service: 'need-to-know' },
      { msg: 'second, through a method taken off it', requestId: 'r7', n: 2, step: undefined, service: 'need-to-know' },
      { msg: 'third', requestId: 'r7', n: undefined, step: 'nested', service: 'need-to-know' },
    ]);
  });
});
