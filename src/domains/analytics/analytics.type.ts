import { ArrayMaxSize, ArrayMinSize, IsOptional, Length } from 'class-validator';
import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DeviceClass } from '../../privacy/desensitize';
import type { Dimension } from './suppression';

/** The dimensions a behaviour aggregate can be grouped or filtered by (every cell is also one UTC day). */
export const BehaviorDimension = {
  PAGE: 'page',
  DEVICE_CLASS: 'deviceClass',
  BROWSER_FAMILY: 'browserFamily',
  LANGUAGE: 'language',
  REGION: 'region',
} as const satisfies Record<string, Dimension>;
export type BehaviorDimension = (typeof BehaviorDimension)[keyof typeof BehaviorDimension];
registerEnumType(BehaviorDimension, { name: 'BehaviorDimension' });

@InputType({ description: 'Cells of these values only. A filtered dimension is a dimension of every cell returned: nothing is re-aggregated.' })
export class BehaviorAggregateFilter {
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(50) @Length(1, 500, { each: true }) pages?: string[] | null;
  @Field(() => [DeviceClass], { nullable: true }) @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(10) deviceClasses?: DeviceClass[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(50) @Length(1, 40, { each: true }) browserFamilies?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(50) @Length(1, 35, { each: true }) languages?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(50) @Length(1, 10, { each: true }) regions?: string[] | null;
}

@ObjectType({ description: 'Page views of one UTC day and one combination of dimension values; suppressed when it counts fewer than k visitors, or to protect one that does.' })
export class BehaviorCell {
  @Field(() => String, { nullable: true, description: 'The UTC day, YYYY-MM-DD.' }) day!: string;
  @Field(() => [BehaviorDimension], { nullable: true, description: 'The dimensions this cell has a value for; it is a total over the others.' })
  groupedBy!: BehaviorDimension[];
  @Field(() => String, { nullable: true }) page!: string | null;
  @Field(() => DeviceClass, { nullable: true }) deviceClass!: DeviceClass | null;
  @Field(() => String, { nullable: true }) browserFamily!: string | null;
  @Field(() => String, { nullable: true, description: 'Null where grouped by language but none was sent.' }) language!: string | null;
  @Field(() => String, { nullable: true, description: 'Null where grouped by region but none was sent.' }) region!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'True: the cell exists but its numbers are withheld (never zero).' }) suppressed!: boolean;
  @Field(() => Int, { nullable: true, description: 'Distinct visitors (daily pseudonyms); at least k wherever shown.' }) visitors!: number | null;
  @Field(() => Int, { nullable: true, description: 'Page views.' }) visits!: number | null;
  @Field(() => Float, { nullable: true, description: 'Total time on the pages, in milliseconds.' }) dwellMs!: number | null;
  @Field(() => Float, { nullable: true, description: 'Total clicks.' }) clicks!: number | null;
}

@ObjectType({ description: 'Behaviour in aggregate over closed UTC days.' })
export class BehaviorAggregateReport {
  @Field(() => Int, { nullable: true, description: 'k: the fewest distinct visitors a published cell counts.' }) minVisitorsPerCell!: number;
  @Field(() => [BehaviorCell], { nullable: true, description: 'One cell per day and combination of the grouped and filtered dimensions.' }) cells!: BehaviorCell[];
  @Field(() => [BehaviorCell], { nullable: true, description: 'Per day, the totals over every proper subset of the grouped dimensions (filtered ones held at their values).' })
  totals!: BehaviorCell[];
}
