// Turns SOURCE... DEST into one job per source with GNU cp's rules, and
// refuses what cp refuses before anything is written. Runs on the main
// thread; it only looks (stat), it never copies.

import { lstatSync, realpathSync, statSync, type BigIntStats } from "node:fs";
import { UsageError } from "./args.ts";
import { ask } from "./ask.ts";
// Not node:path: Bun's basename and dirname would replace the escaped bytes of
// a name that is not UTF-8 (see fromBytes) with U+FFFD.
import { fromBytes, splitPath, toBytes } from "./engine/paths.ts";
import { quote } from "./quote.ts";
import type { CopyOptions } from "./options.ts";

export interface CopyJob {
  /** The source as given, trailing slashes and all. */
  src: string;
  /** Where it goes. */
  dst: string;
  /** Follow src if it is a symlink (cp's -L, -H, or no -r). */
  followSrc: boolean;
  isDirectory: boolean;
  /** Size of the source when planned (0 for a directory): a large file is worth more than one worker. */
  size: number;
  /** A fifo or a device whose contents are copied (no -r, or --copy-contents): its read may wait, so never on the main thread. */
  stream?: boolean;
  /** DEST is a device or a fifo, written into as cp does; its writes may wait, so never on the main thread. */
  into?: boolean;
}

/** One directory --parents makes if it is missing: SOURCE's directory `src`, made as `dst`. */
export interface ParentDir {
  src: string;
  dst: string;
  /** Its name in the directory before it (a component of SOURCE, maybe "." or ".."). */
  name: string;
}

/** --parents: the directories a SOURCE's copy goes below, made before it is copied (also when it is then refused, as cp). */
export interface Parents {
  /** The target directory they are made in. */
  top: string;
  /** SOURCE, for a message. */
  src: string;
  /** A directory of SOURCE is missing: SOURCE is not copied (nor said to be missing while one of those is to be made). */
  missing: boolean;
  dirs: ParentDir[];
  /** The copy that needs them, if planned: it is dropped when they cannot be made. */
  job: CopyJob | undefined;
}

export interface Plan {
  jobs: CopyJob[];
  parents: Parents[];
  /** Refusals, as complete messages; each makes the exit status 1. */
  errors: string[];
  warnings: string[];
}

type Stats = BigIntStats;

/** A path as the bytes it names (operands may hold bytes that are not UTF-8; see fromBytes). */
const exact = (path: string) => Buffer.from(toBytes(path));

function statOrCode(path: string, follow: boolean): Stats | string {
  // What the kernel says of an empty path (Bun would throw a code of its own).
  if (path === "") return "ENOENT";
  try {
    return follow ? statSync(exact(path), { bigint: true }) : lstatSync(exact(path), { bigint: true });
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "EIO";
  }
}

const MESSAGES: Record<string, string> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EACCES: "Permission denied",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EIO: "Input/output error",
};

function reason(code: string): string {
  return MESSAGES[code] ?? code;
}

const sameInode = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/** The name a source gets inside a target directory: "a/b/" gives "b". */
function sourceBaseName(src: string): string {
  const trimmed = src.replace(/\/+$/, "");
  return trimmed === "" ? "/" : splitPath(trimmed).base;
}

/** True when the directory srcStat is dst or one of the directories above it. */
function isInside(dst: string, srcStat: Stats): boolean {
  // The nearest directory above dst that exists (--parents makes the rest).
  let dir = "";
  for (let above = splitPath(dst).dir; ;) {
    try {
      dir = fromBytes(realpathSync(exact(above), { encoding: "buffer" }));
      break;
    } catch {
      const up = splitPath(above).dir;
      if (up === above) return false;
      above = up;
    }
  }
  const own = statOrCode(dst, true);
  if (typeof own !== "string" && sameInode(own, srcStat)) return true;
  for (;;) {
    const st = statOrCode(dir, true);
    if (typeof st !== "string" && sameInode(st, srcStat)) return true;
    const parent = splitPath(dir).dir;
    if (parent === dir) return false;
    dir = parent;
  }
}

/** True when both paths name one directory entry: the same name in the same directory. */
function sameEntry(a: string, b: string): boolean {
  const x = splitPath(a);
  const y = splitPath(b);
  if (x.base !== y.base) return false;
  const dirA = statOrCode(x.dir, true);
  const dirB = statOrCode(y.dir, true);
  return typeof dirA !== "string" && typeof dirB !== "string" && sameInode(dirA, dirB);
}

/**
 * cp's same-file rule when SOURCE itself is not followed (-P, -d, -r), as
 * coreutils' same_file_ok has it: a symlink and the file it names are the
 * same file, and so is one entry twice; two symlinks to one file are not (the
 * link is copied), and two names of one symlink inode leave nothing to do.
 * A file is written through a symlink DEST, so DEST is followed unless
 * SOURCE is a symlink too.
 */
function sameUnfollowed(job: CopyJob, srcStat: Stats): "same" | "nothing" | "different" {
  const srcIsLink = srcStat.isSymbolicLink();
  const dstEntry = statOrCode(job.dst, !srcIsLink);
  if (typeof dstEntry === "string") return "different";
  if (srcIsLink && dstEntry.isSymbolicLink()) {
    if (sameEntry(job.src, job.dst)) return "same";
    return sameInode(srcStat, dstEntry) ? "nothing" : "different";
  }
  const srcTarget = srcIsLink ? statOrCode(job.src, true) : srcStat;
  if (typeof srcTarget === "string") return "different";
  return sameInode(srcTarget, dstEntry) ? "same" : "different";
}

/**
 * With --remove-destination or -s, cp's same_file_ok lets DEST go when it is
 * a symlink, and with --remove-destination (`otherNames`) also when it is
 * another name of SOURCE's inode: it is removed, not written through, so
 * SOURCE survives.
 */
function removable(job: CopyJob, srcStat: Stats, otherNames: boolean): boolean {
  const dstLink = statOrCode(job.dst, false);
  if (typeof dstLink === "string") return false;
  // Two symlinks, not followed: same_file_ok's rules for them come first.
  if (!job.followSrc && srcStat.isSymbolicLink() && dstLink.isSymbolicLink()) return false;
  if (dstLink.isSymbolicLink()) return true;
  const srcLink = statOrCode(job.src, false);
  return otherNames && typeof srcLink !== "string" && sameInode(srcLink, dstLink) && dstLink.nlink > 1n && !sameEntry(job.src, job.dst);
}

/**
 * -u keeps a DEST at least as new as SOURCE (its mtime, through a symlink
 * when SOURCE is copied as a file, as cp stats it), --update=none any DEST.
 */
function keptByUpdate(job: CopyJob, options: CopyOptions, srcStat: Stats, followed: Stats): boolean {
  if (options.update === "none") return true;
  if (options.update !== "older") return false;
  const asFile = (srcStat.isFile() || job.stream === true) && !options.link && !options.symbolicLink && !options.removeDestination;
  const dst = asFile ? followed : statOrCode(job.dst, false);
  return typeof dst !== "string" && dst.mtimeNs >= srcStat.mtimeNs;
}

function checkJob(job: CopyJob, options: CopyOptions, plan: Plan): boolean {
  const srcStat = statOrCode(job.src, job.followSrc);
  if (typeof srcStat === "string") {
    plan.errors.push(`cannot stat ${quote(job.src)}: ${reason(srcStat)}`);
    return false;
  }
  const srcIsDir = srcStat.isDirectory();
  job.isDirectory = srcIsDir;
  job.size = srcIsDir ? 0 : Number(srcStat.size);
  job.stream = (!options.recursive || options.copyContents) && !srcIsDir && !srcStat.isFile() && !srcStat.isSymbolicLink();
  if (srcIsDir && !options.recursive) {
    plan.errors.push(`-r not specified; omitting directory ${quote(job.src)}`);
    return false;
  }
  // An empty DEST names nothing: it is not "." and not "/" (cp's words).
  if (job.dst === "") {
    plan.errors.push(`cannot create ${srcIsDir ? "directory" : "regular file"} ${quote(job.dst)}: ${reason("ENOENT")}`);
    return false;
  }
  // A directory onto itself is the same file to cp, not one copied into itself; with -l, nothing to do.
  const dstDir = srcIsDir ? statOrCode(job.dst, true) : undefined;
  if (dstDir !== undefined && typeof dstDir !== "string" && dstDir.isDirectory() && sameInode(dstDir, srcStat)) {
    if (!options.link) plan.errors.push(`${quote(job.src)} and ${quote(job.dst)} are the same file`);
    return false;
  }
  if (srcIsDir && isInside(job.dst, srcStat)) {
    plan.errors.push(`cannot copy a directory, ${quote(job.src)}, into itself, ${quote(job.dst)}`);
    return false;
  }
  const dstStat = statOrCode(job.dst, true);
  if (typeof dstStat === "string") {
    if (dstStat === "ENOENT" && !srcIsDir && job.dst.endsWith("/")) {
      plan.errors.push(`cannot create regular file ${quote(job.dst)}: Not a directory`);
      return false;
    }
    return true;
  }
  // -l: a DEST that is SOURCE's inode already is left as it is (by the workers), as cp does.
  const same = options.link || ((options.removeDestination || options.symbolicLink) && removable(job, srcStat, options.removeDestination))
    ? "different"
    : job.followSrc ? (sameInode(srcStat, dstStat) ? "same" : "different") : sameUnfollowed(job, srcStat);
  if (same === "same") {
    plan.errors.push(`${quote(job.src)} and ${quote(job.dst)} are the same file`);
    return false;
  }
  // Two names of one symlink: the copy would be what is there already.
  if (same === "nothing") return false;
  // -u, --update=none: an existing DEST that is kept is not looked at further (cp checks this before a directory in the way).
  if (!srcIsDir && keptByUpdate(job, options, srcStat, dstStat)) return false;
  // `blit log /dev/stdout`, `blit f /dev/null`: cp writes into a device or a
  // fifo named as DEST (through symlinks too) instead of replacing it.
  // -b: what is there is moved aside and a new file made in its place, as cp does.
  job.into = options.backup === "none" && !options.removeDestination && !options.link && !options.symbolicLink && !srcIsDir && (srcStat.isFile() || job.stream === true) && !dstStat.isFile() && !dstStat.isDirectory();
  if (srcIsDir && !dstStat.isDirectory()) {
    plan.errors.push(`cannot overwrite non-directory ${quote(job.dst)} with directory ${quote(job.src)}`);
    return false;
  }
  if (!srcIsDir && dstStat.isDirectory()) {
    // -i: cp asks before it finds out; no means skipped, quietly.
    if (options.interactive && !ask(`overwrite ${quote(job.dst)}? `)) return false;
    plan.errors.push(`cannot overwrite directory ${quote(job.dst)} with non-directory`);
    return false;
  }
  return true;
}

/** gnulib's strip_trailing_slashes: "a/b//" gives "a/b", "//" gives "/", "" stays "". */
function stripTrailingSlashes(path: string): string {
  const stripped = path.replace(/\/+$/, "");
  return stripped === "" && path !== "" ? "/" : stripped;
}

function followsOnCommandLine(options: CopyOptions): boolean {
  return options.dereference !== "never";
}

/**
 * --parents: SOURCE's whole name goes below the target directory, as cp's
 * file_name_concat joins them ("/etc/hosts" into D is "D/etc/hosts", the
 * slashes inside kept), and its directories are made there first, for every
 * SOURCE named: also one that is then refused, as cp makes them.
 */
function planParents(src: string, target: string, followSrc: boolean, options: CopyOptions, plan: Plan, seenSources: Set<string>, createdBy: Map<string, string>): void {
  const name = src.replace(/\/+$/, "") || (src === "" ? "" : "/");
  const head = target.replace(/\/+$/, "");
  // Joined by one slash, or by the name's own leading one; under the root ("/", "//") the name loses one.
  const root = head === "" && target !== "";
  const appended = root && name.startsWith("/") ? name.slice(1) : name;
  const dst = root ? `${target}${appended}` : `${head}${appended.startsWith("/") ? "" : "/"}${appended}`;
  const at = dst.length - appended.length;
  // Nothing outside DEST: a ".." that climbs above the target is refused
  // (cp walks it, and writes there); one that stays below it is walked.
  let depth = 0;
  for (const part of appended.split("/")) {
    depth += part === ".." ? -1 : part === "" || part === "." ? 0 : 1;
    if (depth < 0) {
      plan.errors.push(`cannot copy ${quote(src)} with --parents: its '..' leads outside ${quote(target)}`);
      seenSources.add(src);
      return;
    }
  }
  const dirs: ParentDir[] = [];
  let missing = false;
  // Each directory of SOURCE's name: "a/b//c/f" gives a, a/b, a/b//c.
  for (const match of appended.matchAll(/[^/]+(?=\/+[^/])/g)) {
    const end = match.index + match[0].length;
    const dir: ParentDir = { src: appended.slice(0, end), dst: dst.slice(0, at + end), name: match[0] };
    dirs.push(dir);
    // A directory of SOURCE that is not there: only cp's "failed to get attributes" is said of it, when it is to be made.
    if (typeof statOrCode(dir.src, true) === "string") missing = true;
  }
  const parents: Parents = { top: target, src, dirs, missing, job: undefined };
  plan.parents.push(parents);
  if (missing) return;
  if (seenSources.has(src)) {
    const st = statOrCode(src, followSrc);
    const isDir = typeof st !== "string" && st.isDirectory();
    if (isDir && !options.recursive) plan.errors.push(`-r not specified; omitting directory ${quote(src)}`);
    else plan.warnings.push(`source ${isDir ? "directory" : "file"} ${quote(src)} specified more than once`);
    return;
  }
  seenSources.add(src);
  if (createdBy.has(dst)) {
    plan.errors.push(`will not overwrite just-created ${quote(dst)} with ${quote(src)}`);
    return;
  }
  const job: CopyJob = { src, dst, followSrc, isDirectory: false, size: 0 };
  if (!checkJob(job, options, plan)) return;
  createdBy.set(dst, src);
  plan.jobs.push(job);
  parents.job = job;
}

export function planCopy(options: CopyOptions, operands: string[]): Plan {
  const plan: Plan = { jobs: [], parents: [], errors: [], warnings: [] };
  let sources: string[];
  let target: string;
  let intoDirectory: boolean;

  if (options.targetDirectory !== undefined) {
    if (operands.length === 0) throw new UsageError("missing file operand");
    target = options.targetDirectory;
    const st = statOrCode(target, true);
    if (typeof st === "string") {
      plan.errors.push(`target directory ${quote(target)}: ${reason(st)}`);
      return plan;
    }
    if (!st.isDirectory()) {
      plan.errors.push(`target directory ${quote(target)}: Not a directory`);
      return plan;
    }
    sources = operands;
    intoDirectory = true;
  } else {
    if (operands.length === 0) throw new UsageError("missing file operand");
    if (operands.length === 1) throw new UsageError(`missing destination file operand after ${quote(operands[0]!)}`);
    target = operands.at(-1)!;
    sources = operands.slice(0, -1);
    if (options.noTargetDirectory) {
      if (operands.length > 2) throw new UsageError(`extra operand ${quote(operands[2]!)}`);
      intoDirectory = false;
    } else {
      const st = statOrCode(target, true);
      intoDirectory = typeof st !== "string" && st.isDirectory();
      if (operands.length > 2 && !intoDirectory) {
        plan.errors.push(`target ${quote(target)}: ${reason(typeof st === "string" ? st : "ENOTDIR")}`);
        return plan;
      }
    }
    if (options.parents && !intoDirectory) throw new UsageError("with --parents, the destination must be a directory");
  }

  const followSrc = followsOnCommandLine(options);
  const seenSources = new Set<string>();
  const createdBy = new Map<string, string>();
  for (const operand of sources) {
    // As cp: only a SOURCE copied into a directory loses its trailing slashes.
    const src = options.stripTrailingSlashes && intoDirectory ? stripTrailingSlashes(operand) : operand;
    if (seenSources.has(src) && intoDirectory) {
      const st = statOrCode(src, followSrc);
      const isDir = typeof st !== "string" && st.isDirectory();
      if (isDir && !options.recursive) plan.errors.push(`-r not specified; omitting directory ${quote(src)}`);
      else plan.warnings.push(`source ${isDir ? "directory" : "file"} ${quote(src)} specified more than once`);
      continue;
    }
    if (options.parents) {
      planParents(src, target, followSrc, options, plan, seenSources, createdBy);
      continue;
    }
    seenSources.add(src);
    // Joined, not normalised: "b/.." stays "b/.." in messages, as with cp.
    // A source named "a/.." goes into the target itself ("D/.", as cp
    // names it), never into "D/..", which is outside the target.
    const base = sourceBaseName(src);
    const dst = intoDirectory ? `${target.replace(/\/+$/, "")}/${base === ".." ? "." : base}` : target;
    const earlier = createdBy.get(dst);
    if (earlier !== undefined) {
      plan.errors.push(`will not overwrite just-created ${quote(dst)} with ${quote(src)}`);
      continue;
    }
    const job: CopyJob = { src, dst, followSrc, isDirectory: false, size: 0 };
    if (!checkJob(job, options, plan)) continue;
    createdBy.set(dst, src);
    plan.jobs.push(job);
  }
  return plan;
}
