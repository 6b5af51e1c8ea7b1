import { ArrayMaxSize, IsOptional, Length, Matches } from 'class-validator';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { connectionOf } from '../platform/pagination';
import { AuditOperationType, AuditOutcome } from './audit-event.entity';

registerEnumType(AuditOutcome, { name: 'AuditOutcome', description: 'What became of a request, as its response showed it.' });
registerEnumType(AuditOperationType, { name: 'AuditOperationType' });

@ObjectType({
  description: 'One request (or job) in the disclosure audit log: who asked, why, what was disclosed, masked and denied, about whom. Never field values.',
})
export class AuditEvent {
  @Field(() => ID) id!: string;
  @Field(() => Date, { nullable: true, description: 'When the request arrived.' }) at!: Date;
  @Field(() => String, { nullable: true }) requestId!: string;
  @Field(() => String, { nullable: true, description: 'A principal kind, or `system` for jobs.' }) principalKind!: string;
  @Field(() => String, { nullable: true, description: 'The token subject, or the job name.' }) principalId!: string;
  @Field(() => [String], { nullable: true, description: 'Staff roles.' }) roles!: string[];
  @Field(() => ID, { nullable: true }) partnerId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The customer a customer principal is, or whose consent grant a third party acts on.' })
  customerId!: string | null;
  @Field(() => ID, { nullable: true }) grantId!: string | null;
  @Field(() => String, { nullable: true }) purpose!: string | null;
  @Field(() => AuditOperationType, { nullable: true, description: 'Null when the request was refused before it was parsed.' })
  operationType!: AuditOperationType | null;
  @Field(() => String, { nullable: true }) operationName!: string | null;
  @Field(() => String, { nullable: true, description: 'sha256 (hex) of the printed GraphQL document.' }) operationHash!: string | null;
  @Field(() => [ID], { nullable: true, description: 'Customers whose data was disclosed or written.' }) subjectIds!: string[];
  @Field(() => [String], { nullable: true, description: '`Type.field` coordinates of personal data the response carried unmasked.' })
  disclosed!: string[];
  @Field(() => [String], { nullable: true, description: 'Coordinates the response carried masked.' }) masked!: string[];
  @Field(() => [String], { nullable: true, description: 'Coordinates the response refused (FORBIDDEN).' }) denied!: string[];
  @Field(() => AuditOutcome, { nullable: true }) outcome!: AuditOutcome;
  @Field(() => [String], { nullable: true, description: 'The codes of the errors in the response.' }) errorCodes!: string[];
  @Field(() => String, { nullable: true }) legalCaseReference!: string | null;
  @Field(() => String, { nullable: true, description: 'The privacy request a data_subject_request read serves.' }) privacyRequestReference!: string | null;
  @Field(() => String, { nullable: true, description: "The request's OpenTelemetry trace id, when tracing was on." }) traceId!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'A read that serves a legal case or a privacy request.' }) flagged!: boolean;
  @Field(() => String, { nullable: true, description: 'The seal whose Merkle root covers this event.' }) sealId!: string;
  @Field(() => String, { nullable: true, description: 'The Merkle leaf hash of this event.' }) hash!: string;
}

export const AuditEventConnection = connectionOf(AuditEvent, 'AuditEvent');

const COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/;

@InputType({ description: 'All conditions must hold. Times are a half-open range [from, to).' })
export class AuditEventFilter {
  @Field(() => ID, { nullable: true, description: 'Events that disclosed or wrote data of this customer.' }) subjectId?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 32) principalKind?: string | null;
  @Field(() => String, { nullable: true, description: 'Token subject (with principalKind for an exact principal).' })
  @IsOptional()
  @Length(1, 200)
  principalId?: string | null;
  @Field(() => ID, { nullable: true }) partnerId?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 40) purpose?: string | null;
  @Field(() => String, { nullable: true, description: 'A `Type.field` coordinate that was disclosed, masked or denied.' })
  @IsOptional()
  @Matches(COORDINATE, { message: 'coordinate must look like Type.field' })
  coordinate?: string | null;
  @Field(() => [AuditOutcome], { nullable: true }) @IsOptional() @ArrayMaxSize(4) outcomes?: AuditOutcome[] | null;
  @Field(() => Boolean, { nullable: true, description: 'Only reads that serve a legal case or a privacy request.' }) flaggedOnly?: boolean | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 100) legalCaseReference?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 100) privacyRequestReference?: string | null;
  @Field(() => Date, { nullable: true }) from?: Date | null;
  @Field(() => Date, { nullable: true }) to?: Date | null;
}
