import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../context';
import { scopedQuery } from '../../enforcement/loader-factory';
import { requireUuid, whereBetween, whereEquals } from '../../platform/filters';
import { CaseOrder, CustomerOrder, OrderOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import type { AfterSalesCaseEntity } from '../after-sales/after-sales-case.entity';
import { AfterSalesCaseConnection } from '../after-sales/after-sales.type';
import { ConsentGrant, PreferenceConsent, PreferenceConsentConnection } from '../consent/consent.type';
import type { PreferenceConsentEntity } from '../consent/preference-consent.entity';
import { LegalHold } from '../legal-holds/legal-hold.type';
import { TABLES } from '../loaders';
import { OrderConnection } from '../orders/order.type';
import type { OrderEntity } from '../orders/order.entity';
import { PrivacyRequest } from '../privacy-requests/privacy-request.type';
import type { CustomerEntity } from './customer.entity';
import { CustomerFilter } from './customer.inputs';
import { Address, Customer, CustomerConnection } from './customer.type';

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: 'A customer by id, or null when there is none the caller may see.' })
  customer(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<CustomerEntity | null> {
    return ctx.loaders.customer().load(requireUuid(id, 'id'));
  }

  @Query(() => CustomerConnection)
  customers(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => CustomerFilter, { nullable: true }) filter: CustomerFilter | null,
    @Arg('orderBy', () => CustomerOrder.values, CustomerOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<CustomerEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.customer, ctx.scope);
    whereEquals(qb, 't.status', filter?.status, 'status');
    whereBetween(qb, 't.createdAt', filter?.createdFrom, filter?.createdTo, 'created');
    return paginate(qb, 't', CustomerOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
  }

  @FieldResolver(() => [Address], { nullable: true })
  addresses(@Root() customer: CustomerEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.addressesByCustomer().load(customer.id);
  }

  @FieldResolver(() => OrderConnection, { nullable: true })
  orders(
    @Root() customer: CustomerEntity,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('orderBy', () => OrderOrder.values, OrderOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<OrderEntity>> {
    return ctx.loaders.ordersOfCustomer(OrderOrder.pick(orderBy, ctx.policy.decideArgument), page).load(customer.id);
  }

  @FieldResolver(() => AfterSalesCaseConnection, { nullable: true })
  afterSalesCases(
    @Root() customer: CustomerEntity,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('orderBy', () => CaseOrder.values, CaseOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<AfterSalesCaseEntity>> {
    return ctx.loaders.casesOfCustomer(CaseOrder.pick(orderBy, ctx.policy.decideArgument), page).load(customer.id);
  }

  @FieldResolver(() => [ConsentGrant], { nullable: true })
  consentGrants(@Root() customer: CustomerEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.consentGrantsByCustomer().load(customer.id);
  }

  @FieldResolver(() => [PreferenceConsent], { nullable: true, description: 'The cookie / preference choices in force: the latest per category.' })
  preferenceConsents(@Root() customer: CustomerEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.preferenceConsentsByCustomer().load(customer.id);
  }

  @FieldResolver(() => PreferenceConsentConnection, { nullable: true, description: 'Every cookie / preference choice the customer made, newest first.' })
  preferenceHistory(@Root() customer: CustomerEntity, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: RequestContext): Promise<Page<PreferenceConsentEntity>> {
    return ctx.loaders.preferenceHistoryOfCustomer(page).load(customer.id);
  }

  @FieldResolver(() => [PrivacyRequest], { nullable: true })
  privacyRequests(@Root() customer: CustomerEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.privacyRequestsByCustomer().load(customer.id);
  }

  @FieldResolver(() => [LegalHold], { nullable: true })
  legalHolds(@Root() customer: CustomerEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.legalHoldsByCustomer().load(customer.id);
  }
}
