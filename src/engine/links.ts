// Hard-link groups across workers: a table in shared memory keyed by the
// source's (dev, ino). The first worker to meet an inode claims it and copies
// it; any other path to the same inode waits for that copy and links to it.
// The claimer never waits between claiming and publishing, and waiters only
// wait once their own claims are published, so no two workers wait on each
// other.

const SLOT_INTS = 13;
const EMPTY = 0;
const WRITING = 1;
const COPYING = 2;
const DONE = 3;
const FAILED = 4;
// Slot fields after the state word.
const DEV_LO = 1;
const DEV_HI = 2;
const INO_LO = 3;
const INO_HI = 4;
const PATH_AT = 5;
const PATH_LEN = 6;
const ROOT_FD = 7;
// The first copy's own dev and ino in DEST, where known (COPY_KNOWN 1).
const COPY_KNOWN = 8;
const COPY_DEV_LO = 9;
const COPY_DEV_HI = 10;
const COPY_INO_LO = 11;
const COPY_INO_HI = 12;

// Reserved, not committed: pages are touched only as slots fill. A million
// inodes with other names (a tree of hard-linked backups) fit.
const DEFAULT_SLOTS = 1 << 20;
const DEFAULT_ARENA = 128 << 20;
/** The least a table shrinks to where the full one cannot be reserved. */
const MIN_SLOTS = 1 << 10;
const HEADER_BYTES = 16;
// The header's words.
const SLOT_COUNT = 0;
const ARENA_USED = 1;
const FULL = 2;
// FULL's values: room left; full, not yet said; full and said.
const ROOM = 0;
const FULL_UNSAID = 1;
const FULL_SAID = 2;
const NEAR_PROBES = 64;

/** Where the first copy of an inode went: a path below a directory kept open for the run. */
export interface LinkTarget {
  rootFd: number;
  path: Uint8Array;
  /** The copy itself (its dev and ino in DEST): the path may come to name another file (a later merged operand's, another run's). */
  copy?: { dev: number; ino: bigint };
}

export type Claim = { first: true; slot: number } | { first: false; slot: number };

export class LinkTable {
  private readonly slots: Int32Array;
  private readonly arena: Uint8Array;
  /** Slot count, arena bytes handed out so far, and whether the table filled (Atomics). */
  private readonly header: Int32Array;
  private readonly mask: number;

  constructor(shared: SharedArrayBuffer) {
    this.header = new Int32Array(shared, 0, HEADER_BYTES / 4);
    const slotCount = this.header[SLOT_COUNT]!;
    this.slots = new Int32Array(shared, HEADER_BYTES, slotCount * SLOT_INTS);
    this.arena = new Uint8Array(shared, HEADER_BYTES + slotCount * SLOT_INTS * 4);
    this.mask = slotCount - 1;
  }

  /**
   * Shared memory for a table of slotCount slots (a power of two); pages are
   * only touched as slots fill. Where an address-space limit (ulimit -v)
   * leaves no room to reserve it, a quarter of it, and so on: past what fits,
   * inodes are copied once per name, and the run says so.
   */
  static allocate(slotCount = DEFAULT_SLOTS, arenaBytes = DEFAULT_ARENA): SharedArrayBuffer {
    for (let slots = slotCount, bytes = arenaBytes; ; slots /= 4, bytes /= 4) {
      try {
        const shared = new SharedArrayBuffer(HEADER_BYTES + slots * SLOT_INTS * 4 + bytes);
        new Int32Array(shared, 0, 1)[SLOT_COUNT] = slots;
        return shared;
      } catch (err) {
        if (!(err instanceof RangeError) || slots <= MIN_SLOTS) throw err;
      }
    }
  }

  /**
   * True once, for the first caller after the table filled: further
   * inodes are then copied once per name, and the run says so.
   */
  fullToBeSaid(): boolean {
    return Atomics.load(this.header, FULL) === FULL_UNSAID && Atomics.compareExchange(this.header, FULL, FULL_UNSAID, FULL_SAID) === FULL_UNSAID;
  }

  private fill(): void {
    Atomics.compareExchange(this.header, FULL, ROOM, FULL_UNSAID);
  }

  /** Claims the inode, or finds who has. undefined when the table is full. */
  claim(dev: number, ino: bigint): Claim | undefined {
    const devLo = dev >>> 0;
    const devHi = Math.floor(dev / 4294967296) | 0;
    const inoLo = Number(ino & 0xffffffffn) | 0;
    const inoHi = Number(ino >> 32n) | 0;
    let index = this.home(devLo, inoLo, inoHi);
    for (let probes = 0; probes <= this.mask; probes++) {
      const base = index * SLOT_INTS;
      // The exchange is the slot's first touch, not a load before it: a load
      // of an untouched page maps the shared zero page, and the write after
      // it then costs a copy-on-write fault whose TLB flush interrupts every
      // other CPU running the process (822 in a second run of the bench's
      // mixed tree: one per group of names in each of its two tables).
      const state = Atomics.compareExchange(this.slots, base, EMPTY, WRITING);
      if (state === EMPTY) {
        this.slots[base + DEV_LO] = devLo;
        this.slots[base + DEV_HI] = devHi;
        this.slots[base + INO_LO] = inoLo;
        this.slots[base + INO_HI] = inoHi;
        Atomics.store(this.slots, base, COPYING);
        Atomics.notify(this.slots, base);
        return { first: true, slot: index };
      }
      if (this.holds(base, state, devLo, devHi, inoLo, inoHi)) return { first: false, slot: index };
      index = (index + 1) & this.mask;
      // Probing on through a full table would cost every later claim the
      // whole table; an inode claimed before it filled is found sooner.
      if (probes >= NEAR_PROBES && Atomics.load(this.header, FULL) !== ROOM) return undefined;
    }
    this.fill();
    return undefined;
  }

  /**
   * Whether a name of this inode has claimed it already, claiming nothing
   * (a load of a slot not touched yet costs its page a later copy-on-write
   * fault: only for what is rare, see claim).
   */
  claimed(dev: number, ino: bigint): boolean {
    const devLo = dev >>> 0;
    const devHi = Math.floor(dev / 4294967296) | 0;
    const inoLo = Number(ino & 0xffffffffn) | 0;
    const inoHi = Number(ino >> 32n) | 0;
    let index = this.home(devLo, inoLo, inoHi);
    for (let probes = 0; probes <= this.mask; probes++) {
      const base = index * SLOT_INTS;
      const state = Atomics.load(this.slots, base);
      if (state === EMPTY) return false;
      if (this.holds(base, state, devLo, devHi, inoLo, inoHi)) return true;
      index = (index + 1) & this.mask;
    }
    return false;
  }

  /** The slot an inode's probe starts at. */
  private home(devLo: number, inoLo: number, inoHi: number): number {
    return (Math.imul(inoLo ^ inoHi, 0x9e3779b1) ^ Math.imul(devLo, 0x85ebca6b)) & this.mask;
  }

  /** Whether the slot at base (found in `state`, not EMPTY) is this inode's, once its claimant has written it. */
  private holds(base: number, state: number, devLo: number, devHi: number, inoLo: number, inoHi: number): boolean {
    while (state === WRITING) {
      Atomics.wait(this.slots, base, WRITING, 10);
      state = Atomics.load(this.slots, base);
    }
    return this.slots[base + DEV_LO] === (devLo | 0) && this.slots[base + DEV_HI] === devHi &&
      this.slots[base + INO_LO] === inoLo && this.slots[base + INO_HI] === inoHi;
  }

  /** The first copy is in place: others may link to it. */
  publish(slot: number, target: LinkTarget): void {
    const base = slot * SLOT_INTS;
    const at = Atomics.add(this.header, ARENA_USED, target.path.length);
    if (at + target.path.length > this.arena.length) {
      this.fill();
      this.abandon(slot);
      return;
    }
    this.arena.set(target.path, at);
    this.slots[base + PATH_AT] = at;
    this.slots[base + PATH_LEN] = target.path.length;
    this.slots[base + ROOT_FD] = target.rootFd;
    this.slots[base + COPY_KNOWN] = target.copy ? 1 : 0;
    if (target.copy) {
      this.slots[base + COPY_DEV_LO] = target.copy.dev | 0;
      this.slots[base + COPY_DEV_HI] = Math.floor(target.copy.dev / 4294967296) | 0;
      this.slots[base + COPY_INO_LO] = Number(target.copy.ino & 0xffffffffn) | 0;
      this.slots[base + COPY_INO_HI] = Number(target.copy.ino >> 32n) | 0;
    }
    Atomics.store(this.slots, base, DONE);
    Atomics.notify(this.slots, base);
  }

  /** The first copy failed or was skipped: others copy for themselves. */
  abandon(slot: number): void {
    const base = slot * SLOT_INTS;
    Atomics.store(this.slots, base, FAILED);
    Atomics.notify(this.slots, base);
  }

  /** Waits for the claimer; the first copy's place, or undefined if there is none. */
  wait(slot: number): LinkTarget | undefined {
    const base = slot * SLOT_INTS;
    let state = Atomics.load(this.slots, base);
    while (state === COPYING) {
      Atomics.wait(this.slots, base, COPYING);
      state = Atomics.load(this.slots, base);
    }
    if (state !== DONE) return undefined;
    const at = this.slots[base + PATH_AT]!;
    const s = this.slots;
    return {
      rootFd: s[base + ROOT_FD]!,
      path: this.arena.slice(at, at + s[base + PATH_LEN]!),
      ...(s[base + COPY_KNOWN] === 1 && { copy: { dev: (s[base + COPY_DEV_HI]! >>> 0) * 4294967296 + (s[base + COPY_DEV_LO]! >>> 0), ino: (BigInt(s[base + COPY_INO_HI]! >>> 0) << 32n) | BigInt(s[base + COPY_INO_LO]! >>> 0) } }),
    };
  }
}
