/**
 * The gateway's Apollo plugins as one: Apollo Server invokes each hook of every request on every
 * plugin — an async call, a promise and a `Promise.all` entry apiece, whether the plugin has the
 * hook or not, and `responseForOperation` one plugin after another, each awaited. Composed, each
 * hook is invoked on the plugins that have it, with Apollo's own semantics:
 *
 * - `requestDidStart`: every plugin's, at once (Promise.all), in order;
 * - `didResolveSource`, `didResolveOperation`, `didEncounterErrors`, `willSendResponse`: every
 *   listener's that has it, at once, in order; the first rejection rejects (as Apollo's
 *   Promise.all does, the others still run);
 * - `parsingDidStart`, `validationDidStart`: every listener's at once; the end hooks they return
 *   run in reverse order;
 * - `responseForOperation`: one listener after another until one answers.
 *
 * Only request hooks are composed: a plugin with a server hook (serverWillStart, ...), a
 * listener with any other hook, or one that is not a plain object (its hooks are read from its
 * own keys) is refused (at composition, or on the request: fail closed), never silently skipped.
 */
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';

type Listener<C extends BaseContext> = GraphQLRequestListener<C>;

type ComposedHook = 'didResolveSource' | 'parsingDidStart' | 'validationDidStart' | 'didResolveOperation' | 'responseForOperation' | 'didEncounterErrors' | 'willSendResponse';

/** The listener hooks composed; any other is refused. */
const COMPOSED_HOOKS = new Set<string>([
  'didResolveSource',
  'parsingDidStart',
  'validationDidStart',
  'didResolveOperation',
  'responseForOperation',
  'didEncounterErrors',
  'willSendResponse',
]);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Hook = (...args: any[]) => any;
type AllAtOnce = 'didResolveSource' | 'didResolveOperation' | 'didEncounterErrors' | 'willSendResponse';
type StartEnd = 'parsingDidStart' | 'validationDidStart';

export function composePlugins<C extends BaseContext>(plugins: readonly ApolloServerPlugin<C>[]): ApolloServerPlugin<C> {
  for (const plugin of plugins) {
    const other = Object.keys(plugin).filter((key) => key !== 'requestDidStart');
    if (other.length > 0) throw new Error(`composePlugins: a plugin with ${other.join(', ')} is not composed; install it on its own`);
  }
  const starting = plugins.filter((p) => p.requestDidStart !== undefined);

  /** The hook of every listener in `having` (those that have it), at once, each called as its listener's method. */
  const allAtOnce = <H extends AllAtOnce>(having: readonly Listener<C>[], hook: H): Listener<C>[H] => {
    if (having.length === 0) return undefined;
    return (async (...args: unknown[]) => {
      await Promise.all(having.map((l) => Reflect.apply(l[hook] as Hook, l, args)));
    }) as Listener<C>[H];
  };

  /** A start hook of every listener in `having`, at once; their end hooks in reverse order (called, not awaited, as Apollo does). */
  const startEnd = <H extends StartEnd>(having: readonly Listener<C>[], hook: H): Listener<C>[H] => {
    if (having.length === 0) return undefined;
    return (async (...args: unknown[]) => {
      const ends = (await Promise.all(having.map((l) => Reflect.apply(l[hook] as Hook, l, args)))).filter((end): end is Hook => end !== undefined);
      if (ends.length === 0) return undefined;
      ends.reverse();
      return (...endArgs: unknown[]) => {
        for (const end of ends) end(...endArgs);
      };
    }) as Listener<C>[H];
  };

  return {
    async requestDidStart(rc) {
      const listeners = await Promise.all(starting.map((p) => p.requestDidStart!(rc)));
      // The listeners that have each hook, in plugin order: one pass over each listener's own
      // keys (a request's listeners differ in shape, so each lookup by a hook's name is slow).
      const having: Record<ComposedHook, Listener<C>[]> = {
        didResolveSource: [],
        parsingDidStart: [],
        validationDidStart: [],
        didResolveOperation: [],
        responseForOperation: [],
        didEncounterErrors: [],
        willSendResponse: [],
      };
      for (const listener of listeners) {
        if (listener === undefined) continue;
        // Hooks are read from the listener's own keys: one with hooks elsewhere (a class's
        // prototype) would have them skipped, so it is refused.
        const proto: unknown = Object.getPrototypeOf(listener);
        if (proto !== Object.prototype && proto !== null) throw new Error('composePlugins: a request listener that is not a plain object is not composed');
        for (const key in listener) {
          if (!COMPOSED_HOOKS.has(key)) throw new Error(`composePlugins: a request listener with ${key} is not composed`);
          if (listener[key as ComposedHook] !== undefined) having[key as ComposedHook].push(listener);
        }
      }
      const answering = having.responseForOperation;
      const composed: Listener<C> = {
        didResolveSource: allAtOnce(having.didResolveSource, 'didResolveSource'),
        parsingDidStart: startEnd(having.parsingDidStart, 'parsingDidStart'),
        validationDidStart: startEnd(having.validationDidStart, 'validationDidStart'),
        didResolveOperation: allAtOnce(having.didResolveOperation, 'didResolveOperation'),
        responseForOperation:
          answering.length === 0
            ? undefined
            : async (operationContext) => {
                for (const listener of answering) {
                  const response = await listener.responseForOperation!(operationContext);
                  if (response != null) return response;
                }
                return null;
              },
        didEncounterErrors: allAtOnce(having.didEncounterErrors, 'didEncounterErrors'),
        willSendResponse: allAtOnce(having.willSendResponse, 'willSendResponse'),
      };
      return composed;
    },
  };
}
