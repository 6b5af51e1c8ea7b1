/**
 * Progress of a long command on stderr: a bar on a terminal (cli-progress), otherwise a line
 * every 2 s at most, so logs of a scheduled run stay short. `label` names what is counted.
 */
import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  /** `done` of `total` `unit`s of `label` (a new label starts a new bar). */
  update(label: string, done: number, total: number): void;
  stop(): void;
}

export function progressOnStderr(command: string, unit: string): Progress {
  const title = (label: string) => (label ? `${command} ${label}` : command);
  if (process.stderr.isTTY) {
    let bar: SingleBar | undefined;
    let current: string | undefined;
    return {
      update(label, done, total) {
        if (label !== current) {
          bar?.stop();
          bar = new SingleBar({ format: `${title(label)} |{bar}| {value}/{total} ${unit}`, stream: process.stderr }, Presets.shades_classic);
          bar.start(total, 0);
          current = label;
        }
        bar!.setTotal(Math.max(total, done));
        bar!.update(done);
      },
      stop: () => bar?.stop(),
    };
  }
  let last = performance.now();
  return {
    update(label, done, total) {
      if (performance.now() - last < 2000) return;
      last = performance.now();
      process.stderr.write(`${title(label)}: ${done}/${total} ${unit}\n`);
    },
    stop() {},
  };
}
