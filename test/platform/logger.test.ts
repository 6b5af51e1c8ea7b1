import { Writable } from 'node:stream';
import { createLogger } from '../../src/platform/logger';

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
});
