/**
 * `need-to-know retention run [--dry-run] [--limit N]`: runs the retention job (retention-job.ts)
 * with a progress bar on a terminal, then prints the per-table report on stdout, the same for a
 * dry run and a real run. A second instance while one runs says so on stderr and exits 0.
 */
import type { DataSource } from 'typeorm';
import type { RetentionSettings } from '../platform/config';
import type { Logger } from '../platform/logger';
import { progressOnStderr } from '../platform/progress';
import { runRetention } from './retention-job';
import { describeReport } from './retention-report';

export async function runRetentionCommand(dataSource: DataSource, settings: RetentionSettings, logger: Logger, options: { dryRun: boolean; limit?: number }): Promise<number> {
  const progress = progressOnStderr(options.dryRun ? 'retention (dry run)' : 'retention', 'records');
  let result;
  try {
    result = await runRetention(dataSource, { ...settings, ...options, logger, onProgress: (phase, done, total) => progress.update(phase, done, total) });
  } finally {
    progress.stop();
  }
  if (!result.ran) {
    process.stderr.write(`retention: ${result.reason}\n`);
    return 0;
  }
  const how = result.dryRun ? 'dry run: nothing was changed' : result.resumed ? `run ${result.runId}, resumed` : `run ${result.runId}`;
  process.stdout.write(`${describeReport(result.report)}(${how}; ${(result.ms / 1000).toFixed(2)} s)\n`);
  return 0;
}
