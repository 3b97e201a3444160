// A few plain files named on the command line are copied on the main thread:
// starting a worker costs more than copying a small file or cloning a large
// one (`blit f g` took 30–36 ms through a worker against 14 ms for
// `blit --version`). What the main thread cannot finish quickly (a large
// file that does not clone, a file with other hard links) it hands back,
// untouched, for the workers.

import type { Backend } from "../ffi/index.ts";
import { Copier } from "./engine/copier.ts";
import type { LiveCounters } from "./engine/live.ts";
import type { JobWork } from "./engine/messages.ts";
import { addCounters, addCounts, type Counts, type Output } from "./engine/report.ts";
import type { EngineOptions } from "./options.ts";
import type { CopyJob } from "./plan.ts";

/** More operands than this go to the workers, whose batched reads overlap cold files. */
const INLINE_MAX_JOBS = 8;
/** Files up to this size are copied on the main thread; larger ones only cloned there. */
const INLINE_MAX_BYTES = 1 << 20;

/** Whether the jobs are few plain files, worth trying on the main thread. */
export function inlineable(jobs: CopyJob[]): boolean {
  return jobs.length <= INLINE_MAX_JOBS && jobs.every((job) => !job.isDirectory && !job.stream && !job.into);
}

/**
 * Copies what it can of `work` here, adding what it did to `counts` as it
 * goes, and returns the jobs left for the workers, in order. `progress` gets
 * each job's messages as it finishes. Between jobs it lets the event loop
 * run, so that a signal is handled (its handler sees `counts`) rather than
 * held until the end; and it stops once `cancel` is set (--fail-fast).
 */
export async function copyInline(
  backend: Backend,
  options: EngineOptions,
  work: JobWork[],
  index: number,
  cancel: Int32Array,
  counts: Counts,
  progress: (output: Output, counts: Counts) => void,
  live?: LiveCounters,
): Promise<JobWork[]> {
  const copier = new Copier(backend, options, index, cancel, undefined, undefined, { maxBytes: INLINE_MAX_BYTES });
  if (live) copier.showProgress(live);
  const handedBack: JobWork[] = [];
  const before = backend.counters();
  for (const job of work) {
    if (Atomics.load(cancel, 0) !== 0) break;
    if (!copier.runInline(job)) handedBack.push(job);
    const drained = copier.report.drain();
    addCounts(counts, drained.counts);
    progress(drained.output, drained.counts);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const after = backend.counters();
  addCounters(counts.backend, after, 1);
  addCounters(counts.backend, before, -1);
  return handedBack;
}
