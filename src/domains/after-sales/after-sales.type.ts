import { connectionOf } from '../../platform/pagination';
import { Field, ID, ObjectType } from 'type-graphql';
import { CaseStatus, CaseType } from './after-sales-case.entity';
import { AttachmentKind } from './case-attachment.entity';
import { AuthorSide } from './case-message.entity';

@ObjectType()
export class AfterSalesCase {
  @Field(() => ID) id!: string;
  @Field(() => CaseType, { nullable: true }) type!: CaseType;
  @Field(() => CaseStatus, { nullable: true }) status!: CaseStatus;
  @Field(() => String, { nullable: true }) subject!: string;
  @Field(() => Date, { nullable: true }) openedAt!: Date;
  @Field(() => Date, { nullable: true }) closedAt!: Date | null;
}

@ObjectType()
export class CaseMessage {
  @Field(() => ID) id!: string;
  @Field(() => AuthorSide, { nullable: true }) authorSide!: AuthorSide;
  @Field(() => String, { nullable: true }) body!: string;
  @Field(() => Date, { nullable: true }) sentAt!: Date;
}

@ObjectType({ description: 'Metadata of proof a customer submitted; the content itself is in object storage.' })
export class CaseAttachment {
  @Field(() => ID) id!: string;
  @Field(() => AttachmentKind, { nullable: true }) kind!: AttachmentKind;
  @Field(() => String, { nullable: true }) contentType!: string;
  @Field(() => String, { nullable: true, description: 'Size in bytes (a string: it may exceed 2^53).' }) sizeBytes!: string;
  @Field(() => String, { nullable: true }) sha256!: string;
  @Field(() => Date, { nullable: true }) uploadedAt!: Date;
  @Field(() => String, {
    nullable: true,
    description:
      'A link to download the content: a path on the gateway (GET it, no headers needed), bound to the caller and working for a few minutes (ATTACHMENT_LINK_TTL_SECONDS). Every issue and every download is audited.',
  })
  downloadUrl!: string;
}

@ObjectType({ description: 'A processing step staff took on a case.' })
export class CaseRecord {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) action!: string;
  @Field(() => String, { nullable: true }) actor!: string;
  @Field(() => String, { nullable: true }) note!: string | null;
  @Field(() => Date, { nullable: true }) recordedAt!: Date;
}

export const AfterSalesCaseConnection = connectionOf(AfterSalesCase, 'AfterSalesCase');
