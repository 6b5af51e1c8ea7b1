/**
 * `createAuditPlugin`: the Apollo plugin that writes one audit event per GraphQL request before
 * its response leaves (design §4 step 8), and withholds the response when it cannot.
 *
 * In `willSendResponse` — which Apollo awaits before it serializes anything — the plugin reads
 * from the final response what it disclosed: the personal-data coordinates that carry a value
 * (masked ones apart; a compiled read reports them from its statement, any other response is
 * walked: response-coordinates.ts), the coordinates of its FORBIDDEN errors, its error codes; adds the
 * request's subjects (DisclosureRecorder) and the caller; and appends the event to the AuditLog.
 * If that fails, the response is withheld (platform/error-format.ts `withhold`): its body is replaced by one masked error
 * without data — SERVICE_UNAVAILABLE with HTTP 503 and Retry-After when the database could not
 * be reached (down, restarting, hung, out of connections: retrying later will work),
 * INTERNAL_SERVER_ERROR with HTTP 500 otherwise. Fail closed.
 *
 * A request that has not opened a transaction (every query, and a mutation refused before it
 * wrote) waits for its group-commit batch to commit. Over HTTP that wait is the transport's
 * (audit-log.ts, AuditHandoff): the plugin appends the event and leaves the promise of its
 * durability on the context; Apollo serializes the response, and the transport sends it only once
 * the event is durable, or sends the withheld answer instead (http-transport.ts `sendAnswer`), so
 * that the request's state is not held while its batch is written. Without a handoff (in-process
 * runs) the plugin waits itself, as above. A request that has — a mutation that wrote
 * or claimed an idempotency key — appends its event in that transaction instead
 * (`AuditLog.appendWithin`), and the server commits the transaction, writes and event
 * together, before the response leaves; if the event cannot be written the transaction rolls
 * back and the write is undone with it.
 */
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse, GraphQLResponse } from '@apollo/server';
import { print, type DocumentNode, type GraphQLFormattedError, type OperationTypeNode } from 'graphql';
import type { DataSource } from 'typeorm';
import { customerIdOf, grantIdOf, partnerIdOf, type Caller, type Principal } from '../policy/principal';
import type { RequestContext } from '../context';
import type { GatewayMetrics } from '../platform/metrics';
import { activeTraceId, inSpan } from '../platform/tracing';
import { BoundedCache } from '../platform/bounded-cache';
import { withhold } from '../platform/error-format';
import { coordinatesRevealedByArguments } from './argument-disclosures';
import { ErrorCode } from '../platform/errors';
import { classify, isPersonalData } from '../policy/classification';
import { AuditOperationType, AuditOutcome } from './audit-event.entity';
import type { AuditHandoff, AuditLog } from './audit-log';
import type { AuditEventInput, AuditPrincipal } from './audit-record';
import { sha256Hex } from './merkle';
import { coordinateAtPath, coordinatesWithValues } from './response-coordinates';

export function auditPrincipalOf(principal: Principal): AuditPrincipal {
  return {
    kind: principal.kind,
    id: principal.subject,
    roles: principal.kind === 'staff' ? principal.roles : [],
    partnerId: partnerIdOf(principal) ?? null,
    customerId: customerIdOf(principal) ?? null,
    grantId: grantIdOf(principal) ?? null,
  };
}

/** A coordinate that carries personal data: classified with a data category (not an id, a link or partner reference data). */
export function isPersonalDataCoordinate(coordinate: string): boolean {
  const dot = coordinate.indexOf('.');
  return isPersonalData(classify(coordinate.slice(0, dot), coordinate.slice(dot + 1)));
}

/**
 * The event of a request refused before execution (e.g. a legal_compliance read without a case);
 * `flagged` when the caller's reads serve a case or request (MatrixRow.serves).
 */
export function refusedRequestEvent(caller: Caller, requestId: string, code: string, flagged: boolean): AuditEventInput {
  return {
    requestId,
    principal: auditPrincipalOf(caller.principal),
    purpose: caller.purpose,
    operationType: null,
    outcome: AuditOutcome.DENIED,
    errorCodes: [code],
    flagged,
  };
}

/** sha256 of the printed document, cached by Apollo's hash of the query text. */
class OperationHashes {
  private readonly byQueryHash: BoundedCache<string>;
  constructor(capacity: number) {
    this.byQueryHash = new BoundedCache(capacity);
  }

  of(document: DocumentNode, queryHash: string | undefined): string {
    return queryHash ? this.byQueryHash.getOrCompute(queryHash, () => sha256Hex(print(document))) : sha256Hex(print(document));
  }
}

const OPERATION_TYPES: Record<OperationTypeNode, AuditOperationType> = {
  query: AuditOperationType.QUERY,
  mutation: AuditOperationType.MUTATION,
  subscription: AuditOperationType.SUBSCRIPTION,
};

function outcomeOf(errorCodes: readonly string[], disclosedAnything: boolean): AuditOutcome {
  if (errorCodes.length === 0) return AuditOutcome.OK;
  if (errorCodes.some((code) => code !== ErrorCode.FORBIDDEN)) return AuditOutcome.ERROR;
  return disclosedAnything ? AuditOutcome.PARTIAL : AuditOutcome.DENIED;
}

function eventOf(rc: GraphQLRequestContextWillSendResponse<RequestContext>, at: Date, subjectIds: string[], hashes: OperationHashes): AuditEventInput {
  const ctx = rc.contextValue;
  const body = rc.response.body;
  const result = body.kind === 'single' ? body.singleResult : body.initialResult;
  const errors: readonly GraphQLFormattedError[] = result.errors ?? [];
  const errorCodes = errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : ErrorCode.INTERNAL_SERVER_ERROR));
  const disclosed: string[] = [];
  const masked: string[] = [];
  const denied = new Set(ctx.disclosures.denied);
  if (rc.document && rc.operation) {
    // A compiled read reports the personal-data coordinates its response carries (no need to
    // classify them again); any other response is walked for them.
    const carried =
      ctx.disclosures.carriedIn(result.data) ??
      [...coordinatesWithValues(rc.schema, rc.document, rc.operation, result.data as Record<string, unknown> | null | undefined)].filter(isPersonalDataCoordinate);
    for (const coordinate of carried) (ctx.disclosures.masked.has(coordinate) ? masked : disclosed).push(coordinate);
    // What the read's filters and orderings revealed about the rows it returned (argument-disclosures.ts).
    for (const coordinate of coordinatesRevealedByArguments(rc.schema, rc.document, rc.operation, rc.request.variables, result.data as Record<string, unknown> | null | undefined, isPersonalDataCoordinate)) {
      if (!disclosed.includes(coordinate)) disclosed.push(coordinate);
    }
    for (const error of errors) {
      if (error.extensions?.code !== ErrorCode.FORBIDDEN || !error.path) continue;
      const coordinate = coordinateAtPath(rc.schema, rc.document, rc.operation, error.path);
      if (coordinate) denied.add(coordinate);
    }
  }
  const operation = rc.operation?.operation;
  return {
    requestId: ctx.requestId,
    at,
    principal: auditPrincipalOf(ctx.caller.principal),
    purpose: ctx.caller.purpose,
    operationType: operation ? OPERATION_TYPES[operation] : null,
    operationName: rc.operationName ?? null,
    operationHash: rc.document ? hashes.of(rc.document, rc.queryHash) : null,
    subjectIds,
    disclosed,
    masked,
    denied: [...denied],
    outcome: outcomeOf(errorCodes, disclosed.length + masked.length > 0),
    errorCodes,
    // What the read serves, as its matrix row says (served-request.ts): flagged, with the reference sent.
    flagged: ctx.policy.serves !== undefined,
    legalCaseReference: ctx.served.legalCaseReference ?? null,
    // The header's reference, else the privacy request a write acted on (a rights mutation names it).
    privacyRequestReference: ctx.served.privacyRequestReference ?? ctx.auditNote.privacyRequestReference ?? null,
    // A replayed idempotent response discloses what the first one did, again: it names the request it repeats.
    detail: detailOf(ctx),
    traceId: activeTraceId() ?? null,
  };
}

function detailOf(ctx: RequestContext): Record<string, unknown> | null {
  const replay = ctx.idempotency.claim?.kind === 'replay' ? { idempotentReplayOf: ctx.idempotency.claim.requestId } : undefined;
  return replay || ctx.auditNote.detail ? { ...ctx.auditNote.detail, ...replay } : null;
}

export function createAuditPlugin(deps: { auditLog: AuditLog; dataSource: DataSource; metrics?: GatewayMetrics }): ApolloServerPlugin<RequestContext> {
  const hashes = new OperationHashes(1000);
  /** The event could not be written: the response is withheld (by its sender, or here); noted for metrics, /readyz and the log. */
  const failed = (ctx: Pick<RequestContext, 'outcome' | 'logger'>, error: unknown): { withheld: unknown } => {
    ctx.outcome.audited = undefined;
    ctx.outcome.withheld = true;
    deps.metrics?.auditFailure();
    deps.auditLog.noteFailure(error);
    ctx.logger.error({ err: error }, 'the audit event could not be written: response withheld');
    return { withheld: error };
  };
  /**
   * The wait the transport takes over: made here, out of the request's scopes, because a closure
   * keeps every scope it was made in — one made in `willSendResponse` would keep Apollo's request
   * and the context reachable until the batch commits, which is what the handoff is for not doing.
   */
  const durableOf = (written: Promise<unknown>, outcome: RequestContext['outcome'], logger: RequestContext['logger']): NonNullable<AuditHandoff['durable']> =>
    written.then(
      () => undefined,
      (error: unknown) => failed({ outcome, logger }, error),
    );
  return {
    async requestDidStart({ contextValue }) {
      const at = new Date();
      // A window of the writer's waits for this request's event only while it is expected
      // (audit-log.ts, "Events on their way"): settled when appended, and on every other path below.
      // Over HTTP the transport announced it when the request arrived.
      const handoff = contextValue.auditHandoff;
      const expected = handoff?.expected ?? deps.auditLog.expect();
      return {
        async willSendResponse(rc) {
          const ctx = rc.contextValue;
          const transaction = ctx.transaction;
          const recorded = (event: AuditEventInput): AuditEventInput => {
            ctx.outcome.audited = event.outcome;
            deps.metrics?.audited(event.principal.kind, event.denied ?? [], event.errorCodes ?? []);
            return event;
          };
          try {
            await inSpan('audit.append', async (span) => {
              span.setAttribute('audit.in_transaction', transaction.isOpen);
              if (transaction.isOpen) {
                // Its event is not one of the writer's batches.
                expected.settle();
                // The request wrote (or claimed an idempotency key): its event goes into the same
                // transaction, last, and commits with the writes (execution/routing.ts ends the transaction).
                const subjects = await ctx.disclosures.resolveSubjects(transaction.manager);
                const seal = await deps.auditLog.appendWithin(transaction.client, recorded(eventOf(rc, at, subjects, hashes)));
                transaction.markRecorded(() => deps.auditLog.learnCommitted(seal));
              } else {
                // Detached only when they take a query: rows that name their subjects (a compiled read's) need none.
                const subjects = ctx.disclosures.subjectsOfRowsOnly() ?? (await deps.auditLog.detached(() => ctx.disclosures.resolveSubjects(deps.dataSource)));
                const written = deps.auditLog.append(recorded(eventOf(rc, at, subjects, hashes)), expected);
                if (handoff) {
                  // The transport sends the response once the event is durable, and withholds it if it is not;
                  // the request's state is not held meanwhile (only what a failure needs: its outcome and logger).
                  handoff.durable = durableOf(written, ctx.outcome, ctx.logger);
                } else {
                  await written;
                }
              }
            });
          } catch (error) {
            withhold(rc.response, failed(ctx, error).withheld);
          } finally {
            expected.settle();
          }
        },
      };
    },
  };
}
