import { Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { LegalHoldScope } from './legal-hold.entity';

@InputType()
export class PlaceLegalHoldInput {
  @Field(() => LegalHoldScope, { description: 'CUSTOMER freezes everything of the customer; ORDER the order, what hangs on it and its after-sales cases.' })
  scope!: LegalHoldScope;
  @Field(() => ID, { nullable: true, description: 'The customer held (scope CUSTOMER).' })
  customerId?: string | null;
  @Field(() => ID, { nullable: true, description: 'The order held (scope ORDER).' })
  orderId?: string | null;
  @Field(() => String, { description: 'Why, in words: the legal matter the hold serves.' })
  @Length(1, 2000)
  reason!: string;
}

@InputType()
export class ReleaseLegalHoldInput {
  @Field(() => ID) holdId!: string;
}
