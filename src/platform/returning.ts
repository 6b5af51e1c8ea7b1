/**
 * The rows of an UPDATE or DELETE ... RETURNING sent through TypeORM's `query()`, which answers
 * those as `[rows, affectedCount]` (a SELECT or INSERT answers the rows alone).
 */
export function returnedRows<Row>(result: unknown): Row[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Row[];
  if (Array.isArray(result)) return result as Row[];
  throw new Error(`expected the rows of a statement, got ${typeof result}`);
}
