// A buffer kept from call to call, for what a backend reads in batches
// (readMany's files): a buffer made per call or per file is garbage that
// piles up between a worker's collections.

export class ReusableBuffer {
  private buf = new Uint8Array(0);

  /** At least size bytes, doubled when it grows. What the last caller was given is reused. */
  private take(size: number): Uint8Array {
    if (this.buf.length < size) this.buf = new Uint8Array(Math.max(size, this.buf.length * 2));
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
