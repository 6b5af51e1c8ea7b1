/**
 * The in-process schedule of the retention job, for `serve` (off unless
 * RETENTION_INTERVAL_MINUTES is set): a run every interval, the first one interval after the
 * start, never two at once in a process; across replicas the job's advisory lock lets one run
 * and the others skip. A failed run is logged and the next is tried at the next interval.
 * Each run counts in the jobs metric (job `retention`): ok with the rows it anonymized or
 * deleted, failed, or skipped when another instance held the lock.
 */
import type { DataSource } from 'typeorm';
import type { RetentionSettings } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { GatewayMetrics } from '../platform/metrics';
import { runRetention } from './retention-job';
import type { RetentionReport } from './retention-report';

export interface RetentionSchedule {
  /** No further runs; resolves once a run in progress has ended. */
  stop(): Promise<void>;
}

/** Rows a run changed: anonymized or deleted, in every table. */
export function rowsChanged(report: RetentionReport): number {
  return Object.values(report.tables).reduce((n, c) => n + c.anonymized + c.deleted, 0);
}

export function scheduleRetention(dataSource: DataSource, settings: RetentionSettings, logger: Logger, metrics?: Pick<GatewayMetrics, 'job'>): RetentionSchedule {
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runRetention(dataSource, { ...settings, logger })
        .then((result) => {
          if (result.ran) {
            logger.info({ runId: result.runId, resumed: result.resumed, ms: result.ms, report: result.report }, 'retention run finished');
            metrics?.job('retention', 'ok', rowsChanged(result.report));
          } else {
            logger.info({ reason: result.reason }, 'retention run skipped');
            metrics?.job('retention', 'skipped');
          }
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'retention run failed; the next run resumes it');
          metrics?.job('retention', 'failed');
        })
        .finally(() => {
          running = undefined;
          next();
        });
    }, settings.intervalMinutes * 60_000);
    timer.unref();
  };
  next();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
