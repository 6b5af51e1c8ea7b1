import { connectionOf } from '../../platform/pagination';
import { Field, ID, ObjectType } from 'type-graphql';
import { ShipmentStatus } from './shipment.entity';

@ObjectType({ description: 'One parcel of an order, handled by one carrier.' })
export class Shipment {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) trackingNumber!: string | null;
  @Field(() => ShipmentStatus, { nullable: true }) status!: ShipmentStatus;
  @Field(() => Date, { nullable: true }) createdAt!: Date;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
}

@ObjectType({ description: 'A carrier scan.' })
export class ShipmentEvent {
  @Field(() => ID) id!: string;
  @Field(() => Date, { nullable: true }) occurredAt!: Date;
  @Field(() => String, { nullable: true }) location!: string;
  @Field(() => String, { nullable: true }) description!: string;
  @Field(() => ShipmentStatus, { nullable: true }) status!: ShipmentStatus | null;
}

export const ShipmentConnection = connectionOf(Shipment, 'Shipment');
