/**
 * Every argument a read can be given, classified by what it reveals, as every field is
 * (classification.ts). A filter reveals the data it filters on: the orders with status SHIPPED
 * tell which orders are shipped, and the orders of platform P tell which orders were sold
 * through P — their sales channel. An ordering reveals the field it sorts by: which row is
 * older. So each member names the output coordinates it reveals, and a caller may use it exactly
 * when its policy view discloses every one of them unmasked (`PolicyView.decideArgument`): the
 * partner contracts list only those, anything else is unknown to them, and a member inside a
 * contract that the caller's own row does not allow (a third party's narrower grant) is refused
 * when it is sent (argument-rules.ts). A relation id reveals the relation (a link), and a link
 * reveals what its classification says, so a filter on `platformPartnerId` is the sales channel.
 *
 * Keys are schema coordinates: `InputType.field` for a filter member, `Enum.VALUE` for an
 * ordering, `Type.field(argument:)` for a plain argument. Paging (`first`, `after` of a
 * connection) and look-ups by `id` reveal nothing the row scope has not decided already and are
 * not listed (`isScopeArgument`). Mutation arguments are the content of a write, governed by the
 * matrix's operations instead. `checkArguments` (matrix-check.ts) fails start-up when an argument
 * is missing here, or when this names one the schema does not have.
 */
import { getNamedType, getNullableType, isEnumType, isInputObjectType, isObjectType, type GraphQLArgument, type GraphQLField, type GraphQLSchema } from 'graphql';
import { isConnectionScaffolding } from './classification';

export const ARGUMENT_REVEALS: Readonly<Record<string, readonly string[]>> = {
  'CustomerFilter.status': ['Customer.status'],
  'CustomerFilter.createdFrom': ['Customer.createdAt'],
  'CustomerFilter.createdTo': ['Customer.createdAt'],
  'CustomerOrder.CREATED_AT_DESC': ['Customer.createdAt'],
  'CustomerOrder.CREATED_AT_ASC': ['Customer.createdAt'],

  'OrderFilter.statuses': ['Order.status'],
  'OrderFilter.customerId': ['Order.customer'],
  'OrderFilter.channel': ['Order.channel'],
  'OrderFilter.platformPartnerId': ['Order.platformPartner'],
  'OrderFilter.placedFrom': ['Order.placedAt'],
  'OrderFilter.placedTo': ['Order.placedAt'],
  'OrderOrder.PLACED_AT_DESC': ['Order.placedAt'],
  'OrderOrder.PLACED_AT_ASC': ['Order.placedAt'],

  'ShipmentFilter.statuses': ['Shipment.status'],
  'ShipmentFilter.logisticsPartnerId': ['Shipment.carrier'],
  'ShipmentFilter.orderId': ['Shipment.order'],
  'ShipmentFilter.createdFrom': ['Shipment.createdAt'],
  'ShipmentFilter.createdTo': ['Shipment.createdAt'],
  'ShipmentOrder.CREATED_AT_DESC': ['Shipment.createdAt'],
  'ShipmentOrder.CREATED_AT_ASC': ['Shipment.createdAt'],

  'PaymentVerificationFilter.statuses': ['PaymentVerification.status'],
  'PaymentVerificationFilter.providerId': ['PaymentVerification.provider'],
  'PaymentVerificationFilter.orderId': ['PaymentVerification.order'],
  'PaymentVerificationFilter.createdFrom': ['PaymentVerification.createdAt'],
  'PaymentVerificationFilter.createdTo': ['PaymentVerification.createdAt'],
  'PaymentVerificationOrder.CREATED_AT_DESC': ['PaymentVerification.createdAt'],
  'PaymentVerificationOrder.CREATED_AT_ASC': ['PaymentVerification.createdAt'],

  'AfterSalesCaseFilter.statuses': ['AfterSalesCase.status'],
  'AfterSalesCaseFilter.types': ['AfterSalesCase.type'],
  'AfterSalesCaseFilter.customerId': ['AfterSalesCase.customer'],
  'AfterSalesCaseFilter.orderId': ['AfterSalesCase.order'],
  'AfterSalesCaseFilter.openedFrom': ['AfterSalesCase.openedAt'],
  'AfterSalesCaseFilter.openedTo': ['AfterSalesCase.openedAt'],
  'AfterSalesCaseOrder.OPENED_AT_DESC': ['AfterSalesCase.openedAt'],
  'AfterSalesCaseOrder.OPENED_AT_ASC': ['AfterSalesCase.openedAt'],

  'BehaviorEventFilter.occurredFrom': ['BehaviorEvent.occurredAt'],
  'BehaviorEventFilter.occurredTo': ['BehaviorEvent.occurredAt'],
  'BehaviorEventOrder.OCCURRED_AT_DESC': ['BehaviorEvent.occurredAt'],
  'BehaviorEventOrder.OCCURRED_AT_ASC': ['BehaviorEvent.occurredAt'],

  // Which days and dimensions an aggregate covers is what its cells show; a filter value selects cells of that value.
  'Query.behaviorAggregates(from:)': ['BehaviorCell.day'],
  'Query.behaviorAggregates(to:)': ['BehaviorCell.day'],
  'Query.behaviorAggregates(groupBy:)': ['BehaviorCell.groupedBy'],
  'BehaviorAggregateFilter.pages': ['BehaviorCell.page'],
  'BehaviorAggregateFilter.deviceClasses': ['BehaviorCell.deviceClass'],
  'BehaviorAggregateFilter.browserFamilies': ['BehaviorCell.browserFamily'],
  'BehaviorAggregateFilter.languages': ['BehaviorCell.language'],
  'BehaviorAggregateFilter.regions': ['BehaviorCell.region'],

  'WebhookDeliveryFilter.statuses': ['WebhookDelivery.status'],
  'WebhookDeliveryFilter.endpointId': ['WebhookDelivery.endpoint'],
  'WebhookDeliveryFilter.eventId': ['WebhookDelivery.eventId'],
  'WebhookDeliveryOrder.OCCURRED_AT_DESC': ['WebhookDelivery.occurredAt'],
  'WebhookDeliveryOrder.OCCURRED_AT_ASC': ['WebhookDelivery.occurredAt'],

  'PartnerFilter.kind': ['Partner.kind'],
  'PartnerFilter.status': ['Partner.status'],

  'PrivacyRequestFilter.statuses': ['PrivacyRequest.status'],
  'PrivacyRequestFilter.types': ['PrivacyRequest.type'],
  'PrivacyRequestFilter.customerId': ['PrivacyRequest.customer'],
  'PrivacyRequestFilter.overdue': ['PrivacyRequest.overdue'],
  'PrivacyRequestOrder.RECEIVED_AT_DESC': ['PrivacyRequest.receivedAt'],
  'PrivacyRequestOrder.RECEIVED_AT_ASC': ['PrivacyRequest.receivedAt'],

  'Query.legalHolds(activeOnly:)': ['LegalHold.releasedAt'],

  'AuditEventFilter.subjectId': ['AuditEvent.subjectIds'],
  'AuditEventFilter.principalKind': ['AuditEvent.principalKind'],
  'AuditEventFilter.principalId': ['AuditEvent.principalId'],
  'AuditEventFilter.partnerId': ['AuditEvent.partnerId'],
  'AuditEventFilter.purpose': ['AuditEvent.purpose'],
  'AuditEventFilter.coordinate': ['AuditEvent.disclosed', 'AuditEvent.masked', 'AuditEvent.denied'],
  'AuditEventFilter.outcomes': ['AuditEvent.outcome'],
  'AuditEventFilter.flaggedOnly': ['AuditEvent.flagged'],
  'AuditEventFilter.legalCaseReference': ['AuditEvent.legalCaseReference'],
  'AuditEventFilter.privacyRequestReference': ['AuditEvent.privacyRequestReference'],
  'AuditEventFilter.from': ['AuditEvent.at'],
  'AuditEventFilter.to': ['AuditEvent.at'],
  'AuditEventOrder.AT_DESC': ['AuditEvent.at'],
  'AuditEventOrder.AT_ASC': ['AuditEvent.at'],
};

/**
 * Paging and look-up arguments, which the row scope governs: `first` and `after` of a field
 * that returns a connection, and the `id` of a root look-up.
 */
export function isScopeArgument(parentTypeName: string, field: GraphQLField<unknown, unknown>, arg: GraphQLArgument): boolean {
  const returned = getNamedType(field.type);
  if ((arg.name === 'first' || arg.name === 'after') && isConnectionScaffolding(returned.name)) return true;
  return parentTypeName === 'Query' && arg.name === 'id' && field.args.length === 1 && isObjectType(returned);
}

/** One member a caller can send in an argument: its schema coordinate, and how to find it in the argument's value. */
export interface ArgumentMember {
  coordinate: string;
  /** An input object's field, an enum value's GraphQL name, or (plain arguments) undefined. */
  name?: string;
}

export interface ClassifiedArgument {
  name: string;
  kind: 'input' | 'enum' | 'plain';
  members: ArgumentMember[];
  /** An enum or plain argument with a default value: the member a caller that sends nothing uses. */
  defaultMember?: ArgumentMember;
}

/**
 * The arguments of a read field that are classified here (every one that is not paging or a
 * look-up), with their members: an input object's fields, an enum's values, or the argument.
 */
export function classifiedArguments(parentTypeName: string, field: GraphQLField<unknown, unknown>): ClassifiedArgument[] {
  const out: ClassifiedArgument[] = [];
  for (const arg of field.args) {
    if (isScopeArgument(parentTypeName, field, arg)) continue;
    const type = getNullableType(arg.type);
    const named = getNamedType(arg.type);
    if (isInputObjectType(type)) {
      out.push({ name: arg.name, kind: 'input', members: Object.keys(type.getFields()).map((f) => ({ coordinate: `${type.name}.${f}`, name: f })) });
    } else if (isEnumType(named) && named === type) {
      const members = named.getValues().map((v) => ({ coordinate: `${named.name}.${v.name}`, name: v.name }));
      const fallback = arg.defaultValue == null ? undefined : named.serialize(arg.defaultValue);
      out.push({ name: arg.name, kind: 'enum', members, defaultMember: members.find((m) => m.name === fallback) });
    } else {
      const member = { coordinate: `${parentTypeName}.${field.name}(${arg.name}:)` };
      out.push({ name: arg.name, kind: 'plain', members: [member], defaultMember: arg.defaultValue == null ? undefined : member });
    }
  }
  return out;
}

/** Every read field of the schema with classified arguments: `[parent type name, field]`. */
export function readFieldsWithArguments(schema: GraphQLSchema): Array<[string, GraphQLField<unknown, unknown>]> {
  const out: Array<[string, GraphQLField<unknown, unknown>]> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name === 'Mutation') continue;
    for (const field of Object.values(type.getFields())) if (classifiedArguments(type.name, field).length > 0) out.push([type.name, field]);
  }
  return out;
}
