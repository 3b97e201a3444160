// --skip-unchanged and --checksum: whether what is at a destination already
// holds SOURCE's data, so only its attributes may need setting. rsync's
// quick check (size and mtime), or the contents compared; and which of the
// attributes the options keep differ.

import type { Backend, Name, Stat } from "../../ffi/index.ts";
import type { EngineOptions } from "../options.ts";
import type { Xattrs } from "./metadata.ts";

/** Bytes compared at a time, from each side. */
const CHUNK = 1 << 20;

/**
 * How far apart two mtimes may be and still be one: what a backend that sets
 * times in microseconds, or as a floating-point number of seconds (the
 * portable one, through node:fs), makes of a time kept to the nanosecond.
 */
const MICROSECOND_NS = 1_000;

/**
 * rsync's quick check: the same size and the same mtime, to the nanosecond,
 * or (--modify-window=N) whole seconds at most N apart, as rsync compares them.
 */
export function quickCheck(src: Stat, dst: Stat, modifyWindow: number): boolean {
  return src.size === dst.size && sameTimes(src, dst, modifyWindow);
}

/**
 * The mtimes are the same, so setting them would change nothing (rsync
 * leaves those within the window too). Without a window, to the nanosecond
 * or to what the destination could hold: less than a microsecond apart
 * (a time set in microseconds), or SOURCE's second with no fraction (a
 * filesystem that keeps seconds: ext3, HFS+, many network filesystems).
 */
export function sameTimes(src: Stat, dst: Stat, modifyWindow: number): boolean {
  if (modifyWindow > 0) return Math.abs(src.mtimeSec - dst.mtimeSec) <= modifyWindow;
  const apartNs = (dst.mtimeSec - src.mtimeSec) * 1e9 + (dst.mtimeNsec - src.mtimeNsec);
  return Math.abs(apartNs) < MICROSECOND_NS || (dst.mtimeSec === src.mtimeSec && dst.mtimeNsec === 0);
}

/**
 * Reads two open files side by side and compares them byte for byte: true
 * when both end at the same offset with the same bytes. Both sides are
 * local, so the bytes themselves are compared rather than a hash of each
 * (which only pays when one side is on another machine, and could collide).
 * The kernel's read-ahead on each file keeps both disks' reads going at once.
 */
export class ContentComparer {
  private readonly a = new Uint8Array(CHUNK);
  private readonly b = new Uint8Array(CHUNK);

  constructor(private readonly backend: Backend) {}

  /** true, false, or the failed side's -errno (`side`). */
  equal(srcFd: number, dstFd: number): boolean | { side: "src" | "dst"; errno: number } {
    const backend = this.backend;
    backend.adviseSequential?.(srcFd);
    backend.adviseSequential?.(dstFd);
    for (let pos = 0; ; ) {
      const n = backend.readAt(srcFd, this.a, CHUNK, pos);
      if (n < 0) return { side: "src", errno: -n };
      const m = this.fill(dstFd, n, pos);
      if (m < 0) return { side: "dst", errno: -m };
      if (m !== n) return false;
      if (n === 0) return true;
      if (Buffer.compare(this.a.subarray(0, n), this.b.subarray(0, n)) !== 0) return false;
      pos += n;
    }
  }

  /** Reads up to `want` bytes at pos of dst, through short reads: as many as there are, or -errno. */
  private fill(fd: number, want: number, pos: number): number {
    // At the source's end: one byte more tells a longer destination from an equal one.
    if (want === 0) return this.backend.readAt(fd, this.b, 1, pos);
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

/** The xattrs kept, as two lists that hold the same names with the same values. */
/**
 * What makes DEST's attributes SOURCE's: those SOURCE has that DEST lacks or
 * holds with another value, and the names DEST has that SOURCE lacks.
 */
export function xattrChanges(src: Xattrs, dst: Xattrs): { set: Xattrs; remove: Name[] } {
  const key = (name: Uint8Array) => Buffer.from(name).toString("latin1");
  const there = new Map(dst.map(([name, value]) => [key(name), value]));
  const set = src.filter(([name, value]) => {
    const k = key(name);
    const other = there.get(k);
    there.delete(k);
    return other === undefined || Buffer.compare(value, other) !== 0;
  });
  const remove = dst.filter(([name]) => there.has(key(name))).map(([name]) => name);
  return { set, remove };
}

/** What of SOURCE's attributes the options keep differs at the destination (ignoring xattrs, compared apart). */
export function attributesDiffer(o: EngineOptions, src: Stat, dst: Stat): { owner: boolean; mode: boolean; times: boolean } {
  return {
    owner: o.preserve.ownership && (src.uid !== dst.uid || src.gid !== dst.gid),
    mode: o.preserve.mode && (src.mode & 0o7777) !== (dst.mode & 0o7777),
    times: o.preserve.timestamps && !sameTimes(src, dst, o.modifyWindow),
  };
}
