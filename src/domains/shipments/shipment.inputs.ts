import { ArrayMaxSize, ArrayMinSize, IsOptional, Length, ValidateNested } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { ShipmentStatus } from './shipment.entity';

@InputType()
export class ShipmentFilter {
  @Field(() => [ShipmentStatus], { nullable: true }) @ArrayMaxSize(20) statuses?: ShipmentStatus[] | null;
  @Field(() => ID, { nullable: true }) logisticsPartnerId?: string | null;
  @Field(() => ID, { nullable: true }) orderId?: string | null;
  @Field(() => Date, { nullable: true }) createdFrom?: Date | null;
  @Field(() => Date, { nullable: true }) createdTo?: Date | null;
}

@InputType()
export class RecordTrackingInput {
  @Field(() => ID) shipmentId!: string;
  @Field(() => String, { description: "The carrier's tracking number, 4 to 64 characters." })
  @Length(4, 64)
  trackingNumber!: string;
}

@InputType()
export class ShipmentEventInput {
  @Field(() => String, { description: "The carrier's own id of this scan, 1 to 100 characters: a scan sent again with the same id is stored once." })
  @Length(1, 100)
  eventId!: string;
  @Field(() => Date, { description: "When the scan happened; at most an hour after the gateway's clock." }) occurredAt!: Date;
  @Field(() => String) @Length(1, 200) location!: string;
  @Field(() => String) @Length(1, 500) description!: string;
  @Field(() => ShipmentStatus, { nullable: true, description: 'The status the carrier reports with this scan, if any; it moves the shipment only forward (see the README).' })
  @IsOptional()
  status?: ShipmentStatus | null;
}

@InputType()
export class RecordShipmentEventsInput {
  @Field(() => ID) shipmentId!: string;
  @Field(() => [ShipmentEventInput], { description: '1 to 100 scans; all new ones are recorded, or none.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  events!: ShipmentEventInput[];
}
