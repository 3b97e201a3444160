// Stat.timeStepNs for the backends that learn a filesystem's time step from
// an open descriptor on it (Linux, macOS): FAT keeps a modification time in
// 2 s steps and exFAT in 10 ms, so a time set there lands up to a step from
// the one asked for, and without the step every later --skip-unchanged run
// would find it changed and copy the file again.

import type { Stat } from "./backend.ts";

export class TimeSteps {
  /** Each device's step (0: kept as set), once per thread. */
  private readonly byDev = new Map<number, number>();

  constructor(
    /** The step of the filesystem fd is on (0: kept as set), or undefined where it cannot be told. */
    private readonly stepOf: (fd: number) => number | undefined,
    /** The device fd is on, or undefined where it cannot be told. */
    private readonly devOf: (fd: number) => number | undefined,
  ) {}

  /** st, fstat'ed through fd: on fd's own filesystem. */
  ofFd(st: Stat, fd: number): Stat {
    let step = this.byDev.get(st.dev);
    if (step === undefined) {
      step = this.stepOf(fd);
      if (step === undefined) return st;
      this.byDev.set(st.dev, step);
    }
    // Only where there is one: every other filesystem's stats keep their shape.
    if (step) st.timeStepNs = step;
    return st;
  }

  /** Entries of the directory dir: on its filesystem, but for a mount point, which is left without. */
  inDir(stats: (Stat | number)[], dir: number): void {
    let lastDev = -1;
    let step: number | undefined;
    for (const st of stats) {
      if (typeof st === "number") continue;
      if (st.dev !== lastDev) {
        lastDev = st.dev;
        step = this.byDev.get(st.dev);
        if (step === undefined && this.devOf(dir) === st.dev) {
          step = this.stepOf(dir);
          if (step !== undefined) this.byDev.set(st.dev, step);
        }
      }
      if (step) st.timeStepNs = step;
    }
  }
}
