// The Windows backend: the Backend contract over c/windows/blit_windows.c.
// Directories are open handles and every entry is opened relative to one
// (NtCreateFile with RootDirectory, not following links); names cross as
// WTF-8 bytes. Windows has no owners or mode bits in the POSIX sense: a
// Stat's mode is made from the attributes (read-only: no write bits), and
// the attributes themselves (read-only, hidden, system, archive...) are the
// `attributes` capability, with the creation time as the birth time.

import { RuntimeStdio } from "../process.ts";
import { ReusableBuffer } from "../reusable-buffer.ts";
import type {
  AttributesCapability,
  Backend,
  BackendCounters,
  BackendReport,
  CaseFoldingCapability,
  CloneMechanism,
  CopyMethod,
  DirEntry,
  FilesystemReport,
  HolesMechanism,
  Identity,
  KernelCopyMechanism,
  Name,
  PageCacheCapability,
  ReadFile,
  Stat,
  Times,
  XattrsCapability,
} from "../backend.ts";
import { S_IFDIR, S_IFLNK, S_IFREG, SECURITY_ACLS_XATTR, SECURITY_OWNER_XATTR } from "../backend.ts";
import { isUncreatableName, WINDOWS_PATH_RULES } from "./paths.ts";
import { CWD, DEFAULT_WIN32, Open, openShim, SecurityPart, type Shim, WINDOWS_ERRNO } from "./shim.ts";

const ATTR_READONLY = 0x1;
const ATTR_DIRECTORY = 0x10;
const ATTR_ARCHIVE = 0x20;
/** The shim's SETTABLE_ATTRIBUTES: read-only, hidden, system, archive, temporary, not content-indexed (offline is a cloud provider's state, not the copy's). */
const ATTR_SETTABLE = 0x1 | 0x2 | 0x4 | 0x20 | 0x100 | 0x2000;
const ATTR_REPARSE_POINT = 0x400;
const TAG_SYMLINK = 0xa000000c;
const TAG_MOUNT_POINT = 0xa0000003;
/** FILE_SUPPORTS_* bits doctor reports. */
const FS_PERSISTENT_ACLS = 0x8;
const FS_SPARSE_FILES = 0x40;
const FS_REPARSE_POINTS = 0x80;
const FS_HARD_LINKS = 0x400000;
const FS_BLOCK_REFCOUNTING = 0x08000000;

/** The security descriptor's parts listed among the xattrs, after the streams: set last, a DACL may refuse us a stream's open. */
const SECURITY_PARTS: [name: Name, part: number][] = [
  [new TextEncoder().encode(SECURITY_OWNER_XATTR), SecurityPart.owner],
  [new TextEncoder().encode(SECURITY_ACLS_XATTR), SecurityPart.acls],
];
const NO_NAME = new Uint8Array(0);

/** The shim's part for a security xattr's name, or undefined for a stream's. */
function securityPart(attr: Name): number | undefined {
  for (const [name, part] of SECURITY_PARTS) {
    if (attr.length === name.length && attr.every((byte, i) => byte === name[i])) return part;
  }
  return undefined;
}

/** 100 ns intervals from 1601-01-01 (FILETIME) to 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116444736000000000n;
/** Win32's "The filename, directory name, or volume label syntax is incorrect." */
const ERROR_INVALID_NAME = 123;
const STAT_SIZE = 96;
/** blit_stat_many's record: a stat, then its result. */
const STAT_MANY_RECORD = STAT_SIZE + 8;
/** blit_readdir's record head: its length, the name's length. */
const DIR_RECORD = 8;
const LIST_RAW = 64 << 10;
/** Each UTF-16 unit of a listing (2 bytes, with a 12-byte head) becomes at most 3 bytes (with an 8-byte head). */
const LIST_OUT = 2 * LIST_RAW;
/** One read or write at most (the shim takes a 32-bit length). */
const IO_MAX = 1 << 30;
/** blit_volume's info: its flags, cluster size, longest name, and whether it is a network share. */
const VOLUME_INFO = 4;
/** sized()'s first buffer: most answers (a descriptor, a list of streams, a link's target) fit. */
const SIZED_FIRST_TRY = 4096;

/**
 * How finely each file system keeps a last-write time, in ns: FAT in 2 s,
 * exFAT in 10 ms; NTFS, ReFS and the rest in FILETIME's 100 ns.
 */
const TIME_STEP_NS: Record<string, number> = { FAT: 2e9, FAT12: 2e9, FAT16: 2e9, FAT32: 2e9, EXFAT: 1e7 };
const FILETIME_STEP_NS = 100;

function fromFiletime(t: bigint): { sec: number; nsec: number } {
  const since = t - FILETIME_UNIX_EPOCH;
  let sec = since / 10_000_000n;
  let rest = since % 10_000_000n;
  if (rest < 0n) {
    sec -= 1n;
    rest += 10_000_000n;
  }
  return { sec: Number(sec), nsec: Number(rest) * 100 };
}

function toFiletime(sec: number, nsec: number): bigint {
  return BigInt(sec) * 10_000_000n + BigInt(Math.floor(nsec / 100)) + FILETIME_UNIX_EPOCH;
}

/** A Stat from the shim's record at `at` of view (blit_win_stat). */
function parseStat(v: DataView, at = 0): Stat {
  const attributes = v.getUint32(at, true);
  const tag = v.getUint32(at + 80, true);
  const link = (attributes & ATTR_REPARSE_POINT) !== 0 && (tag === TAG_SYMLINK || tag === TAG_MOUNT_POINT);
  const mode = link
    ? S_IFLNK | 0o777
    : attributes & ATTR_DIRECTORY
      ? S_IFDIR | 0o777
      : S_IFREG | (attributes & ATTR_READONLY ? 0o444 : 0o666);
  const creation = fromFiletime(v.getBigInt64(at + 48, true));
  const access = fromFiletime(v.getBigInt64(at + 56, true));
  const write = fromFiletime(v.getBigInt64(at + 64, true));
  const size = Number(v.getBigUint64(at + 8, true));
  return {
    mode,
    uid: 0,
    gid: 0,
    size,
    blocks: Math.ceil(Number(v.getBigUint64(at + 16, true)) / 512),
    nlink: Number(v.getBigUint64(at + 24, true)),
    ino: v.getBigUint64(at + 32, true),
    dev: Number(v.getBigUint64(at + 40, true)),
    rdevMajor: 0,
    rdevMinor: 0,
    atimeSec: access.sec,
    atimeNsec: access.nsec,
    mtimeSec: write.sec,
    mtimeNsec: write.nsec,
    birthtimeSec: creation.sec,
    birthtimeNsec: creation.nsec,
    attributes,
    ...(link && { linkToDir: (attributes & ATTR_DIRECTORY) !== 0 }),
  };
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const ASCII = /^[\x00-\x7f]*$/;

/**
 * One UTF-16 unit upper-cased by Unicode's simple mapping. JavaScript gives
 * only the full one; where that is two letters, the simple one is the unit
 * itself except for the Greek small letters with a subscript iota, whose
 * simple upper case is the capital with a prosgegrammeni (ᾳ to ᾼ): NTFS's
 * table folds those, so two such names are one name on Windows.
 */
function simpleUpper(unit: string): string {
  const upper = unit.toUpperCase();
  if (upper.length === 1) return upper;
  const code = unit.charCodeAt(0);
  if (code >= 0x1f80 && code <= 0x1fa7 && (code & 0xf) < 8) return String.fromCharCode(code + 8);
  if (code === 0x1fb3 || code === 0x1fc3 || code === 0x1ff3) return String.fromCharCode(code + 9);
  return unit;
}

/**
 * A name as Windows compares names ignoring case: each UTF-16 unit upper-cased
 * on its own, by Unicode's simple mappings (what NTFS's upcase table holds),
 * so "ß" stays apart from "SS" and "ẞ". A name that is not UTF-8 (an unpaired
 * surrogate in WTF-8) is its own key: NUL never starts a name.
 */
export function upcaseKey(name: Name): string {
  let text: string;
  try {
    text = STRICT_UTF8.decode(name);
  } catch {
    return `\0${String.fromCharCode(...name)}`;
  }
  if (ASCII.test(text)) return text.toUpperCase();
  let key = "";
  for (const unit of text.split("")) key += simpleUpper(unit);
  return key;
}

/** A time to set, or 0n: "leave it" (FILE_BASIC_INFORMATION's own convention). */
const creationOf = (t: Times) => (t.birthtimeSec === undefined ? 0n : toFiletime(t.birthtimeSec, t.birthtimeNsec ?? 0));

export class WindowsBackend extends RuntimeStdio implements Backend {
  readonly id = "windows";
  readonly errno = WINDOWS_ERRNO;
  readonly cwd = CWD;
  /** Handles are the process's: any thread may use one. */
  readonly sharedHandles = true;
  readonly securityLabels = false;
  readonly platform = `win32-${process.arch}`;
  readonly pathRules = WINDOWS_PATH_RULES;

  private readonly statBuf = new Uint8Array(STAT_SIZE);
  private readonly statView = new DataView(this.statBuf.buffer);
  private readonly listRaw = new Uint8Array(LIST_RAW);
  private readonly listOut = new Uint8Array(LIST_OUT);
  private readonly listView = new DataView(this.listOut.buffer);
  private readonly textBuf = new Uint8Array(1024);
  /**
   * readMany's files, kept from batch to batch (the contract lets the next
   * call reuse it), and sized()'s first try: a buffer made per file was
   * garbage that piled up between the worker's collections (~15 KiB a file
   * under -a; blit.exe peaked at 507 MiB copying 20,000 files under Wine).
   */
  private readonly batchData = new ReusableBuffer();
  private readonly sizedScratch = new Uint8Array(SIZED_FIRST_TRY);
  private readonly decoder = new TextDecoder();
  /** The Windows code behind the last failure of each kind, for strerror (per backend, so per thread). */
  private readonly lastWin32 = new Map<number, number>();
  private readonly errorText = new Map<number, string>();
  /** Handles this thread opened past the cache (pageCache.openUncached): read by whole sectors. */
  private readonly diskHandles = new Set<number>();
  /** Each volume's time step (Stat.timeStepNs), by its serial number (Stat.dev). */
  private readonly timeSteps = new Map<number, number>();

  private constructor(
    private readonly shim: Shim,
    readonly shimPath: string,
  ) {
    super();
  }

  static open(path: string): WindowsBackend {
    return new WindowsBackend(openShim(path), path);
  }

  /** A shim result with its error decoded: the kind, negated; the Windows code is kept for strerror. */
  private k(r: number): number {
    if (r >= 0) return r;
    const code = -r;
    const kind = code % 256;
    this.lastWin32.set(kind, Math.floor(code / 256));
    return -kind;
  }

  strerror(errno: number): string {
    const win32 = this.lastWin32.get(errno) ?? DEFAULT_WIN32[errno];
    if (win32 === undefined) return `Error ${errno}`;
    let text = this.errorText.get(win32);
    if (text === undefined) {
      const n = this.shim.blit_strerror(win32, this.textBuf, this.textBuf.length);
      text = n > 0 ? this.decoder.decode(this.textBuf.subarray(0, n)) : `Windows error ${win32}`;
      this.errorText.set(win32, text);
    }
    return text;
  }

  // ---------------------------------------------------------------- directories

  openDir(dir: number, name: Name, follow: boolean): number {
    return this.k(this.shim.blit_open(dir, name, name.length, Open.dir | (follow ? Open.follow : 0)));
  }

  readDir(dir: number): DirEntry[] | number {
    const n = this.k(this.shim.blit_readdir(dir, this.listRaw, LIST_RAW, this.listOut, LIST_OUT));
    if (n <= 0) return n < 0 ? n : [];
    const entries: DirEntry[] = [];
    const v = this.listView;
    for (let at = 0; at < n;) {
      const rec = v.getUint32(at, true);
      const nameLength = v.getUint32(at + 4, true);
      entries.push({ name: this.listOut.slice(at + DIR_RECORD, at + DIR_RECORD + nameLength) });
      at += rec;
    }
    return entries;
  }

  refusesName(name: Name): number {
    return isUncreatableName(name) ? this.invalidName() : 0;
  }

  makeDir(dir: number, name: Name, _mode: number): number {
    if (isUncreatableName(name)) return this.invalidName();
    return this.k(this.shim.blit_mkdir(dir, name, name.length));
  }

  /**
   * A name Windows keeps for a device (NUL, CON, aux.c), or one naming a
   * stream (a:b), is not created: refused as Win32's CreateFile refuses a
   * device's elsewhere, ERROR_INVALID_NAME.
   */
  private invalidName(): number {
    return this.k(-(ERROR_INVALID_NAME * 256 + this.errno.EINVAL));
  }

  // ---------------------------------------------------------------- stat

  stat(dir: number, name: Name, follow: boolean): Stat | number {
    const r = this.k(this.shim.blit_stat(dir, name, name.length, follow ? 1 : 0, this.statBuf));
    return r < 0 ? r : this.stepped(parseStat(this.statView), follow ? undefined : dir);
  }

  fstat(fd: number): Stat | number {
    const r = this.k(this.shim.blit_fstat(fd, this.statBuf));
    return r < 0 ? r : this.stepped(parseStat(this.statView), fd);
  }

  /**
   * st with its volume's time step, asked of the volume through h (a
   * handle on that volume: the entry, or the directory it was found in
   * without following a link) the first time this thread meets its serial
   * number; left out where nothing can say (no such handle, or the current
   * directory's pseudo-handle).
   */
  private stepped(st: Stat, h: number | undefined): Stat {
    let step = this.timeSteps.get(st.dev);
    if (step === undefined) {
      const info = new BigUint64Array(VOLUME_INFO);
      const n = h === undefined || h === CWD ? -1 : this.shim.blit_volume(h, this.textBuf, this.textBuf.length, info);
      if (n < 0) return st;
      const fsType = this.decoder.decode(this.textBuf.subarray(0, Math.min(n, this.textBuf.length)));
      step = TIME_STEP_NS[fsType.toUpperCase()] ?? FILETIME_STEP_NS;
      this.timeSteps.set(st.dev, step);
    }
    st.timeStepNs = step;
    return st;
  }

  /** One call for the lot: by name (NtQueryInformationByName) where Windows offers it, else an open per name. */
  statMany(dir: number, names: Name[], follow: boolean): (Stat | number)[] {
    if (names.length < 2) return names.map((name) => this.stat(dir, name, follow));
    let size = 0;
    for (const name of names) size += 4 + name.length;
    const packed = new Uint8Array(size);
    const packedView = new DataView(packed.buffer);
    let at = 0;
    for (const name of names) {
      packedView.setUint32(at, name.length, true);
      packed.set(name, at + 4);
      at += 4 + name.length;
    }
    const out = new Uint8Array(names.length * STAT_MANY_RECORD);
    this.shim.blit_stat_many(dir, packed, names.length, follow ? 1 : 0, out);
    const view = new DataView(out.buffer);
    return names.map((_, i) => {
      const r = this.k(Number(view.getBigInt64(i * STAT_MANY_RECORD + STAT_SIZE, true)));
      return r < 0 ? r : this.stepped(parseStat(view, i * STAT_MANY_RECORD), follow ? undefined : dir);
    });
  }

  // ---------------------------------------------------------------- files

  openRead(dir: number, name: Name, follow: boolean): number {
    return this.k(this.shim.blit_open(dir, name, name.length, Open.read | (follow ? Open.follow : 0)));
  }

  /** The mode is not applied here: Windows has no mode bits to create a file with (see chmodFd). */
  createFile(dir: number, name: Name, _mode: number, truncate = false, follow = false): number {
    if (isUncreatableName(name)) return this.invalidName();
    const how = (truncate ? Open.truncate : Open.create) | (follow ? Open.follow : 0);
    return this.k(this.shim.blit_open(dir, name, name.length, how));
  }

  openWrite(dir: number, name: Name, follow = true): number {
    return this.k(this.shim.blit_open(dir, name, name.length, Open.write | (follow ? Open.follow : 0)));
  }

  close(fd: number): number {
    this.diskHandles.delete(fd);
    return this.k(this.shim.blit_close(fd));
  }

  readMany(dir: number, files: { name: Name; size: number }[], follow: boolean, each: (index: number, result: ReadFile | number) => void): void {
    const slices = this.batchData.slicesFor(files);
    files.forEach((f, i) => each(i, this.readWhole(dir, f.name, follow, slices[i]!)));
  }

  /** The file into data, a slice of slicesFor's. */
  private readWhole(dir: number, name: Name, follow: boolean, data: Uint8Array): ReadFile | number {
    const fd = this.openRead(dir, name, follow);
    if (fd < 0) return fd;
    let got = 0;
    while (got < data.length) {
      const n = this.readAt(fd, data.subarray(got), data.length - got, got);
      if (n < 0) {
        this.close(fd);
        return n;
      }
      if (n === 0) break;
      got += n;
    }
    return { fd, data: data.subarray(0, got), method: "read_write" };
  }

  // ---------------------------------------------------------------- data

  readonly methodLabels: Record<CopyMethod, string> = {
    clone: "FSCTL_DUPLICATE_EXTENTS_TO_FILE",
    kernel: "FSCTL_SRV_COPYCHUNK_WRITE",
    batched: "none",
    read_write: "NtReadFile/NtWriteFile",
  };

  readAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    if (this.diskHandles.has(fd)) return this.k(this.shim.blit_pread_disk(fd, buf, Math.min(length, IO_MAX), pos));
    return this.k(this.shim.blit_pread(fd, buf, Math.min(length, IO_MAX), pos < 0 ? -1 : pos));
  }

  writeAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    return this.k(this.shim.blit_pwrite(fd, buf, Math.min(length, IO_MAX), pos < 0 ? -1 : pos));
  }

  truncate(fd: number, size: number): number {
    return this.k(this.shim.blit_truncate(fd, size));
  }

  readonly clone: CloneMechanism = {
    into: (src, dst) => this.k(this.shim.blit_clone(src, dst)),
  };

  /**
   * On a network share, the server copies (SMB2 server-side copy, as
   * CopyFile asks it): SOURCE and DEST on one server, the bytes never cross
   * the network. Elsewhere refused, and the engine reads and writes.
   */
  readonly kernelCopy: KernelCopyMechanism = {
    range: (src, srcPos, dst, dstPos, length) => this.k(this.shim.blit_server_copy(src, srcPos, dst, dstPos, length)),
  };

  readonly holes: HolesMechanism = {
    nextData: (fd, pos) => this.k(this.shim.blit_next_extent(fd, pos, 0)),
    nextHole: (fd, pos) => this.k(this.shim.blit_next_extent(fd, pos, 1)),
    end: (fd) => {
      const st = this.fstat(fd);
      return typeof st === "number" ? st : st.size;
    },
    sparseLike: (src, dst) => this.k(this.shim.blit_sparse_like(src, dst)),
  };

  /**
   * --verify's read-back from the disk: what was written is flushed
   * (FlushFileBuffers), and the copy is read again through a handle opened
   * without buffering (FILE_FLAG_NO_BUFFERING), which the cache manager
   * does not serve, in whole sectors (blit_pread_disk). Windows has no call
   * to drop one file's cached pages: SOURCE is read as cached.
   */
  readonly pageCache: PageCacheCapability = {
    evict: (fd) => this.k(this.shim.blit_flush(fd)),
    openUncached: (dir, name, follow) => {
      const fd = this.k(this.shim.blit_open(dir, name, name.length, Open.readDisk | (follow ? Open.follow : 0)));
      if (fd >= 0) this.diskHandles.add(fd);
      return fd;
    },
  };

  // ---------------------------------------------------------------- links and names

  readLink(dir: number, name: Name): Uint8Array | number {
    return this.sized((buf, size) => this.shim.blit_readlink(dir, name, name.length, buf, size));
  }

  makeSymlink(target: Uint8Array, dir: number, name: Name, toDir = false): number {
    if (isUncreatableName(name)) return this.invalidName();
    return this.k(this.shim.blit_symlink(target, target.length, dir, name, name.length, toDir ? 1 : 0));
  }

  makeLink(fromDir: number, fromName: Name, toDir: number, toName: Name, follow = false): number {
    if (isUncreatableName(toName)) return this.invalidName();
    return this.k(this.shim.blit_link(fromDir, fromName, fromName.length, toDir, toName, toName.length, follow ? 1 : 0));
  }

  rename(fromDir: number, fromName: Name, toDir: number, toName: Name, replace: boolean): number {
    if (isUncreatableName(toName)) return this.invalidName();
    return this.k(this.shim.blit_rename(fromDir, fromName, fromName.length, toDir, toName, toName.length, replace ? 1 : 0));
  }

  remove(dir: number, name: Name, isDir: boolean): number {
    return this.k(this.shim.blit_remove(dir, name, name.length, isDir ? 1 : 0));
  }

  /** A read-only file may not be written; what its ACL allows is found out when it is opened. */
  canWrite(dir: number, name: Name): number {
    const st = this.stat(dir, name, false);
    if (typeof st === "number") return st;
    return (st.mode & 0o200) === 0 ? this.k(-((5 << 8) | WINDOWS_ERRNO.EACCES)) : 0;
  }

  // ---------------------------------------------------------------- metadata

  // No owners, modes or special files capabilities: Windows has no uid/gid
  // or mode bits (every Stat says uid 0, as identity() lets the engine
  // assume) and no fifos or devices to make. The read-only bit travels with
  // the other attributes; owners and ACLs with the xattrs.
  readonly attributes: AttributesCapability = {
    kept: ATTR_SETTABLE,
    keptOnReplace: ATTR_SETTABLE & ~(ATTR_READONLY | ATTR_ARCHIVE),
    setFd: (fd, value) => this.k(this.shim.blit_set_attributes(fd, value)),
    setAt: (dir, name, value) => this.k(this.shim.blit_set_attributes_at(dir, name, name.length, value)),
  };

  /**
   * Names are looked up ignoring case, as Windows does by default, except in
   * a directory marked case-sensitive (WSL's); a failed query, or a
   * directory not made yet, is taken as the default.
   */
  readonly caseFolding: CaseFoldingCapability = {
    ignoresCase: (dir) => dir < 0 || this.k(this.shim.blit_ignores_case(dir)) !== 0,
    key: upcaseKey,
  };

  /**
   * Alternate data streams (Zone.Identifier, ...) as extended attributes,
   * named by the stream's name: kept with -a as Linux keeps user xattrs.
   * Those of an entry without a handle (a link) are not read or written.
   * After them, the security descriptor's two parts (SECURITY_OWNER_XATTR:
   * owner and group, kept with ownership; SECURITY_ACLS_XATTR: the DACL,
   * and the SACL where SeSecurityPrivilege is held, kept with mode), of
   * every entry, by handle or by name; a volume without ACLs (FAT) has
   * none to give and takes none.
   */
  readonly xattrs: XattrsCapability = {
    list: (fd) => {
      const n = this.sized((buf, size) => this.shim.blit_streams(fd, buf, size));
      if (typeof n === "number") return n;
      const names: Name[] = [];
      let start = 0;
      for (let i = 0; i < n.length; i++) {
        if (n[i] !== 0) continue;
        names.push(n.slice(start, i));
        start = i + 1;
      }
      return [...names, ...SECURITY_PARTS.map(([name]) => name)];
    },
    listAt: () => SECURITY_PARTS.map(([name]) => name),
    get: (fd, attr) => this.getXattr(fd, NO_NAME, attr),
    getAt: (dir, name, attr) => (securityPart(attr) === undefined ? -WINDOWS_ERRNO.ENOTSUP : this.getXattr(dir, name, attr)),
    set: (fd, attr, value) => this.setXattr(fd, NO_NAME, attr, value),
    setAt: (dir, name, attr, value) => (securityPart(attr) === undefined ? -WINDOWS_ERRNO.ENOTSUP : this.setXattr(dir, name, attr, value)),
  };

  /** A stream of the open file h, or a part of the descriptor of h (name empty) or of (h, name). */
  private getXattr(h: number, name: Name, attr: Name): Uint8Array | number {
    const part = securityPart(attr);
    if (part === undefined) return this.sized((buf, size) => this.shim.blit_stream_get(h, attr, attr.length, buf, size));
    return this.sized((buf, size) => this.shim.blit_security_get(h, name, name.length, part, buf, size));
  }

  private setXattr(h: number, name: Name, attr: Name, value: Uint8Array): number {
    const part = securityPart(attr);
    if (part === undefined) return this.k(this.shim.blit_stream_set(h, attr, attr.length, value, value.length));
    return this.k(this.shim.blit_security_set(h, name, name.length, part, value, value.length));
  }

  /** A call that fills a buffer and says how much it needed: again with a larger one until it fits. */
  private sized(call: (buf: Uint8Array, size: number) => number): Uint8Array | number {
    let buf = this.sizedScratch;
    for (;;) {
      const n = this.k(call(buf, buf.length));
      if (n < 0) return n;
      if (n <= buf.length) return buf.slice(0, n);
      buf = new Uint8Array(n);
    }
  }

  setTimesFd(fd: number, t: Times): number {
    return this.k(this.shim.blit_set_times(fd, creationOf(t), toFiletime(t.atimeSec, t.atimeNsec), toFiletime(t.mtimeSec, t.mtimeNsec)));
  }

  setTimesAt(dir: number, name: Name, t: Times): number {
    const access = toFiletime(t.atimeSec, t.atimeNsec);
    return this.k(this.shim.blit_set_times_at(dir, name, name.length, creationOf(t), access, toFiletime(t.mtimeSec, t.mtimeNsec)));
  }

  // ------------------------------------------------- the process and operands

  /** Windows has no uid or gid: the engine takes 0, as every Stat here says. */
  identity(): Identity | undefined {
    return undefined;
  }

  /** Windows passes UTF-16 arguments, which the runtime decodes whole: nothing to recover. */
  commandLine(): Uint8Array[] | undefined {
    return undefined;
  }

  realPath(path: Name): Name | number {
    return this.sized((buf, size) => this.shim.blit_realpath(path, path.length, buf, size));
  }


  // ---------------------------------------------------------------- reports

  counters(): BackendCounters {
    return { "native calls": this.shim.blit_native_calls() };
  }

  report(): BackendReport {
    const v = this.shim.blit_windows_version();
    const version = `${Math.floor(v / 2 ** 32)}.${Math.floor(v / 65536) % 65536}.${v % 65536}`;
    return {
      backend: "windows (native shim over ntdll)",
      details: [
        ["shim", this.shimPath],
        ["windows", version],
        ["paths", "opened relative to open directories as NT paths: no MAX_PATH limit, long-path setting not needed"],
      ],
    };
  }

  probeFilesystem(dir: number): FilesystemReport | number {
    const info = new BigUint64Array(VOLUME_INFO);
    const n = this.k(this.shim.blit_volume(dir, this.textBuf, this.textBuf.length, info));
    if (n < 0) return n;
    const fsType = this.decoder.decode(this.textBuf.subarray(0, Math.min(n, this.textBuf.length)));
    const flags = Number(info[0]);
    const has = (bit: number) => (flags & bit) !== 0;
    return {
      fsType,
      checks: [
        {
          name: "block clone (FSCTL_DUPLICATE_EXTENTS_TO_FILE)",
          supported: has(FS_BLOCK_REFCOUNTING),
          detail: has(FS_BLOCK_REFCOUNTING) ? `ReFS or Dev Drive block cloning, ${info[1]}-byte clusters` : "the volume does not share blocks",
          method: "clone",
        },
        {
          name: "server-side copy (FSCTL_SRV_COPYCHUNK_WRITE)",
          supported: info[3] === 1n,
          detail: info[3] === 1n
            ? "a network share: a file larger than 1 MiB is copied by the server when SOURCE is on it too, its bytes never crossing the network"
            : "a local volume: nothing to hand to a server",
          method: "kernel",
        },
        { name: "symbolic links", ...this.probeSymlink(dir, has(FS_REPARSE_POINTS)) },
        { name: "hard links", ...this.probeHardLink(dir, has(FS_HARD_LINKS)) },
        {
          name: "sparse files",
          supported: has(FS_SPARSE_FILES),
          detail: has(FS_SPARSE_FILES) ? "holes kept: FSCTL_QUERY_ALLOCATED_RANGES, FSCTL_SET_SPARSE" : "the volume has none: holes are written out as zeros",
        },
        { name: "security descriptors", ...this.probeSecurity(has(FS_PERSISTENT_ACLS)) },
        this.caseFolding.ignoresCase(dir)
          ? {
            name: "case-sensitive names",
            supported: false,
            detail: "names differing only by case are one here: of two such names in one source directory, the second is reported and not copied",
          }
          : { name: "case-sensitive names", supported: true, detail: "this directory is marked case-sensitive" },
      ],
      batched: false,
    };
  }

  /** What -a keeps of security descriptors here, and what this process's privileges allow. */
  private probeSecurity(acls: boolean): { supported: boolean; detail: string } {
    if (!acls) return { supported: false, detail: "the volume keeps no ACLs: none to keep" };
    const held = this.shim.blit_privileges_held();
    const owner = held & 1 ? "any owner, as SeRestorePrivilege is held" : "the owner only when it is you, as SeRestorePrivilege is not held";
    const sacl = held & 2 ? "the SACL too, as SeSecurityPrivilege is held" : "no SACL without SeSecurityPrivilege";
    return { supported: true, detail: `owner, group and DACL kept with -a, ${owner}; ${sacl}` };
  }

  /**
   * Tried on a scratch file, as the copy tries them: a volume may make them
   * without saying so in its flags (Wine's drives do).
   */
  private probeHardLink(dir: number, saysSo: boolean): { supported: boolean; detail: string } {
    const stem = `.blit-doctor-${process.pid}-hard`;
    const [first, second] = [`${stem}-1`, `${stem}-2`].map((n) => new TextEncoder().encode(n)) as [Name, Name];
    const fd = this.createFile(dir, first, 0o600);
    if (fd < 0) return { supported: saysSo, detail: saysSo ? "kept (-a, --preserve=links; the volume says so)" : "copied as separate files (the volume says so)" };
    this.close(fd);
    const r = this.makeLink(dir, first, dir, second);
    this.remove(dir, second, false);
    this.remove(dir, first, false);
    return r < 0 ? { supported: false, detail: `copied as separate files (cannot make one here: ${this.strerror(-r)})` } : { supported: true, detail: "kept (-a, --preserve=links)" };
  }

  /** Makes and removes a scratch symlink in dir: whether this process may make them (an administrator, or Developer Mode). */
  private probeSymlink(dir: number, reparsePoints: boolean): { supported: boolean; detail: string } {
    if (!reparsePoints) return { supported: false, detail: "the volume has no reparse points" };
    const name = new TextEncoder().encode(`.blit-doctor-${process.pid}-link`);
    const r = this.makeSymlink(new TextEncoder().encode("target"), dir, name);
    if (r < 0) {
      const why = r === -this.errno.EPERM ? "needs Developer Mode or an administrator" : this.strerror(-r);
      return { supported: false, detail: `cannot make one here: ${why}` };
    }
    this.remove(dir, name, false);
    return { supported: true, detail: "made as symbolic links, file or directory as in SOURCE" };
  }
}

