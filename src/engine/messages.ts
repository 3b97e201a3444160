// What the pool (main thread) and its workers say to each other.
// Descriptors are plain numbers: workers are threads of one process, so a
// directory one worker opened can be used by any other until it is closed.

import type { Stat } from "../../ffi/index.ts";
import type { SeenNames } from "./case-names.ts";
import type { SharedCopy } from "./shared-ranges.ts";
import type { EngineOptions, FilterRule } from "../options.ts";
import type { CopyJob } from "../plan.ts";
import type { Counts, Output } from "./report.ts";

/** A directory's identity. */
export interface DirId {
  dev: number;
  ino: bigint;
}

/**
 * A new directory filled under a temporary name (`temp`, in `parent`) and
 * renamed to `name` once filled (Backend.renamesOpenDirectories): the small
 * files in it are written under their own names, never seen there partial.
 * `live` until it is renamed; `fd` is the directory's descriptor, which
 * changes where another run made `name` first and the entries were moved
 * into that one.
 */
export interface Staging {
  parent: number;
  temp: Uint8Array;
  name: Uint8Array;
  path: Uint8Array;
  srcPath: Uint8Array;
  fd: number;
  live: boolean;
  /** It could not be put into place (said): nothing more is copied into it. */
  failed?: boolean;
}

/** A directory to copy: opened by name relative to its parent's descriptors. */
export interface DirWork {
  srcParent: number;
  dstParent: number;
  srcName: Uint8Array;
  dstName: Uint8Array;
  /** Paths for messages only. */
  srcPath: Uint8Array;
  dstPath: Uint8Array;
  /** The destination below the job's destination parent, for hard links. */
  rootFd: number;
  dstRel: Uint8Array;
  /** Identity seen when the parent was listed; a different one means it was swapped. */
  expectDev: number;
  expectIno: bigint;
  /** The parent was created by this run, so nothing exists inside it yet. */
  dstFresh: boolean;
  /** The parent's device and the group new entries in it get (for the child's own creation). */
  dstDev: number;
  newGid: number;
  /** The permission bits the parent's default ACL lets a new entry have (undefined: the umask decides). */
  inheritedPermissions?: number;
  /** The parent is append-only (Backend.appendOnly). */
  appendOnly?: boolean;
  /** dev:ino of the directories above, source and destination side; kept only when following symlinks (-L). */
  ancestors: string[] | undefined;
  /** Rules the per-directory filter files of the directories above gave (--filter=':- NAME'). */
  merged?: FilterRule[];
  /** --keep-directory-symlink: the directory a kept symlink must lead inside (the copy's destination as first entered). */
  within: DirId;
}

/**
 * Part of a large directory's listing, handed to whichever worker is free:
 * both ends of the directory are open (kept so until it is finished).
 */
export interface FilesWork {
  srcFd: number;
  dstFd: number;
  names: Uint8Array[];
  srcPath: Uint8Array;
  dstPath: Uint8Array;
  rootFd: number;
  dstRel: Uint8Array;
  dstFresh: boolean;
  follow: boolean;
  dstDev: number;
  newGid: number;
  inheritedPermissions?: number;
  appendOnly?: boolean;
  ancestors: string[] | undefined;
  merged?: FilterRule[];
  within: DirId;
  /**
   * The destination ignores case: the names listed so far, for whoever lists
   * on (case-names.ts). Not sent with a share of names to copy.
   */
  seenNames?: SeenNames;
  /** The directory is filled under a temporary name (never shared out while it is). */
  staging?: Staging;
}

/**
 * Work found while copying: a directory, a share of a directory's entries,
 * the rest of a directory's listing (read on from its descriptor; no names),
 * ranges of a large file, or a directory the task went on to copy itself
 * ("opened") whose own unfinished work and metadata are left to the pool.
 */
export type ChildWork =
  | { kind: "dir"; work: DirWork }
  | { kind: "files"; work: FilesWork }
  | { kind: "rest"; work: FilesWork }
  | { kind: "range"; work: SharedCopy }
  | { kind: "opened"; children: ChildWork[]; finish: DirFinish | undefined };

/** Metadata to apply to a directory once everything inside it is written. */
export interface DirFinish {
  srcFd: number;
  dstFd: number;
  stat: Stat;
  created: boolean;
  /** For messages: what its SOURCE's attributes are read from. */
  srcPath: Uint8Array;
  dstPath: Uint8Array;
  /** Copying stopped early (interrupted): keep the mode, not the times. */
  incomplete: boolean;
  /** Its entries were copied (not a mount point -x leaves empty): --delete may prune it. */
  descended: boolean;
  /** -x: its destination is on another filesystem than the operand's copy (mounted inside DEST): --delete leaves it, as rsync -x does. */
  otherFilesystem?: boolean;
  /** Its destination below the job's destination parent; what follows the first component is its path below SOURCE, for the filter. */
  dstRel: Uint8Array;
  /** The per-directory filter rules that hold in it. */
  merged?: FilterRule[];
  /** --delete: the names its listing gave (ListedNames), a part for each task that read some; kept from its pruning. */
  listed?: Uint8Array[];
  /** It was there read-only to its owner, and made writable to be filled: the mode it had. */
  unlockedMode?: number;
  /** What its parent's default ACL lets it have, for the mode it was made with (undefined: the umask decides). */
  inheritedPermissions?: number;
  /** Filled under a temporary name: renamed into place first. */
  staging?: Staging;
}

/**
 * A top-level job, with its destination's parent directory opened by the main
 * thread (or -errno), or undefined for the worker to open it (a backend
 * whose handles are not shared between threads).
 */
export interface JobWork {
  /** Its paths as text are for the main thread; a worker uses `paths`. */
  job: CopyJob;
  dstParentFd: number | undefined;
  /**
   * The job's paths as bytes, made on the main thread: a string holding a
   * byte that is not UTF-8 (an escaped one, see fromBytes) does not survive
   * the trip to a worker intact.
   */
  paths: JobPaths;
}

export interface JobPaths {
  src: Uint8Array;
  dst: Uint8Array;
  /** dirname and basename of dst. */
  dstDir: Uint8Array;
  dstBase: Uint8Array;
  /** --parents: the target directory, which the directories made for the copy are in. */
  parentsOf?: Uint8Array;
}

export type Task =
  | { kind: "job"; id: number; work: JobWork }
  | { kind: "dir"; id: number; work: DirWork }
  | { kind: "files"; id: number; work: FilesWork }
  | { kind: "rest"; id: number; work: FilesWork }
  | { kind: "range"; id: number; work: SharedCopy }
  | { kind: "finish"; id: number; finish: DirFinish };

export interface WorkerInit {
  type: "init";
  index: number;
  shimPath?: string;
  fallbackReason?: string;
  options: EngineOptions;
  /** Int32 flag, non-zero once the run must stop (signal, --fail-fast). */
  cancel: SharedArrayBuffer;
  /** The hard-link table, when links are preserved. */
  links?: SharedArrayBuffer;
  /** DEST's linked files left or written into, by the SOURCE file each stands for (--skip-unchanged, --checksum with links preserved). */
  destinations?: SharedArrayBuffer;
  /** Int32: workers waiting for work while nothing is queued; a worker with a big directory shares it then. */
  hungry: SharedArrayBuffer;
  /** Int32: workers the pool has up, which share one budget of garbage between collections (src/collector.ts). */
  workers: SharedArrayBuffer;
  /** Int32: entries --delete removed so far in the run, never more than --max-delete. */
  deletions?: SharedArrayBuffer;
  /** --keep-directory-symlink: the directories kept symlinks led into (EnteredDirectories). */
  entered?: SharedArrayBuffer;
  /** Live counters (LiveCounters), when progress is shown: this worker's slot is its index. */
  live?: SharedArrayBuffer;
  /** Where each worker's temporary files are being written (temp-names.ts, inFlightTable). */
  temps?: SharedArrayBuffer;
}

export type ToWorker = WorkerInit | { type: "task"; task: Task };

export type FromWorker =
  | { type: "ready"; backend: string }
  /** Work handed out before the task is done (a large directory, shared). */
  | { type: "spawn"; id: number; children: ChildWork[] }
  /** Messages of a task still running (a large directory's -v listing), sent on so they are not all held. */
  | { type: "output"; output: Output }
  | { type: "done"; id: number; worker: number; children: ChildWork[]; finish: DirFinish | undefined; listed?: Uint8Array; output: Output; counts: Counts }
  | { type: "crash"; message: string };
