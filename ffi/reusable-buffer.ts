// A buffer kept from call to call, for what a backend reads in batches
// (readMany's files): a buffer made per call or per file is garbage that
// piles up between a worker's collections.

/**
 * Bytes whose address stays put while the kernel works on them (io_uring
 * reads and stats complete after the call that took their address). A
 * `new Uint8Array(n)` of 1,000 bytes or less lives in JavaScriptCore's own
 * heap and moves the first time it is sliced or its `.buffer` is asked for
 * (checked with Bun 1.4.4): a read completing after that lands in memory
 * nobody looks at, and the file was written as zeros. An explicit
 * ArrayBuffer's bytes never move.
 */
export function stableBytes(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(size));
}

const BATCH_ALIGN = 64;

/**
 * Where each file's bytes go in one batch buffer: one byte past its listed
 * size (so that a file grown since shows), each start a multiple of 64. On
 * an AMD EPYC (Zen 4) VM, the kernel's copy to or from user memory (`rep
 * movsb`) ran about ten times slower where the user address was 1 to 15
 * bytes past a page boundary (reads), or 1 to 15 bytes before one (writes):
 * 512 MB read into such an address took 215–243 ms against 23–28 ms
 * (bench/README item 32). Files packed end to end met that once in 270 or so.
 */
export function batchLayout(files: { size: number }[]): { starts: number[]; total: number } {
  let total = 0;
  const starts = files.map((f) => {
    const start = total;
    total = Math.ceil((start + f.size + 1) / BATCH_ALIGN) * BATCH_ALIGN;
    return start;
  });
  return { starts, total };
}

export class ReusableBuffer {
  private buf = stableBytes(0);

  /** At least size bytes, doubled when it grows. What the last caller was given is reused. */
  private take(size: number): Uint8Array {
    if (this.buf.length < size) this.buf = stableBytes(Math.max(size, this.buf.length * 2));
    return this.buf;
  }

  /** A slice of it for each file, one byte longer than its listed size, so that a file grown since shows. */
  slicesFor(files: { size: number }[]): Uint8Array[] {
    const { starts, total } = batchLayout(files);
    const buf = this.take(total);
    return files.map((f, i) => buf.subarray(starts[i]!, starts[i]! + f.size + 1));
  }
}
