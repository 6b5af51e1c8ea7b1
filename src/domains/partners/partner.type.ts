import { connectionOf } from '../../platform/pagination';
import { Field, ID, ObjectType } from 'type-graphql';
import { PartnerKind, PartnerStatus } from './partner.entity';

@ObjectType({ description: 'An organisation the store shares data with.' })
export class Partner {
  @Field(() => ID) id!: string;
  @Field(() => PartnerKind, { nullable: true }) kind!: PartnerKind;
  @Field(() => String, { nullable: true }) name!: string;
  @Field(() => PartnerStatus, { nullable: true }) status!: PartnerStatus;
}

export const PartnerConnection = connectionOf(Partner, 'Partner');
