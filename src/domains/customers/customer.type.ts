import { connectionOf } from '../../platform/pagination';
import { Field, ID, ObjectType } from 'type-graphql';
import { CustomerStatus } from './customer.entity';

@ObjectType({ description: 'A store account holder.' })
export class Customer {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) accountName!: string;
  @Field(() => String, { nullable: true }) email!: string;
  @Field(() => String, { nullable: true }) phone!: string;
  @Field(() => String, { nullable: true }) emergencyContactName!: string | null;
  @Field(() => String, { nullable: true }) emergencyContactPhone!: string | null;
  @Field(() => String, { nullable: true }) preferredLanguage!: string;
  @Field(() => CustomerStatus, { nullable: true }) status!: CustomerStatus;
  @Field(() => Boolean, { nullable: true, description: 'The customer objected to analytics of their data.' })
  analyticsObjection!: boolean;
  @Field(() => Date, { nullable: true }) createdAt!: Date;
}

@ObjectType({ description: "An entry of a customer's address book." })
export class Address {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) recipientName!: string;
  @Field(() => String, { nullable: true }) line1!: string;
  @Field(() => String, { nullable: true }) line2!: string | null;
  @Field(() => String, { nullable: true }) city!: string;
  @Field(() => String, { nullable: true }) state!: string | null;
  @Field(() => String, { nullable: true }) postalCode!: string;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2.' }) country!: string;
  @Field(() => String, { nullable: true }) phone!: string;
  @Field(() => Boolean, { nullable: true }) isDefault!: boolean;
}

export const CustomerConnection = connectionOf(Customer, 'Customer');
