// The macOS backend: the Backend contract over c/darwin/blit_darwin.c. Every
// call is relative to a directory descriptor; names are passed as bytes.
//
// The same class runs on Linux over the Linux build of the same shim (the
// tests do that): what the shim's build lacks (blit_features) is then not
// offered, so the members below that exist only on a Mac are the ones a Mac
// alone can check.

import { type Identity, POSIX_PATH_RULES } from "../backend.ts";
import { knownLimit, openFilesIn, processIdentity, realPathOf, RuntimeStdio } from "../process.ts";
import { inheritedAtStart } from "../start-descriptors.ts";
import { ReusableBuffer } from "../reusable-buffer.ts";
import { TimeSteps } from "../time-steps.ts";
import type {
  AttributesCapability,
  Backend,
  CaseFoldingCapability,
  SidecarsCapability,
  CloneAtMechanism,
  FileLimitCapability,
  ModesCapability,
  OwnersCapability,
  SpecialFilesCapability,
  XattrsCapability,
  BackendCounters,
  BackendReport,
  CopyMethod,
  DirEntry,
  ErrnoTable,
  FilesystemReport,
  HolesMechanism,
  Name,
  PageCacheCapability,
  ReadFile,
  Stat,
  StreamsMechanism,
  Times,
} from "../backend.ts";
import { probeFilesystem } from "./probe.ts";
import { type Constants, DIRENT_HEADER, Feature, openShim, parseStat, type Shim, STAT_SIZE, Volume } from "./shim.ts";

/** One getattrlistbulk call's worth of entries (the kernel fills a quarter of it, see blit_read_dir). */
const DIR_BUFFER = 128 << 10;
const PATH_SCRATCH = 1025;
const NO_NAME = new Uint8Array(0);
/** A file this large is read without caching its pages (F_NOCACHE): a 50 GB copy must not evict the page cache. */
const NOCACHE_FROM = 1 << 30;
/**
 * The file systems that keep a modification time more coarsely than the
 * microsecond sameTimes allows anyway, by statfs's f_fstypename
 * (Stat.timeStepNs): msdos (FAT) in 2 s, exfat in 10 ms.
 */
const TIME_STEP_NS: Record<string, number> = { msdos: 2e9, exfat: 1e7 };
/**
 * macOS keeps a file's ACL outside its extended attributes. The backend
 * shows it as one more attribute under this name (the name Apple's copyfile
 * gives it in AppleDouble files), holding acl_to_text's form, so the engine
 * copies it with the others, and with the mode (src/engine/metadata.ts).
 */
export const ACL_ATTRIBUTE = new TextEncoder().encode("com.apple.acl.text");
/** blit_acl_set's text for "no ACL". */
const NO_ACL = new Uint8Array(0);
/**
 * The st_flags the shim sets: all but its FLAGS_OF_STORAGE (UF_COMPRESSED,
 * UF_TRACKED, UF_DATAVAULT, SF_RESTRICTED, SF_NOUNLINK, SF_FIRMLINK,
 * SF_DATALESS), which stay the destination's own.
 */
const FLAGS_KEPT = ~(0x20 | 0x40 | 0x80 | 0x80000 | 0x100000 | 0x800000 | 0x40000000) >>> 0;

/** UF_IMMUTABLE, UF_APPEND, SF_ARCHIVED, SF_IMMUTABLE, SF_APPEND: flags of a file cp could not write into, or the system's own. */
const FLAGS_FORBIDDING_WRITES = 0x2 | 0x4 | 0x10000 | 0x20000 | 0x40000;

/** UF_APPEND, SF_APPEND: on a directory, names are added and none removed or renamed. */
const FLAGS_APPEND_ONLY = 0x4 | 0x40000;

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const DOT = 0x2e;
const UNDERSCORE = 0x5f;

/**
 * A name as a case-insensitive APFS or HFS+ volume compares it: its
 * characters decomposed (both ignore how a name is normalized: é and e +
 * U+0301 are one name) and made small. A name that is not UTF-8, which
 * neither volume can hold, is its own key.
 */
export function foldedKey(name: Name): string {
  let text: string;
  try {
    text = STRICT_UTF8.decode(name);
  } catch {
    return `\0${String.fromCharCode(...name)}`;
  }
  return text.normalize("NFD").toLowerCase().replace(NOT_FOLDED, (c) => FOLDED[c]!);
}

/**
 * Where Unicode's case folding (CaseFolding.txt, C and S: what APFS and
 * HFS+ compare) differs from toLowerCase, which leaves these small letters
 * as they are: µ and μ are one name there, as are ſ and s (µ is what
 * Option-M types). The final sigma too: toLowerCase writes ς at a word's
 * end, case folding never does.
 */
const FOLDED: Record<string, string> = {
  "\u00b5": "\u03bc", "\u017f": "s", "\u0345": "\u03b9", "\u03c2": "\u03c3", "\u03d0": "\u03b2", "\u03d1": "\u03b8",
  "\u03d5": "\u03c6", "\u03d6": "\u03c0", "\u03f0": "\u03ba", "\u03f1": "\u03c1", "\u03f5": "\u03b5",
};
const NOT_FOLDED = new RegExp(`[${Object.keys(FOLDED).join("")}]`, "g");

export class DarwinBackend extends RuntimeStdio implements Backend {
  readonly id = "darwin";
  readonly errno: ErrnoTable;
  readonly cwd: number;
  readonly sharedHandles = true;
  readonly securityLabels = false;

  private readonly scratch = [new Uint8Array(PATH_SCRATCH), new Uint8Array(PATH_SCRATCH), new Uint8Array(PATH_SCRATCH)];
  private readonly statBuf = new Uint8Array(STAT_SIZE);
  private readonly statView = new DataView(this.statBuf.buffer);
  private readonly dirBuf = new Uint8Array(DIR_BUFFER);
  private readonly dirView = new DataView(this.dirBuf.buffer);
  private readonly errBuf = new Uint8Array(256);
  private readonly batchData = new ReusableBuffer();
  /** Stat.timeStepNs: the volume's file system, by the name statfs gives it. */
  private readonly timeSteps = new TimeSteps(
    (fd) => {
      const name = new Uint8Array(64);
      if (this.shim.blit_volume(fd, name, name.length, new Uint32Array(1)) < 0) return undefined;
      return TIME_STEP_NS[this.decoder.decode(name.subarray(0, name.indexOf(0)))] ?? 0;
    },
    (fd) => {
      const buf = new Uint8Array(STAT_SIZE);
      return this.shim.blit_fstat(fd, buf) < 0 ? undefined : parseStat(new DataView(buf.buffer), 0).dev;
    },
  );
  private readonly decoder = new TextDecoder();
  /** Each device's answer to whether it ignores case, once per thread; and the last answer, for a directory not made yet. */
  private readonly ignoresCaseByDev = new Map<number, boolean>();
  /** Each device's answer to whether it keeps xattrs itself (not in ._NAME files). */
  private readonly nativeXattrsByDev = new Map<number, boolean>();
  private lastIgnoresCase = false;
  private readonly errorText = new Map<number, string>();
  private readonly has: (feature: keyof typeof Feature) => boolean;

  private constructor(
    private readonly shim: Shim,
    private readonly c: Constants,
    errno: ErrnoTable,
    private readonly features: number,
    readonly shimPath: string,
  ) {
    super();
    this.errno = errno;
    this.cwd = c.AT_FDCWD;
    this.has = (feature) => (features & Feature[feature]) !== 0;
    if (!this.has("clone")) delete (this as { cloneAt?: unknown }).cloneAt;
    if (!this.has("flags")) delete (this as { attributes?: unknown }).attributes;
    if (!this.has("volumeCaps")) delete (this as { caseFolding?: unknown }).caseFolding;
    if (!this.has("volumeCaps")) delete (this as { sidecars?: unknown }).sidecars;
  }

  static open(path: string): DarwinBackend {
    const { shim, constants, errno, features } = openShim(path);
    return new DarwinBackend(shim, constants, errno, features, path);
  }

  /** Copies a name into a scratch buffer with its NUL; slot picks the buffer. */
  private cstr(name: Name, slot: 0 | 1 | 2): Uint8Array {
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

  /** As far as kern.maxfilesperproc allows: macOS refuses RLIM_INFINITY. */
  readonly fileLimit: FileLimitCapability = {
    raise: () => knownLimit(this.shim.blit_raise_nofile()),
    open: () => openFilesIn("/dev/fd", knownLimit(this.shim.blit_raise_nofile())),
  };

  // ---------------------------------------------------------------- directories

  openDir(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    const flags = c.O_RDONLY | c.O_DIRECTORY | c.O_CLOEXEC | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW);
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, 0);
  }

  /** Entries with their metadata in one call (getattrlistbulk; on Linux, getdents64 and fstatat). */
  readDir(dir: number): DirEntry[] | number {
    const n = this.shim.blit_read_dir(dir, this.dirBuf, this.dirBuf.length);
    if (n < 0) return n;
    const entries: DirEntry[] = [];
    const view = this.dirView;
    for (let off = 0; off < n;) {
      const reclen = view.getUint32(off, true);
      const nameLen = view.getUint32(off + 4, true);
      const nameStart = off + DIRENT_HEADER + STAT_SIZE;
      const entry: DirEntry = { name: this.dirBuf.slice(nameStart, nameStart + nameLen) };
      if (view.getUint32(off + 8, true) === 1) entry.stat = parseStat(view, off + DIRENT_HEADER);
      entries.push(entry);
      off += reclen;
    }
    return entries;
  }

  makeDir(dir: number, name: Name, mode: number): number {
    return this.shim.blit_mkdirat(dir, this.cstr(name, 0), mode);
  }

  // ------------------------------------------------- the process and operands

  readonly platform = `${process.platform}-${process.arch}`;
  readonly pathRules = POSIX_PATH_RULES;

  identity(): Identity | undefined {
    return processIdentity();
  }

  /** The arguments' exact bytes (_NSGetArgv; /proc/self/cmdline in the Linux build). */
  commandLine(): Uint8Array[] | undefined {
    let buf = new Uint8Array(4096);
    let n = this.shim.blit_command_line(buf, buf.length);
    if (n > buf.length) {
      buf = new Uint8Array(n);
      n = this.shim.blit_command_line(buf, buf.length);
    }
    if (n < 0 || n > buf.length) return undefined;
    const args: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buf[i] === 0) {
        args.push(buf.slice(start, i));
        start = i + 1;
      }
    }
    return args;
  }

  realPath(path: Name): Name | number {
    return realPathOf(path);
  }

  inheritedDescriptor(fd: number): boolean | undefined {
    return inheritedAtStart(fd);
  }


  // ---------------------------------------------------------------- stat

  stat(dir: number, name: Name, follow: boolean): Stat | number {
    const st = this.statOne(dir, name, follow);
    this.timeSteps.inDir([st], dir);
    return st;
  }

  private statOne(dir: number, name: Name, follow: boolean): Stat | number {
    const r = this.shim.blit_fstatat(dir, this.cstr(name, 0), follow ? 0 : this.c.AT_SYMLINK_NOFOLLOW, this.statBuf);
    return r < 0 ? r : parseStat(this.statView, 0);
  }

  fstat(fd: number): Stat | number {
    const r = this.shim.blit_fstat(fd, this.statBuf);
    return r < 0 ? r : this.timeSteps.ofFd(parseStat(this.statView, 0), fd);
  }

  appendOnly(dir: number): boolean {
    const st = this.fstat(dir);
    return typeof st !== "number" && ((st.attributes ?? 0) & FLAGS_APPEND_ONLY) !== 0;
  }

  statMany(dir: number, names: Name[], follow: boolean): (Stat | number)[] {
    const stats = names.map((name) => this.statOne(dir, name, follow));
    this.timeSteps.inDir(stats, dir);
    return stats;
  }

  // ---------------------------------------------------------------- files

  openRead(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    // O_NONBLOCK: a file swapped for a fifo after our stat must not hang us.
    // A stream is opened so too: the engine waits for its data in steps (streams.wait).
    const flags = c.O_RDONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW);
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

  close(fd: number): number {
    return this.shim.blit_close(fd);
  }

  /** One open and one read per file: macOS has no batched I/O to offer. */
  readMany(dir: number, files: { name: Name; size: number }[], follow: boolean, each: (index: number, result: ReadFile | number) => void): void {
    const slices = this.batchData.slicesFor(files);
    files.forEach((f, i) => {
      const slice = slices[i]!;
      const fd = this.openRead(dir, f.name, follow);
      if (fd < 0) return each(i, fd);
      const n = this.shim.blit_pread(fd, slice, slice.length, 0);
      if (n < 0) this.close(fd);
      each(i, n < 0 ? n : { fd, data: slice.subarray(0, n), method: "read_write" });
    });
  }

  // ---------------------------------------------------------------- data

  get methodLabels(): Record<CopyMethod, string> {
    // The Linux build stands in for fclonefileat with FICLONE: say which one ran.
    const clone = this.has("bulkList") ? "fclonefileat" : "FICLONE (Linux stand-in for fclonefileat)";
    return { clone, kernel: "none", batched: "none", read_write: "pread/pwrite" };
  }

  readAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    return this.shim.blit_pread(fd, buf, length, pos);
  }

  writeAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    return this.shim.blit_pwrite(fd, buf, length, pos);
  }

  truncate(fd: number, size: number): number {
    return this.shim.blit_ftruncate(fd, size);
  }

  /**
   * APFS clones into a new name only (fclonefileat), never into an open
   * file: the engine's temporary name is the clone, renamed into place as
   * any other copy. No owner is copied (CLONE_NOOWNERCOPY); the mode and
   * the extended attributes come with the clone, the ACL not (no CLONE_ACL:
   * it inherits DEST's folder's, and the engine sets SOURCE's with -p).
   */
  readonly cloneAt?: CloneAtMechanism = {
    file: (src, dstDir, dstName) => this.shim.blit_clone_at(src, dstDir, this.cstr(dstName, 1)),
  };

  readonly holes: HolesMechanism = {
    nextData: (fd, pos) => this.shim.blit_lseek(fd, pos, this.c.SEEK_DATA),
    nextHole: (fd, pos) => this.shim.blit_lseek(fd, pos, this.c.SEEK_HOLE),
    end: (fd) => this.shim.blit_lseek(fd, 0, this.c.SEEK_END),
  };

  override readonly streams: StreamsMechanism = {
    wait: (fd, write, ms) => {
      const r = this.shim.blit_poll(fd, write ? this.c.POLLOUT : this.c.POLLIN, ms);
      return r > 0 ? 1 : r;
    },
  };

  /** F_RDAHEAD, and F_NOCACHE for a file of a gigabyte or more. */
  adviseSequential(fd: number): void {
    this.shim.blit_advise_sequential(fd, NOCACHE_FROM);
  }

  /**
   * --verify: the copy and SOURCE synced and their descriptors set to
   * F_NOCACHE, and the copy read back through a descriptor of its own set
   * so too (macOS has no call to drop one file's cached pages).
   */
  readonly pageCache: PageCacheCapability = {
    evict: (fd) => this.shim.blit_read_past_cache(fd),
    openUncached: (dir, name, follow) => {
      const fd = this.openRead(dir, name, follow);
      if (fd < 0) return fd;
      const r = this.shim.blit_read_past_cache(fd);
      if (r < 0) this.close(fd);
      return r < 0 ? r : fd;
    },
  };

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

  /** toDir means nothing here: a POSIX symlink is the same whatever it names. */
  makeSymlink(target: Uint8Array, dir: number, name: Name): number {
    return this.shim.blit_symlinkat(this.cstr(target, 1), dir, this.cstr(name, 0));
  }

  makeLink(fromDir: number, fromName: Name, toDir: number, toName: Name, follow = false): number {
    return this.shim.blit_linkat(fromDir, this.cstr(fromName, 0), toDir, this.cstr(toName, 1), follow ? this.c.AT_SYMLINK_FOLLOW : 0);
  }

  /** mkfifoat and mknodat, both new in macOS 13 (the minimum blit's runtime supports). */
  readonly specialFiles: SpecialFilesCapability = {
    makeNode: (dir, name, mode, rdevMajor, rdevMinor) => this.shim.blit_mknodat(dir, this.cstr(name, 0), mode, rdevMajor, rdevMinor),
  };

  /** renameatx_np(RENAME_EXCL) when not replacing (renameat2(RENAME_NOREPLACE) in the Linux build). */
  rename(fromDir: number, fromName: Name, toDir: number, toName: Name, replace: boolean): number {
    return this.shim.blit_rename(fromDir, this.cstr(fromName, 0), toDir, this.cstr(toName, 1), replace ? 0 : 1);
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

  readonly modes: ModesCapability = {
    chmodFd: (fd, mode) => this.shim.blit_fchmod(fd, mode),
    // macOS honours AT_SYMLINK_NOFOLLOW here (Linux does not): a name swapped for a symlink is not followed.
    chmodAt: (dir, name, mode) => this.shim.blit_fchmodat(dir, this.cstr(name, 0), mode, this.c.AT_SYMLINK_NOFOLLOW),
  };

  /** Access and modification times to the nanosecond, then the birth time where given and kept here (ATTR_CMN_CRTIME). */
  setTimesFd(fd: number, t: Times): number {
    const r = this.shim.blit_futimens(fd, t.atimeSec, t.atimeNsec, t.mtimeSec, t.mtimeNsec);
    if (r < 0 || t.birthtimeSec === undefined || !this.has("birthtime")) return r;
    return this.birthtimeKept(this.shim.blit_set_birthtime(fd, -1, null, t.birthtimeSec, t.birthtimeNsec ?? 0));
  }

  setTimesAt(dir: number, name: Name, t: Times): number {
    const cname = this.cstr(name, 0);
    const r = this.shim.blit_utimensat(dir, cname, t.atimeSec, t.atimeNsec, t.mtimeSec, t.mtimeNsec, this.c.AT_SYMLINK_NOFOLLOW);
    if (r < 0 || t.birthtimeSec === undefined || !this.has("birthtime")) return r;
    return this.birthtimeKept(this.shim.blit_set_birthtime(-1, dir, cname, t.birthtimeSec, t.birthtimeNsec ?? 0));
  }

  /**
   * A volume that cannot set a birth time (NFS, some SMB servers) keeps the
   * access and modification times all the same: the birth time is an extra
   * cp does not keep at all, not a reason to fail the file.
   */
  private birthtimeKept(r: number): number {
    return r === -this.errno.ENOTSUP || r === -this.errno.EOPNOTSUPP || r === -this.errno.EINVAL ? 0 : r;
  }

  /**
   * Names differing only by case are one name on a volume that says it is
   * not case-sensitive (VOL_CAP_FMT_CASE_SENSITIVE: the default APFS and
   * HFS+ volumes, exFAT): asked of the volume once per device. Absent
   * where volumes cannot be asked (the Linux build of the shim).
   */
  readonly caseFolding?: CaseFoldingCapability = {
    ignoresCase: (dir) => {
      if (dir < 0) return this.lastIgnoresCase;
      const st = this.fstat(dir);
      if (typeof st === "number") return this.lastIgnoresCase;
      let ignores = this.ignoresCaseByDev.get(st.dev);
      if (ignores === undefined) {
        const caps = new Uint32Array(1);
        ignores = this.shim.blit_volume(dir, new Uint8Array(64), 64, caps) === 0 && (caps[0]! & Volume.caseKnown) !== 0 && (caps[0]! & Volume.caseSensitive) === 0;
        this.ignoresCaseByDev.set(st.dev, ignores);
      }
      this.lastIgnoresCase = ignores;
      return ignores;
    },
    key: foldedKey,
  };

  /**
   * `._NAME` where the volume keeps no xattrs of its own
   * (VOL_CAP_INT_EXTENDED_ATTR unset: FAT, exFAT, SMB without streams),
   * NAME is there and the file begins as AppleDouble does (0x00051607):
   * macOS's file of NAME's xattrs. Asked of the volume once per device; one
   * that cannot be asked is taken to keep its own. Any other `._NAME` (one
   * without its NAME, or not AppleDouble) is a file like any other.
   */
  readonly sidecars?: SidecarsCapability = {
    holds: (dir, name) => {
      if (name.length <= 2 || name[0] !== DOT || name[1] !== UNDERSCORE) return false;
      const st = this.fstat(dir);
      if (typeof st === "number") return false;
      let native = this.nativeXattrsByDev.get(st.dev);
      if (native === undefined) {
        const caps = new Uint32Array(1);
        native = this.shim.blit_volume(dir, new Uint8Array(64), 64, caps) !== 0 || (caps[0]! & Volume.known) === 0 || (caps[0]! & Volume.nativeXattrs) !== 0;
        this.nativeXattrsByDev.set(st.dev, native);
      }
      if (native || typeof this.stat(dir, name.subarray(2), false) === "number") return false;
      const fd = this.openRead(dir, name, false);
      if (fd < 0) return false;
      const head = new Uint8Array(4);
      const got = this.readAt(fd, head, 4, 0);
      this.close(fd);
      return got === 4 && head[0] === 0x00 && head[1] === 0x05 && head[2] === 0x16 && head[3] === 0x07;
    },
  };

  /**
   * BSD file flags (st_flags: UF_HIDDEN, UF_IMMUTABLE, …), the OS's own
   * attribute word, set last: an immutable flag forbids every later change.
   */
  readonly attributes?: AttributesCapability = {
    kept: FLAGS_KEPT,
    keptOnReplace: FLAGS_KEPT & ~FLAGS_FORBIDDING_WRITES,
    setFd: (fd, value) => this.shim.blit_set_flags(fd, -1, null, value),
    setAt: (dir, name, value) => this.shim.blit_set_flags(-1, dir, this.cstr(name, 0), value),
  };

  // ---------------------------------------------------------------- extended attributes and the ACL

  /** fd >= 0: of that file; else of dir/name itself. */
  private listFrom(fd: number, dir: number, name: Uint8Array | null): Name[] | number {
    let size = this.shim.blit_listxattr(fd, dir, name, null, 0);
    let buf = new Uint8Array(Math.max(size, 1));
    // Attributes added between the two calls: ask again with room for them.
    while (size > 0) {
      const n = this.shim.blit_listxattr(fd, dir, name, buf, buf.length);
      if (n !== -this.errno.ERANGE) {
        size = n;
        break;
      }
      buf = new Uint8Array(buf.length * 2);
    }
    if (size < 0) return size;
    const names: Name[] = [];
    let start = 0;
    for (let i = 0; i < size; i++) {
      if (buf[i] === 0) {
        if (i > start) names.push(buf.slice(start, i));
        start = i + 1;
      }
    }
    // Asked with no room, an ACL answers -ERANGE; an error (ENOTSUP, …) is no ACL.
    const acl = this.has("acl") ? this.shim.blit_acl_get(fd, dir, name, null, 0) : 0;
    if (acl > 0 || acl === -this.errno.ERANGE) names.push(ACL_ATTRIBUTE);
    return names;
  }

  private getFrom(fd: number, dir: number, name: Uint8Array | null, attr: Name): Uint8Array | number {
    const acl = this.isAcl(attr);
    for (let room = 4096; ;) {
      const buf = new Uint8Array(room);
      const n = acl
        ? this.aclText(fd, dir, name, buf)
        : this.shim.blit_getxattr(fd, dir, name, this.cstr(attr, 2), buf, buf.length);
      if (n === -this.errno.ERANGE) {
        const need = acl ? room * 4 : this.shim.blit_getxattr(fd, dir, name, this.cstr(attr, 2), null, 0);
        if (need < 0) return need;
        room = Math.max(need, room * 2);
        continue;
      }
      return n < 0 ? n : buf.slice(0, n);
    }
  }

  private aclText(fd: number, dir: number, name: Uint8Array | null, buf: Uint8Array): number {
    const n = this.shim.blit_acl_get(fd, dir, name, buf, buf.length);
    return n === 0 ? -this.errno.ENODATA : n;
  }

  /**
   * An attribute the entry already holds with the same value is left as it
   * is: a clone comes with its source's, and one of a read-only file may
   * not have them written again.
   */
  private setOn(fd: number, dir: number, name: Uint8Array | null, attr: Name, value: Uint8Array): number {
    const acl = this.isAcl(attr);
    if (acl && !this.has("acl")) return -this.errno.ENOTSUP;
    const held = this.getFrom(fd, dir, name, attr);
    if (typeof held !== "number" && held.length === value.length && held.every((byte, i) => byte === value[i])) return 0;
    if (acl) return this.shim.blit_acl_set(fd, dir, name, this.cstr(value, 2));
    return this.shim.blit_setxattr(fd, dir, name, this.cstr(attr, 2), value, value.length);
  }

  private isAcl(attr: Name): boolean {
    return attr.length === ACL_ATTRIBUTE.length && attr.every((byte, i) => byte === ACL_ATTRIBUTE[i]);
  }

  /**
   * macOS's own xattr calls (position 0, XATTR_NOFOLLOW by name):
   * com.apple.ResourceFork, com.apple.FinderInfo, com.apple.quarantine and
   * the rest come as any other attribute, and the ACL as ACL_ATTRIBUTE.
   */
  readonly xattrs: XattrsCapability = {
    list: (fd) => this.listFrom(fd, -1, null),
    listAt: (dir, name) => this.listFrom(-1, dir, this.cstr(name, 0)),
    get: (fd, attr) => this.getFrom(fd, -1, null, attr),
    getAt: (dir, name, attr) => this.getFrom(-1, dir, this.cstr(name, 0), attr),
    set: (fd, attr, value) => this.setOn(fd, -1, null, attr, value),
    setAt: (dir, name, attr, value) => this.setOn(-1, dir, this.cstr(name, 0), attr, value),
    remove: (fd, attr) => (this.isAcl(attr) ? this.removeAcl(fd, -1, null) : this.shim.blit_removexattr(fd, -1, null, this.cstr(attr, 2))),
    removeAt: (dir, name, attr) => (this.isAcl(attr) ? this.removeAcl(-1, dir, this.cstr(name, 0)) : this.shim.blit_removexattr(-1, dir, this.cstr(name, 0), this.cstr(attr, 2))),
  };

  /** The ACL is no attribute to macOS: removed by setting an empty one; -ENODATA where there is none, as removexattr answers. */
  private removeAcl(fd: number, dir: number, name: Uint8Array | null): number {
    if (!this.has("acl")) return -this.errno.ENOTSUP;
    // Asked with no room, an ACL answers -ERANGE; 0 is none.
    const held = this.shim.blit_acl_get(fd, dir, name, null, 0);
    if (held === 0) return -this.errno.ENODATA;
    if (held !== -this.errno.ERANGE) return held;
    return this.shim.blit_acl_set(fd, dir, name, this.cstr(NO_ACL, 2));
  }

  // ---------------------------------------------------------------- reports

  /** One worker per performance core where the CPU has two kinds (hw.perflevel0.logicalcpu). */
  workers(): number | undefined {
    const n = this.shim.blit_performance_cpus();
    return n > 0 ? n : undefined;
  }

  counters(): BackendCounters {
    return { "native calls": this.shim.blit_native_calls() };
  }

  report(): BackendReport {
    const perf = this.shim.blit_performance_cpus();
    const shimBuild = this.has("bulkList") ? "macOS (libSystem)" : "Linux build of the macOS shim (POSIX core; Apple-only calls absent)";
    return {
      backend: "darwin (native shim over libSystem)",
      details: [
        ["shim", this.shimPath],
        ["shim build", shimBuild],
        ["performance cores", perf > 0 ? String(perf) : "no separate performance cores reported"],
        ["large files", this.has("nocache") ? `read ahead (F_RDAHEAD); not cached from ${NOCACHE_FROM / 2 ** 30} GiB (F_NOCACHE)` : "read ahead (POSIX_FADV_SEQUENTIAL)"],
        ["open file limit", String(this.fileLimit.raise())],
      ],
    };
  }

  probeFilesystem(dir: number): FilesystemReport | number {
    return probeFilesystem(this, this.shim, dir, this.has("volumeCaps"));
  }
}
