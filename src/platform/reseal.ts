/**
 * Re-sealing stored values under the current secret after a rotation (`need-to-know secrets
 * reseal`), so the secret they were sealed under can be dropped from NAME_PREVIOUS.
 *
 * Each store (a table and its sealed columns) is walked in order of its key, a batch of rows per
 * transaction, each row locked (`FOR UPDATE`) while its values are opened and sealed again: a
 * value is never half-written, and a row the gateway is working on (a mail being sent) is waited
 * for, then re-checked against the store's condition. A value already under the current secret
 * is left as it is, so a run that stopped half-way is resumed by running it again. A value that
 * opens under no configured secret is left as it is too, and counted: it was lost when its
 * secret was dropped, and its owner handles it as it always has (a mail is given up, a kept
 * response refused, a webhook endpoint waits for its partner to rotate).
 */
import type { DataSource } from 'typeorm';
import { progressOnStderr } from './progress';

/** One store of sealed values; every SQL name is the code's own, never input. */
export interface SealedStore {
  /** Names the store in the progress and the report, e.g. `mail_outbox.sealed_body`. */
  name: string;
  table: string;
  /** A unique, indexed column the rows are walked in order of, and its type. */
  key: string;
  keyType: 'uuid' | 'text';
  /** Which rows hold values worth re-sealing (an SQL condition on the table). */
  where: string;
  /** The sealed columns (null values are skipped), each with what its values are bound to. */
  columns: ReadonlyArray<{ column: string; boundTo(row: Record<string, unknown>): string }>;
  /** Further columns `boundTo` reads. */
  reads?: readonly string[];
  box: { reseal(sealed: Buffer, boundTo: string): Buffer | undefined };
}

export interface ResealCounts {
  /** Values sealed again under the current secret. */
  resealed: number;
  /** Values under the current secret already. */
  current: number;
  /** Values that open under no configured secret (left as they are). */
  unopenable: number;
}

export interface ResealOptions {
  /** Rows per transaction. Default 200. */
  batchSize?: number;
  /** Count only: open every value, write nothing. */
  dryRun?: boolean;
  onProgress?: (store: string, rows: number, total: number) => void;
}

export async function resealStore(dataSource: DataSource, store: SealedStore, options: ResealOptions = {}): Promise<ResealCounts> {
  const batchSize = options.batchSize ?? 200;
  const counts: ResealCounts = { resealed: 0, current: 0, unopenable: 0 };
  const [{ total }]: Array<{ total: number }> = await dataSource.query(`SELECT count(*)::int AS total FROM ${store.table} WHERE ${store.where}`);
  const selected = [store.key, ...(store.reads ?? []), ...store.columns.map((c) => c.column)];
  let after: unknown = null;
  let rows = 0;
  options.onProgress?.(store.name, 0, total);
  for (;;) {
    const batch = await dataSource.transaction(async (em) => {
      const found: Array<Record<string, unknown>> = await em.query(
        `SELECT ${selected.join(', ')} FROM ${store.table}
          WHERE (${store.where}) AND ($1::${store.keyType} IS NULL OR ${store.key} > $1::${store.keyType})
          ORDER BY ${store.key} LIMIT $2 FOR UPDATE`,
        [after, batchSize],
      );
      for (const row of found) {
        const changes: Array<[string, Buffer]> = [];
        for (const { column, boundTo } of store.columns) {
          const sealed = row[column];
          if (!Buffer.isBuffer(sealed)) continue;
          let resealed: Buffer | undefined;
          try {
            resealed = store.box.reseal(sealed, boundTo(row));
          } catch {
            counts.unopenable++;
            continue;
          }
          if (resealed === undefined) counts.current++;
          else {
            counts.resealed++;
            changes.push([column, resealed]);
          }
        }
        if (changes.length > 0 && !options.dryRun) {
          await em.query(
            `UPDATE ${store.table} SET ${changes.map(([column], i) => `${column} = $${i + 2}`).join(', ')} WHERE ${store.key} = $1`,
            [row[store.key], ...changes.map(([, value]) => value)],
          );
        }
      }
      return found;
    });
    // Until a batch comes back empty: a row waited for may have left the store (a mail sent), so
    // a short batch does not mean the end.
    if (batch.length === 0) break;
    rows += batch.length;
    after = String(batch[batch.length - 1][store.key]);
    options.onProgress?.(store.name, rows, Math.max(total, rows));
  }
  return counts;
}

/** `secrets reseal`: each store in turn, with progress on stderr, then a line per store on stdout. */
export async function runResealCommand(dataSource: DataSource, stores: readonly SealedStore[], options: { batchSize: number; dryRun: boolean }): Promise<void> {
  const progress = progressOnStderr(options.dryRun ? 'secrets reseal (dry run)' : 'secrets reseal', 'rows');
  const results: Array<{ store: string; counts: ResealCounts }> = [];
  try {
    for (const store of stores) {
      results.push({ store: store.name, counts: await resealStore(dataSource, store, { ...options, onProgress: (name, done, total) => progress.update(name, done, total) }) });
    }
  } finally {
    progress.stop();
  }
  process.stdout.write(describeReseal(results, options.dryRun));
}

/** The report of a run, a line per store. */
function describeReseal(results: ReadonlyArray<{ store: string; counts: ResealCounts }>, dryRun: boolean): string {
  const verb = dryRun ? 'to re-seal' : 're-sealed';
  return results
    .map(({ store, counts }) => `${store}: ${counts.resealed} ${verb}, ${counts.current} under the current secret already, ${counts.unopenable} under no configured secret\n`)
    .join('');
}
