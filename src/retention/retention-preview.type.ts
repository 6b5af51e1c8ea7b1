import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What a retention run would do to one table: rows found due, and of those anonymized, deleted, or kept under a legal hold.' })
export class RetentionTableCounts {
  @Field(() => String, { nullable: true }) table!: string;
  @Field(() => Int, { nullable: true }) found!: number;
  @Field(() => Int, { nullable: true }) anonymized!: number;
  @Field(() => Int, { nullable: true }) deleted!: number;
  @Field(() => Int, { nullable: true }) held!: number;
}

@ObjectType({ description: 'What the next retention run would do if it ran now: a dry run, rolled back, whose numbers are those of the real run.' })
export class RetentionPreview {
  @Field(() => Boolean, { nullable: true, description: 'False when a retention run is in progress (one at a time); then nothing else is filled in.' }) available!: boolean;
  @Field(() => String, { nullable: true, description: 'Why no preview could be made now; null when `available`.' }) unavailableReason!: string | null;
  @Field(() => Date, { nullable: true, description: 'The cut-off: records expired at this moment are due.' }) asOf!: Date | null;
  @Field(() => Int, { nullable: true, description: 'Delivered orders past their after-sales window, and refunded ones, that would be completed.' }) ordersCompleted!: number | null;
  @Field(() => [RetentionTableCounts], { nullable: true, description: 'Every table the job can touch, in the order the job reports them.' }) tables!: RetentionTableCounts[];
  @Field(() => Int, { nullable: true, description: 'Monthly partitions of the audit log that would be prepared ahead.' }) auditMonthsPrepared!: number | null;
  @Field(() => [String], { nullable: true, description: 'Months of the audit log past their 3 years that would be dropped.' }) auditMonthsDropped!: string[];
  @Field(() => [String], { nullable: true, description: 'Months of the audit log past their 3 years kept because a legal hold covers an event in them.' }) auditMonthsHeld!: string[];
  @Field(() => Float, { nullable: true, description: 'How long the dry run took, in milliseconds.' }) ms!: number | null;
}
