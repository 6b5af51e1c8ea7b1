import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionOf } from '../../platform/pagination';
import { WebhookDeliveryStatus, WebhookEventType } from './webhook-delivery.entity';

@ObjectType({ description: 'Where the partner receives change notifications, signed per the Standard Webhooks specification (see the README).' })
export class WebhookEndpoint {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) url!: string;
  @Field(() => String, { nullable: true, description: 'The purpose notifications to it are disclosed under: the one it was registered with.' }) purpose!: string;
  @Field(() => Date, { nullable: true }) createdAt!: Date;
  @Field(() => Date, { nullable: true }) secretRotatedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Until when the previous secret still signs too (a second signature in `webhook-signature`).' })
  previousSecretExpiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it was disabled: nothing is sent to it any more.' }) disabledAt!: Date | null;
}

@ObjectType({ description: 'An endpoint with its signing secret: answered once, when the secret is made. Keep it; it is never shown again.' })
export class WebhookEndpointSecret {
  @Field(() => WebhookEndpoint, { nullable: true }) endpoint!: object;
  @Field(() => String, { nullable: true, description: 'The signing secret, `whsec_` and base64: what a Standard Webhooks library takes.' }) secret!: string;
}

@ObjectType({ description: 'One change notification to one endpoint: its attempts and outcome. The payload is not kept.' })
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: 'The event, sent as `webhook-id`; the same on every attempt and for every endpoint: de-duplicate by it.' })
  eventId!: string;
  @Field(() => WebhookEventType, { nullable: true }) eventType!: WebhookEventType;
  @Field(() => ID, { nullable: true, description: 'The shipment or payment verification the event is about.' }) resourceId!: string;
  @Field(() => Date, { nullable: true, description: 'When the change was written.' }) occurredAt!: Date;
  @Field(() => WebhookDeliveryStatus, { nullable: true }) status!: WebhookDeliveryStatus;
  @Field(() => Int, { nullable: true }) attempts!: number;
  @Field(() => Date, { nullable: true, description: 'When the next attempt is due, while PENDING.' }) nextAttemptAt!: Date;
  @Field(() => Date, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'The HTTP status the endpoint answered last; null when it did not answer.' }) lastResponseStatus!: number | null;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed.' }) lastError!: string | null;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
}

export const WebhookDeliveryConnection = connectionOf(WebhookDelivery, 'WebhookDelivery');
