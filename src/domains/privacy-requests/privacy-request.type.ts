import { connectionOf } from '../../platform/pagination';
import { Field, ID, ObjectType } from 'type-graphql';
import { PrivacyRequestStatus, PrivacyRequestType } from './privacy-request.entity';

@ObjectType({ description: 'A data-subject request.' })
export class PrivacyRequest {
  @Field(() => ID) id!: string;
  @Field(() => PrivacyRequestType, { nullable: true }) type!: PrivacyRequestType;
  @Field(() => PrivacyRequestStatus, { nullable: true }) status!: PrivacyRequestStatus;
  @Field(() => Date, { nullable: true }) receivedAt!: Date;
  @Field(() => Date, { nullable: true }) verifiedAt!: Date | null;
  @Field(() => Date, { nullable: true }) dueAt!: Date | null;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
  @Field(() => String, { nullable: true }) handler!: string | null;
  @Field(() => String, { nullable: true }) resultSummary!: string | null;
  @Field(() => String, { nullable: true }) rejectionReason!: string | null;
}

export const PrivacyRequestConnection = connectionOf(PrivacyRequest, 'PrivacyRequest');
