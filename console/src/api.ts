/**
 * The console's only way to data: the gateway's own GraphQL endpoint, called as the signed-in
 * compliance officer, under purpose legal_compliance with the legal case the officer works on
 * (X-Legal-Case) — or, for the data-subject request queue and the request the officer opens,
 * under data_subject_request with that request (X-Privacy-Request; the queue itself is read
 * without one, as the matrix allows). Every read is therefore row-scoped, field-ruled, and
 * audited and flagged with what it serves, exactly like any other caller's.
 *
 * The token lives in sessionStorage: it is gone when the tab closes, and no other site can read it.
 */
export interface Session {
  token: string;
  legalCase: string;
}

const SESSION_KEY = 'need-to-know.console.session';

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<Session>) : undefined;
    return parsed && typeof parsed.token === 'string' && typeof parsed.legalCase === 'string' ? { token: parsed.token, legalCase: parsed.legalCase } : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

/** An error the gateway answered with, its code and message kept for the page to show. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** What a read serves: the signed-in legal case (the default), or data-subject request work, naming the request once one is opened. */
export type Serves = { purpose: 'legal_compliance' } | { purpose: 'data_subject_request'; privacyRequest?: string };

function servesHeaders(session: Session, serves: Serves): Record<string, string> {
  if (serves.purpose === 'legal_compliance') return { 'x-purpose': 'legal_compliance', 'x-legal-case': session.legalCase };
  return { 'x-purpose': 'data_subject_request', ...(serves.privacyRequest ? { 'x-privacy-request': serves.privacyRequest } : {}) };
}

export async function graphql<T>(
  session: Session,
  operationName: string,
  query: string,
  variables: Record<string, unknown> = {},
  serves: Serves = { purpose: 'legal_compliance' },
): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${session.token}`,
      ...servesHeaders(session, serves),
    },
    body: JSON.stringify({ operationName, query, variables }),
  });
  let body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = await response.json();
  } catch {
    throw new GatewayError(`The gateway answered HTTP ${response.status} without a GraphQL body`, 'BAD_RESPONSE', response.status);
  }
  const [first] = body.errors ?? [];
  if (first) throw new GatewayError(first.message, first.extensions?.code ?? 'ERROR', response.status);
  if (!body.data) throw new GatewayError('The gateway answered without data', 'BAD_RESPONSE', response.status);
  return body.data;
}

/** Development only: the gateway mints a compliance officer's token (404 elsewhere). */
export async function devSignIn(): Promise<string> {
  const response = await fetch('/console/api/dev-sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(body.error ?? `Development sign-in failed (HTTP ${response.status})`);
  return body.token;
}
