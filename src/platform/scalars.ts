/**
 * Money and other exact decimals travel as strings (`"129.90"`), never as floats.
 */
import { GraphQLScalarType, Kind } from 'graphql';
import { badUserInput } from './errors';

const DECIMAL = /^-?\d{1,12}(\.\d{1,2})?$/;

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw badUserInput(`Decimal: expected a string like "129.90" (at most 12 digits and 2 decimals), got ${JSON.stringify(value)}`);
  }
  return value;
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal amount as a string with at most two decimals, e.g. "129.90".',
  serialize: (value) => String(value),
  parseValue: parseDecimal,
  parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING ? ast.value : undefined),
});
