import { IsOptional, Length, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { WebhookDeliveryStatus } from './webhook-delivery.entity';

@InputType()
export class RegisterWebhookEndpointInput {
  @Field(() => String, { description: 'Where notifications are POSTed: an https URL (http to the loopback interface in development only).' })
  @Length(8, 2048)
  url!: string;
}

@InputType()
export class RotateWebhookSecretInput {
  @Field(() => ID) endpointId!: string;
  @Field(() => Int, { nullable: true, description: 'How long the previous secret keeps signing too, in hours: 0 to 168, 24 when left out.' })
  @IsOptional()
  @Min(0)
  @Max(168)
  graceHours?: number | null;
}

@InputType()
export class DisableWebhookEndpointInput {
  @Field(() => ID) endpointId!: string;
}

@InputType()
export class RedeliverWebhookInput {
  @Field(() => ID) deliveryId!: string;
}

@InputType()
export class WebhookDeliveryFilter {
  @Field(() => [WebhookDeliveryStatus], { nullable: true }) statuses?: WebhookDeliveryStatus[] | null;
  @Field(() => ID, { nullable: true }) endpointId?: string | null;
  @Field(() => ID, { nullable: true }) eventId?: string | null;
}
