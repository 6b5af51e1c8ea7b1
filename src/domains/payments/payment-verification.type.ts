import { connectionOf } from '../../platform/pagination';
import { Field, ID, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../platform/scalars';
import { PaymentMethod, PaymentStatus } from './payment-verification.entity';

@ObjectType({ description: "A payment provider's verification and settlement record. Never a full card number." })
export class PaymentVerification {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) providerReference!: string;
  @Field(() => PaymentMethod, { nullable: true }) method!: PaymentMethod;
  @Field(() => String, { nullable: true }) cardBrand!: string | null;
  @Field(() => String, { nullable: true }) cardLast4!: string | null;
  @Field(() => DecimalScalar, { nullable: true }) amount!: string;
  @Field(() => String, { nullable: true }) currency!: string;
  @Field(() => PaymentStatus, { nullable: true }) status!: PaymentStatus;
  @Field(() => Date, { nullable: true }) paidAt!: Date | null;
  @Field(() => Date, { nullable: true }) settledAt!: Date | null;
  @Field(() => String, { nullable: true }) settlementBatchRef!: string | null;
  @Field(() => Date, { nullable: true, description: "When the provider's first result for this payment was recorded." }) createdAt!: Date;
}

export const PaymentVerificationConnection = connectionOf(PaymentVerification, 'PaymentVerification');
