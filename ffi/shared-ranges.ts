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

// Layout: three Int32 counters (bytes 0–11); three Float64 fields written
// once before the state is shared (16–39); one BigInt64, the lowest offset
// where a range met EOF, i.e. the file shrank (40–47).
const NEXT = 0;
const DONE = 1;
const ERRNO = 2;
const START = 0;
const END = 1;
const CHUNK = 2;
const FIELDS_AT = 16;
const SHORTEST_AT = 40;
const BYTES = 48;
/** EIO, the same number on Linux and macOS: what a range that threw is reported as. */
const EIO = 5;

/** What a helper is given: the shared state and both descriptors (threads of one process share them). */
export interface SharedCopy {
  state: SharedArrayBuffer;
  src: number;
  dst: number;
}

/** Copies one range; returns bytes copied (fewer at EOF) or a negated errno. */
export type RangeCopier = (start: number, length: number) => number;

export class SharedRanges {
  private readonly counters: Int32Array;
  private readonly shortest: BigInt64Array;
  readonly start: number;
  readonly end: number;
  readonly chunk: number;
  readonly count: number;

  constructor(readonly state: SharedArrayBuffer) {
    this.counters = new Int32Array(state, 0, 3);
    const fields = new Float64Array(state, FIELDS_AT, 3);
    this.shortest = new BigInt64Array(state, SHORTEST_AT, 1);
    this.start = fields[START]!;
    this.end = fields[END]!;
    this.chunk = fields[CHUNK]!;
    this.count = Math.ceil((this.end - this.start) / this.chunk);
  }

  /** [start, end) in ranges of `chunk` bytes, none claimed yet. */
  static create(start: number, end: number, chunk: number): SharedRanges {
    const state = new SharedArrayBuffer(BYTES);
    const fields = new Float64Array(state, FIELDS_AT, 3);
    fields[START] = start;
    fields[END] = end;
    fields[CHUNK] = chunk;
    new BigInt64Array(state, SHORTEST_AT, 1)[0] = BigInt(end);
    return new SharedRanges(state);
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
      const start = this.start + k * this.chunk;
      const length = Math.min(this.chunk, this.end - start);
      try {
        if (Atomics.load(this.counters, ERRNO) === 0 && !cancelled()) {
          const n = copy(start, length);
          if (n < 0) Atomics.compareExchange(this.counters, ERRNO, 0, -n);
          else {
            copied++;
            if (n < length) this.sawEof(start + n);
          }
        }
      } catch (err) {
        // A copy that threw (a bug) still ends the owner's wait, as a failure.
        Atomics.compareExchange(this.counters, ERRNO, 0, EIO);
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

  /** Blocks until every range has been claimed and finished. */
  waitAll(): void {
    for (;;) {
      const done = Atomics.load(this.counters, DONE);
      if (done >= this.count) return;
      Atomics.wait(this.counters, DONE, done, 1000);
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

  private sawEof(at: number): void {
    const value = BigInt(at);
    for (;;) {
      const seen = Atomics.load(this.shortest, 0);
      if (value >= seen || Atomics.compareExchange(this.shortest, 0, seen, value) === seen) return;
    }
  }
}
