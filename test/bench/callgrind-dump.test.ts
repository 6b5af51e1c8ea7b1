import { runtimeOfDump } from '../../bench/callgrind-dump';

/**
 * A main thread of 1,020 instructions, its costs chosen by hand: JavaScript (300 own) triggers a
 * collection (200); the collection's scavenging job runs under a platform helper (`Join`) that
 * only the collector calls; the optimizing compiler (400) triggers a collection of its own (100);
 * the write barrier's slow path takes 20.
 */
const DUMP = `# callgrind format
version: 1
positions: line
events: Ir
summary: 1020

fn=(1) main
0 100
cfn=(2) JSwork
calls=1 0
0 500
cfn=(5) v8::internal::compiler::Pipeline::Run()
calls=1 0
0 400
cfn=(6) Builtins_RecordWriteSaveFP
calls=3 0
0 20

fn=(2)
0 300
cfn=(3) v8::internal::Heap::CollectGarbage(int)
calls=1 0
0 200

fn=(3)
0 100
cfn=(4) v8::platform::DefaultJobState::Join()
calls=1 0
0 150

fn=(4)
cfn=(7) v8::internal::ScavengerCollector::JobTask::Run()
calls=1 0
0 150

fn=(7)
0 150

fn=(5)
0 300
cfn=(3)
calls=1 0
0 100

fn=(6)
0 20

totals: 1020
`;

describe('callgrind dump accounting', () => {
  const runtime = runtimeOfDump(DUMP);

  it('reads the total', () => {
    expect(runtime.total).toBe(1020);
  });

  it('counts every entry into the collector once, the write barrier included, not the scavenging job the collector runs itself', () => {
    // 200 from JavaScript + 100 from the compiler + 20 write barrier; the job under Join is inside the first 200.
    expect(runtime.gc).toBe(320);
  });

  it('counts the compiler with the collection it triggered', () => {
    expect(runtime.compile).toBe(400);
  });

  it('counts a collection inside the compiler once when both are taken out together', () => {
    // 200 + 400 + 20: the compiler's own collection is inside its 400.
    expect(runtime.either).toBe(620);
    expect(runtime.total - runtime.either).toBe(400);
  });

  it('gives a helper called from both sides its callers\' share', () => {
    // The same helper called once from JavaScript (100, reaching 60 of collection) and once from
    // the collector (300, reaching 180): only the first call's collection is an entry.
    const mixed = `summary: 500
fn=(1) main
0 100
cfn=(2) helper
calls=1 0
0 100
cfn=(3) v8::internal::Heap::CollectGarbage(int)
calls=1 0
0 300
fn=(3)
0 0
cfn=(2)
calls=1 0
0 300
fn=(2)
0 160
cfn=(4) v8::internal::Sweeper::RawSweep()
calls=2 0
0 240
fn=(4)
0 240
`;
    // Entries: main -> collector 300; helper -> sweeper 240 x (100 / 400 of the helper's calls from outside) = 60.
    expect(runtimeOfDump(mixed).gc).toBe(360);
  });
});
