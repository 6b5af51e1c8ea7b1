import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requirePartner } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { translatingDbErrors } from '../../platform/db-errors';
import { badUserInput, notFound } from '../../platform/errors';
import { assertFilterable, requireUuid, whereBetween, whereEquals, whereIn } from '../../platform/filters';
import { scopedQuery } from '../../platform/loader-factory';
import { PaymentOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { TABLES } from '../loaders';
import { Order } from '../orders/order.type';
import { Partner } from '../partners/partner.type';
import { PaymentMethod, PaymentVerificationEntity } from './payment-verification.entity';
import { PaymentVerification, PaymentVerificationConnection } from './payment-verification.type';
import { PaymentVerificationFilter, RecordPaymentResultInput } from './payment.inputs';

@Resolver(() => PaymentVerification)
export class PaymentVerificationResolver {
  @Query(() => PaymentVerification, { nullable: true })
  paymentVerification(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<PaymentVerificationEntity | null> {
    return ctx.loaders.payment().load(requireUuid(id, 'id'));
  }

  @Query(() => PaymentVerificationConnection, { description: "Payment verifications, e.g. a provider's settlement records." })
  paymentVerifications(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PaymentVerificationFilter, { nullable: true }) filter: PaymentVerificationFilter | null,
    @Arg('orderBy', () => PaymentOrder.values, { defaultValue: PaymentOrder.default }) orderBy: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<PaymentVerificationEntity>> {
    assertFilterable(ctx.policy.decide, filter, { statuses: 'PaymentVerification.status', providerId: 'PaymentVerification.provider', orderId: 'PaymentVerification.order', createdFrom: 'PaymentVerification.paidAt', createdTo: 'PaymentVerification.paidAt' });
    const qb = scopedQuery(ctx.dataSource, TABLES.payment, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereEquals(qb, 't.providerId', filter?.providerId && requireUuid(filter.providerId, 'filter.providerId'), 'providerId');
    whereEquals(qb, 't.orderId', filter?.orderId && requireUuid(filter.orderId, 'filter.orderId'), 'orderId');
    whereBetween(qb, 't.createdAt', filter?.createdFrom, filter?.createdTo, 'created');
    return paginate(qb, 't', PaymentOrder.pick(orderBy, ctx.policy.decide), page);
  }

  @FieldResolver(() => Order, { nullable: true })
  order(@Root() payment: PaymentVerificationEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.order().load(payment.orderId);
  }

  @FieldResolver(() => Partner, { nullable: true })
  provider(@Root() payment: PaymentVerificationEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.partner().load(payment.providerId);
  }

  @Mutation(() => PaymentVerification, {
    description: 'A payment provider records a verification or settlement result for an order; the same reference again updates it.',
  })
  async recordPaymentResult(@Arg('input', () => RecordPaymentResultInput) input: RecordPaymentResultInput, @Ctx() ctx: RequestContext) {
    const provider = requirePartner(ctx, 'payment_provider', 'recordPaymentResult');
    if (input.method !== PaymentMethod.CARD && (input.cardBrand || input.cardLast4)) {
      throw badUserInput('input.cardBrand / input.cardLast4: only for method CARD');
    }
    if (input.settledAt && input.paidAt && input.settledAt < input.paidAt) {
      throw badUserInput('input.settledAt: must not be before paidAt');
    }
    const orderId = requireUuid(input.orderId, 'input.orderId');
    // The order is looked up unscoped: a provider may report on any order it was asked to take
    // payment for, but learns nothing about it beyond what its own verification rows show.
    const orderExists = await ctx.dataSource.query('SELECT 1 FROM "order" WHERE id = $1', [orderId]);
    if (orderExists.length === 0) throw notFound('Order');
    const row = {
      orderId,
      providerId: provider.partnerId,
      providerReference: input.providerReference,
      method: input.method,
      cardBrand: input.cardBrand ?? null,
      cardLast4: input.cardLast4 ?? null,
      amount: input.amount,
      currency: input.currency,
      status: input.status,
      paidAt: input.paidAt ?? null,
      settledAt: input.settledAt ?? null,
      settlementBatchRef: input.settlementBatchRef ?? null,
    };
    const id = await translatingDbErrors('recordPaymentResult', async () => {
      const repo = ctx.dataSource.getRepository(PaymentVerificationEntity);
      const existing = await repo.findOne({ where: { providerId: provider.partnerId, providerReference: input.providerReference }, select: { id: true, orderId: true } });
      if (existing && existing.orderId !== orderId) {
        throw badUserInput('input.providerReference: already recorded for another order');
      }
      if (existing) {
        await repo.update({ id: existing.id }, row);
        return existing.id;
      }
      const inserted = await repo.insert(row);
      return inserted.identifiers[0].id as string;
    });
    ctx.disclosures.subjectOfOrder(orderId);
    ctx.loaders.payment().clear(id);
    return ctx.loaders.payment().load(id);
  }
}
