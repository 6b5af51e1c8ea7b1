import { difference, readProcess, straceCounts } from '../../bench/process-counts';

const thread = (name: string, values: Partial<{ userTicks: number; systemTicks: number; runNs: number; slices: number; voluntary: number; involuntary: number }>) => ({
  name,
  userTicks: 0,
  systemTicks: 0,
  runNs: 0,
  slices: 0,
  voluntary: 0,
  involuntary: 0,
  ...values,
});

describe('bench:process', () => {
  it('splits what happened between two reads into the main thread and the others by name, and totals them', () => {
    const before = {
      threads: new Map([
        [100, thread('node', { userTicks: 10, systemTicks: 2, runNs: 120_000_000, slices: 50, voluntary: 7, involuntary: 3 })],
        [101, thread('V8 DefaultWorke', { userTicks: 1, runNs: 10_000_000, slices: 4, voluntary: 4 })],
        [102, thread('V8 DefaultWorke', { runNs: 2_000_000, slices: 1, voluntary: 1 })],
      ]),
      syscr: 1000,
      syscw: 900,
    };
    const after = {
      threads: new Map([
        [100, thread('node', { userTicks: 40, systemTicks: 7, runNs: 470_000_000, slices: 80, voluntary: 9, involuntary: 13 })],
        [101, thread('V8 DefaultWorke', { userTicks: 3, runNs: 30_000_000, slices: 10, voluntary: 9 })],
        [102, thread('V8 DefaultWorke', { systemTicks: 1, runNs: 12_000_000, slices: 3, voluntary: 3 })],
        // Started after the first read: all of it counts.
        [103, thread('libuv-worker', { userTicks: 2, runNs: 25_000_000, slices: 6, voluntary: 6, involuntary: 1 })],
      ]),
      syscr: 1600,
      syscw: 1450,
    };
    const d = difference(100, before, after);
    expect(d.syscr).toBe(600);
    expect(d.syscw).toBe(550);
    expect(d.groups.get('main')).toEqual({ userMs: 300, systemMs: 50, runMs: 350, slices: 30, voluntary: 2, involuntary: 10 });
    expect(d.groups.get('V8 DefaultWorke')).toEqual({ userMs: 20, systemMs: 10, runMs: 30, slices: 8, voluntary: 7, involuntary: 0 });
    expect(d.groups.get('libuv-worker')).toEqual({ userMs: 20, systemMs: 0, runMs: 25, slices: 6, voluntary: 6, involuntary: 1 });
    expect(d.groups.get('all')).toEqual({ userMs: 340, systemMs: 60, runMs: 405, slices: 44, voluntary: 15, involuntary: 11 });
    expect([...d.groups.keys()].sort()).toEqual(['V8 DefaultWorke', 'all', 'libuv-worker', 'main']);
  });

  it("reads a live process: its threads' CPU as getrusage totals it, the spinning thread first, and a wait as a voluntary switch", async () => {
    const first = readProcess(process.pid);
    const start = process.cpuUsage();
    // On the CPU for 80 ms of the process's time, allocating nothing in the loop itself.
    let x = 0;
    for (let used = 0; used < 80_000; ) {
      for (let i = 0; i < 100_000; i++) x = (x * 31 + i) | 0;
      const now = process.cpuUsage(start);
      used = now.user + now.system;
    }
    const spent = process.cpuUsage(start);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const d = difference(process.pid, first, readProcess(process.pid));
    const usedMs = (spent.user + spent.system) / 1000;
    const all = d.groups.get('all')!;
    const main = d.groups.get('main')!;
    expect(x).not.toBeNaN();
    expect(first.threads.has(process.pid)).toBe(true);
    // Every thread together, as getrusage counts the process (a wait's wake-up and the reads themselves aside).
    expect(all.runMs).toBeGreaterThanOrEqual(usedMs * 0.9);
    expect(all.runMs).toBeLessThanOrEqual(usedMs * 1.5 + 20);
    // The thread that spun did more than any other group of threads.
    for (const [group, t] of d.groups) if (group !== 'main' && group !== 'all') expect(main.runMs).toBeGreaterThan(t.runMs);
    expect(main.voluntary).toBeGreaterThanOrEqual(1);
  });

  it('reads the calls of strace -c by name, with and without errors, leaving the total out', () => {
    const table = [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      ' 41.20    0.010000           2      4302           writev',
      ' 30.10    0.007300           1      6455        12 read',
      '  0.00    0.000000           0         1         1 access',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.024300           2     10758        13 total',
    ].join('\n');
    expect(Object.fromEntries(straceCounts(table))).toEqual({ writev: 4302, read: 6455, access: 1 });
  });
});
