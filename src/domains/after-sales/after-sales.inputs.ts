import { ArrayMaxSize, IsOptional, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { CaseStatus, CaseType } from './after-sales-case.entity';

@InputType()
export class AfterSalesCaseFilter {
  @Field(() => [CaseStatus], { nullable: true }) @ArrayMaxSize(10) statuses?: CaseStatus[] | null;
  @Field(() => [CaseType], { nullable: true }) @ArrayMaxSize(10) types?: CaseType[] | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => ID, { nullable: true }) orderId?: string | null;
  @Field(() => Date, { nullable: true }) openedFrom?: Date | null;
  @Field(() => Date, { nullable: true }) openedTo?: Date | null;
}

@InputType()
export class OpenCaseInput {
  @Field(() => ID, { nullable: true, description: 'The order the case is about, if any. It must be one of the customer\'s orders.' })
  orderId?: string | null;
  @Field(() => ID, { nullable: true, description: 'Staff opening a case on behalf of a customer name the customer; customers never do.' })
  customerId?: string | null;
  @Field(() => CaseType) type!: CaseType;
  @Field(() => String) @Length(1, 200) subject!: string;
  @Field(() => String, { description: 'The first message, 1 to 5,000 characters.' }) @Length(1, 5000) message!: string;
}

@InputType()
export class PostCaseMessageInput {
  @Field(() => ID) caseId!: string;
  @Field(() => String, { description: '1 to 5,000 characters. Card numbers are removed before it is stored.' })
  @Length(1, 5000)
  body!: string;
}

@InputType()
export class UpdateCaseInput {
  @Field(() => ID) caseId!: string;
  @Field(() => CaseStatus) status!: CaseStatus;
}

@InputType()
export class AddCaseRecordInput {
  @Field(() => ID) caseId!: string;
  @Field(() => String, { description: 'What was done, e.g. `refund_issued`.' }) @Length(1, 100) action!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 5000) note?: string | null;
}

@InputType()
export class AttachCaseUploadInput {
  @Field(() => ID, { description: 'The `uploadId` POST /attachments answered with; only the caller who uploaded it can attach it.' })
  uploadId!: string;
}
