import { connectionOf } from '../../platform/pagination';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DeviceClass } from '../../privacy/desensitize';

@ObjectType({ description: 'A desensitized page view; never linked to a customer.' })
export class BehaviorEvent {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) visitorPseudonym!: string;
  @Field(() => String, { nullable: true }) ipPrefix!: string;
  @Field(() => DeviceClass, { nullable: true }) deviceClass!: DeviceClass;
  @Field(() => String, { nullable: true }) browserFamily!: string;
  @Field(() => String, { nullable: true }) language!: string | null;
  @Field(() => String, { nullable: true }) region!: string | null;
  @Field(() => String, { nullable: true }) page!: string;
  @Field(() => Int, { nullable: true }) dwellMs!: number;
  @Field(() => Int, { nullable: true }) clicks!: number;
  @Field(() => Date, { nullable: true }) occurredAt!: Date;
}

export const BehaviorEventConnection = connectionOf(BehaviorEvent, 'BehaviorEvent');
