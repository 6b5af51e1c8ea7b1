/** Small process helpers of the fault suite and the benchmark: free ports, /proc, waiting. */
import fs from 'node:fs';
import net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A TCP port of 127.0.0.1 free at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Every process's /proc/PID/stat (Linux), split into the fields after the command name, which is
 * in parentheses and may hold spaces: fields[0] is the state, [1] the parent pid, [11] and [12]
 * utime and stime, [13] and [14] cutime and cstime. Undefined where /proc cannot be read.
 */
export function procStats(): Array<{ pid: number; fields: string[] }> | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  const stats: Array<{ pid: number; fields: string[] }> = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    stats.push({ pid: Number(entry), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') });
  }
  return stats;
}

/** `root` and every process descended from it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, fields } of procStats() ?? []) {
    const ppid = Number(fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
