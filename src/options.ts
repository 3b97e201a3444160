// What a copy was asked to do, independent of how it was spelled.

import type { Reflink, Sparse } from "../ffi/index.ts";

/** When to follow symlinks found in SOURCE (cp's -P, -L, -H). */
export type Dereference = "never" | "always" | "command-line";

/** The attributes of cp's --preserve=LIST. */
export interface Preserve {
  /** Permission bits, and POSIX ACLs with them. */
  mode: boolean;
  ownership: boolean;
  timestamps: boolean;
  /** Hard links within the copy stay hard links. */
  links: boolean;
  /** Extended attributes other than ACLs and the SELinux label. */
  xattr: boolean;
  /** The SELinux label (security.selinux). */
  context: boolean;
}

export const PRESERVE_NONE: Preserve = { mode: false, ownership: false, timestamps: false, links: false, xattr: false, context: false };
export const PRESERVE_ALL: Preserve = { mode: true, ownership: true, timestamps: true, links: true, xattr: true, context: true };

export interface CopyOptions {
  recursive: boolean;
  dereference: Dereference;
  preserve: Preserve;
  /** Asked for by name (-p, --preserve=): failing to keep them is an error. With -a alone, as with cp, it is not. */
  require: Preserve;
  /** --no-preserve=mode: new files get the default 0666, directories 0777, less the umask. */
  defaultModes: boolean;
  noClobber: boolean;
  force: boolean;
  reflink: Reflink;
  sparse: Sparse;
  inplace: boolean;
  failFast: boolean;
  verbose: boolean;
  quiet: boolean;
  stats: boolean;
  jobs: number;
  tuning: Tuning;
  targetDirectory: string | undefined;
  noTargetDirectory: boolean;
}

/** How much each worker keeps in flight. */
export interface Tuning {
  /** io_uring depth: operations submitted at once. */
  queueDepth: number;
  /** Small files read at once. */
  maxInFlight: number;
  /** Bytes of small-file data held at once. */
  bufferSize: number;
}

export const DEFAULT_TUNING: Tuning = { queueDepth: 128, maxInFlight: 128, bufferSize: 8 << 20 };

/** What the workers need to know; fixed for a whole run. */
export interface EngineOptions {
  dereference: Dereference;
  preserve: Preserve;
  require: Preserve;
  defaultModes: boolean;
  noClobber: boolean;
  force: boolean;
  reflink: Reflink;
  sparse: Sparse;
  inplace: boolean;
  /** Without -r a fifo or a device is read like a file, as cp does; with -r it is made anew. */
  readSpecialFiles: boolean;
  verbose: boolean;
  /** Process umask, for modes of new files when modes are not preserved. */
  umask: number;
  /** Distinguishes this run's temporary files from any other's. */
  runId: string;
  /** Workers besides each one: how many a large file's ranges are offered to. */
  helpers: number;
  queueDepth: number;
  maxInFlight: number;
  bufferSize: number;
}
