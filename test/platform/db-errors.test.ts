/**
 * Which database errors mean "the database cannot answer now" (SERVICE_UNAVAILABLE, HTTP 503)
 * and which are a statement the database refused (masked as INTERNAL_SERVER_ERROR, or translated
 * into BAD_USER_INPUT): a table of both, bare and wrapped as the gateway meets them.
 */
import { GraphQLError } from 'graphql';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from '../../src/platform/db-errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['08006 connection failure', pgError('08006')],
    ['08001 cannot connect', pgError('08001')],
    ['57P01 terminated by an administrator', pgError('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash shutdown', pgError('57P02')],
    ['57P03 cannot connect now (starting up)', pgError('57P03', 'the database system is starting up')],
    ['57014 statement timeout', pgError('57014', 'canceling statement due to statement timeout')],
    ['53300 too many connections', pgError('53300')],
    ['ECONNREFUSED', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', pgError('ECONNRESET', 'read ECONNRESET')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['the pool waited in vain', new Error('timeout exceeded when trying to connect')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') })],
    ['no answer to a statement', new Error('Query read timeout: the database did not answer, the connection was closed')],
    ['a client unusable after an error', new Error('Client has encountered a connection error and is not queryable')],
    ['a query runner TypeORM released when its connection failed', new QueryRunnerAlreadyReleasedError()],
  ])('%s: unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['23505 unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['42P01 undefined table', pgError('42P01', 'relation "x" does not exist')],
    ['42501 insufficient privilege', pgError('42501')],
    ['22P02 invalid text representation', pgError('22P02')],
    ['P0001 raised by a trigger', pgError('P0001', 'audit storage unavailable (test)')],
    ['a pool that was ended', new Error('Cannot use a pool after calling end on the pool')],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('%s: not unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('looks inside TypeORM, GraphQL and cause wrappers', () => {
    const terminated = pgError('57P01');
    const failed = new QueryFailedError('SELECT 1', [], terminated);
    expect(isDatabaseUnavailable(failed)).toBe(true);
    expect(isDatabaseUnavailable(new GraphQLError('x', { originalError: failed }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('audit batch failed', { cause: failed }))).toBe(true);
    expect(isDatabaseUnavailable(new GraphQLError('x', { originalError: new QueryFailedError('SELECT 1', [], pgError('23505')) }))).toBe(false);
  });
});
