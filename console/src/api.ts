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

/**
 * Who the session's token names (its `sub` claim): the subject the gateway records as the handler
 * of a request the officer takes. Read only to word what a page offers the officer about their
 * own requests; what the officer may do is the gateway's answer alone. Undefined when the token
 * is not a JWT whose payload names a subject.
 */
export function signedInSubject(session: Session): string | undefined {
  const payload = session.token.split('.')[1];
  if (!payload) return undefined;
  try {
    const bytes = Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { sub?: unknown } | null;
    return typeof claims?.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

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

/** An error the gateway answered with, its code, message and details kept for the page to show. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    /** The error's other extensions (a refusal's `reason`, a request's `requestStatus`, …). */
    readonly details: Readonly<Record<string, unknown>> = {},
    /** The gateway's id of the request (`x-request-id`), under which it logged what went wrong. */
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/**
 * An error as a sentence for the officer: what happened and what to do, from the gateway's code
 * (and its reason, where it gives one), with the code itself at the end for whoever supports them
 * — never a stack or the raw answer.
 */
export function inWords(error: unknown): string {
  if (!(error instanceof GatewayError)) return `The gateway could not be reached: check the connection, then try again (${(error as Error).message}).`;
  const said = (sentence: string) => `${sentence} (${error.code})`;
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return said('Your sign-in is no longer valid: sign in again.');
    case 'FORBIDDEN':
      return said(`The gateway's policy does not let you do this: ${error.message}.`);
    case 'NOT_FOUND':
      return said('The gateway finds no such record within your reach: it may never have existed, or it is not yours to see.');
    case 'BAD_USER_INPUT':
      if (error.details.reason === 'REQUEST_STATE') return said(`This can no longer be done: ${error.message}. The request is shown as it is now.`);
      return said(`The gateway refused what was sent: ${error.message}.`);
    case 'RATE_LIMITED':
      return said(`Too many requests just now: ${error.message}. Wait a little, then try again.`);
    case 'SERVICE_UNAVAILABLE':
      return said('The database cannot answer right now: try again in a moment (an action is sent again with the same key, so it is never done twice).');
    case 'IDEMPOTENCY_KEY_REUSED':
      return said('This action was already sent, and its answer can no longer be repeated: reopen the request to see whether it took effect.');
    case 'INTERNAL_SERVER_ERROR':
      return said(`The gateway failed unexpectedly${error.requestId ? `; it logged the failure under request ${error.requestId}` : ''}. Try again; if it fails again, report that id.`);
    case 'BAD_RESPONSE':
      return said(`The gateway answered something that is not GraphQL: ${error.message}.`);
    default:
      return said(error.message);
  }
}

/** What a read serves: the signed-in legal case (the default), or data-subject request work, naming the request once one is opened. */
export type Serves = { purpose: 'legal_compliance' } | { purpose: 'data_subject_request'; privacyRequest?: string };

function servesHeaders(session: Session, serves: Serves): Record<string, string> {
  if (serves.purpose === 'legal_compliance') return { 'x-purpose': 'legal_compliance', 'x-legal-case': session.legalCase };
  return { 'x-purpose': 'data_subject_request', ...(serves.privacyRequest ? { 'x-privacy-request': serves.privacyRequest } : {}) };
}

/**
 * Sends one operation. `idempotencyKey`: a write's key (the Idempotency-Key header), the same when
 * the same write is sent again after an answer that never came, so the gateway does it once.
 */
export async function graphql<T>(
  session: Session,
  operationName: string,
  query: string,
  variables: Record<string, unknown> = {},
  serves: Serves = { purpose: 'legal_compliance' },
  idempotencyKey?: string,
): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${session.token}`,
      ...servesHeaders(session, serves),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify({ operationName, query, variables }),
  });
  const requestId = response.headers.get('x-request-id') ?? undefined;
  let body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }> };
  try {
    body = await response.json();
  } catch {
    throw new GatewayError(`The gateway answered HTTP ${response.status} without a GraphQL body`, 'BAD_RESPONSE', response.status, {}, requestId);
  }
  const [first] = body.errors ?? [];
  if (first) {
    const { code, ...details } = first.extensions ?? {};
    throw new GatewayError(first.message, code ?? 'ERROR', response.status, details, requestId);
  }
  if (!body.data) throw new GatewayError('The gateway answered without data', 'BAD_RESPONSE', response.status, {}, requestId);
  return body.data;
}

/** A new Idempotency-Key: 128 random bits as hex (getRandomValues works outside secure contexts too). */
export function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Development only: the gateway mints a compliance officer's token (404 elsewhere). */
export async function devSignIn(): Promise<string> {
  const response = await fetch('/console/api/dev-sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(body.error ?? `Development sign-in failed (HTTP ${response.status})`);
  return body.token;
}
