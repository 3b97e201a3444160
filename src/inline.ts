// A few plain files, or a small tree, named on the command line are copied
// on the main thread: starting a worker costs more than copying a small file
// or cloning a large one (`blit f g` took 30–36 ms through a worker against
// 14 ms for `blit --version`). What the main thread cannot finish quickly (a
// large file that does not clone, a file with other hard links) it hands
// back, untouched, for the workers: an operand as a job, a file inside a
// directory as work in that directory, whose metadata then waits for it.

import { type Backend, S_IFDIR, S_IFMT } from "../ffi/index.ts";
import { Copier, type DirResult } from "./engine/copier.ts";
import type { LiveCounters } from "./engine/live.ts";
import type { ChildWork, DirFinish, JobWork } from "./engine/messages.ts";
import { joinPath, toBytes } from "./engine/paths.ts";
import { addCounters, addCounts, type Counts, type Output } from "./engine/report.ts";
import type { CopyOptions, EngineOptions } from "./options.ts";
import type { CopyJob } from "./plan.ts";

/** More operands than this go to the workers, whose batched reads overlap cold files. */
const INLINE_MAX_JOBS = 8;
/** Files up to this size are copied on the main thread; larger ones only cloned there. */
const INLINE_MAX_BYTES = 1 << 20;

/**
 * Entries in all below the directory operands copied on the main thread. A
 * worker's start-up costs about 20 ms cold (a directory of one cloned file
 * on XFS: 0.103–0.125 s through a worker, the file itself 0.085–0.091 s on
 * the main thread); a tree this small copies in less, and its cold reads
 * are the read-ahead walks' as they would be for workers.
 */
const INLINE_MAX_ENTRIES = 128;

/**
 * Whether the jobs are few plain files or small trees, worth trying on the
 * main thread. A tree is copied here only where what this thread leaves to
 * the workers is rare and changes no other file's copy: not with --delete,
 * whose pruning of DEST is not bounded by what SOURCE holds; nor --inplace,
 * which would open a fifo in DEST for writing and wait for its reader; nor
 * --copy-contents, whose fifos a worker reads, out of their turn. Not where
 * hard links are kept and a tree holds files of several names (with -L,
 * any file may be another's name), in SOURCE or in a DEST that is there:
 * which name is copied first and which linked to it, and which name a file
 * left in place stands for, are the workers' link tables', and a dry run
 * here could not tell links from copies. (A DEST that gains such a file
 * after the count is still right: this thread hands a file of several
 * names back.)
 */
export function inlineable(b: Backend, options: CopyOptions, jobs: CopyJob[]): boolean {
  if (jobs.length > INLINE_MAX_JOBS || jobs.some((job) => job.stream || job.into)) return false;
  const trees = jobs.filter((job) => job.isDirectory);
  if (trees.length === 0) return true;
  // What it leaves a worker names directories by this thread's handles.
  if (!b.sharedHandles) return false;
  if (options.delete || options.inplace || options.copyContents) return false;
  if (options.preserve.links && options.dereference === "always") return false;
  const sources = trees.map((job) => ({ path: job.src, follow: job.followSrc }));
  if (entriesBelow(b, options, sources, INLINE_MAX_ENTRIES, true) > INLINE_MAX_ENTRIES) return false;
  if (!options.preserve.links) return true;
  // DEST where it is there already (a second run), as it is: not one that is not a plain directory.
  const there: { path: string; follow: boolean }[] = [];
  for (const job of trees) {
    const st = b.stat(b.cwd, toBytes(job.dst), false);
    if (typeof st === "number") continue;
    if ((st.mode & S_IFMT) !== S_IFDIR) return false;
    there.push({ path: job.dst, follow: false });
  }
  return entriesBelow(b, options, there, INLINE_MAX_ENTRIES, false) <= INLINE_MAX_ENTRIES;
}

/**
 * How many entries the trees hold, counted as the copy will find them
 * (symlinks followed with -L, other filesystems not entered with -x), up to
 * a little past `most`, where it stops; past it too where hard links are
 * kept and a file has several names. Something that cannot be listed counts
 * as nothing: the copy says why. Where SOURCE's access times are kept (-a),
 * a directory of it is listed only as leaving its own as they were, for the
 * copy to read and copy after (Backend.openDirNoAtime); one that cannot be
 * counts as past `most`. DEST's (not `source`) are set by the copy.
 */
function entriesBelow(b: Backend, options: CopyOptions, trees: { path: string; follow: boolean }[], most: number, source: boolean): number {
  const follow = source && options.dereference === "always";
  const keepAtimes = source && options.preserve.timestamps;
  let entries = 0;
  // Paths from the working directory, as prescan's: nothing is written, so
  // a directory swapped meanwhile can only make the count wrong.
  const stack = trees.map((tree) => ({ path: toBytes(tree.path), follow: tree.follow }));
  while (stack.length > 0 && entries <= most) {
    const { path, follow: followThis } = stack.pop()!;
    const fd = !keepAtimes ? b.openDir(b.cwd, path, followThis) : b.openDirNoAtime ? b.openDirNoAtime(b.cwd, path, followThis) : -b.errno.EPERM;
    if (fd === -b.errno.EPERM) return most + 1;
    if (fd < 0) continue;
    const dir = b.fstat(fd);
    for (let chunk = b.readDir(fd); typeof chunk !== "number" && chunk.length > 0 && entries <= most; chunk = b.readDir(fd)) {
      entries += chunk.length;
      if (entries > most) break;
      const names = chunk.map((entry) => entry.name);
      b.statMany(fd, names, follow).forEach((st, i) => {
        if (typeof st === "number") return;
        if (options.preserve.links && (st.mode & S_IFMT) !== S_IFDIR && st.nlink > 1) entries = most + 1;
        if ((st.mode & S_IFMT) !== S_IFDIR) return;
        if (options.oneFileSystem && (typeof dir === "number" || st.dev !== dir.dev)) return;
        stack.push({ path: joinPath(path, names[i]!), follow: true });
      });
    }
    b.close(fd);
  }
  return entries;
}

/** What the main thread left for the workers: whole operands, and work below the directories it copied. */
export interface LeftForWorkers {
  jobs: JobWork[];
  children: ChildWork[];
  /** Once cancelled: tasks not run, as the pool counts those it drops (none is left for the workers then). */
  dropped: number;
  /** No worker could start: finishes the directories `children` was to finish, and drops the rest. */
  abandon(): void;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Copies what it can of `work` here, adding what it did to `counts` as it
 * goes, and returns what is left for the workers, in order. `progress` gets
 * each task's messages as it finishes. Between tasks it lets the event loop
 * run, so that a signal is handled (its handler sees `counts`) rather than
 * held until the end; and it stops once `cancel` is set (--fail-fast).
 */
export async function copyInline(
  backend: Backend,
  options: EngineOptions,
  work: JobWork[],
  index: number,
  cancel: Int32Array,
  counts: Counts,
  progress: (output: Output, counts: Counts) => void,
  live?: LiveCounters,
): Promise<LeftForWorkers> {
  const copier = new Copier(backend, options, index, cancel, undefined, undefined, { maxBytes: INLINE_MAX_BYTES });
  if (live) copier.showProgress(live);
  const sayDone = () => {
    const drained = copier.report.drain();
    addCounts(counts, drained.counts);
    progress(drained.output, drained.counts);
  };
  const said = async () => {
    sayDone();
    await turn();
  };
  const left: LeftForWorkers = {
    jobs: [],
    children: [],
    dropped: 0,
    abandon: () => {
      finishStarted(copier, left.children.splice(0));
      sayDone();
    },
  };
  const before = backend.counters();
  for (const job of work) {
    if (Atomics.load(cancel, 0) !== 0) break;
    const result = copier.runInline(job);
    if (!result) left.jobs.push(job);
    await said();
    if (result) left.children.push(...(await runBelow(copier, result, undefined, said)));
  }
  if (Atomics.load(cancel, 0) !== 0) {
    // As the pool, cancelled: what was not started is dropped, and the
    // directories started still get their metadata.
    left.dropped = left.jobs.length + finishStarted(copier, left.children.splice(0));
    left.jobs = [];
    await said();
  }
  const after = backend.counters();
  addCounters(counts.backend, after, 1);
  addCounters(counts.backend, before, -1);
  return left;
}

/**
 * Finishes the directories among `children`, innermost first, each as
 * incomplete (its mode, not its times) where work below it is dropped;
 * returns how many tasks were dropped.
 */
function finishStarted(copier: Copier, children: ChildWork[]): number {
  let dropped = 0;
  for (const child of children) {
    if (child.kind !== "opened") {
      dropped++;
      continue;
    }
    const below = finishStarted(copier, child.children);
    dropped += below;
    if (!child.finish) continue;
    if (below > 0) child.finish.incomplete = true;
    copier.finishDirectory(child.finish);
  }
  return dropped;
}

/**
 * Runs what a directory task left (its subdirectories, the rest of a long
 * listing), depth first as a worker would, then its finish; returns what is
 * left for the workers, as the pool takes it. Files the copier left ("files"
 * work) are the workers' (Copier.runInline); a directory with work left
 * below it goes to the pool "opened", its finish waiting for that work.
 * `owner`: the finish of the nearest directory above, which a "rest" task's
 * listed names (--delete) go to, as the pool's addListed sends them.
 */
async function runBelow(copier: Copier, result: DirResult, owner: DirFinish | undefined, said: () => Promise<void>): Promise<ChildWork[]> {
  const finish = result.finish ?? owner;
  const left: ChildWork[] = [];
  for (const child of result.children) {
    let below: DirResult;
    if (child.kind === "opened") below = { children: child.children, finish: child.finish };
    else if (child.kind === "dir") below = copier.runDir(child.work);
    else if (child.kind === "rest") below = copier.runRest(child.work);
    else {
      left.push(child);
      continue;
    }
    if (below.listed && finish) (finish.listed ??= []).push(below.listed);
    if (child.kind !== "opened") await said();
    left.push(...(await runBelow(copier, below, finish, said)));
  }
  if (!result.finish) return left;
  if (left.length > 0) return [{ kind: "opened", children: left, finish: result.finish }];
  copier.finishDirectory(result.finish);
  await said();
  return [];
}
