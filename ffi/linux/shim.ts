// The symbols of c/linux/blit_linux.c as bun:ffi sees them, the flag values
// the shim reports for this architecture, and Linux's errno numbers.

import { dlopen, FFIType } from "bun:ffi";
import { ABI_VERSION } from "../abi.ts";
import type { ErrnoTable } from "../backend.ts";

const { i32, u32, i64, u64, i64_fast, ptr: P, void: VOID } = FFIType;

const symbols = {
  blit_abi_version: { args: [], returns: i32 },
  blit_native_calls: { args: [], returns: i64_fast },
  blit_strerror: { args: [i32, P, u32], returns: i32 },
  blit_linux_constants: { args: [P, u32], returns: i32 },
  blit_ring_create: { args: [u32, P], returns: i32 },
  blit_ring_destroy: { args: [u64], returns: VOID },
  blit_ring_max_workers: { args: [u64, u32, u32], returns: i32 },
  blit_ring_submit: { args: [u64, P, u32], returns: i32 },
  blit_ring_reap: { args: [u64, P, u32, u32], returns: i32 },
  blit_ring_probe: { args: [P, u32], returns: i32 },
  blit_openat: { args: [i32, P, i32, u32], returns: i32 },
  blit_in_use: { args: [i32, P], returns: i32 },
  blit_hold: { args: [i32], returns: VOID },
  blit_close: { args: [i32], returns: i32 },
  blit_pread: { args: [i32, P, u64, i64], returns: i64_fast },
  blit_pwrite: { args: [i32, P, u64, i64], returns: i64_fast },
  blit_statx: { args: [i32, P, i32, u32, P], returns: i32 },
  blit_statx_many: { args: [i32, P, u32, i32, u32, P, P], returns: VOID },
  blit_getdents64: { args: [i32, P, u64], returns: i64_fast },
  blit_lseek: { args: [i32, i64, i32], returns: i64_fast },
  blit_ftruncate: { args: [i32, i64], returns: i32 },
  blit_punch_hole: { args: [i32, i64, i64], returns: i32 },
  blit_ficlone: { args: [i32, i32], returns: i32 },
  blit_get_inode_flags: { args: [i32, i32, P], returns: i32 },
  blit_set_inode_flags: { args: [i32, i32, P, i32], returns: i32 },
  blit_fadvise: { args: [i32, i64, i64, i32], returns: i32 },
  blit_fdatasync: { args: [i32], returns: i32 },
  blit_poll: { args: [i32, i32, i32], returns: i32 },
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
  blit_flistxattr: { args: [i32, P, u64], returns: i64_fast },
  blit_fgetxattr: { args: [i32, P, P, u64], returns: i64_fast },
  blit_fsetxattr: { args: [i32, P, P, u64, i32], returns: i32 },
  blit_llistxattrat: { args: [i32, P, P, u64], returns: i64_fast },
  blit_llistxattr_sizes: { args: [i32, P, u32, P], returns: VOID },
  blit_lgetxattrat: { args: [i32, P, P, P, u64], returns: i64_fast },
  blit_lsetxattrat: { args: [i32, P, P, P, u64, i32], returns: i32 },
  blit_fremovexattr: { args: [i32, P], returns: i32 },
  blit_lremovexattrat: { args: [i32, P, P], returns: i32 },
  blit_fstatfs: { args: [i32, P], returns: i32 },
  blit_raise_nofile: { args: [], returns: i64_fast },
  blit_read_ahead: { args: [P, i32, i32, i32], returns: i32 },
  blit_walked_stats: { args: [i32, P, u32, P, P, P, u32], returns: u32 },
  blit_walked_holds_prefix: { args: [i32, P], returns: i32 },
  blit_list_unchanged: { args: [i32, i32, i32, u32, i32, P, u64, P], returns: i64_fast },
  blit_read_ahead_counts: { args: [P], returns: VOID },
  blit_read_ahead_running: { args: [], returns: i32 },
} as const;

type RawShim = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
/**
 * i64_fast results are numbers whenever they fit in 53 bits, and every one
 * here (sizes, offsets, byte counts, negated errnos) does.
 */
export type Shim = {
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
  "STATX_BASIC_STATS", "XATTR_CREATE", "XATTR_REPLACE", "O_NOATIME",
] as const;
export type Constants = Record<(typeof CONSTANT_NAMES)[number], number>;

/** Linux errno numbers (the same on every architecture Bun runs on). */
export const LINUX_ERRNO: ErrnoTable = {
  EPERM: 1, ENOENT: 2, EIO: 5, ENXIO: 6, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EEXIST: 17, EXDEV: 18,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ETXTBSY: 26, ENOSPC: 28, EMLINK: 31, ERANGE: 34, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EOPNOTSUPP: 95, ENOTSUP: 95, ENOTTY: 25, EDQUOT: 122,
  ECANCELED: 125, EROFS: 30, ENAMETOOLONG: 36, EMFILE: 24, ENFILE: 23, EBUSY: 16,
};

export interface LoadedShim {
  shim: Shim;
  constants: Constants;
}

/** Loads the shim at path, checking that it speaks this ABI. */
export function openShim(path: string): LoadedShim {
  const lib = dlopen(path, symbols);
  const shim = lib.symbols as unknown as Shim;
  const version = shim.blit_abi_version();
  if (version !== ABI_VERSION) throw new Error(`shim ABI ${version}, this blit expects ${ABI_VERSION}`);
  const out = new BigInt64Array(64);
  const n = shim.blit_linux_constants(out, out.length);
  if (n < CONSTANT_NAMES.length) throw new Error(`shim reports ${n} constants, expected ${CONSTANT_NAMES.length}`);
  const constants = {} as Constants;
  CONSTANT_NAMES.forEach((name, i) => {
    constants[name] = Number(out[i]);
  });
  return { shim, constants };
}
