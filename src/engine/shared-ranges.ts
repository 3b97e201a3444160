// One large file copied in ranges by several threads at once. With caches
// dropped, two streams reading one 2 GiB file (each through its own open
// file, so each keeps its own read-ahead) took ~40 % less time here than one
// stream; 8 MiB ranges were slower than one stream (bench/README.md).
//
// Ranges are claimed through shared counters, so helpers may join late or
// not at all, and the owner only ever waits for ranges another thread has
// already started: no thread can be left waiting for work nobody will do.

/** Files at least this large are offered to other workers. */
export const SHARE_MIN_SIZE = 256 << 20;
/** Bytes per claimed range: large enough that each stream's read-ahead ramps up. */
export const SHARE_CHUNK = 64 << 20;
/**
 * The last TAIL_CHUNKS ranges' worth of a file is claimed in quarters. With
 * whole ranges to the end, one stream often copied the last range alone for
 * 0.15–0.26 s while the others had nothing left (strace of a cold 2 GiB
 * copy; the last ranges are the slowest, as write-back starts).
 */
const TAIL_CHUNKS = 4;
const TAIL_SPLIT = 4;

// Layout: three Int32 counters (bytes 0–11); four Float64 fields written
// once before the state is shared (16–47); two BigInt64s, the lowest offset
// where a range met EOF, i.e. the file shrank (48–55), and the lowest start
// of a range that failed (56–63).
const NEXT = 0;
const DONE = 1;
const ERRNO = 2;
const START = 0;
const END = 1;
const CHUNK = 2;
const TAIL = 3;
const FIELDS_AT = 16;
const FIELDS = 4;
const SHORTEST_AT = 48;
const FAILED_AT = 56;
const BYTES = 64;
/** EIO, the same number on Linux and macOS: what a range that threw is reported as. */
const EIO = 5;

/** What a helper is given: the shared state and both descriptors (threads of one process share them). */
export interface SharedCopy {
  state: SharedArrayBuffer;
  src: number;
  dst: number;
  /** Both files are read and compared (--checksum, --verify), not copied. */
  compare?: true;
}

/** Copies (or compares) one range; returns bytes done (fewer at EOF) or a negated errno (or the caller's own failure code). */
export type RangeCopier = (start: number, length: number) => number;

export class SharedRanges {
  private readonly counters: Int32Array;
  private readonly shortest: BigInt64Array;
  private readonly failed: BigInt64Array;
  readonly start: number;
  readonly end: number;
  readonly chunk: number;
  /** Where ranges of a quarter chunk begin; ranges of a whole chunk before it. */
  readonly tail: number;
  private readonly wholeRanges: number;
  private readonly piece: number;
  readonly count: number;

  constructor(readonly state: SharedArrayBuffer) {
    this.counters = new Int32Array(state, 0, 3);
    const fields = new Float64Array(state, FIELDS_AT, FIELDS);
    this.shortest = new BigInt64Array(state, SHORTEST_AT, 1);
    this.failed = new BigInt64Array(state, FAILED_AT, 1);
    this.start = fields[START]!;
    this.end = fields[END]!;
    this.chunk = fields[CHUNK]!;
    this.tail = fields[TAIL]!;
    this.wholeRanges = Math.ceil((this.tail - this.start) / this.chunk);
    this.piece = Math.max(1, Math.ceil(this.chunk / TAIL_SPLIT));
    this.count = this.wholeRanges + Math.ceil((this.end - this.tail) / this.piece);
  }

  /**
   * [start, end) in ranges of `chunk` bytes, none claimed yet; the last
   * `tailChunks` of them split in quarters.
   */
  static create(start: number, end: number, chunk: number, tailChunks = TAIL_CHUNKS): SharedRanges {
    const state = new SharedArrayBuffer(BYTES);
    const fields = new Float64Array(state, FIELDS_AT, FIELDS);
    const wholeRanges = Math.max(0, Math.ceil((end - start) / chunk) - tailChunks);
    fields[START] = start;
    fields[END] = end;
    fields[CHUNK] = chunk;
    fields[TAIL] = Math.min(end, start + wholeRanges * chunk);
    new BigInt64Array(state, SHORTEST_AT, 1)[0] = BigInt(end);
    new BigInt64Array(state, FAILED_AT, 1)[0] = BigInt(end);
    return new SharedRanges(state);
  }

  /** Range k, as [start, start + length). */
  range(k: number): { start: number; length: number } {
    const whole = k < this.wholeRanges;
    const start = whole ? this.start + k * this.chunk : this.tail + (k - this.wholeRanges) * this.piece;
    return { start, length: Math.min(whole ? this.chunk : this.piece, this.end - start) };
  }

  /**
   * Claims ranges and copies them until none are left. After a failure or a
   * cancel the remaining ranges are still claimed, and skipped, so that the
   * owner's wait ends. Returns how many ranges this thread copied.
   */
  work(copy: RangeCopier, cancelled: () => boolean): number {
    let copied = 0;
    for (;;) {
      const k = Atomics.add(this.counters, NEXT, 1);
      if (k >= this.count) return copied;
      const { start, length } = this.range(k);
      try {
        if (Atomics.load(this.counters, ERRNO) === 0 && !cancelled()) {
          const n = copy(start, length);
          if (n < 0) {
            Atomics.compareExchange(this.counters, ERRNO, 0, -n);
            lowerTo(this.failed, start);
          } else {
            copied++;
            if (n < length) lowerTo(this.shortest, start + n);
          }
        }
      } catch (err) {
        // A copy that threw (a bug) still ends the owner's wait, as a failure:
        // the ranges nobody has claimed yet are claimed here, and skipped.
        Atomics.compareExchange(this.counters, ERRNO, 0, EIO);
        lowerTo(this.failed, start);
        this.work(() => 0, () => true);
        throw err;
      } finally {
        Atomics.add(this.counters, DONE, 1);
        Atomics.notify(this.counters, DONE);
      }
    }
  }

  /** Whether ranges are left to claim (without claiming one). */
  static unclaimed(state: SharedArrayBuffer): boolean {
    const ranges = new SharedRanges(state);
    return Atomics.load(ranges.counters, NEXT) < ranges.count;
  }

  /** Blocks until every range has been claimed and finished; false if `withinMs` passed first. */
  waitAll(withinMs = Infinity): boolean {
    const deadline = performance.now() + withinMs;
    for (;;) {
      const done = Atomics.load(this.counters, DONE);
      if (done >= this.count) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.counters, DONE, done, Math.min(1000, left));
    }
  }

  /** The first failure's errno, or 0. */
  get errno(): number {
    return Atomics.load(this.counters, ERRNO);
  }

  /** Where the copied data ends: `end`, or earlier if a range reached EOF first. */
  get copiedTo(): number {
    return Number(Atomics.load(this.shortest, 0));
  }

  /**
   * After a failure, where the data known to be copied ends: every range
   * before the first that failed was finished (ranges are claimed in order,
   * and one claimed is finished before the owner's wait ends).
   */
  get failedFrom(): number {
    return Number(Atomics.load(this.failed, 0));
  }
}

/** Lowers the shared offset in `cell` to `at`, if `at` is lower. */
function lowerTo(cell: BigInt64Array, at: number): void {
  const value = BigInt(at);
  for (;;) {
    const seen = Atomics.load(cell, 0);
    if (value >= seen || Atomics.compareExchange(cell, 0, seen, value) === seen) return;
  }
}
