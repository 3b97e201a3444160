// One io_uring ring per worker thread, driven by polling (no callbacks from
// native code): operations are written into a caller-owned buffer, submitted
// in one call, and their completions reaped into another.

import { ptr } from "bun:ffi";
import { CQE_SIZE, OP_SIZE, OPF_LINK, RingOp, type RingOpName } from "../abi.ts";
import { stableBytes } from "../reusable-buffer.ts";
import { LINUX_ERRNO as E, type Shim } from "./shim.ts";

export const RING_CHUNK = 256 << 10;
const COPY_SLOTS = 4;
const ECANCELED = E.ECANCELED;
const TWO_32 = 4294967296;

/** Result of copying a byte range: bytes copied up to EOF, or a failure. */
export type RangeResult =
  | { ok: true; bytes: number; eof: boolean }
  | { ok: false; stage: "read" | "write" | "copy" | "cancelled"; errno: number };

/** One operation of a batch; addresses are raw pointers (ptr() + offset). */
export interface BatchOp {
  op: RingOpName;
  fd: number;
  addr?: number;
  addr2?: number;
  len?: number;
  offset?: number;
  opFlags?: number;
  mode?: number;
  fd2?: number;
}

/**
 * Rings given up on with operations possibly still in flight, and the
 * callers' buffers those operations point into. They stay referenced for the
 * life of the process: the kernel may still read from or write into them, so
 * they must never be collected or reused.
 */
const abandoned: (Ring | Uint8Array)[] = [];

/** Keeps buffers that operations of a given-up ring point into out of reach of reuse and of the collector. */
export function keepForever(...buffers: Uint8Array[]): void {
  abandoned.push(...buffers);
}

export class Ring {
  private ops: Uint8Array;
  private opsView: DataView;
  private readonly cqes: Uint8Array;
  private readonly cqesView: DataView;
  private copyBuffers: Uint8Array[] | undefined;
  private copyAddrs: number[] = [];
  /** Set when a submission or a wait failed: the ring must not be reused. */
  broken = false;
  /** Set while runBatch hands a completion on: the ring is not to be used from there. */
  private delivering = false;
  /** io_uring_enter round trips and operations, for --stats. */
  submits = 0;
  opsSubmitted = 0;

  private constructor(
    private readonly shim: Shim,
    readonly handle: bigint,
    readonly depth: number,
  ) {
    this.ops = new Uint8Array(OP_SIZE * depth);
    this.opsView = new DataView(this.ops.buffer);
    this.cqes = new Uint8Array(CQE_SIZE * depth);
    this.cqesView = new DataView(this.cqes.buffer);
  }

  /** A ring, or the negated errno that says why io_uring is not available. */
  static create(shim: Shim, depth: number): Ring | number {
    const out = new BigUint64Array(1);
    const r = shim.blit_ring_create(depth, out);
    if (r < 0) return r;
    const limit = process.env.BLIT_IOWQ_MAX?.split(",").map(Number);
    if (limit?.length === 2) shim.blit_ring_max_workers(out[0]!, limit[0]!, limit[1]!);
    return new Ring(shim, out[0]!, depth);
  }

  private abandon(): void {
    this.broken = true;
    abandoned.push(this);
    // Torn down, so that the kernel cancels what is still queued: a write
    // linked to a read still in flight takes its descriptor's number when
    // it is issued, and that number may by then name another file. Its
    // buffers stay referenced (abandoned) for any read still running.
    this.destroy();
  }

  private put(index: number, op: BatchOp, linked: boolean, userData: number): void {
    const v = this.opsView;
    const base = index * OP_SIZE;
    this.ops.fill(0, base, base + OP_SIZE);
    v.setUint8(base, RingOp[op.op]);
    v.setUint8(base + 1, linked ? OPF_LINK : 0);
    v.setInt32(base + 4, op.fd, true);
    const addr = op.addr ?? 0;
    v.setUint32(base + 8, addr % TWO_32, true);
    v.setUint32(base + 12, Math.floor(addr / TWO_32), true);
    const addr2 = op.addr2 ?? 0;
    v.setUint32(base + 16, addr2 % TWO_32, true);
    v.setUint32(base + 20, Math.floor(addr2 / TWO_32), true);
    const offset = op.offset ?? 0;
    v.setUint32(base + 24, offset % TWO_32, true);
    v.setUint32(base + 28, Math.floor(offset / TWO_32), true);
    v.setUint32(base + 32, op.len ?? 0, true);
    v.setUint32(base + 36, op.opFlags ?? 0, true);
    v.setUint32(base + 40, op.mode ?? 0, true);
    v.setInt32(base + 44, op.fd2 ?? 0, true);
    v.setUint32(base + 48, userData, true);
  }

  /**
   * Runs independent operations, up to the ring's depth in flight at once,
   * and returns each one's result (>= 0, or a negated errno) by position.
   * Blocking operations (a cold statx, openat, read) run in parallel in the
   * kernel's io-wq threads: this is how cold metadata and data are fetched
   * many at a time. `each`, if given, gets every result as it completes,
   * while the others are still in flight; it must not use this ring.
   */
  runBatch(ops: BatchOp[], each?: (index: number, result: number) => void): Int32Array {
    if (this.delivering) throw new Error("io_uring batch started from a completion of another");
    const results = new Int32Array(ops.length);
    const completed = new Uint8Array(ops.length);
    // What `each` threw (a bug): the batch is still drained, so that no
    // operation is left in flight to be reaped as another batch's, then it is thrown.
    let thrown: { error: unknown } | undefined;
    const complete = (index: number, result: number): void => {
      results[index] = result;
      completed[index] = 1;
      if (!each || thrown) return;
      this.delivering = true;
      try {
        each(index, result);
      } catch (error) {
        thrown = { error };
      } finally {
        this.delivering = false;
      }
    };
    const failRest = (error: number): Int32Array => {
      for (let i = 0; i < ops.length; i++) if (!completed[i]) complete(i, error);
      if (thrown) throw thrown.error;
      return results;
    };
    // On a failed submission or wait, whatever has not completed fails with
    // that error (its real outcome can no longer be known), and the ring is
    // given up.
    const giveUp = (error: number): Int32Array => {
      this.abandon();
      return failRest(error);
    };
    // Given up during an earlier batch of the same call (readMany opens, then reads).
    if (this.broken) return failRest(-E.EIO);
    let next = 0;
    let done = 0;
    let inflight = 0;
    while (done < ops.length) {
      let queued = 0;
      while (next < ops.length && inflight + queued < this.depth) {
        this.put(queued, ops[next]!, false, next);
        next++;
        queued++;
      }
      if (queued > 0) {
        const r = this.shim.blit_ring_submit(this.handle, this.ops, queued);
        this.submits++;
        if (r !== queued) return giveUp(r < 0 ? r : -E.EIO);
        this.opsSubmitted += r;
        inflight += r;
      }
      const got = this.shim.blit_ring_reap(this.handle, this.cqes, this.depth, 1);
      if (got < 0) return giveUp(got);
      inflight -= got;
      done += got;
      for (let i = 0; i < got; i++) {
        const base = i * CQE_SIZE;
        complete(this.cqesView.getUint32(base, true), this.cqesView.getInt32(base + 8, true));
      }
    }
    if (thrown) throw thrown.error;
    return results;
  }

  /** Writes buf[from, to) at offset + from with plain writes: the bytes written, or a negative errno (ENOSPC where a write takes nothing). */
  private writeRest(fd: number, buf: Uint8Array, from: number, to: number, offset: number): number {
    let done = from;
    while (done < to) {
      const w = Number(this.shim.blit_pwrite(fd, buf.subarray(done), to - done, offset + done));
      if (w < 0) return w;
      if (w === 0) return -E.ENOSPC;
      done += w;
    }
    return done - from;
  }

  /**
   * Copies [start, start + length) from src to dst, COPY_SLOTS chunks in
   * flight, each a read linked to the write of the same bytes. A short read
   * (the file shrank) breaks its link: its write comes back ECANCELED and the
   * copy stops there (eof not set: the caller reads on to the real end);
   * bytes already read are written first. Undefined where a read was not
   * run (the kernel cancelled it): the next method copies the range.
   *
   * Chunks complete in any order (on XFS they often do), so a buffer slot is
   * handed to a new chunk only once both operations of its previous chunk
   * have completed; user_data names the slot, and the slot its chunk. A
   * failed read or write leaves dst holding the range's bytes only up to
   * the first chunk not written: later chunks' writes, which may have gone
   * in, are cut off, so that no gap of zeros is followed by data (--inplace
   * leaves that file as it stops, as cp leaves its prefix).
   */
  copyRange(src: number, dst: number, start: number, length: number, cancel: Int32Array | undefined): RangeResult | undefined {
    if (this.delivering) throw new Error("io_uring copy started from a completion of a batch");
    if (!this.copyBuffers) {
      this.copyBuffers = Array.from({ length: COPY_SLOTS }, () => stableBytes(RING_CHUNK));
      this.copyAddrs = this.copyBuffers.map((b) => ptr(b));
    }
    const buffers = this.copyBuffers;
    const chunks = Math.ceil(length / RING_CHUNK);
    const chunkOf = new Array<number>(COPY_SLOTS).fill(-1);
    const readRes = new Array<number>(COPY_SLOTS).fill(0);
    const wanted = new Array<number>(COPY_SLOTS).fill(0);
    const pending = new Array<number>(COPY_SLOTS).fill(0);
    const free: number[] = [];
    for (let slot = COPY_SLOTS - 1; slot >= 0; slot--) free.push(slot);
    let next = 0;
    let copied = 0;
    let failure: RangeResult | undefined;
    // A read the kernel cancelled, starting no io-wq thread for it (a pids
    // limit, RLIMIT_NPROC): not failed, not run; the range goes to the next
    // method whole, as the batches' opens and reads are done in turn.
    let notRun = false;
    // The first chunk whose read came back short, and how many bytes it read.
    let shortChunk = -1;
    let shortBytes = 0;
    let shortSlot = -1;
    /** The first chunk whose bytes are not all written (a failed read or write). */
    let firstUnwritten = chunks;
    const unwritten = (chunk: number): void => {
      firstUnwritten = Math.min(firstUnwritten, chunk);
    };

    const submit = (chunk: number): void => {
      const slot = free.pop()!;
      const offset = start + chunk * RING_CHUNK;
      const len = Math.min(RING_CHUNK, start + length - offset);
      chunkOf[slot] = chunk;
      wanted[slot] = len;
      const addr = this.copyAddrs[slot]!;
      this.put(0, { op: "read", fd: src, addr, len, offset }, true, slot * 2);
      this.put(1, { op: "write", fd: dst, addr, len, offset }, false, slot * 2 + 1);
      const r = this.shim.blit_ring_submit(this.handle, this.ops, 2);
      this.submits++;
      if (r !== 2) {
        // The kernel may yet run part of it: no slot can be trusted again.
        this.abandon();
        failure ??= { ok: false, stage: "read", errno: r < 0 ? -r : E.EIO };
        return;
      }
      this.opsSubmitted += 2;
      pending[slot] = 2;
    };
    const mayContinue = () => !failure && !notRun && shortChunk < 0 && !(cancel && Atomics.load(cancel, 0) !== 0);
    const busy = () => pending.some((n) => n > 0);

    while (next < chunks && free.length > 0 && mayContinue()) submit(next++);
    while (busy() && !this.broken) {
      const got = this.shim.blit_ring_reap(this.handle, this.cqes, this.depth, 1);
      if (got < 0) {
        this.abandon();
        return { ok: false, stage: "read", errno: -got };
      }
      for (let i = 0; i < got; i++) {
        const base = i * CQE_SIZE;
        const userData = this.cqesView.getUint32(base, true);
        const res = this.cqesView.getInt32(base + 8, true);
        const slot = userData >> 1;
        const chunk = chunkOf[slot]!;
        if ((userData & 1) === 0) {
          readRes[slot] = res;
          if (res === -ECANCELED) notRun = true;
          else if (res < 0) {
            failure ??= { ok: false, stage: "read", errno: -res };
            unwritten(chunk);
          }
        } else if (res >= 0) {
          copied += res;
          if (res < wanted[slot]!) {
            // A short write gives no reason: the rest, written again, gets
            // the kernel's (EDQUOT, EFBIG, ENOSPC), or goes in.
            const rest = this.writeRest(dst, buffers[slot]!, res, wanted[slot]!, start + chunk * RING_CHUNK);
            if (rest < 0) {
              failure ??= { ok: false, stage: "write", errno: -rest };
              unwritten(chunk);
            } else copied += rest;
          }
        } else if (res !== -ECANCELED) {
          failure ??= { ok: false, stage: "write", errno: -res };
          unwritten(chunk);
        } else {
          // Cancelled with its read, which failed or came back short.
          unwritten(chunk);
          if (readRes[slot]! >= 0 && !notRun && (shortChunk < 0 || chunk < shortChunk)) {
            // The read (completed before its linked write) came back short.
            shortChunk = chunk;
            shortBytes = readRes[slot]!;
            shortSlot = slot;
          }
        }
        if (--pending[slot]! === 0 && slot !== shortSlot) free.push(slot);
      }
      while (next < chunks && free.length > 0 && mayContinue()) submit(next++);
    }
    if (failure) {
      if (next > firstUnwritten + 1) this.shim.blit_ftruncate(dst, start + firstUnwritten * RING_CHUNK);
      return failure;
    }
    if (this.broken) return { ok: false, stage: "read", errno: E.EIO };
    // Stopped by the user as much as by the kernel: not handed to the next method.
    if (notRun) return cancel && Atomics.load(cancel, 0) !== 0 ? { ok: false, stage: "cancelled", errno: ECANCELED } : undefined;
    if (shortChunk >= 0) {
      // Keep the short chunk's bytes (its buffer was held back from reuse),
      // and drop whatever later chunks wrote past them: the caller reads on
      // from here with plain reads, to the file's real end. That also
      // covers a filesystem whose reads come back short before EOF.
      const offset = start + shortChunk * RING_CHUNK;
      const w = this.writeRest(dst, buffers[shortSlot]!, 0, shortBytes, offset);
      if (w < 0) return { ok: false, stage: "write", errno: -w };
      if (next > shortChunk + 1) {
        const t = this.shim.blit_ftruncate(dst, offset + shortBytes);
        if (t < 0) return { ok: false, stage: "write", errno: -t };
      }
      return { ok: true, bytes: offset + shortBytes - start, eof: false };
    }
    if (cancel && Atomics.load(cancel, 0) !== 0) return { ok: false, stage: "cancelled", errno: ECANCELED };
    return { ok: true, bytes: copied, eof: false };
  }

  destroy(): void {
    this.shim.blit_ring_destroy(this.handle);
  }
}
