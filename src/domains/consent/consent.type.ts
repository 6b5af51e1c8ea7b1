import { Field, ID, ObjectType } from 'type-graphql';
import { PreferenceCategory } from './preference-consent.entity';

@ObjectType({ description: "A customer's authorization for a third party." })
export class ConsentGrant {
  @Field(() => ID) id!: string;
  @Field(() => [String], { nullable: true, description: 'Data categories the grantee may see.' }) categories!: string[];
  @Field(() => String, { nullable: true }) purpose!: string;
  @Field(() => Date, { nullable: true }) grantedAt!: Date;
  @Field(() => Date, { nullable: true }) expiresAt!: Date;
  @Field(() => Date, { nullable: true }) withdrawnAt!: Date | null;
}

@ObjectType({ description: 'A cookie / preference choice.' })
export class PreferenceConsent {
  @Field(() => ID) id!: string;
  @Field(() => PreferenceCategory, { nullable: true }) category!: PreferenceCategory;
  @Field(() => Boolean, { nullable: true }) granted!: boolean;
  @Field(() => Date, { nullable: true }) recordedAt!: Date;
}
