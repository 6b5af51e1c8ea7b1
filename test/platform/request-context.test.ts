/**
 * A request's logger (context.ts): the gateway's logger with the request's id bound, made when
 * first used, and the same on the copy of the context Apollo Server hands to resolvers and plugins.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { createRequestContext, type ContextDeps } from '../../src/context';
import { CursorKey } from '../../src/platform/cursor-seal';
import type { Caller } from '../../src/policy/principal';
import type { PolicyView } from '../../src/policy/policy-view';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function contextWith(logger: pino.Logger, requestId: string) {
  const deps = {
    policy: { scopeFor: () => ({}) },
    dataSource: {} as DataSource,
    logger,
    secrets: { behaviorPseudonymKey: 'k' },
    cursorKey: new CursorKey('a cursor secret of enough length for the test'),
    budgetsFor: () => ({ behaviorEvents: async () => undefined }),
  } as unknown as ContextDeps;
  const caller = { principal: { kind: 'staff', subject: 'agent', roles: ['customer_service'] }, purpose: 'after_sales' } as unknown as Caller;
  const view = { key: 'view' } as unknown as PolicyView;
  return createRequestContext(deps, caller, view, requestId, {});
}

/** Apollo Server's copy of a context (ApolloServer.ts cloneObject). */
const apolloCopy = <T extends object>(object: T): T => Object.assign(Object.create(Object.getPrototypeOf(object)), object);

describe('a request context', () => {
  it('binds its request id to every line its logger writes, on the context and on Apollo\'s copy', async () => {
    const { logger, lines } = capturingLogger();
    const ctx = contextWith(logger, 'req-1');
    ctx.logger.warn('on the context');
    apolloCopy(ctx).logger.error({ code: 'X' }, 'on the copy');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.requestId, l.msg])).toEqual([
      ['req-1', 'on the context'],
      ['req-1', 'on the copy'],
    ]);
  });

  it('makes the child logger only when a line is logged through it', () => {
    const { logger } = capturingLogger();
    const child = jest.spyOn(logger, 'child');
    const ctx = apolloCopy(contextWith(logger, 'req-2'));
    expect(child).not.toHaveBeenCalled();
    expect(ctx.logger).toBe(ctx.logger);
    expect(child).toHaveBeenCalledTimes(1);
    expect(child).toHaveBeenCalledWith({ requestId: 'req-2' });
  });
});
