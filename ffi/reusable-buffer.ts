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

export class ReusableBuffer {
  private buf = stableBytes(0);

  /** At least size bytes, doubled when it grows. What the last caller was given is reused. */
  private take(size: number): Uint8Array {
    if (this.buf.length < size) this.buf = stableBytes(Math.max(size, this.buf.length * 2));
    return this.buf;
  }

  /** A slice of it for each file, one byte longer than its listed size, so that a file grown since shows. */
  slicesFor(files: { size: number }[]): Uint8Array[] {
    let total = 0;
    for (const f of files) total += f.size + 1;
    const buf = this.take(total);
    let at = 0;
    return files.map((f) => buf.subarray(at, (at += f.size + 1)));
  }
}
