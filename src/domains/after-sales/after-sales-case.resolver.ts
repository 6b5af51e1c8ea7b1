import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actingCustomer } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { badUserInput, notFound } from '../../platform/errors';
import { requireUuid, whereBetween, whereEquals, whereIn } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { CaseOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { redactCardNumbers } from '../../privacy/card-number-redaction';
import { Customer } from '../customers/customer.type';
import { TABLES } from '../loaders';
import { Order } from '../orders/order.type';
import { AfterSalesCaseEntity, CaseStatus } from './after-sales-case.entity';
import { AddCaseRecordInput, AfterSalesCaseFilter, OpenCaseInput, PostCaseMessageInput, UpdateCaseInput } from './after-sales.inputs';
import { AfterSalesCase, AfterSalesCaseConnection, CaseAttachment, CaseMessage, CaseRecord } from './after-sales.type';
import { AuthorSide, CaseMessageEntity } from './case-message.entity';
import { CaseRecordEntity } from './case-record.entity';

const CLOSED_STATES = new Set([CaseStatus.RESOLVED, CaseStatus.CLOSED]);

@Resolver(() => AfterSalesCase)
export class AfterSalesCaseResolver {
  @Query(() => AfterSalesCase, { nullable: true })
  afterSalesCase(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<AfterSalesCaseEntity | null> {
    return ctx.loaders.afterSalesCase().load(requireUuid(id, 'id'));
  }

  @Query(() => AfterSalesCaseConnection)
  afterSalesCases(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AfterSalesCaseFilter, { nullable: true }) filter: AfterSalesCaseFilter | null,
    @Arg('orderBy', () => CaseOrder.values, CaseOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<AfterSalesCaseEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.afterSalesCase, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereIn(qb, 't.type', filter?.types, 'types');
    whereEquals(qb, 't.customerId', filter?.customerId && requireUuid(filter.customerId, 'filter.customerId'), 'customerId');
    whereEquals(qb, 't.orderId', filter?.orderId && requireUuid(filter.orderId, 'filter.orderId'), 'orderId');
    whereBetween(qb, 't.openedAt', filter?.openedFrom, filter?.openedTo, 'opened');
    return paginate(qb, 't', CaseOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() c: AfterSalesCaseEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.customer().load(c.customerId);
  }

  @FieldResolver(() => Order, { nullable: true })
  order(@Root() c: AfterSalesCaseEntity, @Ctx() ctx: RequestContext) {
    return c.orderId ? ctx.loaders.order().load(c.orderId) : null;
  }

  @FieldResolver(() => [CaseMessage], { nullable: true })
  messages(@Root() c: AfterSalesCaseEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.messagesByCase().load(c.id);
  }

  @FieldResolver(() => [CaseAttachment], { nullable: true })
  attachments(@Root() c: AfterSalesCaseEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.attachmentsByCase().load(c.id);
  }

  @FieldResolver(() => [CaseRecord], { nullable: true })
  records(@Root() c: AfterSalesCaseEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.recordsByCase().load(c.id);
  }

  @Mutation(() => AfterSalesCase, { description: 'A customer (or customer service on their behalf) opens an after-sales case with a first message.' })
  async openAfterSalesCase(@Arg('input', () => OpenCaseInput) input: OpenCaseInput, @Ctx() ctx: RequestContext) {
    // Customers open cases for themselves; staff name the customer, found inside their row scope.
    const self = actingCustomer(ctx);
    let customerId: string;
    if (self) {
      if (input.customerId) throw badUserInput('input.customerId: customers open cases for themselves; leave it out');
      customerId = self;
    } else {
      if (!input.customerId) throw badUserInput('input.customerId: staff must name the customer the case is for');
      const customer = await ctx.loaders.customer().load(requireUuid(input.customerId, 'input.customerId'));
      if (!customer) throw notFound('Customer');
      customerId = customer.id;
    }
    let orderId: string | null = null;
    if (input.orderId) {
      const order = await ctx.loaders.order().load(requireUuid(input.orderId, 'input.orderId'));
      if (!order || order.customerId !== customerId) throw notFound('Order');
      orderId = order.id;
    }
    const now = new Date();
    const body = redactCardNumbers(input.message).text;
    const id = await ctx.transaction.write(async (em) => {
      const inserted = await em.getRepository(AfterSalesCaseEntity).insert({
        customerId,
        orderId,
        type: input.type,
        subject: redactCardNumbers(input.subject).text,
        status: CaseStatus.OPEN,
        openedAt: now,
        closedAt: null,
      });
      const caseId = inserted.identifiers[0].id as string;
      await em.getRepository(CaseMessageEntity).insert({
        caseId,
        authorSide: self ? AuthorSide.CUSTOMER : AuthorSide.STAFF,
        body,
        sentAt: now,
      });
      return caseId;
    });
    ctx.disclosures.subject(customerId);
    return ctx.loaders.afterSalesCase().load(id);
  }

  @Mutation(() => CaseMessage, { description: 'Posts a message to a case; card numbers in the body are removed before it is stored.' })
  async postCaseMessage(@Arg('input', () => PostCaseMessageInput) input: PostCaseMessageInput, @Ctx() ctx: RequestContext) {
    const byCustomer = actingCustomer(ctx) !== undefined;
    // Found inside the caller's row scope: a customer's own cases only.
    const found = await ctx.loaders.afterSalesCase().load(requireUuid(input.caseId, 'input.caseId'));
    if (!found) throw notFound('After-sales case');
    if (found.status === CaseStatus.CLOSED) throw badUserInput('input.caseId: the case is closed; open a new one');
    const message = {
      caseId: found.id,
      authorSide: byCustomer ? AuthorSide.CUSTOMER : AuthorSide.STAFF,
      body: redactCardNumbers(input.body).text,
      sentAt: new Date(),
    };
    const inserted = await ctx.transaction.write(async (em) => {
      const result = await em.getRepository(CaseMessageEntity).insert(message);
      if (byCustomer && found.status === CaseStatus.WAITING_ON_CUSTOMER) {
        await em.getRepository(AfterSalesCaseEntity).update({ id: found.id }, { status: CaseStatus.OPEN });
      }
      return result;
    });
    ctx.disclosures.subject(found.customerId);
    ctx.loaders.messagesByCase().clear(found.id);
    return { id: inserted.identifiers[0].id as string, ...message };
  }

  @Mutation(() => AfterSalesCase, { description: "Customer service changes a case's status; resolving or closing it records when." })
  async updateAfterSalesCase(@Arg('input', () => UpdateCaseInput) input: UpdateCaseInput, @Ctx() ctx: RequestContext) {
    const found = await ctx.loaders.afterSalesCase().load(requireUuid(input.caseId, 'input.caseId'));
    if (!found) throw notFound('After-sales case');
    const now = new Date();
    await ctx.transaction.write(async (em) => {
      await em.getRepository(AfterSalesCaseEntity).update(
        { id: found.id },
        { status: input.status, closedAt: CLOSED_STATES.has(input.status) ? (found.closedAt ?? now) : null },
      );
      await em.getRepository(CaseRecordEntity).insert({
        caseId: found.id,
        action: `status_changed_to_${input.status}`,
        actor: ctx.caller.principal.subject,
        note: null,
        recordedAt: now,
      });
    });
    ctx.disclosures.subject(found.customerId);
    ctx.loaders.afterSalesCase().clear(found.id);
    return ctx.loaders.afterSalesCase().load(found.id);
  }

  @Mutation(() => CaseRecord, { description: 'Customer service records a processing step taken on a case.' })
  async addCaseRecord(@Arg('input', () => AddCaseRecordInput) input: AddCaseRecordInput, @Ctx() ctx: RequestContext) {
    const found = await ctx.loaders.afterSalesCase().load(requireUuid(input.caseId, 'input.caseId'));
    if (!found) throw notFound('After-sales case');
    const record = {
      caseId: found.id,
      action: input.action,
      actor: ctx.caller.principal.subject,
      note: input.note ? redactCardNumbers(input.note).text : null,
      recordedAt: new Date(),
    };
    const inserted = await ctx.transaction.write((em) => em.getRepository(CaseRecordEntity).insert(record));
    ctx.disclosures.subject(found.customerId);
    ctx.loaders.recordsByCase().clear(found.id);
    return { id: inserted.identifiers[0].id as string, ...record };
  }
}
