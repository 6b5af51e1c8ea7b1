import { ArrayMaxSize, ArrayMinSize, IsIP, IsOptional, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';

/** Page views per ingest request: a page of them, so one request stays small (the body limit is 100 kB). */
export const MAX_INGEST_BATCH = 200;

@InputType({ description: 'One raw page view as the storefront saw it; it is desensitized before it is stored.' })
export class BehaviorEventInput {
  @Field(() => String, { description: "The storefront's visitor cookie id; stored only as a daily-keyed HMAC." })
  @Length(1, 128)
  visitorId!: string;
  @Field(() => String, { description: 'Stored only as its /24 (IPv4) or /48 (IPv6) network.' }) @IsIP() ip!: string;
  @Field(() => String, { description: 'Stored only as a browser family and a device class.' }) @Length(0, 1000) userAgent!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'language must be a BCP 47 tag like en-GB' }) language?: string | null;
  @Field(() => String, { nullable: true, description: 'Country or subdivision code, e.g. GB or GB-ENG.' })
  @IsOptional()
  @Matches(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, { message: 'region must be a code like GB or GB-ENG' })
  region?: string | null;
  @Field(() => String, { description: 'The page; only its path is kept.' }) @Length(1, 2000) page!: string;
  @Field(() => Int) @Min(0) @Max(86_400_000) dwellMs!: number;
  @Field(() => Int) @Min(0) @Max(100_000) clicks!: number;
  @Field(() => Date, { description: 'Within the current or the previous UTC day (and at most five minutes ahead): later than that, a day is closed.' })
  occurredAt!: Date;
  @Field(() => Boolean, {
    description: "Whether the visitor consented to analytics when the page was viewed (the storefront's cookie choice). Without it the view is dropped.",
  })
  analyticsConsent!: boolean;
  @Field(() => ID, {
    nullable: true,
    description: "The signed-in customer, if any: used to drop the session of a customer who objected to analytics or refused it, and never stored.",
  })
  customerId?: string | null;
}

@InputType()
export class IngestBehaviorEventsInput {
  @Field(() => [BehaviorEventInput], { description: `1 to ${MAX_INGEST_BATCH} events, checked together: a batch with a malformed event is refused whole.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_INGEST_BATCH)
  @ValidateNested({ each: true })
  events!: BehaviorEventInput[];
}
