// The Linux backend: bun:ffi bindings to c/linux/blit_linux.c and the
// Backend contract implemented on top of them.

import { dlopen, FFIType, ptr } from "bun:ffi";
import { release } from "node:os";
import { readFileSync } from "node:fs";
import { ABI_VERSION, CQE_SIZE, OP_SIZE, OPF_LINK, RING_OP_COUNT, RingOp, type RingOpName } from "./abi.ts";
import {
  type Backend,
  type BackendReport,
  type CopyMethod,
  type CopyOutcome,
  type CopyRequest,
  type DirEntry,
  type ErrnoTable,
  type FilesystemReport,
  type Name,
  type Stat,
  type Times,
} from "./backend.ts";

const { i32, u32, i64, u64, i64_fast, ptr: P, void: VOID } = FFIType;

const symbols = {
  blit_abi_version: { args: [], returns: i32 },
  blit_strerror: { args: [i32, P, u32], returns: i32 },
  blit_linux_constants: { args: [P, u32], returns: i32 },
  blit_ring_create: { args: [u32, P], returns: i32 },
  blit_ring_destroy: { args: [u64], returns: VOID },
  blit_ring_submit: { args: [u64, P, u32], returns: i32 },
  blit_ring_reap: { args: [u64, P, u32, u32], returns: i32 },
  blit_ring_probe: { args: [P, u32], returns: i32 },
  blit_openat: { args: [i32, P, i32, u32], returns: i32 },
  blit_close: { args: [i32], returns: i32 },
  blit_pread: { args: [i32, P, u64, i64], returns: i64_fast },
  blit_pwrite: { args: [i32, P, u64, i64], returns: i64_fast },
  blit_statx: { args: [i32, P, i32, u32, P], returns: i32 },
  blit_getdents64: { args: [i32, P, u64], returns: i64_fast },
  blit_lseek: { args: [i32, i64, i32], returns: i64_fast },
  blit_ftruncate: { args: [i32, i64], returns: i32 },
  blit_ficlone: { args: [i32, i32], returns: i32 },
  blit_copy_file_range: { args: [i32, i64, i32, i64, u64], returns: i64_fast },
  blit_mkdirat: { args: [i32, P, u32], returns: i32 },
  blit_mknodat: { args: [i32, P, u32, u64], returns: i32 },
  blit_symlinkat: { args: [P, i32, P], returns: i32 },
  blit_readlinkat: { args: [i32, P, P, u64], returns: i64_fast },
  blit_linkat: { args: [i32, P, i32, P, i32], returns: i32 },
  blit_renameat2: { args: [i32, P, i32, P, u32], returns: i32 },
  blit_unlinkat: { args: [i32, P, i32], returns: i32 },
  blit_faccessat: { args: [i32, P, i32, i32], returns: i32 },
  blit_fchmod: { args: [i32, u32], returns: i32 },
  blit_fchmodat: { args: [i32, P, u32, i32], returns: i32 },
  blit_fchown: { args: [i32, u32, u32], returns: i32 },
  blit_fchownat: { args: [i32, P, u32, u32, i32], returns: i32 },
  blit_futimens: { args: [i32, i64, i64, i64, i64], returns: i32 },
  blit_utimensat: { args: [i32, P, i64, i64, i64, i64, i32], returns: i32 },
  blit_fstatfs: { args: [i32, P], returns: i32 },
  blit_raise_nofile: { args: [], returns: i64_fast },
} as const;

type RawShim = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
/**
 * i64_fast results are numbers whenever they fit in 53 bits, and every one
 * here (sizes, offsets, byte counts, negated errnos) does.
 */
type Shim = {
  [K in keyof RawShim]: RawShim[K] extends (...args: infer A) => infer R
    ? (...args: A) => R extends number | bigint ? number : R
    : never;
};

/** Order of blit_linux_constants() in the shim. */
const CONSTANT_NAMES = [
  "O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_NONBLOCK",
  "O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC", "O_PATH", "O_TMPFILE",
  "AT_FDCWD", "AT_SYMLINK_NOFOLLOW", "AT_REMOVEDIR", "AT_EMPTY_PATH", "AT_SYMLINK_FOLLOW",
  "AT_EACCESS", "RENAME_NOREPLACE", "SEEK_DATA", "SEEK_HOLE", "W_OK",
  "STATX_BASIC_STATS", "XATTR_CREATE", "XATTR_REPLACE",
] as const;
type Constants = Record<(typeof CONSTANT_NAMES)[number], number>;

/** Linux errno numbers (shared by every architecture Bun runs on). */
const LINUX_ERRNO: ErrnoTable = {
  EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, ENOMEM: 12, EACCES: 13, EEXIST: 17, EXDEV: 18,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ETXTBSY: 26, ENOSPC: 28, EMLINK: 31, ENOSYS: 38,
  ELOOP: 40, ENOTEMPTY: 39, EOPNOTSUPP: 95, ENOTSUP: 95, ENOTTY: 25, EDQUOT: 122,
};
const E = LINUX_ERRNO;

/** copy_file_range failures that mean "this method cannot do it here". */
const CFR_FALLBACK = new Set([E.ENOSYS, E.ENOTTY, E.EOPNOTSUPP, E.EINVAL, E.EBADF, E.EXDEV, E.ETXTBSY, E.EPERM, E.EACCES]);
/** After a failed clone these are real failures, not a reason to try another method. */
const CLONE_TERMINAL = new Set([E.EIO, E.ENOMEM, E.ENOSPC, E.EDQUOT]);

const FS_NAMES: Record<number, string> = {
  0xef53: "ext2/ext3/ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x858458f6: "ramfs",
  0x6969: "nfs",
  0x794c7630: "overlayfs",
  0x2fc12fc1: "zfs",
  0xf2f52010: "f2fs",
  0xca451a4e: "bcachefs",
  0x65735546: "fuse",
  0x9fa0: "proc",
  0x62656572: "sysfs",
  0xfe534d42: "smb2",
  0xff534d42: "cifs",
  0x2011bab0: "exfat",
  0x4d44: "vfat",
  0x5346544e: "ntfs",
  0x73717368: "squashfs",
  0xe0f5e1e2: "erofs",
  0x01021997: "9p",
};

const READ_CHUNK = 1 << 20;
const RING_CHUNK = 256 << 10;
const RING_SLOTS = 4;
const CFR_CHUNK = 1 << 30;
const DIRENT_BUFFER = 64 << 10;
const PATH_SCRATCH = 4097;

interface RingState {
  handle: bigint;
  ops: Uint8Array;
  opsView: DataView;
  cqes: Uint8Array;
  cqesView: DataView;
  buffers: Uint8Array[];
  bufferAddrs: number[];
}

export class LinuxBackend implements Backend {
  readonly id = "linux";
  readonly errno = LINUX_ERRNO;
  readonly cwd: number;

  private readonly c: Constants;
  private readonly scratch = [new Uint8Array(PATH_SCRATCH), new Uint8Array(PATH_SCRATCH)];
  private readonly statBuf = new Uint8Array(256);
  private readonly statView = new DataView(this.statBuf.buffer);
  private readonly direntBuf = new Uint8Array(DIRENT_BUFFER);
  private readonly direntView = new DataView(this.direntBuf.buffer);
  private readonly errBuf = new Uint8Array(256);
  private readonly decoder = new TextDecoder();
  private readonly errorText = new Map<number, string>();
  private copyBuffer: Uint8Array | undefined;
  private ring: RingState | null | undefined;
  private ringFailure = "";

  constructor(
    private readonly shim: Shim,
    readonly shimPath: string,
  ) {
    const out = new BigInt64Array(64);
    const n = shim.blit_linux_constants(out, out.length);
    const values = {} as Constants;
    CONSTANT_NAMES.forEach((name, i) => {
      if (i >= n) throw new Error(`shim reports ${n} constants, expected ${CONSTANT_NAMES.length}`);
      values[name] = Number(out[i]);
    });
    this.c = values;
    this.cwd = values.AT_FDCWD;
  }

  /** Loads the shim at path, checking that it speaks this ABI. */
  static open(path: string): LinuxBackend {
    const lib = dlopen(path, symbols);
    const version = lib.symbols.blit_abi_version();
    if (version !== ABI_VERSION) {
      throw new Error(`shim ABI ${version}, this blit expects ${ABI_VERSION}`);
    }
    return new LinuxBackend(lib.symbols as unknown as Shim, path);
  }

  // ---------------------------------------------------------------- names

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

  raiseFileLimit(): number {
    return this.shim.blit_raise_nofile();
  }

  // ---------------------------------------------------------------- directories

  openDir(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    const flags = c.O_RDONLY | c.O_DIRECTORY | c.O_CLOEXEC | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW);
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, 0);
  }

  readDir(dir: number): DirEntry[] | number {
    const entries: DirEntry[] = [];
    const buf = this.direntBuf;
    const view = this.direntView;
    for (;;) {
      const n = this.shim.blit_getdents64(dir, buf, buf.length);
      if (n < 0) return n;
      if (n === 0) return entries;
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
  }

  makeDir(dir: number, name: Name, mode: number): number {
    return this.shim.blit_mkdirat(dir, this.cstr(name, 0), mode);
  }

  // ---------------------------------------------------------------- stat

  private parseStatx(): Stat {
    const v = this.statView;
    const u64 = (off: number) => v.getUint32(off, true) + v.getUint32(off + 4, true) * 4294967296;
    return {
      nlink: v.getUint32(16, true),
      uid: v.getUint32(20, true),
      gid: v.getUint32(24, true),
      mode: v.getUint16(28, true),
      ino: v.getBigUint64(32, true),
      size: u64(40),
      blocks: u64(48),
      atimeSec: Number(v.getBigInt64(64, true)),
      atimeNsec: v.getUint32(72, true),
      mtimeSec: Number(v.getBigInt64(112, true)),
      mtimeNsec: v.getUint32(120, true),
      rdevMajor: v.getUint32(128, true),
      rdevMinor: v.getUint32(132, true),
      dev: v.getUint32(136, true) * 4294967296 + v.getUint32(140, true),
    };
  }

  stat(dir: number, name: Name, follow: boolean): Stat | number {
    const flags = follow ? 0 : this.c.AT_SYMLINK_NOFOLLOW;
    const r = this.shim.blit_statx(dir, this.cstr(name, 0), flags, this.c.STATX_BASIC_STATS, this.statBuf);
    return r < 0 ? r : this.parseStatx();
  }

  fstat(fd: number): Stat | number {
    const empty = this.cstr(new Uint8Array(0), 0);
    const r = this.shim.blit_statx(fd, empty, this.c.AT_EMPTY_PATH, this.c.STATX_BASIC_STATS, this.statBuf);
    return r < 0 ? r : this.parseStatx();
  }

  // ---------------------------------------------------------------- files

  openRead(dir: number, name: Name, follow: boolean): number {
    const c = this.c;
    // O_NONBLOCK: a file swapped for a fifo after our stat must not hang us.
    const flags = c.O_RDONLY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK | (follow ? 0 : c.O_NOFOLLOW);
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, 0);
  }

  createFile(dir: number, name: Name, mode: number): number {
    const c = this.c;
    const flags = c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW | c.O_CLOEXEC | c.O_NOCTTY;
    return this.shim.blit_openat(dir, this.cstr(name, 0), flags, mode);
  }

  close(fd: number): void {
    this.shim.blit_close(fd);
  }

  copyData(src: number, dst: number, request: CopyRequest): CopyOutcome {
    if (request.reflink !== "never") {
      const r = this.shim.blit_ficlone(dst, src);
      if (r === 0) return { ok: true, method: "clone", bytes: request.sizeHint };
      if (request.reflink === "always" || CLONE_TERMINAL.has(-r)) {
        return { ok: false, stage: "clone", errno: -r };
      }
    }
    // copy_file_range may share extents on its own; "never" means real copies.
    if (request.reflink !== "never") {
      const outcome = this.copyFileRange(src, dst);
      if (outcome) return outcome;
    }
    const ring = this.ringState();
    if (ring && request.sizeHint > 0) return this.copyThroughRing(ring, src, dst, request.sizeHint);
    return this.copyReadWrite(src, dst, 0, 0);
  }

  /** undefined when copy_file_range cannot serve this pair and copied nothing. */
  private copyFileRange(src: number, dst: number): CopyOutcome | undefined {
    let copied = 0;
    for (;;) {
      const n = this.shim.blit_copy_file_range(src, -1, dst, -1, CFR_CHUNK);
      if (n < 0) {
        if (copied === 0 && CFR_FALLBACK.has(-n)) return undefined;
        return { ok: false, stage: "write", errno: -n };
      }
      if (n === 0) break;
      copied += n;
    }
    // Files like /proc/cpuinfo report size 0 and copy_file_range copies
    // nothing from them: read them instead. Data at a later offset goes on.
    if (copied === 0) return this.copyReadWrite(src, dst, 0, 0);
    return { ok: true, method: "copy_file_range", bytes: copied };
  }

  private copyReadWrite(src: number, dst: number, offset: number, already: number): CopyOutcome {
    this.copyBuffer ??= new Uint8Array(READ_CHUNK);
    const buf = this.copyBuffer;
    let pos = offset;
    let copied = already;
    for (;;) {
      const n = this.shim.blit_pread(src, buf, buf.length, pos);
      if (n < 0) return { ok: false, stage: "read", errno: -n };
      if (n === 0) return { ok: true, method: "read_write", bytes: copied };
      let done = 0;
      while (done < n) {
        const w = this.shim.blit_pwrite(dst, done === 0 ? buf : buf.subarray(done), n - done, pos + done);
        if (w < 0) return { ok: false, stage: "write", errno: -w };
        done += w;
      }
      pos += n;
      copied += n;
    }
  }

  // ---------------------------------------------------------------- io_uring

  private ringState(): RingState | null {
    if (this.ring !== undefined) return this.ring;
    this.ring = null;
    if (process.env.BLIT_NO_URING === "1") {
      this.ringFailure = "disabled by BLIT_NO_URING=1";
      return null;
    }
    const out = new BigUint64Array(1);
    const r = this.shim.blit_ring_create(RING_SLOTS * 4, out);
    if (r < 0) {
      this.ringFailure = this.strerror(-r);
      return null;
    }
    const ops = new Uint8Array(OP_SIZE * RING_SLOTS * 2);
    const cqes = new Uint8Array(CQE_SIZE * RING_SLOTS * 2);
    const buffers = Array.from({ length: RING_SLOTS }, () => new Uint8Array(RING_CHUNK));
    this.ring = {
      handle: out[0]!,
      ops,
      opsView: new DataView(ops.buffer),
      cqes,
      cqesView: new DataView(cqes.buffer),
      buffers,
      bufferAddrs: buffers.map((b) => ptr(b)),
    };
    return this.ring;
  }

  private putOp(ring: RingState, index: number, op: RingOpName, fd: number, slot: number, len: number, offset: number, linked: boolean, userData: number): void {
    const v = ring.opsView;
    const base = index * OP_SIZE;
    ring.ops.fill(0, base, base + OP_SIZE);
    v.setUint8(base, RingOp[op]);
    v.setUint8(base + 1, linked ? OPF_LINK : 0);
    v.setInt32(base + 4, fd, true);
    v.setBigUint64(base + 8, BigInt(ring.bufferAddrs[slot]!), true);
    v.setBigUint64(base + 24, BigInt(offset), true);
    v.setUint32(base + 32, len, true);
    v.setBigUint64(base + 48, BigInt(userData), true);
  }

  /**
   * Reads and writes through the ring, RING_SLOTS chunks in flight, each
   * chunk a read linked to the write of the same bytes. A short read breaks
   * its link (the write comes back ECANCELED); that chunk is finished
   * synchronously and the rest of the file goes through plain reads, which
   * also covers files that grew or shrank since they were opened.
   */
  private copyThroughRing(ring: RingState, src: number, dst: number, size: number): CopyOutcome {
    const chunks = Math.ceil(size / RING_CHUNK);
    const readRes = new Array<number>(RING_SLOTS).fill(0);
    const wanted = new Array<number>(RING_SLOTS).fill(0);
    const pendingOps = new Array<number>(RING_SLOTS).fill(0);
    let next = 0;
    let inflight = 0;
    let copied = 0;
    let failure: CopyOutcome | undefined;
    let shortAt = -1;

    const submit = (chunk: number): boolean => {
      const slot = chunk % RING_SLOTS;
      const offset = chunk * RING_CHUNK;
      const len = Math.min(RING_CHUNK, size - offset);
      wanted[slot] = len;
      pendingOps[slot] = 2;
      this.putOp(ring, 0, "read", src, slot, len, offset, true, chunk * 2);
      this.putOp(ring, 1, "write", dst, slot, len, offset, false, chunk * 2 + 1);
      const r = this.shim.blit_ring_submit(ring.handle, ring.ops, 2);
      if (r !== 2) {
        failure = { ok: false, stage: "read", errno: r < 0 ? -r : E.EIO };
        return false;
      }
      inflight++;
      return true;
    };

    while (next < chunks && inflight < RING_SLOTS) if (!submit(next++)) break;

    while (inflight > 0) {
      const got = this.shim.blit_ring_reap(ring.handle, ring.cqes, RING_SLOTS * 2, 1);
      if (got < 0) {
        // Completions we could not collect would surface in a later copy.
        this.ring = null;
        this.ringFailure = `abandoned after a failed wait: ${this.strerror(-got)}`;
        return { ok: false, stage: "read", errno: -got };
      }
      for (let i = 0; i < got; i++) {
        const base = i * CQE_SIZE;
        const userData = Number(ring.cqesView.getBigUint64(base, true));
        const res = ring.cqesView.getInt32(base + 8, true);
        const chunk = userData >> 1;
        const slot = chunk % RING_SLOTS;
        const isWrite = (userData & 1) === 1;
        if (!isWrite) {
          readRes[slot] = res;
          if (res < 0) failure ??= { ok: false, stage: "read", errno: -res };
        } else if (res >= 0) {
          copied += res;
          if (res < wanted[slot]!) failure ??= { ok: false, stage: "write", errno: E.ENOSPC };
        } else if (res !== -125 /* ECANCELED: the read was short */) {
          failure ??= { ok: false, stage: "write", errno: -res };
        } else if (readRes[slot]! >= 0 && (shortAt < 0 || chunk < shortAt)) {
          shortAt = chunk;
        }
        if (--pendingOps[slot]! === 0) {
          inflight--;
          if (!failure && shortAt < 0 && next < chunks) submit(next++);
        }
      }
    }
    if (failure) return failure;
    if (shortAt >= 0) {
      // Write what the short read got, then continue with plain reads.
      const slot = shortAt % RING_SLOTS;
      const got = readRes[slot]!;
      const offset = shortAt * RING_CHUNK;
      const buf = ring.buffers[slot]!;
      let done = 0;
      while (done < got) {
        const w = this.shim.blit_pwrite(dst, buf.subarray(done), got - done, offset + done);
        if (w < 0) return { ok: false, stage: "write", errno: -w };
        done += w;
      }
      const rest = this.copyReadWrite(src, dst, offset + got, offset + got);
      return rest.ok ? { ok: true, method: "io_uring", bytes: rest.bytes } : rest;
    }
    // The file may have grown since it was opened: read on until EOF.
    const tail = this.copyReadWrite(src, dst, size, copied);
    return tail.ok ? { ok: true, method: "io_uring", bytes: tail.bytes } : tail;
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

  makeLink(fromDir: number, fromName: Name, toDir: number, toName: Name): number {
    return this.shim.blit_linkat(fromDir, this.cstr(fromName, 0), toDir, this.cstr(toName, 1), 0);
  }

  makeNode(dir: number, name: Name, mode: number, rdevMajor: number, rdevMinor: number): number {
    // glibc's makedev() encoding of dev_t.
    const dev = (BigInt(rdevMajor & 0xfffff000) << 32n) | (BigInt(rdevMajor & 0xfff) << 8n) |
      (BigInt(rdevMinor & 0xffffff00) << 12n) | BigInt(rdevMinor & 0xff);
    return this.shim.blit_mknodat(dir, this.cstr(name, 0), mode, dev);
  }

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

  chownFd(fd: number, uid: number, gid: number): number {
    return this.shim.blit_fchown(fd, uid, gid);
  }

  chownAt(dir: number, name: Name, uid: number, gid: number): number {
    return this.shim.blit_fchownat(dir, this.cstr(name, 0), uid, gid, this.c.AT_SYMLINK_NOFOLLOW);
  }

  chmodFd(fd: number, mode: number): number {
    return this.shim.blit_fchmod(fd, mode);
  }

  chmodAt(dir: number, name: Name, mode: number): number {
    return this.shim.blit_fchmodat(dir, this.cstr(name, 0), mode, 0);
  }

  setTimesFd(fd: number, t: Times): number {
    return this.shim.blit_futimens(fd, t.atimeSec, t.atimeNsec, t.mtimeSec, t.mtimeNsec);
  }

  setTimesAt(dir: number, name: Name, t: Times): number {
    return this.shim.blit_utimensat(dir, this.cstr(name, 0), t.atimeSec, t.atimeNsec, t.mtimeSec, t.mtimeNsec, this.c.AT_SYMLINK_NOFOLLOW);
  }

  // ---------------------------------------------------------------- reports

  private ioUringReport(): string {
    const supported = new Uint8Array(RING_OP_COUNT);
    const r = this.shim.blit_ring_probe(supported, RING_OP_COUNT);
    let disabled = "";
    try {
      disabled = readFileSync("/proc/sys/kernel/io_uring_disabled", "utf8").trim();
    } catch {
      // Kernels before 6.6 have no such switch.
    }
    if (r < 0) {
      const why = disabled && disabled !== "0" ? ` (kernel.io_uring_disabled=${disabled})` : "";
      return `unavailable: ${this.strerror(-r)}${why}`;
    }
    const names = Object.keys(RingOp) as RingOpName[];
    const ops = names.filter((name) => supported[RingOp[name]] === 1);
    const missing = names.filter((name) => supported[RingOp[name]] !== 1);
    let text = `available; ops: ${ops.join(" ")}`;
    if (missing.length) text += `; missing: ${missing.join(" ")}`;
    if (process.env.BLIT_NO_URING === "1") text += "; not used: BLIT_NO_URING=1";
    return text;
  }

  report(): BackendReport {
    const ring = this.ringState();
    return {
      backend: "linux (native shim over liburing)",
      details: [
        ["shim", this.shimPath],
        ["kernel", release()],
        ["io_uring", this.ioUringReport()],
        ["worker ring", ring ? "created" : `not used: ${this.ringFailure}`],
        ["open file limit", String(this.raiseFileLimit())],
      ],
    };
  }

  /** Tries each method on two scratch files in dir, then removes them. */
  private probeWithScratchFiles(dir: number): FilesystemReport["checks"] | number {
    const enc = new TextEncoder();
    const tag = `${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
    const nameA = enc.encode(`.blit-probe-${tag}-a`);
    const nameB = enc.encode(`.blit-probe-${tag}-b`);
    const nameC = enc.encode(`.blit-probe-${tag}-c`);
    const fds: number[] = [];
    const open = (fd: number) => {
      if (fd >= 0) fds.push(fd);
      return fd;
    };
    const checks: FilesystemReport["checks"] = [];
    const record = (name: string, res: number, ok: string) => {
      checks.push({ name, supported: res >= 0, detail: res >= 0 ? ok : this.strerror(-res) });
    };
    try {
      const writer = open(this.createFile(dir, nameA, 0o600));
      if (writer < 0) return writer;
      // 64 KiB of data at 1 MiB: a file that starts with a hole.
      const data = new Uint8Array(64 << 10).fill(0x5a);
      const w = this.shim.blit_pwrite(writer, data, data.length, 1 << 20);
      if (w < 0) return w;
      const src = open(this.shim.blit_openat(dir, this.cstr(nameA, 0), this.c.O_RDONLY | this.c.O_CLOEXEC, 0));
      if (src < 0) return src;
      const cloneDst = open(this.createFile(dir, nameB, 0o600));
      if (cloneDst < 0) return cloneDst;
      record("reflink (FICLONE)", this.shim.blit_ficlone(cloneDst, src), "supported");
      const rangeDst = open(this.createFile(dir, nameC, 0o600));
      if (rangeDst < 0) return rangeDst;
      const n = this.shim.blit_copy_file_range(src, 0, rangeDst, 0, 1 << 30);
      record("copy_file_range", n, "supported");
      const dataAt = this.shim.blit_lseek(src, 0, this.c.SEEK_DATA);
      if (dataAt < 0) record("holes (SEEK_DATA)", dataAt, "");
      else checks.push({ name: "holes (SEEK_DATA)", supported: dataAt > 0, detail: dataAt > 0 ? "reported" : "not reported: the whole file reads as data" });
      return checks;
    } finally {
      for (const fd of fds) this.close(fd);
      for (const name of [nameA, nameB, nameC]) this.remove(dir, name, false);
    }
  }

  probeFilesystem(dir: number): FilesystemReport | number {
    const statfs = new BigUint64Array(8);
    const r = this.shim.blit_fstatfs(dir, statfs);
    if (r < 0) return r;
    const magic = Number(statfs[0]!);
    const fsType = FS_NAMES[magic] ?? `unknown (magic 0x${magic.toString(16)})`;

    const probed = this.probeWithScratchFiles(dir);
    if (typeof probed === "number") {
      const detail = `cannot create scratch files here: ${this.strerror(-probed)}`;
      return { fsType, checks: [{ name: "copy methods", supported: false, detail }], method: undefined };
    }
    const checks = probed;
    const works = (name: string) => checks.find((c) => c.name === name)?.supported === true;
    const method: CopyMethod = works("reflink (FICLONE)") ? "clone"
      : works("copy_file_range") ? "copy_file_range"
      : this.ringState() ? "io_uring" : "read_write";
    return { fsType, checks, method };
  }
}
