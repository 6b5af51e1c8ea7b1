import { ArrayMaxSize, ArrayMinSize, IsIP, IsOptional, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';

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
  @Field(() => Date) occurredAt!: Date;
}

@InputType()
export class IngestBehaviorEventsInput {
  @Field(() => [BehaviorEventInput], { description: '1 to 500 events; all are stored or none.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  events!: BehaviorEventInput[];
}
