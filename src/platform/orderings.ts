/**
 * The orderings lists offer, as GraphQL enums. Each value maps to a property and direction;
 * ties are broken by id so keyset pagination is exact.
 *
 * An ordering reveals the field it sorts by (which row is older), so each enum value is an
 * argument the policy decides (src/policy/arguments.ts): a caller sends only orderings its view
 * allows (others are refused, or unknown to a partner contract), and a list asked for without
 * one is sorted by its default ordering where the caller could have asked for it, and by id
 * otherwise.
 */
import { registerEnumType } from 'type-graphql';
import type { Ordering } from './pagination';

/**
 * The order used when the caller may not see the field a list is sorted by: sorting by a
 * hidden timestamp would reveal which row is older. Ids are random, so they reveal nothing.
 */
export const BY_ID: Ordering = { name: 'ID_ASC', property: 'id', direction: 'ASC', kind: 'text' };

/** Whether the caller may send an argument member (PolicyView.decideArgument). */
type DecideArgument = (coordinate: string) => 'visible' | 'denied';

function orderingEnum<K extends string>(name: string, property: string, kind: Ordering['kind'], prefix: K) {
  const values = { [`${prefix}_DESC`]: `${prefix}_DESC`, [`${prefix}_ASC`]: `${prefix}_ASC` } as Record<`${K}_DESC` | `${K}_ASC`, string>;
  registerEnumType(values, { name, description: `Sort by ${property}, newest first (DESC) or oldest first (ASC).` });
  const orderings: Record<string, Ordering> = {
    [`${prefix}_DESC`]: { name: `${prefix}_DESC`, property, direction: 'DESC', kind },
    [`${prefix}_ASC`]: { name: `${prefix}_ASC`, property, direction: 'ASC', kind },
  };
  const fallback = `${prefix}_DESC`;
  return {
    values,
    /** The options of every `orderBy` argument of this enum: optional, no default value. */
    argument: {
      nullable: true,
      description: `Without it: newest first where the caller may sort by ${property}, else by id.`,
    },
    /** The argument member an ordering value is, for the policy. */
    coordinate: (value: string) => `${name}.${value}`,
    /**
     * The ordering to use: the one asked for, or without one the default — either only if the
     * caller may use it (an explicit ordering it may not use is refused before this runs), else
     * BY_ID.
     */
    pick(value: string | null | undefined, decideArgument: DecideArgument): Ordering {
      const chosen = value ?? fallback;
      return decideArgument(`${name}.${chosen}`) === 'visible' ? orderings[chosen] : BY_ID;
    },
  };
}

/** A list offered in one order only, to every caller: it takes no `orderBy` argument. */
function fixedOrdering(list: string, ordering: Ordering) {
  return {
    /** Never an argument: no policy decides it. */
    coordinate: () => `${list}.${ordering.name}`,
    pick: (): Ordering => ordering,
  };
}

/** Partners, by name (the partners list takes no ordering). */
export const PartnerOrder = fixedOrdering('partners', { name: 'NAME_ASC', property: 'name', direction: 'ASC', kind: 'text' });

/** A customer's preference history, newest choice first (its field takes no ordering). */
export const PreferenceHistoryOrder = fixedOrdering('preferenceHistory', { name: 'RECORDED_AT_DESC', property: 'recordedAt', direction: 'DESC', kind: 'timestamp' });

export const CustomerOrder = orderingEnum('CustomerOrder', 'createdAt', 'timestamp', 'CREATED_AT');
export const OrderOrder = orderingEnum('OrderOrder', 'placedAt', 'timestamp', 'PLACED_AT');
export const ShipmentOrder = orderingEnum('ShipmentOrder', 'createdAt', 'timestamp', 'CREATED_AT');
export const PaymentOrder = orderingEnum('PaymentVerificationOrder', 'createdAt', 'timestamp', 'CREATED_AT');
export const CaseOrder = orderingEnum('AfterSalesCaseOrder', 'openedAt', 'timestamp', 'OPENED_AT');
export const PrivacyRequestOrder = orderingEnum('PrivacyRequestOrder', 'receivedAt', 'timestamp', 'RECEIVED_AT');
export const BehaviorEventOrder = orderingEnum('BehaviorEventOrder', 'occurredAt', 'timestamp', 'OCCURRED_AT');
export const AuditEventOrder = orderingEnum('AuditEventOrder', 'at', 'timestamp', 'AT');
export const WebhookDeliveryOrder = orderingEnum('WebhookDeliveryOrder', 'occurredAt', 'timestamp', 'OCCURRED_AT');
