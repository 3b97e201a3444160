// A few plain files named on the command line are copied on the main thread:
// starting a worker costs more than copying a small file or cloning a large
// one (`blit f g` took 30–36 ms through a worker against 14 ms for
// `blit --version`). What the main thread cannot finish quickly (a large
// file that does not clone, a file with other hard links) it hands back,
// untouched, for the workers.

import type { Backend } from "../ffi/index.ts";
import { Copier } from "./engine/copier.ts";
import type { JobWork } from "./engine/messages.ts";
import { addCounts, type Counts, emptyCounts, type Output } from "./engine/report.ts";
import type { EngineOptions } from "./options.ts";
import type { CopyJob } from "./plan.ts";

/** More operands than this go to the workers, whose batched reads overlap cold files. */
const INLINE_MAX_JOBS = 8;
/** Files up to this size are copied on the main thread; larger ones only cloned there. */
const INLINE_MAX_BYTES = 1 << 20;

/** Whether the jobs are few plain files, worth trying on the main thread. */
export function inlineable(jobs: CopyJob[]): boolean {
  return jobs.length <= INLINE_MAX_JOBS && jobs.every((job) => !job.isDirectory);
}

export interface InlineResult {
  counts: Counts;
  /** Jobs left for the workers, in order. */
  handedBack: JobWork[];
}

/**
 * Copies what it can of `work` here and now. `progress` gets each job's
 * messages as it finishes; `stop` is asked between jobs (--fail-fast).
 */
export function copyInline(
  backend: Backend,
  options: EngineOptions,
  work: JobWork[],
  index: number,
  cancel: Int32Array,
  progress: (output: Output, counts: Counts) => void,
): InlineResult {
  const copier = new Copier(backend, options, index, cancel, undefined, undefined, { maxBytes: INLINE_MAX_BYTES });
  const counts = emptyCounts();
  const handedBack: JobWork[] = [];
  for (const job of work) {
    if (Atomics.load(cancel, 0) !== 0) break;
    if (!copier.runInline(job)) handedBack.push(job);
    const drained = copier.report.drain();
    addCounts(counts, drained.counts);
    progress(drained.output, drained.counts);
  }
  const used = backend.counters();
  counts.nativeCalls = used.nativeCalls;
  counts.ringSubmits = used.ringSubmits;
  counts.ringOps = used.ringOps;
  return { counts, handedBack };
}
