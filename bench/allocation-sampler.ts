/**
 * Loaded into a benchmark server with `node --require` (bench/allocations.ts): the first SIGUSR2
 * starts V8's sampling heap profiler, counting objects a scavenge or a full collection has since
 * freed as well as the live ones (so the profile is what was allocated, not what is left), and
 * counts garbage collections by kind (ALLOCATION_SAMPLED=survivors: only what outlived a scavenge;
 * none: no profile, collections only); the second stops both and writes
 * `{ profile, gc }` as JSON to the file named by ALLOCATION_PROFILE_OUT.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const out = process.env.ALLOCATION_PROFILE_OUT;
if (!out) throw new Error('allocation-sampler: ALLOCATION_PROFILE_OUT names the file the profile is written to');
/** Bytes between samples: V8 scales each sample by its chance of being taken, so the sum estimates every byte. */
const interval = Number(process.env.ALLOCATION_SAMPLING_INTERVAL ?? 4096);
/**
 * `survivors`: leave out objects a scavenge freed, keeping those freed only by a full collection
 * and those still live — what outlived the young generation, whose copying is a scavenge's cost.
 */
const survivorsOnly = process.env.ALLOCATION_SAMPLED === 'survivors';
/** `none`: collections counted, no profile (the profiler's own handles and callbacks cost the collector something). */
const profiling = process.env.ALLOCATION_SAMPLED !== 'none';

const session = new Session();
session.connect();
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-sweep',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
let gc: Record<string, { count: number; ms: number }> = {};
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = KINDS[(entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
    const tally = (gc[kind] ??= { count: 0, ms: 0 });
    tally.count += 1;
    tally.ms += entry.duration;
  }
});

let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    gc = {};
    observer.observe({ entryTypes: ['gc'] });
    if (profiling)
      void post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivorsOnly }).catch((error: unknown) =>
      process.stderr.write(`allocation-sampler: ${String(error)}\n`),
    );
    return;
  }
  sampling = false;
  (profiling ? post('HeapProfiler.stopSampling') : Promise.resolve({ profile: null })).then(
    (result) => {
      observer.disconnect();
      fs.writeFileSync(`${out}.part`, JSON.stringify({ profile: (result as { profile: unknown }).profile, gc }));
      fs.renameSync(`${out}.part`, out);
    },
    (error: unknown) => process.stderr.write(`allocation-sampler: ${String(error)}\n`),
  );
});
