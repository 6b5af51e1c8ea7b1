/**
 * Known database errors, translated at the boundary into coded errors a caller can act on.
 * Everything else propagates and is masked.
 */
import { QueryFailedError } from 'typeorm';
import { badUserInput } from './errors';

const MESSAGES: Record<string, string> = {
  '23505': 'conflicts with an existing record (a value that must be unique is already used)',
  '23514': 'breaks a rule of the data (a value is out of its allowed range or format)',
  '22001': 'has a value longer than allowed',
  '22P02': 'has a value in the wrong format',
  '22003': 'has a number out of range',
};

export async function translatingDbErrors<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = error instanceof QueryFailedError ? (error.driverError as { code?: string } | undefined)?.code : undefined;
    const message = code ? MESSAGES[code] : undefined;
    if (message) throw badUserInput(`${operation}: the input ${message}`);
    throw error;
  }
}
