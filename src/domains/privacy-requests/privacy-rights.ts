/**
 * Data-subject requests (policy §6, design §6), from submission to completion. Every function
 * writes through the EntityManager it is given — the request's transaction, so a request's
 * change, its audit event and the mail it sends commit together or not at all — and decides no
 * permission: the disclosure matrix decided who may call, and the resolver found the customer
 * or the request inside the caller's row scope.
 *
 *   received ── verify(code) ──> identity_verified ──> in_progress ──> completed
 *       └───────────┴──────────────── reject(reason) ──────┴──────────> rejected
 *
 * - Submitting mails a one-time code to the email on file (identity-codes.ts); verifying it sets
 *   the deadline: the end of the 3rd working day after (working-days.ts).
 * - Access, consent withdrawal and objection are carried out as soon as the identity is
 *   verified; a rectification when the verified requester sends the corrections
 *   (`rectify`); an erasure when a compliance officer completes it (it cannot be undone).
 * - Every change of status is a row of privacy_request_transition and is named in the request's
 *   audit event (`transitions`), with the request id as its privacy request reference.
 * - A customer may open at most `requestsPerDay` requests in 24 hours, and a request may be sent
 *   at most 5 codes, one a minute: free of charge, but not a mail cannon.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { GraphQLError } from 'graphql';
import { rateLimited } from '../../hardening/rate-limit';
import type { PolicyView } from '../../policy/policy-view';
import { SecretBox, SecretMac } from '../../platform/secret-box';
import { enqueueMail } from '../../mail/outbox';
import { badUserInput, ErrorCode, notFound } from '../../platform/errors';
import { returnedRows } from '../../platform/returning';
import { eraseCustomer, type ErasureOptions, type ErasureOutcome } from '../../privacy/handlers/erasure';
import { buildPrivacyExport, type PrivacyExportDocument } from '../../privacy/handlers/privacy-export';
import { HANDLERS_BY_TABLE } from '../../privacy/handlers/registry';
import { withdrawConsentGrants } from '../consent/consent.service';
import {
  attemptsOfNewCode,
  CODE_ATTEMPTS,
  CODE_RESEND_AFTER_MS,
  CODE_TTL_MS,
  CODES_PER_REQUEST,
  codeHash,
  codeMatches,
  CUSTOMER_CODE_FAILURES,
  CUSTOMER_CODE_FAILURES_WINDOW_MS,
  newCode,
  REQUEST_CODE_FAILURES,
} from './identity-codes';
import {
  PrivacyRequestAction,
  PrivacyRequestChannel,
  PrivacyRequestEntity,
  PrivacyRequestStatus,
  PrivacyRequestType,
  type PrivacyRequestParameters,
} from './privacy-request.entity';
import { dueAfter, type WorkingCalendar } from './working-days';

/** Who acts on a request: a principal kind and token subject, or `system`. */
export interface Actor {
  kind: string;
  subject: string;
}

/**
 * Who handles `request` once `actor` has worked it: its handler, or else staff who took, carried
 * out, completed or rejected it (a request done by a person names one). A customer acting on
 * their own request is its subject, not its handler, and the system names nobody.
 */
function handlerAfter(request: Pick<PrivacyRequestEntity, 'handler'>, actor: Actor): string | null {
  return request.handler ?? (actor.kind === 'staff' ? actor.subject : null);
}

export interface PrivacyRightsOptions {
  /** The secret codes are hashed under and mail bodies sealed with. */
  secret: string;
  /** Secrets it replaced (PRIVACY_SECRET_PREVIOUS): codes and sealed values made under them still verify and open. */
  previousSecrets?: readonly string[];
  calendar: WorkingCalendar;
  /** Requests one customer may open in 24 hours. Default 5. */
  requestsPerDay?: number;
  /** The origin download links point to, e.g. https://privacy.shop.example. */
  publicUrl: string;
  /** How long a download link works. Default 1 hour. */
  exportLinkTtlMs?: number;
  now?: () => Date;
}

/** Request types carried out as soon as the customer's identity is verified. */
const CARRIED_OUT_ON_VERIFICATION: ReadonlySet<PrivacyRequestType> = new Set([PrivacyRequestType.ACCESS, PrivacyRequestType.WITHDRAW_CONSENT, PrivacyRequestType.OBJECTION]);
const FINISHED: ReadonlySet<PrivacyRequestStatus> = new Set([PrivacyRequestStatus.COMPLETED, PrivacyRequestStatus.REJECTED]);
const DAY_MS = 24 * 3600_000;
/** A request whose identity is verified and that is not yet completed or rejected: an officer works it. */
const WORKABLE: ReadonlySet<PrivacyRequestStatus> = new Set([PrivacyRequestStatus.IDENTITY_VERIFIED, PrivacyRequestStatus.IN_PROGRESS]);
const WAITING_FOR_CODE = (r: Pick<PrivacyRequestEntity, 'status'>) => r.status === PrivacyRequestStatus.RECEIVED;

/**
 * What each write on a request needs of the request's type and status: the one rule the writes
 * below check, and that `PrivacyRequest.actions` answers by (with the caller's policy). A write
 * may still be refused for what only it can check (a code's rate, a rectification's corrections).
 */
export const ACTION_ALLOWED: Readonly<Record<PrivacyRequestAction, (request: Pick<PrivacyRequestEntity, 'type' | 'status'>) => boolean>> = {
  [PrivacyRequestAction.VERIFY]: WAITING_FOR_CODE,
  [PrivacyRequestAction.RESEND_CODE]: WAITING_FOR_CODE,
  [PrivacyRequestAction.ASSIGN]: (r) => WORKABLE.has(r.status),
  [PrivacyRequestAction.COMPLETE]: (r) => WORKABLE.has(r.status) && r.type !== PrivacyRequestType.RECTIFICATION,
  [PrivacyRequestAction.REJECT]: (r) => !FINISHED.has(r.status),
  [PrivacyRequestAction.RECTIFY]: (r) => WORKABLE.has(r.status) && r.type === PrivacyRequestType.RECTIFICATION,
  [PrivacyRequestAction.CREATE_EXPORT_LINK]: (r) => r.type === PrivacyRequestType.ACCESS && r.status === PrivacyRequestStatus.COMPLETED,
};

const ACTIONS: readonly PrivacyRequestAction[] = Object.values(PrivacyRequestAction);

/**
 * What the caller may do to `request` now: the writes `policy` grants (its decision on each
 * mutation, the one the shield makes when the write is sent) that the request's type and status
 * allow (`ACTION_ALLOWED`), in the order a request is worked. `PrivacyRequest.actions` is
 * answered by this alone, on graphql-js (its resolver) and in a compiled read (read-plans.ts).
 */
export function actionsOn(request: Pick<PrivacyRequestEntity, 'type' | 'status'>, policy: Pick<PolicyView, 'decide'>): PrivacyRequestAction[] {
  return ACTIONS.filter((action) => policy.decide('Mutation', action) === 'visible' && ACTION_ALLOWED[action](request));
}

/** `statesWithActions` per view (views are cached per caller kind, roles, purpose and grant). */
const withActions = new WeakMap<Pick<PolicyView, 'decide'>, readonly string[]>();

/**
 * The states (`type/status`, as stored) in which `actionsOn` leaves `policy` some action: worked
 * out by it over every type and status, once per view. A compiled read binds them to tell in its
 * statement where the field carries a value (for the audit), without the rule written in SQL.
 */
export function statesWithActions(policy: Pick<PolicyView, 'decide'>): readonly string[] {
  let states = withActions.get(policy);
  if (states === undefined) {
    states = Object.values(PrivacyRequestType).flatMap((type) =>
      Object.values(PrivacyRequestStatus).flatMap((status) => (actionsOn({ type, status }, policy).length > 0 ? [`${type}/${status}`] : [])),
    );
    withActions.set(policy, states);
  }
  return states;
}

/** A request in a state that does not allow what was asked: the caller's mistake, with a reason code. */
function wrongState(request: PrivacyRequestEntity, expected: string): GraphQLError {
  return badUserInput(`Privacy request ${request.id} is ${request.status}: expected ${expected}`, { reason: 'REQUEST_STATE', requestStatus: request.status });
}

/** RATE_LIMITED with reason CODE_ATTEMPTS_SPENT: an attempt budget of verification codes is spent (identity-codes.ts). */
function attemptsSpent(message: string, retryAfterSeconds?: number): GraphQLError {
  const http = retryAfterSeconds === undefined ? undefined : { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) };
  return new GraphQLError(message, { extensions: { code: ErrorCode.RATE_LIMITED, reason: 'CODE_ATTEMPTS_SPENT', ...(retryAfterSeconds !== undefined && { retryAfterSeconds }), ...(http && { http }) } });
}

/** What a verification attempt came to; a wrong code is recorded (one attempt fewer) before it is answered as an error. */
export type Verification = { verified: true; request: PrivacyRequestEntity } | { verified: false; attemptsLeft: number };

/** Corrections a rectification applies; each present field is written, each absent one left as it is. */
export interface Corrections {
  account?: Record<string, string | null>;
  /** Address-book entries: changed (id and fields), added (no id), or removed (id and remove). */
  addresses?: Array<{ id?: string | null; remove?: boolean | null; fields: Record<string, string | boolean | null> }>;
  /** Orders not yet packed for the carrier whose shipping snapshot should take this address. */
  orderShipping?: { orderIds: string[]; fields: Record<string, string | null> };
}

export class PrivacyRights {
  readonly box: SecretBox;
  private readonly secret: string;
  private readonly previousSecrets: readonly string[];
  private readonly requestsPerDay: number;
  private readonly exportLinkTtlMs: number;
  readonly now: () => Date;

  constructor(private readonly options: PrivacyRightsOptions) {
    this.secret = options.secret;
    this.previousSecrets = options.previousSecrets ?? [];
    this.box = new SecretBox(options.secret, undefined, this.previousSecrets);
    this.requestsPerDay = options.requestsPerDay ?? 5;
    this.exportLinkTtlMs = options.exportLinkTtlMs ?? 3600_000;
    this.now = options.now ?? (() => new Date());
  }

  /** A box under the same secret for another use (idempotent responses): its key is derived under `use`, never the mail bodies' key. */
  boxFor(use: string): SecretBox {
    return new SecretBox(this.secret, use, this.previousSecrets);
  }

  /** Keyed fingerprints under the same secret for `use` (idempotent requests): a key of their own, derived under `use`. */
  macFor(use: string): SecretMac {
    return new SecretMac(this.secret, use, this.previousSecrets);
  }

  /** The request, locked for the transaction; null when it does not exist (the resolver found it in scope first). */
  private async lock(em: EntityManager, requestId: string): Promise<PrivacyRequestEntity> {
    const found = await em.getRepository(PrivacyRequestEntity).findOne({ where: { id: requestId }, lock: { mode: 'pessimistic_write' } });
    if (!found) throw notFound('Privacy request');
    return found;
  }

  /** Moves the request to `to`, recording the transition; returns its label for the audit event. */
  private async move(em: EntityManager, request: PrivacyRequestEntity, to: PrivacyRequestStatus, actor: Actor, note: string | null, at: Date, changes: Partial<PrivacyRequestEntity> = {}): Promise<string> {
    const from = request.status;
    Object.assign(request, changes, { status: to });
    await em.getRepository(PrivacyRequestEntity).update({ id: request.id }, { ...changes, status: to } as QueryDeepPartialEntity<PrivacyRequestEntity>);
    await em.query(
      `INSERT INTO privacy_request_transition (request_id, from_status, to_status, at, actor_kind, actor, note) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [request.id, from, to, at, actor.kind, actor.subject, note],
    );
    return `${from ?? 'none'}>${to}`;
  }

  async submit(
    em: EntityManager,
    input: { customerId: string; type: PrivacyRequestType; grantIds?: readonly string[] | null; actor: Actor; via: PrivacyRequestChannel },
  ): Promise<{ request: PrivacyRequestEntity; transitions: string[] }> {
    const at = this.now();
    // Locked so that concurrent submissions count each other.
    const [customer]: Array<{ email: string; status: string }> = await em.query(`SELECT email, status FROM customer WHERE id = $1 FOR UPDATE`, [input.customerId]);
    if (!customer || customer.status !== 'active') throw notFound('Customer');
    const recent: Array<{ received_at: Date }> = await em.query(
      `SELECT received_at FROM privacy_request WHERE customer_id = $1 AND received_at > $2 ORDER BY received_at ASC`,
      [input.customerId, new Date(at.getTime() - DAY_MS)],
    );
    if (recent.length >= this.requestsPerDay) throw rateLimited((recent[0].received_at.getTime() + DAY_MS - at.getTime()) / 1000);
    let parameters: PrivacyRequestParameters | null = null;
    if (input.grantIds != null) {
      if (input.type !== PrivacyRequestType.WITHDRAW_CONSENT) throw badUserInput(`input.grantIds: only a withdraw_consent request names grants, got a ${input.type} request`);
      const ids = [...new Set(input.grantIds)];
      // The customer's own grants only: any other id answers as one that does not exist.
      const own: Array<{ id: string }> = await em.query(`SELECT id FROM consent_grant WHERE customer_id = $1 AND id = ANY($2::uuid[])`, [input.customerId, ids]);
      if (own.length !== ids.length) throw notFound('Consent grant');
      parameters = { grantIds: ids };
    }
    const request = Object.assign(new PrivacyRequestEntity(), {
      customerId: input.customerId,
      type: input.type,
      status: PrivacyRequestStatus.RECEIVED,
      receivedAt: at,
      verifiedAt: null,
      dueAt: null,
      completedAt: null,
      handler: null,
      resultSummary: null,
      rejectionReason: null,
      openedVia: input.via,
      openedBy: input.actor.subject,
      parameters,
      result: null,
      codeFailures: 0,
      lastCodeFailureAt: null,
    });
    await em.getRepository(PrivacyRequestEntity).insert(request);
    await em.query(
      `INSERT INTO privacy_request_transition (request_id, from_status, to_status, at, actor_kind, actor, note) VALUES ($1, NULL, 'received', $2, $3, $4, $5)`,
      [request.id, at, input.actor.kind, input.actor.subject, input.via === PrivacyRequestChannel.CUSTOMER_SERVICE ? 'opened by customer service on the customer’s behalf' : null],
    );
    await this.sendCode(em, request, customer.email, at);
    return { request, transitions: ['none>received'] };
  }

  private async sendCode(em: EntityManager, request: PrivacyRequestEntity, email: string, at: Date): Promise<void> {
    const code = newCode();
    await em.query(
      `INSERT INTO privacy_request_code (request_id, code_hash, issued_at, expires_at, attempts_left) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (request_id) DO UPDATE SET code_hash = EXCLUDED.code_hash, issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at, attempts_left = EXCLUDED.attempts_left`,
      [request.id, codeHash(this.secret, request.id, code), at, new Date(at.getTime() + CODE_TTL_MS), attemptsOfNewCode(request.codeFailures)],
    );
    await enqueueMail(
      em,
      this.box,
      {
        customerId: request.customerId,
        topic: `privacy_request:${request.id}`,
        to: email,
        subject: 'Your verification code for your privacy request',
        text: [
          `We received a ${request.type.replace('_', ' ')} request for your account on ${request.receivedAt.toISOString().slice(0, 10)}.`,
          '',
          `Verification code: ${code}`,
          '',
          `The code is valid for ${CODE_TTL_MS / 60_000} minutes and ${CODE_ATTEMPTS} attempts. If you did not make this request, ignore this mail: nothing happens without the code.`,
          '',
          `Request reference: ${request.id}`,
        ].join('\n'),
      },
      at,
    );
  }

  /** A new code for a request still waiting for verification (the old one stops working). */
  async resendCode(em: EntityManager, requestId: string): Promise<PrivacyRequestEntity> {
    const at = this.now();
    const request = await this.lock(em, requestId);
    if (!ACTION_ALLOWED[PrivacyRequestAction.RESEND_CODE](request)) throw wrongState(request, 'received (waiting for its verification code)');
    if (request.codeFailures >= REQUEST_CODE_FAILURES) throw attemptsSpent(`Privacy request ${request.id} has taken ${REQUEST_CODE_FAILURES} wrong codes, the most one request may: open a new request`);
    const [sent]: Array<{ n: number; last: Date | null }> = await em.query(`SELECT count(*)::int AS n, max(created_at) AS last FROM mail_outbox WHERE topic = $1`, [`privacy_request:${request.id}`]);
    if (sent.n >= CODES_PER_REQUEST) {
      throw new GraphQLError(`Privacy request ${request.id} was sent ${CODES_PER_REQUEST} codes, the most one request may have: open a new request`, {
        extensions: { code: ErrorCode.RATE_LIMITED, reason: 'CODES_EXHAUSTED' },
      });
    }
    if (sent.last && sent.last.getTime() + CODE_RESEND_AFTER_MS > at.getTime()) throw rateLimited((sent.last.getTime() + CODE_RESEND_AFTER_MS - at.getTime()) / 1000);
    const [customer]: Array<{ email: string; status: string }> = await em.query(`SELECT email, status FROM customer WHERE id = $1`, [request.customerId]);
    if (!customer || customer.status !== 'active') throw notFound('Privacy request');
    await this.sendCode(em, request, customer.email, at);
    return request;
  }

  /**
   * Checks a code. A wrong one costs an attempt, which is written before the caller is told;
   * the 5th wrong one, or a code past its 15 minutes, needs a new code. A right one verifies the
   * identity, sets the deadline, and carries out an access, withdrawal or objection at once.
   */
  async verify(em: EntityManager, requestId: string, code: string, actor: Actor): Promise<Verification & { transitions: string[] }> {
    const at = this.now();
    const request = await this.lock(em, requestId);
    if (!ACTION_ALLOWED[PrivacyRequestAction.VERIFY](request)) throw wrongState(request, 'received (waiting for its verification code)');
    await this.checkCustomerCodeBudget(em, request.customerId, at);
    const [stored]: Array<{ code_hash: string; expires_at: Date; attempts_left: number }> = await em.query(
      `SELECT code_hash, expires_at, attempts_left FROM privacy_request_code WHERE request_id = $1 FOR UPDATE`,
      [request.id],
    );
    if (!stored || stored.expires_at.getTime() <= at.getTime() || stored.attempts_left <= 0) {
      const next = request.codeFailures >= REQUEST_CODE_FAILURES ? `it has taken ${REQUEST_CODE_FAILURES} wrong codes, the most one request may: open a new request` : 'ask for a new code (resendPrivacyRequestCode)';
      throw badUserInput(`The verification code of privacy request ${request.id} has expired or has no attempts left: ${next}`, { reason: 'CODE_EXPIRED' });
    }
    if (!codeMatches([this.secret, ...this.previousSecrets], request.id, code, stored.code_hash)) {
      await em.query(`UPDATE privacy_request_code SET attempts_left = attempts_left - 1 WHERE request_id = $1`, [request.id]);
      await em.query(`UPDATE privacy_request SET code_failures = code_failures + 1, last_code_failure_at = $2 WHERE id = $1`, [request.id, at]);
      return { verified: false, attemptsLeft: stored.attempts_left - 1, transitions: [] };
    }
    await em.query(`DELETE FROM privacy_request_code WHERE request_id = $1`, [request.id]);
    const transitions = [
      await this.move(em, request, PrivacyRequestStatus.IDENTITY_VERIFIED, actor, null, at, { verifiedAt: at, dueAt: dueAfter(at, this.options.calendar) }),
    ];
    // Never an erasure (it waits for an officer), so nothing is left to do after the commit.
    if (CARRIED_OUT_ON_VERIFICATION.has(request.type)) transitions.push(...(await this.carryOut(em, request, { kind: 'system', subject: 'privacy-rights' }, at)).transitions);
    return { verified: true, request, transitions };
  }

  /**
   * Refuses, before any code is compared, a verification of a customer whose requests have taken
   * CUSTOMER_CODE_FAILURES wrong codes within the window (counting every failure of a request whose
   * last failure is within it). The customer's row is locked first, so concurrent verifications of
   * their requests count each other.
   */
  private async checkCustomerCodeBudget(em: EntityManager, customerId: string, at: Date): Promise<void> {
    await em.query(`SELECT 1 FROM customer WHERE id = $1 FOR UPDATE`, [customerId]);
    const [spent]: Array<{ failures: number; last: Date | null }> = await em.query(
      `SELECT coalesce(sum(code_failures), 0)::int AS failures, max(last_code_failure_at) AS last FROM privacy_request WHERE customer_id = $1 AND last_code_failure_at > $2`,
      [customerId, new Date(at.getTime() - CUSTOMER_CODE_FAILURES_WINDOW_MS)],
    );
    if (spent.failures < CUSTOMER_CODE_FAILURES) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((spent.last!.getTime() + CUSTOMER_CODE_FAILURES_WINDOW_MS - at.getTime()) / 1000));
    throw attemptsSpent(
      `The privacy requests of this customer have taken ${CUSTOMER_CODE_FAILURES} wrong verification codes in 24 hours, the most they may: verify again in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  }

  /** A compliance officer takes the request: identity_verified (or in_progress, another officer's) -> in_progress. */
  async assign(em: EntityManager, requestId: string, actor: Actor): Promise<{ request: PrivacyRequestEntity; transitions: string[] }> {
    const request = await this.lock(em, requestId);
    if (!ACTION_ALLOWED[PrivacyRequestAction.ASSIGN](request)) throw wrongState(request, 'identity_verified or in_progress');
    const note = request.status === PrivacyRequestStatus.IN_PROGRESS ? 'reassigned' : null;
    return { request, transitions: [await this.move(em, request, PrivacyRequestStatus.IN_PROGRESS, actor, note, this.now(), { handler: actor.subject })] };
  }

  /**
   * Carries the request out and completes it (an erasure waits for this). `blobKeys`: blobs of
   * attachments an erasure deleted, to delete once the caller's transaction has committed.
   */
  async complete(
    em: EntityManager,
    requestId: string,
    actor: Actor,
    erasure: Pick<ErasureOptions, 'afterTable'> = {},
  ): Promise<{ request: PrivacyRequestEntity; transitions: string[]; blobKeys: string[] }> {
    const request = await this.lock(em, requestId);
    if (!WORKABLE.has(request.status)) throw wrongState(request, 'identity_verified or in_progress');
    if (!ACTION_ALLOWED[PrivacyRequestAction.COMPLETE](request)) {
      throw badUserInput(`Privacy request ${request.id} is a rectification: it is completed by the corrections it applies (rectifyPersonalData)`, { reason: 'REQUEST_TYPE' });
    }
    return { request, ...(await this.carryOut(em, request, actor, this.now(), erasure)) };
  }

  async reject(em: EntityManager, requestId: string, actor: Actor, reason: string): Promise<{ request: PrivacyRequestEntity; transitions: string[] }> {
    const at = this.now();
    const request = await this.lock(em, requestId);
    if (!ACTION_ALLOWED[PrivacyRequestAction.REJECT](request)) throw wrongState(request, 'not yet completed or rejected');
    const transitions = [await this.move(em, request, PrivacyRequestStatus.REJECTED, actor, reason, at, { rejectionReason: reason, completedAt: at, handler: handlerAfter(request, actor) })];
    await em.query(`DELETE FROM privacy_request_code WHERE request_id = $1`, [request.id]);
    return { request, transitions };
  }

  /** in_progress, the work of the request's type, completed: in the caller's transaction, all or nothing. */
  private async carryOut(
    em: EntityManager,
    request: PrivacyRequestEntity,
    actor: Actor,
    at: Date,
    erasure: Pick<ErasureOptions, 'afterTable'> = {},
  ): Promise<{ transitions: string[]; blobKeys: string[] }> {
    const transitions: string[] = [];
    let blobKeys: string[] = [];
    const handler = handlerAfter(request, actor);
    if (request.status !== PrivacyRequestStatus.IN_PROGRESS) {
      transitions.push(await this.move(em, request, PrivacyRequestStatus.IN_PROGRESS, actor, null, at, { handler }));
    }
    let result: Record<string, unknown>;
    let summary: string;
    switch (request.type) {
      case PrivacyRequestType.ACCESS: {
        const document = await buildPrivacyExport(em, { customerId: request.customerId, requestId: request.id }, at);
        const sections = Object.fromEntries(Object.entries(document.sections).map(([name, rows]) => [name, rows.length]));
        const records = Object.values(sections).reduce((a, b) => a + b, 0);
        result = { export: { format: document.format, version: document.version, sections } };
        summary = `Export ready: ${records} records in ${Object.keys(sections).length} sections; read it with privacyExport or download it through createPrivacyExportLink.`;
        break;
      }
      case PrivacyRequestType.WITHDRAW_CONSENT: {
        const ids = request.parameters?.grantIds;
        const withdrawn = await withdrawConsentGrants(em, request.customerId, ids ? { grantIds: ids } : 'all', at);
        result = { withdrawnGrants: withdrawn.map((g) => g.id).sort() };
        summary = `Withdrew ${withdrawn.length} consent grant(s)${ids ? ` of the ${ids.length} named` : ' (all in force)'}; a third party's next request under them is refused.`;
        break;
      }
      case PrivacyRequestType.OBJECTION: {
        await em.query(`UPDATE customer SET analytics_objection = true WHERE id = $1`, [request.customerId]);
        result = { analyticsObjection: true };
        summary = 'The customer is excluded from analytics from now on: their sessions are no longer recorded.';
        break;
      }
      case PrivacyRequestType.ERASURE: {
        const erased = await eraseCustomer(em, request.customerId, at, erasure);
        const outcome = erased.outcome;
        blobKeys = erased.blobKeys;
        result = { erasure: outcome };
        summary = erasureSummary(outcome);
        break;
      }
      case PrivacyRequestType.RECTIFICATION:
        throw new Error('a rectification is carried out by rectify()');
    }
    transitions.push(await this.move(em, request, PrivacyRequestStatus.COMPLETED, actor, null, at, { completedAt: at, handler, result, resultSummary: summary }));
    return { transitions, blobKeys };
  }

  /**
   * Applies a verified rectification's corrections and completes it. Records which fields were
   * corrected (never their old or new values) on the request and its transition.
   */
  async rectify(em: EntityManager, requestId: string, actor: Actor, corrections: Corrections): Promise<{ request: PrivacyRequestEntity; transitions: string[] }> {
    const at = this.now();
    const request = await this.lock(em, requestId);
    if (request.type !== PrivacyRequestType.RECTIFICATION) throw badUserInput(`Privacy request ${request.id} is a ${request.type} request, not a rectification`, { reason: 'REQUEST_TYPE' });
    if (!ACTION_ALLOWED[PrivacyRequestAction.RECTIFY](request)) throw wrongState(request, 'identity_verified or in_progress (its identity verified)');
    // Locked before anything is corrected: an erasure in progress is waited for, and once it has
    // committed the corrections would write personal data back into the erased account.
    const [customer]: Array<{ status: string }> = await em.query(`SELECT status FROM customer WHERE id = $1 FOR UPDATE`, [request.customerId]);
    if (customer?.status !== 'active') throw notFound('Customer');
    const corrected = await applyCorrections(em, request.customerId, corrections);
    if (corrected.length === 0) throw badUserInput('input: expected at least one correction (account fields, addresses or order shipping)');
    const handler = handlerAfter(request, actor);
    const transitions: string[] = [];
    if (request.status !== PrivacyRequestStatus.IN_PROGRESS) transitions.push(await this.move(em, request, PrivacyRequestStatus.IN_PROGRESS, actor, null, at, { handler }));
    transitions.push(
      await this.move(em, request, PrivacyRequestStatus.COMPLETED, actor, `corrected: ${corrected.join(', ')}`, at, {
        completedAt: at,
        handler,
        result: { corrected },
        resultSummary: `Corrected ${corrected.length} field(s): ${corrected.join(', ')}.`,
      }),
    );
    return { request, transitions };
  }

  /** The export of a completed access request, built now from what is held. */
  async exportOf(em: Pick<EntityManager, 'query'>, request: PrivacyRequestEntity): Promise<PrivacyExportDocument> {
    if (!ACTION_ALLOWED[PrivacyRequestAction.CREATE_EXPORT_LINK](request)) {
      throw badUserInput(`Privacy request ${request.id} is a ${request.type} request that is ${request.status}: only a completed access request has an export`, { reason: 'REQUEST_STATE' });
    }
    return buildPrivacyExport(em, { customerId: request.customerId, requestId: request.id }, this.now());
  }

  /** A single-use download link to the export of a completed access request; only the token's hash is stored. */
  async createExportLink(em: EntityManager, request: PrivacyRequestEntity): Promise<{ url: string; expiresAt: Date }> {
    if (!ACTION_ALLOWED[PrivacyRequestAction.CREATE_EXPORT_LINK](request)) {
      throw badUserInput(`Privacy request ${request.id} is a ${request.type} request that is ${request.status}: only a completed access request has an export`, { reason: 'REQUEST_STATE' });
    }
    const at = this.now();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(at.getTime() + this.exportLinkTtlMs);
    await em.query(`INSERT INTO privacy_export_link (request_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)`, [request.id, exportTokenHash(token), at, expiresAt]);
    return { url: `${this.options.publicUrl.replace(/\/$/, '')}${EXPORT_DOWNLOAD_PATH}${token}`, expiresAt };
  }

  /**
   * Claims a download link: marks it used and answers its request and customer, or null when the
   * token is unknown, used or expired (all three answer alike).
   */
  async claimExportLink(db: Pick<EntityManager, 'query'>, token: string): Promise<{ requestId: string; customerId: string; linkId: string } | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const rows = returnedRows<{ request_id: string; customer_id: string; id: string }>(await db.query(
      `UPDATE privacy_export_link l SET used_at = $2 FROM privacy_request r
        WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 AND r.id = l.request_id
        RETURNING l.id, l.request_id, r.customer_id`,
      [exportTokenHash(token), this.now()],
    ));
    return rows[0] ? { requestId: rows[0].request_id, customerId: rows[0].customer_id, linkId: rows[0].id } : null;
  }
}

export const EXPORT_DOWNLOAD_PATH = '/privacy-exports/';

export function exportTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function erasureSummary(outcome: ErasureOutcome): string {
  const erased = outcome.erased.map((e) => `${e.table} ${e.action} ${e.rows}`).join(', ') || 'nothing';
  const kept = outcome.kept.map((k) => `${k.table} ${k.rows} (${k.reason})`).join('; ') || 'nothing';
  return `Erased: ${erased}. Kept: ${kept}. The account is erased; kept records are restricted to legal_compliance.`;
}

/** The columns a rectification may write, per table, from the privacy-handler registry. */
function rectifiable(table: string): ReadonlyMap<string, string> {
  return new Map((HANDLERS_BY_TABLE.get(table)?.rectify ?? []).map((r) => [r.input, r.column]));
}

/** Writes the corrections; returns what was corrected, as `customer.email`, `address:<id>.city`, `order:<number>.shipping`. */
async function applyCorrections(em: EntityManager, customerId: string, corrections: Corrections): Promise<string[]> {
  const corrected: string[] = [];
  const set = (table: string, fields: Record<string, unknown>, params: unknown[]): { sql: string; names: string[] } => {
    const columns = rectifiable(table);
    const parts: string[] = [];
    const names: string[] = [];
    for (const [input, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const column = columns.get(input);
      if (!column) throw badUserInput(`${input}: cannot be corrected through a privacy request`);
      params.push(value);
      parts.push(`"${column}" = $${params.length}`);
      names.push(input);
    }
    return { sql: parts.join(', '), names };
  };

  if (corrections.account) {
    const params: unknown[] = [customerId];
    const { sql, names } = set('customer', corrections.account, params);
    if (names.length > 0) {
      try {
        await em.query(`SAVEPOINT rectify_account`);
        await em.query(`UPDATE customer SET ${sql} WHERE id = $1`, params);
        await em.query(`RELEASE SAVEPOINT rectify_account`);
      } catch (error) {
        await em.query(`ROLLBACK TO SAVEPOINT rectify_account`);
        if ((error as { code?: string }).code === '23505') throw badUserInput('input.account.email: this address cannot be used for the account; choose another', { reason: 'EMAIL_UNAVAILABLE' });
        throw error;
      }
      corrected.push(...names.map((n) => `customer.${n}`));
    }
  }

  for (const [i, entry] of (corrections.addresses ?? []).entries()) {
    const params: unknown[] = [customerId];
    if (entry.id && entry.remove) {
      const removed = returnedRows(await em.query(`DELETE FROM address WHERE customer_id = $1 AND id = $2 RETURNING 1`, [customerId, entry.id]));
      if (removed.length === 0) throw notFound('Address');
      corrected.push(`address:${entry.id} (removed)`);
      continue;
    }
    if (entry.remove) throw badUserInput(`input.addresses[${i}]: removing an address needs its id`);
    const { isDefault, ...fields } = entry.fields;
    if (isDefault === true) await em.query(`UPDATE address SET is_default = false WHERE customer_id = $1 AND is_default AND ($2::uuid IS NULL OR id <> $2::uuid)`, [customerId, entry.id ?? null]);
    const { sql, names } = set('address', { ...fields, ...(isDefault === undefined || isDefault === null ? {} : { isDefault }) }, params);
    if (entry.id) {
      if (names.length === 0) continue;
      params.push(entry.id);
      const updated = returnedRows(await em.query(`UPDATE address SET ${sql} WHERE customer_id = $1 AND id = $${params.length} RETURNING 1`, params));
      if (updated.length === 0) throw notFound('Address');
      corrected.push(...names.map((n) => `address:${entry.id}.${n}`));
    } else {
      const required = ['recipientName', 'line1', 'city', 'postalCode', 'country', 'phone'];
      const missing = required.filter((f) => fields[f] == null);
      if (missing.length > 0) throw badUserInput(`input.addresses[${i}]: a new address needs ${missing.join(', ')}`);
      const columns = rectifiable('address');
      const entries = Object.entries({ ...fields, ...(isDefault == null ? {} : { isDefault }) }).filter(([, v]) => v !== undefined);
      const values = entries.map(([, v]) => v);
      const [row]: Array<{ id: string }> = await em.query(
        `INSERT INTO address (customer_id, ${entries.map(([k]) => `"${columns.get(k)}"`).join(', ')}) VALUES ($1, ${values.map((_, j) => `$${j + 2}`).join(', ')}) RETURNING id`,
        [customerId, ...values],
      );
      corrected.push(`address:${row.id} (added)`);
    }
  }

  if (corrections.orderShipping) {
    const { orderIds, fields } = corrections.orderShipping;
    const ids = [...new Set(orderIds)];
    const orders: Array<{ id: string; order_number: string; status: string }> = await em.query(
      `SELECT id, order_number, status FROM "order" WHERE customer_id = $1 AND id = ANY($2::uuid[]) ORDER BY placed_at, id FOR UPDATE`,
      [customerId, ids],
    );
    if (orders.length !== ids.length) throw notFound('Order');
    const late = orders.filter((o) => !['placed', 'paid', 'packed'].includes(o.status));
    if (late.length > 0) {
      throw badUserInput(`input.orderShipping.orderIds: ${late.map((o) => `${o.order_number} is ${o.status}`).join(', ')}; only an order not yet handed to the carrier (placed, paid, packed) takes a new address`, {
        reason: 'ORDER_ALREADY_SHIPPED',
      });
    }
    const params: unknown[] = [customerId];
    const { sql, names } = set('order', fields, params);
    if (names.length > 0) {
      params.push(ids);
      await em.query(`UPDATE "order" SET ${sql} WHERE customer_id = $1 AND id = ANY($${params.length}::uuid[])`, params);
      corrected.push(...orders.map((o) => `order:${o.order_number}.shipping (${names.join(', ')})`));
    }
  }
  return corrected;
}
