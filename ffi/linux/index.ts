// The Linux backend: the Backend contract over the native shim. Every call is
// relative to a directory descriptor; names are passed as bytes.

import { ptr } from "bun:ffi";
import { existsSync } from "node:fs";
import { release } from "node:os";
import { type Identity, POSIX_PATH_RULES } from "../backend.ts";
import { knownLimit, openFilesIn, procCommandLine, procMounts, processIdentity, realPathOf, RuntimeStdio } from "../process.ts";
import { batchLayout, stableBytes } from "../reusable-buffer.ts";
import { inheritedAtStart } from "../start-descriptors.ts";
import { TimeSteps } from "../time-steps.ts";
import type {
  AttributesCapability,
  Backend,
  BackendCounters,
  BackendReport,
  Mount,
  CloneMechanism,
  CopyMethod,
  DirEntry,
  FileLimitCapability,
  PageCacheCapability,
  ReadAheadCapability,
  FilesystemReport,
  HolesMechanism,
  KernelCopyMechanism,
  ModesCapability,
  Name,
  OwnersCapability,
  RangeResult,
  ReadFile,
  SpecialFilesCapability,
  Stat,
  StreamsMechanism,
  Times,
  WalkKept,
  XattrsCapability,
} from "../backend.ts";
import { DEFAULT_ACL, permissionsOfAcl } from "./acl.ts";
import { ioUringReport, probeFilesystem } from "./probe.ts";
import { type BatchOp, keepForever, Ring } from "./ring.ts";
import { type Constants, LINUX_ERRNO, openShim, type Shim } from "./shim.ts";

const DIRENT_BUFFER = 32 << 10;
/** blit_list_unchanged's counts of a chunk (UNCHANGED_COUNTS). */
const UNCHANGED_COUNTS = 7;
/** What blit_list_unchanged lists at a time (UNCHANGED_LISTING): no chunk's names are longer. */
const UNCHANGED_LISTING = 32 << 10;
const STATX_SIZE = 256;
/** statx's mask bit for stx_mnt_id, at byte 144 of its buffer (Linux 5.8). */
const STATX_MNT_ID = 0x1000;
/** statx's stx_attributes bit for an append-only inode (FS_APPEND_FL). */
const STATX_ATTR_APPEND = 0x20;
/** linux/fs.h: FS_COMPR_FL, FS_SYNC_FL, FS_NODUMP_FL, FS_NOATIME_FL, FS_NOCOMP_FL. */
const INODE_FLAGS_KEPT_ON_REPLACE = 0x4 | 0x8 | 0x40 | 0x80 | 0x400;
const PATH_SCRATCH = 4097;
/** Linux caps an xattr value and a name list at 64 KiB. */
const XATTR_MAX = 64 << 10;
const NO_NAME = new Uint8Array(0);
const SEEK_END = 2;
const POSIX_FADV_SEQUENTIAL = 2;
const POSIX_FADV_DONTNEED = 4;
const POLLIN = 0x1;
const POLLOUT = 0x4;

/**
 * Mean time of one statx made in turn above which a directory's entries are
 * statted through the ring instead: a call that slow waited on the device,
 * and the ring's kernel threads wait for many at once. A cached inode
 * answers in 1–10 µs, one read from an SSD takes 50 µs or more; the ring's
 * statx always goes to a kernel thread, which costs more than a cached call.
 */
const WAITING_STAT_NS = 30_000;
/** While stats go through the ring, one batch in this many is made in turn again, to see whether the calls still wait. */
const RETRY_IN_TURN_EVERY = 16;
/**
 * The filesystems that keep a modification time more coarsely than the
 * microsecond sameTimes allows anyway, by statfs magic (Stat.timeStepNs):
 * vfat rounds a time set down to an even second, exfat to 10 ms.
 */
const TIME_STEP_NS: Record<number, number> = { 0x4d44: 2e9, 0x2011bab0: 1e7 };
/** blit_read_ahead's keep: the shim's WALK_KEEP_*. */
const WALK_KEEP: Record<WalkKept, number> = { none: 0, stats: 1, "stats and xattr sizes": 2 };

/** The filesystems whose files FICLONE may clone, by statfs magic: xfs, btrfs, bcachefs, OpenZFS (2.2's block cloning), ocfs2. */
const CLONING_FILESYSTEMS = new Set([0x58465342, 0x9123683e, 0xca451a4e, 0x2fc12fc1, 0x7461636f]);

/** Unsigned and signed little-endian 64-bit fields of a statx buffer, as numbers (exact below 2^53). */
function u64At(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getUint32(at + 4, true) * 4294967296;
}

function i64At(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getInt32(at + 4, true) * 4294967296;
}

export class LinuxBackend extends RuntimeStdio implements Backend {
  readonly id = "linux";
  readonly renamesOpenDirectories = true;
  readonly errno = LINUX_ERRNO;
  readonly cwd: number;
  readonly sharedHandles = true;
  // selinuxfs is mounted there whenever SELinux is enabled (libselinux looks there first).
  readonly securityLabels = existsSync("/sys/fs/selinux/enforce");

  private readonly scratch = [new Uint8Array(PATH_SCRATCH), new Uint8Array(PATH_SCRATCH)];
  private readonly statBuf = new Uint8Array(256);
  private readonly statView = new DataView(this.statBuf.buffer);
  private readonly direntBuf = new Uint8Array(DIRENT_BUFFER);
  private readonly direntView = new DataView(this.direntBuf.buffer);
  private readonly xattrBuf = new Uint8Array(XATTR_MAX);
  private readonly errBuf = new Uint8Array(256);
  private readonly decoder = new TextDecoder();
  private readonly errorText = new Map<number, string>();
  private ring: Ring | null | undefined;
  private ringFailure = "";
  private queueDepth = 128;
  private batchBuffers = { names: stableBytes(0), stats: stableBytes(0), data: stableBytes(0) };
  private statResults = new Int32Array(0);
  /** The last batch of stats made in turn waited on the device. */
  private statsWait = false;
  /** WAITING_STAT_NS, or BLIT_STAT_WAIT_NS (0: every batch after the first through the ring, as the tests make them). */
  private readonly waitingStatNs = Number(process.env.BLIT_STAT_WAIT_NS || WAITING_STAT_NS);
  /** Batches through the ring since the last one made in turn. */
  private ringStatStreak = 0;
  private statBatchesThroughRing = 0;
  private statBatchesInTurn = 0;
  private readonly timeSteps = new TimeSteps(
    (fd) => {
      const statfs = new BigUint64Array(8);
      return this.shim.blit_fstatfs(fd, statfs) < 0 ? undefined : (TIME_STEP_NS[Number(statfs[0]!)] ?? 0);
    },
    (fd) => {
      const buf = new Uint8Array(STATX_SIZE);
      return this.shim.blit_statx(fd, this.cstr(NO_NAME, 1), this.c.AT_EMPTY_PATH, this.c.STATX_BASIC_STATS, buf) < 0 ? undefined : this.parseStatx(new DataView(buf.buffer)).dev;
    },
  );

  private constructor(
    private readonly shim: Shim,
    private readonly c: Constants,
    readonly shimPath: string,
  ) {
    super();
    this.cwd = c.AT_FDCWD;
  }

  static open(path: string): LinuxBackend {
    const { shim, constants } = openShim(path);
    return new LinuxBackend(shim, constants, path);
  }

  /** Copies a name into a scratch buffer with its NUL; slot picks the buffer. */
  private cstr(name: Name, slot: 0 | 1): Uint8Array {
    let buf = this.scratch[slot]!;
    if (name.length + 1 > buf.length) {
      buf = new Uint8Array(name.length + 1);
      this.scratch[slot] = buf;
    }
    buf.set(name);
    buf[name.length] = 0;
    return buf;
  }

  strerror(errno: number): string {
    let text = this.errorText.get(errno);
    if (text === undefined) {
      const n = this.shim.blit_strerror(errno, this.errBuf, this.errBuf.length);
      text = this.decoder.decode(this.errBuf.subarray(0, n));
      this.errorText.set(errno, text);
    }
    return text;
  }

  readonly fileLimit: FileLimitCapability = {
    raise: () => knownLimit(this.shim.blit_raise_nofile()),
    open: () => openFilesIn("/proc/self/fd", knownLimit(this.shim.blit_raise_nofile())),
  };

  readonly readAhead: ReadAheadCapability = {
    walk: (path, data, keep = "none", pair) => {
      const reads = data === "all" || (data === "unless-cloned" && !this.clones(path));
      // The shim's READ_NONE, READ_ALL, READ_CHANGED.
      return this.shim.blit_read_ahead(this.cstr(path, 0), reads ? (pair === "source" ? 2 : 1) : 0, WALK_KEEP[keep], pair === "destination" ? 1 : 0);
    },
    walked: (dir, names, xattrSizes, maxAgeMs = 0) => {
      const { arena } = this.nameArena(names);
      const out = this.reusable("stats", names.length * STATX_SIZE);
      const sizes = xattrSizes ? new BigInt64Array(names.length) : null;
      const found = new Uint8Array(names.length);
      if (this.shim.blit_walked_stats(dir, arena, names.length, out, sizes, found, maxAgeMs) === 0) return undefined;
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const stats = names.map((_, i) => (found[i] ? this.parseStatx(view, i * STATX_SIZE) : -this.errno.ENOENT));
      this.timeSteps.inDir(stats, dir);
      return stats.map((stat, i) => (typeof stat === "number" ? undefined : { stat, xattrListSize: sizes ? Number(sizes[i]) : -this.errno.ENODATA }));
    },
    listUnchanged: (srcDir, dstDir, xattrSizes, maxAgeMs) => {
      const counts = new BigUint64Array(UNCHANGED_COUNTS);
      const rest = this.reusable("names", UNCHANGED_LISTING);
      // A side no walk kept is statted in the shim, one name at a time, as
      // statInTurn does: not while stats wait for the disk and the worker
      // has a ring (null: none to be had), whose batches are quicker then.
      const statUnkept = this.statsWait && this.ring !== null ? 0 : 1;
      const left = this.shim.blit_list_unchanged(srcDir, dstDir, xattrSizes ? 1 : 0, maxAgeMs, statUnkept, rest, rest.length, counts);
      if (left === -this.errno.ENOENT) return undefined;
      if (left < 0) return left;
      // The shim's STATTED_NOW and STATTED_NS: how many it statted, and how long that took.
      const statted = Number(counts[5]);
      if (statted > 0) this.statsWait = Number(counts[6]) / statted >= this.waitingStatNs;
      const names: Name[] = [];
      for (let at = 0; names.length < left; ) {
        const end = rest.indexOf(0, at);
        names.push(rest.slice(at, end));
        at = end + 1;
      }
      return { listed: Number(counts[3]), same: Number(counts[0]), sameBytes: Number(counts[1]), rest: names, restDirectoriesOnly: counts[2] === 0n };
    },
    walkedHolds: (dir, prefix) => {
      const r = this.shim.blit_walked_holds_prefix(dir, this.cstr(prefix, 0));
      return r < 0 ? undefined : r === 1;
    },
    // The tree's root, and for each of its threads (4 at most) two: a directory and the file whose head is
    // read, or, opening a directory a component at a time (before Linux 5.6), the one reached and the next;
    // in DEST's walk of a pair, SOURCE's directory too, and SOURCE's root.
    filesPerWalk: 14,
    walking: () => this.shim.blit_read_ahead_running() > 0,
    counts: () => {
      const out = new BigUint64Array(7);
      this.shim.blit_read_ahead_counts(out);
      return { entries: Number(out[0]), bytes: Number(out[1]), taken: Number(out[2]), directories: Number(out[3]), waited: Number(out[4]), same: Number(out[5]), sameStatted: Number(out[6]) };
    },
  };

  /** Whether the filesystem a directory is on can clone files (FICLONE), by its statfs magic; false if it cannot be told. */
  private clones(path: Name): boolean {
    const fd = this.openDir(this.cwd, path, true);
    if (fd < 0) return false;
    const statfs = new BigUint64Array(8);
    const r = this.shim.blit_fstatfs(fd, statfs);
    this.close(fd);
    return r >= 0 && CLONING_FILESYSTEMS.has(Number(statfs[0]!));
  }

  readonly pageCache: PageCacheCapability = {
    evict: (fd) => {
      // A file with nothing to write back (a /proc file, a pipe) says EINVAL: its pages are still dropped.
      const synced = this.shim.blit_fdatasync(fd);
      if (synced < 0 && synced !== -this.errno.EINVAL) return synced;
      return this.shim.blit_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    },
  };

  // ---------------------------------------------------------------- directories

  openDir(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    const flags = c.O_RDONLY | c.O_DIRECTORY | c.O_CLOEXEC | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW);
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, 0);
  }

  openDirNoAtime(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    const flags = c.O_RDONLY | c.O_DIRECTORY | c.O_CLOEXEC | c.O_NONBLOCK | c.O_NOATIME | (follow ? 0 : c.O_NOFOLLOW);
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, 0);
  }

  openUnreadableDir(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    return this.shim.blit_openat(dir, this.cstr(name, 0), c.O_PATH | c.O_DIRECTORY | c.O_CLOEXEC | (follow ? 0 : c.O_NOFOLLOW), 0);
  }

  openForAttributes(dir: number, name: Name): number {
    const c = this.c;
    return this.shim.blit_openat(dir, this.cstr(name, 0), c.O_PATH | c.O_NOFOLLOW | c.O_CLOEXEC, 0);
  }

  readDir(dir: number): DirEntry[] | number {
    const entries: DirEntry[] = [];
    const buf = this.direntBuf;
    const view = this.direntView;
    // One getdents64 at a time (a few hundred names); keep going only while
    // a call yields nothing but "." and "..".
    while (entries.length === 0) {
      const n = this.shim.blit_getdents64(dir, buf, buf.length);
      if (n <= 0) return n < 0 ? n : entries;
      let off = 0;
      while (off < n) {
        // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name
        const reclen = view.getUint16(off + 16, true);
        const nameStart = off + 19;
        let nameEnd = nameStart;
        while (buf[nameEnd] !== 0) nameEnd++;
        const len = nameEnd - nameStart;
        const isDot = (len === 1 && buf[nameStart] === 0x2e) ||
          (len === 2 && buf[nameStart] === 0x2e && buf[nameStart + 1] === 0x2e);
        if (!isDot) entries.push({ name: buf.slice(nameStart, nameEnd) });
        off += reclen;
      }
    }
    return entries;
  }

  makeDir(dir: number, name: Name, mode: number): number {
    return this.shim.blit_mkdirat(dir, this.cstr(name, 0), mode);
  }

  // ------------------------------------------------- the process and operands

  readonly platform = `linux-${process.arch}`;
  readonly pathRules = POSIX_PATH_RULES;

  identity(): Identity | undefined {
    return processIdentity();
  }

  commandLine(): Uint8Array[] | undefined {
    return procCommandLine();
  }

  realPath(path: Name): Name | number {
    return realPathOf(path);
  }

  mounts(): Mount[] | undefined {
    return procMounts();
  }

  mountOf(path: Name): number | undefined {
    const r = this.shim.blit_statx(this.c.AT_FDCWD, this.cstr(path, 0), this.c.AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, this.statBuf);
    // stx_mask says whether the kernel (5.8 and later) filled stx_mnt_id in.
    if (r < 0 || (this.statView.getUint32(0, true) & STATX_MNT_ID) === 0) return undefined;
    return Number(this.statView.getBigUint64(144, true));
  }

  inheritedDescriptor(fd: number): boolean | undefined {
    return inheritedAtStart(fd);
  }


  // ---------------------------------------------------------------- stat

  private parseStatx(v: DataView = this.statView, at = 0): Stat {
    return {
      nlink: v.getUint32(at + 16, true),
      uid: v.getUint32(at + 20, true),
      gid: v.getUint32(at + 24, true),
      mode: v.getUint16(at + 28, true),
      ino: v.getBigUint64(at + 32, true),
      size: u64At(v, at + 40),
      blocks: u64At(v, at + 48),
      atimeSec: i64At(v, at + 64),
      atimeNsec: v.getUint32(at + 72, true),
      mtimeSec: i64At(v, at + 112),
      mtimeNsec: v.getUint32(at + 120, true),
      rdevMajor: v.getUint32(at + 128, true),
      rdevMinor: v.getUint32(at + 132, true),
      dev: v.getUint32(at + 136, true) * 4294967296 + v.getUint32(at + 140, true),
    };
  }

  /**
   * A buffer of at least `size` bytes kept from call to call: fresh memory for
   * every batch would be faulted in page by page, which on a VM that hands
   * freed pages back to its host costs more than the copying.
   */
  private reusable(which: "names" | "stats" | "data", size: number): Uint8Array {
    let buf = this.batchBuffers[which];
    if (buf.length < size) {
      buf = stableBytes(Math.max(size, buf.length * 2));
      this.batchBuffers[which] = buf;
    }
    return buf;
  }

  /**
   * Called after each batch: if the ring was given up, operations of that
   * batch may still be using the reusable buffers, so they are retired for
   * good and the next batch gets new ones.
   */
  private retireBuffersIfBroken(ring: Ring): void {
    if (!ring.broken) return;
    const { names, stats, data } = this.batchBuffers;
    keepForever(names, stats, data);
    this.batchBuffers = { names: stableBytes(0), stats: stableBytes(0), data: stableBytes(0) };
  }

  /** Names, each NUL-terminated, in one buffer the kernel can read while ops are in flight. */
  private nameArena(names: Name[]): { arena: Uint8Array; offsets: number[] } {
    let total = 0;
    for (const name of names) total += name.length + 1;
    const arena = this.reusable("names", total);
    const offsets: number[] = [];
    let at = 0;
    for (const name of names) {
      offsets.push(at);
      arena.set(name, at);
      arena[at + name.length] = 0;
      at += name.length + 1;
    }
    return { arena, offsets };
  }

  stat(dir: number, name: Name, follow: boolean): Stat | number {
    const flags = follow ? 0 : this.c.AT_SYMLINK_NOFOLLOW;
    const r = this.shim.blit_statx(dir, this.cstr(name, 0), flags, this.c.STATX_BASIC_STATS, this.statBuf);
    if (r < 0) return r;
    const st = this.parseStatx();
    this.timeSteps.inDir([st], dir);
    return st;
  }

  fstat(fd: number): Stat | number {
    const r = this.shim.blit_statx(fd, this.cstr(NO_NAME, 0), this.c.AT_EMPTY_PATH, this.c.STATX_BASIC_STATS, this.statBuf);
    return r < 0 ? r : this.timeSteps.ofFd(this.parseStatx(), fd);
  }

  appendOnly(dir: number): boolean {
    const r = this.shim.blit_statx(dir, this.cstr(NO_NAME, 0), this.c.AT_EMPTY_PATH, this.c.STATX_BASIC_STATS, this.statBuf);
    // The flag comes with any statx (stx_attributes): no ioctl on the directory.
    return r >= 0 && (this.statView.getUint32(8, true) & STATX_ATTR_APPEND) !== 0;
  }

  statMany(dir: number, names: Name[], follow: boolean): (Stat | number)[] {
    if (names.length < 2) return names.map((name) => this.stat(dir, name, follow));
    const ring = this.ringState();
    let stats: (Stat | number)[];
    if (ring && this.statsWait && ++this.ringStatStreak < RETRY_IN_TURN_EVERY) {
      stats = this.statThroughRing(ring, dir, names, follow);
    } else {
      this.ringStatStreak = 0;
      stats = this.statInTurn(dir, names, follow);
    }
    this.timeSteps.inDir(stats, dir);
    return stats;
  }

  /** One call into the shim for the batch, timed: how long each stat took says whether the next batch goes through the ring. */
  private statInTurn(dir: number, names: Name[], follow: boolean): (Stat | number)[] {
    const { arena } = this.nameArena(names);
    const out = this.reusable("stats", names.length * STATX_SIZE);
    if (this.statResults.length < names.length) this.statResults = new Int32Array(Math.max(names.length, this.statResults.length * 2));
    const results = this.statResults;
    const flags = follow ? 0 : this.c.AT_SYMLINK_NOFOLLOW;
    const start = Bun.nanoseconds();
    this.shim.blit_statx_many(dir, arena, names.length, flags, this.c.STATX_BASIC_STATS, out, results);
    this.statsWait = (Bun.nanoseconds() - start) / names.length >= this.waitingStatNs;
    this.statBatchesInTurn++;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    return names.map((_, i) => (results[i]! < 0 ? results[i]! : this.parseStatx(view, i * STATX_SIZE)));
  }

  private statThroughRing(ring: Ring, dir: number, names: Name[], follow: boolean): (Stat | number)[] {
    this.statBatchesThroughRing++;
    const { arena, offsets } = this.nameArena(names);
    const out = this.reusable("stats", names.length * STATX_SIZE);
    const base = ptr(arena);
    const outBase = ptr(out);
    const flags = follow ? 0 : this.c.AT_SYMLINK_NOFOLLOW;
    const ops: BatchOp[] = names.map((_, i) => ({
      op: "statx",
      fd: dir,
      addr: base + offsets[i]!,
      addr2: outBase + i * STATX_SIZE,
      len: this.c.STATX_BASIC_STATS,
      opFlags: flags,
    }));
    const results = ring.runBatch(ops);
    const broken = ring.broken;
    this.retireBuffersIfBroken(ring);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    return names.map((name, i) => {
      const r = results[i]!;
      if (r >= 0) return this.parseStatx(view, i * STATX_SIZE);
      return this.notRun(r, broken) ? this.stat(dir, name, follow) : r;
    });
  }

  /**
   * An operation of a batch that did not run: the ring was given up (a
   * failed submission), or the kernel could start no io-wq thread for it
   * (ECANCELED, under a pids or RLIMIT_NPROC limit). It is done in turn,
   * rather than reported as the file's error.
   */
  private notRun(result: number, ringBroken: boolean): boolean {
    return result === -this.errno.ECANCELED || (ringBroken && result < 0);
  }

  // ---------------------------------------------------------------- files

  openRead(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    // O_NONBLOCK: a file swapped for a fifo after our stat must not hang us.
    // A stream is opened so too: the engine waits for its data in steps (streams.wait).
    const flags = c.O_RDONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW);
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, 0);
  }

  openReadNoAtime(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    const flags = c.O_RDONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK | c.O_NOATIME | (follow ? 0 : c.O_NOFOLLOW);
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, 0);
  }

  openWrite(dir: number, name: Name, follow = true): number {
    const c = this.c;
    return this.shim.blit_openat(dir, this.cstr(name, 0), c.O_WRONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW), 0);
  }

  createFile(dir: number, name: Name, mode: number, truncate = false, follow = false): number {
    const c = this.c;
    const flags = c.O_WRONLY | c.O_CREAT | (truncate ? c.O_TRUNC : c.O_EXCL) | (follow ? 0 : c.O_NOFOLLOW) | c.O_CLOEXEC | c.O_NOCTTY;
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, mode);
  }

  holdDirectory(fd: number): void {
    this.shim.blit_hold(fd);
  }

  inUse(dir: number, name: Name): boolean | undefined {
    const held = this.shim.blit_in_use(dir, this.cstr(name, 0));
    return held < 0 ? undefined : held === 1;
  }

  close(fd: number): number {
    return this.shim.blit_close(fd);
  }

  readMany(dir: number, files: { name: Name; size: number }[], follow: boolean, each: (index: number, result: ReadFile | number) => void): void {
    const c = this.c;
    const flags = c.O_RDONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW);
    const { starts, total } = batchLayout(files);
    const data = this.reusable("data", total);
    const ring = this.ringState();
    if (!ring) {
      files.forEach((f, i) => {
        const slice = data.subarray(starts[i]!, starts[i]! + f.size + 1);
        const fd = this.shim.blit_openat(dir, this.cstr(f.name, 0), flags, 0);
        if (fd < 0) return each(i, fd);
        const n = this.shim.blit_pread(fd, slice, slice.length, 0);
        if (n < 0) this.close(fd);
        each(i, n < 0 ? n : { fd, data: slice.subarray(0, n), method: "read_write" });
      });
      return;
    }
    // Opens first, all at once; then all the reads. Cold inodes and cold
    // data are fetched many at a time by the kernel's io-wq threads, and
    // each file is handed on as its read completes, so that the caller
    // writes it while the others are still being read.
    const { arena, offsets } = this.nameArena(files.map((f) => f.name));
    const base = ptr(arena);
    const fds = ring.runBatch(files.map((_, i) => ({ op: "openat", fd: dir, addr: base + offsets[i]!, opFlags: flags })));
    const opensBroken = ring.broken;
    this.retireBuffersIfBroken(ring);
    files.forEach((f, i) => {
      if (this.notRun(fds[i]!, opensBroken)) fds[i] = this.shim.blit_openat(dir, this.cstr(f.name, 0), flags, 0);
    });
    const dataBase = ptr(data);
    const reads: BatchOp[] = [];
    const readOf: number[] = [];
    files.forEach((f, i) => {
      if (fds[i]! < 0) return;
      readOf.push(i);
      reads.push({ op: "read", fd: fds[i]!, addr: dataBase + starts[i]!, len: f.size + 1, offset: 0 });
    });
    const handed = new Uint8Array(files.length);
    const hand = (i: number, result: ReadFile | number) => {
      handed[i] = 1;
      each(i, result);
    };
    try {
      files.forEach((_, i) => fds[i]! < 0 && hand(i, fds[i]!));
      ring.runBatch(reads, (k, n) => {
        const i = readOf[k]!;
        const fd = fds[i]!;
        if (this.notRun(n, ring.broken)) {
          // Into a buffer of its own: a read of the given-up ring may still land in `data`.
          const own = new Uint8Array(files[i]!.size + 1);
          const got = this.shim.blit_pread(fd, own, own.length, 0);
          if (got < 0) this.close(fd);
          return hand(i, got < 0 ? got : { fd, data: own.subarray(0, got), method: "read_write" });
        }
        if (n < 0) this.close(fd);
        hand(i, n < 0 ? n : { fd, data: data.subarray(starts[i]!, starts[i]! + n), method: "batched" });
      });
    } catch (err) {
      // `each` threw: the files it was never given are closed, none left open.
      for (const i of readOf) if (!handed[i]) this.close(fds[i]!);
      throw err;
    } finally {
      this.retireBuffersIfBroken(ring);
    }
  }

  // ---------------------------------------------------------------- data

  readonly methodLabels: Record<CopyMethod, string> = { clone: "FICLONE", kernel: "copy_file_range", batched: "io_uring", read_write: "pread/pwrite" };

  readAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    return this.shim.blit_pread(fd, buf, length, pos);
  }

  writeAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    return this.shim.blit_pwrite(fd, buf, length, pos);
  }

  truncate(fd: number, size: number): number {
    return this.shim.blit_ftruncate(fd, size);
  }

  readonly clone: CloneMechanism = {
    into: (src, dst) => this.shim.blit_ficlone(dst, src),
  };

  readonly kernelCopy: KernelCopyMechanism = {
    range: (src, srcPos, dst, dstPos, length) => this.shim.blit_copy_file_range(src, srcPos, dst, dstPos, length),
  };

  readonly holes: HolesMechanism = {
    nextData: (fd, pos) => this.shim.blit_lseek(fd, pos, this.c.SEEK_DATA),
    nextHole: (fd, pos) => this.shim.blit_lseek(fd, pos, this.c.SEEK_HOLE),
    end: (fd) => this.shim.blit_lseek(fd, 0, SEEK_END),
    punch: (fd, offset, length) => this.shim.blit_punch_hole(fd, offset, length),
  };

  override readonly streams: StreamsMechanism = {
    // blit_poll gives the events seen (POLLOUT is 4, POLLHUP 16): the contract's answer is 1.
    wait: (fd, write, ms) => {
      const r = this.shim.blit_poll(fd, write ? POLLOUT : POLLIN, ms);
      return r > 0 ? 1 : r;
    },
  };

  adviseSequential(fd: number): void {
    this.shim.blit_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }

  reopenRead(fd: number, noAtime = false): number {
    const c = this.c;
    const path = new TextEncoder().encode(`/proc/self/fd/${fd}\0`);
    const flags = c.O_RDONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK;
    const again = noAtime ? this.shim.blit_openat(c.AT_FDCWD, path, flags | c.O_NOATIME, 0) : -this.errno.EPERM;
    return again === -this.errno.EPERM ? this.shim.blit_openat(c.AT_FDCWD, path, flags, 0) : again;
  }

  batchedRange(src: number, dst: number, start: number, length: number, cancel: Int32Array | undefined): RangeResult | undefined {
    const ring = this.ringState();
    if (!ring) return undefined;
    const r = ring.copyRange(src, dst, start, length, cancel);
    // Not run (a read the kernel cancelled), or the ring given up under it (a
    // failed submission or wait, the ring torn down and its queued writes
    // cancelled): the range is copied by the next method, as where there is no ring.
    return r === undefined || (!r.ok && r.stage !== "cancelled" && ring.broken) ? undefined : r;
  }

  /** This thread's ring, created on first use; null when io_uring is off or absent. */
  private ringState(): Ring | null {
    if (this.ring?.broken) {
      this.ring = null;
      this.ringFailure = "abandoned after a failed wait";
    }
    if (this.ring !== undefined) return this.ring;
    this.ring = null;
    if (process.env.BLIT_NO_URING === "1") {
      this.ringFailure = "disabled by BLIT_NO_URING=1";
      return null;
    }
    const ring = Ring.create(this.shim, this.queueDepth);
    if (typeof ring === "number") this.ringFailure = this.strerror(-ring);
    else this.ring = ring;
    return this.ring;
  }

  // ---------------------------------------------------------------- links and names

  readLink(dir: number, name: Name): Uint8Array | number {
    let size = 256;
    for (;;) {
      const buf = new Uint8Array(size);
      const n = this.shim.blit_readlinkat(dir, this.cstr(name, 0), buf, size);
      if (n < 0) return n;
      if (n < size) return buf.slice(0, n);
      size *= 4;
    }
  }

  makeSymlink(target: Uint8Array, dir: number, name: Name): number {
    return this.shim.blit_symlinkat(this.cstr(target, 1), dir, this.cstr(name, 0));
  }

  makeLink(fromDir: number, fromName: Name, toDir: number, toName: Name, follow = false): number {
    return this.shim.blit_linkat(fromDir, this.cstr(fromName, 0), toDir, this.cstr(toName, 1), follow ? this.c.AT_SYMLINK_FOLLOW : 0);
  }

  readonly specialFiles: SpecialFilesCapability = {
    makeNode: (dir, name, mode, rdevMajor, rdevMinor) => {
      // glibc's makedev() encoding of dev_t.
      const dev = (BigInt(rdevMajor & 0xfffff000) << 32n) | (BigInt(rdevMajor & 0xfff) << 8n) |
        (BigInt(rdevMinor & 0xffffff00) << 12n) | BigInt(rdevMinor & 0xff);
      return this.shim.blit_mknodat(dir, this.cstr(name, 0), mode, dev);
    },
  };

  rename(fromDir: number, fromName: Name, toDir: number, toName: Name, replace: boolean): number {
    const flags = replace ? 0 : this.c.RENAME_NOREPLACE;
    return this.shim.blit_renameat2(fromDir, this.cstr(fromName, 0), toDir, this.cstr(toName, 1), flags);
  }

  remove(dir: number, name: Name, isDir: boolean): number {
    return this.shim.blit_unlinkat(dir, this.cstr(name, 0), isDir ? this.c.AT_REMOVEDIR : 0);
  }

  canWrite(dir: number, name: Name): number {
    return this.shim.blit_faccessat(dir, this.cstr(name, 0), this.c.W_OK, this.c.AT_EACCESS | this.c.AT_SYMLINK_NOFOLLOW);
  }

  // ---------------------------------------------------------------- metadata

  readonly owners: OwnersCapability = {
    chownFd: (fd, uid, gid) => this.shim.blit_fchown(fd, uid, gid),
    chownAt: (dir, name, uid, gid) => this.shim.blit_fchownat(dir, this.cstr(name, 0), uid, gid, this.c.AT_SYMLINK_NOFOLLOW),
  };

  /**
   * The inode flags chattr sets. cp never copies them, so none is kept from
   * SOURCE; a file replacing one gets those cp's write in place leaves it
   * (nodump, noatime, sync, compression), not those that forbid the write
   * (immutable, append-only) or that apply only to an empty file (No_COW).
   */
  readonly attributes: AttributesCapability = {
    kept: 0,
    keptOnReplace: INODE_FLAGS_KEPT_ON_REPLACE,
    setFd: (fd, value) => this.shim.blit_set_inode_flags(fd, -1, null, value),
    setAt: (dir, name, value) => this.shim.blit_set_inode_flags(-1, dir, this.cstr(name, 0), value),
    readFd: (fd) => this.shim.blit_get_inode_flags(fd, -1, null),
    readAt: (dir, name) => this.shim.blit_get_inode_flags(-1, dir, this.cstr(name, 0)),
  };

  readonly modes: ModesCapability = {
    chmodFd: (fd, mode) => this.shim.blit_fchmod(fd, mode),
    // Never through a symlink: the entry may have been swapped for one to a file outside DEST.
    chmodAt: (dir, name, mode) => this.shim.blit_fchmodat(dir, this.cstr(name, 0), mode, this.c.AT_SYMLINK_NOFOLLOW),
    inheritedPermissions: (dir) => {
      const acl = this.xattrs.get(dir, DEFAULT_ACL);
      return typeof acl === "number" ? undefined : permissionsOfAcl(acl);
    },
  };

  setTimesFd(fd: number, t: Times): number {
    return this.shim.blit_futimens(fd, t.atimeSec, t.atimeNsec, t.mtimeSec, t.mtimeNsec);
  }

  setTimesAt(dir: number, name: Name, t: Times): number {
    return this.shim.blit_utimensat(dir, this.cstr(name, 0), t.atimeSec, t.atimeNsec, t.mtimeSec, t.mtimeNsec, this.c.AT_SYMLINK_NOFOLLOW);
  }

  // ---------------------------------------------------------------- extended attributes

  private splitNames(n: number): Name[] | number {
    if (n < 0) return n;
    const names: Name[] = [];
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (this.xattrBuf[i] === 0) {
        if (i > start) names.push(this.xattrBuf.slice(start, i));
        start = i + 1;
      }
    }
    return names;
  }

  private xattrValue(n: number): Uint8Array | number {
    return n < 0 ? n : this.xattrBuf.slice(0, n);
  }

  readonly xattrs: XattrsCapability = {
    list: (fd) => this.splitNames(this.shim.blit_flistxattr(fd, this.xattrBuf, XATTR_MAX)),
    listAt: (dir, name) => this.splitNames(this.shim.blit_llistxattrat(dir, this.cstr(name, 0), this.xattrBuf, XATTR_MAX)),
    get: (fd, attr) => this.xattrValue(this.shim.blit_fgetxattr(fd, this.cstr(attr, 1), this.xattrBuf, XATTR_MAX)),
    getAt: (dir, name, attr) =>
      this.xattrValue(this.shim.blit_lgetxattrat(dir, this.cstr(name, 0), this.cstr(attr, 1), this.xattrBuf, XATTR_MAX)),
    set: (fd, attr, value) => this.shim.blit_fsetxattr(fd, this.cstr(attr, 1), value, value.length, 0),
    setAt: (dir, name, attr, value) =>
      this.shim.blit_lsetxattrat(dir, this.cstr(name, 0), this.cstr(attr, 1), value, value.length, 0),
    listSizesAt: (dir, names) => {
      const { arena } = this.nameArena(names);
      const sizes = new BigInt64Array(names.length);
      this.shim.blit_llistxattr_sizes(dir, arena, names.length, sizes);
      return Array.from(sizes, Number);
    },
    remove: (fd, attr) => this.shim.blit_fremovexattr(fd, this.cstr(attr, 1)),
    removeAt: (dir, name, attr) => this.shim.blit_lremovexattrat(dir, this.cstr(name, 0), this.cstr(attr, 1)),
  };

  // ---------------------------------------------------------------- reports

  tune(options: { queueDepth: number }): void {
    this.queueDepth = options.queueDepth;
  }

  counters(): BackendCounters {
    const ring = this.ring ?? undefined;
    return {
      "native calls": this.shim.blit_native_calls(),
      "io_uring submits": ring?.submits ?? 0,
      "io_uring ops": ring?.opsSubmitted ?? 0,
      "stat batches in turn": this.statBatchesInTurn,
      "stat batches through io_uring": this.statBatchesThroughRing,
    };
  }

  report(): BackendReport {
    const ring = this.ringState();
    return {
      backend: "linux (native shim over liburing)",
      details: [
        ["shim", this.shimPath],
        ["kernel", release()],
        ["io_uring", ioUringReport(this.shim, (e) => this.strerror(e))],
        ["io_uring ring", ring ? "set up" : `not used: ${this.ringFailure}`],
        ["open file limit", String(this.fileLimit.raise())],
      ],
    };
  }

  probeFilesystem(dir: number): FilesystemReport | number {
    return probeFilesystem(this, this.shim, this.c, this.ringState() !== null, dir);
  }
}
