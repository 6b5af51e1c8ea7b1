/**
 * A partner's change notifications over GraphQL: its endpoints (registered, rotated and disabled
 * by the partner itself) and the deliveries to them, with a redeliver. Who may call each is the
 * disclosure matrix's decision; the records are found inside the caller's row scope (its own
 * partner), so another partner's endpoint or delivery id answers exactly as one that does not exist.
 */
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actingPartner } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { scopedQuery } from '../../enforcement/loader-factory';
import { refuseIdempotencyKey } from '../../idempotency/idempotency';
import { notFound } from '../../platform/errors';
import { requireUuid, whereEquals, whereIn } from '../../platform/filters';
import { WebhookDeliveryOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { inRootListOrder, ROOT_LISTS, TABLES } from '../loaders';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import type { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { DisableWebhookEndpointInput, RedeliverWebhookInput, RegisterWebhookEndpointInput, RotateWebhookSecretInput, WebhookDeliveryFilter } from './webhook.inputs';
import { DEFAULT_GRACE_HOURS, disableEndpoint, redeliver, registerEndpoint, rotateSecret } from './webhook.service';
import { WebhookDelivery, WebhookDeliveryConnection, WebhookEndpoint, WebhookEndpointSecret } from './webhook.type';

@Resolver(() => WebhookDelivery)
export class WebhookResolver {
  @Query(() => [WebhookEndpoint], { description: "The caller's own webhook endpoints, oldest first." })
  async webhookEndpoints(@Ctx() ctx: RequestContext): Promise<WebhookEndpointEntity[]> {
    return inRootListOrder(scopedQuery(ctx.dataSource, TABLES.webhookEndpoint, ctx.scope), ROOT_LISTS.webhookEndpoints).getMany();
  }

  @Query(() => WebhookDelivery, { nullable: true, description: 'One of the caller\'s own deliveries, or null when there is none the caller may see.' })
  webhookDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<WebhookDeliveryEntity | null> {
    return ctx.loaders.webhookDelivery().load(requireUuid(id, 'id'));
  }

  @Query(() => WebhookDeliveryConnection, { description: "The caller's own deliveries, newest first: pending, delivered, dead (given up) or cancelled." })
  webhookDeliveries(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => WebhookDeliveryFilter, { nullable: true }) filter: WebhookDeliveryFilter | null,
    @Arg('orderBy', () => WebhookDeliveryOrder.values, WebhookDeliveryOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<WebhookDeliveryEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.webhookDelivery, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereEquals(qb, 't.endpointId', filter?.endpointId && requireUuid(filter.endpointId, 'filter.endpointId'), 'endpointId');
    whereEquals(qb, 't.eventId', filter?.eventId && requireUuid(filter.eventId, 'filter.eventId'), 'eventId');
    return paginate(qb, 't', WebhookDeliveryOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
  }

  @FieldResolver(() => WebhookEndpoint, { nullable: true })
  endpoint(@Root() delivery: WebhookDeliveryEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.webhookEndpoint().load(delivery.endpointId);
  }

  @Mutation(() => WebhookEndpointSecret, {
    description:
      'A partner registers an endpoint for its change notifications, under the purpose of this request. The answer carries the signing secret, once; it is refused with an Idempotency-Key, which would keep it.',
  })
  async registerWebhookEndpoint(@Arg('input', () => RegisterWebhookEndpointInput) input: RegisterWebhookEndpointInput, @Ctx() ctx: RequestContext) {
    refuseIdempotencyKey(ctx, 'a signing secret');
    const partnerId = actingPartner(ctx, 'registerWebhookEndpoint');
    return ctx.transaction.write((em) => registerEndpoint(em, ctx.webhooks, { partnerId, url: input.url, purpose: ctx.caller.purpose, at: new Date() }));
  }

  @Mutation(() => WebhookEndpointSecret, {
    description:
      'A new signing secret for one of the caller\'s endpoints, answered once (refused with an Idempotency-Key, which would keep it). The previous one keeps signing too (a second signature) for `graceHours`, so receivers can switch without missing a notification.',
  })
  async rotateWebhookSecret(@Arg('input', () => RotateWebhookSecretInput) input: RotateWebhookSecretInput, @Ctx() ctx: RequestContext) {
    refuseIdempotencyKey(ctx, 'a signing secret');
    const found = await ctx.loaders.webhookEndpoint().load(requireUuid(input.endpointId, 'input.endpointId'));
    if (!found) throw notFound('Webhook endpoint');
    return ctx.transaction.write((em) => rotateSecret(em, ctx.webhooks, found.id, input.graceHours ?? DEFAULT_GRACE_HOURS, new Date()));
  }

  @Mutation(() => WebhookEndpoint, { description: "Disables one of the caller's endpoints: nothing more is sent to it; its pending deliveries are cancelled." })
  async disableWebhookEndpoint(@Arg('input', () => DisableWebhookEndpointInput) input: DisableWebhookEndpointInput, @Ctx() ctx: RequestContext) {
    const found = await ctx.loaders.webhookEndpoint().load(requireUuid(input.endpointId, 'input.endpointId'));
    if (!found) throw notFound('Webhook endpoint');
    await ctx.transaction.write((em) => disableEndpoint(em, found.id, new Date()));
    ctx.loaders.webhookEndpoint().clear(found.id);
    return ctx.loaders.webhookEndpoint().load(found.id);
  }

  @Mutation(() => WebhookDelivery, {
    description: "Sends one of the caller's deliveries again, now, with its attempts counted afresh; the event keeps its id (`webhook-id`).",
  })
  async redeliverWebhook(@Arg('input', () => RedeliverWebhookInput) input: RedeliverWebhookInput, @Ctx() ctx: RequestContext) {
    const found = await ctx.loaders.webhookDelivery().load(requireUuid(input.deliveryId, 'input.deliveryId'));
    if (!found) throw notFound('Webhook delivery');
    await ctx.transaction.write((em) => redeliver(em, found, new Date()));
    ctx.loaders.webhookDelivery().clear(found.id);
    return ctx.loaders.webhookDelivery().load(found.id);
  }
}

@Resolver(() => WebhookEndpointSecret)
export class WebhookEndpointSecretResolver {
  @FieldResolver(() => WebhookEndpoint, { nullable: true })
  endpoint(@Root() result: { endpoint: WebhookEndpointEntity }) {
    return result.endpoint;
  }
}
