// Counts the main thread reads while the copy runs (the progress bar,
// --json's progress events): each thread adds to its own slot of one
// SharedArrayBuffer, so no message is sent per file and no two threads
// contend for a counter. The name of the file each thread is copying sits
// there too, behind a sequence number that says when it is being rewritten.

/** `partial`: bytes of files still being copied; `skippedBytes`: sizes of files left as they were, which the bar counts as done. */
const FIELDS = ["files", "directories", "symlinks", "specials", "hardlinks", "skipped", "errors", "bytes", "partial", "skippedBytes"] as const;
export type LiveField = (typeof FIELDS)[number];
const INDEX = Object.fromEntries(FIELDS.map((field, i) => [field, i])) as Record<LiveField, number>;

/** Bytes of a name kept; the bar shows less than this anyway. */
const NAME_BYTES = 512;
/** Int32s per slot: the name's sequence number (odd while it is written), its length, and when it was last set. */
const NAME_WORDS = 3;
const SEQ = 0;
const LENGTH = 1;
const STAMP = 2;

export type LiveTotals = Record<LiveField, number>;

function layout(buffer: SharedArrayBuffer): { slots: number; counters: BigInt64Array; words: Int32Array; names: Uint8Array } {
  const slotBytes = FIELDS.length * 8 + NAME_WORDS * 4 + NAME_BYTES;
  const slots = (buffer.byteLength - 4) / slotBytes;
  const counters = new BigInt64Array(buffer, 0, slots * FIELDS.length);
  // words[0] is the clock the stamps come from; each slot's words follow.
  const words = new Int32Array(buffer, counters.byteLength, 1 + slots * NAME_WORDS);
  const names = new Uint8Array(buffer, counters.byteLength + words.byteLength, slots * NAME_BYTES);
  return { slots, counters, words, names };
}

/** One thread's slot: only it writes there. */
export class LiveCounters {
  private readonly counters: BigInt64Array;
  private readonly words: Int32Array;
  private readonly names: Uint8Array;

  /** Shared memory for `slots` threads (the workers and the main thread). */
  static allocate(slots: number): SharedArrayBuffer {
    return new SharedArrayBuffer(slots * (FIELDS.length * 8 + NAME_WORDS * 4 + NAME_BYTES) + 4);
  }

  constructor(buffer: SharedArrayBuffer, private readonly slot: number) {
    ({ counters: this.counters, words: this.words, names: this.names } = layout(buffer));
  }

  add(field: LiveField, n: number): void {
    Atomics.add(this.counters, this.slot * FIELDS.length + INDEX[field], BigInt(n));
  }

  /** The file this thread is copying now. */
  current(name: Uint8Array): void {
    const w = 1 + this.slot * NAME_WORDS;
    const length = Math.min(name.length, NAME_BYTES);
    Atomics.add(this.words, w + SEQ, 1);
    // The end of a long path says more than its start. Copied byte by byte
    // where it is cut: a view of the path (subarray) would move its bytes
    // out of the collected heap (see joinPath).
    const at = this.slot * NAME_BYTES;
    if (length === name.length) this.names.set(name, at);
    else for (let i = 0; i < length; i++) this.names[at + i] = name[name.length - length + i]!;
    Atomics.store(this.words, w + LENGTH, length);
    Atomics.add(this.words, w + SEQ, 1);
    Atomics.store(this.words, w + STAMP, Atomics.add(this.words, 0, 1) + 1);
  }
}

/** The main thread's view of every slot. */
export class LiveView {
  private readonly slots: number;
  private readonly counters: BigInt64Array;
  private readonly words: Int32Array;
  private readonly names: Uint8Array;
  private lastName: Uint8Array | undefined;

  constructor(buffer: SharedArrayBuffer) {
    ({ slots: this.slots, counters: this.counters, words: this.words, names: this.names } = layout(buffer));
  }

  totals(): LiveTotals {
    const sums = Object.fromEntries(FIELDS.map((field) => [field, 0])) as LiveTotals;
    for (let slot = 0; slot < this.slots; slot++) {
      for (const field of FIELDS) sums[field] += Number(Atomics.load(this.counters, slot * FIELDS.length + INDEX[field]));
    }
    return sums;
  }

  /** The name set most recently by any thread; the one before while it is being rewritten. */
  currentName(): Uint8Array | undefined {
    let newest = -1;
    let newestStamp = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const stamp = Atomics.load(this.words, 1 + slot * NAME_WORDS + STAMP);
      if (stamp > newestStamp) {
        newestStamp = stamp;
        newest = slot;
      }
    }
    if (newest < 0) return this.lastName;
    const w = 1 + newest * NAME_WORDS;
    const before = Atomics.load(this.words, w + SEQ);
    if (before % 2 === 1) return this.lastName;
    const length = Atomics.load(this.words, w + LENGTH);
    const name = this.names.slice(newest * NAME_BYTES, newest * NAME_BYTES + length);
    if (Atomics.load(this.words, w + SEQ) !== before) return this.lastName;
    this.lastName = name;
    return name;
  }
}
