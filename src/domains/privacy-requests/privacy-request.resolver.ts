/**
 * Data-subject requests over GraphQL: the queue (compliance officers), a customer's own
 * requests, one request by its id, their export, and every step of a request (privacy-rights.ts). Who may call each
 * write is the disclosure matrix's decision; these find the customer or the request inside the
 * caller's row scope — a customer reaches only their own, and a request or customer outside the
 * scope answers NOT_FOUND exactly as one that does not exist — and write in the request's
 * transaction, whose audit event names the privacy request and the status changes it made.
 */
import { ArrayMaxSize } from 'class-validator';
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { canonicalJson } from '../../platform/canonical-json';
import { actingCustomer } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { refuseIdempotencyKey } from '../../idempotency/idempotency';
import { badUserInput, notFound } from '../../platform/errors';
import { requireUuid, whereEquals, whereIn } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { PrivacyRequestOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { deleteBlobs } from '../after-sales/attachment.service';
import { Customer } from '../customers/customer.type';
import { TABLES } from '../loaders';
import { OPEN_STATUSES, PrivacyRequestAction, PrivacyRequestChannel, PrivacyRequestStatus, PrivacyRequestType, type PrivacyRequestEntity } from './privacy-request.entity';
import type { PrivacyRequestTransitionEntity } from './privacy-request-transition.entity';
import {
  PrivacyRequestIdInput,
  RectifyPersonalDataInput,
  RejectPrivacyRequestInput,
  SubmitPrivacyRequestInput,
  VerifyPrivacyRequestInput,
  type AddressFieldsInput,
} from './privacy-request.inputs';
import { PrivacyExport, PrivacyExportLink, PrivacyRequest, PrivacyRequestConnection, PrivacyRequestTransition } from './privacy-request.type';
import { actionsOn, type Actor, type Corrections } from './privacy-rights';

@InputType()
export class PrivacyRequestFilter {
  @Field(() => [PrivacyRequestStatus], { nullable: true }) @ArrayMaxSize(10) statuses?: PrivacyRequestStatus[] | null;
  @Field(() => [PrivacyRequestType], { nullable: true }) @ArrayMaxSize(10) types?: PrivacyRequestType[] | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: only requests past their due time and not yet completed or rejected; false: only the others.' })
  overdue?: boolean | null;
}

function actorOf(ctx: RequestContext): Actor {
  return { kind: ctx.caller.principal.kind, subject: ctx.caller.principal.subject };
}

/** Names the request and its status changes on the request's audit event, and its customer as the subject. */
function noteOnAudit(ctx: RequestContext, request: PrivacyRequestEntity, transitions: readonly string[]): void {
  ctx.auditNote.privacyRequestReference = request.id;
  const before = (ctx.auditNote.detail?.transitions as string[] | undefined) ?? [];
  ctx.auditNote.detail = { privacyRequest: request.id, type: request.type, transitions: [...before, ...transitions] };
  ctx.disclosures.subject(request.customerId);
}

/** Only the fields sent: an absent input field is left as it is, null clears it where the column allows. */
function sent<T extends object>(input: T | null | undefined): Record<string, string | boolean | null> {
  return Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string | boolean | null>;
}

@Resolver(() => PrivacyRequest)
export class PrivacyRequestResolver {
  @Query(() => PrivacyRequestConnection, { description: 'Data-subject requests: the queue, with due and overdue ones.' })
  privacyRequests(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PrivacyRequestFilter, { nullable: true }) filter: PrivacyRequestFilter | null,
    @Arg('orderBy', () => PrivacyRequestOrder.values, PrivacyRequestOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<PrivacyRequestEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.privacyRequest, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereIn(qb, 't.type', filter?.types, 'types');
    whereEquals(qb, 't.customerId', filter?.customerId && requireUuid(filter.customerId, 'filter.customerId'), 'customerId');
    if (filter?.overdue === true) qb.andWhere('t.dueAt < :overdueAt AND t.status IN (:...overdueOpen)', { overdueAt: ctx.rights.now(), overdueOpen: OPEN_STATUSES });
    if (filter?.overdue === false) qb.andWhere('NOT (t.dueAt IS NOT NULL AND t.dueAt < :overdueAt AND t.status IN (:...overdueOpen))', { overdueAt: ctx.rights.now(), overdueOpen: OPEN_STATUSES });
    return paginate(qb, 't', PrivacyRequestOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
  }

  @Query(() => PrivacyRequest, {
    nullable: true,
    description: 'One data-subject request by its id: a customer’s own, or any the caller’s records hold; null when there is none such, whether it does not exist or is outside them.',
  })
  async privacyRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity | null> {
    return (await ctx.loaders.privacyRequest().load(requireUuid(id, 'id'))) ?? null;
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() request: PrivacyRequestEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.customer().load(request.customerId);
  }

  @FieldResolver(() => Boolean, { nullable: true, description: 'Past its due time and not yet completed or rejected.' })
  overdue(@Root() request: PrivacyRequestEntity, @Ctx() ctx: RequestContext): boolean {
    return request.dueAt !== null && request.dueAt.getTime() < ctx.rights.now().getTime() && OPEN_STATUSES.includes(request.status);
  }

  @FieldResolver(() => [PrivacyRequestAction], {
    nullable: true,
    description:
      'What the caller may do to this request now: the writes its policy grants that the request’s type and status allow, in the order a request is worked. A write may still be refused for what only it checks (a code’s rate, a rectification’s corrections); read it again after each write.',
  })
  actions(@Root() request: PrivacyRequestEntity, @Ctx() ctx: RequestContext): PrivacyRequestAction[] {
    return actionsOn(request, ctx.policy);
  }

  @FieldResolver(() => String, { nullable: true, description: 'What was done, as JSON: fields corrected, grants withdrawn, what an erasure erased and kept and why (never values).' })
  result(@Root() request: PrivacyRequestEntity): string | null {
    return request.result ? canonicalJson(request.result) : null;
  }

  @FieldResolver(() => [PrivacyRequestTransition], { nullable: true, description: 'Every change of status, oldest first.' })
  async transitions(@Root() request: PrivacyRequestEntity, @Ctx() ctx: RequestContext) {
    const rows: PrivacyRequestTransitionEntity[] = await ctx.loaders.transitionsByRequest().load(request.id);
    return rows.map((row) => ({ ...row, customerId: request.customerId }));
  }

  @Query(() => PrivacyExport, {
    nullable: true,
    description: 'The export of a completed access request (by the request id): everything held about the customer, who saw their data included.',
  })
  async privacyExport(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const request = await ctx.loaders.privacyRequest().load(requireUuid(id, 'id'));
    if (!request) return null;
    const db = ctx.transaction.isOpen ? ctx.transaction.manager : ctx.dataSource;
    const document = await ctx.rights.exportOf(db, request);
    ctx.auditNote.privacyRequestReference = request.id;
    ctx.auditNote.detail = { privacyRequest: request.id, export: { version: document.version, sections: Object.keys(document.sections).length } };
    return {
      requestId: request.id,
      customerId: request.customerId,
      format: document.format,
      version: document.version,
      generatedAt: new Date(document.generatedAt),
      document: JSON.stringify(document),
    };
  }

  @Mutation(() => PrivacyRequest, {
    description:
      'Opens a data-subject request. A customer asks about themself; customer service names the customer. A one-time code is mailed to the email on file; the request proceeds once it is verified (verifyPrivacyRequest).',
  })
  async submitPrivacyRequest(@Arg('input', () => SubmitPrivacyRequestInput) input: SubmitPrivacyRequestInput, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity> {
    const self = actingCustomer(ctx);
    if (self !== undefined && input.customerId != null && input.customerId !== self) {
      throw badUserInput('input.customerId: a customer’s request is about themself; leave customerId out');
    }
    const named = self ?? (input.customerId != null ? requireUuid(input.customerId, 'input.customerId') : undefined);
    if (named === undefined) throw badUserInput('input.customerId: name the customer the request is for');
    // Inside the caller's row scope: a customer reaches only themself.
    const customer = await ctx.loaders.customer().load(named);
    if (!customer) throw notFound('Customer');
    const grantIds = input.grantIds?.map((g, i) => requireUuid(g, `input.grantIds[${i}]`));
    const { request, transitions } = await ctx.transaction.write((em) =>
      ctx.rights.submit(em, {
        customerId: customer.id,
        type: input.type,
        grantIds,
        actor: actorOf(ctx),
        via: self !== undefined ? PrivacyRequestChannel.CUSTOMER : PrivacyRequestChannel.CUSTOMER_SERVICE,
      }),
    );
    noteOnAudit(ctx, request, transitions);
    return request;
  }

  @Mutation(() => PrivacyRequest, {
    description:
      'Verifies the requester’s identity with the mailed code. A wrong code answers BAD_USER_INPUT (reason CODE_WRONG, attemptsLeft); after 5 wrong codes or 15 minutes a new code is needed (reason CODE_EXPIRED). A request takes 10 wrong codes in all, over its codes, and one customer’s requests 15 in 24 hours; beyond, every code is refused with RATE_LIMITED (reason CODE_ATTEMPTS_SPENT). Access, consent withdrawal and objection are then carried out at once.',
  })
  async verifyPrivacyRequest(@Arg('input', () => VerifyPrivacyRequestInput) input: VerifyPrivacyRequestInput, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity> {
    const found = await this.find(ctx, input.requestId, 'input.requestId');
    const outcome = await ctx.transaction.write((em) => ctx.rights.verify(em, found.id, input.code.trim(), actorOf(ctx)));
    noteOnAudit(ctx, found, outcome.transitions);
    if (!outcome.verified) {
      ctx.auditNote.detail = { ...ctx.auditNote.detail, verification: 'wrong code', attemptsLeft: outcome.attemptsLeft };
      throw badUserInput(`The verification code is wrong: ${outcome.attemptsLeft} attempt(s) left`, { reason: 'CODE_WRONG', attemptsLeft: outcome.attemptsLeft });
    }
    return outcome.request;
  }

  @Mutation(() => PrivacyRequest, { description: 'Mails a new code for a request waiting for verification (at most 5 per request, one a minute); the previous code stops working. The new code gets the attempts the request has left (RATE_LIMITED, reason CODE_ATTEMPTS_SPENT, once it has none).' })
  async resendPrivacyRequestCode(@Arg('input', () => PrivacyRequestIdInput) input: PrivacyRequestIdInput, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity> {
    const found = await this.find(ctx, input.requestId, 'input.requestId');
    const request = await ctx.transaction.write((em) => ctx.rights.resendCode(em, found.id));
    noteOnAudit(ctx, request, []);
    ctx.auditNote.detail = { ...ctx.auditNote.detail, codeSent: true };
    return request;
  }

  @Mutation(() => PrivacyRequest, { description: 'A compliance officer takes a verified request (identity_verified -> in_progress).' })
  async assignPrivacyRequest(@Arg('input', () => PrivacyRequestIdInput) input: PrivacyRequestIdInput, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity> {
    const found = await this.find(ctx, input.requestId, 'input.requestId');
    const { request, transitions } = await ctx.transaction.write((em) => ctx.rights.assign(em, found.id, actorOf(ctx)));
    noteOnAudit(ctx, request, transitions);
    return request;
  }

  @Mutation(() => PrivacyRequest, {
    description: 'Carries out a verified request and completes it: an erasure, all or nothing, keeping and restricting what retention or a legal hold requires.',
  })
  async completePrivacyRequest(@Arg('input', () => PrivacyRequestIdInput) input: PrivacyRequestIdInput, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity> {
    const found = await this.find(ctx, input.requestId, 'input.requestId');
    const { request, transitions, blobKeys } = await ctx.transaction.write((em) => ctx.rights.complete(em, found.id, actorOf(ctx)));
    // Blobs go once their rows' deletion has committed; without a store here, or on a failure, the sweep removes them.
    const blobs = ctx.blobs;
    if (blobs && blobKeys.length > 0) ctx.transaction.afterCommit(() => void deleteBlobs(blobs, blobKeys, ctx.logger));
    noteOnAudit(ctx, request, transitions);
    return request;
  }

  @Mutation(() => PrivacyRequest, { description: 'Rejects a request that is not yet completed, with the reason the customer will read.' })
  async rejectPrivacyRequest(@Arg('input', () => RejectPrivacyRequestInput) input: RejectPrivacyRequestInput, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity> {
    const found = await this.find(ctx, input.requestId, 'input.requestId');
    const { request, transitions } = await ctx.transaction.write((em) => ctx.rights.reject(em, found.id, actorOf(ctx), input.reason.trim()));
    noteOnAudit(ctx, request, transitions);
    return request;
  }

  @Mutation(() => PrivacyRequest, {
    description:
      'Applies the corrections of a verified rectification request and completes it: account contact data, address-book entries, and (only when asked) the shipping address of orders not yet handed to the carrier. The request records which fields changed, never their values.',
  })
  async rectifyPersonalData(@Arg('input', () => RectifyPersonalDataInput) input: RectifyPersonalDataInput, @Ctx() ctx: RequestContext): Promise<PrivacyRequestEntity> {
    const found = await this.find(ctx, input.requestId, 'input.requestId');
    const corrections: Corrections = {
      account: input.account ? sent(input.account) as Record<string, string | null> : undefined,
      addresses: input.addresses?.map((a, i) => ({
        id: a.id != null ? requireUuid(a.id, `input.addresses[${i}].id`) : null,
        remove: a.remove,
        fields: { ...sent<AddressFieldsInput>(a.fields), ...(a.isDefault != null ? { isDefault: a.isDefault } : {}) },
      })),
      orderShipping: input.orderShipping
        ? { orderIds: input.orderShipping.orderIds.map((o, i) => requireUuid(o, `input.orderShipping.orderIds[${i}]`)), fields: sent(input.orderShipping.address) as Record<string, string | null> }
        : undefined,
    };
    const { request, transitions } = await ctx.transaction.write((em) => ctx.rights.rectify(em, found.id, actorOf(ctx), corrections));
    noteOnAudit(ctx, request, transitions);
    return request;
  }

  @Mutation(() => PrivacyExportLink, { description: 'A link that downloads the export of a completed access request once, within an hour: a GET of it answers a page whose button POSTs to it, and only the POST downloads (so a mail scanner or link preview never spends it). The link is the only copy of its secret (refused with an Idempotency-Key, which would keep it).' })
  async createPrivacyExportLink(@Arg('input', () => PrivacyRequestIdInput) input: PrivacyRequestIdInput, @Ctx() ctx: RequestContext) {
    refuseIdempotencyKey(ctx, 'a one-time download link');
    const found = await this.find(ctx, input.requestId, 'input.requestId');
    const link = await ctx.transaction.write((em) => ctx.rights.createExportLink(em, found));
    noteOnAudit(ctx, found, []);
    ctx.auditNote.detail = { ...ctx.auditNote.detail, exportLink: { expiresAt: link.expiresAt.toISOString() } };
    return { ...link, customerId: found.customerId };
  }

  /** The request inside the caller's row scope, or NOT_FOUND as for one that does not exist. */
  private async find(ctx: RequestContext, id: string, argument: string): Promise<PrivacyRequestEntity> {
    const found = await ctx.loaders.privacyRequest().load(requireUuid(id, argument));
    if (!found) throw notFound('Privacy request');
    return found;
  }
}
