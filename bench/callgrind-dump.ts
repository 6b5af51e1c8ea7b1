/**
 * What a callgrind dump of one thread spent inside V8's garbage collector and inside its
 * optimizing compiler, so that `bench:callgrind` can give the requests' own work without them.
 *
 * Counting only `Heap::CollectGarbage` (inclusive) misses most of a major collection: under
 * --single-threaded, incremental marking runs in steps taken from the allocation slow path
 * (`IncrementalMarking::Observer::Step` under `Factory::NewFillerObject` and the like) and from
 * foreground tasks (`IncrementalMarkingJob::Task`, `MinorGCJob::Task`, `MemoryReducer::TimerTask`),
 * and sweeping completes lazily in allocation (`Sweeper::*`, `Heap::EnsureSweepingCompleted`):
 * none of it under `CollectGarbage`. Adding up several functions' inclusive costs would count
 * nested ones twice, so the dump's call graph is read instead (see insideOf).
 */
import fs from 'node:fs';

/**
 * V8's garbage collector: collection, marking, sweeping, evacuation, the jobs and tasks that drive
 * them, and the write barrier's slow path (remembered-set inserts; while marking runs, every
 * pointer store JavaScript makes: a batch with a major collection spends ~60 k instructions per
 * request there).
 */
export const GC_FUNCTION =
  /^(?:Builtins_RecordWrite|Builtins_EphemeronKeyBarrier|v8::internal::(?:WriteBarrier::|Heap::|HeapAllocator::|Scavenger|MinorGCJob|MarkCompact|MinorMarkCompact|IncrementalMarking|ConcurrentMarking|MarkingBarrier|MarkingWorklists?|Sweeper|MemoryReducer|Evacuat|PageEvacuationJob|ArrayBufferSweeper|GCTracer|ScavengeJob|StressScavengeObserver|ObjectStatsCollector|GlobalHandles::PostGarbageCollectionProcessing|GlobalSafepoint)|heap::base::|cppgc::)/;

/** V8's compilers past the interpreter (Sparkplug, Maglev, TurboFan) and their entries from the runtime. */
export const COMPILE_FUNCTION = /^v8::internal::(?:compiler::|maglev::|baseline::|Runtime_CompileOptimized|Runtime_CompileBaseline|Runtime_InstallBaselineCode|OptimizingCompileDispatcher|Compiler::CompileOptimized|Compiler::CompileSharedWithBaseline|Compiler::CompileBaseline)/;

export interface DumpRuntime {
  /** Instructions of the dump (its summary). */
  total: number;
  /** Inside the garbage collector. */
  gc: number;
  /** Inside the optimizing compiler. */
  compile: number;
  /** Inside either (collections from within the compiler counted once). */
  either: number;
}

interface Arc {
  caller: string;
  callee: string;
  /** The call's inclusive instructions. */
  cost: number;
}

/** The functions and call arcs of a dump (`positions: line`, one event), and its total. */
export function parseDump(text: string): { total: number; arcs: Arc[]; functions: Set<string> } {
  const names = new Map<string, string>();
  // Resolves `(id) name` or `(id)` (callgrind names a function once, then by its id).
  const nameOf = (spec: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) names.set(m[1]!, m[2]);
    return names.get(m[1]!) ?? spec;
  };
  const arcs: Arc[] = [];
  const functions = new Set<string>();
  let total = 0;
  let fn = '';
  let callee: string | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) {
      fn = nameOf(line.slice(3));
      functions.add(fn);
    } else if (line.startsWith('cfn=')) {
      callee = nameOf(line.slice(4));
      functions.add(callee);
    } else if (/^[0-9+*-]/.test(line)) {
      // A cost line: after `calls=`, the call's inclusive cost; otherwise the function's own.
      if (callee !== null) {
        arcs.push({ caller: fn, callee, cost: Number(line.split(' ')[1]) });
        callee = null;
      }
    } else if (line.startsWith('summary:') || line.startsWith('totals:')) {
      total = Number(line.slice(line.indexOf(':') + 1).trim());
    }
  }
  return { total, arcs, functions };
}

/**
 * Instructions spent inside the functions `inClass` accepts, each counted once: every call into
 * the class from outside it, weighted by how much of the caller itself runs outside the class.
 * A helper the class calls (a visitor, a job's `Join`) that calls back into it is then not an
 * entry: the share of a function run from inside the class is its callers' shares, weighted by
 * their calls' costs, worked out over the call graph until it settles.
 */
export function insideOf(dump: { arcs: readonly Arc[]; functions: ReadonlySet<string> }, inClass: (name: string) => boolean): number {
  const incoming = new Map<string, Arc[]>();
  for (const arc of dump.arcs) {
    if (arc.caller === arc.callee) continue;
    const list = incoming.get(arc.callee);
    if (list) list.push(arc);
    else incoming.set(arc.callee, [arc]);
  }
  // outside(f): the share of f's calls made from outside the class (1 for a thread's root).
  const outside = new Map<string, number>();
  for (const f of dump.functions) outside.set(f, inClass(f) ? 0 : 1);
  for (let round = 0; round < 100; round += 1) {
    let moved = 0;
    for (const f of dump.functions) {
      if (inClass(f)) continue;
      const arcs = incoming.get(f);
      if (!arcs) continue;
      let all = 0;
      let out = 0;
      for (const arc of arcs) {
        all += arc.cost;
        out += arc.cost * outside.get(arc.caller)!;
      }
      const share = all > 0 ? out / all : 1;
      moved = Math.max(moved, Math.abs(share - outside.get(f)!));
      outside.set(f, share);
    }
    if (moved < 1e-9) break;
  }
  let inside = 0;
  for (const arc of dump.arcs) if (inClass(arc.callee) && !inClass(arc.caller)) inside += arc.cost * outside.get(arc.caller)!;
  return inside;
}

/** What a dump of one thread spent in the garbage collector and the compilers, each and together. */
export function runtimeOfDump(text: string, classes: { gc: RegExp; compile: RegExp } = { gc: GC_FUNCTION, compile: COMPILE_FUNCTION }): DumpRuntime {
  const dump = parseDump(text);
  const gc = (name: string) => classes.gc.test(name);
  const compile = (name: string) => classes.compile.test(name);
  return {
    total: dump.total,
    gc: insideOf(dump, gc),
    compile: insideOf(dump, compile),
    either: insideOf(dump, (name) => gc(name) || compile(name)),
  };
}

export function runtimeOfDumpFile(file: string): DumpRuntime {
  return runtimeOfDump(fs.readFileSync(file, 'utf8'));
}
