/**
 * In-process gateway over a test database: `execute(query, caller, variables)` runs the whole
 * GraphQL pipeline (validation, policy, loaders, error masking) without a port.
 */
import type { Caller } from '../../src/policy/principal';
import { createLogger } from '../../src/platform/logger';
import { AuthenticationError } from '../../src/auth/authentication-error';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/server';
import type { TestDatabase } from './database';

export const TEST_SECRETS = { behaviorPseudonymKey: 'test-pseudonym-key', cursorSecret: 'test-cursor-secret' };

export interface ExecuteResult {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, any> }>;
}

export async function createTestGateway(db: TestDatabase, overrides: Partial<GatewayDeps> = {}): Promise<{ gateway: Gateway; execute: (query: string, caller: Caller, variables?: Record<string, unknown>) => Promise<ExecuteResult> }> {
  const gateway = await createGateway({
    dataSource: db.dataSource,
    logger: createLogger('silent'),
    secrets: TEST_SECRETS,
    authenticate: async () => {
      throw new AuthenticationError('in-process tests pass callers directly');
    },
    development: false,
    ...overrides,
  });
  return {
    gateway,
    async execute(query, caller, variables) {
      const response = await gateway.execute(query, caller, variables);
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return JSON.parse(JSON.stringify(response.body.singleResult));
    },
  };
}
