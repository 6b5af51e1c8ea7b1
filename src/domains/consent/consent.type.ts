import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionOf } from '../../platform/pagination';
import { PreferenceCategory, PreferenceSource } from './preference-consent.entity';

@ObjectType({ description: "A customer's authorization for a third party." })
export class ConsentGrant {
  @Field(() => ID) id!: string;
  @Field(() => [String], { nullable: true, description: 'Data categories the grantee may see.' }) categories!: string[];
  @Field(() => String, { nullable: true, description: 'The purpose the grantee may declare when it reads.' }) purpose!: string;
  @Field(() => Date, { nullable: true }) grantedAt!: Date;
  @Field(() => Date, { nullable: true }) expiresAt!: Date;
  @Field(() => Date, { nullable: true }) withdrawnAt!: Date | null;
}

@ObjectType({ description: 'A cookie / preference choice, as it was made: choices are never changed, a new one supersedes them.' })
export class PreferenceConsent {
  @Field(() => ID) id!: string;
  @Field(() => PreferenceCategory, { nullable: true }) category!: PreferenceCategory;
  @Field(() => Boolean, { nullable: true }) granted!: boolean;
  @Field(() => Date, { nullable: true }) recordedAt!: Date;
  @Field(() => PreferenceSource, { nullable: true, description: "STOREFRONT: the shop's cookie banner; CUSTOMER: the customer's own account." })
  recordedVia!: PreferenceSource;
}

export const PreferenceConsentConnection = connectionOf(PreferenceConsent, 'PreferenceConsent');

@ObjectType({ description: 'What a recording of cookie choices took in.' })
export class PreferenceChoiceResult {
  @Field(() => Int, { description: 'How many choices the request carried and the gateway accepted.' }) accepted!: number;
  @Field(() => [PreferenceConsent], { nullable: true, description: "A customer's choices in force afterwards, one per category (customers recording their own only)." })
  current!: unknown[] | null;
}
