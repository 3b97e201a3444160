// --delete with --keep-directory-symlink: the directories a kept symlink led
// the copy into, and those above them inside DEST, in memory the workers
// share. What was copied through the symlink is in them, so the delete pass
// of the directory holding one never removes it, whichever worker followed
// the symlink (rsync deletes before it copies, and so never meets this).

/** Directories remembered before the set is full; then every directory counts as in it (a set that lost one could not say so). */
const CAPACITY = 4096;
// Int32 words: the count of slots taken, then each slot's words.
const COUNT = 0;
const FIRST = 1;
// A slot: written (1 once the rest is), dev's low and high 32 bits, ino's.
const WRITTEN = 0;
const SLOT_WORDS = 5;

export class EnteredDirectories {
  private readonly words: Int32Array;

  constructor(shared: SharedArrayBuffer) {
    this.words = new Int32Array(shared);
  }

  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(4 * (FIRST + CAPACITY * SLOT_WORDS));
  }

  /** Remembers a directory (two workers may both add one: it is then there twice). */
  add(dev: number, ino: bigint): void {
    if (this.has(dev, ino)) return;
    const slot = Atomics.add(this.words, COUNT, 1);
    if (slot >= CAPACITY) return;
    const base = FIRST + slot * SLOT_WORDS;
    this.words.set(identity(dev, ino), base + 1);
    Atomics.store(this.words, base + WRITTEN, 1);
  }

  has(dev: number, ino: bigint): boolean {
    const taken = Atomics.load(this.words, COUNT);
    if (taken > CAPACITY) return true;
    const [a, b, c, d] = identity(dev, ino);
    for (let slot = 0; slot < taken; slot++) {
      const base = FIRST + slot * SLOT_WORDS;
      const w = this.words;
      if (Atomics.load(w, base + WRITTEN) === 1 && w[base + 1] === a && w[base + 2] === b && w[base + 3] === c && w[base + 4] === d) return true;
    }
    return false;
  }
}

function identity(dev: number, ino: bigint): [number, number, number, number] {
  return [dev | 0, Math.floor(dev / 4294967296) | 0, Number(ino & 0xffffffffn) | 0, Number(ino >> 32n) | 0];
}
