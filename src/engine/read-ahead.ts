// Which trees of a run are read ahead (the backend's ReadAheadCapability),
// and whether their files' data is: each directory operand, and its
// destination where that is there already, whose entries the workers stat
// too, as many as the backend walks at once.

import type { Backend, ReadAheadData, WalkKept, WalkPair } from "../../ffi/backend.ts";
import { S_IFDIR, S_IFMT } from "../../ffi/backend.ts";
import type { CopyOptions } from "../options.ts";
import type { CopyJob } from "../plan.ts";
import { pathSyntax, toBytes } from "./paths.ts";

/**
 * Open files below which nothing is read ahead: each walk holds some
 * (ReadAheadCapability.filesPerWalk), and the workers' batches need theirs.
 */
const FILES_TO_SPARE = 1024;

/**
 * What the walks started: the open files they may hold, and whether any
 * tree was walked with the tree it is copied into, there already and not
 * empty (a second run), keeping its stats for the workers.
 */
export interface Walks {
  openFiles: number;
  keptPairs: boolean;
}

/**
 * Starts the walks. Not with filters: a walk would read the metadata of
 * trees they leave out (a node_modules), which the copy never looks at,
 * while the copy waits on the same disk. `keep`: what the walks of a tree
 * copied into one that is there keep for the workers (ReadAheadCapability.walked).
 */
export function readAhead(b: Backend, jobs: CopyJob[], o: CopyOptions, run: { filtered: boolean; fileLimit: number | undefined; keep: WalkKept }): Walks {
  const ahead = b.readAhead;
  const { filtered, fileLimit, keep } = run;
  if (!ahead || filtered || (fileLimit !== undefined && fileLimit < FILES_TO_SPARE)) return { openFiles: 0, keptPairs: false };
  const paths = pathSyntax(b.pathRules);
  let walks = 0;
  let keptPairs = false;
  // False once the backend runs as many walks as it will; a tree it cannot open is left out.
  const walk = (path: Uint8Array, data: ReadAheadData, kept: WalkKept = "none", pair?: WalkPair): boolean => {
    const r = ahead.walk(path, data, kept, pair);
    if (r === 0) walks++;
    if (r === 0 && pair === "destination" && kept !== "none" && holdsEntries(b, path)) keptPairs = true;
    return r !== -b.errno.EAGAIN;
  };
  for (const job of jobs) {
    if (!job.isDirectory) continue;
    const dst = toBytes(job.dst);
    const there = b.stat(b.cwd, dst, true);
    const merges = typeof there !== "number" && (there.mode & S_IFMT) === S_IFDIR;
    if (!merges) {
      if (!walk(toBytes(job.src), dataRead(b, job, o, paths.split(job.dst).dir))) break;
      continue;
    }
    // Into a tree that is there: the quick check copies what differs in size
    // or mtime, which the pair of walks finds and reads ahead. Otherwise
    // what is copied is not known from the listings: nothing is read.
    const quick = o.skipUnchanged && !o.checksum;
    if (!walk(toBytes(job.src), quick ? dataRead(b, job, o, paths.split(job.dst).dir) : "none", keep, quick ? "source" : undefined)) break;
    if (!walk(dst, "none", keep, quick ? "destination" : undefined)) break;
  }
  return { openFiles: walks * ahead.filesPerWalk, keptPairs };
}

/**
 * What of SOURCE's data a copy into a new DEST reads: all of it, unless it
 * makes links or only attributes, writes nothing, or may clone. A clone
 * is only tried within one filesystem (one device: btrfs's subvolumes,
 * which have devices of their own, clone across, and are read ahead for
 * nothing).
 */
function dataRead(b: Backend, job: CopyJob, o: CopyOptions, dstParent: string): ReadAheadData {
  if (o.dryRun || o.attributesOnly || o.link || o.symbolicLink || o.reflink === "always") return "none";
  if (o.reflink === "never") return "all";
  const src = b.stat(b.cwd, toBytes(job.src), true);
  const parent = b.stat(b.cwd, toBytes(dstParent || "."), true);
  return typeof src !== "number" && typeof parent !== "number" && src.dev === parent.dev ? "unless-cloned" : "all";
}

/** Whether a directory has an entry: one that is there but empty (made for the copy) gets a first copy. */
function holdsEntries(b: Backend, path: Uint8Array): boolean {
  const fd = b.openDir(b.cwd, path, true);
  if (fd < 0) return false;
  const entries = b.readDir(fd);
  b.close(fd);
  return typeof entries !== "number" && entries.length > 0;
}
