import { ArrayMaxSize } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { OrderStatus, SalesChannel } from './order.entity';

@InputType()
export class OrderFilter {
  @Field(() => [OrderStatus], { nullable: true }) @ArrayMaxSize(20) statuses?: OrderStatus[] | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => SalesChannel, { nullable: true }) channel?: SalesChannel | null;
  @Field(() => ID, { nullable: true }) platformPartnerId?: string | null;
  @Field(() => Date, { nullable: true, description: 'Placed at or after.' }) placedFrom?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Placed before.' }) placedTo?: Date | null;
}
