import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { OWNER } from '../../policy/tables';
import type { RequestContext } from '../../context';
import { requireUuid, whereBetween, whereEquals, whereIn } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { OrderOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { AfterSalesCase } from '../after-sales/after-sales.type';
import { Customer } from '../customers/customer.type';
import { TABLES } from '../loaders';
import { Partner } from '../partners/partner.type';
import { PaymentVerification } from '../payments/payment-verification.type';
import { PolicyVersion } from '../policy-versions/policy-version.type';
import { Shipment } from '../shipments/shipment.type';
import type { OrderItemEntity } from './order-item.entity';
import type { OrderEntity } from './order.entity';
import { OrderFilter } from './order.inputs';
import { CustomsDeclaration, ItemAttribute, Order, OrderConnection, OrderItem, ShippingAddress } from './order.type';

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => Order, { nullable: true, description: 'An order by id, or null when there is none the caller may see.' })
  order(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<OrderEntity | null> {
    return ctx.loaders.order().load(requireUuid(id, 'id'));
  }

  @Query(() => OrderConnection)
  orders(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => OrderFilter, { nullable: true }) filter: OrderFilter | null,
    @Arg('orderBy', () => OrderOrder.values, OrderOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<OrderEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.order, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereEquals(qb, 't.customerId', filter?.customerId && requireUuid(filter.customerId, 'filter.customerId'), 'customerId');
    whereEquals(qb, 't.channel', filter?.channel, 'channel');
    whereEquals(
      qb,
      't.platformPartnerId',
      filter?.platformPartnerId && requireUuid(filter.platformPartnerId, 'filter.platformPartnerId'),
      'platformPartnerId',
    );
    whereBetween(qb, 't.placedAt', filter?.placedFrom, filter?.placedTo, 'placed');
    return paginate(qb, 't', OrderOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() order: OrderEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.customer().load(order.customerId);
  }

  @FieldResolver(() => ShippingAddress, { nullable: true, description: 'Recipient and address as they were when the order was placed.' })
  shippingAddress(@Root() order: OrderEntity) {
    return { ...order.shipping, [OWNER]: { orderId: order.id } };
  }

  @FieldResolver(() => CustomsDeclaration, { nullable: true })
  customs(@Root() order: OrderEntity) {
    return { ...order.customs, [OWNER]: { orderId: order.id } };
  }

  @FieldResolver(() => [OrderItem], { nullable: true })
  items(@Root() order: OrderEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.itemsByOrder().load(order.id);
  }

  @FieldResolver(() => [Shipment], { nullable: true, description: "The order's shipments the caller may see (a carrier sees only its own)." })
  shipments(@Root() order: OrderEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.shipmentsByOrder().load(order.id);
  }

  @FieldResolver(() => [PaymentVerification], { nullable: true })
  paymentVerifications(@Root() order: OrderEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.paymentsByOrder().load(order.id);
  }

  @FieldResolver(() => [AfterSalesCase], { nullable: true })
  afterSalesCases(@Root() order: OrderEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.casesByOrder().load(order.id);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The platform the order was sold through, if any.' })
  platformPartner(@Root() order: OrderEntity, @Ctx() ctx: RequestContext) {
    return order.platformPartnerId ? ctx.loaders.partner().load(order.platformPartnerId) : null;
  }

  @FieldResolver(() => PolicyVersion, { nullable: true, description: 'The privacy policy in force when the order was placed.' })
  policyVersion(@Root() order: OrderEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.policyVersion().load(order.policyVersionId);
  }
}

@Resolver(() => OrderItem)
export class OrderItemResolver {
  @FieldResolver(() => [ItemAttribute], { nullable: true, description: 'Size, colour and the like.' })
  attributes(@Root() item: OrderItemEntity): ItemAttribute[] {
    return Object.entries(item.specification ?? {}).map(([name, value]) => ({ name, value: String(value), [OWNER]: { orderId: item.orderId } }));
  }
}
