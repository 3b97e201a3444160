// The bytes of one regular file, by the best method that works here:
// FICLONE, then copy_file_range, then the worker's io_uring ring, then plain
// pread/pwrite. Sparse sources are copied extent by extent (SEEK_DATA /
// SEEK_HOLE) so holes stay holes; every copy reads to EOF, whatever the size
// was when the file was opened.

import type { CopyMethod, CopyOutcome, CopyRequest } from "../backend.ts";
import { SHARE_CHUNK, SHARE_MIN_SIZE, type SharedCopy, SharedRanges } from "../shared-ranges.ts";
import { type RangeResult, Ring } from "./ring.ts";
import { type Constants, LINUX_ERRNO as E, type Shim } from "./shim.ts";

/** copy_file_range failures that mean "this method cannot do it here". */
const CFR_FALLBACK = new Set([E.ENOSYS, E.ENOTTY, E.EOPNOTSUPP, E.EINVAL, E.EBADF, E.EXDEV, E.ETXTBSY, E.EPERM, E.EACCES]);
/** After a failed clone these are real failures, not a reason to try another method. */
const CLONE_TERMINAL = new Set([E.EIO, E.ENOMEM, E.ENOSPC, E.EDQUOT]);

const RW_CHUNK = 1 << 20;
/** copy_file_range per call: small enough to notice a cancel request soon. */
const CFR_CHUNK = 64 << 20;
const ZERO_BLOCK = 4096;
const SEEK_END = 2;
/** Times a trailing hole is looked at again while the file's end keeps moving. */
const MAX_UNSETTLED = 8;
const SEQUENTIAL_HINT = 1 << 20;
const POSIX_FADV_SEQUENTIAL = 2;
const POLLIN = 0x1;
const POLLOUT = 0x4;
/** How long a stream read waits before looking at the cancel flag again. */
const STREAM_WAIT_MS = 100;

const cancelled = { ok: false, stage: "cancelled", errno: E.ECANCELED } as const;

export class DataCopier {
  private buffer: Uint8Array | undefined;
  private ring: Ring | null | undefined;
  ringFailure = "";
  queueDepth = 128;
  /** Device pairs where FICLONE, or copy_file_range, has failed as unsupported. */
  private readonly noClone = new Set<string>();
  private readonly noKernelCopy = new Set<string>();

  constructor(
    private readonly shim: Shim,
    private readonly c: Constants,
    private readonly strerror: (errno: number) => string,
  ) {}

  /** The worker's ring, created on first use; null when io_uring is off or absent. */
  ringState(): Ring | null {
    if (this.ring?.broken) {
      this.ring = null;
      this.ringFailure = "abandoned after a failed wait";
    }
    if (this.ring !== undefined) return this.ring;
    this.ring = null;
    if (process.env.BLIT_NO_URING === "1") {
      this.ringFailure = "disabled by BLIT_NO_URING=1";
      return null;
    }
    const ring = Ring.create(this.shim, this.queueDepth);
    if (typeof ring === "number") this.ringFailure = this.strerror(-ring);
    else this.ring = ring;
    return this.ring;
  }

  cloneUnsupported(srcDev: number, dstDev: number): boolean {
    return this.noClone.has(`${srcDev}:${dstDev}`);
  }

  /** The ring if one was made, without making one. */
  ringIfCreated(): Ring | undefined {
    return this.ring ?? undefined;
  }

  copy(src: number, dst: number, req: CopyRequest): CopyOutcome {
    if (req.stream || req.into) return this.pump(src, dst, req);
    const pair = `${req.srcDev}:${req.dstDev}`;
    if (req.reflink === "always" || (req.reflink === "auto" && !this.noClone.has(pair))) {
      const r = this.shim.blit_ficlone(dst, src);
      if (r === 0) return { ok: true, method: "clone", bytes: req.size };
      if (req.reflink === "always" || CLONE_TERMINAL.has(-r)) return { ok: false, stage: "clone", errno: -r };
      // Not supported between these filesystems: do not ask again for each file.
      this.noClone.add(pair);
    }
    if (req.cloneOnly) return { ok: false, stage: "not_cloned" };
    // Fewer blocks than the size needs: there are holes worth keeping.
    const looksSparse = req.sparse !== "never" && req.blocks * 512 < req.size;
    if (looksSparse || req.sparse === "always") return this.copyExtents(src, dst, req);
    return this.copyLinear(src, dst, req);
  }

  private isCancelled(req: CopyRequest): boolean {
    return req.cancel !== undefined && Atomics.load(req.cancel, 0) !== 0;
  }

  /**
   * Front to back through one buffer, for a fifo or a device on either side
   * (cp reads one named without -r, and writes into one named as DEST):
   * plain reads and writes, the only kind such files allow. Cloning is tried
   * only when it was demanded (it fails, as cp's does); a failure here must
   * not mark the pair as unable.
   *
   * Both are open O_NONBLOCK, so nothing here blocks for long: a stream
   * source is read once it has data or its writer is gone (or, for a fifo
   * nobody has opened for writing yet, once a writer comes, which is what
   * cp's blocking open waits for), and a full one is written once it has
   * room, each waited for in steps. A cancel is seen within a step.
   */
  private pump(src: number, dst: number, req: CopyRequest): CopyOutcome {
    if (req.reflink === "always") {
      const r = this.shim.blit_ficlone(dst, src);
      if (r === 0) return { ok: true, method: "clone", bytes: req.size };
      return { ok: false, stage: "clone", errno: -r };
    }
    if (req.cloneOnly) return { ok: false, stage: "not_cloned" };
    const streamIn = req.stream === true;
    const streamOut = req.into === true;
    this.buffer ??= new Uint8Array(RW_CHUNK);
    const buf = this.buffer;
    const skipZeros = req.sparse === "always" && !streamOut;
    let pos = 0;
    for (;;) {
      if (this.isCancelled(req)) return cancelled;
      if (streamIn) {
        const ready = this.shim.blit_poll(src, POLLIN, STREAM_WAIT_MS);
        if (ready < 0) return { ok: false, stage: "read", errno: -ready };
        if (ready === 0) continue;
      }
      const n = this.shim.blit_pread(src, buf, buf.length, streamIn ? -1 : pos);
      if (n === -E.EAGAIN) continue;
      if (n < 0) return { ok: false, stage: "read", errno: -n };
      if (n === 0) break;
      const w = streamOut ? this.writeStream(dst, buf, n, req) : skipZeros ? this.writeSkippingZeros(dst, buf, n, pos) : this.writeAll(dst, buf, 0, n, pos);
      if (w === -E.ECANCELED) return cancelled;
      if (w < 0) return { ok: false, stage: "write", errno: -w };
      pos += n;
    }
    // Zero blocks left as holes at the end: the size says where the data ended.
    const t = skipZeros ? this.shim.blit_ftruncate(dst, pos) : 0;
    if (t < 0) return { ok: false, stage: "write", errno: -t };
    return { ok: true, method: "read_write", bytes: pos, holes: skipZeros ? "zeros" : undefined };
  }

  /** n bytes where a fifo or device is, waiting in steps while it is full; -ECANCELED on a cancel. */
  private writeStream(dst: number, buf: Uint8Array, n: number, req: CopyRequest): number {
    let done = 0;
    while (done < n) {
      const w = this.shim.blit_pwrite(dst, done === 0 ? buf : buf.subarray(done), n - done, -1);
      if (w === -E.EAGAIN) {
        if (this.isCancelled(req)) return -E.ECANCELED;
        const room = this.shim.blit_poll(dst, POLLOUT, STREAM_WAIT_MS);
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
    // A doubled read-ahead window: large files read cold go much faster (cp does this too).
    if (req.size >= SEQUENTIAL_HINT) this.shim.blit_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
    // copy_file_range may share extents on its own; "never" means real copies.
    const pair = `${req.srcDev}:${req.dstDev}`;
    let kernelCopyRefused = req.reflink !== "never" && this.noKernelCopy.has(pair);
    if (req.reflink !== "never" && !kernelCopyRefused) {
      // A large file: the first range alone, to learn that the kernel copies
      // this pair, then the rest shared with whichever workers are free.
      const share = req.size >= SHARE_MIN_SIZE ? req.share : undefined;
      const r = this.rangeByKernel(src, dst, 0, share ? SHARE_CHUNK : Infinity, req);
      if (r === undefined) {
        this.noKernelCopy.add(pair);
        kernelCopyRefused = true;
      }
      if (share && r?.ok && !r.eof && r.bytes === SHARE_CHUNK) return this.copyShared(src, dst, share, req);
      if (r !== undefined && (!r.ok || r.bytes > 0)) return r.ok ? { ok: true, method: "copy_file_range", bytes: r.bytes } : r;
      // Nothing copied: unsupported here, or a file like /proc/cpuinfo that
      // says size 0 and gives nothing to copy_file_range. Read it instead.
    }
    const ring = req.size > 0 ? this.ringState() : null;
    let method: CopyMethod = "read_write";
    let pos = 0;
    if (ring) {
      const r = ring.copyRange(src, dst, 0, req.size, req.cancel);
      if (!r.ok) return r;
      method = "io_uring";
      pos = r.bytes;
      if (r.eof) return { ok: true, method, bytes: pos, kernelCopyRefused };
    }
    // To EOF: a file that grew since it was opened is copied whole.
    const tail = this.rangeByReadWrite(src, dst, pos, Infinity, false, req);
    return tail.ok ? { ok: true, method, bytes: pos + tail.bytes, kernelCopyRefused } : tail;
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
    if (this.isCancelled(req)) return cancelled;
    if (ranges.errno) return { ok: false, stage: "copy", errno: ranges.errno };
    // A range met EOF early: the file shrank. Drop what later ranges wrote
    // past that point, and read on from it in case it grew again.
    const pos = ranges.copiedTo;
    if (pos < ranges.end) {
      const t = this.shim.blit_ftruncate(dst, pos);
      if (t < 0) return { ok: false, stage: "write", errno: -t };
    }
    const tail = this.rangeByKernel(src, dst, pos, Infinity, req) ?? this.rangeByReadWrite(src, dst, pos, Infinity, false, req);
    return tail.ok ? { ok: true, method: "copy_file_range", bytes: pos + tail.bytes } : tail;
  }

  /**
   * A helper's share of another worker's copyShared. The source is opened
   * again (through /proc) so that this stream has read-ahead of its own:
   * two streams on one open file defeat each other's read-ahead. It is
   * opened only once a range is claimed, because until then the owner may
   * already have finished and closed it.
   */
  help(copy: SharedCopy, cancel: Int32Array | undefined): number {
    const c = this.c;
    let src = -1;
    const ranges = new SharedRanges(copy.state);
    try {
      return ranges.work((start, length) => {
        if (src < 0) {
          const path = new TextEncoder().encode(`/proc/self/fd/${copy.src}\0`);
          src = this.shim.blit_openat(c.AT_FDCWD, path, c.O_RDONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK, 0);
          if (src < 0) src = copy.src;
          else this.shim.blit_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
        }
        return this.kernelRange(src, copy.dst, start, length);
      }, () => cancel !== undefined && Atomics.load(cancel, 0) !== 0);
    } finally {
      // Also when a copy threw: the reopened source is this helper's alone.
      if (src >= 0 && src !== copy.src) this.shim.blit_close(src);
    }
  }

  /** copy_file_range over [start, start + length): bytes copied (fewer at EOF), or a negated errno. */
  private kernelRange(src: number, dst: number, start: number, length: number): number {
    let copied = 0;
    while (copied < length) {
      const n = this.shim.blit_copy_file_range(src, start + copied, dst, start + copied, length - copied);
      if (n < 0) return n;
      if (n === 0) break;
      copied += n;
    }
    return copied;
  }

  /**
   * Data extents only; holes are left as holes. The size is set at the end to
   * what was read or reported a hole, never to a size taken from stat: a
   * sysfs file that says 4096 bytes and gives 23 is 23 bytes, and a file that
   * grew after its last extent was read does not get zeros for its new bytes.
   */
  private copyExtents(src: number, dst: number, req: CopyRequest): CopyOutcome {
    const { SEEK_DATA, SEEK_HOLE } = this.c;
    const skipZeros = req.sparse === "always";
    let method: CopyMethod | undefined;
    const pair = `${req.srcDev}:${req.dstDev}`;
    const kernelAllowed = req.reflink !== "never" && !skipZeros;
    let useKernel = kernelAllowed && !this.noKernelCopy.has(pair);
    let bytes = 0;
    /** Everything before this offset is in dst: bytes read, or a hole the source reported. */
    let pos = 0;
    let unsettled = 0;
    for (;;) {
      if (this.isCancelled(req)) return cancelled;
      const data = this.shim.blit_lseek(src, pos, SEEK_DATA);
      if (data === -E.ENXIO) {
        const end = this.trailingHoleEnd(src, pos);
        if (typeof end === "object") return end;
        if (end === undefined && ++unsettled < MAX_UNSETTLED) continue;
        // A file that keeps changing its end: keep only what was read.
        pos = end ?? pos;
        break;
      }
      if (data < 0) {
        // No hole reporting here after all: copy the rest front to back.
        if (pos === 0 && !skipZeros) return this.copyLinear(src, dst, req);
        if (pos > 0) return { ok: false, stage: "read", errno: -data };
        const r = this.rangeByReadWrite(src, dst, 0, Infinity, true, req);
        if (!r.ok) return r;
        return this.endAt(dst, r.bytes, { ok: true, method: "read_write", bytes: r.bytes, holes: "zeros" });
      }
      const hole = this.shim.blit_lseek(src, data, SEEK_HOLE);
      if (hole < 0) return { ok: false, stage: "read", errno: -hole };
      let r: RangeResult | undefined;
      if (useKernel) {
        r = this.rangeByKernel(src, dst, data, hole - data, req);
        if (r === undefined) {
          this.noKernelCopy.add(pair);
          useKernel = false;
        } else method ??= "copy_file_range";
      }
      if (r === undefined) {
        const ring = skipZeros ? null : this.ringState();
        if (ring) {
          r = ring.copyRange(src, dst, data, hole - data, req.cancel);
          method ??= "io_uring";
        } else {
          r = this.rangeByReadWrite(src, dst, data, hole - data, skipZeros, req);
          method ??= "read_write";
        }
      }
      if (!r.ok) return r;
      bytes += r.bytes;
      pos = data + r.bytes;
      // A read that gave nothing is the end, whatever SEEK_HOLE said (sysfs
      // reports 4096 bytes of data for a file of 23). Short of the hole
      // otherwise: a short read, and the rest is copied next time round.
      if (r.eof || r.bytes === 0) break;
    }
    const holes = skipZeros ? "reported+zeros" : "reported";
    return this.endAt(dst, pos, { ok: true, method: method ?? "read_write", bytes, holes, kernelCopyRefused: kernelAllowed && !useKernel });
  }

  /**
   * The end of a trailing hole from `pos`: the size, if the source holds no
   * data from pos to its end both before and after that size was read;
   * undefined when it changed meanwhile (look again), or an outcome on error.
   */
  private trailingHoleEnd(src: number, pos: number): number | undefined | CopyOutcome {
    const end = this.shim.blit_lseek(src, 0, SEEK_END);
    if (end < 0) return { ok: false, stage: "read", errno: -end };
    if (end <= pos) return pos;
    const again = this.shim.blit_lseek(src, pos, this.c.SEEK_DATA);
    if (again !== -E.ENXIO) return again < 0 ? { ok: false, stage: "read", errno: -again } : undefined;
    return this.shim.blit_lseek(src, 0, SEEK_END) === end ? end : undefined;
  }

  /** Sets dst's size: holes and skipped zero blocks at the end read back as zeros. */
  private endAt(dst: number, size: number, outcome: CopyOutcome): CopyOutcome {
    const t = this.shim.blit_ftruncate(dst, size);
    return t < 0 ? { ok: false, stage: "write", errno: -t } : outcome;
  }

  /**
   * copy_file_range over [start, start + length) or to EOF. undefined when
   * the kernel cannot do it for this pair and nothing was copied.
   */
  private rangeByKernel(src: number, dst: number, start: number, length: number, req: CopyRequest): RangeResult | undefined {
    let copied = 0;
    while (copied < length) {
      if (this.isCancelled(req)) return cancelled;
      const n = this.shim.blit_copy_file_range(src, start + copied, dst, start + copied, Math.min(CFR_CHUNK, length - copied));
      if (n < 0) {
        if (copied === 0 && CFR_FALLBACK.has(-n)) return undefined;
        return { ok: false, stage: "copy", errno: -n };
      }
      if (n === 0) return { ok: true, bytes: copied, eof: true };
      copied += n;
    }
    return { ok: true, bytes: copied, eof: false };
  }

  private rangeByReadWrite(src: number, dst: number, start: number, length: number, skipZeros: boolean, req: CopyRequest): RangeResult {
    this.buffer ??= new Uint8Array(RW_CHUNK);
    const buf = this.buffer;
    let copied = 0;
    while (copied < length) {
      if (this.isCancelled(req)) return cancelled;
      const pos = start + copied;
      const n = this.shim.blit_pread(src, buf, Math.min(buf.length, length - copied), pos);
      if (n < 0) return { ok: false, stage: "read", errno: -n };
      if (n === 0) return { ok: true, bytes: copied, eof: true };
      const w = skipZeros ? this.writeSkippingZeros(dst, buf, n, pos) : this.writeAll(dst, buf, 0, n, pos);
      if (w < 0) return { ok: false, stage: "write", errno: -w };
      copied += n;
    }
    return { ok: true, bytes: copied, eof: false };
  }

  private writeAll(dst: number, buf: Uint8Array, from: number, to: number, pos: number): number {
    let done = from;
    while (done < to) {
      const w = this.shim.blit_pwrite(dst, done === 0 ? buf : buf.subarray(done), to - done, pos + done - from);
      if (w < 0) return w;
      done += w;
    }
    return 0;
  }

  /**
   * Writes only the blocks that are not all zeros; the others become holes.
   * A short block of zeros (the end of a read) is left out too: the caller
   * sets the final size, and the gap reads back as zeros.
   */
  private writeSkippingZeros(dst: number, buf: Uint8Array, n: number, pos: number): number {
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
        const r = this.writeAll(dst, buf, runStart, block, pos + runStart);
        if (r < 0) return r;
        runStart = -1;
      }
    }
    if (runStart >= 0) return this.writeAll(dst, buf, runStart, n, pos + runStart);
    return 0;
  }
}
