import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A published version of the privacy policy.' })
export class PolicyVersion {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) version!: string;
  @Field(() => Date, { nullable: true }) publishedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When the version takes effect: orders placed from then on are placed under it.' }) effectiveAt!: Date;
  @Field(() => String, { nullable: true, description: 'sha256 of the published text, hex.' }) sha256!: string;
}
