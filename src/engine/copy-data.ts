// How one regular file's bytes are copied: decided here, and only here.
// Best first: a clone (the filesystem shares the blocks), the kernel's own
// copy, batched reads and writes, plain ones. A sparse source is copied
// extent by extent so its holes stay holes; a large one is offered to idle
// workers in ranges. Every copy reads to EOF, whatever the size was when the
// file was opened. The backend offers the mechanisms (ffi/backend.ts); what
// one of them cannot do between two devices is remembered here, per worker,
// and not asked again.

import { type Backend, COPY_METHODS, type CopyMethod, type FilesystemReport, type RangeResult } from "../../ffi/index.ts";
import type { Reflink, Sparse } from "../options.ts";
import { SHARE_CHUNK, SHARE_MIN_SIZE, type SharedCopy, SharedRanges } from "./shared-ranges.ts";

/** Where a copy looked for holes: SEEK_DATA/SEEK_HOLE ("reported"), blocks of zeros (--sparse=always), or both; absent, nowhere. */
export type HoleSearch = "reported" | "zeros" | "reported+zeros";

export type CopyOutcome =
  /** `kernelCopyRefused`: the kernel's copy was tried for this pair of devices (now or before) and refused. */
  /** `size`: the copy's length where holes make it more than the `bytes` of data copied. */
  | { ok: true; method: CopyMethod; bytes: number; size?: number; holes?: HoleSearch; kernelCopyRefused?: boolean }
  | { ok: false; stage: "clone" | "read" | "write" | "cancelled"; errno: number }
  /** The kernel's copy failed: reading or writing, it does not say which. */
  | { ok: false; stage: "copy"; errno: number }
  /** cloneOnly was asked and cloning is not possible here: nothing was copied. */
  | { ok: false; stage: "not_cloned" };

export interface CopyRequest {
  reflink: Reflink;
  sparse: Sparse;
  /** Size and allocated 512-byte blocks when opened: hints, never trusted for EOF. */
  size: number;
  blocks: number;
  /** Devices of source and destination: a method that failed for a pair is not tried again. */
  srcDev: number;
  dstDev: number;
  /** Becomes non-zero (Atomics) when the copy should stop between chunks. */
  cancel?: Int32Array;
  /**
   * Offers the rest of a large file to other workers, which join through
   * help; the copy returns only once every range it handed out is done.
   */
  share?: (copy: SharedCopy) => void;
  /** Clone or nothing (stage "not_cloned"): the caller copies the bytes elsewhere. */
  cloneOnly?: boolean;
  /**
   * The source is a fifo or a device read like a file (cp without -r does
   * that): read front to back to EOF, no offsets, no clone unless asked for.
   */
  stream?: boolean;
  /**
   * dst is an existing device or fifo the copy is written into (cp does
   * that): front to back with plain writes, no clone, no ranges, no holes.
   */
  into?: boolean;
}

/**
 * Writes buf[from, to) with buf[from] at pos: 0, or -errno. A write that
 * takes nothing is ENOSPC, as in coreutils' full_write: a filesystem that
 * answers so (some FUSE ones) would otherwise be asked again forever.
 */
export function writeFully(b: Backend, fd: number, buf: Uint8Array, from: number, to: number, pos: number): number {
  let done = from;
  while (done < to) {
    const w = b.writeAt(fd, done === 0 ? buf : buf.subarray(done), to - done, pos + done - from);
    if (w < 0) return w;
    if (w === 0) return -b.errno.ENOSPC;
    done += w;
  }
  return 0;
}

/**
 * The method the engine takes for a file within a probed filesystem: the
 * first of clone and the kernel's copy that works there, else batched reads
 * and writes where the backend has them, else plain ones. undefined when the
 * filesystem could not be probed.
 */
export function methodWithin(fs: FilesystemReport): CopyMethod | undefined {
  if (fs.probed === false) return undefined;
  const works = (method: CopyMethod) => fs.checks.some((check) => check.method === method && check.supported);
  return COPY_METHODS.find((method) => (method === "batched" ? fs.batched : method === "read_write" || works(method)));
}

const RW_CHUNK = 1 << 20;
/** One kernel copy call: small enough to notice a cancel request soon. */
const KERNEL_CHUNK = 64 << 20;
const ZERO_BLOCK = 4096;
/** Times a trailing hole is looked at again while the file's end keeps moving. */
const MAX_UNSETTLED = 8;
const SEQUENTIAL_HINT = 1 << 20;
/** How long a stream read or write waits before looking at the cancel flag again. */
const STREAM_WAIT_MS = 100;

/**
 * --sparse=always: how far dst is written, so that each gap left before the
 * next write (a hole of the source, or zeros skipped) and the one at the end
 * are punched, as cp punches them. A gap only skipped keeps what the
 * filesystem preallocated there: onto XFS, whose speculative preallocation
 * runs past each write's end, a 16 MiB file of 1 MiB of data and zeros took
 * 16 MiB where cp's copy took 1 MiB.
 */
interface Gaps {
  /** Everything before this offset is written or punched. */
  end: number;
  /** Cleared where punching is not offered or the filesystem refused it: gaps are then only skipped. */
  punch: boolean;
}

export class DataCopier {
  private buffer: Uint8Array | undefined;
  /** Device pairs where cloning, or the kernel's copy, has failed as unsupported. */
  private readonly noClone = new Set<string>();
  private readonly noKernelCopy = new Set<string>();
  /** The kernel's copy failing with these means "not for this pair": read and write instead. */
  private readonly kernelUnsupported: ReadonlySet<number>;
  /** A clone failing with these is a real failure, not a reason to try another method. */
  private readonly cloneTerminal: ReadonlySet<number>;
  /**
   * Clone failures that say the pair of filesystems cannot clone: not asked
   * again. Any other concerns this file only (EPERM: a flag or a policy on
   * it; on macOS, where the clone is a new name, EACCES, ENOENT, EEXIST of
   * that name): it is copied, and the rest still cloned.
   */
  private readonly cloneUnsupportedHere: ReadonlySet<number>;
  private readonly cancelled: { ok: false; stage: "cancelled"; errno: number };
  /** Told of each chunk of a file copied, while it is copied (the progress bar shows large files move); of a helper's range, the whole taken back when it is done. */
  progress: ((bytes: number) => void) | undefined;

  constructor(private readonly b: Backend) {
    const E = b.errno;
    this.kernelUnsupported = new Set([E.ENOSYS, E.ENOTTY, E.EOPNOTSUPP, E.EINVAL, E.EBADF, E.EXDEV, E.ETXTBSY, E.EPERM, E.EACCES]);
    this.cloneTerminal = new Set([E.EIO, E.ENOMEM, E.ENOSPC, E.EDQUOT]);
    this.cloneUnsupportedHere = new Set([E.EOPNOTSUPP, E.ENOTSUP, E.EXDEV, E.ENOSYS, E.EINVAL, E.ENOTTY, E.EBADF]);
    this.cancelled = { ok: false, stage: "cancelled", errno: E.ECANCELED };
  }

  /** True once cloning between these two devices has failed as unsupported, or cannot happen here at all. */
  cloneUnsupported(srcDev: number, dstDev: number): boolean {
    return (!this.b.clone && !this.b.cloneAt) || this.noClone.has(`${srcDev}:${dstDev}`);
  }

  /**
   * Where the backend clones into a new name only (macOS), the copy begins
   * there: src cloned as dstName of dstDir (the caller's temporary name).
   * The clone, open for writing; undefined when the file is to be copied
   * the other ways (nothing is then left under the name); or the failure
   * of a clone that was demanded, or that failed for good. `widens`: the
   * clone (SOURCE's permission bits) would be open to more than the copy's
   * mode allows, until that is set: then only --reflink=always clones.
   */
  cloneAsNew(src: number, dstDir: number, dstName: Uint8Array, req: CopyRequest, widens = false): { fd: number; outcome: CopyOutcome } | undefined {
    const cloneAt = this.b.cloneAt;
    const pair = `${req.srcDev}:${req.dstDev}`;
    if (!cloneAt || req.reflink === "never" || req.stream || req.into || this.noClone.has(pair)) return undefined;
    if (widens && req.reflink !== "always") return undefined;
    const fd = cloneAt.file(src, dstDir, dstName);
    if (fd >= 0) return { fd, outcome: { ok: true, method: "clone", bytes: req.size } };
    if (req.reflink === "always" || this.cloneTerminal.has(-fd)) return { fd: -1, outcome: { ok: false, stage: "clone", errno: -fd } };
    if (this.cloneUnsupportedHere.has(-fd)) this.noClone.add(pair);
    return undefined;
  }

  copy(src: number, dst: number, req: CopyRequest): CopyOutcome {
    if (req.stream || req.into) return this.pump(src, dst, req);
    const pair = `${req.srcDev}:${req.dstDev}`;
    if (req.reflink === "always" || (req.reflink === "auto" && this.b.clone && !this.noClone.has(pair))) {
      const r = this.b.clone ? this.b.clone.into(src, dst) : -this.b.errno.EOPNOTSUPP;
      if (r === 0) return { ok: true, method: "clone", bytes: req.size };
      if (req.reflink === "always" || this.cloneTerminal.has(-r)) return { ok: false, stage: "clone", errno: -r };
      // Not supported between these filesystems: do not ask again for each file.
      if (this.cloneUnsupportedHere.has(-r)) this.noClone.add(pair);
    }
    if (req.cloneOnly) return { ok: false, stage: "not_cloned" };
    // Fewer blocks than the size needs: there are holes worth keeping.
    const looksSparse = req.sparse !== "never" && req.blocks * 512 < req.size;
    if ((looksSparse || req.sparse === "always") && this.b.holes) return this.copyExtents(src, dst, req);
    if (req.sparse === "always") return this.copyZerosAsHoles(src, dst, req);
    return this.copyLinear(src, dst, req);
  }

  private isCancelled(req: { cancel?: Int32Array }): boolean {
    return req.cancel !== undefined && Atomics.load(req.cancel, 0) !== 0;
  }

  /**
   * Front to back through one buffer, for a fifo or a device on either side
   * (cp reads one named without -r, and writes into one named as DEST):
   * plain reads and writes, the only kind such files allow. Cloning is tried
   * only when it was demanded (it fails, as cp's does); a failure here must
   * not mark the pair as unable.
   *
   * Where the backend waits in steps (streams), both are open without
   * blocking and nothing here blocks for long: a stream source is read once
   * it has data or its writer is gone (or, for a fifo nobody has opened for
   * writing yet, once a writer comes, which is what cp's blocking open waits
   * for), and a full one is written once it has room. A cancel is seen
   * within a step.
   */
  private pump(src: number, dst: number, req: CopyRequest): CopyOutcome {
    const b = this.b;
    const E = b.errno;
    if (req.reflink === "always") {
      const r = b.clone ? b.clone.into(src, dst) : -E.EOPNOTSUPP;
      if (r === 0) return { ok: true, method: "clone", bytes: req.size };
      return { ok: false, stage: "clone", errno: -r };
    }
    if (req.cloneOnly) return { ok: false, stage: "not_cloned" };
    const streamIn = req.stream === true;
    const streamOut = req.into === true;
    const buf = this.chunkBuffer();
    const gaps = req.sparse === "always" && !streamOut ? this.gaps() : undefined;
    let pos = 0;
    for (;;) {
      if (this.isCancelled(req)) return this.cancelled;
      if (streamIn && b.streams) {
        const ready = b.streams.wait(src, false, STREAM_WAIT_MS);
        if (ready < 0) return { ok: false, stage: "read", errno: -ready };
        if (ready === 0) continue;
      }
      const n = b.readAt(src, buf, buf.length, streamIn ? -1 : pos);
      if (n === -E.EAGAIN) continue;
      if (n < 0) return { ok: false, stage: "read", errno: -n };
      if (n === 0) break;
      const w = streamOut ? this.writeStream(dst, buf, n, req) : gaps ? this.writeSkippingZeros(dst, buf, n, pos, gaps) : writeFully(this.b, dst, buf, 0, n, pos);
      if (w === -E.ECANCELED) return this.cancelled;
      if (w < 0) return { ok: false, stage: "write", errno: -w };
      pos += n;
      this.progress?.(n);
    }
    // Zero blocks left as holes at the end: the size says where the data ended.
    const t = gaps ? b.truncate(dst, pos) : 0;
    if (t < 0) return { ok: false, stage: "write", errno: -t };
    if (gaps) this.punchTo(dst, gaps, pos);
    return { ok: true, method: "read_write", bytes: pos, holes: gaps ? "zeros" : undefined };
  }

  /** n bytes where a fifo or device is, waiting in steps while it is full; -ECANCELED on a cancel. */
  private writeStream(dst: number, buf: Uint8Array, n: number, req: CopyRequest): number {
    const b = this.b;
    let done = 0;
    while (done < n) {
      const w = b.writeAt(dst, done === 0 ? buf : buf.subarray(done), n - done, -1);
      if (w === -b.errno.EAGAIN) {
        if (this.isCancelled(req)) return -b.errno.ECANCELED;
        const room = b.streams ? b.streams.wait(dst, true, STREAM_WAIT_MS) : 1;
        if (room < 0) return room;
        continue;
      }
      if (w < 0) return w;
      done += w;
    }
    return 0;
  }

  /** The whole file front to back. */
  private copyLinear(src: number, dst: number, req: CopyRequest): CopyOutcome {
    const b = this.b;
    // A doubled read-ahead window: large files read cold go much faster (cp does this too).
    if (req.size >= SEQUENTIAL_HINT) b.adviseSequential?.(src);
    // The kernel's copy may share extents on its own; "never" means real copies.
    const pair = `${req.srcDev}:${req.dstDev}`;
    const kernelAllowed = req.reflink !== "never" && b.kernelCopy !== undefined;
    let kernelCopyRefused = kernelAllowed && this.noKernelCopy.has(pair);
    if (kernelAllowed && !kernelCopyRefused) {
      // A large file: the first range alone, to learn that the kernel copies
      // this pair, then the rest shared with whichever workers are free.
      const share = req.size >= SHARE_MIN_SIZE ? req.share : undefined;
      const r = this.rangeByKernel(src, dst, 0, share ? SHARE_CHUNK : Infinity, req);
      if (r === undefined) {
        this.noKernelCopy.add(pair);
        kernelCopyRefused = true;
      }
      if (share && r?.ok && !r.eof && r.bytes === SHARE_CHUNK) return this.copyShared(src, dst, share, req);
      if (r !== undefined && (!r.ok || r.bytes > 0)) return r.ok ? { ok: true, method: "kernel", bytes: r.bytes } : r;
      // Nothing copied: unsupported here, or a file like /proc/cpuinfo that
      // says size 0 and gives nothing to copy_file_range. Read it instead.
    }
    let method: CopyMethod = "read_write";
    let pos = 0;
    const batched = req.size > 0 ? this.batchedWhole(src, dst, req) : undefined;
    if (batched) {
      if (!batched.ok) return batched;
      method = "batched";
      pos = batched.bytes;
      if (batched.eof) return { ok: true, method, bytes: pos, kernelCopyRefused };
    }
    // To EOF: a file that grew since it was opened is copied whole.
    const tail = this.rangeByReadWrite(src, dst, pos, Infinity, undefined, req);
    return tail.ok ? { ok: true, method, bytes: pos + tail.bytes, kernelCopyRefused } : tail;
  }

  /**
   * The file's size through the backend's batched reads and writes, in one
   * call, or in KERNEL_CHUNK steps while progress is shown (so that a large
   * file copied across filesystems moves the bar as it goes). Ends early, as
   * one call would, where a read came back short; undefined when the
   * backend cannot batch.
   */
  private batchedWhole(src: number, dst: number, req: CopyRequest): RangeResult | undefined {
    const batchedRange = this.b.batchedRange;
    if (!batchedRange) return undefined;
    const step = this.progress ? KERNEL_CHUNK : req.size;
    let pos = 0;
    while (pos < req.size) {
      const length = Math.min(step, req.size - pos);
      const r = batchedRange.call(this.b, src, dst, pos, length, req.cancel);
      if (r === undefined) return pos === 0 ? undefined : { ok: true, bytes: pos, eof: false };
      if (!r.ok) return r;
      pos += r.bytes;
      this.progress?.(r.bytes);
      if (r.eof || r.bytes < length) return { ok: true, bytes: pos, eof: r.eof };
    }
    return { ok: true, bytes: pos, eof: false };
  }

  /**
   * Everything after the first range, in ranges that this worker and any
   * helpers claim; then, alone, whatever lies past the size seen at open.
   */
  private copyShared(src: number, dst: number, share: (copy: SharedCopy) => void, req: CopyRequest): CopyOutcome {
    const ranges = SharedRanges.create(SHARE_CHUNK, req.size, SHARE_CHUNK);
    share({ state: ranges.state, src, dst });
    try {
      ranges.work((start, length) => this.kernelRange(src, dst, start, length), () => this.isCancelled(req));
    } finally {
      // Even after a throw: no helper may still be writing once the caller closes dst.
      ranges.waitAll();
    }
    if (ranges.errno) {
      // Ranges after the failed one may be written: cut them off, so that what
      // is left (--inplace leaves it) holds no zeros followed by data. Said
      // also where the run was cancelled meanwhile.
      this.b.truncate(dst, Math.min(ranges.failedFrom, ranges.copiedTo));
      return { ok: false, stage: "copy", errno: ranges.errno };
    }
    if (this.isCancelled(req)) return this.cancelled;
    // A range met EOF early: the file shrank. Drop what later ranges wrote
    // past that point, and read on from it in case it grew again.
    const pos = ranges.copiedTo;
    if (pos < ranges.end) {
      const t = this.b.truncate(dst, pos);
      if (t < 0) return { ok: false, stage: "write", errno: -t };
    }
    const tail = this.rangeByKernel(src, dst, pos, Infinity, req) ?? this.rangeByReadWrite(src, dst, pos, Infinity, undefined, req);
    return tail.ok ? { ok: true, method: "kernel", bytes: pos + tail.bytes } : tail;
  }

  /**
   * A helper's share of another worker's copyShared, until no range is left;
   * returns how many it copied. The source is opened again where the backend
   * can, so that this stream has read-ahead of its own (two streams on one
   * open file defeat each other's). It is opened only once a range is
   * claimed: until then the owner may already have finished and closed it.
   */
  help(copy: SharedCopy, cancel: Int32Array | undefined): number {
    const b = this.b;
    let src = -1;
    const ranges = new SharedRanges(copy.state);
    try {
      return ranges.work((start, length) => {
        if (src < 0) {
          src = b.reopenRead?.(copy.src) ?? -1;
          if (src < 0) src = copy.src;
          else b.adviseSequential?.(src);
        }
        let shown = 0;
        const progress = this.progress;
        if (progress) this.progress = (bytes) => {
          shown += bytes;
          progress(bytes);
        };
        try {
          return this.kernelRange(src, copy.dst, start, length);
        } finally {
          // Before the range is marked done: once the file's own worker counts the whole file, no helper still shows a part of it.
          this.progress = progress;
          progress?.(-shown);
        }
      }, () => cancel !== undefined && Atomics.load(cancel, 0) !== 0);
    } finally {
      // Also when a copy threw: the reopened source is this helper's alone.
      if (src >= 0 && src !== copy.src) b.close(src);
    }
  }

  /** [start, start + length) by the kernel's copy where it can, else read and written: bytes copied (fewer at EOF), or -errno. */
  private kernelRange(src: number, dst: number, start: number, length: number): number {
    const kernel = this.b.kernelCopy;
    let copied = 0;
    while (kernel && copied < length) {
      const n = kernel.range(src, start + copied, dst, start + copied, length - copied);
      if (n < 0) return n;
      if (n === 0) return copied;
      copied += n;
      this.progress?.(n);
    }
    if (kernel) return copied;
    const r = this.rangeByReadWrite(src, dst, start, length, undefined, {});
    return r.ok ? r.bytes : -r.errno;
  }

  /**
   * Data extents only; holes are left as holes. The size is set at the end to
   * what was read or reported a hole, never to a size taken from stat: a
   * sysfs file that says 4096 bytes and gives 23 is 23 bytes, and a file that
   * grew after its last extent was read does not get zeros for its new bytes.
   */
  private copyExtents(src: number, dst: number, req: CopyRequest): CopyOutcome {
    const b = this.b;
    const holes = b.holes!;
    const skipZeros = req.sparse === "always";
    const gaps = skipZeros ? this.gaps() : undefined;
    const marked = holes.sparseLike?.(src, dst) ?? 0;
    // A volume that cannot make dst sparse (FAT, exFAT) reads what is never
    // written as zeros all the same: the holes are then written out, in effect.
    const unsupported = marked === -b.errno.EOPNOTSUPP || marked === -b.errno.ENOTSUP;
    if (marked < 0 && !unsupported) return { ok: false, stage: "write", errno: -marked };
    let method: CopyMethod | undefined;
    const pair = `${req.srcDev}:${req.dstDev}`;
    const kernelAllowed = req.reflink !== "never" && !skipZeros && b.kernelCopy !== undefined;
    let useKernel = kernelAllowed && !this.noKernelCopy.has(pair);
    let bytes = 0;
    /** Everything before this offset is in dst: bytes read, or a hole the source reported. */
    let pos = 0;
    let unsettled = 0;
    for (;;) {
      if (this.isCancelled(req)) return this.cancelled;
      const data = holes.nextData(src, pos);
      if (data === -b.errno.ENXIO) {
        const end = this.trailingHoleEnd(src, pos);
        if (typeof end === "object") return end;
        if (end === undefined && ++unsettled < MAX_UNSETTLED) continue;
        // A file that keeps changing its end: keep only what was read.
        pos = end ?? pos;
        break;
      }
      if (data < 0) {
        // No hole reporting here after all: copy the rest front to back.
        if (pos > 0) return { ok: false, stage: "read", errno: -data };
        return skipZeros ? this.copyZerosAsHoles(src, dst, req) : this.copyLinear(src, dst, req);
      }
      const hole = holes.nextHole(src, data);
      if (hole < 0) return { ok: false, stage: "read", errno: -hole };
      // All data by SEEK_HOLE, yet fewer blocks than the size needs: the
      // filesystem does not report its holes (many FUSE ones). Blocks of
      // zeros become holes instead, as cp's --sparse=auto makes them there.
      if (pos === 0 && data === 0 && hole >= req.size && req.sparse === "auto") return this.copyZerosAsHoles(src, dst, req);
      let r: RangeResult | undefined;
      if (useKernel) {
        r = this.rangeByKernel(src, dst, data, hole - data, req);
        if (r === undefined) {
          this.noKernelCopy.add(pair);
          useKernel = false;
        } else method ??= "kernel";
      }
      if (r === undefined && !skipZeros) {
        r = b.batchedRange?.(src, dst, data, hole - data, req.cancel);
        if (r) method ??= "batched";
      }
      if (r === undefined) {
        r = this.rangeByReadWrite(src, dst, data, hole - data, gaps, req);
        method ??= "read_write";
      }
      if (!r.ok) return r;
      bytes += r.bytes;
      pos = data + r.bytes;
      // A read that gave nothing is the end, whatever SEEK_HOLE said (sysfs
      // reports 4096 bytes of data for a file of 23). Short of the hole
      // otherwise: a short read, and the rest is copied next time round.
      if (r.eof || r.bytes === 0) break;
    }
    const found: HoleSearch = skipZeros ? "reported+zeros" : "reported";
    return this.endAt(dst, pos, { ok: true, method: method ?? "read_write", bytes, holes: found, kernelCopyRefused: kernelAllowed && !useKernel }, gaps);
  }

  /** --sparse=always where the source's holes cannot be asked for: every byte read, blocks of zeros left as holes. */
  private copyZerosAsHoles(src: number, dst: number, req: CopyRequest): CopyOutcome {
    const gaps = this.gaps();
    const r = this.rangeByReadWrite(src, dst, 0, Infinity, gaps, req);
    if (!r.ok) return r;
    return this.endAt(dst, r.bytes, { ok: true, method: "read_write", bytes: r.bytes, holes: "zeros" }, gaps);
  }

  /**
   * The end of a trailing hole from `pos`: the size, if the source holds no
   * data from pos to its end both before and after that size was read;
   * undefined when it changed meanwhile (look again), or an outcome on error.
   */
  private trailingHoleEnd(src: number, pos: number): number | undefined | CopyOutcome {
    const holes = this.b.holes!;
    const end = holes.end(src);
    if (end < 0) return { ok: false, stage: "read", errno: -end };
    if (end <= pos) return pos;
    const again = holes.nextData(src, pos);
    if (again !== -this.b.errno.ENXIO) return again < 0 ? { ok: false, stage: "read", errno: -again } : undefined;
    return holes.end(src) === end ? end : undefined;
  }

  /** Sets dst's size: holes and skipped zero blocks at the end read back as zeros. */
  private endAt(dst: number, size: number, outcome: CopyOutcome, gaps?: Gaps): CopyOutcome {
    const t = this.b.truncate(dst, size);
    if (t < 0) return { ok: false, stage: "write", errno: -t };
    if (gaps) this.punchTo(dst, gaps, size);
    return outcome.ok ? { ...outcome, size } : outcome;
  }

  private gaps(): Gaps {
    return { end: 0, punch: this.b.holes?.punch !== undefined };
  }

  /** dst from gaps.end to pos, where nothing was written, punched. */
  private punchTo(dst: number, gaps: Gaps, pos: number): void {
    if (pos <= gaps.end) return;
    // Only allocation is at stake (the gap reads as zeros either way): a refusal ends the punching, not the copy.
    if (gaps.punch && this.b.holes!.punch!(dst, gaps.end, pos - gaps.end) < 0) gaps.punch = false;
    gaps.end = pos;
  }

  /**
   * The kernel's copy over [start, start + length) or to EOF. undefined when
   * it cannot do it for this pair and nothing was copied.
   */
  private rangeByKernel(src: number, dst: number, start: number, length: number, req: CopyRequest): RangeResult | undefined {
    const kernel = this.b.kernelCopy!;
    let copied = 0;
    while (copied < length) {
      if (this.isCancelled(req)) return this.cancelled;
      const n = kernel.range(src, start + copied, dst, start + copied, Math.min(KERNEL_CHUNK, length - copied));
      if (n < 0) {
        if (copied === 0 && this.kernelUnsupported.has(-n)) return undefined;
        return { ok: false, stage: "copy", errno: -n };
      }
      if (n === 0) return { ok: true, bytes: copied, eof: true };
      copied += n;
      this.progress?.(n);
    }
    return { ok: true, bytes: copied, eof: false };
  }

  private chunkBuffer(): Uint8Array {
    this.buffer ??= new Uint8Array(RW_CHUNK);
    return this.buffer;
  }

  /** gaps: --sparse=always, whose blocks of zeros are left unwritten. */
  private rangeByReadWrite(src: number, dst: number, start: number, length: number, gaps: Gaps | undefined, req: { cancel?: Int32Array }): RangeResult {
    const buf = this.chunkBuffer();
    let copied = 0;
    while (copied < length) {
      if (this.isCancelled(req)) return this.cancelled;
      const pos = start + copied;
      const n = this.b.readAt(src, buf, Math.min(buf.length, length - copied), pos);
      if (n < 0) return { ok: false, stage: "read", errno: -n };
      if (n === 0) return { ok: true, bytes: copied, eof: true };
      const w = gaps ? this.writeSkippingZeros(dst, buf, n, pos, gaps) : writeFully(this.b, dst, buf, 0, n, pos);
      if (w < 0) return { ok: false, stage: "write", errno: -w };
      copied += n;
      this.progress?.(n);
    }
    return { ok: true, bytes: copied, eof: false };
  }

  /**
   * Writes only the blocks that are not all zeros; the others become holes.
   * A short block of zeros (the end of a read) is left out too: the caller
   * sets the final size, and the gap reads back as zeros. Each gap before a
   * block written is punched first.
   */
  private writeSkippingZeros(dst: number, buf: Uint8Array, n: number, pos: number, gaps: Gaps): number {
    const words = new BigUint64Array(buf.buffer, buf.byteOffset, Math.floor(n / 8));
    let runStart = -1;
    for (let block = 0; block < n; block += ZERO_BLOCK) {
      const end = Math.min(block + ZERO_BLOCK, n);
      const wordsEnd = Math.floor(end / 8);
      let zero = true;
      for (let w = block / 8; zero && w < wordsEnd; w++) if (words[w] !== 0n) zero = false;
      for (let i = wordsEnd * 8; zero && i < end; i++) if (buf[i] !== 0) zero = false;
      if (!zero && runStart < 0) runStart = block;
      if (zero && runStart >= 0) {
        const r = this.writeRun(dst, buf, runStart, block, pos, gaps);
        if (r < 0) return r;
        runStart = -1;
      }
    }
    if (runStart >= 0) return this.writeRun(dst, buf, runStart, n, pos, gaps);
    return 0;
  }

  /** buf[from, to) at pos + from, the gap before it punched. */
  private writeRun(dst: number, buf: Uint8Array, from: number, to: number, pos: number, gaps: Gaps): number {
    this.punchTo(dst, gaps, pos + from);
    const r = writeFully(this.b, dst, buf, from, to, pos + from);
    if (r === 0) gaps.end = pos + to;
    return r;
  }
}
