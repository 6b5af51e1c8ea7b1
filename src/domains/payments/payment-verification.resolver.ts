import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actingPartner } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { translatingDbErrors } from '../../platform/db-errors';
import { badUserInput, notFound } from '../../platform/errors';
import { requireUuid, whereBetween, whereEquals, whereIn } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { PaymentOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { refuseLaterThanClock } from '../../platform/reported-time';
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
    @Arg('orderBy', () => PaymentOrder.values, PaymentOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<PaymentVerificationEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.payment, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereEquals(qb, 't.providerId', filter?.providerId && requireUuid(filter.providerId, 'filter.providerId'), 'providerId');
    whereEquals(qb, 't.orderId', filter?.orderId && requireUuid(filter.orderId, 'filter.orderId'), 'orderId');
    whereBetween(qb, 't.createdAt', filter?.createdFrom, filter?.createdTo, 'created');
    return paginate(qb, 't', PaymentOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
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
    description:
      'A payment provider records a verification or settlement result for an order whose checkout assigned it (or that it already holds a verification of); the same reference again updates the fields it sends.',
  })
  async recordPaymentResult(@Arg('input', () => RecordPaymentResultInput) input: RecordPaymentResultInput, @Ctx() ctx: RequestContext) {
    const providerId = actingPartner(ctx, 'recordPaymentResult');
    if (input.method !== PaymentMethod.CARD && (input.cardBrand || input.cardLast4)) {
      throw badUserInput('input.cardBrand / input.cardLast4: only for method CARD');
    }
    refuseLaterThanClock(input.paidAt, 'input.paidAt');
    refuseLaterThanClock(input.settledAt, 'input.settledAt');
    const orderId = requireUuid(input.orderId, 'input.orderId');
    // Found inside the caller's row scope (own_payments: the orders its checkout assigned it, and
    // those it holds a verification of): any other order answers exactly as one that does not
    // exist, and nothing is written.
    const order = await ctx.loaders.order().load(orderId);
    if (!order) throw notFound('Order');
    if (input.currency !== order.currency) throw badUserInput(`input.currency: expected the order's currency, ${order.currency}, got ${input.currency}`);
    // A field the provider does not send is left as stored (a chargeback sends its status, not its settlement again).
    const sent = Object.fromEntries(
      (['cardBrand', 'cardLast4', 'paidAt', 'settledAt', 'settlementBatchRef'] as const).filter((k) => input[k] !== undefined).map((k) => [k, input[k]]),
    );
    const id = await translatingDbErrors('recordPaymentResult', async () =>
      ctx.transaction.write(async (em) => {
        const repo = em.getRepository(PaymentVerificationEntity);
        const existing = await repo.findOne({ where: { providerId, providerReference: input.providerReference }, lock: { mode: 'pessimistic_write' } });
        if (existing && existing.orderId !== orderId) throw badUserInput('input.providerReference: already recorded for another order');
        const row = {
          cardBrand: null,
          cardLast4: null,
          paidAt: null,
          settledAt: null,
          settlementBatchRef: null,
          ...(existing ? pick(existing, ['cardBrand', 'cardLast4', 'paidAt', 'settledAt', 'settlementBatchRef']) : {}),
          ...sent,
          orderId,
          providerId,
          providerReference: input.providerReference,
          method: input.method,
          amount: input.amount,
          currency: input.currency,
          status: input.status,
        };
        // Checked on the record as it will be stored, stored fields included.
        if (row.method !== PaymentMethod.CARD && (row.cardBrand || row.cardLast4)) {
          throw badUserInput('input.cardBrand / input.cardLast4: only for method CARD (send null to clear the stored ones)');
        }
        if (row.settledAt && row.paidAt && row.settledAt < row.paidAt) throw badUserInput('input.settledAt: must not be before paidAt');
        if (existing) {
          await repo.update({ id: existing.id }, row);
          return existing.id;
        }
        const inserted = await repo.insert(row);
        return inserted.identifiers[0].id as string;
      }),
    );
    ctx.disclosures.subjectOfOrder(orderId);
    ctx.loaders.payment().clear(id);
    return ctx.loaders.payment().load(id);
  }
}

function pick<T extends object, K extends keyof T>(record: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, record[k]])) as Pick<T, K>;
}
