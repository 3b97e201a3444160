// The symbols of c/darwin/blit_darwin.c as bun:ffi sees them, the records of
// c/darwin/blit_darwin.h, and the flag and errno values the shim reports:
// macOS's on a Mac, Linux's where the same shim is built for Linux (tests).

import { dlopen, FFIType } from "bun:ffi";
import { ABI_VERSION } from "../abi.ts";
import type { ErrnoTable, Stat } from "../backend.ts";

const { i32, u32, i64, u64, i64_fast, ptr: P } = FFIType;

/** Every function the shim exports, and nothing else (tests/release compares the dylibs' export tables with this). */
export const DARWIN_SYMBOLS = {
  blit_abi_version: { args: [], returns: i32 },
  blit_native_calls: { args: [], returns: i64_fast },
  blit_features: { args: [], returns: u32 },
  blit_strerror: { args: [i32, P, u32], returns: i32 },
  blit_darwin_constants: { args: [P, u32], returns: i32 },
  blit_fstatat: { args: [i32, P, i32, P], returns: i32 },
  blit_fstat: { args: [i32, P], returns: i32 },
  blit_read_dir: { args: [i32, P, u64], returns: i64_fast },
  blit_openat: { args: [i32, P, i32, u32], returns: i32 },
  blit_close: { args: [i32], returns: i32 },
  blit_pread: { args: [i32, P, u64, i64], returns: i64_fast },
  blit_pwrite: { args: [i32, P, u64, i64], returns: i64_fast },
  blit_lseek: { args: [i32, i64, i32], returns: i64_fast },
  blit_ftruncate: { args: [i32, i64], returns: i32 },
  blit_poll: { args: [i32, i32, i32], returns: i32 },
  blit_advise_sequential: { args: [i32, i64], returns: i32 },
  blit_read_past_cache: { args: [i32], returns: i32 },
  blit_clone_at: { args: [i32, i32, P], returns: i32 },
  blit_mkdirat: { args: [i32, P, u32], returns: i32 },
  blit_mknodat: { args: [i32, P, u32, u32, u32], returns: i32 },
  blit_symlinkat: { args: [P, i32, P], returns: i32 },
  blit_readlinkat: { args: [i32, P, P, u64], returns: i64_fast },
  blit_linkat: { args: [i32, P, i32, P, i32], returns: i32 },
  blit_rename: { args: [i32, P, i32, P, i32], returns: i32 },
  blit_unlinkat: { args: [i32, P, i32], returns: i32 },
  blit_faccessat: { args: [i32, P, i32, i32], returns: i32 },
  blit_fchmod: { args: [i32, u32], returns: i32 },
  blit_fchmodat: { args: [i32, P, u32, i32], returns: i32 },
  blit_fchown: { args: [i32, u32, u32], returns: i32 },
  blit_fchownat: { args: [i32, P, u32, u32, i32], returns: i32 },
  blit_futimens: { args: [i32, i64, i64, i64, i64], returns: i32 },
  blit_utimensat: { args: [i32, P, i64, i64, i64, i64, i32], returns: i32 },
  blit_set_birthtime: { args: [i32, i32, P, i64, i64], returns: i32 },
  blit_set_flags: { args: [i32, i32, P, u32], returns: i32 },
  blit_listxattr: { args: [i32, i32, P, P, u64], returns: i64_fast },
  blit_getxattr: { args: [i32, i32, P, P, P, u64], returns: i64_fast },
  blit_setxattr: { args: [i32, i32, P, P, P, u64], returns: i32 },
  blit_removexattr: { args: [i32, i32, P, P], returns: i32 },
  blit_acl_get: { args: [i32, i32, P, P, u64], returns: i64_fast },
  blit_acl_set: { args: [i32, i32, P, P], returns: i32 },
  blit_raise_nofile: { args: [], returns: i64_fast },
  blit_volume: { args: [i32, P, u32, P], returns: i32 },
  blit_command_line: { args: [P, u64], returns: i64_fast },
  blit_performance_cpus: { args: [], returns: i32 },
} as const;

type RawShim = ReturnType<typeof dlopen<typeof DARWIN_SYMBOLS>>["symbols"];
/** i64_fast results are numbers whenever they fit in 53 bits, and every one here does. */
export type Shim = {
  [K in keyof RawShim]: RawShim[K] extends (...args: infer A) => infer R
    ? (...args: A) => R extends number | bigint ? number : R
    : never;
};

/** blit_features() bits (BLIT_FEATURE_*). */
export const Feature = {
  clone: 0x01,
  bulkList: 0x02,
  birthtime: 0x04,
  flags: 0x08,
  acl: 0x10,
  nocache: 0x20,
  volumeCaps: 0x40,
} as const;

/** blit_volume() bits (BLIT_VOLUME_*). */
export const Volume = { known: 0x01, clone: 0x02, caseSensitive: 0x04, sparse: 0x08, caseKnown: 0x10, nativeXattrs: 0x20 } as const;

/** struct blit_stat and struct blit_dirent. */
export const STAT_SIZE = 128;
export const DIRENT_HEADER = 16;
const STAT_BIRTHTIME = 0x01;
const STAT_FLAGS = 0x02;

/** Order of blit_darwin_constants() in the shim: these flags, then the errno table. */
const CONSTANT_NAMES = [
  "O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_NONBLOCK",
  "O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC",
  "AT_FDCWD", "AT_SYMLINK_NOFOLLOW", "AT_REMOVEDIR", "AT_SYMLINK_FOLLOW", "AT_EACCESS",
  "SEEK_DATA", "SEEK_HOLE", "SEEK_END", "W_OK", "POLLIN", "POLLOUT",
] as const;
const ERRNO_NAMES: (keyof ErrnoTable)[] = [
  "EPERM", "ENOENT", "EIO", "ENXIO", "EBADF", "EAGAIN", "ENOMEM", "EACCES", "EEXIST", "EXDEV",
  "ENOTDIR", "EISDIR", "EINVAL", "ETXTBSY", "ENOSPC", "EMLINK", "ERANGE", "ENOSYS", "ELOOP",
  "ENOTEMPTY", "ENODATA", "EOPNOTSUPP", "ENOTSUP", "ENOTTY", "EDQUOT", "ECANCELED", "EROFS", "ENAMETOOLONG",
  "EMFILE", "ENFILE", "EBUSY",
];
export type Constants = Record<(typeof CONSTANT_NAMES)[number], number>;

export interface LoadedShim {
  shim: Shim;
  constants: Constants;
  errno: ErrnoTable;
  features: number;
}

/** Loads the shim at path, checking that it speaks this ABI. */
export function openShim(path: string): LoadedShim {
  const lib = dlopen(path, DARWIN_SYMBOLS);
  const shim = lib.symbols as unknown as Shim;
  const version = shim.blit_abi_version();
  if (version !== ABI_VERSION) throw new Error(`shim ABI ${version}, this blit expects ${ABI_VERSION}`);
  const out = new BigInt64Array(64);
  const n = shim.blit_darwin_constants(out, out.length);
  const expected = CONSTANT_NAMES.length + ERRNO_NAMES.length;
  if (n !== expected) throw new Error(`shim reports ${n} constants, expected ${expected}`);
  const constants = {} as Constants;
  CONSTANT_NAMES.forEach((name, i) => {
    constants[name] = Number(out[i]);
  });
  const errno = {} as ErrnoTable;
  ERRNO_NAMES.forEach((name, i) => {
    errno[name] = Number(out[CONSTANT_NAMES.length + i]);
  });
  return { shim, constants, errno, features: shim.blit_features() };
}

/** A struct blit_stat at `at`, as the contract's Stat (st_flags as its attributes, and the birth time, where the OS has them). */
export function parseStat(v: DataView, at: number): Stat {
  const i64 = (off: number) => v.getUint32(at + off, true) + v.getInt32(at + off + 4, true) * 4294967296;
  const valid = v.getUint32(at + 28, true);
  const st: Stat = {
    mode: v.getUint32(at, true),
    uid: v.getUint32(at + 4, true),
    gid: v.getUint32(at + 8, true),
    nlink: v.getUint32(at + 12, true),
    rdevMajor: v.getUint32(at + 20, true),
    rdevMinor: v.getUint32(at + 24, true),
    dev: i64(32),
    ino: v.getBigUint64(at + 40, true),
    size: i64(48),
    blocks: i64(56),
    atimeSec: i64(64),
    atimeNsec: i64(72),
    mtimeSec: i64(80),
    mtimeNsec: i64(88),
  };
  if (valid & STAT_FLAGS) st.attributes = v.getUint32(at + 16, true);
  if (valid & STAT_BIRTHTIME) {
    st.birthtimeSec = i64(112);
    st.birthtimeNsec = i64(120);
  }
  return st;
}
