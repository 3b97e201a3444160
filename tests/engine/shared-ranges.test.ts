// A large file copied in ranges by several threads: the claiming protocol
// with the engine's helper over the Linux backend (the kernel's copy from a
// reopened source), on real files. The binary's end of it, with real workers, is in
// tests/pool.test.ts; here the order of events is chosen by the test, so
// each case happens every time.

import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LinuxBackend } from "../../ffi/linux/index.ts";
import { DataCopier } from "../../src/engine/copy-data.ts";
import { SharedRanges } from "../../src/engine/shared-ranges.ts";
import { ROOT, sh } from "../helpers/blit.ts";
import { sandbox } from "../helpers/sandbox.ts";

const SHIM = join(ROOT, "build", "shim", "linux-x64", "libblit.so");
const MiB = 1 << 20;
const backend = existsSync(SHIM) ? LinuxBackend.open(SHIM) : undefined;
if (!backend) throw new Error(`${SHIM} is missing: build it first (npm run setup)`);
const helper = new DataCopier(backend);

/** A source of `mib` MiB of random bytes and an empty destination, both open. */
function files(label: string, mib: number) {
  const root = sandbox(label);
  sh(`head -c ${mib * MiB} /dev/urandom > src && : > dst`, root);
  const src = openSync(`${root}/src`, "r");
  const dst = openSync(`${root}/dst`, "r+");
  return {
    root,
    src,
    dst,
    [Symbol.dispose]() {
      closeSync(src);
      closeSync(dst);
    },
  };
}

/** Every range of a fresh state, in claiming order. */
function schedule(ranges: SharedRanges): Array<[number, number]> {
  return Array.from({ length: ranges.count }, (_, k) => {
    const r = ranges.range(k);
    return [r.start / MiB, r.length / MiB];
  });
}

describe("range schedule", () => {
  // [start, end, chunk] in MiB, and the ranges expected, as [start, length] in MiB.
  const CASES: Array<[string, number, number, number, Array<[number, number]>]> = [
    ["fewer chunks than the tail: all quarters", 0, 6, 4, [[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1]]],
    ["whole chunks, then the last four in quarters", 8, 40, 4, [
      [8, 4], [12, 4], [16, 4], [20, 4],
      ...Array.from({ length: 16 }, (_, i): [number, number] => [24 + i, 1]),
    ]],
    ["a short last piece", 0, 21.5, 4, [[0, 4], [4, 4], ...Array.from({ length: 13 }, (_, i): [number, number] => [8 + i, 1]), [21, 0.5]]],
  ];
  test.each(CASES)("%s", (_name, start, end, chunk, expected) => {
    const ranges = SharedRanges.create(start * MiB, end * MiB, chunk * MiB);
    expect(schedule(ranges)).toEqual(expected);
  });

  test("without a tail every range is whole", () => {
    expect(schedule(SharedRanges.create(0, 9 * MiB, 2 * MiB, 0))).toEqual([[0, 2], [2, 2], [4, 2], [6, 2], [8, 1]]);
  });
});

describe("shared ranges", () => {
  test("a helper alone copies every range, the quarters of the tail too", () => {
    using f = files("ranges-tail", 13);
    const ranges = SharedRanges.create(0, 13 * MiB, 2 * MiB);
    // Three whole ranges (0–6 MiB), then 14 quarters.
    expect(ranges.count).toBe(3 + 14);
    expect(helper.help({ state: ranges.state, src: f.src, dst: f.dst }, undefined)).toBe(17);
    ranges.waitAll();
    expect(ranges.errno).toBe(0);
    expect(ranges.copiedTo).toBe(13 * MiB);
    expect(readFileSync(`${f.root}/dst`).equals(readFileSync(`${f.root}/src`))).toBe(true);
  });

  test("a helper alone copies every range", () => {
    using f = files("ranges-all", 9);
    const ranges = SharedRanges.create(0, 9 * MiB, 2 * MiB, 0);
    expect(ranges.count).toBe(5);
    expect(helper.help({ state: ranges.state, src: f.src, dst: f.dst }, undefined)).toBe(5);
    ranges.waitAll();
    expect(ranges.errno).toBe(0);
    expect(ranges.copiedTo).toBe(9 * MiB);
    expect(readFileSync(`${f.root}/dst`).equals(readFileSync(`${f.root}/src`))).toBe(true);
  });

  test("ranges another thread claimed are left to it; a late helper finds nothing and touches nothing", () => {
    using f = files("ranges-late", 4);
    const ranges = SharedRanges.create(0, 4 * MiB, MiB, 0);
    // The owner: copies every range itself before the helper starts.
    const owner = ranges.work((_start: number, length: number) => length, () => false);
    expect(owner).toBe(4);
    // Descriptors a finished owner has closed may be reused by then: a
    // helper that claims nothing must not use them at all.
    expect(helper.help({ state: ranges.state, src: -1, dst: -1 }, undefined)).toBe(0);
    ranges.waitAll();
    expect(ranges.errno).toBe(0);
  });

  // [tail chunks, ranges]: whole ranges of 2 MiB, or quarters of 0.5 MiB throughout.
  test.each([[0, 4], [4, 16]])("a file shorter than when it was opened: copiedTo says where its data ended (tail of %d chunks)", (tailChunks, count) => {
    using f = files("ranges-shrunk", 3);
    const ranges = SharedRanges.create(0, 8 * MiB, 2 * MiB, tailChunks);
    expect(ranges.count).toBe(count);
    expect(helper.help({ state: ranges.state, src: f.src, dst: f.dst }, undefined)).toBe(count);
    expect(ranges.errno).toBe(0);
    expect(ranges.copiedTo).toBe(3 * MiB);
    expect(readFileSync(`${f.root}/dst`).equals(readFileSync(`${f.root}/src`))).toBe(true);
  });

  test("a failure is kept, the ranges after it are skipped, and the wait still ends", () => {
    using f = files("ranges-fail", 4);
    const readOnly = openSync(`${f.root}/dst`, "r");
    try {
      const ranges = SharedRanges.create(0, 4 * MiB, MiB, 0);
      expect(helper.help({ state: ranges.state, src: f.src, dst: readOnly }, undefined)).toBe(0);
      ranges.waitAll();
      expect(ranges.errno).toBe(backend.errno.EBADF);
    } finally {
      closeSync(readOnly);
    }
  });

  test("after a failure, the data known copied ends where the first failed range starts", () => {
    const ranges = SharedRanges.create(0, 6 * MiB, MiB, 0);
    expect(ranges.failedFrom).toBe(6 * MiB);
    expect(ranges.work((start: number, length: number) => (start === 2 * MiB ? -5 : length), () => false)).toBe(2);
    expect([ranges.errno, ranges.failedFrom, ranges.copiedTo]).toEqual([5, 2 * MiB, 6 * MiB]);
  });

  test("a range whose copy threw counts as failed, so the owner's wait still ends", () => {
    const ranges = SharedRanges.create(0, 4 * MiB, MiB, 0);
    expect(() =>
      ranges.work(() => {
        throw new Error("a bug");
      }, () => false),
    ).toThrow("a bug");
    // The thread that threw claimed the rest and skipped them: the wait
    // ends without anyone else working (it did not, before), and nothing is left.
    expect(ranges.waitAll(2000)).toBe(true);
    expect(ranges.errno).toBe(5);
    expect(ranges.work((_start: number, length: number) => length, () => false)).toBe(0);
  });

  test("once the run is cancelled, ranges are claimed but not copied", () => {
    using f = files("ranges-cancel", 4);
    const ranges = SharedRanges.create(0, 4 * MiB, MiB, 0);
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 130);
    expect(helper.help({ state: ranges.state, src: f.src, dst: f.dst }, cancel)).toBe(0);
    ranges.waitAll();
    expect(readFileSync(`${f.root}/dst`).length).toBe(0);
  });
});
