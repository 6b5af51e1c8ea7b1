/**
 * Shared argument checks and SQL filter helpers for list and by-id fields.
 */
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { badUserInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value is a UUID, as every record's id is. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

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
