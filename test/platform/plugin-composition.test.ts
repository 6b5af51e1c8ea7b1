/**
 * composePlugins against Apollo Server itself: the same plugins installed one by one (Apollo's
 * own hook semantics, the reference) and composed into one must see the same hooks in the same
 * order and answer the same, on every path a request can take.
 */
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { composePlugins } from '../../src/platform/plugin-composition';

const typeDefs = 'type Query { hello: String, other: String }';
const resolvers = { Query: { hello: () => 'world', other: () => 'side' } };

/** Three plugins that write what they see into `log`; their behaviour is steered by the operation name. */
function recordingPlugins(log: string[]): ApolloServerPlugin<BaseContext>[] {
  const plugin = (name: string, hooks: { answer?: boolean; refuse?: boolean; validation?: boolean; slow?: boolean }): ApolloServerPlugin<BaseContext> => ({
    async requestDidStart({ request }) {
      log.push(`${name}.requestDidStart`);
      const op = request.operationName ?? '';
      return {
        async didResolveSource() {
          if (hooks.slow) await new Promise((r) => setTimeout(r, 5));
          log.push(`${name}.didResolveSource`);
        },
        ...(hooks.validation
          ? {
              async validationDidStart() {
                log.push(`${name}.validationDidStart`);
                return async (errors?: readonly Error[]) => {
                  log.push(`${name}.validationDidEnd:${errors?.length ?? 0}`);
                };
              },
              async parsingDidStart() {
                log.push(`${name}.parsingDidStart`);
                return async () => {
                  log.push(`${name}.parsingDidEnd`);
                };
              },
            }
          : {}),
        async didResolveOperation() {
          log.push(`${name}.didResolveOperation`);
          if (hooks.refuse && op === 'Refused') throw new GraphQLError(`refused by ${name}`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
        },
        ...(hooks.answer
          ? {
              async responseForOperation() {
                log.push(`${name}.responseForOperation`);
                return op === 'Answered' ? { http: { status: 200, headers: new HeaderMap() }, body: { kind: 'single' as const, singleResult: { data: { hello: `from ${name}` } } } } : null;
              },
            }
          : {}),
        async didEncounterErrors({ errors }) {
          log.push(`${name}.didEncounterErrors:${errors.map((e) => e.message).join('|')}`);
        },
        async willSendResponse({ response }) {
          log.push(`${name}.willSendResponse`);
          if (this === undefined) throw new Error('a hook lost its listener');
          if (name === 'c') response.http.headers.set('x-seen-by', 'c');
        },
      };
    },
  });
  return [plugin('a', { validation: true, slow: true }), plugin('b', { answer: true, refuse: true }), plugin('c', { answer: true, validation: true })];
}

async function run(composed: boolean, query: string, operationName?: string) {
  const log: string[] = [];
  const plugins = recordingPlugins(log);
  const server = new ApolloServer({ typeDefs, resolvers, plugins: composed ? [composePlugins(plugins)] : plugins });
  await server.start();
  try {
    const response = await server.executeOperation({ query, operationName });
    return { log, status: response.http.status, header: response.http.headers.get('x-seen-by'), body: response.body };
  } finally {
    await server.stop();
  }
}

describe('composePlugins', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['an operation that runs', 'query Plain { hello }', 'Plain'],
    ['an operation one plugin answers', 'query Answered { hello }', 'Answered'],
    ['an operation one plugin refuses', 'query Refused { hello }', 'Refused'],
    ['a document that does not validate', 'query Invalid { nope }', 'Invalid'],
    ['a document that does not parse', 'query Broken {', undefined],
  ];
  it.each(cases)('sees %s as Apollo shows it to the plugins one by one', async (_what, query, name) => {
    const apart = await run(false, query, name);
    const together = await run(true, query, name);
    expect(together).toEqual(apart);
    // The cases are not vacuous: each reaches its own hooks.
    expect(apart.log).toContain('c.willSendResponse');
  });

  it('keeps the answering order: the first plugin that answers wins', async () => {
    const { log, body } = await run(true, 'query Answered { hello }', 'Answered');
    expect(body).toEqual({ kind: 'single', singleResult: { data: { hello: 'from b' } } });
    expect(log).not.toContain('c.responseForOperation');
  });

  it('refuses a plugin with a server hook, and a listener with a hook it does not compose', async () => {
    expect(() => composePlugins([{ async serverWillStart() {} }])).toThrow(/serverWillStart/);
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const server = new ApolloServer({
      typeDefs,
      resolvers,
      logger: quiet,
      plugins: [composePlugins([{ async requestDidStart() { return { async executionDidStart() {} }; } }])],
    });
    await server.start();
    try {
      await expect(server.executeOperation({ query: '{ hello }' })).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });

  it('refuses a listener whose hooks are not its own keys (a class instance) rather than skip them', async () => {
    const seen: string[] = [];
    class Listener {
      async willSendResponse() {
        seen.push('willSendResponse');
      }
    }
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const server = new ApolloServer({ typeDefs, resolvers, logger: quiet, plugins: [composePlugins([{ requestDidStart: async () => new Listener() }])] });
    await server.start();
    try {
      await expect(server.executeOperation({ query: '{ hello }' })).rejects.toThrow();
      expect(seen).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
