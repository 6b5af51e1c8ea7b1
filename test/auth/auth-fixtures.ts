/**
 * Shared pieces of the auth tests: configurations, claims, failure assertions, and the partner /
 * customer / consent_grant rows principals need. (No jose here, so suites that need no token
 * load none.)
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadAuthConfig, type AuthConfig } from '../../src/auth/auth-config';
import { AuthenticationError } from '../../src/auth/authentication-error';
import { UNAUTHENTICATED_MESSAGE } from '../../src/platform/errors';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function devConfig(env: NodeJS.ProcessEnv = {}): AuthConfig {
  return loadAuthConfig(env, 'test');
}

/** Claims of a valid staff token under `config`; tests remove or replace members to break it. */
export function validClaims(config: AuthConfig, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return {
    iss: config.issuer,
    aud: config.audience,
    sub: 'alice@store.example',
    iat: now,
    exp: now + 600,
    kind: 'staff',
    roles: ['customer_service'],
    purposes: ['after_sales'],
    ...overrides,
  };
}

export function without(claims: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  const copy = { ...claims };
  for (const name of names) delete copy[name];
  return copy;
}

export const bearer = (token: string): string => `Bearer ${token}`;

/** Runs `action`, expecting an AuthenticationError; returns it for further assertions. */
export async function authFailure(action: () => Promise<unknown>): Promise<AuthenticationError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof AuthenticationError)) {
    throw new Error(`expected an AuthenticationError, got ${caught === undefined ? 'success' : String(caught)}`);
  }
  expect(caught.message).toBe(UNAUTHENTICATED_MESSAGE);
  expect(caught.extensions.code).toBe('UNAUTHENTICATED');
  return caught;
}

/** Runs `action`, expecting a coded GraphQLError; returns its code and message. */
export async function codedFailure(action: () => unknown): Promise<{ code: unknown; message: string }> {
  try {
    await action();
  } catch (error) {
    const e = error as { extensions?: { code?: unknown }; message: string };
    return { code: e.extensions?.code, message: e.message };
  }
  throw new Error('expected a coded error, got success');
}

export type PartnerKindColumn = 'logistics' | 'payment' | 'platform' | 'third_party';

export async function insertPartner(ds: DataSource, kind: PartnerKindColumn, status: 'active' | 'suspended' = 'active'): Promise<string> {
  const [row] = await ds.query(`INSERT INTO partner (kind, name, status) VALUES ($1, $2, $3) RETURNING id`, [
    kind,
    `${kind} ${randomUUID()}`,
    status,
  ]);
  return row.id;
}

export async function insertCustomer(ds: DataSource, status: 'active' | 'erased' = 'active'): Promise<string> {
  const tag = randomUUID();
  const [row] = await ds.query(
    `INSERT INTO customer (account_name, email, phone, status) VALUES ($1, $2, $3, $4) RETURNING id`,
    [`Customer ${tag}`, `${tag}@example.com`, '+44 20 7946 0000', status],
  );
  return row.id;
}

export interface GrantRow {
  customerId: string;
  partnerId: string;
  categories?: string[];
  purpose?: string;
  grantedAt?: Date;
  expiresAt?: Date;
  withdrawnAt?: Date | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function insertGrant(ds: DataSource, grant: GrantRow): Promise<string> {
  const [row] = await ds.query(
    `INSERT INTO consent_grant (customer_id, grantee_partner_id, categories, purpose, granted_at, expires_at, withdrawn_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      grant.customerId,
      grant.partnerId,
      grant.categories ?? ['order.status', 'order.reference'],
      grant.purpose ?? 'authorized_sharing',
      grant.grantedAt ?? new Date(Date.now() - DAY_MS),
      grant.expiresAt ?? new Date(Date.now() + 30 * DAY_MS),
      grant.withdrawnAt ?? null,
    ],
  );
  return row.id;
}

export { DAY_MS };
