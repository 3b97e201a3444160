// Turns SOURCE... DEST into one job per source with GNU cp's rules, and
// refuses what cp refuses before anything is written. Runs on the main
// thread; it only looks (the backend's stat), it never copies.

import { type Backend, type Stat, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from "../ffi/index.ts";
import { UsageError } from "./args.ts";
import { askWhilePlanning } from "./ask.ts";
// Not node:path: Bun's basename and dirname would replace the escaped bytes of
// a name that is not UTF-8 (see fromBytes) with U+FFFD.
import { fromBytes, pathSyntax, type PathSyntax, toBytes } from "./engine/paths.ts";
import { quote } from "./quote.ts";
import { backupName } from "./engine/backup-name.ts";
import { destEntryFirst, sameFile, type SameFileRules, type SameFileVerdict } from "./engine/same-file.ts";
import { updateKeeps } from "./engine/unchanged.ts";
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
  /** DEST names a file this process has open (/dev/stdout, /proc/self/fd/N): written into, emptied first, as cp writes into it. */
  intoOpenFile?: boolean;
  /** DEST is the backup name `-bfl f f` (or `-bfs f f`) links f under: it is replaced, not backed up itself. */
  noBackup?: boolean;
  /** DEST is the copy's own name as given (-T, or a DEST that is not a directory), not a name made in a target directory. */
  dstNamed?: boolean;
  /** --parents: the target directory the copy goes below, its own directories made in it. */
  parentsOf?: string;
  /**
   * DEST is where an earlier operand's file is copied (`-n a/f b/f D`): as
   * cp, -n and -i decide when this one's turn comes, and one the earlier
   * copy made (justCreated, set once it ran) is not overwritten.
   */
  overwritesEarlier?: boolean;
  justCreated?: boolean;
  /** DEST is the directory an earlier directory operand is copied to: this one is merged into it. */
  mergesInto?: boolean;
  /**
   * A symlink SOURCE copied as one: its access time when first looked at.
   * cp's same-file rule may look through it, which sets that time to now,
   * as reading it does; cp copies the time it saw first, and so does blit.
   */
  linkAtime?: { dev: number; ino: bigint; sec: number; nsec: number };
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

/** What a refusal or warning is about, for --json: the operand, the OS's error number (positive), what was being done. */
interface SaidAbout {
  path?: string;
  errno?: number;
  op?: string;
}

/** A refusal or a warning, as cp says it. */
export interface Said extends SaidAbout {
  warning: boolean;
  text: string;
}

export interface Plan {
  jobs: CopyJob[];
  parents: Parents[];
  /** Refusals, as complete messages; each makes the exit status 1. */
  errors: string[];
  warnings: string[];
  /** Both, in the order they were found (one operand after the other), as cp prints them. */
  said: Said[];
  /** Operands whose DEST -u or --update=none keeps: not copied, and counted as skipped. */
  kept: { job: CopyJob; mode: number }[];
  /**
   * Two jobs write one destination (numbered backups: the first copy is
   * kept as a backup of the second; two directories merged into one; a file
   * and a directory on one name, the second refused as it is copied): the
   * jobs must then run in order, each one whole before the next.
   */
  repeatsDestination?: true;
}

/** What planning looks through: the backend (stat, realpath, messages) and its OS's path rules. */
interface Looking {
  b: Backend;
  paths: PathSyntax;
  /** Wildcard operands that matched nothing (src/wildcards.ts), and why: what their stat says. */
  unmatched: ReadonlyMap<string, number>;
}

/** The module's Looking for this run, set by planCopy (planning is synchronous and runs once). */
let via: Looking;

/** An operand's stat, relative to the current directory, or a negated errno. */
function statOrCode(path: string, follow: boolean): Stat | number {
  // What the kernel says of an empty path, whatever the backend makes of it.
  if (path === "" || runtimesOwn(path)) return -via.b.errno.ENOENT;
  return via.unmatched.get(path) ?? via.b.stat(via.b.cwd, toBytes(path), follow);
}

/**
 * /dev/fd/N or /proc/self/fd/N naming a descriptor the runtime opened for
 * itself (its event loop's, its copy of stderr): not the caller's, which
 * cp, having no such descriptor, finds not there. `blit f /dev/fd/5` run
 * with no fd 5 open wrote over the file stderr appends to.
 */
function runtimesOwn(path: string): boolean {
  // Spelt any way the kernel reads as the same (`//dev/fd/5`, `/dev/fd/./5`).
  const plain = path.replace(/\/(?:\.?\/)+/g, "/");
  const fd = /^\/(?:dev\/fd|proc\/(?:self|thread-self)\/fd)\/(\d+)$/.exec(plain)?.[1];
  return fd !== undefined && Number(fd) > 2 && via.b.inheritedDescriptor?.(Number(fd)) === false;
}

/** cp's words for a negated errno: the OS's own text. */
const reason = (code: number) => via.b.strerror(-code);

const typeIs = (st: Stat, type: number) => (st.mode & S_IFMT) === type;
const isDir = (st: Stat) => typeIs(st, S_IFDIR);
const isFile = (st: Stat) => typeIs(st, S_IFREG);
const isLink = (st: Stat) => typeIs(st, S_IFLNK);
const sameInode = (a: Stat, b: Stat) => a.dev === b.dev && a.ino === b.ino;

/**
 * SOURCE names the file at DEST (`blit a/f D/f D`): cp's same-file check
 * comes before its just-created one, so that is what is said of it (checkJob).
 */
function namesDestination(src: string, dst: string, followSrc: boolean): boolean {
  const srcSt = statOrCode(src, followSrc);
  const dstSt = statOrCode(dst, false);
  return typeof srcSt !== "number" && typeof dstSt !== "number" && sameInode(srcSt, dstSt);
}
/**
 * -l: SOURCE is the file an earlier SOURCE of the same DEST name was linked
 * from (`blit -bl a a D`): the second finds that link there, which cp's
 * same-file check takes for nothing to do, before its just-created one.
 */
function linkedAlready(src: string, earlier: string | undefined, followSrc: boolean, options: CopyOptions): boolean {
  if (!options.link || earlier === undefined) return false;
  const srcSt = statOrCode(src, followSrc);
  const earlierSt = statOrCode(earlier, followSrc);
  return typeof srcSt !== "number" && typeof earlierSt !== "number" && sameInode(srcSt, earlierSt);
}

/** The name a source gets inside a target directory: "a/b/" gives "b". */
function sourceBaseName(src: string): string {
  const trimmed = via.paths.trimTrailing(src);
  return trimmed === "" ? via.paths.separator : via.paths.split(trimmed).base;
}

/** True when the directory srcStat is dst or one of the directories above it. */
function isInside(dst: string, srcStat: Stat): boolean {
  // The nearest directory above dst that exists (--parents makes the rest);
  // for a dst ending in "." or "..", where it is: "a/b/.." is a, not below a/b.
  const last = via.paths.split(via.paths.trimTrailing(dst)).base;
  const whole = last === "." || last === ".." ? via.b.realPath(toBytes(dst)) : -1;
  let dir = typeof whole === "number" ? "" : fromBytes(whole);
  for (let above = via.paths.split(dst).dir; dir === "";) {
    const real = via.b.realPath(toBytes(above));
    if (typeof real !== "number") {
      dir = fromBytes(real);
      break;
    }
    const up = via.paths.split(above).dir;
    if (up === above) return false;
    above = up;
  }
  const own = statOrCode(dst, true);
  if (typeof own !== "number" && sameInode(own, srcStat)) return true;
  for (;;) {
    const st = statOrCode(dir, true);
    if (typeof st !== "number" && sameInode(st, srcStat)) return true;
    const parent = via.paths.split(dir).dir;
    if (parent === dir) return false;
    dir = parent;
  }
}

/** True when both paths name one directory entry: the same name in the same directory. */
function sameEntry(a: string, b: string): boolean {
  const x = via.paths.split(a);
  const y = via.paths.split(b);
  // "f" and "F" are one entry where the directory ignores case (Windows):
  // -b f F would otherwise rename SOURCE itself to the backup name.
  const folding = via.b.caseFolding;
  const oneName = x.base === y.base || (folding !== undefined && folding.key(toBytes(x.base)) === folding.key(toBytes(y.base)));
  if (!oneName) return false;
  const dirA = statOrCode(x.dir, true);
  const dirB = statOrCode(y.dir, true);
  if (typeof dirA === "number" || typeof dirB === "number" || !sameInode(dirA, dirB)) return false;
  if (x.base === y.base) return true;
  const fd = via.b.openDir(via.b.cwd, toBytes(x.dir), true);
  if (fd < 0) return false;
  const ignores = folding!.ignoresCase(fd);
  via.b.close(fd);
  return ignores;
}

/** cp's same-file rule (src/engine/same-file.ts) for an operand and the DEST that exists, both looked at by name. */
function sameFileVerdict(job: CopyJob, options: CopyOptions, srcStat: Stat, dst: Stat): SameFileVerdict {
  const look = (path: string, follow: boolean) => {
    const st = statOrCode(path, follow);
    return typeof st === "number" ? undefined : st;
  };
  return sameFile({
    src: srcStat,
    dst,
    srcEntry: () => look(job.src, false),
    dstEntry: () => look(job.dst, false),
    srcFollowed: () => look(job.src, true),
    dstFollowed: () => look(job.dst, true),
    sameName: () => sameEntry(job.src, job.dst),
  }, sameFileRules(job, options));
}

function sameFileRules(job: CopyJob, options: CopyOptions): SameFileRules {
  return {
    neverFollow: options.dereference === "never",
    link: options.link,
    symbolicLink: options.symbolicLink,
    backup: options.backup !== "none" && job.noBackup !== true,
    removeDestination: options.removeDestination,
  };
}

/** Names of a file this process has open: /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N. */
const OPEN_FILE_NAME = /^\/(?:dev\/(?:stdin|stdout|stderr|fd\/\d+)|proc\/(?:self|thread-self)\/fd\/\d+)$/;

/**
 * -u keeps a DEST at least as new as SOURCE (its mtime as updateKeeps compares it, through a symlink
 * when SOURCE is copied as a file, as cp stats it), --update=none any DEST.
 */
function keptByUpdate(job: CopyJob, options: CopyOptions, srcStat: Stat, followed: Stat): boolean {
  if (options.update === "none" || options.update === "none-fail") return true;
  if (options.update !== "older") return false;
  // A symlink there is followed as cp writes through it; with a backup, cp backs the link itself up, and its own time decides.
  const asFile = (isFile(srcStat) || job.stream === true) && !options.link && !options.symbolicLink && !options.removeDestination && options.backup === "none";
  const dst = asFile ? followed : statOrCode(job.dst, false);
  return typeof dst !== "number" && updateKeeps(srcStat, dst, options.modifyWindow, options.preserve.timestamps);
}

function checkJob(job: CopyJob, options: CopyOptions, plan: Plan): boolean {
  const srcStat = statOrCode(job.src, job.followSrc);
  if (typeof srcStat === "number") {
    refuse(plan, `cannot stat ${quote(job.src)}: ${reason(srcStat)}`, { op: "stat", path: job.src, errno: -srcStat });
    return false;
  }
  const srcIsDir = isDir(srcStat);
  job.isDirectory = srcIsDir;
  job.size = srcIsDir ? 0 : srcStat.size;
  job.stream = (!options.recursive || options.copyContents) && !srcIsDir && !isFile(srcStat) && !isLink(srcStat);
  if (isLink(srcStat)) job.linkAtime = { dev: srcStat.dev, ino: srcStat.ino, sec: srcStat.atimeSec, nsec: srcStat.atimeNsec };
  if (srcIsDir && !options.recursive) {
    refuse(plan, `-r not specified; omitting directory ${quote(job.src)}`, { op: "copy", path: job.src });
    return false;
  }
  // An empty DEST names nothing: it is not "." and not "/" (cp's words).
  if (job.dst === "") {
    const made = srcIsDir ? "directory ''" : options.symbolicLink ? `symbolic link '' to ${quote(job.src)}` : options.link ? `hard link '' to ${quote(job.src)}` : "regular file ''";
    refuse(plan, `cannot create ${made}: ${reason(-via.b.errno.ENOENT)}`, { op: "create", path: job.dst, errno: via.b.errno.ENOENT });
    return false;
  }
  // A directory onto itself is the same file to cp, not one copied into itself; with -l, nothing to do.
  const dstDir = srcIsDir ? statOrCode(job.dst, true) : undefined;
  if (dstDir !== undefined && typeof dstDir !== "number" && isDir(dstDir) && sameInode(dstDir, srcStat)) {
    const keptByName = options.update === "none" || options.update === "none-fail";
    const entry = statOrCode(job.dst, false);
    // A symlink DEST leading to SOURCE: cp looks at DEST's own entry, which is no directory. Its
    // same-file check alone takes the link for SOURCE, where it follows nothing else (not -L, -H)
    // and is made at all (not -n, --update=none, none-fail), and neither -b, -s, -l nor --remove-destination decide first.
    const linkIsSource = options.dereference === "never" && options.backup === "none" && !options.symbolicLink && !options.link && !options.removeDestination && !options.noClobber && !keptByName;
    if (typeof entry !== "number" && isLink(entry) && !linkIsSource) {
      refuse(plan, `cannot overwrite non-directory ${quote(job.dst)} with directory ${quote(job.src)}`, { op: "overwrite", path: job.dst });
      return false;
    }
    // -n, --update=none: what is there stays, without a word, as cp -n leaves it (`cp -rn . .`);
    // --update=none-fail: refused whole, each of its files being there already (cp 9.5 says so of each).
    if (options.update === "none-fail") refuse(plan, `not replacing ${quote(job.dst)}`, { op: "create", path: job.dst });
    else if (!options.link && !options.noClobber && !keptByName) refuse(plan, `${quote(job.src)} and ${quote(job.dst)} are the same file`, { op: "compare", path: job.src });
    return false;
  }
  // A file there is cp's "cannot overwrite non-directory" first (`cp -r dir/ dir/f`).
  const fileThere = dstDir !== undefined && typeof dstDir !== "number" && !isDir(dstDir);
  if (srcIsDir && !fileThere && isInside(job.dst, srcStat)) {
    refuse(plan, `cannot copy a directory, ${quote(job.src)}, into itself, ${quote(job.dst)}`, { op: "copy", path: job.src });
    return false;
  }
  if (runtimesOwn(job.dst)) {
    refuse(plan, `cannot create ${srcIsDir ? "directory" : "regular file"} ${quote(job.dst)}: ${reason(-via.b.errno.ENOENT)}`, { op: "create", path: job.dst, errno: via.b.errno.ENOENT });
    return false;
  }
  const dstStat = statOrCode(job.dst, true);
  // cp looks at DEST's own entry first when it replaces it rather than writing through it.
  const rules = sameFileRules(job, options);
  const entryFirst = destEntryFirst(rules, isFile(srcStat) || job.stream === true);
  const cpDst = entryFirst ? statOrCode(job.dst, false) : dstStat;
  const same = typeof cpDst === "number" ? "copy" : sameFileVerdict(job, options, srcStat, cpDst);
  // --skip-unchanged, --checksum: DEST a hard link of SOURCE is unchanged; the engine tells it from the same name given twice.
  const hardLinked = (options.skipUnchanged || options.checksum) && typeof cpDst !== "number" && sameInode(cpDst, srcStat);
  if (same === "same" && !hardLinked) {
    // -n, --update=none: DEST is there and stays, whatever it is, without a word
    // (cp 9.1's -n); cp asks neither, nor --update=none-fail, whether it is SOURCE.
    if (options.noClobber || options.update === "none") {
      plan.kept.push({ job, mode: srcStat.mode });
      return false;
    }
    if (options.update === "none-fail") {
      refuse(plan, `not replacing ${quote(job.dst)}`, { op: "create", path: job.dst });
      return false;
    }
    refuse(plan, `${quote(job.src)} and ${quote(job.dst)} are the same file`, { op: "compare", path: job.src });
    return false;
  }
  // A hard link that is there already, two names of one symlink: nothing to do
  // (but --update=none-fail refuses what is there, as cp 9.5 asks no more).
  if (same === "done") {
    if (options.update === "none-fail") refuse(plan, `not replacing ${quote(job.dst)}`, { op: "create", path: job.dst });
    return false;
  }
  if (typeof dstStat === "number") {
    const E = via.b.errno;
    if (-dstStat === E.ENOENT && !srcIsDir && via.paths.endsWithSeparator(job.dst)) {
      // As cp: a link's call (symlink, link, mknod) finds no such directory; a file's create, no directory.
      const linked = options.symbolicLink ? "symbolic link" : options.link ? "hard link" : undefined;
      const made = isFile(srcStat) || job.stream === true ? "regular file" : isLink(srcStat) ? "symbolic link" : typeIs(srcStat, S_IFIFO) ? "fifo" : "special file";
      // The directory above it missing (or not one) is what the kernel says first, as it says it to cp.
      const above = statOrCode(via.paths.split(job.dst).dir, true);
      const errno = typeof above === "number" ? -above : !isDir(above) ? E.ENOTDIR : linked || made !== "regular file" ? E.ENOENT : E.ENOTDIR;
      const what = linked ? `${linked} ${quote(job.dst)} to ${quote(job.src)}` : `${made} ${quote(job.dst)}`;
      refuse(plan, `cannot create ${what}: ${reason(-errno)}`, { op: "create", path: job.dst, errno });
      return false;
    }
    // A DEST that cannot be looked through (a symlink into a directory we may
    // not search, a loop) is not replaced blindly: it may name a directory
    // the copy was meant to go into. cp says so too; -f replaces a loop. As
    // cp, only a SOURCE read as a file looks: a symlink copied as one, a
    // fifo or a device made anew replaces what is there.
    const looksThrough = (isFile(srcStat) || job.stream === true) && !options.link && !options.symbolicLink && !options.removeDestination && options.backup === "none";
    // --parents: a directory on the way that cannot be searched is said as its making fails, once, as cp says it.
    const unknown = -dstStat !== E.ENOENT && -dstStat !== E.ENOTDIR && !(-dstStat === E.ELOOP && options.force) && !(-dstStat === E.EACCES && job.parentsOf !== undefined);
    if (looksThrough && unknown) {
      refuse(plan, `cannot stat ${quote(job.dst)}: ${reason(dstStat)}`, { op: "stat", path: job.dst, errno: -dstStat });
      return false;
    }
    return true;
  }
  // -u, --update=none: an existing DEST that is kept is not looked at further (cp checks this before a directory in the way).
  // One name of a hard-linked file is left to the copier under -u: what it keeps still
  // stands for the inode, and the other names given are linked to it, as cp links them.
  const linked = options.update === "older" && options.preserve.links && srcStat.nlink > 1;
  if (!srcIsDir && !linked && keptByUpdate(job, options, srcStat, dstStat)) {
    if (options.update === "none-fail") refuse(plan, `not replacing ${quote(job.dst)}`, { op: "create", path: job.dst });
    else plan.kept.push({ job, mode: srcStat.mode });
    return false;
  }
  // `blit log /dev/stdout`, `blit f /dev/null`: cp writes into a device or a
  // fifo named as DEST (through symlinks too) instead of replacing it.
  // -b: what is there is moved aside and a new file made in its place, as cp does.
  // `blit log /dev/stdout > out.txt`: a regular file reached through one of this process's descriptors is written into too.
  const openFile = isFile(dstStat) && OPEN_FILE_NAME.test(job.dst);
  // A name a file gets in a target directory (`blit f shared/`) is not the
  // user's word for what a symlink there leads to: the symlink is replaced,
  // never written through to a device or fifo outside DEST (cp writes
  // through it). A device or fifo itself there is written into, as cp does.
  const entry = job.dstNamed !== true && !isFile(dstStat) && !isDir(dstStat) ? statOrCode(job.dst, false) : undefined;
  const linkInTarget = entry !== undefined && typeof entry !== "number" && isLink(entry);
  // A fifo or device read like a file where symlinks are not followed (-r, -P:
  // --copy-contents) replaces what is there, as --remove-destination would (cp
  // unlinks it first); not under --attributes-only, where cp copies no data.
  const replacesSpecial = options.dereference === "never" && !isFile(srcStat) && !options.attributesOnly;
  job.into = options.backup === "none" && !options.removeDestination && !replacesSpecial && !options.link && !options.symbolicLink && !srcIsDir && (isFile(srcStat) || job.stream === true) && (!isFile(dstStat) || openFile) && !isDir(dstStat) && !linkInTarget;
  if (job.into && openFile) job.intoOpenFile = true;
  if (srcIsDir && !isDir(dstStat)) {
    refuse(plan, `cannot overwrite non-directory ${quote(job.dst)} with directory ${quote(job.src)}`, { op: "overwrite", path: job.dst });
    return false;
  }
  // Where cp looks at DEST's own entry, a symlink to a directory there is
  // replaced, not the directory refused: a symlink copied as one (`blit -a
  // current /srv/`), --remove-destination, -b.
  const dirThere = entryFirst ? typeof cpDst !== "number" && isDir(cpDst) : isDir(dstStat);
  if (!srcIsDir && dirThere) {
    // -n: what is there stays, whatever it is, without a word (cp 9.1); so
    // does a newer one under -u, for a hard-linked SOURCE left to the copier above too.
    if (options.noClobber || (linked && keptByUpdate(job, options, srcStat, dstStat))) {
      plan.kept.push({ job, mode: srcStat.mode });
      return false;
    }
    // -i: cp asks before it finds out; no means skipped, quietly.
    if (options.interactive && !askWhilePlanning(via.b, `overwrite ${quote(job.dst)}? `)) return false;
    refuse(plan, `cannot overwrite directory ${quote(job.dst)} with non-directory`, { op: "overwrite", path: job.dst });
    return false;
  }
  return true;
}

/** gnulib's strip_trailing_slashes: "a/b//" gives "a/b", "//" gives "/", "" stays "". */
function stripTrailingSlashes(path: string): string {
  const stripped = via.paths.trimTrailing(path);
  return stripped === "" && path !== "" ? via.paths.separator : stripped;
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
function planParents(
  src: string,
  target: string,
  followSrc: boolean,
  options: CopyOptions,
  plan: Plan,
  seenSources: Set<string>,
  created: { by: Map<string, string>; as: Map<string, string>; claim: (dst: string) => string },
): void {
  const { paths } = via;
  const name = paths.trimTrailing(src) || (src === "" ? "" : paths.separator);
  const head = paths.trimTrailing(target);
  // Joined by one slash, or by the name's own leading one; under the root ("/", "//") the name loses one.
  const root = (head === "" && target !== "") || paths.isBareDrive(head);
  // A Windows root (C:\, \\?\C:\, \\server\share\, C:) is not a directory to make below the target: it goes, as a leading "/" goes into one separator.
  const below = name.slice(paths.rootLength(name));
  const appended = root && paths.startsWithSeparator(below) ? below.slice(1) : below;
  const dst = root ? `${target}${appended}` : `${head}${paths.startsWithSeparator(appended) ? "" : paths.separator}${appended}`;
  const from = dst.length - appended.length;
  // Where SOURCE's own directories are: its name up to each of them, root included.
  const lead = name.length - appended.length;
  // Nothing outside DEST: a ".." that climbs above the target is refused
  // (cp walks it, and writes there); one that stays below it is walked.
  let depth = 0;
  for (const part of paths.components(appended)) {
    depth += part === ".." ? -1 : part === "" || part === "." ? 0 : 1;
    if (depth < 0) {
      refuse(plan, `cannot copy ${quote(src)} with --parents: its '..' leads outside ${quote(target)}`, { op: "copy", path: src });
      seenSources.add(src);
      return;
    }
  }
  const dirs: ParentDir[] = [];
  let missing = false;
  // Each directory of SOURCE's name: "a/b//c/f" gives a, a/b, a/b//c.
  for (const { name: part, end } of paths.directoriesOf(appended)) {
    const dir: ParentDir = { src: name.slice(0, lead + end), dst: dst.slice(0, from + end), name: part };
    dirs.push(dir);
    // A directory of SOURCE that is not there (or not a directory): only
    // cp's "failed to get attributes" is said of it, when it is to be made.
    const st = statOrCode(dir.src, true);
    if (typeof st === "number" || !isDir(st)) missing = true;
  }
  const parents: Parents = { top: target, src, dirs, missing, job: undefined };
  plan.parents.push(parents);
  if (missing) return;
  // One entry however it is spelt (`a/b`, `a/./b`, `a/b/`, `a/b/.`, `a/b/c/..`), as without --parents.
  const base = sourceBaseName(src);
  const real = base === "." || base === ".." ? via.b.realPath(toBytes(src)) : undefined;
  const key = sourceKey(real === undefined || typeof real === "number" ? src : fromBytes(real), followSrc);
  if (seenSources.has(key)) {
    const st = statOrCode(src, followSrc);
    const dir = typeof st !== "number" && isDir(st);
    if (dir && !options.recursive) {
      refuse(plan, `-r not specified; omitting directory ${quote(src)}`, { op: "copy", path: src });
      return;
    }
    if (dir || options.backup === "none") {
      warn(plan, `source ${dir ? "directory" : "file"} ${quote(src)} specified more than once`, { path: src });
      return;
    }
  }
  seenSources.add(key);
  // The directories --parents makes take case as the target does (Windows' new directories inherit it).
  const earlierDst = created.as.get(created.claim(dst));
  // A SOURCE not there is said as such (checkJob), as cp says it, not as a clash.
  if (earlierDst !== undefined && typeof statOrCode(src, followSrc) !== "number") {
    if (options.backup !== "numbered" && !namesDestination(src, dst, followSrc) && !linkedAlready(src, created.by.get(created.claim(dst)), followSrc, options)) {
      refuse(plan, earlierDst === dst
        ? `will not overwrite just-created ${quote(dst)} with ${quote(src)}`
        : `will not overwrite just-created ${quote(earlierDst)} with ${quote(src)}: the names differ only by case, which ${quote(via.paths.split(earlierDst).dir)} ignores`, {
        op: "overwrite",
        path: earlierDst,
      });
      return;
    }
    plan.repeatsDestination = true;
  }
  const job: CopyJob = { src, dst, followSrc, isDirectory: false, size: 0, parentsOf: target };
  if (!checkJob(job, options, plan)) return;
  created.by.set(created.claim(dst), src);
  created.as.set(created.claim(dst), dst);
  plan.jobs.push(job);
  parents.job = job;
}

/**
 * `-bf f f`, `-bfl f f`, `-bfs f f`: SOURCE DEST spelled alike, naming a
 * regular file (DEST followed), with -f and a backup asked for. cp then
 * copies or links f under its backup name (that name replaced, not backed
 * up itself), f left as it is. The name, a negated errno when the directory
 * cannot be listed, or undefined for any other command.
 */
function copiedUnderBackupName(src: string, target: string, options: CopyOptions): string | number | undefined {
  if (!options.force || options.backup === "none" || src !== target) return undefined;
  const st = statOrCode(target, true);
  if (typeof st === "number" || !isFile(st)) return undefined;
  const { dir, base } = via.paths.split(target);
  const fd = via.b.openDir(via.b.cwd, toBytes(dir), true);
  if (fd < 0) return fd;
  try {
    const name = backupName(via.b, fd, toBytes(base), options.backup, options.backupSuffix);
    // The directory as spelled in TARGET (a regular file: no trailing slash), then the backup name.
    return `${target.slice(0, target.length - base.length)}${fromBytes(name)}`;
  } finally {
    via.b.close(fd);
  }
}

/** What names one directory entry whatever its spelling (cp's same_name): its file and its last name. */
function sourceKey(src: string, follow: boolean): string {
  const st = statOrCode(src, follow);
  if (typeof st === "number") return `name:${src}`;
  // The directory it is named in, as gnulib's same_name compares it (not
  // following a symlink: AT_SYMLINK_NOFOLLOW): a/x and d/x, two names of one
  // file, are two entries, and so are d/x and l/x where l is a symlink to d.
  const trimmed = via.paths.trimTrailing(src);
  const parent = trimmed === "" ? undefined : statOrCode(via.paths.split(trimmed).dir, false);
  const where = parent === undefined || typeof parent === "number" ? "" : `${parent.dev}:${parent.ino}`;
  return `${st.dev}:${st.ino}:${where}:${sourceBaseName(src)}`;
}

function refuse(plan: Plan, text: string, about?: SaidAbout): void {
  plan.errors.push(text);
  plan.said.push({ warning: false, text, ...about });
}

function warn(plan: Plan, text: string, about?: SaidAbout): void {
  plan.warnings.push(text);
  plan.said.push({ warning: true, text, ...about });
}

/** Plans the copy, looking at the operands through the backend (relative to its current directory). */
export function planCopy(backend: Backend, options: CopyOptions, operands: string[], unmatched: ReadonlyMap<string, number> = new Map()): Plan {
  via = { b: backend, paths: pathSyntax(backend.pathRules), unmatched };
  const plan: Plan = { jobs: [], parents: [], errors: [], warnings: [], said: [], kept: [] };
  // The C runtime reads a '\' before a closing quote as a quote kept: "C:\out\" arrives as C:\out".
  const quoted = backend.pathRules.separators.includes("\\") ? [...operands, options.targetDirectory ?? ""].find((operand) => operand.includes('"')) : undefined;
  if (quoted !== undefined) {
    throw new UsageError(`${quote(quoted)} holds a '"', which no Windows name can: a '\\' just before a closing quote keeps the quote ("C:\\out\\" is read as C:\\out"); leave that '\\' out`);
  }
  let sources: string[];
  let target: string;
  let intoDirectory: boolean;

  if (options.targetDirectory !== undefined) {
    if (operands.length === 0) throw new UsageError("missing file operand");
    target = options.targetDirectory;
    const st = statOrCode(target, true);
    if (typeof st === "number") {
      refuse(plan, `target directory ${quote(target)}: ${reason(st)}`, { op: "stat", path: target, errno: -st });
      return plan;
    }
    if (!isDir(st)) {
      refuse(plan, `target directory ${quote(target)}: ${reason(-backend.errno.ENOTDIR)}`, { op: "stat", path: target, errno: backend.errno.ENOTDIR });
      return plan;
    }
    sources = operands;
    intoDirectory = true;
  } else {
    if (operands.length === 0) throw new UsageError("missing file operand");
    if (operands.length === 1) throw new UsageError(`missing destination file operand after ${quote(operands[0]!)}`);
    target = operands.at(-1)!;
    sources = operands.slice(0, -1);
    if (options.noTargetDirectory && operands.length > 2) throw new UsageError(`extra operand ${quote(operands[2]!)}`);
    const st = statOrCode(target, true);
    if (options.noTargetDirectory) {
      intoDirectory = false;
    } else {
      intoDirectory = typeof st !== "number" && isDir(st);
      if (operands.length > 2 && !intoDirectory) {
        refuse(plan, `target ${quote(target)}: ${reason(typeof st === "number" ? st : -backend.errno.ENOTDIR)}`, { op: "stat", path: target, errno: typeof st === "number" ? -st : backend.errno.ENOTDIR });
        return plan;
      }
    }
    if (options.parents && !intoDirectory) throw new UsageError("with --parents, the destination must be a directory");
    // As cp: DEST with a file as a directory in its path, or spelled with a
    // trailing slash where a file (or a symlink to one, a fifo) or a symlink
    // loop is, cannot be looked at; nothing there is replaced, with -f or
    // -b either: the slash asks for a directory.
    // A SOURCE that cannot be looked at is said first, as cp says it.
    if (!intoDirectory && sources.every((src) => typeof statOrCode(src, followsOnCommandLine(options)) !== "number")) {
      const slashed = via.paths.endsWithSeparator(target);
      const errno = typeof st === "number"
        ? (st === -backend.errno.ENOTDIR || (slashed && st === -backend.errno.ELOOP) ? -st : undefined)
        : slashed && !isDir(st) ? backend.errno.ENOTDIR : undefined;
      if (errno !== undefined) {
        refuse(plan, `cannot stat ${quote(target)}: ${reason(-errno)}`, { op: "stat", path: target, errno });
        return plan;
      }
    }
  }

  const followSrc = followsOnCommandLine(options);
  const seenSources = new Set<string>();
  const createdBy = new Map<string, string>();
  // Each DEST made, by the name the target directory knows it by, as spelt.
  const claim = intoDirectory ? claimsIn(target) : (dst: string) => dst;
  const createdAs = new Map<string, string>();
  // The claims of the DESTs that directories were copied to.
  const madeDirectories = new Set<string>();
  for (const operand of sources) {
    // As cp: only a SOURCE copied into a directory loses its trailing slashes.
    const src = options.stripTrailingSlashes && intoDirectory ? stripTrailingSlashes(operand) : operand;
    if (options.parents) {
      planParents(src, target, followSrc, options, plan, seenSources, { by: createdBy, as: createdAs, claim });
      continue;
    }
    // One directory entry named twice (`a ./a`), as cp tells: a file is then
    // copied once, unless backups are made (the second copy is then refused
    // as overwriting the first, or with numbered backups makes it a backup).
    const key = sourceKey(src, followSrc);
    // Joined, not normalised: "b/.." stays "b/.." in messages, as with cp.
    // A source named "a/.." goes into the target itself ("D/.", as cp
    // names it), never into "D/..", which is outside the target.
    const base = sourceBaseName(src);
    const named = base === ".." ? "." : base;
    // A directory is that too wherever it is named from, where its copy goes to one name (`d/.` and `d/sub/..`: D/.), as cp tells by its destination.
    const st = intoDirectory ? statOrCode(src, followSrc) : undefined;
    const dir = st !== undefined && typeof st !== "number" && isDir(st);
    const dirKey = dir ? `dir:${st.dev}:${st.ino}:${named}` : undefined;
    if ((seenSources.has(key) || (dirKey !== undefined && seenSources.has(dirKey))) && intoDirectory) {
      if (dir && !options.recursive) {
        refuse(plan, `-r not specified; omitting directory ${quote(src)}`, { op: "copy", path: src });
        continue;
      }
      if (dir || options.backup === "none") {
        warn(plan, `source ${dir ? "directory" : "file"} ${quote(src)} specified more than once`, { path: src });
        continue;
      }
    }
    seenSources.add(key);
    if (dirKey !== undefined) seenSources.add(dirKey);
    let dst = intoDirectory ? via.paths.join(target, named) : target;
    // A name the OS cannot make (on Windows, SOURCE's `x.` from a wildcard, given as written), refused as in
    // a tree: joined to the target, it would be taken for another (`x`).
    const refused = intoDirectory ? (via.b.refusesName?.(toBytes(named)) ?? 0) : 0;
    if (refused < 0) {
      refuse(plan, `cannot create ${dir ? "directory" : "regular file"} ${quote(dst)}: ${reason(refused)}`, { op: "create", path: dst, errno: -refused });
      continue;
    }
    const underBackupName = intoDirectory ? undefined : copiedUnderBackupName(src, target, options);
    if (underBackupName !== undefined) {
      // As cp: SOURCE is copied (or linked) to its own backup name, itself left as it is.
      if (typeof underBackupName === "number") {
        refuse(plan, `cannot backup ${quote(target)}: ${reason(underBackupName)}`, { op: "backup", path: target, errno: -underBackupName });
        continue;
      }
      dst = underBackupName;
    }
    const earlier = createdBy.get(claim(dst));
    let overwritesEarlier = false;
    const srcSt = earlier === undefined ? undefined : statOrCode(src, followSrc);
    const srcIsDir = srcSt !== undefined && typeof srcSt !== "number" && isDir(srcSt);
    if (earlier !== undefined && (srcIsDir || madeDirectories.has(claim(dst)))) {
      // As cp: a directory copied where this run made one is merged into it,
      // in turn; a file and a directory on one name are refused when the
      // second is copied, in cp's words for a type that differs.
      if (srcIsDir && madeDirectories.has(claim(dst)) && options.delete) {
        throw new UsageError(`--delete: ${quote(earlier)} and ${quote(src)} are both copied to ${quote(createdAs.get(claim(dst)) ?? dst)}, where each would delete what the other copies; give each its own destination, or leave out --delete`, false);
      }
      // A file after a directory: what is there may be an earlier file's copy
      // (`b/x a/x c/x`, the directory refused over it), not overwritten as cp.
      overwritesEarlier = !srcIsDir && options.backup === "none";
      plan.repeatsDestination = true;
    } else if (earlier !== undefined && typeof srcSt !== "number") {
      // (A SOURCE not there is said as such below, as cp says it, not as a clash.)
      // A symlink this run just made there would be written through (cp's words for it).
      const earlierSt = followSrc ? undefined : statOrCode(earlier, false);
      const throughLink = earlierSt !== undefined && typeof earlierSt !== "number" && isLink(earlierSt);
      const earlierDst = createdAs.get(claim(dst)) ?? dst;
      // -n and -u keep what is there and -i may be told no, before cp's check:
      // the first copy, skipped or declined, may have made nothing to keep.
      // Over a symlink the first made, cp's own check comes first where it
      // dangles (refused here as before); -n, -u and -i take one that leads
      // somewhere (-u by what it leads to) for a name taken. With -b, cp
      // looks at the link itself, dangling or not, and asks -u and -i first.
      const keptOrAsked = options.noClobber || options.update !== "all" || options.interactive;
      const linkDecides = !throughLink || options.backup !== "none" || (keptOrAsked && leadsSomewhereAt(earlier, earlierDst));
      // Not with numbered backups: nothing is lost then (below).
      overwritesEarlier = linkDecides && earlierDst === dst && options.backup !== "numbered" && keptOrAsked;
      // Nothing is lost with numbered backups: cp then backs the first copy up,
      // a symlink too; with another backup, cp's words are for the name just made.
      if (!overwritesEarlier && options.backup !== "numbered" && !namesDestination(src, dst, followSrc) && !linkedAlready(src, earlier, followSrc, options)) {
        // A symlink copied as one over it is cp's "overwrite", not written through.
        refuse(plan, throughLink && options.backup === "none" && !(srcSt !== undefined && isLink(srcSt))
          ? `will not copy ${quote(src)} through just-created symlink ${quote(earlierDst)}`
          : earlierDst === dst
          ? `will not overwrite just-created ${quote(dst)} with ${quote(src)}`
          : `will not overwrite just-created ${quote(earlierDst)} with ${quote(src)}: the names differ only by case, which ${quote(target)} ignores`, {
          op: "overwrite",
          path: earlierDst,
        });
        continue;
      }
      plan.repeatsDestination = true;
    }
    const job: CopyJob = { src, dst, followSrc, isDirectory: false, size: 0, ...(!intoDirectory && { dstNamed: true }), ...(underBackupName !== undefined && { noBackup: true }), ...(srcIsDir && madeDirectories.has(claim(dst)) && { mergesInto: true }), ...(overwritesEarlier && { overwritesEarlier: true }) };
    if (!checkJob(job, options, plan)) continue;
    createdBy.set(claim(dst), src);
    createdAs.set(claim(dst), dst);
    if (job.isDirectory) madeDirectories.add(claim(dst));
    plan.jobs.push(job);
  }
  // Operands whose copies meet: each whole before the next, as cp copies
  // them, so that a later operand's file replaces an earlier one's and one
  // reads what the other has finished writing.
  const meeting = meetingCopies(plan.jobs, options);
  const clash = meeting?.clash;
  if (clash && options.delete) {
    throw new UsageError(`--delete: ${quote(clash.tree.src)} is copied to ${quote(clash.tree.dst)}, and ${quote(clash.other.src)} to ${quote(clash.other.dst)}, in or at the same place, where each would delete what the other copies; give each its own destination, or leave out --delete`, false);
  }
  if (meeting) plan.repeatsDestination = true;
  if (options.delete) refuseDeleteAcrossMounts(plan.jobs);
  return plan;
}

/**
 * --delete where a mount at or in a directory operand's DEST shows part of
 * a SOURCE (a bind mount of SOURCE's `zz` as DEST's `aa`: pruning `aa`
 * would remove SOURCE's own files), a directory a SOURCE is in, or one DEST
 * is in (a way back out of DEST). Bind mounts share their inodes, so the
 * copy's own checks by device and inode do not see where they lead; what
 * the OS lists of its mounts does. Which mount a path is on is asked of
 * the path itself (the list's order is not the order they were stacked,
 * after a move). Refused before anything is copied.
 */
function refuseDeleteAcrossMounts(jobs: CopyJob[]): void {
  const { b } = via;
  const trees = jobs.filter((job) => job.isDirectory);
  const mountOf = b.mountOf?.bind(b);
  const listed = trees.length > 0 && mountOf ? b.mounts?.() : undefined;
  if (!listed || !mountOf) return;
  const mounts = new Map(listed.map((m) => [m.id, { id: m.id, dev: m.dev, point: fromBytes(m.point), root: fromBytes(m.root) }]));
  const within = (path: string, dir: string) => below(path, dir) !== undefined;
  /**
   * The filesystem a path is on and where in it; `path` undefined where its
   * mount is not listed (in a chroot, those outside it are not).
   */
  const regionOf = (path: string, dev: number) => {
    const m = mounts.get(mountOf(toBytes(path)) ?? -1);
    const rel = m && below(path, m.point);
    return m && rel !== undefined ? { dev: m.dev, path: via.paths.join(m.root, rel) } : { dev, path: undefined };
  };
  const dirs = new Map<string, string | undefined>();
  // Each tree's DEST with the mounts seen at or in it (not one a later mount hides): most have none, and nothing more is asked.
  const meeting = trees.flatMap((job) => {
    const dst = resolvedPath(job.dst, true, dirs);
    const seen = dst === undefined ? [] : [...mounts.values()].filter((m) => within(m.point, dst) && mountOf(toBytes(m.point)) === m.id);
    return dst === undefined || seen.length === 0 ? [] : [{ job, dst, seen }];
  });
  if (meeting.length === 0) return;
  const sources = jobs.flatMap((job) => {
    const src = resolvedPath(job.src, true, dirs);
    const st = src === undefined ? undefined : statOrCode(src, true);
    return src === undefined || st === undefined || typeof st === "number" ? [] : [{ job, region: regionOf(src, st.dev) }];
  });
  // In a chroot, where a path's own mount is not listed, which part of a
  // filesystem a mount inside DEST shows cannot be told: one of SOURCE's or
  // DEST's is refused. Not one at DEST itself, which pruning does not leave
  // (a SOURCE inside it is kept by the copy's own checks).
  const unknown = `(this process cannot tell which part: a chroot lists no mount for it)`;
  for (const { job, dst, seen } of meeting) {
    const dstStat = statOrCode(dst, true);
    const dstRegion = typeof dstStat === "number" ? undefined : regionOf(dst, dstStat.dev);
    for (const m of seen) {
      const inside = m.point !== dst;
      for (const { job: source, region } of sources) {
        if (region.dev !== m.dev || (region.path === undefined && !inside)) continue;
        const what = region.path === undefined
          ? `the filesystem ${quote(source.src)} is on ${unknown}`
          : within(m.root, region.path)
          ? `part of ${quote(source.src)}, which ${source === job ? "it copies" : "this run copies"}`
          : inside && within(region.path, m.root)
          ? `a directory ${quote(source.src)} is in`
          : undefined;
        if (what) throw new UsageError(`--delete: ${quote(m.point)} is a mount of ${what}, where deleting would remove what is not the destination's; unmount it, or leave out --delete`, false);
      }
      if (inside && dstRegion !== undefined && dstRegion.dev === m.dev && (dstRegion.path === undefined || within(dstRegion.path, m.root))) {
        const what = dstRegion.path === undefined ? `the filesystem ${quote(job.dst)} is on ${unknown}` : `a directory ${quote(job.dst)} is in`;
        throw new UsageError(`--delete: ${quote(m.point)} is a mount of ${what}, where deleting would remove what is not the destination's; unmount it, or leave out --delete`, false);
      }
    }
  }
}

/**
 * Where a path is: the directories above its last name resolved (and that
 * name too where `follow`), from the nearest that exists. undefined where
 * none does.
 */
function resolvedPath(path: string, follow: boolean, dirs: Map<string, string | undefined>): string | undefined {
  const { b, paths } = via;
  const { dir, base } = paths.split(path);
  if (follow || base === "." || base === "..") {
    const whole = b.realPath(toBytes(path));
    if (typeof whole !== "number") return fromBytes(whole);
  }
  if (base === "." || base === ".." || dir === path) return undefined;
  // Many operands of one directory (a shell's wildcard): it is resolved once.
  if (!dirs.has(dir)) dirs.set(dir, resolvedPath(dir, true, dirs));
  const above = dirs.get(dir);
  return above === undefined ? undefined : paths.join(above, base);
}

/** The copy of a directory operand (other than `job`) whose DEST holds `path` or is it. */
function treeHolding(path: string, trees: Map<string, CopyJob>, job: CopyJob): CopyJob | undefined {
  for (let at = path; ; ) {
    const tree = trees.get(at);
    if (tree !== undefined && tree !== job) return tree;
    const up = via.paths.split(at).dir;
    if (up === at) return undefined;
    at = up;
  }
}

/** `path` below `dir` ("" where it is dir), or undefined where it is not inside it. */
function below(path: string, dir: string): string | undefined {
  if (path === dir) return "";
  const prefix = via.paths.join(dir, "");
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

/**
 * Whether operands' copies meet: one written in or at a directory
 * operand's copy (`x/. d D`; `x y D` with --keep-directory-symlink and D/x
 * a link to y), or read from there (`w D/w/q D`). `clash`: two that meet
 * where the one inside is not the same part of the same SOURCE (as
 * `--parents a a/s` is), so that --delete in each would remove what the
 * other brings.
 */
function meetingCopies(jobs: CopyJob[], options: CopyOptions): { clash?: { tree: CopyJob; other: CopyJob } } | undefined {
  if (jobs.length < 2 || !jobs.some((job) => job.isDirectory)) return undefined;
  const dirs = new Map<string, string | undefined>();
  const dstOf = (job: CopyJob) => {
    const at = resolvedPath(job.dst, false, dirs);
    if (!options.keepDirectorySymlink || !job.isDirectory || at === undefined) return at;
    // A kept symlink is followed only into DEST below the directory it is
    // in (the copy refuses one leading to a directory it is in, or out).
    const followed = resolvedPath(job.dst, true, dirs);
    const inside = followed === undefined ? undefined : below(followed, via.paths.split(at).dir);
    return inside ? followed : at;
  };
  const srcOf = (job: CopyJob) => resolvedPath(job.src, job.followSrc || job.isDirectory, dirs);
  const clashes = (tree: CopyJob, other: CopyJob, treeAt: string, otherAt: string) => {
    const treeSrc = srcOf(tree);
    const otherSrc = srcOf(other);
    const part = treeSrc === undefined || otherSrc === undefined ? undefined : below(otherSrc, treeSrc);
    return part === undefined || part !== below(otherAt, treeAt);
  };
  let meets = false;
  const trees = new Map<string, CopyJob>();
  const placed = new Map<CopyJob, string>();
  for (const job of jobs) {
    const at = dstOf(job);
    if (at === undefined) continue;
    placed.set(job, at);
    if (!job.isDirectory) continue;
    const other = trees.get(at);
    if (other !== undefined) {
      if (clashes(other, job, at, at)) return { clash: { tree: other, other: job } };
      meets = true;
    } else trees.set(at, job);
  }
  for (const [job, at] of placed) {
    const written = treeHolding(at, trees, job);
    if (written !== undefined) {
      // A file or a link of the tree's own name is no clash: where they meet,
      // the second is refused as cp refuses a file and a directory on one name.
      const sameName = !job.isDirectory && trees.get(at) === written;
      if (!sameName && clashes(written, job, placed.get(written)!, at)) return { clash: { tree: written, other: job } };
      meets = true;
    }
    if (meets) continue;
    const src = srcOf(job);
    if (src !== undefined && treeHolding(src, trees, job) !== undefined) meets = true;
  }
  return meets ? {} : undefined;
}

/** Whether the symlink `link`, copied as one to `dst`, would lead to something there. */
function leadsSomewhereAt(link: string, dst: string): boolean {
  const { b } = via;
  const text = b.readLink(b.cwd, toBytes(link));
  if (typeof text === "number") return false;
  const fd = b.openDir(b.cwd, toBytes(via.paths.split(dst).dir), true);
  if (fd < 0) return false;
  try {
    return typeof b.stat(fd, text, true) !== "number";
  } finally {
    b.close(fd);
  }
}

/**
 * The name by which the directory target tells its entries apart: a path
 * as spelt, or, where the directory ignores case (Windows), as the backend
 * folds it (two paths with one key are one entry there).
 */
function claimsIn(target: string): (dst: string) => string {
  const folding = via.b.caseFolding;
  if (folding === undefined) return (dst) => dst;
  const fd = via.b.openDir(via.b.cwd, toBytes(target), true);
  if (fd < 0) return (dst) => dst;
  const ignores = folding.ignoresCase(fd);
  via.b.close(fd);
  return ignores ? (dst) => folding.key(toBytes(dst)) : (dst) => dst;
}
