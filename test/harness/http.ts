/**
 * The gateway behind a real HTTP server on a free loopback port, with real token verification
 * and principal look-ups: for tests of what crosses the wire (status codes, headers, bodies).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadAuthConfig, type AuthConfig } from '../../src/auth/auth-config';
import { createAuthenticator } from '../../src/auth/authenticate';
import { createPrincipalResolver } from '../../src/auth/principal-resolver';
import { createTokenVerifier } from '../../src/auth/token-verifier';
import { createLogger } from '../../src/platform/logger';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/server';
import type { TestDatabase } from './database';
import { TEST_SECRETS } from './gateway';

export interface HttpGateway {
  url: string;
  authConfig: AuthConfig;
  gateway: Gateway;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; text: string; json: any }>;
  close(): Promise<void>;
}

/** Attachment content for the gateway: the principal look-up of download links is the harness's own. */
export type TestAttachments = Omit<NonNullable<GatewayDeps['attachments']>, 'resolvePrincipal'>;

export async function startHttpGateway(db: TestDatabase, overrides: Partial<GatewayDeps> = {}, attachments?: TestAttachments): Promise<HttpGateway> {
  const authConfig = loadAuthConfig({}, 'test');
  const resolver = createPrincipalResolver(db.dataSource, { cacheTtlMs: 0 });
  const gateway = await createGateway({
    dataSource: db.dataSource,
    logger: createLogger('silent'),
    secrets: TEST_SECRETS,
    authenticate: createAuthenticator({
      verifier: createTokenVerifier(authConfig),
      resolver,
    }),
    ...(attachments ? { attachments: { ...attachments, resolvePrincipal: (claims) => resolver.resolve(claims) } } : {}),
    development: false,
    ...overrides,
  });
  const server = http.createServer(gateway.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    authConfig,
    gateway,
    async post(body, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.stop();
    },
  };
}

/** What a client sent in one request: whether the body carried the text, and the persisted-query hash it named. */
export interface SentRequest {
  hasQuery: boolean;
  hash?: string;
}

/** A fetch that records, for each request, what its JSON body carried (`sent`), then sends it. */
export function recordingFetch(): { fetch: typeof fetch; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  return {
    sent,
    fetch: async (input, init) => {
      const body = JSON.parse(String(init?.body));
      sent.push({ hasQuery: typeof body.query === 'string', hash: body.extensions?.persistedQuery?.sha256Hash });
      return fetch(input, init);
    },
  };
}
