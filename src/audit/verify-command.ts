/**
 * `need-to-know audit verify [--anchor SEAL_ID:HASH ...]`: runs verifyAuditLog, shows progress
 * on stderr, prints a summary and the head to record (stdout) when the log is intact, or the
 * first problem and a short list (stderr) when it is not. Returns the exit code: 0 intact, 1 not.
 */
import type { DataSource } from 'typeorm';
import { progressOnStderr } from '../platform/progress';
import { verifyAuditLog, type AuditVerification } from './verify';

const ANCHOR = /^(\d{1,19}):([0-9a-f]{64})$/;

/** `--anchor 42:<64 hex>` -> { sealId, hash }; throws with what was expected. */
export function parseAnchor(text: string): { sealId: string; hash: string } {
  const match = ANCHOR.exec(text);
  if (!match) throw new Error(`--anchor: expected SEAL_ID:SHA256 (a seal number, a colon, 64 lowercase hex digits), got ${JSON.stringify(text.slice(0, 100))}`);
  return { sealId: match[1]!, hash: match[2]! };
}

/** The months the retention job dropped, as the verification met them: expired, not tampered with. */
function expiredLine(result: AuditVerification): string {
  const { events, months } = result.expired;
  if (months.length === 0) return '';
  const range = `${months[0]!.from.toISOString().slice(0, 7)} to ${new Date(months.at(-1)!.to.getTime() - 1).toISOString().slice(0, 7)}`;
  return `\nexpired by retention: ${events} events of ${months.length} month${months.length === 1 ? '' : 's'} (${range}), dropped after their 3 years; their seals still link`;
}

/** The newest seal, as `audit anchor` prints it: SEAL_ID:SHA256, to keep outside the database and pass to `audit verify --anchor`. */
export async function latestAnchor(dataSource: DataSource): Promise<string | undefined> {
  const [seal]: Array<{ id: string; hash: string }> = await dataSource.query(`SELECT id::text AS id, hash FROM audit_seal ORDER BY id DESC LIMIT 1`);
  return seal && `${seal.id}:${seal.hash}`;
}

export function describeVerification(result: AuditVerification): string {
  const seconds = (result.ms / 1000).toFixed(2);
  if (result.intact) {
    const head = result.head ? `head: seal ${result.head.sealId} ${result.head.hash} (record it; check it later with --anchor ${result.head.sealId}:${result.head.hash})` : 'the log is empty';
    return `audit log intact: ${result.events} events in ${result.seals} seals, verified in ${seconds} s${expiredLine(result)}\n${head}\n`;
  }
  const [first] = result.problems;
  const listed = result.problems.slice(0, 20).map((p) => `  - ${p.kind}: ${p.message}`);
  const more = result.problemCount > listed.length ? `\n  ... and ${result.problemCount - listed.length} more` : '';
  return (
    `audit log BROKEN: ${first!.message}\n` +
    `${result.problemCount} problem${result.problemCount === 1 ? '' : 's'} in all (${result.events} events, ${result.seals} seals read in ${seconds} s):\n` +
    `${listed.join('\n')}${more}\n`
  );
}

export async function runAuditVerify(dataSource: DataSource, anchors: ReadonlyArray<{ sealId: string; hash: string }>): Promise<number> {
  const progress = progressOnStderr('audit verify', 'seals');
  let result: AuditVerification;
  try {
    result = await verifyAuditLog(dataSource, { anchors, onProgress: (done, total) => progress.update('', done, total) });
  } finally {
    progress.stop();
  }
  (result.intact ? process.stdout : process.stderr).write(describeVerification(result));
  return result.intact ? 0 : 1;
}
