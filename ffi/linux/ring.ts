// One io_uring ring per worker thread, driven by polling (no callbacks from
// native code): operations are written into a caller-owned buffer, submitted
// in one call, and their completions reaped into another.

import { ptr } from "bun:ffi";
import { CQE_SIZE, OP_SIZE, OPF_LINK, RingOp, type RingOpName } from "../abi.ts";
import { LINUX_ERRNO as E, type Shim } from "./shim.ts";

export const RING_CHUNK = 256 << 10;
const SLOTS = 4;
const ECANCELED = E.ECANCELED;

/** Result of copying a byte range: bytes copied up to EOF, or a failure. */
export type RangeResult =
  | { ok: true; bytes: number; eof: boolean }
  | { ok: false; stage: "read" | "write" | "cancelled"; errno: number };

export class Ring {
  private readonly ops = new Uint8Array(OP_SIZE * SLOTS * 2);
  private readonly opsView = new DataView(this.ops.buffer);
  private readonly cqes = new Uint8Array(CQE_SIZE * SLOTS * 2);
  private readonly cqesView = new DataView(this.cqes.buffer);
  readonly buffers = Array.from({ length: SLOTS }, () => new Uint8Array(RING_CHUNK));
  private readonly bufferAddrs = this.buffers.map((b) => ptr(b));
  /** Set when completions could not be collected: the ring must not be reused. */
  broken = false;

  private constructor(
    private readonly shim: Shim,
    readonly handle: bigint,
  ) {}

  /** A ring, or the negated errno that says why io_uring is not available. */
  static create(shim: Shim): Ring | number {
    const out = new BigUint64Array(1);
    const r = shim.blit_ring_create(SLOTS * 4, out);
    return r < 0 ? r : new Ring(shim, out[0]!);
  }

  private putOp(index: number, op: RingOpName, fd: number, slot: number, len: number, offset: number, linked: boolean, userData: number): void {
    const v = this.opsView;
    const base = index * OP_SIZE;
    this.ops.fill(0, base, base + OP_SIZE);
    v.setUint8(base, RingOp[op]);
    v.setUint8(base + 1, linked ? OPF_LINK : 0);
    v.setInt32(base + 4, fd, true);
    v.setBigUint64(base + 8, BigInt(this.bufferAddrs[slot]!), true);
    v.setBigUint64(base + 24, BigInt(offset), true);
    v.setUint32(base + 32, len, true);
    v.setBigUint64(base + 48, BigInt(userData), true);
  }

  /**
   * Copies [start, start + length) from src to dst, SLOTS chunks in flight,
   * each a read linked to the write of the same bytes. A short read (the
   * file shrank) breaks its link: its write comes back ECANCELED and the
   * copy stops there with eof set; bytes already read are written first.
   */
  copyRange(src: number, dst: number, start: number, length: number, cancel: Int32Array | undefined): RangeResult {
    const chunks = Math.ceil(length / RING_CHUNK);
    const readRes = new Array<number>(SLOTS).fill(0);
    const wanted = new Array<number>(SLOTS).fill(0);
    const pending = new Array<number>(SLOTS).fill(0);
    let next = 0;
    let inflight = 0;
    let copied = 0;
    let failure: RangeResult | undefined;
    let shortChunk = -1;

    const submit = (chunk: number): void => {
      const slot = chunk % SLOTS;
      const offset = start + chunk * RING_CHUNK;
      const len = Math.min(RING_CHUNK, start + length - offset);
      wanted[slot] = len;
      pending[slot] = 2;
      this.putOp(0, "read", src, slot, len, offset, true, chunk * 2);
      this.putOp(1, "write", dst, slot, len, offset, false, chunk * 2 + 1);
      const r = this.shim.blit_ring_submit(this.handle, this.ops, 2);
      if (r !== 2) {
        failure ??= { ok: false, stage: "read", errno: r < 0 ? -r : E.EIO };
        return;
      }
      inflight++;
    };
    const mayContinue = () => !failure && shortChunk < 0 && !(cancel && Atomics.load(cancel, 0) !== 0);

    while (next < chunks && inflight < SLOTS && mayContinue()) submit(next++);
    while (inflight > 0) {
      const got = this.shim.blit_ring_reap(this.handle, this.cqes, SLOTS * 2, 1);
      if (got < 0) {
        this.broken = true;
        return { ok: false, stage: "read", errno: -got };
      }
      for (let i = 0; i < got; i++) {
        const base = i * CQE_SIZE;
        const userData = Number(this.cqesView.getBigUint64(base, true));
        const res = this.cqesView.getInt32(base + 8, true);
        const chunk = userData >> 1;
        const slot = chunk % SLOTS;
        if ((userData & 1) === 0) {
          readRes[slot] = res;
          if (res < 0) failure ??= { ok: false, stage: "read", errno: -res };
        } else if (res >= 0) {
          copied += res;
          if (res < wanted[slot]!) failure ??= { ok: false, stage: "write", errno: E.ENOSPC };
        } else if (res !== -ECANCELED) {
          failure ??= { ok: false, stage: "write", errno: -res };
        } else if (readRes[slot]! >= 0 && (shortChunk < 0 || chunk < shortChunk)) {
          shortChunk = chunk;
        }
        if (--pending[slot]! === 0) {
          inflight--;
          if (next < chunks && mayContinue()) submit(next++);
        }
      }
    }
    if (failure) return failure;
    if (shortChunk >= 0) {
      const slot = shortChunk % SLOTS;
      const got = readRes[slot]!;
      const offset = start + shortChunk * RING_CHUNK;
      let done = 0;
      while (done < got) {
        const w = this.shim.blit_pwrite(dst, this.buffers[slot]!.subarray(done), got - done, offset + done);
        if (w < 0) return { ok: false, stage: "write", errno: -w };
        done += w;
      }
      return { ok: true, bytes: offset + got - start, eof: true };
    }
    if (cancel && Atomics.load(cancel, 0) !== 0) return { ok: false, stage: "cancelled", errno: ECANCELED };
    return { ok: true, bytes: copied, eof: false };
  }

  destroy(): void {
    this.shim.blit_ring_destroy(this.handle);
  }
}
