// Which trees of a run are read ahead (the backend's ReadAheadCapability):
// each directory operand and its destination where that is there already,
// whose entries the workers stat too, as many as the backend walks at once.

import type { Backend } from "../../ffi/backend.ts";
import { S_IFDIR, S_IFMT } from "../../ffi/backend.ts";
import type { CopyJob } from "../plan.ts";
import { toBytes } from "./paths.ts";

/**
 * Open files below which nothing is read ahead: each walk holds one per
 * level it is down (32 at most), and the workers' batches need theirs.
 */
const FILES_TO_SPARE = 1024;

/**
 * Not with filters: a walk would read the metadata of trees they leave
 * out (a node_modules), which the copy never looks at, while the copy
 * waits on the same disk.
 */
export function readAhead(b: Backend, jobs: CopyJob[], filtered: boolean, fileLimit: number | undefined): void {
  const ahead = b.readAhead;
  if (!ahead || filtered || (fileLimit !== undefined && fileLimit < FILES_TO_SPARE)) return;
  for (const job of jobs) {
    if (!job.isDirectory) continue;
    if (ahead.walk(toBytes(job.src)) < 0) return;
    const there = b.stat(b.cwd, toBytes(job.dst), true);
    if (typeof there !== "number" && (there.mode & S_IFMT) === S_IFDIR && ahead.walk(toBytes(job.dst)) < 0) return;
  }
}
