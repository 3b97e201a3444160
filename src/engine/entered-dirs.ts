// --keep-directory-symlink: the directories a kept symlink led the copy
// into, and those above them inside DEST, in memory the workers share. What
// was copied through the symlink is in them, so the delete pass of the
// directory holding one never removes it, whichever worker followed the
// symlink (rsync deletes before it copies, and so never meets this); and a
// hard link to a file copied through it may follow it again, to where it
// led then, whichever worker makes the link.

/**
 * Directories the set holds (a power of two): 5 MiB reserved, its pages
 * touched only as slots fill. Past three quarters of them it is full.
 */
const SLOTS = 1 << 18;
const MOST = (SLOTS / 4) * 3;
// Header words: slots taken, and FULL's state.
const TAKEN = 0;
const FULL = 1;
const HEADER = 2;
// FULL's values: room left; full, not yet said; full and said.
const ROOM = 0;
const FULL_UNSAID = 1;
const FULL_SAID = 2;
// A slot: its state, then dev's low and high 32 bits, ino's.
const SLOT_WORDS = 5;
const EMPTY = 0;
const WRITING = 1;
const WRITTEN = 2;

export class EnteredDirectories {
  private readonly words: Int32Array;

  constructor(shared: SharedArrayBuffer) {
    this.words = new Int32Array(shared);
  }

  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(4 * (HEADER + SLOTS * SLOT_WORDS));
  }

  /** Remembers a directory; false once the set is full (then every directory counts as in it). */
  add(dev: number, ino: bigint): boolean {
    const key = identity(dev, ino);
    for (let slot = start(key), probes = 0; probes < SLOTS; slot = (slot + 1) & (SLOTS - 1), probes++) {
      const base = HEADER + slot * SLOT_WORDS;
      if (Atomics.compareExchange(this.words, base, EMPTY, WRITING) === EMPTY) {
        this.words.set(key, base + 1);
        Atomics.store(this.words, base, WRITTEN);
        if (Atomics.add(this.words, TAKEN, 1) < MOST) return true;
        Atomics.compareExchange(this.words, FULL, ROOM, FULL_UNSAID);
        return false;
      }
      if (this.holds(base, key)) return true;
    }
    return false;
  }

  /** Whether the set holds the directory; once full, every directory counts as in it (nothing is removed as extra). */
  has(dev: number, ino: bigint): boolean {
    return Atomics.load(this.words, FULL) !== ROOM || this.holdsSurely(dev, ino);
  }

  /** Whether the directory was added, full or not (to be followed, never assumed). */
  holdsSurely(dev: number, ino: bigint): boolean {
    const key = identity(dev, ino);
    for (let slot = start(key), probes = 0; probes < SLOTS; slot = (slot + 1) & (SLOTS - 1), probes++) {
      const base = HEADER + slot * SLOT_WORDS;
      if (Atomics.load(this.words, base) === EMPTY) return false;
      if (this.holds(base, key)) return true;
    }
    return false;
  }

  /** True once, for the first to ask after the set filled: the run says so, once. */
  fullToBeSaid(): boolean {
    return Atomics.compareExchange(this.words, FULL, FULL_UNSAID, FULL_SAID) === FULL_UNSAID;
  }

  /** Whether the slot at base holds key (waiting out a writer, which never waits on anything). */
  private holds(base: number, key: [number, number, number, number]): boolean {
    while (Atomics.load(this.words, base) === WRITING) Atomics.wait(this.words, base, WRITING, 1);
    const w = this.words;
    return w[base + 1] === key[0] && w[base + 2] === key[1] && w[base + 3] === key[2] && w[base + 4] === key[3];
  }
}

function identity(dev: number, ino: bigint): [number, number, number, number] {
  return [dev | 0, Math.floor(dev / 4294967296) | 0, Number(ino & 0xffffffffn) | 0, Number(ino >> 32n) | 0];
}

function start(key: [number, number, number, number]): number {
  return (Math.imul(key[2] ^ key[3], 0x9e3779b1) ^ Math.imul(key[0], 0x85ebca6b)) & (SLOTS - 1);
}
