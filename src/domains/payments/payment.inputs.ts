import { ArrayMaxSize, IsOptional, Length, Matches } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { DecimalScalar } from '../../platform/scalars';
import { PaymentMethod, PaymentStatus } from './payment-verification.entity';

@InputType()
export class PaymentVerificationFilter {
  @Field(() => [PaymentStatus], { nullable: true }) @ArrayMaxSize(20) statuses?: PaymentStatus[] | null;
  @Field(() => ID, { nullable: true }) providerId?: string | null;
  @Field(() => ID, { nullable: true }) orderId?: string | null;
  @Field(() => Date, { nullable: true }) createdFrom?: Date | null;
  @Field(() => Date, { nullable: true }) createdTo?: Date | null;
}

@InputType({ description: "A payment provider's verification or settlement result. Card brand and last four digits at most." })
export class RecordPaymentResultInput {
  @Field(() => ID) orderId!: string;
  @Field(() => String, { description: "The provider's own transaction reference; recording the same reference again updates it." })
  @Length(1, 100)
  providerReference!: string;
  @Field(() => PaymentMethod) method!: PaymentMethod;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 20) cardBrand?: string | null;
  @Field(() => String, { nullable: true, description: 'Exactly four digits; never more of the card number.' })
  @IsOptional()
  @Matches(/^[0-9]{4}$/, { message: 'cardLast4 must be exactly four digits' })
  cardLast4?: string | null;
  @Field(() => DecimalScalar) amount!: string;
  @Field(() => String, { description: 'ISO 4217, e.g. EUR.' }) @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code like EUR' }) currency!: string;
  @Field(() => PaymentStatus) status!: PaymentStatus;
  @Field(() => Date, { nullable: true, description: "At most an hour after the gateway's clock." }) paidAt?: Date | null;
  @Field(() => Date, { nullable: true, description: "Not before paidAt; at most an hour after the gateway's clock." }) settledAt?: Date | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 100) settlementBatchRef?: string | null;
}
