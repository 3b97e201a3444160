// What a copy was asked to do, independent of how it was spelled.

import type { Reflink } from "../ffi/index.ts";

/** When to follow symlinks found in SOURCE (cp's -P, -L, -H). */
export type Dereference = "never" | "always" | "command-line";

export interface Preserve {
  mode: boolean;
  ownership: boolean;
  timestamps: boolean;
}

export interface CopyOptions {
  recursive: boolean;
  dereference: Dereference;
  preserve: Preserve;
  noClobber: boolean;
  force: boolean;
  reflink: Reflink;
  verbose: boolean;
  quiet: boolean;
  stats: boolean;
  jobs: number;
  targetDirectory: string | undefined;
  noTargetDirectory: boolean;
}

/** What the workers need to know; fixed for a whole run. */
export interface EngineOptions {
  dereference: Dereference;
  preserve: Preserve;
  noClobber: boolean;
  force: boolean;
  reflink: Reflink;
  verbose: boolean;
  /** Process umask, for modes of new files when modes are not preserved. */
  umask: number;
  /** Distinguishes this run's temporary files from any other's. */
  runId: string;
}
