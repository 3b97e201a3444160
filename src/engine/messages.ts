// What the pool (main thread) and its workers say to each other.
// Descriptors are plain numbers: workers are threads of one process, so a
// directory one worker opened can be used by any other until it is closed.

import type { Stat } from "../../ffi/index.ts";
import type { EngineOptions } from "../options.ts";
import type { CopyJob } from "../plan.ts";
import type { Counts } from "./counts.ts";

/** A directory to copy: opened by name relative to its parent's descriptors. */
export interface DirWork {
  srcParent: number;
  dstParent: number;
  srcName: Uint8Array;
  dstName: Uint8Array;
  /** Paths for messages only. */
  srcPath: Uint8Array;
  dstPath: Uint8Array;
  /** Identity seen when the parent was listed; a different one means it was swapped. */
  expectDev: number;
  expectIno: bigint;
  /** The parent was created by this run, so nothing exists inside it yet. */
  dstFresh: boolean;
  /** dev:ino of the directories above, source and destination side; kept only when following symlinks (-L). */
  ancestors: string[] | undefined;
}

/** Metadata to apply to a directory once everything inside it is written. */
export interface DirFinish {
  srcFd: number;
  dstFd: number;
  stat: Stat;
  created: boolean;
  dstPath: Uint8Array;
  /** Further descriptors to close afterwards (a top-level job's parent). */
  alsoClose: number[];
}

export type Task =
  | { kind: "job"; id: number; job: CopyJob }
  | { kind: "dir"; id: number; work: DirWork }
  | { kind: "finish"; id: number; finish: DirFinish };

export interface Output {
  /** Lines for stdout (the verbose listing). */
  out: string[];
  /** Error messages, without the "blit: " prefix. */
  errors: string[];
  warnings: string[];
}

export type ToWorker =
  | { type: "init"; index: number; shimPath?: string; fallbackReason?: string; options: EngineOptions }
  | { type: "task"; task: Task };

export type FromWorker =
  | { type: "ready"; backend: string }
  | { type: "done"; id: number; children: DirWork[]; finish: DirFinish | undefined; output: Output; counts: Counts }
  | { type: "crash"; message: string };
