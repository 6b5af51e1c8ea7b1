import { ArrayMaxSize, ArrayMinSize, IsOptional, Length, ValidateNested } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { PreferenceCategory } from './preference-consent.entity';

@InputType()
export class GrantConsentInput {
  @Field(() => ID, { description: 'The third party to authorize: an active partner of kind THIRD_PARTY (see `partners`).' })
  granteeId!: string;
  @Field(() => [String], { description: 'The data categories it may see, e.g. `order.status`; the disclosure matrix lists those a grant can name.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(30)
  categories!: string[];
  @Field(() => String, { nullable: true, description: 'The purpose it may declare; `authorized_sharing`, the only one a third party can, when left out.' })
  @IsOptional()
  @Length(1, 64)
  purpose?: string | null;
  @Field(() => Date, { description: 'When the grant ends by itself: after now, at most one year ahead.' })
  expiresAt!: Date;
}

@InputType()
export class WithdrawConsentInput {
  @Field(() => ID) grantId!: string;
}

@InputType()
export class PreferenceChoiceInput {
  @Field(() => PreferenceCategory) category!: PreferenceCategory;
  @Field(() => Boolean) granted!: boolean;
}

@InputType()
export class RecordPreferenceChoicesInput {
  @Field(() => String, {
    nullable: true,
    description: "The storefront's visitor cookie id of a visitor who is not signed in; stored only as that day's pseudonym.",
  })
  @IsOptional()
  @Length(1, 128)
  visitorId?: string | null;
  @Field(() => ID, { nullable: true, description: 'The signed-in customer the storefront records for (never together with visitorId: the two are never linked).' })
  customerId?: string | null;
  @Field(() => [PreferenceChoiceInput], { description: 'One to three choices, each category once.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @ValidateNested({ each: true })
  choices!: PreferenceChoiceInput[];
}
