// The fallback backend: Bun's own node:fs, used when no native shim can be
// loaded. Slower (paths instead of directory descriptors, no clone, no ring),
// but it copies the same bytes and metadata, and keeps names as bytes.

import * as fs from "node:fs";
import { constants as osConstants } from "node:os";
import { getSystemErrorMap, getSystemErrorMessage } from "node:util";
import { type Identity, POSIX_PATH_RULES, type PathRules } from "./backend.ts";
import { procCommandLine, processIdentity, realPathOf, RuntimeStdio } from "./process.ts";
import { ReusableBuffer } from "./reusable-buffer.ts";
import type {
  Backend,
  BackendCounters,
  BackendReport,
  CopyMethod,
  DirEntry,
  ErrnoTable,
  FilesystemReport,
  ModesCapability,
  Name,
  OwnersCapability,
  ReadFile,
  Stat,
  Times,
} from "./backend.ts";

const errnoByCode = osConstants.errno as Record<string, number>;
const errnoOf = (code: keyof ErrnoTable) => errnoByCode[code] ?? -1;
const PORTABLE_ERRNO: ErrnoTable = {
  EPERM: errnoOf("EPERM"), ENOENT: errnoOf("ENOENT"), EIO: errnoOf("EIO"), ENXIO: errnoOf("ENXIO"), EBADF: errnoOf("EBADF"), EAGAIN: errnoOf("EAGAIN"),
  ENOMEM: errnoOf("ENOMEM"), EACCES: errnoOf("EACCES"), EEXIST: errnoOf("EEXIST"), EXDEV: errnoOf("EXDEV"),
  ENOTDIR: errnoOf("ENOTDIR"), EISDIR: errnoOf("EISDIR"), EINVAL: errnoOf("EINVAL"), ETXTBSY: errnoOf("ETXTBSY"),
  ENOSPC: errnoOf("ENOSPC"), EMLINK: errnoOf("EMLINK"), ERANGE: errnoOf("ERANGE"), ENOSYS: errnoOf("ENOSYS"),
  ELOOP: errnoOf("ELOOP"), ENOTEMPTY: errnoOf("ENOTEMPTY"), ENODATA: errnoOf("ENODATA"),
  EOPNOTSUPP: errnoOf("EOPNOTSUPP"), ENOTSUP: errnoOf("ENOTSUP"), ENOTTY: errnoOf("ENOTTY"),
  EDQUOT: errnoOf("EDQUOT"), ECANCELED: errnoOf("ECANCELED"), EROFS: errnoOf("EROFS"), ENAMETOOLONG: errnoOf("ENAMETOOLONG"),
  EMFILE: errnoOf("EMFILE"), ENFILE: errnoOf("ENFILE"), EBUSY: errnoOf("EBUSY"),
};

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW = 0, O_NONBLOCK = 0, O_NOCTTY = 0 } = fs.constants;
const CWD = -100;
const SEP = 0x2f;

/** A thrown fs error as a negated errno. */
function fail(err: unknown): number {
  const code = (err as { code?: string }).code;
  const errno = code ? errnoByCode[code] : undefined;
  return -(errno ?? PORTABLE_ERRNO.EIO);
}

function attempt(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (err) {
    return fail(err);
  }
}

function toStat(st: fs.BigIntStats): Stat {
  const rdev = Number(st.rdev);
  return {
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    blocks: Number(st.blocks),
    nlink: Number(st.nlink),
    ino: st.ino,
    dev: Number(st.dev),
    // Linux's dev_t layout; other systems only reach this for device files.
    rdevMajor: ((rdev >>> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff,
    rdevMinor: (rdev & 0xff) | ((rdev >>> 12) & ~0xff),
    atimeSec: Number(st.atimeNs / 1_000_000_000n),
    atimeNsec: Number(st.atimeNs % 1_000_000_000n),
    mtimeSec: Number(st.mtimeNs / 1_000_000_000n),
    mtimeNsec: Number(st.mtimeNs % 1_000_000_000n),
  };
}

function timeValue(sec: number, nsec: number): number {
  // node:fs takes seconds as a float: nanoseconds are approximate here.
  return sec + nsec / 1e9;
}

/**
 * The C library's words (cp's) where libuv's differ ("too many symbolic links
 * encountered", "i/o error"): what src/plan.ts said of an operand before it
 * asked the backend.
 */
const C_LIBRARY_WORDS: Record<string, string> = {
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EIO: "Input/output error",
  ENOMEM: "Cannot allocate memory",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  EISDIR: "Is a directory",
  ETXTBSY: "Text file busy",
  ERANGE: "Numerical result out of range",
  EOPNOTSUPP: "Operation not supported",
  ENOTSUP: "Operation not supported",
  EDQUOT: "Disk quota exceeded",
  ESTALE: "Stale file handle",
  EBUSY: "Device or resource busy",
  ENFILE: "Too many open files in system",
  EFAULT: "Bad address",
};
const errnoNames = new Map(Object.entries(errnoByCode).map(([code, n]) => [n, code]));

// node:fs has no extended attributes, device nodes or open-file limit: the
// portable backend offers no such capability, and copies none.
export class PortableBackend extends RuntimeStdio implements Backend {
  readonly id = "portable";
  readonly errno = PORTABLE_ERRNO;
  readonly cwd = CWD;
  /** Directory handles are entries in this object's own table. */
  readonly sharedHandles = false;
  readonly securityLabels = false;

  private readonly dirs = new Map<number, Buffer>([[CWD, Buffer.from(".")]]);
  private readonly listed = new Set<number>();
  private nextDir = 1 << 24;
  /** readMany's files, kept from batch to batch (the contract lets the next call reuse it): no garbage per file. */
  private readonly batchData = new ReusableBuffer();

  /** pathRules: how the running OS writes paths (ffi/index.ts knows which). */
  constructor(
    readonly reason: string,
    readonly pathRules: PathRules = POSIX_PATH_RULES,
  ) {
    super();
  }

  private dirPath(dir: number): Buffer {
    const base = this.dirs.get(dir);
    if (!base) throw Object.assign(new Error("bad directory handle"), { code: "EBADF" });
    return base;
  }

  private path(dir: number, name: Name): Buffer {
    const base = this.dirPath(dir);
    // As openat(dir, ""): the empty name is no entry, not the directory itself.
    if (name.length === 0) throw Object.assign(new Error("empty name"), { code: "ENOENT" });
    if (dir === CWD) return Buffer.from(name);
    // An absolute name stands alone, as with openat().
    if (name[0] === SEP) return Buffer.from(name);
    return Buffer.concat([base, Buffer.of(SEP), name]);
  }

  strerror(errno: number): string {
    const name = errnoNames.get(errno) ?? "";
    const own = C_LIBRARY_WORDS[name];
    if (own !== undefined) return own;
    let text = getSystemErrorMessage(-errno);
    // On Windows libuv numbers its errors otherwise (ENOENT is -4058): the words are found by the name.
    if (text.startsWith("Unknown system error")) text = [...getSystemErrorMap().values()].find(([code]) => code === name)?.[1] ?? text;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // ------------------------------------------------- the process and operands

  readonly platform = `${process.platform}-${process.arch}`;

  identity(): Identity | undefined {
    return processIdentity();
  }

  /** /proc/self/cmdline where there is one (Linux without its shim), else nothing. */
  commandLine(): Uint8Array[] | undefined {
    return procCommandLine();
  }

  realPath(path: Name): Name | number {
    return realPathOf(path);
  }


  openDir(dir: number, name: Name, follow: boolean): number {
    try {
      const path = this.path(dir, name);
      const st = follow ? fs.statSync(path) : fs.lstatSync(path);
      // A symlink not followed is "not a directory", as O_DIRECTORY|O_NOFOLLOW says on Linux.
      if (!st.isDirectory()) return -PORTABLE_ERRNO.ENOTDIR;
      // As a native openDir (open(2) of the directory): one this process may
      // not read fails here with EACCES, not later at readDir. (Bun's
      // opendirSync opens nothing until the first read.)
      fs.accessSync(path, fs.constants.R_OK);
      const handle = this.nextDir++;
      this.dirs.set(handle, path);
      return handle;
    } catch (err) {
      return fail(err);
    }
  }

  readDir(dir: number): DirEntry[] | number {
    // One listing per handle: the first call returns it, the next says "end".
    // (Not in chunks: Bun's opendirSync with encoding "buffer" gives entries
    // without names, seen with Bun 1.4.4, and names must stay bytes.)
    if (this.listed.has(dir)) return [];
    this.listed.add(dir);
    try {
      const names = fs.readdirSync(this.dirPath(dir), { encoding: "buffer" });
      return names.map((name) => ({ name: new Uint8Array(name) }));
    } catch (err) {
      return fail(err);
    }
  }

  statMany(dir: number, names: Name[], follow: boolean): (Stat | number)[] {
    return names.map((name) => this.stat(dir, name, follow));
  }

  makeDir(dir: number, name: Name, mode: number): number {
    return attempt(() => fs.mkdirSync(this.path(dir, name), { mode }));
  }

  stat(dir: number, name: Name, follow: boolean): Stat | number {
    try {
      const path = this.path(dir, name);
      return toStat(follow ? fs.statSync(path, { bigint: true }) : fs.lstatSync(path, { bigint: true }));
    } catch (err) {
      return fail(err);
    }
  }

  fstat(fd: number): Stat | number {
    const path = this.dirs.get(fd);
    try {
      return toStat(path ? fs.statSync(path, { bigint: true }) : fs.fstatSync(fd, { bigint: true }));
    } catch (err) {
      return fail(err);
    }
  }

  openRead(dir: number, name: Name, follow: boolean, stream = false): number {
    // node:fs cannot wait for a stream's data in steps: a stream is opened
    // blocking, and a signal then waits for the next read to return.
    try {
      return fs.openSync(this.path(dir, name), O_RDONLY | (stream ? 0 : O_NONBLOCK) | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
    } catch (err) {
      return fail(err);
    }
  }

  openWrite(dir: number, name: Name, follow = true): number {
    // Blocking, as cp's: a fifo's open waits for a reader.
    try {
      return fs.openSync(this.path(dir, name), O_WRONLY | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
    } catch (err) {
      return fail(err);
    }
  }

  createFile(dir: number, name: Name, mode: number, truncate = false, follow = false): number {
    try {
      return fs.openSync(this.path(dir, name), O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_EXCL) | (follow ? 0 : O_NOFOLLOW) | O_NOCTTY, mode);
    } catch (err) {
      return fail(err);
    }
  }

  close(fd: number): number {
    this.listed.delete(fd);
    if (this.dirs.delete(fd)) return 0;
    return attempt(() => fs.closeSync(fd));
  }

  readMany(dir: number, files: { name: Name; size: number }[], follow: boolean, each: (index: number, result: ReadFile | number) => void): void {
    const slices = this.batchData.slicesFor(files);
    files.forEach((f, i) => each(i, this.readWhole(dir, f.name, follow, slices[i]!)));
  }

  /** The file into data, a slice of slicesFor's. */
  private readWhole(dir: number, name: Name, follow: boolean, data: Uint8Array): ReadFile | number {
    const fd = this.openRead(dir, name, follow);
    if (fd < 0) return fd;
    try {
      return { fd, data: data.subarray(0, fs.readSync(fd, data, 0, data.length, 0)), method: "read_write" };
    } catch (err) {
      this.close(fd);
      return fail(err);
    }
  }

  counters(): BackendCounters {
    return {};
  }

  readonly methodLabels: Record<CopyMethod, string> = { clone: "none", kernel: "none", batched: "none", read_write: "fs.readSync/writeSync" };

  readAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    try {
      return fs.readSync(fd, buf, 0, length, pos < 0 ? null : pos);
    } catch (err) {
      return fail(err);
    }
  }

  writeAt(fd: number, buf: Uint8Array, length: number, pos: number): number {
    try {
      return fs.writeSync(fd, buf, 0, length, pos < 0 ? null : pos);
    } catch (err) {
      return fail(err);
    }
  }

  truncate(fd: number, size: number): number {
    return attempt(() => fs.ftruncateSync(fd, size));
  }

  readLink(dir: number, name: Name): Uint8Array | number {
    try {
      return new Uint8Array(fs.readlinkSync(this.path(dir, name), { encoding: "buffer" }));
    } catch (err) {
      return fail(err);
    }
  }

  makeSymlink(target: Uint8Array, dir: number, name: Name): number {
    return attempt(() => fs.symlinkSync(Buffer.from(target), this.path(dir, name)));
  }

  makeLink(fromDir: number, fromName: Name, toDir: number, toName: Name, follow = false): number {
    return attempt(() => {
      const from = this.path(fromDir, fromName);
      fs.linkSync(follow ? fs.realpathSync(from, { encoding: "buffer" }) : from, this.path(toDir, toName));
    });
  }

  rename(fromDir: number, fromName: Name, toDir: number, toName: Name, replace: boolean): number {
    return attempt(() => {
      const to = this.path(toDir, toName);
      // Not atomic without renameat2; the native backends do this properly.
      if (!replace && fs.existsSync(to)) throw Object.assign(new Error("exists"), { code: "EEXIST" });
      fs.renameSync(this.path(fromDir, fromName), to);
    });
  }

  remove(dir: number, name: Name, isDir: boolean): number {
    return attempt(() => (isDir ? fs.rmdirSync(this.path(dir, name)) : fs.unlinkSync(this.path(dir, name))));
  }

  canWrite(dir: number, name: Name): number {
    return attempt(() => fs.accessSync(this.path(dir, name), fs.constants.W_OK));
  }

  readonly owners: OwnersCapability = {
    chownFd: (fd, uid, gid) => {
      const path = this.dirs.get(fd);
      return attempt(() => (path ? fs.chownSync(path, uid, gid) : fs.fchownSync(fd, uid, gid)));
    },
    chownAt: (dir, name, uid, gid) => attempt(() => fs.lchownSync(this.path(dir, name), uid, gid)),
  };

  readonly modes: ModesCapability = {
    chmodFd: (fd, mode) => {
      const path = this.dirs.get(fd);
      return attempt(() => (path ? fs.chmodSync(path, mode) : fs.fchmodSync(fd, mode)));
    },
    chmodAt: (dir, name, mode) => attempt(() => fs.chmodSync(this.path(dir, name), mode)),
  };

  setTimesFd(fd: number, t: Times): number {
    const path = this.dirs.get(fd);
    const atime = timeValue(t.atimeSec, t.atimeNsec);
    const mtime = timeValue(t.mtimeSec, t.mtimeNsec);
    return attempt(() => (path ? fs.utimesSync(path, atime, mtime) : fs.futimesSync(fd, atime, mtime)));
  }

  setTimesAt(dir: number, name: Name, t: Times): number {
    return attempt(() => fs.lutimesSync(this.path(dir, name), timeValue(t.atimeSec, t.atimeNsec), timeValue(t.mtimeSec, t.mtimeNsec)));
  }

  report(): BackendReport {
    return {
      backend: "portable (Bun's node:fs; slower)",
      details: [["why", this.reason]],
    };
  }

  probeFilesystem(): FilesystemReport | number {
    return {
      fsType: "unknown (no native shim)",
      checks: [{ name: "native methods", supported: false, detail: this.reason }],
      batched: false,
    };
  }
}
