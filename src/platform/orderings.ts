/**
 * The orderings lists offer, as GraphQL enums. Each value maps to a property and direction;
 * ties are broken by id so keyset pagination is exact.
 */
import { registerEnumType } from 'type-graphql';
import type { Ordering } from './pagination';

/**
 * The order used when the caller may not see the field a list is sorted by: sorting by a
 * hidden timestamp would reveal which row is older. Ids are random, so they reveal nothing.
 */
export const BY_ID: Ordering = { name: 'ID_ASC', property: 'id', direction: 'ASC', kind: 'text' };

function orderingEnum<K extends string>(name: string, property: string, kind: Ordering['kind'], prefix: K, reveals: string) {
  const values = { [`${prefix}_DESC`]: `${prefix}_DESC`, [`${prefix}_ASC`]: `${prefix}_ASC` } as Record<`${K}_DESC` | `${K}_ASC`, string>;
  registerEnumType(values, {
    name,
    description: `Sort by ${property}, newest first (DESC) or oldest first (ASC); by id when ${reveals} is not disclosed to the caller.`,
  });
  const orderings: Record<string, Ordering> = {
    [`${prefix}_DESC`]: { name: `${prefix}_DESC`, property, direction: 'DESC', kind },
    [`${prefix}_ASC`]: { name: `${prefix}_ASC`, property, direction: 'ASC', kind },
  };
  const [typeName, fieldName] = reveals.split('.');
  return {
    values,
    orderings,
    default: `${prefix}_DESC` as `${K}_DESC`,
    /** The ordering asked for, or BY_ID when the caller may not see `reveals`. */
    pick(value: string, decide: (typeName: string, fieldName: string) => string): Ordering {
      return decide(typeName, fieldName) === 'visible' ? orderings[value] : BY_ID;
    },
  };
}

export const CustomerOrder = orderingEnum('CustomerOrder', 'createdAt', 'timestamp', 'CREATED_AT', 'Customer.createdAt');
export const OrderOrder = orderingEnum('OrderOrder', 'placedAt', 'timestamp', 'PLACED_AT', 'Order.placedAt');
export const ShipmentOrder = orderingEnum('ShipmentOrder', 'createdAt', 'timestamp', 'CREATED_AT', 'Shipment.createdAt');
export const PaymentOrder = orderingEnum('PaymentVerificationOrder', 'createdAt', 'timestamp', 'CREATED_AT', 'PaymentVerification.paidAt');
export const CaseOrder = orderingEnum('AfterSalesCaseOrder', 'openedAt', 'timestamp', 'OPENED_AT', 'AfterSalesCase.openedAt');
export const PrivacyRequestOrder = orderingEnum('PrivacyRequestOrder', 'receivedAt', 'timestamp', 'RECEIVED_AT', 'PrivacyRequest.receivedAt');
export const BehaviorEventOrder = orderingEnum('BehaviorEventOrder', 'occurredAt', 'timestamp', 'OCCURRED_AT', 'BehaviorEvent.occurredAt');
