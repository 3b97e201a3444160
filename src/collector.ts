// When a copy worker collects its garbage: by the entries it lists, not by
// time, and less often the fewer workers share the process (src/worker.ts
// wires it to the copier's listings and the pool's count of workers).

/**
 * Entries listed between two garbage collections, a budget the workers up
 * share: each collects once every COLLECT_EVERY ÷ workers of the entries it
 * lists itself, so that with every worker listing, about COLLECT_EVERY
 * entries' garbage waits in all. Left to itself a worker let ~90 MiB of
 * garbage pile up (peak RSS 218 MiB copying a flat directory of 1,000,000
 * files with -a): its tasks are long and synchronous (a flat directory is
 * one task), so Bun's collection timer, which runs on the event loop, never
 * fires; and JavaScriptCore lets the heap grow to about twice what it last
 * found live, which counts the hard-link table's 20 MiB SharedArrayBuffer
 * (twice) though hardly a page of it is touched. Each entry leaves 1-2 KiB of
 * garbage, nearly all of it dead by the next collection, so the garbage
 * waiting grows with the workers unless they share one budget: the flat
 * directory, copied to a tmpfs by the 4 workers the pool grew to, peaked
 * at 152 and 154 MiB with 4,096 entries a worker, 132 and 147 with 2,048,
 * 117 and 118 with 1,024, in 38-42 s each.
 */
const COLLECT_EVERY = 4096;

/**
 * The fewest entries a worker lists between two collections, however many
 * workers there are: each collection has a cost of its own, and a cold
 * copy may run many more workers than CPUs.
 */
const COLLECT_EVERY_LEAST = 512;

/**
 * One collection in this many is a full one, run there and then
 * (Bun.gc(true)); for the others the worker only asks JavaScriptCore to
 * collect (Bun.gc(false) is its collectAsync), which it does beside the
 * worker, of the kind it judges due (an eden one sweeps only what was made
 * since the last). A full collection marks the whole heap, and in a large
 * directory that holds its whole listing. Measured copying to a tmpfs (full
 * every time, against one in 8): the flat directory of 1,000,000 files
 * 14-24 s against 11-12 s; 50,000 small files 1,185 against 1,110 ms of CPU.
 * Peak RSS on the flat directory: 96-101 MiB against 103-109 MiB.
 */
const FULL_EVERY = 8;

/**
 * Calls `collect` (Bun.gc, and the count --stats shows) once every
 * COLLECT_EVERY ÷ workers entries listed, at least COLLECT_EVERY_LEAST
 * (checked once per chunk of a listing), `workers` being the pool's count
 * of workers up, which grows during a run.
 */
export function collector(workers: Int32Array, collect: (full: boolean) => void): (entries: number) => void {
  let listed = 0;
  let collections = 0;
  return (entries) => {
    listed += entries;
    if (listed < Math.max(COLLECT_EVERY_LEAST, COLLECT_EVERY / Math.max(1, Atomics.load(workers, 0)))) return;
    listed = 0;
    collect(++collections % FULL_EVERY === 0);
  };
}
