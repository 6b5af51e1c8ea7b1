/**
 * The orderings lists offer, as GraphQL enums. Each value maps to a property and direction;
 * ties are broken by id so keyset pagination is exact.
 */
import { registerEnumType } from 'type-graphql';
import type { Ordering } from './pagination';

function orderingEnum<K extends string>(name: string, property: string, kind: Ordering['kind'], prefix: K) {
  const values = { [`${prefix}_DESC`]: `${prefix}_DESC`, [`${prefix}_ASC`]: `${prefix}_ASC` } as Record<`${K}_DESC` | `${K}_ASC`, string>;
  registerEnumType(values, { name, description: `Sort by ${property}, newest first (DESC) or oldest first (ASC).` });
  const orderings: Record<string, Ordering> = {
    [`${prefix}_DESC`]: { name: `${prefix}_DESC`, property, direction: 'DESC', kind },
    [`${prefix}_ASC`]: { name: `${prefix}_ASC`, property, direction: 'ASC', kind },
  };
  return { values, orderings, default: `${prefix}_DESC` as `${K}_DESC` };
}

export const CustomerOrder = orderingEnum('CustomerOrder', 'createdAt', 'timestamp', 'CREATED_AT');
export const OrderOrder = orderingEnum('OrderOrder', 'placedAt', 'timestamp', 'PLACED_AT');
export const ShipmentOrder = orderingEnum('ShipmentOrder', 'createdAt', 'timestamp', 'CREATED_AT');
export const PaymentOrder = orderingEnum('PaymentVerificationOrder', 'createdAt', 'timestamp', 'CREATED_AT');
export const CaseOrder = orderingEnum('AfterSalesCaseOrder', 'openedAt', 'timestamp', 'OPENED_AT');
export const PrivacyRequestOrder = orderingEnum('PrivacyRequestOrder', 'receivedAt', 'timestamp', 'RECEIVED_AT');
export const BehaviorEventOrder = orderingEnum('BehaviorEventOrder', 'occurredAt', 'timestamp', 'OCCURRED_AT');
