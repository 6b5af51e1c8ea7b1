import { connectionOf } from '../../platform/pagination';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../platform/scalars';
import { OrderStatus, SalesChannel } from './order.entity';

@ObjectType({ description: 'Recipient and address as they were when the order was placed.' })
export class ShippingAddress {
  @Field(() => String, { nullable: true }) recipientName!: string;
  @Field(() => String, { nullable: true }) line1!: string;
  @Field(() => String, { nullable: true }) line2!: string | null;
  @Field(() => String, { nullable: true }) city!: string;
  @Field(() => String, { nullable: true }) state!: string | null;
  @Field(() => String, { nullable: true }) postalCode!: string;
  @Field(() => String, { nullable: true }) country!: string;
  @Field(() => String, { nullable: true }) phone!: string;
}

@ObjectType({ description: 'What customs needs to clear the parcel.' })
export class CustomsDeclaration {
  @Field(() => String, { nullable: true }) contents!: string | null;
  @Field(() => DecimalScalar, { nullable: true }) declaredValue!: string | null;
  @Field(() => [String], { nullable: true }) hsCodes!: string[];
}

@ObjectType()
export class Order {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) orderNumber!: string;
  @Field(() => SalesChannel, { nullable: true }) channel!: SalesChannel;
  @Field(() => OrderStatus, { nullable: true }) status!: OrderStatus;
  @Field(() => String, { nullable: true, description: 'ISO 4217.' }) currency!: string;
  @Field(() => DecimalScalar, { nullable: true }) totalAmount!: string;
  @Field(() => Date, { nullable: true }) placedAt!: Date;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'When the retention job anonymizes the order: 3 years after it completed or its last after-sales case closed, whichever is later; null while either is open.',
  })
  retainUntil!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the retention job anonymized the order; null until then, and again once an after-sales case is written on it afterwards (until that case expires).' }) retentionAppliedAt!: Date | null;
}

@ObjectType({ description: 'One attribute of an item, e.g. size M.' })
export class ItemAttribute {
  @Field(() => String) name!: string;
  @Field(() => String) value!: string;
}

@ObjectType()
export class OrderItem {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) position!: number;
  @Field(() => String, { nullable: true }) sku!: string;
  @Field(() => String, { nullable: true }) productName!: string;
  @Field(() => Int, { nullable: true }) quantity!: number;
  @Field(() => DecimalScalar, { nullable: true }) unitPrice!: string;
}

export const OrderConnection = connectionOf(Order, 'Order');
