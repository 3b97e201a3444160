// When a copy worker collects its garbage (src/collector.ts): the workers
// share one budget of entries listed between collections, so that the
// garbage waiting in a run does not grow with the pool.

import { describe, expect, test } from "bun:test";
import { collector } from "../src/collector.ts";

/** The entries listed, in chunks of `chunk`, before each of the first `count` collections, and whether each was full. */
function pace(workers: number, chunk: number, count: number): { after: number; full: boolean }[] {
  const up = new Int32Array(new SharedArrayBuffer(4));
  up[0] = workers;
  const seen: { after: number; full: boolean }[] = [];
  let listed = 0;
  const listedChunk = collector(up, (full) => seen.push({ after: listed, full }));
  while (seen.length < count) {
    listed += chunk;
    listedChunk(chunk);
  }
  return seen;
}

describe("collector", () => {
  test.each([
    // workers up, entries listed between two collections of each
    [0, 4096],
    [1, 4096],
    [2, 2048],
    [3, 1366],
    [4, 1024],
    [8, 512],
    [64, 512],
  ])("with %i workers up, a worker collects every %i entries", (workers, every) => {
    expect(pace(workers, 1, 3).map((c) => c.after)).toEqual([every, 2 * every, 3 * every]);
  });

  test("one collection in 8 is a full one", () => {
    expect(pace(2, 100, 16).map((c) => c.full)).toEqual([false, false, false, false, false, false, false, true, false, false, false, false, false, false, false, true]);
  });

  test("a chunk is counted whole: a chunk larger than the budget collects once", () => {
    expect(pace(4, 5000, 3).map((c) => c.after)).toEqual([5000, 10000, 15000]);
  });

  test("workers that join during the run make the next collections come sooner", () => {
    const up = new Int32Array(new SharedArrayBuffer(4));
    up[0] = 1;
    const at: number[] = [];
    let listed = 0;
    const listedChunk = collector(up, () => at.push(listed));
    const list = (until: number) => {
      while (listed < until) {
        listed++;
        listedChunk(1);
      }
    };
    list(8192);
    Atomics.store(up, 0, 4);
    list(8192 + 2048);
    expect(at).toEqual([4096, 8192, 8192 + 1024, 8192 + 2048]);
  });
});
