import { ArrayMaxSize, ArrayMinSize, IsEmail, IsOptional, Length, Matches, ValidateNested } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { PrivacyRequestType } from './privacy-request.entity';

const PHONE = /^\+?[0-9 ()-]{5,31}$/;
const COUNTRY = /^[A-Z]{2}$/;
const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

@InputType()
export class SubmitPrivacyRequestInput {
  @Field(() => PrivacyRequestType) type!: PrivacyRequestType;
  @Field(() => ID, {
    nullable: true,
    description: 'Customer service only: the customer the request is for. A customer always asks about themself and leaves it out.',
  })
  customerId?: string | null;
  @Field(() => [ID], { nullable: true, description: 'A withdraw_consent request: the grants to withdraw; all grants in force when left out.' })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  grantIds?: string[] | null;
}

@InputType()
export class PrivacyRequestIdInput {
  @Field(() => ID) requestId!: string;
}

@InputType()
export class VerifyPrivacyRequestInput {
  @Field(() => ID) requestId!: string;
  @Field(() => String, { description: 'The one-time code mailed to the email on file.' })
  @Length(1, 20)
  code!: string;
}

@InputType()
export class RejectPrivacyRequestInput {
  @Field(() => ID) requestId!: string;
  @Field(() => String, { description: 'Why, in words the customer will read.' })
  @Length(1, 1000)
  reason!: string;
}

@InputType({ description: 'Account fields to correct; those left out stay as they are.' })
export class AccountCorrectionInput {
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200) accountName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsEmail() @Length(3, 320) email?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(PHONE) phone?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(0, 200) emergencyContactName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(PHONE) emergencyContactPhone?: string | null;
  @Field(() => String, { nullable: true, description: 'A BCP 47 language tag, e.g. en-GB.' }) @IsOptional() @Matches(LANGUAGE) @Length(2, 35) preferredLanguage?: string | null;
}

@InputType({ description: 'An address: every field for a new one; only those to change for an existing one.' })
export class AddressFieldsInput {
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200) recipientName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200) line1?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(0, 200) line2?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 100) city?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(0, 100) state?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 20) postalCode?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2, e.g. GB.' }) @IsOptional() @Matches(COUNTRY) country?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(PHONE) phone?: string | null;
}

@InputType()
export class AddressCorrectionInput {
  @Field(() => ID, { nullable: true, description: 'The address to change or remove; left out, a new address is added.' }) id?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Remove the address (with its id).' }) remove?: boolean | null;
  @Field(() => Boolean, { nullable: true, description: 'Make it the default address.' }) isDefault?: boolean | null;
  @Field(() => AddressFieldsInput, { nullable: true }) @IsOptional() @ValidateNested() fields?: AddressFieldsInput | null;
}

@InputType({ description: 'Orders not yet handed to the carrier (placed, paid, packed) whose shipping address should change too.' })
export class OrderShippingCorrectionInput {
  @Field(() => [ID]) @ArrayMinSize(1) @ArrayMaxSize(50) orderIds!: string[];
  @Field(() => AddressFieldsInput) @ValidateNested() address!: AddressFieldsInput;
}

@InputType()
export class RectifyPersonalDataInput {
  @Field(() => ID, { description: 'A rectification request whose identity is verified.' }) requestId!: string;
  @Field(() => AccountCorrectionInput, { nullable: true }) @IsOptional() @ValidateNested() account?: AccountCorrectionInput | null;
  @Field(() => [AddressCorrectionInput], { nullable: true }) @IsOptional() @ArrayMaxSize(20) @ValidateNested({ each: true }) addresses?: AddressCorrectionInput[] | null;
  @Field(() => OrderShippingCorrectionInput, {
    nullable: true,
    description: 'Only when asked for: a shipping snapshot is what the order was placed with, and changes only for orders not yet handed to the carrier.',
  })
  @IsOptional()
  @ValidateNested()
  orderShipping?: OrderShippingCorrectionInput | null;
}
