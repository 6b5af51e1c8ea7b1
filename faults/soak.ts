/**
 * `npm run soak -- --minutes N [--share 0.5] [--concurrency 8] [--json FILE]`: the gateway
 * (`node dist/src/main.js serve`, with a probe preloaded: faults/probe.ts) under the fault suite's
 * mixed load for N minutes, against a PostgreSQL and a Redis of its own on loopback ports.
 *
 * First the peak: as many requests as 8 workers get answered in 15 s (after 5 s of warm-up).
 * Then the soak proper, paced at `share` of that peak. Every 10 s: the gateway's RSS, its heap
 * after a full garbage collection (what survives, not what waits to be freed), the event-loop
 * delay, and the window's answers, errors, p50 and p99. At the end: the memory slope, a
 * least-squares fit of RSS and of the collected heap against time from the end of the first
 * minute on (the first minute fills caches), and the p99 drift (its slope, and the median p99 of
 * the last third of the windows against the first third).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Environment } from './environment';
import { built } from './gateway-process';
import { count, LoadDriver, outcomeKey, type Sample } from './load';
import { sleep } from './processes';

const SAMPLE_INTERVAL_MS = 10_000;
const WARMUP_MS = 5000;
const PEAK_MS = 15_000;

export interface SoakWindow {
  /** Minutes since the soak proper started, at the end of the window. */
  minute: number;
  answers: number;
  errors: number;
  p50: number;
  p99: number;
  rssMb: number;
  heapMb: number;
  loopDelayP99: number;
  loopDelayMax: number;
}

export interface SoakResult {
  minutes: number;
  share: number;
  peakPerSecond: number;
  targetPerSecond: number;
  windows: SoakWindow[];
  /** MB per minute, fitted from minute 1 on. */
  rssSlope: number;
  heapSlope: number;
  /** ms per minute, fitted from minute 1 on. */
  p99Slope: number;
  /** Median p99 of the first and of the last third of the windows. */
  p99First: number;
  p99Last: number;
  errors: number;
  /** The answers that were not good, by status and code, and by request kind. */
  errorOutcomes: Record<string, number>;
  errorKinds: Record<string, number>;
  /** The gateway's warning and error lines by message, with the error the first of each carried. */
  gatewayProblems: Record<string, { count: number; example: string }>;
  answers: number;
  unstructuredLines: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const median = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 50);

/** Least-squares slope of y against x. */
export function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { minutes: { type: 'string' }, share: { type: 'string' }, concurrency: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  const usage = 'usage: npm run soak -- --minutes N [--share 0.5] [--concurrency 8] [--json FILE]   (N from 1 to 120, share from 0.05 to 1)';
  if (values.help) return void process.stdout.write(`${usage}\n`);
  const minutes = Number(values.minutes);
  const share = values.share === undefined ? 0.5 : Number(values.share);
  const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120) throw new Error(`--minutes: expected an integer from 1 to 120, got ${JSON.stringify(values.minutes)}\n${usage}`);
  if (!(share >= 0.05 && share <= 1)) throw new Error(`--share: expected a number from 0.05 to 1, got ${JSON.stringify(values.share)}\n${usage}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency: expected an integer from 1 to 64, got ${JSON.stringify(values.concurrency)}`);

  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);
  const env = await Environment.start(log);
  try {
    const gateway = await env.startGateway({ name: 'soak', execArgv: ['--expose-gc', '--require', built('faults', 'probe.js')], ipc: true });
    log(`gateway (pid ${gateway.pid}) on ${gateway.url}; measuring the peak: ${concurrency} workers, ${WARMUP_MS / 1000} s warm-up, ${PEAK_MS / 1000} s measured`);
    const common = { targets: () => [gateway.url], tokens: env.tokens, fixtures: env.fixtures, markerAsOperationName: false };
    const peakLoad = new LoadDriver({ ...common, concurrency });
    peakLoad.start();
    await sleep(WARMUP_MS);
    peakLoad.takeSamples();
    await sleep(PEAK_MS);
    const peakSamples = peakLoad.takeSamples();
    await peakLoad.stop();
    const peakPerSecond = Math.round((peakSamples.filter((s) => s.good).length * 1000) / PEAK_MS);
    const targetPerSecond = Math.max(1, Math.round(peakPerSecond * share));
    log(`peak ${peakPerSecond} good answers/s; soaking at ${targetPerSecond}/s (share ${share}) for ${minutes} min, a sample every ${SAMPLE_INTERVAL_MS / 1000} s`);

    const load = new LoadDriver({ ...common, concurrency: concurrency * 2, ratePerSecond: targetPerSecond });
    const windows: SoakWindow[] = [];
    const soakStart = performance.now();
    load.start();
    let errors = 0;
    let answers = 0;
    const errorOutcomes: Record<string, number> = {};
    const errorKinds: Record<string, number> = {};
    try {
      for (let next = soakStart + SAMPLE_INTERVAL_MS; next <= soakStart + minutes * 60_000 + 1; next += SAMPLE_INTERVAL_MS) {
        await sleep(next - performance.now());
        if (!gateway.running) throw new Error(`the gateway exited (code ${gateway.exit?.code}, signal ${gateway.exit?.signal})`);
        const probe = await gateway.sample(true);
        const samples: Sample[] = load.takeSamples();
        const latencies = samples.map((s) => s.end - s.start).sort((a, b) => a - b);
        const failed = samples.filter((s) => !s.good);
        const bad = failed.length;
        for (const [outcome, n] of Object.entries(count(failed, outcomeKey))) errorOutcomes[outcome] = (errorOutcomes[outcome] ?? 0) + n;
        for (const [kind, n] of Object.entries(count(failed, (f) => f.kind))) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
        errors += bad;
        answers += samples.length;
        const window: SoakWindow = {
          minute: round((performance.now() - soakStart) / 60_000, 2),
          answers: samples.length,
          errors: bad,
          p50: round(percentile(latencies, 50)),
          p99: round(percentile(latencies, 99)),
          rssMb: round(probe.rss / 2 ** 20),
          heapMb: round(probe.heapUsed / 2 ** 20, 2),
          loopDelayP99: round(probe.loopDelay.p99),
          loopDelayMax: round(probe.loopDelay.max),
        };
        windows.push(window);
        log(`min ${window.minute.toFixed(2)}: ${window.answers} answers, ${window.errors} errors, p50 ${window.p50} ms, p99 ${window.p99} ms, RSS ${window.rssMb} MB, heap ${window.heapMb} MB, loop delay p99 ${window.loopDelayP99} ms`);
      }
    } finally {
      await load.stop();
    }
    const fitted = windows.filter((w) => w.minute >= 1);
    const third = Math.max(1, Math.floor(windows.length / 3));
    const result: SoakResult = {
      minutes,
      share,
      peakPerSecond,
      targetPerSecond,
      windows,
      rssSlope: round(slope(fitted.map((w) => [w.minute, w.rssMb])), 3),
      heapSlope: round(slope(fitted.map((w) => [w.minute, w.heapMb])), 3),
      p99Slope: round(slope(fitted.map((w) => [w.minute, w.p99])), 2),
      p99First: median(windows.slice(0, third).map((w) => w.p99)),
      p99Last: median(windows.slice(-third).map((w) => w.p99)),
      errors,
      errorOutcomes,
      errorKinds,
      gatewayProblems: Object.fromEntries(Object.entries(gateway.output.problems).map(([message, n]) => [message, { count: n, example: gateway.output.examples[message] ?? '' }])),
      answers,
      unstructuredLines: gateway.output.unstructuredCount,
    };
    process.stdout.write(`${renderSoak(result)}\n`);
    if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await env.release();
  }
}

export function renderSoak(r: SoakResult): string {
  const header = 'minute  answers  errors  p50 ms  p99 ms  RSS MB  heap MB  loop p99 ms  loop max ms';
  const rows = r.windows.map((w) =>
    [w.minute.toFixed(2).padStart(6), String(w.answers).padStart(7), String(w.errors).padStart(6), w.p50.toFixed(1).padStart(6), w.p99.toFixed(1).padStart(6), w.rssMb.toFixed(1).padStart(6), w.heapMb.toFixed(2).padStart(7), w.loopDelayP99.toFixed(1).padStart(11), w.loopDelayMax.toFixed(1).padStart(11)].join('  '),
  );
  return [
    header,
    ...rows,
    '',
    `peak ${r.peakPerSecond}/s, soaked at ${r.targetPerSecond}/s (${r.share} of the peak) for ${r.minutes} min: ${r.answers} answers, ${r.errors} errors` +
      (r.errors > 0 ? ` (${Object.entries(r.errorOutcomes).map(([k, n]) => `${k} x${n}`).join(', ')}; ${Object.entries(r.errorKinds).map(([k, n]) => `${k} x${n}`).join(', ')})` : ''),
    `gateway warnings and errors: ${Object.entries(r.gatewayProblems).map(([m, p]) => `"${m}" x${p.count}${p.example ? ` (first: ${p.example})` : ''}`).join('; ') || 'none'}`,
    `memory slope (least squares, minute 1 on): RSS ${r.rssSlope} MB/min, heap after GC ${r.heapSlope} MB/min`,
    `p99 drift: ${r.p99Slope} ms/min (least squares); median p99 ${r.p99First} ms in the first third of the windows, ${r.p99Last} ms in the last`,
    `unstructured output lines: ${r.unstructuredLines}`,
  ].join('\n');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`soak: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  });
}
