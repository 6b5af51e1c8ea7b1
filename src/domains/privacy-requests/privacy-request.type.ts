import { connectionOf } from '../../platform/pagination';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PrivacyRequestChannel, PrivacyRequestStatus, PrivacyRequestType } from './privacy-request.entity';

@ObjectType({ description: 'A data-subject request: received, identity verified, in progress, then completed or rejected; due 3 working days after verification.' })
export class PrivacyRequest {
  @Field(() => ID) id!: string;
  @Field(() => PrivacyRequestType, { nullable: true }) type!: PrivacyRequestType;
  @Field(() => PrivacyRequestStatus, { nullable: true }) status!: PrivacyRequestStatus;
  @Field(() => Date, { nullable: true }) receivedAt!: Date;
  @Field(() => Date, { nullable: true }) verifiedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'The end of the 3rd working day after verification.' }) dueAt!: Date | null;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Who handles it for the store: the compliance officer who took it or carried it out, or the customer service agent who entered its corrections. Null while nobody does.' }) handler!: string | null;
  @Field(() => String, { nullable: true }) resultSummary!: string | null;
  @Field(() => String, { nullable: true }) rejectionReason!: string | null;
  @Field(() => PrivacyRequestChannel, { nullable: true, description: 'Who opened it: the customer, or customer service on their behalf.' }) openedVia!: PrivacyRequestChannel;
}

@ObjectType({ description: 'One change of a privacy request’s status.' })
export class PrivacyRequestTransition {
  @Field(() => ID) id!: string;
  @Field(() => PrivacyRequestStatus, { nullable: true, description: 'Null for the request’s creation.' }) fromStatus!: PrivacyRequestStatus | null;
  @Field(() => PrivacyRequestStatus, { nullable: true }) toStatus!: PrivacyRequestStatus;
  @Field(() => Date, { nullable: true }) at!: Date;
  @Field(() => String, { nullable: true, description: 'The kind of principal that acted: customer, staff, or system.' }) actorKind!: string;
  @Field(() => String, { nullable: true, description: 'A rejection’s reason, or which fields a rectification corrected (never their values).' }) note!: string | null;
}

@ObjectType({ description: 'The answer to an access request: everything held about the customer, as one JSON document (docs/privacy-export.md).' })
export class PrivacyExport {
  @Field(() => ID) requestId!: string;
  @Field(() => String, { nullable: true }) format!: string;
  @Field(() => Int, { nullable: true }) version!: number;
  @Field(() => Date, { nullable: true }) generatedAt!: Date;
  @Field(() => String, { nullable: true, description: 'The export document, JSON.' }) document!: string;
}

@ObjectType({ description: 'A link that downloads an access request’s export once, until it expires.' })
export class PrivacyExportLink {
  @Field(() => String, { nullable: true }) url!: string;
  @Field(() => Date, { nullable: true }) expiresAt!: Date;
}

export const PrivacyRequestConnection = connectionOf(PrivacyRequest, 'PrivacyRequest');
