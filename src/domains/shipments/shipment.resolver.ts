import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actingPartner } from '../../auth/guards';
import type { RequestContext } from '../../context';
import { translatingDbErrors } from '../../platform/db-errors';
import { notFound } from '../../platform/errors';
import { requireUuid, whereBetween, whereEquals, whereIn } from '../../platform/filters';
import { scopedQuery } from '../../enforcement/loader-factory';
import { ShipmentOrder } from '../../platform/orderings';
import { paginate, PageArgs, type Page } from '../../platform/pagination';
import { TABLES } from '../loaders';
import { Order } from '../orders/order.type';
import { Partner } from '../partners/partner.type';
import { recordScans, recordTracking } from './shipment-scans';
import { ShipmentEntity } from './shipment.entity';
import { RecordShipmentEventsInput, RecordTrackingInput, ShipmentFilter } from './shipment.inputs';
import { Shipment, ShipmentConnection, ShipmentEvent } from './shipment.type';

@Resolver(() => Shipment)
export class ShipmentResolver {
  @Query(() => Shipment, { nullable: true, description: 'A shipment by id, or null when there is none the caller may see.' })
  shipment(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ShipmentEntity | null> {
    return ctx.loaders.shipment().load(requireUuid(id, 'id'));
  }

  @Query(() => ShipmentConnection, { description: "Shipments, e.g. a carrier's manifest." })
  shipments(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => ShipmentFilter, { nullable: true }) filter: ShipmentFilter | null,
    @Arg('orderBy', () => ShipmentOrder.values, ShipmentOrder.argument) orderBy: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<ShipmentEntity>> {
    const qb = scopedQuery(ctx.dataSource, TABLES.shipment, ctx.scope);
    whereIn(qb, 't.status', filter?.statuses, 'statuses');
    whereEquals(qb, 't.logisticsPartnerId', filter?.logisticsPartnerId && requireUuid(filter.logisticsPartnerId, 'filter.logisticsPartnerId'), 'partner');
    whereEquals(qb, 't.orderId', filter?.orderId && requireUuid(filter.orderId, 'filter.orderId'), 'orderId');
    whereBetween(qb, 't.createdAt', filter?.createdFrom, filter?.createdTo, 'created');
    return paginate(qb, 't', ShipmentOrder.pick(orderBy, ctx.policy.decideArgument), page, ctx.cursors, filter);
  }

  @FieldResolver(() => Order, { nullable: true })
  order(@Root() shipment: ShipmentEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.order().load(shipment.orderId);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The logistics partner carrying the parcel.' })
  carrier(@Root() shipment: ShipmentEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.partner().load(shipment.logisticsPartnerId);
  }

  @FieldResolver(() => [ShipmentEvent], { nullable: true })
  events(@Root() shipment: ShipmentEntity, @Ctx() ctx: RequestContext) {
    return ctx.loaders.eventsByShipment().load(shipment.id);
  }

  @Mutation(() => Shipment, { description: "A logistics partner records the tracking number of one of its shipments." })
  async recordShipmentTracking(@Arg('input', () => RecordTrackingInput) input: RecordTrackingInput, @Ctx() ctx: RequestContext) {
    // Found inside the caller's row scope: another carrier's shipment answers as a missing one.
    const shipment = await ctx.loaders.shipment().load(requireUuid(input.shipmentId, 'input.shipmentId'));
    if (!shipment) throw notFound('Shipment');
    // A tracking number is unique per carrier: reusing one is the caller's mistake, said so.
    await translatingDbErrors('recordShipmentTracking', () => ctx.transaction.write((em) => recordTracking(em, shipment.id, input.trackingNumber)));
    ctx.disclosures.subjectOfOrder(shipment.orderId);
    ctx.loaders.shipment().clear(shipment.id);
    return ctx.loaders.shipment().load(shipment.id);
  }

  @Mutation(() => Shipment, {
    description:
      'A logistics partner records carrier scans of one of its shipments: all new scans are written, or none. A scan sent again (same eventId) is not stored twice; the status only moves forward (see the README).',
  })
  async recordShipmentEvents(@Arg('input', () => RecordShipmentEventsInput) input: RecordShipmentEventsInput, @Ctx() ctx: RequestContext) {
    // Found inside the caller's row scope: another carrier's shipment answers as a missing one.
    const shipment = await ctx.loaders.shipment().load(requireUuid(input.shipmentId, 'input.shipmentId'));
    if (!shipment) throw notFound('Shipment');
    // Scans already recorded are recognised by their event ids; the status moves only forward.
    await ctx.transaction.write((em) => recordScans(em, shipment.id, actingPartner(ctx, 'recordShipmentEvents'), input.events));
    ctx.disclosures.subjectOfOrder(shipment.orderId);
    ctx.loaders.shipment().clear(shipment.id);
    ctx.loaders.eventsByShipment().clear(shipment.id);
    return ctx.loaders.shipment().load(shipment.id);
  }
}
