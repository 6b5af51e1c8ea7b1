import { Field, InputType } from 'type-graphql';
import { CustomerStatus } from './customer.entity';

@InputType()
export class CustomerFilter {
  @Field(() => CustomerStatus, { nullable: true }) status?: CustomerStatus | null;
  @Field(() => Date, { nullable: true, description: 'Created at or after.' }) createdFrom?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Created before.' }) createdTo?: Date | null;
}
