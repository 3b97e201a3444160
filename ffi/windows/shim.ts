// The symbols of c/windows/blit_windows.c as bun:ffi sees them, and how the
// shim's results carry an error: -((win32 << 8) | kind), kind being one of
// the errno numbers below (Linux's), win32 the code whose text is shown.

import { dlopen, FFIType } from "bun:ffi";
import { ABI_VERSION } from "../abi.ts";
import type { ErrnoTable } from "../backend.ts";

// Every HANDLE is an i64 (never `ptr`: a pseudo-handle is negative and would lose bits).
const { i32, u32, i64, i64_fast, ptr: P } = FFIType;

const symbols = {
  blit_abi_version: { args: [], returns: i32 },
  blit_native_calls: { args: [], returns: i64_fast },
  blit_strerror: { args: [u32, P, u32], returns: i32 },
  blit_open: { args: [i64, P, u32, u32], returns: i64_fast },
  blit_close: { args: [i64], returns: i32 },
  blit_fstat: { args: [i64, P], returns: i64_fast },
  blit_stat: { args: [i64, P, u32, i32, P], returns: i64_fast },
  blit_stat_many: { args: [i64, P, u32, i32, P], returns: i64_fast },
  blit_readdir: { args: [i64, P, u32, P, u32], returns: i64_fast },
  blit_mkdir: { args: [i64, P, u32], returns: i64_fast },
  blit_pread: { args: [i64, P, u32, i64], returns: i64_fast },
  blit_pwrite: { args: [i64, P, u32, i64], returns: i64_fast },
  blit_pread_disk: { args: [i64, P, u32, i64], returns: i64_fast },
  blit_flush: { args: [i64], returns: i64_fast },
  blit_truncate: { args: [i64, i64], returns: i64_fast },
  blit_set_times: { args: [i64, i64, i64, i64], returns: i64_fast },
  blit_set_times_at: { args: [i64, P, u32, i64, i64, i64], returns: i64_fast },
  blit_set_attributes: { args: [i64, u32], returns: i64_fast },
  blit_set_attributes_at: { args: [i64, P, u32, u32], returns: i64_fast },
  blit_rename: { args: [i64, P, u32, i64, P, u32, i32], returns: i64_fast },
  blit_link: { args: [i64, P, u32, i64, P, u32, i32], returns: i64_fast },
  blit_remove: { args: [i64, P, u32, i32], returns: i64_fast },
  blit_readlink: { args: [i64, P, u32, P, u32], returns: i64_fast },
  blit_symlink: { args: [P, u32, i64, P, u32, i32], returns: i64_fast },
  blit_clone: { args: [i64, i64], returns: i64_fast },
  blit_server_copy: { args: [i64, i64, i64, i64, i64], returns: i64_fast },
  blit_next_extent: { args: [i64, i64, i64], returns: i64_fast },
  blit_sparse_like: { args: [i64, i64], returns: i64_fast },
  blit_streams: { args: [i64, P, u32], returns: i64_fast },
  blit_stream_get: { args: [i64, P, u32, P, u32], returns: i64_fast },
  blit_stream_set: { args: [i64, P, u32, P, u32], returns: i64_fast },
  blit_security_get: { args: [i64, P, u32, u32, P, u32], returns: i64_fast },
  blit_security_set: { args: [i64, P, u32, u32, P, u32], returns: i64_fast },
  blit_privileges_held: { args: [], returns: i64_fast },
  blit_realpath: { args: [P, u32, P, u32], returns: i64_fast },
  blit_volume: { args: [i64, P, u32, P], returns: i64_fast },
  blit_ignores_case: { args: [i64], returns: i64_fast },
  blit_windows_version: { args: [], returns: i64_fast },
} as const;

type RawShim = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
/** i64_fast results are numbers: handles, sizes and encoded errors all fit in 53 bits. */
export type Shim = {
  [K in keyof RawShim]: RawShim[K] extends (...args: infer A) => infer R
    ? (...args: A) => R extends number | bigint ? number : R
    : never;
};

/** blit_security_get and _set's parts (SECURITY_* in the shim). */
export const SecurityPart = { owner: 1, acls: 2 } as const;

/** blit_open's `how` (OPEN_* in the shim). */
export const Open = { dir: 1, read: 2, create: 3, truncate: 4, write: 5, readDisk: 6, follow: 0x100 } as const;

/** The directory handle meaning "the current directory": names with it are whole Win32 paths. */
export const CWD = -100;

/**
 * The kinds of error the engine acts on. The numbers are Linux's (they only
 * have to be distinct and below 256); what the user reads is Windows' own text.
 */
export const WINDOWS_ERRNO: ErrnoTable = {
  EPERM: 1, ENOENT: 2, EIO: 5, ENXIO: 6, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EEXIST: 17, EXDEV: 18,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ETXTBSY: 26, ENOSPC: 28, EMLINK: 31, ERANGE: 34, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EOPNOTSUPP: 95, ENOTSUP: 95, ENOTTY: 25, EDQUOT: 122,
  ECANCELED: 125, EROFS: 30, ENAMETOOLONG: 36, EMFILE: 24, ENFILE: 23, EBUSY: 16,
};

/** The Win32 code shown for a kind no call has returned yet (an error the engine states itself). */
export const DEFAULT_WIN32: Record<number, number> = {
  1: 1314, // ERROR_PRIVILEGE_NOT_HELD
  2: 2, // ERROR_FILE_NOT_FOUND
  5: 1117, // ERROR_IO_DEVICE
  9: 6, // ERROR_INVALID_HANDLE
  12: 8, // ERROR_NOT_ENOUGH_MEMORY
  13: 5, // ERROR_ACCESS_DENIED
  17: 80, // ERROR_FILE_EXISTS
  18: 17, // ERROR_NOT_SAME_DEVICE
  20: 267, // ERROR_DIRECTORY
  21: 336, // ERROR_DIRECTORY_NOT_SUPPORTED
  22: 87, // ERROR_INVALID_PARAMETER
  28: 112, // ERROR_DISK_FULL
  31: 1142, // ERROR_TOO_MANY_LINKS
  39: 145, // ERROR_DIR_NOT_EMPTY
  40: 1921, // ERROR_CANT_RESOLVE_FILENAME
  95: 50, // ERROR_NOT_SUPPORTED
  122: 1295, // ERROR_DISK_QUOTA_EXCEEDED
  125: 1223, // ERROR_CANCELLED
};

/** Loads the shim at path, checking that it speaks this ABI. */
export function openShim(path: string): Shim {
  const lib = dlopen(path, symbols);
  const shim = lib.symbols as unknown as Shim;
  const version = shim.blit_abi_version();
  if (version !== ABI_VERSION) throw new Error(`shim ABI ${version}, this blit expects ${ABI_VERSION}`);
  return shim;
}
