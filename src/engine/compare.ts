// Two open files compared byte for byte: --checksum's contents check and
// --verify's read-back. Both sides are local, so the bytes themselves are
// compared rather than a hash of each (which only pays when one side is on
// another machine, and could collide).
//
// One thread reading both files in turn left the disk idle half the time
// (a 2 GiB file against its copy took 2.7 × as long as `cat` of both at
// once). A large file is therefore compared in ranges shared with the free
// workers, as a large copy is (shared-ranges.ts), each thread reading both
// sides through descriptors of its own so that each stream keeps its own
// read-ahead.

import type { Backend } from "../../ffi/index.ts";
import { SHARE_CHUNK, SHARE_MIN_SIZE, type SharedCopy, SharedRanges } from "./shared-ranges.ts";

/** Bytes compared at a time, from each side. */
const CHUNK = 1 << 20;

// What a range reports through the shared ranges' one failure code (they
// keep the first): an errno of the destination's side is marked, and a
// difference is a code no errno reaches.
const DST_SIDE = 1 << 16;
const DIFFERENT = 1 << 17;

/** Equal or not; "cancelled" when a cancel cut a shared comparison short (which proves nothing); or the failed side's errno. */
export type Comparison = boolean | "cancelled" | { side: "src" | "dst"; errno: number };

export class ContentComparer {
  private readonly a = new Uint8Array(CHUNK);
  private readonly b = new Uint8Array(CHUNK);

  constructor(private readonly backend: Backend) {}

  /**
   * Whether both files end at the same offset with the same bytes; or the
   * failed side's errno. `size`: what the source's stat said, which decides
   * whether the comparison is shared; a file that grew or shrank since is
   * still compared to its real end. `share` offers a large file's ranges to
   * the other workers (none on the main thread). `copied` (--verify): the
   * destination is a copy of the source's first `size` bytes, which are
   * compared, and it must end there; a source that grew since is no
   * difference (the copy is what was read, as cp's would be).
   */
  equal(srcFd: number, dstFd: number, size: number, cancelled: () => boolean, share?: (compare: SharedCopy) => void, copied = false): Comparison {
    const backend = this.backend;
    backend.adviseSequential?.(srcFd);
    backend.adviseSequential?.(dstFd);
    const end = copied ? size : undefined;
    if (!share || size < SHARE_MIN_SIZE) return this.fromOffset(srcFd, dstFd, 0, end);
    const ranges = SharedRanges.create(0, size, SHARE_CHUNK);
    share({ state: ranges.state, src: srcFd, dst: dstFd, compare: true });
    try {
      ranges.work((start, length) => this.range(srcFd, dstFd, start, length), cancelled);
    } finally {
      // Even after a throw: no helper may still be reading once the caller closes the files.
      ranges.waitAll();
    }
    const code = ranges.errno;
    if (code === DIFFERENT) return false;
    if (code !== 0) return code & DST_SIDE ? { side: "dst", errno: code & ~DST_SIDE } : { side: "src", errno: code };
    if (cancelled()) return "cancelled";
    return this.fromOffset(srcFd, dstFd, ranges.copiedTo, end);
  }

  /**
   * A helper's share of another worker's comparison, until no range is
   * left; how many ranges it compared. Both files are opened again where the
   * backend can, once a range is claimed (until then the owner may have
   * finished and closed them).
   */
  help(compare: SharedCopy, cancelled: () => boolean): number {
    const backend = this.backend;
    const own = (fd: number): number => {
      // Read to be compared: its access time stays (Copier.openToCompare).
      const again = backend.reopenRead?.(fd, true) ?? -1;
      if (again < 0) return fd;
      backend.adviseSequential?.(again);
      return again;
    };
    let src = -1;
    let dst = -1;
    try {
      return new SharedRanges(compare.state).work((start, length) => {
        if (src < 0) {
          src = own(compare.src);
          dst = own(compare.dst);
        }
        return this.range(src, dst, start, length);
      }, cancelled);
    } finally {
      if (src >= 0 && src !== compare.src) backend.close(src);
      if (dst >= 0 && dst !== compare.dst) backend.close(dst);
    }
  }

  /** From pos to both files' end (the source's read no further than `end`). */
  private fromOffset(srcFd: number, dstFd: number, pos: number, end?: number): Comparison {
    for (;;) {
      const want = end === undefined ? CHUNK : Math.min(CHUNK, end - pos);
      const n = want <= 0 ? 0 : this.backend.readAt(srcFd, this.a, want, pos);
      if (n < 0) return { side: "src", errno: -n };
      // At the source's end: one byte more tells a longer destination from an equal one.
      const m = this.fill(dstFd, n === 0 ? 1 : n, pos);
      if (m < 0) return { side: "dst", errno: -m };
      if (m !== n) return false;
      if (n === 0) return true;
      if (Buffer.compare(this.a.subarray(0, n), this.b.subarray(0, n)) !== 0) return false;
      pos += n;
    }
  }

  /**
   * [start, start + length) of both: the bytes compared (fewer where both
   * ended early), or a shared-ranges failure code, negated.
   */
  private range(srcFd: number, dstFd: number, start: number, length: number): number {
    let done = 0;
    while (done < length) {
      const want = Math.min(CHUNK, length - done);
      const n = this.backend.readAt(srcFd, this.a, want, start + done);
      if (n < 0) return n;
      const m = this.fill(dstFd, n, start + done);
      if (m < 0) return -(-m | DST_SIDE);
      if (m !== n || Buffer.compare(this.a.subarray(0, n), this.b.subarray(0, n)) !== 0) return -DIFFERENT;
      // Both ended here: the owner reads on from the earliest such point.
      if (n < want) return done + n;
      done += n;
    }
    return done;
  }

  /** Up to `want` bytes at pos of fd, through short reads: as many as there are, or -errno. */
  private fill(fd: number, want: number, pos: number): number {
    let got = 0;
    while (got < want) {
      const n = this.backend.readAt(fd, this.b.subarray(got), want - got, pos + got);
      if (n < 0) return n;
      if (n === 0) break;
      got += n;
    }
    return got;
  }
}
