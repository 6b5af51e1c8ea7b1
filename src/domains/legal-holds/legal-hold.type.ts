import { Field, ID, ObjectType } from 'type-graphql';
import { LegalHoldScope } from './legal-hold.entity';

@ObjectType({ description: 'Freezes retention and erasure while a legal matter is open.' })
export class LegalHold {
  @Field(() => ID) id!: string;
  @Field(() => LegalHoldScope, { nullable: true }) scope!: LegalHoldScope;
  @Field(() => String, { nullable: true }) reason!: string;
  @Field(() => String, { nullable: true }) caseReference!: string;
  @Field(() => String, { nullable: true }) placedBy!: string;
  @Field(() => Date, { nullable: true }) placedAt!: Date;
  @Field(() => Date, { nullable: true }) releasedAt!: Date | null;
  @Field(() => String, { nullable: true }) releasedBy!: string | null;
}
