/**
 * Shared argument checks and SQL filter helpers for list and by-id fields.
 */
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { badUserInput, forbidden } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An `ID` argument must be a UUID; anything else is a caller mistake, not a missing row. */
export function requireUuid(value: string, argument: string): string {
  if (!UUID.test(value)) throw badUserInput(`${argument}: expected a UUID, got ${JSON.stringify(value.slice(0, 60))}`);
  return value.toLowerCase();
}

export function whereIn<E extends ObjectLiteral>(
  qb: SelectQueryBuilder<E>,
  column: string,
  values: readonly unknown[] | null | undefined,
  param: string,
): void {
  if (values && values.length > 0) qb.andWhere(`${column} IN (:...${param})`, { [param]: values });
}

export function whereEquals<E extends ObjectLiteral>(
  qb: SelectQueryBuilder<E>,
  column: string,
  value: unknown,
  param: string,
): void {
  if (value !== undefined && value !== null) qb.andWhere(`${column} = :${param}`, { [param]: value });
}

/** Half-open time range [from, to). */
export function whereBetween<E extends ObjectLiteral>(
  qb: SelectQueryBuilder<E>,
  column: string,
  from: Date | null | undefined,
  to: Date | null | undefined,
  param: string,
): void {
  if (from && to && from > to) throw badUserInput(`${param}: the range starts after it ends`);
  if (from) qb.andWhere(`${column} >= :${param}From`, { [`${param}From`]: from });
  if (to) qb.andWhere(`${column} < :${param}To`, { [`${param}To`]: to });
}

/**
 * A filter reveals the data it filters on: asking for orders with status SHIPPED tells the
 * caller which orders are shipped. So each filter argument is allowed only when the field it
 * filters on is disclosed to the caller; otherwise the list is refused with FORBIDDEN naming both.
 */
export function assertFilterable(
  decide: (typeName: string, fieldName: string) => 'visible' | 'masked' | 'denied',
  filter: object | null | undefined,
  reveals: Readonly<Record<string, string>>,
): void {
  if (!filter) return;
  for (const [argument, value] of Object.entries(filter)) {
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    const coordinate = reveals[argument];
    const [typeName, fieldName] = (coordinate ?? '.').split('.');
    if (!coordinate || decide(typeName, fieldName) !== 'visible') {
      throw forbidden(`filter.${argument} is not available to this caller: it would reveal ${coordinate ?? 'undisclosed data'}`);
    }
  }
}
