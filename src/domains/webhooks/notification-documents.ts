/**
 * What a notification carries: the record the event is about, read as the partner with a
 * GraphQL document made from the partner's own contract — every field of the record's type that
 * the contract has and that holds a value itself (no links), and the same of its scans for a
 * shipment. The contract is derived from the disclosure matrix, and the document runs through
 * the same request path as any of the partner's requests, so nothing here decides what the
 * partner may see: a field the contract lacks is never asked for, and one the matrix denies
 * would be refused by the field rules like in any response.
 */
import { getNamedType, isLeafType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { WebhookEventType } from './webhook-delivery.entity';

export interface NotificationDocument {
  /** The root field the record is read with; the payload's `data` is keyed by it. */
  root: 'shipment' | 'paymentVerification';
  text: string;
}

const ROOT_OF: Readonly<Record<WebhookEventType, NotificationDocument['root']>> = {
  [WebhookEventType.SHIPMENT_ASSIGNED]: 'shipment',
  [WebhookEventType.SHIPMENT_CHANGED]: 'shipment',
  [WebhookEventType.PAYMENT_VERIFICATION_CHANGED]: 'paymentVerification',
};

/** Lists of the record's own children a notification carries with it. */
const CHILDREN: Readonly<Record<NotificationDocument['root'], readonly string[]>> = {
  shipment: ['events'],
  paymentVerification: [],
};

function leafFields(type: GraphQLObjectType): string[] {
  return Object.values(type.getFields())
    .filter((f) => isLeafType(getNamedType(f.type)) && f.args.length === 0)
    .map((f) => f.name);
}

/** The document for an event in an audience's contract; undefined when the contract cannot read its record. */
export function notificationDocument(contract: GraphQLSchema, eventType: WebhookEventType): NotificationDocument | undefined {
  const root = ROOT_OF[eventType];
  const field = contract.getQueryType()?.getFields()[root];
  const type = field && getNamedType(field.type);
  if (!field || !isObjectType(type)) return undefined;
  const selections = leafFields(type);
  for (const child of CHILDREN[root]) {
    const childType = type.getFields()[child] && getNamedType(type.getFields()[child].type);
    if (isObjectType(childType)) selections.push(`${child} { ${leafFields(childType).join(' ')} }`);
  }
  const name = `${type.name}Notification`;
  return { root, text: `query ${name}($id: ID!) { ${root}(id: $id) { ${selections.join(' ')} } }` };
}
