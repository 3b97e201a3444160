// Copies entries, one worker's share of the run. Every operation is relative
// to an open directory descriptor, with symlinks in SOURCE followed only when
// the options say so and never in DEST. Regular files are written under a
// temporary name and renamed into place complete, with their metadata.

import {
  type Backend,
  type DirEntry,
  type Name,
  type ReadFile,
  type Stat,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
} from "../../ffi/index.ts";
import type { EngineOptions, FilterRule, Preserve } from "../options.ts";
import { quote, quoteIfNeeded } from "../quote.ts";
import type { LinkTable, LinkTarget } from "./links.ts";
import type { LiveCounters } from "./live.ts";
import type { ChildWork, DirFinish, DirId, DirWork, FilesWork, JobWork, Staging } from "./messages.ts";
import { type CopyOutcome, type CopyRequest, DataCopier, writeFully } from "./copy-data.ts";
import { withoutCaseCollisions } from "./case-names.ts";
import { categoryOf, type Created, holdsModeBits, MetadataWriter, type Target, type Xattrs } from "./metadata.ts";
import { ask } from "../ask.ts";
import { ExitCode } from "../exit-codes.ts";
import type { EnteredDirectories } from "./entered-dirs.ts";
import { backupName, linkAsBackup, renameToBackup } from "./backup-name.ts";
import { destEntryFirst, sameFile, type SameFileVerdict } from "./same-file.ts";
import { joinPath, pathSyntax } from "./paths.ts";
import { openDestinationDir } from "./destination-dir.ts";
import { isDevice, type Item, type ItemKind, kindOf, linkedKind, type Notice, Reporter, type SkipReason, VANISHED } from "./report.ts";
import type { SharedCopy } from "./shared-ranges.ts";
import { type Comparison, ContentComparer } from "./compare.ts";
import { isLeftover, removeLeftover, TEMP_PREFIX, TempNames } from "./temp-names.ts";
import { Filter, parentDirectories } from "./filter.ts";
import { ListedNames, Pruner } from "./delete.ts";
import { attributesDiffer, countsUnchangedFromStats, dirKeptBits, ownerGiven, type OwnerRights, ownerRights, quickCheck, sameTimes, updateKeeps, xattrChanges } from "./unchanged.ts";

/** BLIT_CRASH_AT: a SOURCE directory whose copy throws, as a bug would (the tests' way to a worker's crash). */
const CRASH_AT = process.env.BLIT_CRASH_AT;

/** Where an entry is and where it goes. */
interface Place {
  srcDir: number;
  srcName: Name;
  dstDir: number;
  dstName: Name;
  /** For messages. */
  srcPath: Uint8Array;
  dstPath: Uint8Array;
  /** The destination as a path below rootFd, for hard links to it. */
  rootFd: number;
  dstRel: Uint8Array;
  /** Follow the entry itself if it is a symlink (-L, or -H on the command line). */
  follow: boolean;
  /** Nothing can exist at the destination: its directory was just created. */
  dstFresh: boolean;
  /** The destination directory's device, and the group new entries in it get. */
  dstDev: number;
  newGid: number;
  /** The permission bits the destination directory's default ACL lets a new entry have (undefined: the umask decides). */
  inheritedPermissions?: number;
  /** The destination directory is append-only (Backend.appendOnly): nothing can be renamed into it. */
  appendOnly?: boolean;
  /** The rules per-directory files gave its directory (--delete makes way for it by them). */
  merged?: FilterRule[];
  /** An operand directory merged into the one an earlier operand was copied to: that one made it, listed and counted it. */
  madeByRun?: boolean;
  /** --keep-directory-symlink: the directory a kept symlink must lead inside; undefined for an operand's own copy. */
  within?: DirId;
  /** --keep-directory-symlink, --parents: the target directory an operand's own copy must lead inside, not the last directory made for it. */
  parentsOf?: Uint8Array;
  /** An operand copied to DEST as named (-T, or DEST not a directory), not to a name made in a target directory. */
  dstNamed?: boolean;
  /** An operand whose DEST an earlier operand's copy made this run (-n, -i decided at the run): not overwritten. */
  justCreated?: boolean;
}

/** An entry to copy, with what it was when listed. */
interface Entry extends Place {
  stat: Stat;
  /** What its destination's own entry was (lstat), when its directory's chunk was looked at in one batch. */
  dstStat?: Stat | number;
  /** --skip-unchanged: the sizes of both sides' xattr name lists, when found in one batch (0: none, so none are read). */
  xattrListSizes?: { src: number; dst: number };
  /** What was under its name in DEST, when the copy replaces it (--itemize says what differed). */
  was?: Stat;
  /**
   * The target of the symlink made for it, or the name in DEST of the copy
   * its hard link was made to (-l: its source), for --itemize and --json.
   */
  linkTarget?: Uint8Array;
  /** It replaced a symlink that pointed elsewhere (--itemize's `c`, as rsync's). */
  targetChanged?: boolean;
  /** The file there held SOURCE's data, and is replaced only to part it from another SOURCE file's name (--checksum tells no `c`). */
  sameData?: boolean;
  /** A later name of a hard-link group, found linked to the first copy already: rsync -ii's `hf`. */
  linkedAlready?: boolean;
  /**
   * --itemize: rsync's `a` and `x` for the ACLs and xattrs of the entry
   * there that differed from SOURCE's: for one replaced, and for a file
   * --attributes-only writes into (keptData), which keeps the xattrs
   * SOURCE lacks.
   */
  xattrsChanged?: { replaced: string; keptData: string };
  /**
   * Left where it is (-u, unchanged) and waiting to be linked to the first
   * copy of its inode: what keeps it when it cannot be linked, rather than
   * a copy over it.
   */
  keep?: () => void;
  /** -s with links kept: a name taken that only a link of the first name's symlink may replace, refused if there is none. */
  refusedUnlessLinked?: boolean;
  /** --remove-destination found something under its name: -v says "removed" before listing it, as cp. */
  removes?: boolean;
  /** -f replaces a file it may not write: -v says "removed" after listing it, as cp (which tried to open it first). */
  removesAfter?: boolean;
  /** -b: what is under its name is to be kept under its backup name just before the copy takes its place. */
  backs?: boolean;
  /** -b: where what was there went, for -v. */
  backupPath?: Uint8Array;
  /** -b: the name in dstDir that what was there was kept under, until the copy is in its place. */
  backupName?: Name;
  /** -b: that name is a hard link to what is still under its own name (linkAsBackup). */
  backupLinked?: boolean;
  /** Named on the command line as DEST (or DEST/SOURCE), not found inside a tree. */
  operand?: boolean;
  /** `-bfl f f`, `-bfs f f`: DEST is f's backup name, replaced without a backup of its own. */
  noBackup?: boolean;
  /** --inplace: DEST is a symlink, written through as cp does (to its file, or POSIXLY_CORRECT's new one). */
  throughLink?: boolean;
  /** --inplace: what is under the name goes before the file is made (a symlink inside the tree, a loop, a file -f may not write). */
  removeFirst?: boolean;
  /** The first name of a hard-link group copied: the file made tells its identity (copyIdentity), before another run can replace it under its name. */
  firstOfGroup?: boolean;
  /** A first name's copy, as fstat saw it before its close: the inode its group's later names are linked to. */
  copyIdentity?: { dev: number; ino: bigint };
  /** --attributes-only: the file there (through a symlink named as DEST, the file it leads to), whose data stays. */
  keptData?: Stat;
}

/** How a file's bytes were copied, for --debug; `batched`: read whole with others (copy_file_range not tried). */
type CopiedData = Pick<Extract<CopyOutcome, { ok: true }>, "method" | "size" | "holes" | "kernelCopyRefused"> & { batched?: boolean };

/** What of SOURCE's attributes differs on an entry left in place, and what sets them. */
interface AttributeChanges {
  differ: ReturnType<typeof attributesDiffer>;
  xattrs: ReturnType<typeof xattrChanges>;
  /** rsync's letters for --itemize. */
  letters: string;
  mode: number | undefined;
  /** The entry as it is, so that apply makes no call that would change nothing. */
  asThere: Created | undefined;
}

export interface DirResult {
  children: ChildWork[];
  finish: DirFinish | undefined;
  /** --delete: the names a "rest" task read on from its directory's listing (ListedNames), for that directory's finish. */
  listed?: Uint8Array;
}

const NONE: DirResult = { children: [], finish: undefined };
/** followDirectorySymlink's answer for a symlink that leads out of the destination (not an errno). */
const OUTSIDE = -1_000_000;
const DOT_DOT = new Uint8Array([0x2e, 0x2e]);
/** followDirectorySymlink's answer for a symlink that leads to the directory it is in, or one above it. */
const ABOVE = -1_000_001;
/** renameWhereNothingWas's answer once a backup it needed failed, and was said (not an errno). */
const RACE_BACKUP_FAILED = -1_000_002;
/** A destination that could not be looked at: no symlink leads inside it. */
const NOWHERE: DirId = { dev: -1, ino: -1n };
/** How long a write into a fifo waits for a reader before looking at the cancel flag again. */
const FIFO_WAIT_MS = 100;
/**
 * Regular files up to this size are read whole, many at a time, where that is
 * safe (and --buffer-size still bounds each batch). On the bench's mixed tree
 * with cold caches, 1 MiB beat 64 KiB (medians of 3: 5.0 s vs 5.7 s): files
 * of a few hundred KiB are the ones whose reads most need to overlap.
 */
const SMALL_FILE = 1 << 20;
/** What is read of a per-directory filter file (a .gitignore): rules, not data. */
const PER_DIRECTORY_MAX = 1 << 20;
/**
 * Subdirectories a listing holds before it stops: they go to the pool with
 * the rest of the listing queued behind them, so a directory of 100,000
 * subdirectories is copied depth-first like a deep tree instead of being
 * held whole: 387–496 MiB peak for 1,000,000 files in 10 each, 84–93 MiB
 * with this.
 */
const CHILDREN_HELD = 256;
/**
 * Levels of subdirectories a task goes down into itself (see descendHere)
 * before it leaves the deeper ones to the pool: a bound on its call stack.
 */
const DEPTH_IN_TASK = 32;
const S_ISGID = 0o2000;
/** Attempts at linking to a first copy that other runs keep replacing. */
const LINK_TRIES = 4;
const SLASH = 0x2f;
const typeOf = (mode: number) => mode & S_IFMT;
const DOT = new Uint8Array([0x2e]);
const ENCODER = new TextEncoder();
/** The kernel's file capabilities, which a chown drops. */
const CAPABILITY_XATTR = ENCODER.encode("security.capability");
/** linkTo's answer when -b could not move what was there aside (and said so). */
const BACKUP_FAILED = 1;
/** linkTo's answer when the name is a link to the first copy already (a second run left both). */
const LINKED_ALREADY = 2;
/** The first copy's name holds another file now (a later merged operand's, another run's): copied anew instead. */
const FIRST_REPLACED = 3;

/**
 * rsync's letters for an entry written over another (`was`): only what the
 * options keep and this user can give, as rsync tells only what it sets
 * (attributesDiffer's rules: as another user than root, no `o`, a `g` only
 * for a group it is in, and the mode without the set-id bits a copy whose
 * owner cannot be given loses); without timestamps, `T`, as the copy takes
 * the time it was made.
 */
function replacedLetters(src: Stat, was: Stat, size: number | undefined, preserve: Preserve, modifyWindow: number, rights: OwnerRights, valueChanged = false): string {
  let letters = valueChanged ? "c" : "";
  if (typeOf(src.mode) === S_IFREG && (size ?? src.size) !== was.size) letters += "s";
  if (!preserve.timestamps) letters += "T";
  else if (!sameTimes(src, was, modifyWindow)) letters += "t";
  const mode = !preserve.ownership || ownerGiven(rights, src) ? src.mode : src.mode & (typeOf(src.mode) === S_IFREG ? ~0o7000 : ~0o6000);
  if (preserve.mode && (mode & 0o7777) !== (was.mode & 0o7777)) letters += "p";
  if (preserve.ownership && rights.anyOwner && src.uid !== was.uid) letters += "o";
  if (preserve.ownership && (rights.anyOwner || rights.groups.has(src.gid)) && src.gid !== was.gid) letters += "g";
  return letters;
}

const otherDevice = (a: Stat, b: Stat) => a.rdevMajor !== b.rdevMajor || a.rdevMinor !== b.rdevMinor;

/** rsync's letters for what attributesDiffer found on an entry left in place; the OS's attribute word is told as its mode. */
function alignedLetters(src: Stat, there: Stat, differ: ReturnType<typeof attributesDiffer>, hasMode: boolean): string {
  return (differ.times ? "t" : "") + ((differ.mode && hasMode) || differ.word ? "p" : "") +
    (differ.uid ? "o" : "") + (differ.gid ? "g" : "");
}

/** Whether attributeChanges found anything to set or remove. */
function anyChange(differ: ReturnType<typeof attributesDiffer>, hasMode: boolean, xattrs: ReturnType<typeof xattrChanges>): boolean {
  return differ.owner || (differ.mode && hasMode) || differ.times || differ.word || xattrs.set.length > 0 || xattrs.remove.length > 0;
}

/**
 * rsync's letters for what attributeChanges found: alignedLetters', then
 * `a` for ACLs and `x` for other xattrs set or removed. A non-directory
 * whose access ACL changes has its rwx bits told in the `a` alone, as rsync
 * sets the ACL (and those bits with it) before it itemizes such an entry.
 */
function changeLetters(src: Stat, there: Stat, differ: ReturnType<typeof attributesDiffer>, hasMode: boolean, xattrs: ReturnType<typeof xattrChanges>): string {
  const names = [...xattrs.set.map(([name]) => name), ...xattrs.remove];
  const acls = names.some((name) => categoryOf(name) === "mode");
  const others = names.some((name) => categoryOf(name) !== "mode");
  const bitsWithAcl = typeOf(there.mode) !== S_IFDIR && names.some(holdsModeBits) && ((src.mode ^ there.mode) & 0o7000) === 0;
  return alignedLetters(src, there, bitsWithAcl ? { ...differ, mode: false } : differ, hasMode) + (acls ? "a" : "") + (others ? "x" : "");
}

function sameDir(st: DirId, other: DirId): boolean {
  return st.dev === other.dev && st.ino === other.ino;
}

/** A destination's path below its SOURCE: dstRel less its first component, the copy's own name. */
function belowSource(dstRel: Uint8Array): Uint8Array {
  const slash = dstRel.indexOf(SLASH);
  return slash < 0 ? new Uint8Array(0) : dstRel.slice(slash + 1);
}

/**
 * The path of an entry's backup, for messages: DEST's path with what the
 * backup name adds to its name, or, where the name was shortened to fit
 * (NAME~ for a name too long for .~N~), with that name in place of its own.
 */
function backupPathOf(e: Place, backup: Name): Uint8Array {
  const extendsName = backup.length >= e.dstName.length && e.dstName.every((byte, i) => backup[i] === byte);
  if (extendsName) return concat(e.dstPath, backup.subarray(e.dstName.length));
  return concat(e.dstPath.subarray(0, e.dstPath.length - e.dstName.length), backup);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** gnulib's strmode without the type letter, as cp's questions show it: "rw-r--r--". */
function modeString(mode: number): string {
  const bit = (m: number, c: string) => (mode & m ? c : "-");
  const special = (x: number, s: number, lower: string, upper: string) => (mode & s ? (mode & x ? lower : upper) : bit(x, "x"));
  return bit(0o400, "r") + bit(0o200, "w") + special(0o100, 0o4000, "s", "S") +
    bit(0o40, "r") + bit(0o20, "w") + special(0o10, 0o2000, "s", "S") +
    bit(0o4, "r") + bit(0o2, "w") + special(0o1, 0o1000, "t", "T");
}

/** A chunk's names still to be decided (Copier.leftByWalks), and what was learnt of them on the way. */
interface ChunkLeft {
  names: Name[];
  listed: Stat[] | undefined;
  /** DEST's entry under each name, where statted already. */
  there?: (Stat | number)[];
  /** The size of each one's xattr list, where read already. */
  thereXattrSizes?: number[];
  /** Only subdirectories are left, by the walk's stats: DEST's entries need no stat here. */
  directoriesOnly?: boolean;
}

/**
 * How long ago DEST's walk may have listed a directory for a second run to
 * take its stats instead of statting DEST's entries again: moments, so that
 * a file changed in DEST while the run goes by is seen as rsync's generator,
 * which looks at each file when it gets to it, sees it. A cold second run
 * of the Linux tree takes its directories' from the walk within this.
 */
const DEST_WALK_MAX_AGE_MS = 500;

/** The stats a listing brought with its names, if it brought them for every entry. */
function listedStats(entries: DirEntry[]): Stat[] | undefined {
  const stats: Stat[] = [];
  for (const entry of entries) {
    if (!entry.stat) return undefined;
    stats.push(entry.stat);
  }
  return stats;
}

export class Copier {
  readonly report = new Reporter();
  private readonly meta: MetadataWriter;
  private readonly temps: TempNames;
  /**
   * The directory this worker is filling under a temporary name, if any:
   * one at a time, as nothing is made below it while it is so (its
   * subdirectories wait until it is in place) and it is never shared out.
   */
  private staged: Staging | undefined;
  /** --dry-run of operands merged into one directory: what each path would hold by now, the directories and files the run would have made (wouldHaveMade, wouldMeetEarlier). */
  private readonly dryRunMade = new Map<string, Stat>();
  /** --dry-run: what the symlinks among them would lead to, which -u looks through as the real run does (keepsNewer). */
  private readonly dryRunLinks = new Map<string, Name>();
  /** --dry-run: the names of DEST's files with other names it would have unlinked, by dev:ino (hasOtherNames). */
  private readonly dryRunUnlinked = new Map<string, number>();
  private readonly data: DataCopier;
  private readonly cleanedParents = new Set<number>();
  private readonly filter: Filter;
  private readonly pruner: Pruner;
  private contents: ContentComparer | undefined;
  /** Small files opened at once (--max-in-flight), halved for the rest of the run each time a batch ran out of descriptors. */
  private batchLimit: number;
  /** Set by the worker: told how many entries each chunk of a listing holds, as it is copied. */
  onListed: ((entries: number) => void) | undefined;
  /** Set by the worker for the task at hand: hands work to the pool before the task ends. */
  spawn: ((children: ChildWork[]) => void) | undefined;
  /** Owners of what this process creates; 0 where the OS has none (Windows). */
  private readonly euid: number;
  /** Root where users and ids are POSIX's: may write any file (cp's can_write_any_file). */
  private readonly writesAnyFile: boolean;
  private readonly egid: number;
  /** The owners this process can give (--skip-unchanged and --itemize compare only those). */
  private readonly ownerRights: OwnerRights;
  /** What joins a directory and a name in the paths messages show (the OS's separator). */
  private readonly separator: number;

  constructor(
    private readonly b: Backend,
    private readonly o: EngineOptions,
    workerIndex: number,
    private readonly cancel: Int32Array,
    private readonly links: LinkTable | undefined,
    private readonly hungry?: Int32Array,
    /** Set when copying on the main thread: files above maxBytes are cloned or handed back. */
    private readonly inline?: { maxBytes: number },
    /** --max-delete: the run's count of removals, shared by the workers. */
    deletions?: Int32Array,
    /** --skip-unchanged, --checksum with hard links kept: DEST's linked files left (or written into) so far, by the SOURCE file each stands for. */
    private readonly destinations?: LinkTable,
    /** --keep-directory-symlink: the directories kept symlinks led the copy into, by every worker. */
    private readonly entered?: EnteredDirectories,
  ) {
    this.report.reasonOf = (errno) => b.strerror(errno);
    const identity = b.identity();
    this.euid = identity?.uid ?? 0;
    this.egid = identity?.gid ?? 0;
    this.ownerRights = ownerRights(identity);
    this.writesAnyFile = identity?.uid === 0;
    this.separator = b.pathRules.separator.charCodeAt(0);
    this.meta = new MetadataWriter(b, o, this.report);
    this.temps = new TempNames(o.runId, workerIndex);
    this.data = new DataCopier(b);
    this.filter = new Filter(o.filters, b.pathRules.patternsIgnoreCase === true, b.pathRules.separators.includes("\\"));
    this.pruner = new Pruner(b, o, this.report, this.filter, { deletions, entered }, (dirFd, dirPath, rel, inherited) => this.perDirectoryRules(dirFd, dirPath, rel, inherited, true, "not deleted"), (entries) => this.onListed?.(entries));
    this.batchLimit = o.maxInFlight;
    // Set here, not when the pool hears of the error: a task may go on for a
    // whole tree (descendHere), and a --fail-fast run stops at its first error.
    if (o.failFast) this.report.onFail = () => Atomics.compareExchange(cancel, 0, 0, ExitCode.partial);
  }

  /**
   * Device of a destination directory, the group that entries created in it
   * get, what its default ACL lets them have, and whether it is append-only
   * (asked only of one this run did not make: `made`).
   */
  private dstFacts(dstDir: number, st: Stat | number = this.b.fstat(dstDir), made = false): { dstDev: number; newGid: number; inheritedPermissions?: number; appendOnly?: boolean } {
    if (typeof st === "number") return { dstDev: -1, newGid: this.egid };
    const inheritedPermissions = this.b.modes?.inheritedPermissions?.(dstDir);
    // A directory this run made has no flags it was not given.
    const appendOnly = !made && this.b.appendOnly?.(dstDir) === true;
    return { dstDev: st.dev, newGid: st.mode & S_ISGID ? st.gid : this.egid, ...(inheritedPermissions !== undefined && { inheritedPermissions }), ...(appendOnly && { appendOnly }) };
  }

  /**
   * Whether an entry made whole in one call (a symlink, a link, a fifo) is
   * made under its own name, not aside and renamed over it: in a directory
   * this run made, where nothing is in the way, and in an append-only one,
   * where nothing could be renamed or removed (one there then stays, and
   * the make fails with EEXIST).
   */
  private madeUnderItsName(e: Place): boolean {
    return e.dstFresh || e.appendOnly === true;
  }

  /** --skip-unchanged, --checksum: what holds SOURCE's data already is left (not with -l, -s, --attributes-only). */
  private get leavesUnchanged(): boolean {
    const o = this.o;
    return (o.skipUnchanged || o.checksum) && !o.link && !o.symbolicLink && !o.attributesOnly;
  }

  /**
   * A mirror's entry (--skip-unchanged, --checksum, --delete) gets SOURCE's
   * xattrs alone, as rsync -X gives them, as it leaves an unchanged one:
   * what DEST's file or directory has and SOURCE's lacks is removed.
   */
  private get mirrorsXattrs(): boolean {
    const o = this.o;
    return o.preserve.xattr && (o.skipUnchanged || o.checksum || o.delete) && !o.link && !o.symbolicLink && !o.attributesOnly;
  }

  /** Removes the xattrs (not ACLs, which the mode's rules set) an entry there has and SOURCE's lacks. */
  private removeStaleXattrs(there: Target, srcXattrs: Xattrs, path: Uint8Array): void {
    const stale = xattrChanges(srcXattrs, this.meta.readXattrs(there, false)).remove.filter((name) => categoryOf(name) !== "mode");
    if (stale.length > 0) this.meta.removeXattrs(there, stale, path);
  }

  /**
   * Whether a file this user may not write is replaced (made anew, with
   * SOURCE's mode): with -f, as cp; and in rsync's modes, as rsync's rename
   * over it does, so that a mirror of a git checkout (0444 files git
   * rewrites) goes on without -f.
   */
  private get replacesUnwritable(): boolean {
    const o = this.o;
    // Not --attributes-only, whose new file would be empty: the file there keeps its data.
    return o.force || ((o.skipUnchanged || o.checksum || o.delete) && !o.attributesOnly);
  }

  private get cancelled(): boolean {
    return Atomics.load(this.cancel, 0) !== 0;
  }

  private why(errno: number): string {
    return this.b.strerror(errno);
  }

  /** Says in a table the main thread reads where this worker's temporary files are (temp-names.ts, removeInFlight). */
  shareTempNames(table: SharedArrayBuffer): void {
    this.temps.share(table);
  }

  /** Shows progress through `live` from now on: entries counted, the file in hand, a large file's bytes as they are copied. */
  showProgress(live: LiveCounters): void {
    this.report.live = live;
    this.data.progress = (bytes) => this.report.partial(bytes);
  }

  /** What a hard link made or kept names, where not a regular file: with -s, a symlink whatever SOURCE's name is. */
  private linkedKind(kind: ItemKind, stat: Stat | undefined): Item["linked"] {
    return kind === "hardlink" && this.o.symbolicLink ? "symlink" : linkedKind(kind, stat);
  }

  /**
   * An entry made: -v's line (`data`: how its bytes were copied, for
   * --debug), and the item --itemize and --json list.
   */
  private listed(e: Place & Partial<Pick<Entry, "stat" | "was" | "removes" | "removesAfter" | "backupPath" | "linkTarget" | "targetChanged" | "sameData" | "xattrsChanged" | "keptData">>, data?: CopiedData & { bytes?: number }, kind?: ItemKind): void {
    if (this.o.listItems) {
      const was = e.was;
      const stat = e.stat;
      // Data copied means a regular file was written, also from a fifo or device read as one.
      const made = kind ?? (data ? "file" : stat ? kindOf(stat.mode) : "directory");
      const linked = this.linkedKind(made, stat);
      const madeType = made === "hardlink" ? (linked ?? "file") : made;
      // What replaced an entry of another type is new in every respect: no letters (rsync's +++++++++).
      // A special file of the other class (a device where a fifo was) is new too; rsync tells them by
      // class, so a block device where a character one was (D), or a fifo where a socket was (S), gets c.
      const sameType = was !== undefined && madeType === kindOf(was.mode) && (madeType !== "special" || stat === undefined || isDevice(stat.mode) === isDevice(was.mode));
      const device = madeType === "special" && stat !== undefined && isDevice(stat.mode);
      const otherSpecial = madeType === "special" && stat !== undefined && was !== undefined && (typeOf(stat.mode) !== typeOf(was.mode) || (device && otherDevice(stat, was)));
      // --attributes-only on a file it writes into: its data stays, so no `>`,
      // and no s or T (neither its size nor, without -p, its times change).
      // One backed up, removed or replaced (-b, --remove-destination, -f) is new.
      const kept = made === "file" ? e.keptData : undefined;
      this.report.item({
        action: kept ? "attributes" : was ? "replaced" : "created",
        kind: made,
        ...(device && { device }),
        ...(linked && { linked }),
        src: e.srcPath,
        dst: e.dstPath,
        size: data?.size ?? data?.bytes ?? 0,
        method: data?.method,
        changed: kept && stat
          ? replacedLetters(stat, kept, kept.size, this.o.preserve, this.o.modifyWindow, this.ownerRights).replace("T", "") + (e.xattrsChanged?.keptData ?? "")
          : was && stat && sameType
            // c: a symlink's target, a device's number, or (--checksum) a file's contents, differed, as rsync -ic says.
            ? replacedLetters(stat, was, data?.size ?? data?.bytes, this.o.preserve, this.o.modifyWindow, this.ownerRights, e.targetChanged || (this.o.checksum && made === "file" && !e.sameData) || otherSpecial) + (e.xattrsChanged?.replaced ?? "")
            : undefined,
        target: e.linkTarget,
      });
    }
    if (!this.o.verbose) return;
    if (e.removes) this.report.list(`removed ${quote(e.dstPath)}`);
    const backup = e.backupPath ? ` (backup: ${quote(e.backupPath)})` : "";
    const debug = data && this.o.debug ? `\n${this.debugLine(data)}` : "";
    this.report.list(`${quote(e.srcPath)} -> ${quote(e.dstPath)}${backup}${debug}`);
    if (e.removesAfter) this.report.list(`removed ${quote(e.dstPath)}`);
  }

  /**
   * cp's --debug line (coreutils 9.2+), then what the backend calls the
   * method: cp's words cannot tell a batch through io_uring from plain reads.
   */
  private debugLine({ method, holes, kernelCopyRefused, batched }: CopiedData): string {
    const label = this.b.methodLabels[method];
    if (method === "clone") return `copy offload: unknown, reflink: yes, sparse detection: unknown, method: ${label}`;
    // Not cloned with --reflink=auto: tried and refused, now or earlier for this pair of devices.
    const reflink = this.o.reflink === "never" ? "no" : "unsupported";
    const offload = method === "kernel" ? "yes" : kernelCopyRefused && !batched ? "unsupported" : "avoided";
    const sparse = holes === "reported" ? "SEEK_HOLE" : holes === "reported+zeros" ? "SEEK_HOLE + zeros" : holes === "zeros" ? "zeros" : "no";
    return `copy offload: ${offload}, reflink: ${reflink}, sparse detection: ${sparse}, method: ${label}`;
  }

  /**
   * An entry left as it is in DEST, and why: counted, and listed for
   * --itemize and --json. (Issue 19's --skip-unchanged calls this with
   * "unchanged".)
   */
  private skipped(e: Entry, reason: SkipReason): void {
    // --update=none-fail: kept as --update=none keeps it, and said, as cp 9.5 says it.
    if (reason === "exists" && this.o.update === "none-fail") this.report.fail(`not replacing ${quote(e.dstPath)}`, { op: "create", path: e.dstPath });
    this.report.skippedEntry(typeOf(e.stat.mode) === S_IFREG ? e.stat.size : 0);
    const linked = e.linkedAlready ? this.linkedKind("hardlink", e.stat) : undefined;
    if (this.o.listItems) this.report.item({ action: "skipped", kind: e.linkedAlready ? "hardlink" : kindOf(e.stat.mode), ...(isDevice(e.stat.mode) && { device: true }), ...(linked && { linked }), src: e.srcPath, dst: e.dstPath, size: 0, reason, target: this.symlinkTarget(e, reason) });
  }

  /**
   * What a symlink SOURCE leads to: rsync -i shows it after every line of
   * one (` -> target`). Where DEST's entry was kept instead (-n, -u, -i's
   * no), what that one leads to, if it is a symlink: it is what is there.
   */
  private symlinkTarget(e: Entry, reason?: SkipReason): Uint8Array | undefined {
    if (typeOf(e.stat.mode) !== S_IFLNK) return undefined;
    const kept = reason === "exists" || reason === "newer" || reason === "declined";
    const target = kept ? this.b.readLink(e.dstDir, e.dstName) : this.b.readLink(e.srcDir, e.srcName);
    return typeof target === "number" ? undefined : target;
  }

  /** A source entry that was listed and then disappeared: rsync's "vanished". */
  private vanished(e: Place, errno: number): boolean {
    if (errno !== this.b.errno.ENOENT) return false;
    // Following symlinks, ENOENT may be a dangling link, which is still there.
    if (e.follow && typeof this.b.stat(e.srcDir, e.srcName, false) !== "number") return false;
    this.report.warn(`${VANISHED}${quote(e.srcPath)}`, { op: "open", path: e.srcPath, errno });
    this.report.counts.vanished++;
    return true;
  }

  // ------------------------------------------------------------ top-level jobs

  /** A command-line operand. Directories come back as a DirResult to schedule. */
  runJob({ job, dstParentFd: given, paths }: JobWork): DirResult {
    const b = this.b;
    const srcPath = paths.src;
    // Opened here, it stays open to the end of the run like the main thread's.
    const dstParentFd = given ?? openDestinationDir(b, b.cwd, paths.dstDir, true);
    let stat = b.stat(b.cwd, srcPath, job.followSrc);
    if (typeof stat === "number") {
      this.report.fail(`cannot stat ${quote(srcPath)}: ${this.why(-stat)}`, { op: "stat", path: srcPath, errno: -stat });
      return NONE;
    }
    const seen = job.linkAtime;
    if (seen && typeOf(stat.mode) === S_IFLNK && stat.dev === seen.dev && stat.ino === seen.ino) stat = { ...stat, atimeSec: seen.sec, atimeNsec: seen.nsec };
    if (dstParentFd < 0) {
      this.report.fail(`cannot create ${this.madeAs(stat, paths.dst, srcPath)}: ${this.why(-dstParentFd)}`, { op: "create", path: paths.dst, errno: -dstParentFd });
      return NONE;
    }
    const base = paths.dstBase;
    const entry: Entry = {
      srcDir: b.cwd,
      srcName: srcPath,
      dstDir: dstParentFd,
      dstName: base,
      srcPath,
      dstPath: paths.dst,
      rootFd: dstParentFd,
      dstRel: base,
      stat,
      follow: job.followSrc,
      dstFresh: false,
      ...this.dstFacts(dstParentFd),
      operand: true,
      ...(job.noBackup === true && { noBackup: true }),
      ...(job.mergesInto === true && { madeByRun: true }),
      ...(job.dstNamed === true && { dstNamed: true }),
      ...(paths.parentsOf !== undefined && { parentsOf: paths.parentsOf }),
      ...(job.justCreated === true && { justCreated: true }),
    };
    if (job.into) {
      this.copyInto(entry, paths.dst, job.intoOpenFile === true);
      return NONE;
    }
    // What a killed run left beside the copy (`blit big D/` killed, then `blit -a dir D/`) goes too.
    this.removeLeftovers(dstParentFd, true, (name) => this.operandCopyNamed(name));
    if (typeOf(stat.mode) === S_IFDIR) return this.copyDirectory(entry, undefined, undefined);
    const waitingLinks: [Entry, number][] = [];
    this.copyNonDirectory(entry, waitingLinks);
    for (const [linked, slot] of waitingLinks) this.linkOrCopy(linked, slot);
    return NONE;
  }

  /**
   * Whether a name like a temporary file's in an operand's target directory
   * is a copy this run makes there: an operand's own name, or an entry of a
   * SOURCE copied as that directory itself (`s/. D`), whichever operand
   * comes first (`blit -rn t s/. D` keeps D's file of s's name).
   */
  private operandCopyNamed(name: Name): boolean {
    const b = this.b;
    const text = Buffer.from(name).toString("latin1");
    if (this.o.tempNamedOperands?.includes(text)) return true;
    return this.o.sourcesCopiedAsTarget?.some((src) => typeof b.stat(b.cwd, joinPath(Buffer.from(src, "latin1"), name, this.separator), false) !== "number") === true;
  }

  /**
   * A command-line operand copied on the main thread: undefined when it was
   * left untouched for a worker instead (a large file that cannot be
   * cloned, one of a hard-link group). A directory's result holds what is
   * left to do below it; files in it that this thread would hand back are
   * among its children as "files" work, for a worker (copyHereOrLeave).
   */
  runInline(work: JobWork): DirResult | undefined {
    this.handedBack = false;
    const result = this.runJob(work);
    return this.handedBack ? undefined : result;
  }

  /** What would have been made at dst, in cp's words: "symbolic link 'd/x' to 'f'", "fifo 'd/x'", ... */
  private madeAs(st: Stat, dst: Uint8Array, src: Uint8Array): string {
    const type = typeOf(st.mode);
    // -rs and -rl make directories.
    if (type === S_IFDIR) return `directory ${quote(dst)}`;
    if (this.o.symbolicLink) return `symbolic link ${quote(dst)} to ${quote(src)}`;
    if (this.o.link) return `hard link ${quote(dst)} to ${quote(src)}`;
    if (type === S_IFLNK) return `symbolic link ${quote(dst)}`;
    if (type === S_IFREG || this.o.readSpecialFiles) return `regular file ${quote(dst)}`;
    return `${type === S_IFIFO ? "fifo" : "special file"} ${quote(dst)}`;
  }

  private handedBack = false;

  private handBack(): false {
    this.handedBack = true;
    return false;
  }

  /** A directory found inside the tree; `depth`: how far below its task's own directory. */
  runDir(work: DirWork, depth = 0): DirResult {
    const place: Place = {
      srcDir: work.srcParent,
      srcName: work.srcName,
      dstDir: work.dstParent,
      dstName: work.dstName,
      srcPath: work.srcPath,
      dstPath: work.dstPath,
      rootFd: work.rootFd,
      dstRel: work.dstRel,
      follow: this.o.dereference === "always",
      dstFresh: work.dstFresh,
      dstDev: work.dstDev,
      newGid: work.newGid,
      inheritedPermissions: work.inheritedPermissions,
      appendOnly: work.appendOnly,
      within: work.within,
    };
    if (this.cancelled) return NONE;
    return this.copyDirectory(place, { dev: work.expectDev, ino: work.expectIno }, work.ancestors, true, work.merged, depth);
  }

  // ------------------------------------------------------------ directories

  /**
   * Opens the source directory, checks it is the one that was listed
   * (`expect`), creates or reuses the destination, copies the entries that
   * are not directories, then the ones that are while no other worker waits
   * (descendHere), and returns what is left for the pool.
   */
  private copyDirectory(e: Place & { operand?: boolean }, expect: { dev: number; ino: bigint } | undefined, ancestors: string[] | undefined, descend = true, inherited?: FilterRule[], depth = 0): DirResult {
    const b = this.b;
    const E = b.errno;
    if (CRASH_AT !== undefined && Buffer.from(e.srcPath).toString() === CRASH_AT) throw new Error(`BLIT_CRASH_AT: crashed as asked, copying ${quote(e.srcPath)}`);
    const srcFd = b.openDir(e.srcDir, e.srcName, e.follow);
    if (srcFd < 0) {
      // Listed as a directory, now something else (a symlink, a file): swapped in since.
      const swapped = expect !== undefined && !e.follow && (srcFd === -E.ENOTDIR || srcFd === -E.ELOOP) && this.typeChanged(e, S_IFDIR);
      if (swapped) this.report.fail(`${quote(e.srcPath)} was replaced while being copied; skipped`, { op: "check", path: e.srcPath });
      else if (!this.vanished(e, -srcFd)) this.report.fail(`cannot open directory ${quote(e.srcPath)}: ${this.why(-srcFd)}`, { op: "open", path: e.srcPath, errno: -srcFd });
      if (srcFd === -E.EACCES) this.copyUnreadableDirectory(e);
      return NONE;
    }
    const stat = b.fstat(srcFd);
    if (typeof stat === "number") {
      b.close(srcFd);
      this.report.fail(`cannot stat ${quote(e.srcPath)}: ${this.why(-stat)}`, { op: "stat", path: e.srcPath, errno: -stat });
      return NONE;
    }
    if (expect && (stat.dev !== expect.dev || stat.ino !== expect.ino)) {
      b.close(srcFd);
      this.report.fail(`${quote(e.srcPath)} was replaced while being copied; skipped`, { op: "check", path: e.srcPath });
      return NONE;
    }
    // Checked first: with -L the DEST reached through a bind mount is among the ancestors too.
    if (this.isDestinationRoot(e, stat)) {
      b.close(srcFd);
      const [src, dst] = this.operandPaths(e);
      this.report.fail(`cannot copy a directory, ${quote(src)}, into itself, ${quote(dst)}`, { op: "copy", path: e.srcPath });
      return NONE;
    }
    // Following symlinks (-L) can lead back to a directory above this one, on
    // either side of the copy; copying it would never end.
    const identity = `${stat.dev}:${stat.ino}`;
    if (ancestors?.includes(identity)) {
      b.close(srcFd);
      // A non-directory there is said instead, as cp looks at DEST before it looks for the cycle.
      const there = e.dstFresh ? undefined : b.stat(e.dstDir, e.dstName, false);
      if (there !== undefined && typeof there !== "number" && typeOf(there.mode) !== S_IFDIR) {
        this.report.fail(`cannot overwrite non-directory ${quote(e.dstPath)} with directory ${quote(e.srcPath)}`, { op: "overwrite", path: e.dstPath });
      } else this.report.fail(`cannot copy cyclic symbolic link ${quote(e.srcPath)}`, { op: "copy", path: e.srcPath });
      return NONE;
    }

    // Created writable: the final mode comes once it is filled.
    let created = false;
    let followDst = false;
    const madeMode = this.newDirMode(stat, e.inheritedPermissions);
    // A dry run of merged operands: what an earlier one's copy would have made there, a file, is in the way.
    const earlier = this.o.dryRun && this.o.mergesOperands ? this.dryRunMade.get(this.dryRunKey(e.dstPath, e.dstDir)) : undefined;
    // (A symlink --keep-directory-symlink would follow is not known here: DEST as it is decides, as it did.)
    if (earlier && typeOf(earlier.mode) !== S_IFDIR && !(typeOf(earlier.mode) === S_IFLNK && this.o.keepDirectorySymlink)) {
      b.close(srcFd);
      this.report.fail(`cannot overwrite non-directory ${quote(e.dstPath)} with directory ${quote(e.srcPath)}`, { op: "overwrite", path: e.dstPath });
      return NONE;
    }
    let madeAs = this.stagesDirectory(e, descend) ? this.temps.next(e.dstDir) : e.dstName;
    let made = this.o.dryRun ? this.wouldMakeDir(e) : b.makeDir(e.dstDir, madeAs, madeMode);
    // Not made under a temporary name: made under its own, and said why as it would have been.
    if (made !== 0 && madeAs !== e.dstName) {
      madeAs = e.dstName;
      made = b.makeDir(e.dstDir, madeAs, madeMode);
    }
    if (made === 0) {
      created = true;
      if (!this.o.dryRun) this.ownerAccessWhileFilled(e.dstDir, madeAs, madeMode, e.inheritedPermissions);
    } else if (made === -E.EEXIST) {
      // Joined, if it is a directory and not a symlink to one: also inside a
      // directory this run made, where another run into the same DEST may
      // have made it first.
      const existing = b.stat(e.dstDir, e.dstName, false);
      followDst = this.o.keepDirectorySymlink && typeof existing !== "number" && typeOf(existing.mode) === S_IFLNK;
      if (typeof existing !== "number" && typeOf(existing.mode) !== S_IFDIR && !followDst) {
        // --delete makes way for the directory, but not past -n (--update=none)
        // or -i's no: the file stays, refused as without --delete (as cp -n,
        // as rsync --ignore-existing), or declined.
        const asked: Entry = { ...e, stat };
        if (this.mayMakeWay(e) && !this.o.noClobber && !this.confirmed(asked, existing)) {
          b.close(srcFd);
          this.declined(asked);
          return NONE;
        }
        const again = !this.o.noClobber && this.madeWay(e, false, inherited) ? (this.o.dryRun ? 0 : b.makeDir(e.dstDir, e.dstName, madeMode)) : -E.EEXIST;
        if (again !== 0) {
          b.close(srcFd);
          this.report.fail(`cannot overwrite non-directory ${quote(e.dstPath)} with directory ${quote(e.srcPath)}`, { op: "overwrite", path: e.dstPath });
          return NONE;
        }
        created = true;
        if (!this.o.dryRun) this.ownerAccessWhileFilled(e.dstDir, e.dstName, madeMode, e.inheritedPermissions);
      }
    } else {
      b.close(srcFd);
      this.report.fail(`cannot create directory ${quote(e.dstPath)}: ${this.why(-made)}`, { op: "create", path: e.dstPath, errno: -made });
      return NONE;
    }
    // O_NOFOLLOW: an existing destination swapped for a symlink is refused.
    // A dry run has nothing to open where it would have made the directory (-1).
    let dstFd = this.o.dryRun && created ? -1 : followDst ? this.followDirectorySymlink(e) : b.openDir(e.dstDir, madeAs, false);
    const lentMode = dstFd === -E.EACCES && !created && !followDst ? this.lentOwnerAccess(e) : undefined;
    if (lentMode !== undefined) {
      dstFd = b.openDir(e.dstDir, e.dstName, false);
      if (dstFd < 0) b.modes?.chmodAt(e.dstDir, e.dstName, lentMode);
    }
    // Not to be lent read (another user's drop box, mode 1733; or any in a
    // dry run): opened only to make entries in, as cp fills it by name, where
    // this user may write there. --delete, which must list it, is refused.
    if (dstFd === -E.EACCES && !created && !followDst && !this.o.delete && b.openUnreadableDir && b.canWrite(e.dstDir, e.dstName) === 0) {
      dstFd = b.openUnreadableDir(e.dstDir, e.dstName, false);
    }
    if (followDst && (dstFd === OUTSIDE || dstFd === ABOVE || dstFd === -E.ENOTDIR || dstFd === -E.ENOENT)) {
      b.close(srcFd);
      this.report.fail(dstFd === OUTSIDE
        ? `not following symbolic link ${quote(e.dstPath)}: it leads outside the destination`
        : dstFd === ABOVE
        ? `not following symbolic link ${quote(e.dstPath)}: it leads to a directory it is in`
        : `cannot overwrite non-directory ${quote(e.dstPath)} with directory ${quote(e.srcPath)}`, { op: "open", path: e.dstPath });
      return NONE;
    }
    if (dstFd < 0 && !(this.o.dryRun && created)) {
      b.close(srcFd);
      if (madeAs !== e.dstName) b.remove(e.dstDir, madeAs, true);
      this.report.fail(`cannot open directory ${quote(e.dstPath)}: ${this.why(-dstFd)}`, { op: "open", path: e.dstPath, errno: -dstFd });
      return NONE;
    }
    const staging: Staging | undefined = madeAs !== e.dstName ? { parent: e.dstDir, temp: madeAs, name: e.dstName, path: e.dstPath, srcPath: e.srcPath, fd: dstFd, live: true } : undefined;
    if (staging) {
      this.staged = staging;
      this.report.hold(true);
      // Seen held by a run in another PID namespace, whose leftover clean-up would take this pid for a dead one's.
      b.holdDirectory?.(dstFd);
    }
    // A dry run makes nothing, so where an earlier operand's copy would
    // have made this directory (or one below it: operands merged into one
    // directory are copied in turn, by one worker), it would have been there.
    const earlierCopy = created && !(e.madeByRun === true && this.o.dryRun) ? this.wouldHaveMade(e, stat) : undefined;
    const madeEarlier = (e.madeByRun === true && (this.o.dryRun || !created)) || earlierCopy !== undefined;
    if (created && !madeEarlier) this.report.count("directories");
    // As cp -v: a directory that was there already is not listed.
    if (created && !madeEarlier) this.listed(e, undefined, "directory");
    // As blit reaches it: what a killed run left, removed below, is not a change to report.
    const opened = b.fstat(dstFd);
    // Operands merged into one directory (`blit -r a/x b/x D`): what one copied there is not the other's to judge.
    if (!created && !this.o.mergesOperands) this.removeLeftovers(dstFd, false, (name) => typeof b.stat(srcFd, name, false) !== "number");

    let merged: FilterRule[] | undefined | false = inherited;
    if (descend && e.operand === true) merged = this.rulesAbove(e.srcPath, merged);
    if (merged !== false && descend) merged = this.perDirectoryRules(srcFd, e.srcPath, belowSource(e.dstRel), merged);
    // --delete: DEST's own per-directory files keep what they exclude too,
    // as rsync's receiver reads them for its deletions (and those above DEST).
    if (merged !== false && descend && this.o.delete && !created && dstFd >= 0) {
      if (e.operand === true) merged = this.rulesAbove(e.dstPath, merged, true);
      if (merged !== false) merged = this.perDirectoryRules(dstFd, e.dstPath, belowSource(e.dstRel), merged, true);
    }
    // Rules that cannot be read: nothing in it is copied or deleted, rather
    // than what they would have left out (rsync stops the whole run).
    const rulesUnread = merged === false;
    if (merged === false) {
      merged = inherited;
      descend = false;
    }
    const finish: DirFinish = { srcFd, dstFd, stat, created, srcPath: e.srcPath, dstPath: e.dstPath, incomplete: rulesUnread, descended: descend, dstRel: e.dstRel, merged, inheritedPermissions: e.inheritedPermissions, staging };
    const followInside = this.o.dereference === "always";
    // Its own mode, not the one lent while it is filled.
    const dstStat = lentMode === undefined || typeof opened === "number" ? opened : { ...opened, mode: (opened.mode & ~0o7777) | lentMode };
    if (this.o.oneFileSystem && e.within !== undefined && typeof dstStat !== "number" && dstStat.dev !== e.within.dev) finish.otherFilesystem = true;
    // One an earlier operand of this run made was listed as made.
    if (!created && !madeEarlier && (this.leavesUnchanged || this.o.listItems) && typeof dstStat !== "number") this.reportDirectoryChanges(e, stat, dstStat, srcFd, dstFd, !rulesUnread);
    // The real run, meeting the earlier operand's copy, tells what this one's attributes change on it.
    if (earlierCopy && (this.leavesUnchanged || this.o.listItems)) this.reportWouldChange(e, stat, earlierCopy, !rulesUnread);
    if (!created && typeof dstStat !== "number") finish.unlockedMode = lentMode ?? this.unlocked(dstFd, dstStat);
    const facts = this.dstFacts(dstFd, dstStat, created);
    let childAncestors: string[] | undefined;
    if (followInside) {
      childAncestors = [...(ancestors ?? []), identity];
      if (typeof dstStat !== "number") childAncestors.push(`${dstStat.dev}:${dstStat.ino}`);
    }
    const listing: FilesWork = {
      srcFd,
      dstFd,
      names: [],
      srcPath: e.srcPath,
      dstPath: e.dstPath,
      rootFd: e.rootFd,
      dstRel: e.dstRel,
      dstFresh: created,
      follow: followInside,
      ...facts,
      ancestors: childAncestors,
      merged,
      // Below an operand's own copy, a kept symlink leads inside it, as it was
      // entered: not as its name leads now, which may have been swapped since.
      within: e.within ?? (typeof dstStat === "number" ? NOWHERE : { dev: dstStat.dev, ino: dstStat.ino }),
      ...(descend && b.caseFolding?.ignoresCase(dstFd >= 0 ? dstFd : e.dstDir) && { seenNames: new Map() }),
      staging,
    };
    const children: ChildWork[] = [];
    const waitingLinks: [Entry, number][] = [];
    const listed = this.o.delete && !created && descend ? new ListedNames() : undefined;
    let handedOut = false;
    // The listing comes a chunk at a time. Each chunk is copied here, or, when
    // other workers wait with nothing queued, handed to them: one large
    // directory does not leave CPUs idle.
    for (let chunk = 0; descend; chunk++) {
      const next = this.nextChunk(listing);
      const entries = typeof next === "number" ? next : next.entries;
      if (typeof entries === "number") {
        // ENOENT: the directory was removed while we read it.
        if (!this.vanished({ ...e, follow: false }, -entries)) {
          this.report.fail(`cannot read directory ${quote(e.srcPath)}: ${this.why(-entries)}`, { op: "read", path: e.srcPath, errno: -entries });
        } else if (chunk === 0 && created) {
          // Gone before anything was copied: no empty copy of it either.
          b.close(srcFd);
          if (dstFd >= 0) b.close(dstFd);
          if (!this.o.dryRun) b.remove(e.dstDir, madeAs, true);
          if (staging) {
            this.staged = undefined;
            this.report.hold(false);
          }
          this.report.count("directories", -1);
          return NONE;
        }
        break;
      }
      if (entries.length === 0) break;
      if (this.cancelled || staging?.failed) {
        finish.incomplete = true;
        break;
      }
      const distinct = this.distinctNames(listing, entries);
      if (distinct.length === 0) continue;
      const names = distinct.map((entry) => entry.name);
      listed?.add(names);
      // Not while it is filled under a temporary name: whoever takes it into
      // place must know that nothing is still being written in it. A leaf
      // stays so, to be seen whole; one with subdirectories goes into place
      // now, and its files are shared out as any others.
      const spawn = chunk > 0 && this.spawn && this.othersHungry() ? this.spawn : undefined;
      // Directories that count no links (btrfs: 1) have subdirectories once one is met.
      const hasSubdirectories = stat.nlink > 2 || (stat.nlink < 2 && children.some((c) => c.kind === "dir"));
      if (spawn && listing.staging?.live && hasSubdirectories) {
        this.unstageForChildren(listing.staging, listing, children);
        if (listing.staging.failed) {
          finish.incomplete = true;
          break;
        }
      }
      if (spawn && !listing.staging?.live) {
        const share: ChildWork = { kind: "files", work: { ...listing, names, seenNames: undefined } };
        // Handed out early from a directory below the task's own, work would
        // be counted as the task's, not that directory's: this chunk and the
        // rest of the listing go back with the task's result instead.
        if (depth > 0) {
          children.push(share, { kind: "rest", work: listing });
          break;
        }
        handedOut = true;
        spawn([...children.splice(0), share]);
        continue;
      }
      this.copyEntries(listing, names, children, waitingLinks, listedStats(distinct), typeof next === "number" ? undefined : next.walked);
      if (children.length >= CHILDREN_HELD) {
        children.push({ kind: "rest", work: listing });
        break;
      }
    }
    if (this.cancelled) finish.incomplete = true;
    if (staging?.live && children.length > 0) {
      this.unstageForChildren(staging, listing, children);
      if (staging.failed) finish.incomplete = true;
    }
    if (listed) finish.listed = [listed.take()];
    // Other paths to inodes another worker is copying: linked once it is done.
    for (const [entry, slot] of waitingLinks) this.linkOrCopy(entry, slot);
    const left = this.descendHere(children, depth);
    // Nothing below it left to wait for: finished in this task, not in a
    // "finish" task of its own sent back through the pool.
    if (descend && !handedOut && left.length === 0) {
      this.finishDirectory(finish);
      return NONE;
    }
    // Its finish goes to the pool (its rules unread, say): into place first,
    // as nothing that names it may be said before it is, and only this task knows it.
    if (staging?.live) this.unstage(staging);
    return { children: left, finish };
  }

  /**
   * Whether a SOURCE directory is the directory its operand is copied to:
   * DEST inside SOURCE, reached through a bind mount (the operand's check,
   * by path, cannot see one), which would be copied into itself again and
   * again. cp refuses it as it reaches it, and so does blit. DEST is the
   * operand's copy as first entered (within): where a kept symlink led it too.
   */
  private isDestinationRoot(e: Place, st: Stat): boolean {
    // The operand itself (within undefined): the same file as DEST was refused before the run.
    return e.within !== undefined && sameDir(st, e.within);
  }

  /** The SOURCE and DEST operands an entry's paths begin with: dstRel's first name stands for DEST, the rest is below both. */
  private operandPaths(e: Place): [Uint8Array, Uint8Array] {
    const below = e.dstRel.length - e.dstRel.indexOf(SLASH);
    return [e.srcPath.subarray(0, e.srcPath.length - below), e.dstPath.subarray(0, e.dstPath.length - below)];
  }

  /**
   * The mode a directory is made with, as cp makes it: its owner may fill
   * it; others are kept out while SOURCE's owner and group are still to be
   * set (-p, -a), and kept from writing while only its mode is
   * (--preserve=mode). A run killed outright never sets the final mode, and
   * a later run without -p leaves a directory that is there as it is.
   */
  private newDirMode(st: Stat, inherited: number | undefined): number {
    const { preserve } = this.o;
    if (preserve.ownership) return 0o700;
    // The sticky bit at once where nothing more is set: a chmod adding it later, by a user outside a setgid parent's group, would take off the setgid bit mkdir gave.
    return (this.meta.modeFor("dir", st, undefined, inherited) & (preserve.mode ? 0o755 : 0o1777)) | 0o700;
  }

  /**
   * A directory just made whose owner the umask or a default ACL left
   * without read, write or search (umask 0200, `u::rw-`) is given them
   * while it is filled, as cp gives them; its own mode is set once it is.
   */
  private ownerAccessWhileFilled(dir: number, name: Name, madeMode: number, inherited: number | undefined): void {
    const given = inherited === undefined ? madeMode & ~this.o.umask : madeMode & (inherited | 0o7000);
    if ((given & 0o700) !== 0o700) this.b.modes?.chmodAt(dir, name, given | 0o700);
  }

  /**
   * Whether a new directory is filled under a temporary name and renamed
   * into place once filled (Staging), so that its small files need no
   * rename each: one whose parent this run made, so that nothing else is
   * under its name. One with subdirectories goes into place once its own
   * files are written, before they are made (unstageForChildren); a leaf
   * once all is. Not into an append-only directory,
   * which takes no rename; nor where with -L every file may be another's
   * name, to be linked by its path.
   */
  private stagesDirectory(e: Place, descend: boolean): boolean {
    return descend && e.dstFresh && !this.o.dryRun && this.b.renamesOpenDirectories === true && e.appendOnly !== true &&
      !(this.o.preserve.links && this.o.dereference === "always");
  }

  /**
   * Renames a directory filled under a temporary name into place. Where
   * another run into the same DEST made the name meanwhile, what this run
   * put in its own moves into that one (replacing the other run's copies,
   * as a renamed file does), and its own goes. Nothing is being written in
   * it: it is never shared out while staged.
   */
  private unstage(s: Staging): void {
    s.live = false;
    if (this.staged === s) this.staged = undefined;
    try {
      this.placeStaged(s);
    } finally {
      this.report.hold(false);
    }
  }

  /**
   * A staged directory with subdirectories, into place once the files
   * written so far are: each subdirectory is made in it by its own task,
   * after this, so a leftover of a killed run still holds files only (its
   * clean-up removes no directory). Its children made so far are turned to
   * the directory now in place (another run's, when that made the name
   * meanwhile); where it could not be, its children go (subdirectories, the
   * rest of its listing), as nothing more is copied into it.
   */
  private unstageForChildren(s: Staging, listing: FilesWork, children: ChildWork[]): void {
    const staged = s.fd;
    this.unstage(s);
    listing.dstFd = s.fd;
    if (s.failed) {
      children.length = 0;
      return;
    }
    for (const child of children) if (child.kind === "dir" && child.work.dstParent === staged) child.work.dstParent = s.fd;
  }

  private placeStaged(s: Staging): void {
    const b = this.b;
    const renamed = b.rename(s.parent, s.temp, s.parent, s.name, false);
    if (renamed === 0) return;
    const there = renamed === -b.errno.EEXIST ? b.openDir(s.parent, s.name, false) : renamed;
    if (there < 0) {
      s.failed = true;
      // Another run's directory made there meanwhile, or anything else: cp's words for what is in the way.
      if (there === -b.errno.ENOTDIR || there === -b.errno.ELOOP) this.report.fail(`cannot overwrite non-directory ${quote(s.path)} with directory ${quote(s.srcPath)}`, { op: "overwrite", path: s.path });
      else this.report.fail(`cannot create directory ${quote(s.path)}: ${this.why(-there)}`, { op: "create", path: s.path, errno: -there });
      // What was copied into it goes with it, as a failed file's temporary
      // does (ENOSPC, EDQUOT: it would hold the very space that ran out).
      // Its descriptor stays open for the task that holds it.
      for (const name of this.stagedNames(s)) b.remove(s.fd, name, false);
      b.remove(s.parent, s.temp, true);
      return;
    }
    // What stays out (-n, or refused) goes with the staged directory.
    for (const name of this.stagedNames(s)) if (!this.mergeStaged(s.fd, there, name, joinPath(s.path, name, this.separator))) b.remove(s.fd, name, false);
    b.remove(s.parent, s.temp, true);
    b.close(s.fd);
    s.fd = there;
  }

  /** What a staged directory holds: files only, as its subdirectories are made once it is in place. */
  private stagedNames(s: Staging): Name[] {
    const b = this.b;
    const names: Name[] = [];
    const ours = b.openDir(s.parent, s.temp, false);
    for (let entries = ours < 0 ? ours : b.readDir(ours); typeof entries !== "number" && entries.length > 0; entries = b.readDir(ours)) names.push(...entries.map((entry) => entry.name));
    if (ours >= 0) b.close(ours);
    return names;
  }

  /**
   * One entry of a staged directory renamed into another run's directory of
   * its name, replacing what that run put there as a copy replaces a file:
   * false where it stays out (-n keeps theirs; a refusal is said).
   */
  private mergeStaged(from: number, there: number, name: Name, path: Uint8Array): boolean {
    const b = this.b;
    const moved = this.renameWhereNothingWas(from, name, there, name, path);
    if (moved === -b.errno.EEXIST && this.o.noClobber) {
      // --update=none-fail: kept, and said, as cp 9.5 says it.
      if (this.o.update === "none-fail") this.report.fail(`not replacing ${quote(path)}`, { op: "create", path });
      return false;
    }
    if (moved === -b.errno.EISDIR) this.report.fail(`cannot overwrite directory ${quote(path)} with non-directory`, { op: "overwrite", path });
    else if (moved < 0 && moved !== RACE_BACKUP_FAILED) this.report.fail(`cannot move ${quote(path)} into place: ${this.why(-moved)}`, { op: "create", path, errno: -moved });
    return moved === 0;
  }

  /**
   * Renames an entry made aside over `name` in `dir`, where nothing was
   * under the name when the copy looked (or in a directory this run made,
   * or filled under a temporary name, where it did not look): what is there
   * now, another run into the same DEST (or another program) put there
   * meanwhile. It is replaced, as a copy replaces what was there, unless
   * the options would have kept it from that: -n and --update=none keep it
   * (EEXIST); -b keeps it under its backup name first (a directory is
   * refused, EISDIR, as without -b); -u and -i, which would have compared
   * or asked, refuse it (EEXIST), as cp's exclusive create finds the name
   * taken. The rename's result, or RACE_BACKUP_FAILED once that is said.
   * The backup's path goes to `e`, for -v, where there is one.
   */
  private renameWhereNothingWas(fromDir: number, from: Name, dir: number, name: Name, path: Uint8Array, e?: Entry): number {
    const b = this.b;
    const o = this.o;
    const backs = o.backup !== "none" && !o.noClobber;
    const renamed = b.rename(fromDir, from, dir, name, !(o.noClobber || backs || o.update === "older" || o.interactive));
    if (renamed !== -b.errno.EEXIST) return renamed;
    // A link to the same inode already (another run linked its names to
    // this copy): nothing of theirs would be replaced, nor kept aside.
    const theirs = b.stat(dir, name, false);
    const ours = b.stat(fromDir, from, false);
    if (typeof theirs !== "number" && typeof ours !== "number" && theirs.dev === ours.dev && theirs.ino === ours.ino) return 0;
    if (!backs) return renamed;
    if (typeof theirs !== "number" && typeOf(theirs.mode) === S_IFDIR) return -b.errno.EISDIR;
    const kept = linkAsBackup(b, dir, name, o.backup, o.backupSuffix, () => this.temps.next(dir));
    if (typeof kept === "number") {
      this.report.fail(`cannot backup ${quote(path)}: ${this.why(-kept)}`, { op: "backup", path, errno: -kept });
      return RACE_BACKUP_FAILED;
    }
    if (e) e.backupPath = backupPathOf(e, kept.name);
    return b.rename(fromDir, from, dir, name, true);
  }

  /**
   * Copies the subdirectories among `children` in this task, depth first,
   * while no other worker waits for work; what is left (the others, and
   * what each left unfinished) goes back to the pool. A task per directory
   * is a round trip through the main thread, which costs more than copying
   * a small directory.
   */
  private descendHere(children: ChildWork[], depth: number): ChildWork[] {
    if (!this.spawn || depth >= DEPTH_IN_TASK) return children;
    const left: ChildWork[] = [];
    for (const child of children) {
      if (child.kind !== "dir" || this.cancelled || this.othersHungry()) {
        left.push(child);
        continue;
      }
      const below = this.runDir(child.work, depth + 1);
      if (below.children.length > 0 || below.finish) left.push({ kind: "opened", children: below.children, finish: below.finish });
    }
    return left;
  }

  /**
   * --filter=':- NAME': the rules of each such file in the directory open
   * on dirFd (SOURCE's, or with inDest DEST's), `base` below SOURCE, before
   * those inherited from the directories above; false, said as what then
   * happens to the directory (`unread`), when one cannot be read as rules.
   * A file larger than PER_DIRECTORY_MAX is read that far.
   */
  private perDirectoryRules(dirFd: number, dirPath: Uint8Array, base: Uint8Array, inherited: FilterRule[] | undefined, inDest = false, unread = "not copied"): FilterRule[] | undefined | false {
    let merged = inherited;
    for (const { index, name } of this.filter.perDirectoryFiles) {
      let fd = this.b.openRead(dirFd, name, false);
      let linked = false;
      // Refused, not missing: a symlink is followed, as rsync follows it (a
      // .gitignore linked to a shared one), to a regular file only, not
      // opened where it leads to a device, whose driver an open would wake.
      if (fd < 0 && fd !== -this.b.errno.ENOENT) {
        const st = this.b.stat(dirFd, name, false);
        const target = typeof st !== "number" && typeOf(st.mode) === S_IFLNK ? this.b.stat(dirFd, name, true) : undefined;
        if (target === undefined || typeof target === "number" || typeOf(target.mode) !== S_IFREG) continue;
        linked = true;
        fd = this.b.openRead(dirFd, name, true);
      }
      if (fd < 0) continue;
      const rules = this.mergeRulesFile(fd, index, base, merged, inDest, undefined, joinPath(dirPath, name, this.separator), dirPath, unread, linked);
      if (rules === false) return false;
      merged = rules;
    }
    return merged;
  }

  /**
   * --filter=': DIR/NAME' (`: /.rsync-filter`, rsync's -F): the files NAME
   * in the directories from DIR down to the one above the operand `path`
   * (SOURCE's, or with inDest DEST's), read before the operand's own, as
   * rsync's parent scan; their anchored patterns are matched from where
   * each was read. false as perDirectoryRules.
   */
  private rulesAbove(path: Uint8Array, inherited: FilterRule[] | undefined, inDest = false): FilterRule[] | undefined | false {
    const scanned = this.filter.perDirectoryFiles.filter((file) => file.scanFrom !== undefined);
    if (scanned.length === 0) return inherited;
    // The path as given, from the real current directory, as rsync's
    // change_dir keeps it: through a symlink (`current -> releases/7`), the
    // files above the link's name are read, not those above where it leads.
    const b = this.b;
    let whole = path;
    if (!pathSyntax(b.pathRules).isAbsolute(Buffer.from(path).toString("latin1"))) {
      const cwd = b.realPath(DOT);
      if (typeof cwd === "number") return inherited;
      whole = joinPath(cwd, path, this.separator);
    }
    let merged = inherited;
    for (const { index, name, scanFrom } of scanned) {
      for (const { dir, above } of parentDirectories(whole, scanFrom!, this.separator)) {
        const file = joinPath(dir, name, this.separator);
        const fd = b.openRead(b.cwd, file, true);
        if (fd < 0) continue;
        const rules = this.mergeRulesFile(fd, index, new Uint8Array(0), merged, inDest, above, file, path, "not copied");
        if (rules === false) return false;
        merged = rules;
      }
    }
    return merged;
  }

  /**
   * The rules in the open file `fd` (closed here), read up to
   * PER_DIRECTORY_MAX, merged before `inherited`; false, said, where it is
   * not rules. The line at fault is not shown where the file was reached
   * through a symlink (`linked`): whoever may write SOURCE could point one
   * at any file this user may read, /etc/shadow for root.
   */
  private mergeRulesFile(fd: number, index: number, base: Uint8Array, inherited: FilterRule[] | undefined, inDest: boolean, above: Uint8Array | undefined, file: Uint8Array, dirPath: Uint8Array, unread: string, linked = false): FilterRule[] | false {
    const b = this.b;
    const buf = new Uint8Array(PER_DIRECTORY_MAX);
    let got = 0;
    while (got < buf.length) {
      const n = b.readAt(fd, buf.subarray(got), buf.length - got, got);
      if (n <= 0) break;
      got += n;
    }
    b.close(fd);
    const rules = this.filter.merge(buf.subarray(0, got), index, base, inherited, inDest, above);
    if (Array.isArray(rules)) return rules;
    const problem = linked ? "not a filter rule blit knows (its text is not shown: the file is reached through a symbolic link)" : rules.problem;
    this.report.fail(`${quote(file)} line ${rules.line}: ${problem}; ${quote(dirPath)} ${unread}`, { op: "filter", path: file });
    return false;
  }

  /**
   * --dry-run: what an earlier operand's copy would have made the directory
   * at dstPath; undefined where none would have, and it is remembered as
   * made (from `stat`) from now on.
   */
  private wouldHaveMade(e: Place, stat: Stat): Stat | undefined {
    if (!this.o.dryRun || !this.o.mergesOperands) return undefined;
    const key = this.dryRunKey(e.dstPath, e.dstDir);
    const made = this.dryRunMade.get(key);
    if (made === undefined) this.dryRunMade.set(key, this.wouldBe(stat));
    return made;
  }

  /**
   * --dry-run: reportDirectoryChanges for a directory an earlier operand's
   * copy would have made (`made`), from the stats alone: the xattrs of
   * neither are read.
   */
  private reportWouldChange(e: Place, stat: Stat, made: Stat, complete: boolean): void {
    const differ = attributesDiffer(this.o, stat, made, this.b.attributes?.kept ?? 0, this.ownerRights);
    this.tellDirectoryChanges(e, alignedLetters(stat, made, differ, true), complete);
  }

  /** dstPath as its directory `dir` tells names apart: folded where it ignores case (or, not made yet, -1, may). */
  private dryRunKey(dstPath: Name, dir: number): string {
    const folding = this.b.caseFolding;
    return folding && (dir < 0 || folding.ignoresCase(dir)) ? folding.key(dstPath) : Buffer.from(dstPath).toString("latin1");
  }

  /** --dry-run: what makeDir would answer here, making nothing. */
  private wouldMakeDir(e: Place): number {
    const refused = this.b.refusesName?.(e.dstName) ?? 0;
    if (refused < 0) return refused;
    if (e.dstFresh || e.dstDir < 0) return 0;
    const st = this.b.stat(e.dstDir, e.dstName, false);
    if (typeof st !== "number") return -this.b.errno.EEXIST;
    return st === -this.b.errno.ENOENT ? 0 : st;
  }

  /**
   * A directory that cannot be read is still made, empty, with what is kept
   * of its attributes (read by name), as cp -a and rsync -a make it; its
   * error is already said. One that is there already gets them too, as cp
   * -a and rsync -a give them (by name, after checking it is a directory:
   * each call leaves a symlink there as it is).
   */
  private copyUnreadableDirectory(e: Place): void {
    const b = this.b;
    const st = b.stat(e.srcDir, e.srcName, e.follow);
    if (typeof st === "number" || typeOf(st.mode) !== S_IFDIR) return;
    const made = this.o.dryRun ? this.wouldMakeDir(e) : b.makeDir(e.dstDir, e.dstName, 0o700);
    if (made === -b.errno.EEXIST && !this.o.dryRun) {
      // By name, as the one made below is: each call leaves a symlink as it is, and one that is not a directory is left.
      const there = b.stat(e.dstDir, e.dstName, false);
      if (typeof there === "number" || typeOf(there.mode) !== S_IFDIR) return;
      const xattrs = this.meta.readXattrs({ dir: e.srcDir, name: e.srcName }, true, undefined, undefined, e.srcPath);
      const mode = this.o.preserve.mode ? this.meta.modeFor("dir", st, undefined, e.inheritedPermissions) : undefined;
      const target = { dir: e.dstDir, name: e.dstName };
      if (this.meta.apply(target, st, xattrs, e.dstPath, mode, true, undefined, this.dropsAcls(false, e.inheritedPermissions))) {
        this.meta.setAttributes(target, st, e.dstPath);
      }
      return;
    }
    if (made !== 0) {
      if (made !== -b.errno.EEXIST) this.report.fail(`cannot create directory ${quote(e.dstPath)}: ${this.why(-made)}`, { op: "create", path: e.dstPath, errno: -made });
      return;
    }
    this.report.count("directories");
    this.listed(e, undefined, "directory");
    if (this.o.dryRun) return;
    const xattrs = this.meta.readXattrs({ dir: e.srcDir, name: e.srcName }, true, undefined, undefined, e.srcPath);
    if (this.meta.apply({ dir: e.dstDir, name: e.dstName }, st, xattrs, e.dstPath, this.meta.modeFor("dir", st, undefined, e.inheritedPermissions), true, undefined, this.dropsAcls(false, e.inheritedPermissions))) {
      this.meta.setAttributes({ dir: e.dstDir, name: e.dstName }, st, e.dstPath);
    }
  }

  /**
   * --delete: what DEST has under e's name as another type (`isDir`: a
   * directory where e is not one) is removed to make way, as rsync's
   * mirror does, inside a directory this run copies (never an operand):
   * true when the name is free. Without --delete, as cp, nothing is.
   */
  private madeWay(e: Place & { operand?: boolean }, isDir: boolean, merged: FilterRule[] | undefined): boolean {
    if (!this.mayMakeWay(e)) return false;
    return this.pruner.makeWay(e.dstDir, e.dstName, e.dstPath, e.dstRel.subarray(e.dstRel.indexOf(SLASH) + 1), isDir, merged);
  }

  /** Whether madeWay would try: --delete, inside a directory this run copies. */
  private mayMakeWay(e: Place & { operand?: boolean }): boolean {
    return this.o.delete && !e.operand && e.dstDir >= 0 && e.dstRel.indexOf(SLASH) >= 0;
  }

  /** A share of a large directory's entries, handed out by the worker listing it. */
  runFiles(work: FilesWork): DirResult {
    const children: ChildWork[] = [];
    const waitingLinks: [Entry, number][] = [];
    if (!this.cancelled) this.copyEntries(work, work.names, children, waitingLinks);
    for (const [entry, slot] of waitingLinks) this.linkOrCopy(entry, slot);
    return { children, finish: undefined };
  }

  /**
   * --keep-directory-symlink: a symlink where a directory's copy goes is
   * followed, as cp follows it, but only to a directory inside the copy's
   * destination: below an operand's copy, inside that copy (DEST/SOURCE);
   * for the operand's copy itself, inside the target directory it is made
   * in (DEST; with --parents, DEST below which its directories are made).
   * One that leads out of it is refused (OUTSIDE), where cp
   * would write there. DEST named as the copy itself (-T) is the user's
   * own word and is followed as named. With --delete, the directories on
   * the way up are remembered (entered): none is removed as extra.
   */
  private followDirectorySymlink(e: Place): number {
    const b = this.b;
    const fd = b.openDir(e.dstDir, e.dstName, true);
    if (fd < 0) return fd;
    const target = b.fstat(fd);
    if (e.within === undefined && e.dstNamed === true) {
      if (typeof target !== "number") this.remember([target]);
      return fd;
    }
    const root = e.within ?? (e.parentsOf ? b.stat(b.cwd, e.parentsOf, true) : b.fstat(e.rootFd));
    if (typeof root === "number" || typeof target === "number") {
      b.close(fd);
      return OUTSIDE;
    }
    // The directory the symlink is in, or one above it (`D/s -> .`): the
    // copy would go into what holds it, and --delete would empty that.
    let above = false;
    this.walkUp(e.dstDir, (st) => (above = sameDir(st, target)) || sameDir(st, root));
    if (above) {
      b.close(fd);
      return ABOVE;
    }
    const way: Stat[] = [];
    const inside = this.walkUp(fd, (st) => sameDir(st, root) || (way.push(st), false));
    if (!inside) {
      b.close(fd);
      return OUTSIDE;
    }
    this.remember(way);
    return fd;
  }

  /** Directories a kept symlink led the copy into, and those above them inside DEST: --delete keeps them, hard links may be made in them. */
  private remember(way: Stat[]): void {
    const entered = this.entered;
    if (entered && !way.every((passed) => entered.add(passed.dev, passed.ino)) && entered.fullToBeSaid() && this.o.delete) {
      this.report.warn("too many directories entered through kept symlinks to tell apart: --delete removes no directory from here on");
    }
  }

  /**
   * Up from the directory open as `start` through "..", never through a
   * symlink, to "/" (its own parent): whether `stop` said so of one of the
   * directories met, `start` first.
   */
  private walkUp(start: number, stop: (st: Stat) => boolean): boolean {
    const b = this.b;
    let dir = start;
    let st = b.fstat(start);
    let stopped = false;
    while (typeof st !== "number") {
      if (stop(st)) {
        stopped = true;
        break;
      }
      const parent = b.openDir(dir, DOT_DOT, false);
      const up = parent < 0 ? parent : b.fstat(parent);
      if (dir !== start) b.close(dir);
      dir = start;
      if (typeof up === "number" || sameDir(up, st)) {
        if (parent >= 0) b.close(parent);
        break;
      }
      dir = parent;
      st = up;
    }
    if (dir !== start) b.close(dir);
    return stopped;
  }

  /** The rest of a directory's listing, after the subdirectories found before it (see CHILDREN_HELD). */
  runRest(work: FilesWork): DirResult {
    const children: ChildWork[] = [];
    const waitingLinks: [Entry, number][] = [];
    const listed = this.o.delete && !work.dstFresh ? new ListedNames() : undefined;
    while (!this.cancelled) {
      const next = this.nextChunk(work);
      const entries = typeof next === "number" ? next : next.entries;
      if (typeof entries === "number") {
        const place = { ...work, srcDir: work.srcFd, srcName: work.srcPath, dstDir: work.dstFd, dstName: work.dstPath, follow: false };
        if (!this.vanished(place, -entries)) this.report.fail(`cannot read directory ${quote(work.srcPath)}: ${this.why(-entries)}`, { op: "read", path: work.srcPath, errno: -entries });
        break;
      }
      if (entries.length === 0) break;
      const distinct = this.distinctNames(work, entries);
      if (distinct.length === 0) continue;
      const names = distinct.map((entry) => entry.name);
      listed?.add(names);
      if (this.spawn && this.othersHungry()) {
        this.spawn([...children.splice(0), { kind: "files", work: { ...work, names, seenNames: undefined } }]);
        continue;
      }
      this.copyEntries(work, names, children, waitingLinks, listedStats(distinct), typeof next === "number" ? undefined : next.walked);
      if (children.length >= CHILDREN_HELD) {
        children.push({ kind: "rest", work });
        break;
      }
    }
    for (const [entry, slot] of waitingLinks) this.linkOrCopy(entry, slot);
    return { children: this.descendHere(children, 0), finish: undefined, listed: listed?.take() };
  }

  /**
   * The entries of a chunk whose names the destination tells apart from
   * every other name of the directory: all of them, unless it ignores case.
   */
  private distinctNames(l: FilesWork, entries: DirEntry[]): DirEntry[] {
    const folding = this.b.caseFolding;
    if (l.seenNames === undefined || folding === undefined) return entries;
    return withoutCaseCollisions(entries, l.seenNames, folding, (name, earlier) => {
      const first = joinPath(l.dstPath, earlier, this.separator);
      const second = joinPath(l.srcPath, name, this.separator);
      this.report.fail(`will not overwrite just-created ${quote(first)} with ${quote(second)}: the names differ only by case, which ${quote(l.dstPath)} ignores`, {
        op: "overwrite",
        path: first,
      });
    });
  }

  /** Ranges of a large file another worker is copying. */
  runRange(work: SharedCopy): DirResult {
    this.report.counts.helpedRanges += work.compare ? this.comparer().help(work, () => this.cancelled) : this.data.help(work, this.cancel);
    return NONE;
  }

  /** Offers the rest of a large file to every other worker; those that are free join in. */
  private offerRanges(copy: SharedCopy): void {
    this.spawn?.(Array.from({ length: this.o.helpers }, (): ChildWork => ({ kind: "range", work: copy })));
  }

  private othersHungry(): boolean {
    return this.hungry !== undefined && Atomics.load(this.hungry, 0) > 0;
  }

  /**
   * Stats one chunk of a directory's entries at once (unless the listing
   * brought their stats, `listed`), then copies them; subdirectories go to `children`.
   */
  private copyEntries(l: FilesWork, chunk: Uint8Array[], children: ChildWork[], waitingLinks: [Entry, number][], chunkListed?: Stat[], walked?: ChunkLeft): void {
    this.onListed?.(chunk.length);
    // The directory below its SOURCE, for --exclude: dstRel without its first component.
    const slashAt = l.dstRel.indexOf(SLASH);
    const relDir = slashAt < 0 ? undefined : l.dstRel.subarray(slashAt + 1);
    const left = walked ?? this.leftByWalks(l, chunk, chunkListed, relDir);
    const { names, listed } = left;
    if (names.length === 0) return;
    // A listing's stats are of the entries themselves: not what -L wants.
    const stats: (Stat | number)[] = listed && !l.follow ? listed : this.b.statMany(l.srcFd, names, l.follow);
    // A file another name will be linked to is named by its path below the
    // copy: in a directory filled under a temporary name, it waits until the
    // chunk's other files are written and the directory is in place.
    // (Subdirectories wait too: each is made by its own task, once its
    // parent is in place, unstageForChildren.)
    const all = [...names.keys()];
    const linkedLater = l.staging?.live && this.o.preserve.links
      ? all.filter((i) => { const st = stats[i]!; return typeof st !== "number" && typeOf(st.mode) !== S_IFDIR && (st.nlink > 1 || l.follow); })
      : [];
    const later = new Set(linkedLater);
    const passes = later.size === 0 ? [all] : [all.filter((i) => !later.has(i)), linkedLater];
    // What is there already, looked at in one batch too (in a directory that was there).
    const there = l.dstFresh || left.directoriesOnly ? undefined : (left.there ?? this.b.statMany(l.dstFd, names, false));
    const listSizes = there && this.leavesUnchanged ? this.xattrListSizes(l, names, left.thereXattrSizes) : undefined;
    const quick = there && this.decidesFromStats(l, listSizes) ? there : undefined;
    const small: Entry[] = [];
    // -x: the device of the directory listed; a directory on another one is made, not entered.
    let listedDev: number | undefined;
    if (this.o.oneFileSystem) {
      const st = this.b.fstat(l.srcFd);
      if (typeof st !== "number") listedDev = st.dev;
    }
    // A signal or --fail-fast's first error: the rest of the chunk is not started.
    const sidecars = this.b.sidecars;
    for (const [p, pass] of passes.entries()) {
      if (p > 0 && l.staging?.live && !this.placeMidChunk(l, l.staging, small, waitingLinks, children)) return;
      for (const i of pass) {
        if (this.cancelled) break;
        const name = names[i]!;
        const childStat = stats[i]!;
        // Another entry's xattrs, which its own copy carries (macOS's ._NAME on FAT).
        if (sidecars?.holds(l.srcFd, name)) continue;
        let excluded: boolean | undefined;
        if (quick && typeof childStat !== "number" && this.unchangedAsStatted(childStat, quick[i]!, listSizes && { src: listSizes.src[i]!, dst: listSizes.dst[i]! })) {
          excluded = this.excludesFile(l, relDir, name);
          if (!excluded) {
            this.countUnchanged(1, childStat.size);
            continue;
          }
        }
        const child: Place = {
          srcDir: l.srcFd,
          srcName: name,
          dstDir: l.dstFd,
          dstName: name,
          srcPath: joinPath(l.srcPath, name, this.separator),
          dstPath: joinPath(l.dstPath, name, this.separator),
          rootFd: l.rootFd,
          dstRel: joinPath(l.dstRel, name),
          follow: l.follow,
          dstFresh: l.dstFresh,
          dstDev: l.dstDev,
          newGid: l.newGid,
          inheritedPermissions: l.inheritedPermissions,
          appendOnly: l.appendOnly,
          merged: l.merged,
          within: l.within,
        };
        if (typeof childStat === "number") {
          if (!this.vanished(child, -childStat)) this.report.fail(`cannot stat ${quote(child.srcPath)}: ${this.why(-childStat)}`, { op: "stat", path: child.srcPath, errno: -childStat });
          continue;
        }
        if (excluded ?? (!this.filter.empty && this.filter.excludes(relDir ? joinPath(relDir, name) : name, typeOf(childStat.mode) === S_IFDIR, l.merged))) {
          this.report.counts.excluded++;
          this.skipped({ ...child, stat: childStat }, "excluded");
          continue;
        }
        if (typeOf(childStat.mode) === S_IFDIR) {
          if (listedDev !== undefined && childStat.dev !== listedDev) {
            // As cp -x: a mount point is copied as an empty directory, with its metadata.
            // Made at once, so in place: a staged directory never holds one.
            if (l.staging?.live) {
              if (!this.placeMidChunk(l, l.staging, small, waitingLinks, children)) return;
              child.dstDir = l.dstFd;
            }
            const mountPoint = this.copyDirectory(child, { dev: childStat.dev, ino: childStat.ino }, l.ancestors, false, l.merged);
            if (mountPoint.finish) this.finishDirectory(mountPoint.finish);
            continue;
          }
          children.push({
            kind: "dir",
            work: {
              srcParent: l.srcFd,
              dstParent: l.dstFd,
              srcName: name,
              dstName: name,
              srcPath: child.srcPath,
              dstPath: child.dstPath,
              rootFd: l.rootFd,
              dstRel: child.dstRel,
              expectDev: childStat.dev,
              expectIno: childStat.ino,
              dstFresh: l.dstFresh,
              dstDev: l.dstDev,
              newGid: l.newGid,
              inheritedPermissions: l.inheritedPermissions,
              appendOnly: l.appendOnly,
              ancestors: l.ancestors,
              merged: l.merged,
              within: l.within,
            },
          });
          continue;
        }
        const entry: Entry = { ...child, stat: childStat, ...(there && { dstStat: there[i]! }), ...(listSizes && { xattrListSizes: { src: listSizes.src[i]!, dst: listSizes.dst[i]! } }) };
        if (this.readsWhole(entry)) small.push(entry);
        else this.copyHereOrLeave(entry, waitingLinks);
      }
    }
    this.copySmallFiles(small, waitingLinks);
    const forWorkers = this.leftHere;
    this.leftHere = undefined;
    if (forWorkers) this.leaveForWorkers(l, forWorkers, children);
  }

  /** Names of the chunk being copied on the main thread that it leaves to the workers. */
  private leftHere: Name[] | undefined;

  /**
   * A file below a directory operand: on the main thread, one it would hand
   * back (a large file that does not clone, one of a hard-link group) is
   * left, untouched, for a worker to copy in that directory (leaveForWorkers).
   */
  private copyHereOrLeave(e: Entry, waitingLinks: [Entry, number][]): void {
    if (!this.inline) {
      this.copyNonDirectory(e, waitingLinks);
      return;
    }
    this.handedBack = false;
    this.copyNonDirectory(e, waitingLinks);
    if (!this.handedBack) return;
    this.handedBack = false;
    (this.leftHere ??= []).push(e.srcName);
  }

  /**
   * Files of directory `l` for a worker, as a "files" child: the only kind
   * the main thread makes, as it shares nothing out (no spawn). A directory
   * filled under a temporary name goes into place first: the worker writes
   * in it as in any other, under temporary names.
   */
  private leaveForWorkers(l: FilesWork, names: Name[], children: ChildWork[]): void {
    if (l.staging?.live) {
      this.unstageForChildren(l.staging, l, children);
      if (l.staging.failed) return;
    }
    // First among the chunk's children, as a worker copies a directory's files before going below it.
    children.unshift({ kind: "files", work: { ...l, names, seenNames: undefined, staging: undefined } });
  }

  /**
   * --skip-unchanged by size and mtime: whether a chunk's files can be found
   * unchanged, with nothing to set, from the two stats and the xattr list
   * sizes alone (unchangedAsStatted). Not where leaving one does more than
   * count it (countsUnchangedFromStats), nor where reached through links
   * (-L); nor where the xattrs kept cannot be told absent by their sizes.
   */
  private decidesFromStats(l: FilesWork, listSizes: { src: number[]; dst: number[] } | undefined): boolean {
    return this.countsFromStats(l) && (listSizes !== undefined || !this.meta.readsXattrs);
  }

  private countsFromStats(l: FilesWork): boolean {
    return countsUnchangedFromStats(this.o) && !l.follow && !this.inline;
  }

  /**
   * The names of a chunk (with their listed stats, and what DEST holds
   * under each) left once the files that SOURCE's walk showed unchanged are
   * counted, where the walk kept this directory (ReadAheadCapability.walked):
   * on a second run most are, and are not statted again. SOURCE's stat is
   * as old as the walk's visit, as rsync's list of files is made before it
   * copies. DEST's is its walk's where that listed the directory moments
   * ago (DEST_WALK_MAX_AGE_MS), otherwise taken now, as rsync's generator
   * looks at each file when it gets to it.
   */
  private leftByWalks(l: FilesWork, names: Name[], listed: Stat[] | undefined, relDir: Name | undefined): ChunkLeft {
    const ahead = this.b.readAhead;
    const sizesAt = this.b.xattrs?.listSizesAt;
    const readsXattrs = this.meta.readsXattrs;
    if (!ahead?.walked || l.dstFresh || !this.countsFromStats(l) || (readsXattrs && !sizesAt)) return { names, listed };
    const walked = ahead.walked(l.srcFd, names, readsXattrs);
    if (!walked) return { names, listed };
    const recent = ahead.walked(l.dstFd, names, readsXattrs, DEST_WALK_MAX_AGE_MS);
    const there = recent ? undefined : this.b.statMany(l.dstFd, names, false);
    const thereSizes = recent || !readsXattrs ? undefined : sizesAt!.call(this.b.xattrs, l.dstFd, names);
    const kept: number[] = [];
    for (let i = 0; i < names.length; i++) {
      const mine = walked[i];
      const theirs = recent ? recent[i]?.stat : there![i];
      const theirSize = recent ? (recent[i]?.xattrListSize ?? -1) : (thereSizes?.[i] ?? -1);
      const sizes = readsXattrs && mine ? { src: mine.xattrListSize, dst: theirSize } : undefined;
      if (mine && theirs !== undefined && this.unchangedAsStatted(mine.stat, theirs, sizes) && !this.excludesFile(l, relDir, names[i]!)) this.countUnchanged(1, mine.stat.size);
      else kept.push(i);
    }
    const pick = <T>(all: T[]) => kept.map((i) => all[i]!);
    // Most chunks of a second run keep only their subdirectories, whose DEST
    // entries are not looked at here (copyDirectory stats what it meets).
    // SOURCE's are statted again all the same: one made anew since its walk
    // went by is entered as it is now.
    const directoriesOnly = kept.length > 0 && kept.every((i) => walked[i] !== undefined && typeOf(walked[i]!.stat.mode) === S_IFDIR);
    return { names: pick(names), listed: listed && pick(listed), there: there && pick(there), thereXattrSizes: thereSizes && pick(thereSizes), directoriesOnly };
  }

  /**
   * The next chunk of a directory's listing, as readDir gives it ([] at its
   * end). On a second run (listUnchanged), the files the backend finds the
   * same on both sides, from the walks' listings or statted as they are
   * listed, are counted unchanged there and only the rest come back, with
   * what copyEntries then needs not look up (`walked`). Where leaving a
   * file does no more than count it and its stats alone decide
   * (countsFromStats), and nothing needs every name: not --delete, a
   * filter, a destination that ignores case or a backend with sidecar
   * files.
   */
  private nextChunk(l: FilesWork): { entries: DirEntry[]; walked?: ChunkLeft } | number {
    const ahead = this.b.readAhead;
    const decides = ahead?.listUnchanged !== undefined && !l.dstFresh && this.countsFromStats(l) && !this.o.delete && this.filter.empty &&
      l.seenNames === undefined && this.b.sidecars === undefined;
    while (decides && !this.cancelled) {
      const chunk = ahead.listUnchanged!(l.srcFd, l.dstFd, this.meta.readsXattrs, DEST_WALK_MAX_AGE_MS);
      if (chunk === undefined) break;
      if (typeof chunk === "number") return chunk;
      // Not counted as listed (onListed paces the garbage collections): none of them made an object.
      if (chunk.same > 0) this.countUnchanged(chunk.same, chunk.sameBytes);
      if (chunk.listed === 0 || chunk.rest.length > 0) {
        // DEST's subdirectories are statted as they are met, as leftByWalks leaves them.
        const walked = { names: chunk.rest, listed: undefined, directoriesOnly: chunk.restDirectoriesOnly };
        return { entries: chunk.rest.map((name) => ({ name })), walked };
      }
    }
    const entries = this.b.readDir(l.srcFd);
    return typeof entries === "number" ? entries : { entries };
  }

  /** What leaveUnchanged would find of n regular files of `bytes` in all, found without building their entries: on a second run most are so. */
  private countUnchanged(n: number, bytes: number): void {
    this.report.counts.unchanged += n;
    this.report.skippedEntries(n, bytes);
  }

  /** --exclude: whether the file `name` in the directory l is left out. */
  private excludesFile(l: FilesWork, relDir: Name | undefined, name: Name): boolean {
    return !this.filter.empty && this.filter.excludes(relDir ? joinPath(relDir, name) : name, false, l.merged);
  }

  /**
   * A regular file that copyNonDirectory would leave as unchanged, with no
   * attribute to align (leaveUnchanged): one name on each side, two inodes,
   * rsync's quick check passed, the attributes the options keep the same
   * (the same tests alignAttributes makes), and no xattrs on either side
   * (`xattrSizes`, where they are kept). Any other case takes the whole
   * way, which decides it the same.
   */
  private unchangedAsStatted(src: Stat, there: Stat | number, xattrSizes: { src: number; dst: number } | undefined): boolean {
    if (typeof there === "number" || typeOf(src.mode) !== S_IFREG || typeOf(there.mode) !== S_IFREG) return false;
    if (src.nlink !== 1 || there.nlink !== 1 || (src.dev === there.dev && src.ino === there.ino)) return false;
    if (xattrSizes && (xattrSizes.src !== 0 || xattrSizes.dst !== 0)) return false;
    if (!quickCheck(src, there, this.o.modifyWindow)) return false;
    const differ = attributesDiffer(this.o, src, there, this.b.attributes?.kept ?? 0, this.ownerRights);
    return !differ.owner && !differ.mode && !differ.times && !differ.word;
  }

  /**
   * --skip-unchanged, --checksum: the sizes of each name's xattr list on
   * both sides, in one call each, where the backend has the call and xattrs
   * are kept. Not under -L, whose sources are what links lead to.
   */
  private xattrListSizes(l: FilesWork, names: Name[], dstKnown?: number[]): { src: number[]; dst: number[] } | undefined {
    const sizesAt = this.b.xattrs?.listSizesAt;
    if (!sizesAt || l.follow || !this.meta.readsXattrs) return undefined;
    return { src: sizesAt.call(this.b.xattrs, l.srcFd, names), dst: dstKnown ?? sizesAt.call(this.b.xattrs, l.dstFd, names) };
  }

  /**
   * A directory that was there, read-only to its owner (this user, not
   * root, who needs no write bit): made writable so that it can be filled
   * and pruned, as rsync makes it (cp fails instead); finishDirectory puts
   * its mode back, or sets SOURCE's. The mode it had, or undefined.
   */
  private unlocked(dstFd: number, st: Stat): number | undefined {
    const modes = this.b.modes;
    if (this.o.dryRun || this.euid === 0 || !modes || (st.mode & 0o200) !== 0 || st.uid !== this.euid) return undefined;
    const mode = st.mode & 0o7777;
    return modes.chmodFd(dstFd, mode | 0o200) === 0 ? mode : undefined;
  }

  /**
   * A directory that was there, which its owner (this user, not root) may
   * write and search but not read (0333, 0300): lent read too, so that it
   * can be opened and filled, as unlocked lends write; finishDirectory
   * puts its mode back, or sets SOURCE's. cp fills one by name, which
   * blit's descriptors cannot. The mode it had, or undefined.
   */
  private lentOwnerAccess(e: Place): number | undefined {
    const modes = this.b.modes;
    if (this.o.dryRun || this.euid === 0 || !modes) return undefined;
    const st = this.b.stat(e.dstDir, e.dstName, false);
    if (typeof st === "number" || typeOf(st.mode) !== S_IFDIR || st.uid !== this.euid || (st.mode & 0o700) !== 0o300) return undefined;
    const mode = st.mode & 0o7777;
    return modes.chmodAt(e.dstDir, e.dstName, mode | 0o400) === 0 ? mode : undefined;
  }

  /** Applies a directory's metadata once everything inside it is written, then closes it. */
  finishDirectory(f: DirFinish): void {
    const b = this.b;
    const { preserve } = this.o;
    const st = f.stat;
    if (f.staging) {
      if (f.staging.live) this.unstage(f.staging);
      f.dstFd = f.staging.fd;
    }
    // --delete: before its times are set, which removing entries would change.
    if (this.o.delete && !f.created && f.descended && !f.incomplete && !f.otherFilesystem && !this.cancelled) {
      const slash = f.dstRel.indexOf(SLASH);
      this.pruner.prune(f.srcFd, f.dstFd, f.srcPath, f.dstPath, slash < 0 ? undefined : f.dstRel.subarray(slash + 1), f.merged, f.listed);
    }
    // Made writable to be filled and pruned: its own mode back, unless SOURCE's is set below.
    if (f.unlockedMode !== undefined && !preserve.mode) b.modes?.chmodFd(f.dstFd, f.unlockedMode);
    if (this.o.dryRun) {
      b.close(f.srcFd);
      if (f.dstFd >= 0) b.close(f.dstFd);
      return;
    }
    // A directory whose copy was cut short keeps its mode but not the times
    // that would make it look complete.
    const complete = !(this.cancelled || f.incomplete);
    if (this.leavesUnchanged && !f.created && this.alignDirectory(f, complete)) {
      b.close(f.srcFd);
      b.close(f.dstFd);
      return;
    }
    const xattrs = this.meta.readXattrs({ fd: f.srcFd }, true, undefined, undefined, f.srcPath);
    // --delete without --skip-unchanged (which aligns it above): a directory that was there too.
    if (!f.created && this.mirrorsXattrs) this.removeStaleXattrs({ fd: f.dstFd }, xattrs, f.dstPath);
    // An existing directory keeps its mode unless modes are preserved.
    let mode = preserve.mode || f.created ? this.meta.modeFor("dir", st, undefined, f.inheritedPermissions) : undefined;
    const now = b.fstat(f.dstFd);
    // SOURCE's mode adds to the setuid and setgid bits the directory has
    // (inherited from a setgid parent, or there before: dirKeptBits).
    // Without the mode kept, a new one is as mkdir made it: setgid only as inherited.
    const kept = preserve.mode ? dirKeptBits(st.mode) : S_ISGID;
    if (typeof now !== "number" && mode !== undefined) mode |= now.mode & kept;
    // What it has already is not set again: one made here too, whose setgid
    // bit, inherited from a setgid parent, a chmod by a user outside the
    // directory's group would take off (the kernel's rule), as cp's keeps it.
    const had = typeof now !== "number" ? { mode: now.mode & 0o7777, uid: now.uid, gid: now.gid } : undefined;
    if (this.meta.apply({ fd: f.dstFd }, st, xattrs, f.dstPath, mode, complete, had, this.dropsAcls(!f.created, f.inheritedPermissions)) && complete) this.meta.setAttributes({ fd: f.dstFd }, st, f.dstPath);
    b.close(f.srcFd);
    b.close(f.dstFd);
  }

  /**
   * Removes temporary files that a blit process which has since died left
   * here, anywhere in the listing: dstDir, just opened, is read to its end
   * (nothing else lists through it). A dry run removes nothing.
   *
   * Gone means no process of its pid runs here, and, where the backend can
   * tell (inUse), no process holds the file either: a run in another PID
   * namespace (a retried CI job in a new container) has pids this one
   * cannot see, and its files, held while written, are left to it.
   *
   * A name `copied` says SOURCE has too (a file of SOURCE's named like a
   * temporary file) is left: it is the copy of that file, which this run
   * replaces or, found unchanged, keeps.
   */
  private removeLeftovers(dstDir: number, once: boolean, copied: (name: Name) => boolean): void {
    const b = this.b;
    if (this.o.dryRun) return;
    if (once) {
      if (this.cleanedParents.has(dstDir)) return;
      this.cleanedParents.add(dstDir);
    }
    // A walk of DEST (a second run) that listed the directory whole and saw
    // no temporary name: none is from a run that died (one dead since is
    // the next run's to remove), and it is not listed again.
    if (b.readAhead?.walkedHolds?.(dstDir, TEMP_PREFIX) === false) return;
    const held = b.inUse && ((name: Name) => b.inUse!(dstDir, name));
    for (;;) {
      const entries = b.readDir(dstDir);
      if (typeof entries === "number" || entries.length === 0) return;
      for (const { name } of entries) {
        // copied() may stat SOURCE: asked only of a leftover's name.
        if (isLeftover(name, this.o.runId, held) && !copied(name)) removeLeftover(b, dstDir, name);
      }
    }
  }

  // ------------------------------------------------------------ small files, in batches

  /**
   * Whether a file can take the batched path: regular, small, going into a
   * directory this run created (so nothing is in the way), not part of a
   * hard-link group, and not one that could be cloned instead.
   */
  private readsWhole(e: Entry): boolean {
    const o = this.o;
    return typeOf(e.stat.mode) === S_IFREG && e.stat.size <= SMALL_FILE && e.dstFresh && !o.dryRun && !o.inplace && !o.link && !o.symbolicLink && !o.attributesOnly &&
      !this.linkable(e) && o.reflink !== "always" &&
      (o.reflink === "never" || this.data.cloneUnsupported(e.stat.dev, e.dstDev)) &&
      // Fewer blocks than bytes: holes to keep, the extent path's job; zeros
      // to make holes of (--sparse=always), the data copier's.
      o.sparse !== "always" && !(o.sparse !== "never" && e.stat.blocks * 512 < e.stat.size);
  }

  /**
   * A staged directory put in place part way through a chunk, once the small
   * files batched so far are written: false where it could not be (said), and
   * then nothing more goes into it, nor is left for a worker to put there.
   */
  private placeMidChunk(l: FilesWork, staging: Staging, small: Entry[], waitingLinks: [Entry, number][], children: ChildWork[]): boolean {
    this.copySmallFiles(small.splice(0), waitingLinks);
    this.unstageForChildren(staging, l, children);
    if (!staging.failed) return true;
    this.leftHere = undefined;
    return false;
  }

  /**
   * Opens and reads many small files at once (cold data in parallel),
   * writing each as its read completes while the others are still read.
   */
  private copySmallFiles(entries: Entry[], waitingLinks: [Entry, number][]): void {
    const { bufferSize } = this.o;
    const E = this.b.errno;
    let start = 0;
    while (start < entries.length && !this.cancelled) {
      const maxInFlight = this.batchLimit;
      let end = start;
      let bytes = 0;
      while (end < entries.length && end - start < maxInFlight && (end === start || bytes + entries[end]!.stat.size <= bufferSize)) {
        bytes += entries[end]!.stat.size + 1;
        end++;
      }
      const batch = entries.slice(start, end);
      this.report.live?.current(batch[0]!.srcPath);
      // Changed or replaced since they were listed (a directory now reads
      // as EISDIR), or failed: the general path opens them again, once the
      // batch is done, judges what it finds and reads them to their end. A
      // batch's failure does not say whether the open or the read failed;
      // the general path's says it in cp's words (`error reading`).
      const again: Entry[] = [];
      // Out of descriptors (a tree deep enough that its open directories
      // take most of the limit): those files go by the general path, one at
      // a time, and the batches after this one are smaller.
      let outOfFiles = false;
      this.b.readMany(batch[0]!.srcDir, batch.map((e) => ({ name: e.srcName, size: e.stat.size })), batch[0]!.follow, (i, r) => {
        const e = batch[i]!;
        if (typeof r === "number") {
          outOfFiles ||= r === -E.EMFILE || r === -E.ENFILE;
          if (!this.cancelled) again.push(e);
        } else if (this.cancelled || r.data.length !== e.stat.size || !this.readAsListed(r.fd, e.stat) || (this.o.failFast && again.length > 0)) {
          // --fail-fast: none is written after one to go again, which may
          // fail: if it does, its error is the first said and the run stops there.
          this.b.close(r.fd);
          if (!this.cancelled) again.push(e);
        } else if (!this.writeSmall(e, r)) {
          outOfFiles = true;
          if (!this.cancelled) again.push(e);
        }
      });
      if (outOfFiles) this.batchLimit = Math.max(1, Math.floor(batch.length / 2));
      for (const e of again) if (!this.cancelled) this.copyHereOrLeave(e, waitingLinks);
      start = end;
    }
  }

  /**
   * Whether a file read whole is the inode listed, unchanged after the read:
   * its copy gets the listing's attributes, which must be its bytes' own (a
   * file renamed over the name meanwhile has a mode and owner of its own),
   * and a write during the read would have torn the copy.
   */
  private readAsListed(fd: number, listed: Stat): boolean {
    const st = this.b.fstat(fd);
    return typeof st !== "number" && st.ino === listed.ino && st.dev === listed.dev && st.size === listed.size &&
      st.mtimeSec === listed.mtimeSec && st.mtimeNsec === listed.mtimeNsec;
  }

  /** Writes a file read whole: false, nothing made, where no descriptor was left to create it with (the general path copies it later). */
  private writeSmall(e: Entry, { fd: srcFd, data, method }: ReadFile): boolean {
    const b = this.b;
    // In a directory filled under a temporary name, the file's own name is as unseen as a temporary one.
    const direct = this.staged?.live === true && this.staged.fd === e.dstDir;
    const temp = direct ? e.dstName : this.temps.next(e.dstDir);
    const mode = this.meta.modeFor("file", e.stat, undefined, e.inheritedPermissions);
    const createMode = this.createMode(mode, e.inheritedPermissions);
    const dstFd = b.createFile(e.dstDir, temp, createMode);
    if (dstFd === -b.errno.EMFILE || dstFd === -b.errno.ENFILE) {
      b.close(srcFd);
      return false;
    }
    if (dstFd < 0) {
      b.close(srcFd);
      this.report.fail(`cannot create regular file ${quote(e.dstPath)}: ${this.why(-dstFd)}`, { op: "create", path: e.dstPath, errno: -dstFd });
      return true;
    }
    const fail = (message: Notice | undefined) => {
      b.close(srcFd);
      b.close(dstFd);
      b.remove(e.dstDir, temp, false);
      if (message) this.report.fail(message.message, message);
      return true;
    };
    const w = writeFully(b, dstFd, data, 0, data.length, 0);
    if (w < 0) return fail({ message: `error writing ${quote(e.dstPath)}: ${this.why(-w)}`, op: "write", path: e.dstPath, errno: -w });
    const wrong = this.o.verify ? this.verified(e, srcFd, dstFd, temp, data.length) : undefined;
    if (wrong !== undefined) return fail(wrong === false ? undefined : wrong);
    const xattrs = this.meta.readXattrs({ fd: srcFd }, true, undefined, undefined, e.srcPath);
    const created = { mode: createMode & ~this.o.umask, uid: this.euid, gid: e.newGid };
    // An attribute that could not be set is reported; the data is kept, as cp keeps it.
    this.meta.apply({ fd: dstFd }, e.stat, xattrs, e.dstPath, mode, true, created, this.dropsAcls(false, e.inheritedPermissions));
    b.close(srcFd);
    if (!this.closedWhole(e, dstFd, temp)) return true;
    if (direct) this.meta.setAttributes({ dir: e.dstDir, name: e.dstName }, e.stat, e.dstPath);
    else if (!this.commit(e, temp, "regular file")) return true;
    this.report.fileCopied(data.length, method);
    this.listed(e, { method, batched: true, bytes: data.length });
    return true;
  }

  /** A hard-link group's first copy: its identity, from the file made, for the link table (firstCopyAt). */
  private noteCopyIdentity(e: Entry, dstFd: number): void {
    if (!e.firstOfGroup) return;
    const st = this.b.fstat(dstFd);
    if (typeof st !== "number") e.copyIdentity = { dev: st.dev, ino: st.ino };
  }

  /**
   * Closes a copy's descriptor: false, said as cp says it, when the close
   * reports a write that failed (a network filesystem's write-back), and
   * then the temporary file goes, never renamed into place.
   */
  private closedWhole(e: Entry, dstFd: number, temp: Name | undefined): boolean {
    this.noteCopyIdentity(e, dstFd);
    const ours = !temp && e.backupName !== undefined ? this.b.fstat(dstFd) : undefined;
    const r = this.b.close(dstFd);
    if (r >= 0) return true;
    this.report.dropPartial();
    if (temp) this.b.remove(e.dstDir, temp, false);
    this.report.fail(`failed to close ${quote(e.dstPath)}: ${this.why(-r)}`, { op: "close", path: e.dstPath, errno: -r });
    // --inplace -b: what may not have reached the disk is not kept over the old file.
    if (ours !== undefined) this.restoreBackup(e, ours);
    return false;
  }

  /**
   * Whether ACLs SOURCE lacks are removed from what is written: those a new
   * entry inherited (`inherited`: its directory has a default ACL), and with
   * -p those of one that was there (`there`), as cp -p replaces them.
   */
  private dropsAcls(there: boolean, inherited: number | undefined): boolean {
    return there ? this.o.preserve.mode : inherited !== undefined;
  }

  /**
   * The mode to create a file with in a directory this run made: its final
   * mode when the umask leaves that whole and it has no set-id bits (which a
   * later chown would clear), so no chmod is needed; else owner-only, as
   * where the directory has a default ACL (inherited: what it allows).
   * Also owner-only when xattrs are kept and the final mode is not
   * writable by its owner: setting one needs write permission on the file
   * itself (not just the open descriptor), and cp creates it writable too.
   */
  private createMode(mode: number, inherited: number | undefined): number {
    const xattrsBlocked = this.meta.readsXattrs && (mode & 0o200) === 0;
    // A default ACL, not the umask, decides what a new file gets (it was made here with one inherited).
    return inherited === undefined && (mode & ~this.o.umask) === mode && (mode & 0o7000) === 0 && !xattrsBlocked ? mode : 0o600;
  }

  // ------------------------------------------------------------ everything else

  /**
   * Whether e may share its inode with another entry of the copy, which
   * --preserve=links then links to it: it has other names, or it was reached
   * by following a symlink (-L, or an operand under -H or without -r), which
   * can lead to one file twice. cp remembers the same files.
   */
  private linkable(e: Entry): boolean {
    return this.o.preserve.links && (e.stat.nlink > 1 || e.follow);
  }

  /** Checks what is at the destination, claims hard-link groups, then copies. */
  private copyNonDirectory(e: Entry, waitingLinks: [Entry, number][]): void {
    const b = this.b;
    let existing: Stat | undefined;
    if (e.justCreated && this.o.dryRun && typeof (e.dstStat ?? b.stat(e.dstDir, e.dstName, false)) === "number") {
      this.wouldMeetJustCreated(e);
      return;
    }
    if (this.o.dryRun && this.o.mergesOperands && this.wouldMeetEarlier(e)) return;
    if (!e.dstFresh) {
      const st = e.dstStat ?? b.stat(e.dstDir, e.dstName, false);
      if (typeof st !== "number") {
        // -u: as cp, checked before the directory in the way, after the same file.
        const keep = this.keepsNewer(e, st);
        if (typeOf(st.mode) === S_IFDIR) {
          // -n: what is there stays, a directory too, without a word (cp 9.1).
          if (keep || this.o.noClobber) {
            this.skipped(e, keep ? "newer" : "exists");
            return;
          }
          if (!this.confirmed(e, st)) {
            this.declined(e);
            return;
          }
          if (this.madeWay(e, true, e.merged)) {
            e.dstStat = -b.errno.ENOENT;
            this.copyNonDirectory(e, waitingLinks);
            return;
          }
          this.report.fail(`cannot overwrite directory ${quote(e.dstPath)} with non-directory`, { op: "overwrite", path: e.dstPath });
          return;
        }
        if (this.o.noClobber) {
          this.skipped(e, "exists");
          return;
        }
        // cp's same-file rule: refused, nothing to do (the link there
        // already, two names of one symlink), or on (a backup keeps it).
        const same = this.sameFile(e, st);
        // What is replaced, for the listing: also by a link to the first copy where it was left (-u, unchanged).
        e.was = st;
        // --skip-unchanged, --checksum: DEST a hard link of SOURCE (a snapshot
        // made with cp -al) is unchanged by definition, as rsync finds it;
        // a symlink too, which cp's rule leaves as nothing to do, unsaid.
        const hardLinked = (same === "same" || (same === "done" && typeOf(st.mode) === S_IFLNK)) && this.leavesUnchanged && st.ino === e.stat.ino && st.dev === e.stat.dev && !this.sameName(e);
        if (hardLinked && this.holdsSourceData(e, st)) {
          this.keptByUpdate(e, st, waitingLinks, () => this.leaveUnchanged(e, st));
          return;
        }
        if (same === "same") {
          this.report.fail(`${quote(e.srcPath)} and ${quote(e.dstPath)} are the same file`, { op: "compare", path: e.srcPath });
          return;
        }
        if (same === "done") return;
        if (keep) {
          // Whether another name of it was left for another SOURCE file is for the workers' link table.
          if (this.inline && this.leavesUnchanged && this.o.preserve.links && st.nlink > 1) {
            this.handBack();
            return;
          }
          // -u with --skip-unchanged or --checksum: one of SOURCE's mtime
          // holding its data is left as unchanged, its attributes set, as
          // rsync -u sets them; a newer one stays as it is.
          const unchanged = this.leavesUnchanged && sameTimes(e.stat, st, this.o.modifyWindow) && this.holdsSourceData(e, st) && !this.leftForAnother(e, st);
          this.keptByUpdate(e, st, waitingLinks, unchanged ? () => this.leaveUnchanged(e, st) : undefined);
          return;
        }
        // A large file's contents are compared by the workers, who share its ranges.
        const compared = this.leavesUnchanged && this.o.checksum && typeOf(e.stat.mode) === S_IFREG && e.stat.size === st.size;
        if (this.inline && compared && st.size > this.inline.maxBytes) {
          this.handBack();
          return;
        }
        const unchanged = this.leavesUnchanged && this.holdsSourceData(e, st);
        // Left, or written into (--inplace), the file there stands for SOURCE's: not if another SOURCE file has it already.
        const claims = unchanged || (this.leavesUnchanged && this.o.inplace);
        // Whether another name of it was left or written for another SOURCE file is for the workers' link table.
        if (claims && this.inline && this.o.preserve.links && st.nlink > 1) {
          this.handBack();
          return;
        }
        const another = claims && this.leftForAnother(e, st);
        if (unchanged && !another) {
          this.keptByUpdate(e, st, waitingLinks, () => this.leaveUnchanged(e, st));
          return;
        }
        // Written into, it would still be the other name's file.
        if (another && this.o.inplace) e.removeFirst = true;
        if (another && unchanged) e.sameData = true;
        // Read now: the entry is about to go.
        if (this.o.listItems && typeOf(st.mode) === typeOf(e.stat.mode)) e.xattrsChanged = this.xattrLetters(e, st);
        // A comparison cut short by a cancel proves nothing: what is there stays as it was (--inplace would truncate it).
        if (this.cancelled) return;
        if (!this.confirmed(e, st)) {
          this.declined(e);
          return;
        }
        if (e.justCreated) {
          this.refuseOverJustCreated(e, st);
          return;
        }
        if (this.o.backup !== "none" && !e.noBackup) {
          // As cp: SOURCE is DEST's simple backup by name and inode, which the backup would replace.
          if (this.destroysSource(e)) {
            this.report.fail(`backing up ${quote(e.dstPath)} might destroy source;  ${quote(e.srcPath)} not copied`, { path: e.dstPath });
            return;
          }
          // What is there is moved aside, not replaced, written into or in the way.
          e.backs = true;
        }
        // --attributes-only: as cp, a symlink, fifo or device is not made over what is there
        // unless it is removed first (--remove-destination; a symlink also with -f).
        const type = typeOf(e.stat.mode);
        const made = type === S_IFLNK || (type !== S_IFREG && !this.o.readSpecialFiles);
        if (this.o.attributesOnly && made && !e.backs && !this.o.link && !this.o.symbolicLink && !this.o.removeDestination && !(this.o.force && type === S_IFLNK)) {
          const what = type === S_IFLNK ? "symbolic link" : type === S_IFIFO ? "fifo" : "special file";
          this.report.fail(`cannot create ${what} ${quote(e.dstPath)}: ${this.why(b.errno.EEXIST)}`, { op: "create", path: e.dstPath, errno: b.errno.EEXIST });
          return;
        }
        // -l, -s: cp 9.1 removes what is there first, as it would before a
        // copy, when symlinks are not followed and SOURCE is no regular file
        // (`cp -dl sl1 sl2`), or when hard links are kept and DEST has other
        // names when it is reached (not as listed: an earlier entry's copy may
        // have removed them).
        const linkRemoves = (this.o.link || this.o.symbolicLink) && !e.backs && !this.o.attributesOnly &&
          ((!e.follow && type !== S_IFREG) || (this.o.preserve.links && st.nlink > 1 && this.hasOtherNames(e, st, false)));
        // -l: cp links only where nothing is, unless told to remove what is there
        // (-l -i: a yes says so too; -s -i: not, as cp 9.1).
        const replaces = this.o.force || this.o.removeDestination || e.backs || linkRemoves || (this.o.link && this.o.interactive);
        if ((this.o.link || this.o.symbolicLink) && !replaces) {
          // -s with links kept: another name of a file whose first name was
          // linked replaces what is there, as cp's hard link of it does.
          if (this.o.symbolicLink && this.linkable(e) && this.links && !this.inline) {
            const claim = this.links.claim(e.stat.dev, e.stat.ino);
            if (claim && !claim.first) {
              e.refusedUnlessLinked = true;
              waitingLinks.push([e, claim.slot]);
              return;
            }
            // The first name, refused: the others are made apart, and refused where their names are taken too.
            if (claim) this.links.abandon(claim.slot);
          }
          // cp checks a relative -s before its symlink() meets the name taken.
          if (!this.o.symbolicLink || this.symlinkPlaceable(e)) this.linkFailed(e, this.o.link ? "hard link" : "symbolic link", -b.errno.EEXIST);
          return;
        }
        // As cp: a fifo or device read like a file where symlinks are not followed (-r, -P)
        // replaces the file there as --remove-destination would, keeping nothing of it
        // (unless --attributes-only, where cp copies no data and so unlinks nothing);
        // so does any copy where hard links are kept (-d, -a) and the file there has
        // other names: it is made anew, with SOURCE's mode, not the old file's.
        const unlinks = this.o.removeDestination || (!e.follow && this.o.readSpecialFiles && !this.o.attributesOnly && type !== S_IFREG && type !== S_IFLNK) ||
          (this.o.preserve.links && st.nlink > 1 && !this.o.attributesOnly && !this.o.link && !this.o.symbolicLink && this.hasOtherNames(e, st));
        // -v says "removed" where cp unlinks what is there: also before making a symlink or special file in its place.
        e.removes = (unlinks || linkRemoves || (made && !this.o.link && !this.o.symbolicLink)) && !e.backs;
        // Written in place otherwise: removed first, as cp unlinks before it opens.
        if (unlinks && this.o.inplace && !e.backs) e.removeFirst = true;
        // Following symlinks (-L, an -H operand), cp removes nothing before it
        // makes a fifo or device, and its mknod meets the name taken.
        if (made && type !== S_IFLNK && e.follow && !unlinks && !e.backs && !this.o.link && !this.o.symbolicLink) {
          this.report.fail(`cannot create ${type === S_IFIFO ? "fifo" : "special file"} ${quote(e.dstPath)}: ${this.why(b.errno.EEXIST)}`, { op: "create", path: e.dstPath, errno: b.errno.EEXIST });
          return;
        }
        // --attributes-only too: cp gives the attributes to the file a symlink named as DEST leads to.
        if (typeOf(st.mode) === S_IFLNK && (this.o.inplace || this.o.attributesOnly) && !unlinks && !e.backs && (type === S_IFREG || this.o.readSpecialFiles)) {
          const through = this.linkInTheWay(e);
          if (through === false) return;
          if (through !== undefined) existing = through;
        }
        // cp unlinks what is there first (--remove-destination; -f onto a file
        // it may not write, below), which another user's entry in a sticky
        // directory refuses, in those words: the copy's rename over it would be too.
        const copiesData = type === S_IFREG || this.o.readSpecialFiles;
        if (unlinks && copiesData && !this.o.link && !this.o.symbolicLink && this.cannotRemoveForeign(e)) return;
        // A symlink, fifo or device is made anew where the file was, as cp unlinks it first: its permissions are not asked.
        if (typeOf(st.mode) === S_IFREG && !unlinks && !e.backs && !made) {
          const writable = this.o.inplace && !this.o.force ? 0 : b.canWrite(e.dstDir, e.dstName);
          if (writable < 0 && !this.replacesUnwritable) {
            // cp's words; where the file's own permissions are in the way (not
            // a read-only filesystem, a running program's file), and its
            // directory lets this user replace it, -f would help. Not EPERM:
            // an immutable file (chattr +i, macOS uchg), which -f cannot
            // replace either (cp -f: `cannot remove`).
            const dir = b.fstat(e.dstDir);
            const helps = writable === -b.errno.EACCES && typeof dir !== "number" && this.directoryLetsReplace(e.dstDir, dir, st);
            this.report.fail(`cannot create regular file ${quote(e.dstPath)}: ${this.why(-writable)}${helps ? " (use -f to replace it)" : ""}`, { op: "create", path: e.dstPath, errno: -writable });
            return;
          }
          // cp writes into the file it finds, so that file's mode stays; one
          // it may not write, -f removes and makes anew, with SOURCE's mode
          // (and -v says so, as cp); rsync's modes replace it as rsync does, unsaid.
          if (writable >= 0) existing = st;
          else {
            if (copiesData && this.cannotRemoveForeign(e)) return;
            e.removesAfter = this.o.force;
            if (this.o.inplace) e.removeFirst = true;
          }
        }
      }
    }
    if (this.o.dryRun) {
      const aside = !this.o.link && !this.o.symbolicLink && typeOf(e.stat.mode) === S_IFREG;
      if (aside && this.tooLarge(e, e.stat)) return;
      if (aside && this.refusedAside(e, existing)) return;
      // As copyAttributes would: the file it writes into keeps its data.
      if (this.o.attributesOnly && existing !== undefined && (typeOf(e.stat.mode) === S_IFREG || this.o.readSpecialFiles)) e.keptData = existing;
      if (!this.o.symbolicLink || this.symlinkPlaceable(e)) this.wouldCopy(e);
      return;
    }
    if (this.o.link) {
      this.hardLink(e);
      return;
    }
    // Linked with another operand, maybe: that is for the workers and their
    // link table (with -s too: a later name is a link of the first's symlink).
    if (this.inline && this.linkable(e)) {
      this.handBack();
      return;
    }
    if (this.o.symbolicLink && !(this.linkable(e) && this.links)) {
      this.symbolicLink(e);
      return;
    }
    if (this.linkable(e) && this.links) {
      const claim = this.links.claim(e.stat.dev, e.stat.ino);
      if (claim && !claim.first) {
        waitingLinks.push([e, claim.slot]);
        return;
      }
      if (claim?.first) e.firstOfGroup = true;
      // -s --preserve=links: the other names become links of the first name's symlink, as cp makes them.
      const copied = this.o.symbolicLink ? this.symbolicLink(e) : this.copyByType(e, existing);
      if (claim) {
        if (copied) this.links.publish(claim.slot, this.firstCopyAt(e));
        else this.links.abandon(claim.slot);
      }
      this.sayIfLinkTableFull();
      return;
    }
    this.copyByType(e, existing);
  }

  /**
   * cp's same-file rule (same-file.ts) for e and `there`, what its
   * destination's own entry is: SOURCE as it was listed (followed when e
   * follows it), DEST as cp looks at it first.
   */
  private sameFile(e: Entry, there: Stat): SameFileVerdict {
    const b = this.b;
    const o = this.o;
    const type = typeOf(e.stat.mode);
    const rules = {
      neverFollow: !e.follow,
      link: o.link,
      symbolicLink: o.symbolicLink,
      backup: o.backup !== "none" && !e.noBackup,
      removeDestination: o.removeDestination,
    };
    const look = (dir: number, name: Name, follow: boolean) => {
      const st = b.stat(dir, name, follow);
      return typeof st === "number" ? undefined : st;
    };
    const readAsFile = type === S_IFREG || (o.readSpecialFiles && type !== S_IFLNK && type !== S_IFDIR);
    let dst: Stat | undefined = there;
    if (!destEntryFirst(rules, readAsFile) && typeOf(there.mode) === S_IFLNK) dst = look(e.dstDir, e.dstName, true);
    // A DEST that dangles is no file of SOURCE's.
    if (dst === undefined) return "copy";
    return sameFile({
      src: e.stat,
      dst,
      srcEntry: () => (e.follow ? look(e.srcDir, e.srcName, false) : e.stat),
      dstEntry: () => there,
      srcFollowed: () => (e.follow ? e.stat : look(e.srcDir, e.srcName, true)),
      dstFollowed: () => look(e.dstDir, e.dstName, true),
      sameName: () => this.sameName(e),
    }, rules);
  }

  /** SOURCE and DEST are one directory entry (only operands can be): the same name in the same directory. */
  private sameName(e: Entry): boolean {
    if (!e.operand) return false;
    const src = e.srcPath;
    let end = src.length;
    while (end > 1 && src[end - 1] === SLASH) end--;
    const slash = src.lastIndexOf(SLASH, end - 1);
    const base = src.subarray(slash + 1, end);
    if (base.length !== e.dstName.length || !base.every((byte, i) => byte === e.dstName[i])) return false;
    const dirName = slash < 0 ? DOT : slash === 0 ? src.subarray(0, 1) : src.subarray(0, slash);
    const srcDir = this.b.stat(e.srcDir, dirName, true);
    const dstDir = this.b.fstat(e.dstDir);
    return typeof srcDir !== "number" && typeof dstDir !== "number" && srcDir.dev === dstDir.dev && srcDir.ino === dstDir.ino;
  }

  /**
   * Where e's copy is, for the link table, and its identity: a later
   * operand merged into one directory (`a/. b/. D`: b/f over a/f's copy),
   * or another run into the same DEST, may replace it under that name, and
   * another name of a/f is then copied anew rather than linked to their data.
   */
  private firstCopyAt(e: Entry): LinkTarget {
    const at: LinkTarget = { rootFd: e.rootFd, path: e.dstRel };
    if (e.copyIdentity) return { ...at, copy: e.copyIdentity };
    const copy = this.b.stat(e.dstDir, e.dstName, false);
    return typeof copy === "number" ? at : { ...at, copy: { dev: copy.dev, ino: copy.ino } };
  }

  /** Once per run, when the hard-link table has filled: further names of one file are copies. */
  private sayIfLinkTableFull(): void {
    if (this.links?.fullToBeSaid()) {
      this.report.warn("too many hard-linked files to keep track of: from here on, other names of one file are copied as separate files", { op: "link" });
    }
  }

  /**
   * -u kept the file that is there. As cp, it still stands for SOURCE's
   * inode: the other names of that inode are linked to it, and if the inode
   * was copied already under another name, this name becomes a link to that
   * copy, even over a newer file (cp: "replace DST_NAME unconditionally").
   * `there`: DEST's own entry, as the caller found it.
   */
  private keptByUpdate(e: Entry, there: Stat, waitingLinks: [Entry, number][], keep = () => this.skipped(e, "newer")): void {
    // On the main thread the link table is not at hand: a worker sees to it.
    if (this.linkable(e) && this.inline) {
      this.handBack();
      return;
    }
    // A symlink there, kept by -u (by what it leads to, with -L or -H), is
    // no copy of the inode: as the group's first name it is kept without standing for
    // it, whose other names take their first copy among themselves (made
    // hard links of the symlink, one named by it became a loop). A later
    // name is linked to the first copy, over it, as any kept one.
    if (typeOf(there.mode) === S_IFLNK && typeOf(e.stat.mode) !== S_IFLNK && this.linkable(e) && this.links && !this.links.claimed(e.stat.dev, e.stat.ino)) {
      keep();
      return;
    }
    if (this.linkable(e) && this.links) {
      const claim = this.links.claim(e.stat.dev, e.stat.ino);
      // Linked to the first copy instead, and listed then (as a link, or
      // as left when it is one already): not also listed as kept here.
      if (claim && !claim.first) {
        e.keep = keep;
        if (this.o.dryRun) this.wouldLink(e, claim.slot);
        else waitingLinks.push([e, claim.slot]);
        return;
      }
      keep();
      if (claim?.first) this.links.publish(claim.slot, this.firstCopyAt(e));
      this.sayIfLinkTableFull();
      return;
    }
    keep();
  }

  /**
   * --inplace and --attributes-only: a symlink where a file goes. Named as
   * DEST (`f link`, the user's own word), it is written through as cp
   * writes through it: into the regular file it leads to (returned, to be
   * truncated and rewritten), or, if it dangles, refused with cp's words
   * unless POSIXLY_CORRECT is set, which makes its target (undefined).
   * Found in DEST (inside a tree, or as the name a file gets in a target
   * directory, with --parents too) it is removed and the file made in its
   * place: blit never follows a link found in DEST. A loop goes with -f,
   * as cp removes it. false when refused (reported).
   */
  private linkInTheWay(e: Entry): Stat | undefined | false {
    if (!e.operand || !e.dstNamed) {
      e.removeFirst = true;
      return undefined;
    }
    const followed = this.b.stat(e.dstDir, e.dstName, true);
    if (typeof followed === "number") {
      if (followed !== -this.b.errno.ENOENT) {
        // A symlink loop: -f removes it, as cp's unlink and open again.
        if (this.o.force) {
          e.removeFirst = true;
          return undefined;
        }
        this.report.fail(`cannot stat ${quote(e.dstPath)}: ${this.why(-followed)}`, { op: "stat", path: e.dstPath, errno: -followed });
        return false;
      }
      if (!this.o.posixlyCorrect) {
        this.report.fail(`not writing through dangling symlink ${quote(e.dstPath)}`, { path: e.dstPath });
        return false;
      }
      e.throughLink = true;
      return undefined;
    }
    if (followed.dev === e.stat.dev && followed.ino === e.stat.ino) {
      this.report.fail(`${quote(e.srcPath)} and ${quote(e.dstPath)} are the same file`, { op: "compare", path: e.srcPath });
      return false;
    }
    if (typeOf(followed.mode) !== S_IFREG) {
      e.removeFirst = true;
      return undefined;
    }
    e.throughLink = true;
    return followed;
  }

  /**
   * -u (--update=older): an existing destination at least as new as SOURCE
   * (mtimes, as updateKeeps compares them) is kept, as cp keeps it. Like cp, a symlink
   * there is followed when SOURCE is copied as a file (cp would write
   * through it), not when a link, directory or special file is made, nor
   * with a backup (cp backs the symlink itself up: its own time decides).
   */
  private keepsNewer(e: Entry, existing: Stat): boolean {
    const o = this.o;
    if (o.update !== "older") return false;
    let dst: Stat | number = existing;
    const type = typeOf(e.stat.mode);
    const asFile = type === S_IFREG || (o.readSpecialFiles && type !== S_IFLNK && type !== S_IFDIR);
    if (typeOf(existing.mode) === S_IFLNK && asFile && !o.link && !o.symbolicLink && !o.removeDestination && o.backup === "none") {
      // A dry run's symlink is not there: what it would lead to, from where it would be.
      const wouldLead = o.dryRun ? this.dryRunLinks.get(this.dryRunKey(e.dstPath, e.dstDir)) : undefined;
      dst = this.b.stat(e.dstDir, wouldLead ?? e.dstName, true);
    }
    if (typeof dst === "number") return false;
    return updateKeeps(e.stat, dst, o.modifyWindow, o.preserve.timestamps);
  }

  /**
   * --skip-unchanged, --checksum: what is there holds SOURCE's data already:
   * a regular file of SOURCE's size and mtime (rsync's quick check) or, with
   * --checksum, of its size and bytes; a symlink with its target; a fifo,
   * socket or device of the same kind and number (leaveUnchanged then
   * leaves it).
   */
  private holdsSourceData(e: Entry, st: Stat): boolean {
    const b = this.b;
    const type = typeOf(e.stat.mode);
    if (type !== typeOf(st.mode)) return false;
    if (type === S_IFREG) {
      if (e.stat.size !== st.size) return false;
      return this.o.checksum ? this.sameContents(e, st) : quickCheck(e.stat, st, this.o.modifyWindow);
    }
    if (type === S_IFLNK) {
      const mine = b.readLink(e.srcDir, e.srcName);
      const theirs = b.readLink(e.dstDir, e.dstName);
      return typeof mine !== "number" && typeof theirs !== "number" && Buffer.compare(mine, theirs) === 0;
    }
    // A fifo, socket or device made anew is left when one of its kind (and device number) is there.
    return !this.o.readSpecialFiles && e.stat.rdevMajor === st.rdevMajor && e.stat.rdevMinor === st.rdevMinor;
  }

  /**
   * SOURCE's xattrs against those of the entry there (of the kinds the
   * options keep): what setting them would change, less what the
   * destination cannot hold or the backend cannot remove, which would
   * differ on every run.
   */
  private xattrDifference(srcXattrs: Xattrs, dst: Target, st: Stat, size?: number): { set: Xattrs; remove: Name[] } {
    const b = this.b;
    const unheld: Name[] = [];
    const there = this.meta.readXattrs(dst, false, size, unheld);
    const xattrs = xattrChanges(srcXattrs, there);
    // A backend that cannot remove one (Windows) leaves them.
    if (!b.xattrs?.remove || !b.xattrs.removeAt) xattrs.remove = [];
    // What the destination's filesystem cannot hold (a DACL on FAT) it lacks on every run.
    if (unheld.length) xattrs.set = xattrs.set.filter(([name]) => !unheld.some((other) => Buffer.compare(name, other) === 0));
    // Nor what it refused as unsupported before (ramfs, vfat): dropped quietly under -a.
    xattrs.set = xattrs.set.filter(([name]) => this.meta.heldOn(st.dev, name));
    // One this process may not set (a file capability, without CAP_SETFCAP)
    // is no difference, as rsync run by a user compares only user.*; but
    // one DEST's file has that SOURCE does not grant goes where it can
    // (MetadataWriter.dropsCapability: a file of this user's).
    const unsettable = xattrs.set.filter(([name]) => !this.meta.maySet(name));
    if (unsettable.length > 0 || xattrs.remove.some((name) => !this.meta.maySet(name))) {
      const drops = this.meta.dropsCapability(st);
      for (const [name] of unsettable) if (drops && there.some(([other]) => Buffer.compare(name, other) === 0)) xattrs.remove.push(name);
      xattrs.set = xattrs.set.filter(([name]) => this.meta.maySet(name));
      xattrs.remove = xattrs.remove.filter((name) => drops || this.meta.maySet(name));
    }
    return xattrs;
  }

  /** rsync's `a` and `x` for the ACLs and other xattrs the options keep that differ between SOURCE's entry and the one at its destination (`st`). */
  private xattrLetters(e: Entry, st: Stat): { replaced: string; keptData: string } {
    const src = this.meta.readXattrs({ dir: e.srcDir, name: e.srcName }, false);
    const { set, remove } = this.xattrDifference(src, { dir: e.dstDir, name: e.dstName }, st);
    const letters = (names: Name[]) => (names.some((name) => categoryOf(name) === "mode") ? "a" : "") + (names.some((name) => categoryOf(name) !== "mode") ? "x" : "");
    const setNames = set.map(([name]) => name);
    // Written into (--attributes-only), the file keeps the xattrs SOURCE lacks, as cp's keeps them; its ACLs go with the mode set.
    return { replaced: letters([...setNames, ...remove]), keptData: letters([...setNames, ...remove.filter((name) => categoryOf(name) === "mode")]) };
  }

  /**
   * --skip-unchanged with hard links kept: whether the file there, linked
   * in DEST, was left (or, --inplace, written into) already this run under
   * another name for another SOURCE file (SOURCE's names were split since
   * the last run). Left, one inode would stand for two files: each run
   * would give it the attributes of one, then of the other (written into,
   * the data of one, then of the other), and DEST would keep a link SOURCE
   * lacks. The first name met keeps the inode; the others are copied anew.
   */
  private leftForAnother(e: Entry, st: Stat): boolean {
    if (!this.destinations || st.nlink < 2 || typeOf(st.mode) !== S_IFREG) return false;
    // A table of its own: a DEST of snapshots linked outside it (cp -al) fills one, never the hard links' own.
    const claim = this.destinations.claim(st.dev, st.ino);
    if (!claim) return false;
    const source = ENCODER.encode(`${e.stat.dev}:${e.stat.ino}`);
    if (claim.first) {
      this.destinations.publish(claim.slot, { rootFd: -1, path: source });
      return false;
    }
    const keeper = this.destinations.wait(claim.slot);
    return keeper !== undefined && Buffer.compare(keeper.path, source) !== 0;
  }

  /**
   * An entry that holds SOURCE's data, left as it is: counted, and the
   * attributes the options keep set where they differ, on the entry
   * itself, its data untouched.
   */
  private leaveUnchanged(e: Entry, st: Stat): void {
    this.report.counts.unchanged++;
    const changed = this.alignAttributes(e, st);
    // Not set, and said why.
    if (changed === null) return;
    if (changed === undefined) {
      this.skipped(e, "unchanged");
      return;
    }
    // Left, its data SOURCE's already: done, for the bar, as a skipped entry is; listed as given attributes.
    this.report.skippedEntry(typeOf(e.stat.mode) === S_IFREG ? e.stat.size : 0);
    if (this.o.listItems) this.report.item({ action: "attributes", kind: kindOf(e.stat.mode), ...(isDevice(e.stat.mode) && { device: true }), src: e.srcPath, dst: e.dstPath, size: 0, changed, target: this.symlinkTarget(e) });
  }

  /** --checksum: both files read side by side and compared; false when either cannot be read (the copy then says why). */
  private sameContents(e: Entry, st: Stat): boolean {
    const b = this.b;
    if (e.stat.size > Number.MAX_SAFE_INTEGER) return false;
    const srcFd = this.openToCompare(e.srcDir, e.srcName, e.follow);
    if (srcFd < 0) return false;
    const dstFd = this.openToCompare(e.dstDir, e.dstName, false);
    const now = dstFd < 0 ? dstFd : b.fstat(dstFd);
    let equal = false;
    if (typeof now !== "number" && now.dev === st.dev && now.ino === st.ino) equal = this.compare(srcFd, dstFd, e.stat.size) === true;
    b.close(srcFd);
    if (dstFd >= 0) b.close(dstFd);
    return equal;
  }

  /**
   * A file opened to be compared, not copied: its access time left as it was
   * where the OS allows (the owner's or root's), so that neither side reads
   * as used, and a file then copied gets SOURCE's access time as it was.
   */
  private openToCompare(dir: number, name: Name, follow: boolean): number {
    const b = this.b;
    const fd = b.openReadNoAtime ? b.openReadNoAtime(dir, name, follow) : -b.errno.EPERM;
    return fd === -b.errno.EPERM ? b.openRead(dir, name, follow) : fd;
  }

  private comparer(): ContentComparer {
    this.contents ??= new ContentComparer(this.b);
    return this.contents;
  }

  /** Both files' bytes, a large file's shared with the free workers. */
  private compare(srcFd: number, dstFd: number, size: number, copied = false): Comparison {
    const share = this.o.helpers > 0 && this.spawn ? (compare: SharedCopy) => this.offerRanges(compare) : undefined;
    return this.comparer().equal(srcFd, dstFd, size, () => this.cancelled, share, copied);
  }

  /**
   * Sets on an unchanged entry the attributes the options keep (owner, mode,
   * xattrs and ACLs, times, the OS's attribute word) that differ from
   * SOURCE's, through a descriptor of the file found there (not following a
   * symlink), in the order a copy gets them; extended attributes it has and
   * SOURCE lacks (of the kinds kept) are removed first. What differed, in
   * rsync's letters (undefined: nothing; null: the file could not be
   * opened, which is said).
   */
  private alignAttributes(e: Entry, st: Stat): string | undefined | null {
    const b = this.b;
    const isFile = typeOf(st.mode) === S_IFREG;
    let srcFd = -1;
    if (e.follow && isFile) srcFd = b.openRead(e.srcDir, e.srcName, true);
    const src: Target = srcFd >= 0 ? { fd: srcFd } : { dir: e.srcDir, name: e.srcName };
    const changes = this.attributeChanges(e.stat, st, src, { dir: e.dstDir, name: e.dstName }, e.xattrListSizes, e.srcPath);
    if (srcFd >= 0) b.close(srcFd);
    if (!changes) return undefined;
    if (this.o.dryRun) {
      this.report.counts.attributes++;
      return changes.letters;
    }
    if (!isFile) {
      this.applyChanges({ dir: e.dstDir, name: e.dstName }, e.stat, changes, e.dstPath, true);
      return this.applied(e.stat, st, changes);
    }
    let dstFd = b.openRead(e.dstDir, e.dstName, false);
    // Its owner's file it may not read (mode 0200): its attributes are still its owner's to set.
    if (dstFd === -b.errno.EACCES && b.openForAttributes) dstFd = b.openForAttributes(e.dstDir, e.dstName);
    const now = dstFd < 0 ? dstFd : b.fstat(dstFd);
    if (typeof now === "number" || now.dev !== st.dev || now.ino !== st.ino) {
      if (dstFd >= 0) b.close(dstFd);
      const gone = typeof now !== "number" || now === -b.errno.ENOENT || now === -b.errno.ELOOP;
      if (gone) this.report.fail(`${quote(e.dstPath)} was replaced while being copied; skipped`, { op: "open", path: e.dstPath });
      else this.report.fail(`cannot open ${quote(e.dstPath)} to set its attributes: ${this.why(-now)}`, { op: "open", path: e.dstPath, errno: -now });
      return null;
    }
    this.applyChanges({ fd: dstFd }, e.stat, changes, e.dstPath, true);
    b.close(dstFd);
    return this.applied(e.stat, st, changes);
  }

  /**
   * What alignAttributes set, counted, in rsync's letters: less the xattrs
   * the destination's filesystem refused just now as unsupported (dropped
   * quietly under -a), which are no difference, as on every later entry
   * there (undefined: nothing else differed).
   */
  private applied(srcStat: Stat, st: Stat, changes: AttributeChanges): string | undefined {
    const held = this.lessRefused(srcStat, st, changes);
    if (held) this.report.counts.attributes++;
    return held?.letters;
  }

  /** changes less the xattrs the destination's filesystem has refused as unsupported (undefined: nothing else differs). */
  private lessRefused(srcStat: Stat, st: Stat, changes: AttributeChanges): AttributeChanges | undefined {
    const set = changes.xattrs.set.filter(([name]) => this.meta.heldOn(st.dev, name));
    if (set.length === changes.xattrs.set.length) return changes;
    const hasMode = typeOf(st.mode) !== S_IFLNK;
    const xattrs = { set, remove: changes.xattrs.remove };
    if (!anyChange(changes.differ, hasMode, xattrs)) return undefined;
    return { ...changes, xattrs, letters: changeLetters(srcStat, st, changes.differ, hasMode, xattrs) };
  }

  /**
   * A directory that was there whose attributes differ from SOURCE's:
   * listed (--itemize, --json), as rsync lists it, when it is reached
   * (before its entries change its mtime), and with --skip-unchanged,
   * --checksum counted; a dry run so too.
   */
  private reportDirectoryChanges(e: Place, srcStat: Stat, dstStat: Stat, srcFd: number, dstFd: number, complete: boolean): void {
    let changes = this.attributeChanges(srcStat, dstStat, { fd: srcFd }, { fd: dstFd });
    // Its xattrs are set now (the rest once its entries are done): those
    // its filesystem refuses as unsupported (ramfs, vfat), dropped quietly
    // under -a, are then no difference, as on a file.
    // Not its ACLs: they set the owner's bits, which could lock it before it is filled.
    // Without --skip-unchanged all are set at the end, whatever they were: only listed here.
    const early = (this.leavesUnchanged && changes?.xattrs.set.filter(([name]) => categoryOf(name) !== "mode")) || [];
    if (changes && !this.o.dryRun && early.length) {
      this.meta.setQuietly({ fd: dstFd }, early, e.dstPath);
      changes = this.lessRefused(srcStat, dstStat, changes);
    }
    this.tellDirectoryChanges(e, changes?.letters ?? "", complete);
  }

  /** A directory that was there: its attribute letters counted and listed (none: listed as left, as rsync -ii lists it). */
  private tellDirectoryChanges(e: Place, letters: string, complete: boolean): void {
    // One whose entries are not copied does not get the times that would make it look complete: not told either.
    if (!complete) letters = letters.replace("t", "");
    if (letters === "") {
      // As rsync -ii lists a directory it finds as SOURCE's: `.d          dst/sub/` (--skip-unchanged lists what it leaves).
      if (this.o.listItems && this.leavesUnchanged) this.report.item({ action: "skipped", kind: "directory", src: e.srcPath, dst: e.dstPath, size: 0, reason: "unchanged" });
      return;
    }
    if (this.leavesUnchanged) this.report.counts.attributes++;
    if (this.o.listItems) this.report.item({ action: "attributes", kind: "directory", src: e.srcPath, dst: e.dstPath, size: 0, changed: letters });
  }

  /**
   * --skip-unchanged, --checksum: a directory that was there is given only
   * the attributes that differ from SOURCE's once its entries are done (its
   * mtime set back where they changed it, as rsync sets it back): one whose
   * copy changed nothing is left as it was, its ctime too. False when its
   * attributes could not be read (then all are set).
   */
  private alignDirectory(f: DirFinish, complete: boolean): boolean {
    const now = this.b.fstat(f.dstFd);
    if (typeof now === "number") return false;
    const there: Target = { fd: f.dstFd };
    const changes = this.attributeChanges(f.stat, now, { fd: f.srcFd }, there, undefined, f.srcPath);
    if (changes) this.applyChanges(there, f.stat, changes, f.dstPath, complete);
    return true;
  }

  /**
   * What of SOURCE's attributes (`srcStat`, xattrs read through `src`) the
   * options keep differs on the entry there (`st`, xattrs through `dst`),
   * with rsync's letters for it; undefined when nothing does. SOURCE's
   * xattrs that cannot be read are reported where `srcPath` is given (once
   * per entry: a directory's when it is finished).
   */
  private attributeChanges(srcStat: Stat, st: Stat, src: Target, dst: Target, sizes?: { src: number; dst: number }, srcPath?: Uint8Array): AttributeChanges | undefined {
    const b = this.b;
    const o = this.o;
    const differ = attributesDiffer(o, srcStat, st, b.attributes?.kept ?? 0, this.ownerRights);
    // A symlink has no mode of its own to set.
    const hasMode = typeOf(st.mode) !== S_IFLNK;
    const srcXattrs = this.meta.readXattrs(src, true, sizes?.src, undefined, srcPath);
    const xattrs = this.xattrDifference(srcXattrs, dst, st, sizes?.dst);
    // A chown drops a file's capabilities (the kernel's security.capability,
    // as it drops setuid): SOURCE's are set again after it, as rsync -X sets
    // them (`.f....og..x`), or an unchanged binary whose owner changed lost them.
    if (differ.owner && typeOf(st.mode) === S_IFREG && this.meta.heldOn(st.dev, CAPABILITY_XATTR) && this.meta.maySet(CAPABILITY_XATTR)) {
      for (const entry of srcXattrs) {
        if (Buffer.compare(entry[0], CAPABILITY_XATTR) === 0 && !xattrs.set.some(([name]) => Buffer.compare(name, CAPABILITY_XATTR) === 0)) xattrs.set.push(entry);
      }
    }
    if (!anyChange(differ, hasMode, xattrs)) return undefined;
    return {
      differ,
      xattrs,
      letters: changeLetters(srcStat, st, differ, hasMode, xattrs),
      mode: o.preserve.mode && hasMode ? srcStat.mode & 0o7777 : undefined,
      // An ACL removed leaves its mask in the group bits: the mode is set
      // again whatever it was. Another xattr removed changes neither (a chown
      // to the owner there, which would change nothing, takes the set-id bits
      // of a user's file, which without -p nothing gives back).
      asThere: xattrs.remove.some((name) => categoryOf(name) === "mode") ? undefined : { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid },
    };
  }

  /** Sets what attributeChanges found, in the order a copy gets it; keepTimes false leaves the times. */
  private applyChanges(there: Target, srcStat: Stat, c: AttributeChanges, path: Uint8Array, keepTimes: boolean): void {
    const meta = this.meta;
    if (!meta.removeXattrs(there, c.xattrs.remove, path)) return;
    if (!meta.apply(there, srcStat, c.xattrs.set, path, c.mode, c.differ.times && keepTimes, c.asThere)) return;
    if (c.differ.word && keepTimes) meta.setAttributes(there, srcStat, path);
  }

  /**
   * --dry-run: counts and lists what would be copied, as a copy would be:
   * a name of an inode met before (the link table claimed, never waited on)
   * as a hard link, with -b the backup name it would get.
   */
  private wouldCopy(e: Entry): void {
    const type = typeOf(e.stat.mode);
    const refused = this.b.refusesName?.(e.dstName) ?? 0;
    if (refused < 0) {
      this.report.fail(`cannot create ${this.madeAs(e.stat, e.dstPath, e.srcPath)}: ${this.why(-refused)}`, { op: "create", path: e.dstPath, errno: -refused });
      return;
    }
    if (e.backs) {
      e.backupPath = backupPathOf(e, backupName(this.b, e.dstDir, e.dstName, this.o.backup, this.o.backupSuffix));
    }
    const claim = this.linkable(e) && this.links ? this.links.claim(e.stat.dev, e.stat.ino) : undefined;
    if (claim?.first) this.links!.publish(claim.slot, { rootFd: e.rootFd, path: e.dstRel });
    let kind: ItemKind = "special";
    if (this.o.link || (claim && !claim.first)) {
      this.report.count("hardlinks");
      kind = "hardlink";
      // The first name publishes as soon as it claims (above): no wait.
      const first = claim && !claim.first && this.o.listItems ? this.links!.wait(claim.slot) : undefined;
      if (this.o.link) e.linkTarget = e.srcPath;
      else if (first) e.linkTarget = this.linkedPath(e, first);
    } else if (this.o.symbolicLink || type === S_IFLNK) {
      this.report.count("symlinks");
      kind = "symlink";
      // What the real run would make it point to, for --itemize's " -> target" and --json's target.
      const target = this.o.symbolicLink ? e.srcPath : this.b.readLink(e.srcDir, e.srcName);
      if (typeof target !== "number") {
        e.linkTarget = target;
        e.targetChanged = this.pointedElsewhere(e, target);
      }
    } else if (type === S_IFREG || this.o.readSpecialFiles) {
      this.report.fileCopied(this.o.attributesOnly ? 0 : e.stat.size, undefined);
      kind = "file";
    } else {
      this.report.count("specials");
    }
    // Only a file's data has a size: the letters of a link, or of a file whose data
    // --attributes-only leaves, are the real run's, which passes none.
    this.listed(e, kind === "file" && !this.o.attributesOnly ? ({ bytes: e.stat.size } as CopiedData & { bytes: number }) : undefined, kind);
    if (this.o.mergesOperands) {
      const key = this.dryRunKey(e.dstPath, e.dstDir);
      this.dryRunMade.set(key, this.wouldBe(e.stat));
      if (kind === "symlink" && e.linkTarget) this.dryRunLinks.set(key, e.linkTarget);
    }
  }

  private copyByType(e: Entry, existing: Stat | undefined): boolean {
    switch (typeOf(e.stat.mode)) {
      case S_IFREG:
        return this.copyFile(e, existing);
      case S_IFLNK:
        return this.copySymlink(e);
      case S_IFIFO:
      case S_IFCHR:
      case S_IFBLK:
      case S_IFSOCK:
        if (!this.o.readSpecialFiles) return this.copySpecial(e);
        // Reading one may wait on its writer: never on the main thread, whose
        // signal handlers could not run meanwhile (it became one after planning).
        return this.inline ? this.handBack() : this.copyFile(e, existing);
      default:
        this.report.fail(`${quote(e.srcPath)}: unknown file type; skipped`, { path: e.srcPath });
        return false;
    }
  }

  /**
   * Opens the source of a file copy, reporting why not. A fifo or a device
   * read like a file (no -r) is a `stream`; it, or any source when
   * `sameInode`, must still be the inode listed, a regular file a regular file.
   */
  private openSource(e: Entry, sameInode: boolean): { srcFd: number; st: Stat; stream: boolean } | undefined {
    const b = this.b;
    const stream = typeOf(e.stat.mode) !== S_IFREG;
    const srcFd = b.openRead(e.srcDir, e.srcName, e.follow, stream);
    // A symlink now where the listing found no symlink: renamed over the name since, as a directory or a fifo may be.
    if (srcFd === -b.errno.ELOOP && !e.follow && typeOf(e.stat.mode) !== S_IFLNK) {
      this.report.fail(`${quote(e.srcPath)} was replaced while being copied; skipped`, { op: "check", path: e.srcPath });
      return undefined;
    }
    if (srcFd < 0) {
      if (!this.vanished(e, -srcFd)) this.report.fail(`cannot open ${quote(e.srcPath)} for reading: ${this.why(-srcFd)}`, { op: "open", path: e.srcPath, errno: -srcFd });
      return undefined;
    }
    const st = b.fstat(srcFd);
    if (typeof st === "number") {
      b.close(srcFd);
      this.report.fail(`cannot stat ${quote(e.srcPath)}: ${this.why(-st)}`, { op: "stat", path: e.srcPath, errno: -st });
      return undefined;
    }
    const replaced = stream || sameInode ? st.dev !== e.stat.dev || st.ino !== e.stat.ino : typeOf(st.mode) !== S_IFREG;
    if (replaced) {
      b.close(srcFd);
      this.report.fail(`${quote(e.srcPath)} was replaced while being copied; skipped`, { op: "check", path: e.srcPath });
      return undefined;
    }
    if (this.tooLarge(e, st)) {
      b.close(srcFd);
      return undefined;
    }
    return { srcFd, st, stream };
  }

  /**
   * Sizes and offsets are JavaScript numbers, exact only below 2^53: past it
   * a range would land elsewhere. Said (true) for a file whose data would be
   * copied; --attributes-only copies none.
   */
  private tooLarge(e: Entry, st: Stat): boolean {
    if (st.size <= Number.MAX_SAFE_INTEGER || this.o.attributesOnly) return false;
    this.report.fail(`cannot copy ${quote(e.srcPath)}: File too large (blit copies files of up to 2^53 - 1 bytes, 8 PiB)`, { op: "open", path: e.srcPath });
    return true;
  }

  /** What the data copier needs to know of every file copy, whatever its kind. */
  private request(st: Stat, dstDev: number): CopyRequest {
    const { reflink, sparse } = this.o;
    return { reflink, sparse, size: st.size, blocks: st.blocks, srcDev: st.dev, dstDev, cancel: this.cancel };
  }

  /** What to say of a copy that failed, or undefined when it only stopped (a cancel, a clone not possible here). */
  private failure(e: Entry, outcome: Exclude<CopyOutcome, { ok: true }>): Notice | undefined {
    if (outcome.stage === "cancelled" || outcome.stage === "not_cloned") return undefined;
    const errno = outcome.errno;
    const reason = this.why(errno);
    switch (outcome.stage) {
      case "clone":
        return { message: `failed to clone ${quote(e.dstPath)} from ${quote(e.srcPath)}: ${reason}`, op: "clone", path: e.dstPath, errno };
      case "read":
        return { message: `error reading ${quote(e.srcPath)}: ${reason}`, op: "read", path: e.srcPath, errno };
      case "copy":
        return { message: `error copying ${quote(e.srcPath)} to ${quote(e.dstPath)}: ${reason}`, op: "copy", path: e.srcPath, errno };
      case "write":
        return { message: `error writing ${quote(e.dstPath)}: ${reason}`, op: "write", path: e.dstPath, errno };
    }
  }

  /** Counts a file whose bytes are in place, and lists it for -v. */
  private copied(e: Entry, outcome: Extract<CopyOutcome, { ok: true }>): void {
    // Its length, holes included, as a dry run and the bar's totals count it.
    this.report.fileCopied(outcome.size ?? outcome.bytes, outcome.method);
    this.listed(e, outcome);
  }

  /**
   * A file whose copy would be made aside in an append-only directory,
   * where it could neither be renamed into place nor removed: refused,
   * saying so. Only --inplace's way (and --attributes-only's on a file
   * there) can work in one.
   */
  private refusedAside(e: Entry, existing: Stat | undefined): boolean {
    if (!e.appendOnly || this.o.inplace || (this.o.attributesOnly && existing)) return false;
    this.report.fail(`cannot create regular file ${quote(e.dstPath)}: its directory is append-only, where a copy made aside can neither take its name nor be removed; --inplace writes it under its name, as cp does`, {
      op: "create",
      path: e.dstPath,
      errno: this.b.errno.EPERM,
    });
    return true;
  }

  private copyFile(e: Entry, existing: Stat | undefined): boolean {
    const b = this.b;
    const { inplace } = this.o;
    if (this.refusedAside(e, existing)) return false;
    const source = this.openSource(e, false);
    if (!source) return false;
    const { srcFd, st, stream } = source;
    if (this.o.attributesOnly) return this.copyAttributes(e, existing, srcFd, st);
    // On the main thread a large file is only cloned; its bytes are a worker's
    // job, and so is reading them back (--verify: the workers share its ranges).
    const large = this.inline !== undefined && st.size > this.inline.maxBytes;
    if (large && (inplace || this.o.verify || this.o.reflink === "never" || this.data.cloneUnsupported(st.dev, e.dstDev))) {
      b.close(srcFd);
      return this.handBack();
    }
    // --inplace writes the final name directly; otherwise a temporary name
    // that becomes the final one only once the file is complete.
    const name = inplace ? e.dstName : this.temps.next(e.dstDir);
    // --inplace -b: what is there is moved aside first, as cp does it (the new file is then written under its name).
    if (inplace && e.backs && !this.backUp(e, false)) {
      b.close(srcFd);
      return false;
    }
    // --inplace --remove-destination: what is there goes first, then the file is made anew.
    if (inplace && (this.o.removeDestination || e.removeFirst) && !e.dstFresh && !this.removedFirst(e)) {
      b.close(srcFd);
      return false;
    }
    const mode = this.meta.modeFor("file", st, existing, e.inheritedPermissions);
    // In a directory this run made, nothing is in the way of the create mode.
    // --inplace makes the file under its name, as cp makes it: a copy cut
    // short is left with the mode cp would have left it (0644 from 0644
    // and umask 022, not 0600), with no group or other bits while its owner
    // is still this user's, not SOURCE's (-a, -p: cp's omitted permissions).
    const madeWith = inplace || e.dstFresh ? this.createMode(mode, e.inheritedPermissions) : 0o600;
    const createMode = inplace && this.o.preserve.ownership ? madeWith & ~0o077 : madeWith;
    const request: CopyRequest = { ...this.request(st, e.dstDev), stream };
    // A backend that clones into new names only (macOS) makes the temporary file itself.
    // Not where the clone, made with SOURCE's permission bits, would be open to more than the copy will be:
    // another user could open it before its mode is set (coreutils 9.2 clones on macOS only then too).
    const widens = (st.mode & 0o777 & ~mode) !== 0;
    const cloned = inplace ? undefined : this.data.cloneAsNew(srcFd, e.dstDir, name, request, widens);
    if (cloned && !cloned.outcome.ok) {
      b.close(srcFd);
      const message = this.failure(e, cloned.outcome);
      if (message) this.report.fail(message.message, message);
      return false;
    }
    const dstFd = cloned ? cloned.fd : b.createFile(e.dstDir, name, createMode, inplace, e.throughLink);
    if (dstFd < 0) {
      b.close(srcFd);
      this.report.fail(`cannot create regular file ${quote(e.dstPath)}: ${this.why(-dstFd)}${this.inplaceHint(e, -dstFd, false)}`, { op: "create", path: e.dstPath, errno: -dstFd });
      // --inplace -b: nothing was written under the name the old file left.
      this.restoreBackup(e);
      return false;
    }
    const abandon = (message: Notice | undefined): false => {
      this.report.dropPartial();
      // --inplace -b: the old file goes back over what was written, as cp's "unbackup".
      const ours = inplace && e.backupName !== undefined ? b.fstat(dstFd) : undefined;
      b.close(srcFd);
      b.close(dstFd);
      if (!inplace) b.remove(e.dstDir, name, false);
      if (message) this.report.fail(message.message, message);
      if (ours !== undefined) this.restoreBackup(e, ours);
      return false;
    };

    this.report.live?.current(e.srcPath);
    const outcome = cloned ? cloned.outcome : this.data.copy(srcFd, dstFd, {
      ...request,
      share: this.o.helpers > 0 && this.spawn ? (copy) => this.offerRanges(copy) : undefined,
      cloneOnly: large,
    });
    if (!outcome.ok) {
      const restores = inplace && e.backupName !== undefined;
      abandon(this.failure(e, outcome));
      // Written under its name, it stays as far as it got: the summary alone would not say which.
      if (inplace && !restores && outcome.stage === "cancelled") this.report.warn(`${quote(e.dstPath)} is left partial: cut short while written in place (--inplace)`, { op: "write", path: e.dstPath });
      return outcome.stage === "not_cloned" ? this.handBack() : false;
    }
    // A fifo's times change with every write to it: not a sign of change here.
    const after = stream ? st : b.fstat(srcFd);
    if (typeof after !== "number" && (after.size !== st.size || after.mtimeSec !== st.mtimeSec || after.mtimeNsec !== st.mtimeNsec)) {
      this.report.warn(`${quote(e.srcPath)}: file changed as we read it`, { op: "read", path: e.srcPath });
      this.report.counts.changed++;
    }
    // A fifo or a device read like a file cannot be read again.
    const wrong = this.o.verify && !stream ? this.verified(e, srcFd, dstFd, name, outcome.size ?? outcome.bytes) : undefined;
    if (wrong !== undefined) return abandon(wrong === false ? undefined : wrong);
    // A clone made as a new file (macOS) comes with SOURCE's times; without
    // -p the copy is new, as cp's is.
    if (cloned && !this.o.preserve.timestamps) {
      const now = Date.now();
      const sec = Math.floor(now / 1000);
      const nsec = (now % 1000) * 1e6;
      const r = b.setTimesFd(dstFd, { atimeSec: sec, atimeNsec: nsec, mtimeSec: sec, mtimeNsec: nsec });
      if (r < 0) return abandon({ message: `setting times of ${quote(e.dstPath)}: ${this.why(-r)}`, op: "utimens", path: e.dstPath, errno: -r });
    }
    const xattrs = this.meta.readXattrs({ fd: srcFd }, true, undefined, undefined, e.srcPath);
    // A clone is not as createFile made it: its mode is the source's, so every attribute kept is set.
    const created = e.dstFresh && !cloned ? { mode: createMode & ~this.o.umask, uid: this.euid, gid: e.newGid } : undefined;
    // A file written in place keeps its mode unless it is kept from SOURCE,
    // as cp's: no chmod, which its owner alone may make.
    let keptMode = inplace && existing && !this.o.preserve.mode ? undefined : mode;
    // What cp, writing into the file there, would have left of it.
    const replaced = existing && !inplace ? this.meta.keepReplaced({ fd: dstFd }, { dir: e.dstDir, name: e.dstName }, existing, e.dstPath, e.inheritedPermissions !== undefined, this.mirrorsXattrs) : undefined;
    // The old file's group, which this user is not in, could not be given: its
    // permissions are not handed to the user's own group instead (cp's write into it keeps the group).
    if (replaced?.groupLost && !this.o.preserve.mode && keptMode !== undefined) keptMode &= ~0o070;
    // A mirror gives a file written in place SOURCE's xattrs alone, as keepReplaced gives a new one (ACLs: dropAcls, below).
    if (existing && inplace && this.mirrorsXattrs) this.removeStaleXattrs({ fd: dstFd }, xattrs, e.dstPath);
    // An attribute that could not be set is reported; the data is kept, as cp keeps it.
    const applied = this.meta.apply({ fd: dstFd }, st, xattrs, e.dstPath, keptMode, true, created, this.dropsAcls(existing !== undefined, e.inheritedPermissions));
    if (inplace && applied) this.meta.setAttributes({ fd: dstFd }, st, e.dstPath);
    b.close(srcFd);
    if (!this.closedWhole(e, dstFd, inplace ? undefined : name)) return false;
    if (!inplace && !this.commit(e, name, "regular file")) return false;
    this.copied(e, outcome);
    return true;
  }

  /**
   * --verify: the copy, written to the disk and dropped from the page cache
   * with SOURCE's pages (where the backend can), is read back beside SOURCE
   * through a descriptor of its own (one that reads past the cache, where
   * the backend has it) and compared byte for byte. The message
   * when they differ or cannot be read; undefined when they are equal; false
   * when a cancel cut the comparison short (the copy is dropped, unverified,
   * without a word, as a cancelled copy is).
   */
  private verified(e: Entry, srcFd: number, dstFd: number, name: Name, length: number): Notice | false | undefined {
    const b = this.b;
    const evicted = b.pageCache?.evict(dstFd) ?? 0;
    if (evicted < 0) return { message: `error writing ${quote(e.dstPath)}: ${this.why(-evicted)}`, op: "write", path: e.dstPath, errno: -evicted };
    b.pageCache?.evict(srcFd);
    const follow = e.throughLink === true;
    const readFd = b.pageCache?.openUncached?.(e.dstDir, name, follow) ?? b.openRead(e.dstDir, name, follow);
    const written = b.fstat(dstFd);
    const read = readFd < 0 ? readFd : b.fstat(readFd);
    if (typeof read === "number" || typeof written === "number" || read.dev !== written.dev || read.ino !== written.ino) {
      if (readFd >= 0) b.close(readFd);
      const errno = typeof read === "number" ? -read : b.errno.ENOENT;
      return { message: `cannot read back ${quote(e.dstPath)} to verify it: ${this.why(errno)}`, op: "verify", path: e.dstPath, errno };
    }
    // Compared as far as this run wrote (`length`): a copy cut shorter since differs.
    const same = written.size !== length ? false : this.compare(srcFd, readFd, length, true);
    b.close(readFd);
    if (same === true) {
      this.report.counts.verified++;
      return undefined;
    }
    if (same === "cancelled") return false;
    if (same === false) {
      // Written over while copied (not only grown): SOURCE's doing, not the copy's.
      const now = b.fstat(srcFd);
      const changed = typeof now !== "number" && (now.size !== e.stat.size || now.mtimeSec !== e.stat.mtimeSec || now.mtimeNsec !== e.stat.mtimeNsec);
      if (changed) return { message: `verification failed: ${quote(e.srcPath)} changed while it was copied to ${quote(e.dstPath)}`, op: "verify", path: e.srcPath };
      return { message: `verification failed: ${quote(e.dstPath)} differs from ${quote(e.srcPath)}`, op: "verify", path: e.dstPath };
    }
    const path = same.side === "src" ? e.srcPath : e.dstPath;
    return { message: `error reading ${quote(path)}: ${this.why(same.errno)}`, op: "read", path, errno: same.errno };
  }

  /**
   * --attributes-only: no data is copied. A new file is made empty, with the
   * attributes kept (atomically, like a copy); an existing one keeps its data
   * and gets them, in place, as cp gives them to it. It must still be the
   * file that was found there: it is opened following symlinks.
   */
  private copyAttributes(e: Entry, existing: Stat | undefined, srcFd: number, st: Stat): boolean {
    const b = this.b;
    const inplace = existing !== undefined || this.o.inplace;
    const name = inplace ? e.dstName : this.temps.next(e.dstDir);
    if (inplace && e.backs && !this.backUp(e, false)) {
      b.close(srcFd);
      return false;
    }
    // A symlink inside a tree (removeFirst) goes as --remove-destination's file does: the file is made in its place.
    if (inplace && existing === undefined && (this.o.removeDestination || e.removeFirst) && !e.dstFresh && !this.removedFirst(e)) {
      b.close(srcFd);
      return false;
    }
    const mode = this.meta.modeFor("file", st, existing, e.inheritedPermissions);
    const createMode = e.dstFresh ? this.createMode(mode, e.inheritedPermissions) : 0o600;
    // Not through a symlink put in its place since (one out of DEST to a fifo
    // or a device would be opened for writing), unless DEST is a symlink
    // --inplace writes through, as cp.
    const dstFd = existing ? b.openWrite(e.dstDir, e.dstName, e.throughLink === true) : b.createFile(e.dstDir, name, createMode, inplace);
    const now = dstFd < 0 ? dstFd : b.fstat(dstFd);
    if (typeof now === "number" || (existing && (now.dev !== existing.dev || now.ino !== existing.ino))) {
      b.close(srcFd);
      if (dstFd >= 0) b.close(dstFd);
      if (dstFd >= 0 && !inplace) b.remove(e.dstDir, name, false);
      if (typeof now === "number") {
        this.report.fail(`cannot create regular file ${quote(e.dstPath)}: ${this.why(-now)}`, { op: "create", path: e.dstPath, errno: -now });
        if (dstFd < 0) this.restoreBackup(e);
      } else this.report.fail(`${quote(e.dstPath)} was replaced while being copied; skipped`, { op: "check", path: e.dstPath });
      return false;
    }
    const xattrs = this.meta.readXattrs({ fd: srcFd }, true, undefined, undefined, e.srcPath);
    const created = e.dstFresh ? { mode: createMode & ~this.o.umask, uid: this.euid, gid: e.newGid } : undefined;
    // A file there keeps its mode unless it is kept from SOURCE, as cp's: no chmod, which its owner alone may make.
    const keptMode = existing && !this.o.preserve.mode ? undefined : mode;
    const applied = this.meta.apply({ fd: dstFd }, st, xattrs, e.dstPath, keptMode, true, created, this.dropsAcls(existing !== undefined, e.inheritedPermissions));
    if (applied && inplace) this.meta.setAttributes({ fd: dstFd }, st, e.dstPath);
    b.close(srcFd);
    if (!this.closedWhole(e, dstFd, inplace ? undefined : name)) return false;
    if (!inplace && !this.commit(e, name, "regular file")) return false;
    this.report.fileCopied(0, undefined);
    if (existing) e.keptData = existing;
    this.listed(e);
    return true;
  }

  /**
   * DEST is a device or a fifo (through symlinks too): the copy is written
   * into it, as cp does (`blit log /dev/stdout`, `blit f /dev/null`), not put
   * in its place. Nothing else about it changes: not its mode, owner or
   * times, which cp -p would set on the device.
   */
  private copyInto(e: Entry, dstPath: Name, openFile: boolean): void {
    const b = this.b;
    const E = b.errno;
    if (this.o.noClobber) {
      this.skipped(e, "exists");
      return;
    }
    // A name in a target directory is reached from its directory without
    // following a symlink: the plan found a device or fifo there, and a
    // symlink put in its place since (while a fifo waits for a reader) must
    // not lead the write out of DEST. DEST named as given is the user's word.
    const at = e.dstNamed === true ? { dir: b.cwd, name: dstPath, follow: true } : { dir: e.dstDir, name: e.dstName, follow: false };
    const there = b.stat(at.dir, at.name, at.follow);
    if (typeof there !== "number" && !this.confirmed(e, there)) {
      this.declined(e);
      return;
    }
    // --attributes-only: nothing to write into it, and, as ever, nothing set on it.
    if (this.o.attributesOnly || this.o.dryRun) {
      this.report.fileCopied(0, undefined);
      this.listed(e);
      return;
    }
    const source = this.openSource(e, true);
    if (!source) return;
    const { srcFd, st, stream } = source;
    // A fifo that nobody reads yet: cp's open waits for a reader, so does
    // this one, in steps (a cancel ends the wait).
    let dstFd = b.openWrite(at.dir, at.name, at.follow);
    while (dstFd === -E.ENXIO && !this.cancelled && this.isFifo(at)) {
      Atomics.wait(this.cancel, 0, 0, FIFO_WAIT_MS);
      dstFd = b.openWrite(at.dir, at.name, at.follow);
    }
    // A symlink there now (O_NOFOLLOW's ELOOP): the name was swapped after the plan looked.
    if (dstFd === -E.ELOOP && !at.follow) {
      b.close(srcFd);
      this.report.fail(`${quote(e.dstPath)} was replaced while being copied; skipped`, { op: "check", path: e.dstPath });
      return;
    }
    const dst = dstFd < 0 ? dstFd : b.fstat(dstFd);
    if (typeof dst === "number") {
      b.close(srcFd);
      if (dstFd >= 0) b.close(dstFd);
      if (!this.cancelled) this.report.fail(`cannot create regular file ${quote(e.dstPath)}: ${this.why(-dst)}`, { op: "create", path: e.dstPath, errno: -dst });
      return;
    }
    // Opened without O_TRUNC: a regular file here now would be overwritten in
    // part, unless it is the open file DEST names, emptied first as cp's open empties it.
    const emptied = openFile && typeOf(dst.mode) === S_IFREG ? b.truncate(dstFd, 0) : -1;
    // A symlink itself (opened without following it, where the OS opens one: Windows' reparse point) is no device either.
    if ((typeOf(dst.mode) === S_IFREG && emptied !== 0) || typeOf(dst.mode) === S_IFDIR || typeOf(dst.mode) === S_IFLNK) {
      b.close(srcFd);
      b.close(dstFd);
      this.report.fail(`${quote(e.dstPath)} was replaced while being copied; skipped`, { op: "check", path: e.dstPath });
      return;
    }
    const outcome = this.data.copy(srcFd, dstFd, { ...this.request(st, dst.dev), stream, into: true });
    b.close(srcFd);
    if (!outcome.ok) b.close(dstFd);
    // Written in place: a failed close is said, and nothing is there to remove.
    if (outcome.ok && this.closedWhole(e, dstFd, undefined)) this.copied(e, outcome);
    else if (!outcome.ok) {
      const message = this.failure(e, outcome);
      if (message) this.report.fail(message.message, message);
    }
  }

  private isFifo(at: { dir: number; name: Name; follow: boolean }): boolean {
    const st = this.b.stat(at.dir, at.name, at.follow);
    return typeof st !== "number" && typeOf(st.mode) === S_IFIFO;
  }

  /** Whether SOURCE's entry, found of type `was`, is of another type now (an error alone does not prove it). */
  private typeChanged(e: Place, was: number): boolean {
    const now = this.b.stat(e.srcDir, e.srcName, false);
    return typeof now !== "number" && typeOf(now.mode) !== was;
  }

  private copySymlink(e: Entry): boolean {
    const target = this.b.readLink(e.srcDir, e.srcName);
    if (typeof target === "number") {
      // Statted as a symlink, now not one (EINVAL): swapped in since.
      if (target === -this.b.errno.EINVAL && this.typeChanged(e, S_IFLNK)) this.report.fail(`${quote(e.srcPath)} was replaced while being copied; skipped`, { op: "check", path: e.srcPath });
      else if (!this.vanished(e, -target)) this.report.fail(`cannot read symbolic link ${quote(e.srcPath)}: ${this.why(-target)}`, { op: "read", path: e.srcPath, errno: -target });
      return false;
    }
    const xattrs = this.meta.readXattrs({ dir: e.srcDir, name: e.srcName }, true, undefined, undefined, e.srcPath);
    e.linkTarget = target;
    e.targetChanged = this.pointedElsewhere(e, target);
    return this.makeAndCommit(e, "symbolic link", xattrs, undefined, (name) => this.b.makeSymlink(target, e.dstDir, name, e.stat.linkToDir), () => {
      this.report.count("symlinks");
    });
  }

  /** --itemize: the symlink e replaces led elsewhere than target (rsync's `c`). */
  private pointedElsewhere(e: Entry, target: Uint8Array): boolean {
    if (!this.o.listItems || !e.was || typeOf(e.was.mode) !== S_IFLNK) return false;
    const old = this.b.readLink(e.dstDir, e.dstName);
    return typeof old === "number" || Buffer.compare(old, target) !== 0;
  }

  private copySpecial(e: Entry): boolean {
    const st = e.stat;
    const xattrs = this.meta.readXattrs({ dir: e.srcDir, name: e.srcName }, true, undefined, undefined, e.srcPath);
    const mode = this.meta.modeFor("special", st, undefined, e.inheritedPermissions);
    const nodes = this.b.specialFiles;
    const make = (name: Name) =>
      nodes ? nodes.makeNode(e.dstDir, name, st.mode & (S_IFMT | 0o777), st.rdevMajor, st.rdevMinor) : -this.b.errno.EOPNOTSUPP;
    // cp's words: a fifo is named so, a device or socket is a "special file".
    return this.makeAndCommit(e, typeOf(st.mode) === S_IFIFO ? "fifo" : "special file", xattrs, mode, make, () => {
      this.report.count("specials");
    });
  }

  /**
   * Makes an entry that has no contents to copy (symlink, fifo, device):
   * straight under its name where madeUnderItsName says, else aside and
   * renamed over what is there, so the replacement is atomic. Then its metadata.
   */
  private makeAndCommit(e: Entry, what: string, xattrs: Xattrs, mode: number | undefined, make: (name: Name) => number, count: () => void): boolean {
    if (this.cannotRemoveForeign(e)) return false;
    let name = this.madeUnderItsName(e) ? e.dstName : this.temps.next(e.dstDir);
    let made = make(name);
    // Another run into the same DEST made it first: replaced as anywhere else.
    if (made === -this.b.errno.EEXIST && name === e.dstName && e.dstFresh) {
      name = this.temps.next(e.dstDir);
      made = make(name);
    }
    if (made < 0) {
      this.report.fail(`cannot create ${what} ${quote(e.dstPath)}: ${this.why(-made)}`, { op: "create", path: e.dstPath, errno: -made });
      return false;
    }
    // An attribute that could not be set is reported; the entry is kept, as cp keeps it.
    const applied = this.meta.apply({ dir: e.dstDir, name }, e.stat, xattrs, e.dstPath, mode, true, undefined, this.dropsAcls(false, e.inheritedPermissions));
    if (name !== e.dstName && !this.commit(e, name, what)) return false;
    if (name === e.dstName && applied) this.meta.setAttributes({ dir: e.dstDir, name }, e.stat, e.dstPath);
    count();
    this.listed(e);
    return true;
  }

  /**
   * Renames a finished entry from its temporary name onto its real name;
   * with -b, what is there is first renamed to its backup name, so the name
   * never holds anything but the old entry or the complete new one. Then
   * its attribute word, the one change left.
   */
  private commit(e: Entry, temp: Name, what: string): boolean {
    const b = this.b;
    if (e.backs && !this.backUp(e, true)) {
      b.remove(e.dstDir, temp, false);
      return false;
    }
    const place = () => e.dstFresh || e.was === undefined ? this.renameWhereNothingWas(e.dstDir, temp, e.dstDir, e.dstName, e.dstPath, e) : b.rename(e.dstDir, temp, e.dstDir, e.dstName, !this.o.noClobber);
    let renamed = place();
    const acl = renamed === -b.errno.EACCES || renamed === -b.errno.EPERM ? this.meta.takeOffAcl(e.dstDir, temp) : undefined;
    if (acl) renamed = place();
    if (renamed === 0) {
      if (acl) this.meta.putBackAcl(e.dstDir, e.dstName, acl, e.dstPath);
      // Last, under the final name: an immutable flag would have forbidden the rename.
      this.meta.setAttributes({ dir: e.dstDir, name: e.dstName }, e.stat, e.dstPath);
      return true;
    }
    b.remove(e.dstDir, temp, false);
    if (renamed === RACE_BACKUP_FAILED) return false;
    if (renamed === -b.errno.EEXIST && this.o.noClobber) {
      this.skipped(e, "exists");
      this.restoreBackup(e);
      return false;
    }
    // The temporary name is this run's own: gone means another program removed it (an rsync --delete into the same DEST).
    const why = renamed === -b.errno.ENOENT ? "its temporary file was removed by another program before it was renamed into place" : this.why(-renamed);
    this.report.fail(`cannot create ${what} ${quote(e.dstPath)}: ${why}${this.inplaceHint(e, -renamed, true)}`, { op: "create", path: e.dstPath, errno: -renamed });
    this.restoreBackup(e);
    return false;
  }

  /**
   * A file there that this user may write but not replace through a new one
   * beside it (its directory is not writable to them, or is sticky and the
   * file another user's), where cp, writing into the file, would succeed:
   * what to say after the failure's reason. Empty otherwise, and where the
   * file there is to be backed up: its backup needs the directory too, with
   * --inplace as in cp.
   */
  private inplaceHint(e: Entry, errno: number, tempMade: boolean): string {
    const b = this.b;
    const E = b.errno;
    // No inode or block left for the copy aside (a full disk or quota), where the file there could be written into.
    const noRoom = (errno === E.ENOSPC || errno === E.EDQUOT) && !tempMade;
    const mountPoint = errno === E.EBUSY;
    // --remove-destination removes what is there first with --inplace too: no way round it there.
    if (this.o.inplace || this.o.removeDestination || e.dstFresh || (this.o.backup !== "none" && !e.noBackup) || (errno !== E.EACCES && errno !== E.EPERM && errno !== E.ENOENT && !noRoom && !mountPoint)) return "";
    if (!e.was || typeOf(e.was.mode) !== S_IFREG || typeOf(e.stat.mode) !== S_IFREG || b.canWrite(e.dstDir, e.dstName) !== 0) return "";
    if (noRoom) return " (no room for a new file beside the one there; --inplace writes into it, as cp does)";
    // A file mounted on it (a bind mount) is what makes a local rename busy; CIFS says so of a file another holds open too.
    if (mountPoint) return " (if a file is mounted on it, no rename replaces it; --inplace writes into it, as cp does)";
    const dir = b.fstat(e.dstDir);
    // Removed meanwhile: no way into it.
    if (typeof dir === "number" || dir.nlink === 0) return "";
    // This user's permissions explain it (directoryLetsReplace); else, where
    // the copy aside was not made, the directory makes no new names
    // (immutable, whatever the user; /sys; /proc, which says ENOENT).
    if (errno !== E.ENOENT && !this.directoryLetsReplace(e.dstDir, dir, e.was)) return " (its directory does not let this user replace it; --inplace writes into it, as cp does)";
    return tempMade ? "" : " (its directory takes no new names; --inplace writes into it, as cp does)";
  }

  /**
   * Whether the directory open at dirFd (its stat `dir`) lets this user
   * replace a file there (`was`) with a new one: writable to them, as the
   * kernel judges it (root without CAP_DAC_OVERRIDE too), and not sticky
   * where neither the directory nor the file is theirs.
   */
  private directoryLetsReplace(dirFd: number, dir: Stat, was: Stat): boolean {
    const sticky = (dir.mode & 0o1000) !== 0 && dir.uid !== this.euid && was.uid !== this.euid;
    return !sticky && this.b.canWrite(dirFd, DOT) !== -this.b.errno.EACCES;
  }

  // ------------------------------------------------------------ -i

  /**
   * -i: asks on stderr whether to replace what is at e's destination, as
   * cp's overwrite_ok asks, and reads one line of stdin: yes when it starts
   * with y or Y. Without -i, yes. With -i the run has one worker and copies
   * nothing on the main thread at the same time, so only one copier asks at
   * a time and each question gets its own line of the answers.
   */
  private confirmed(e: Entry, st: Stat): boolean {
    if (!this.o.interactive) return true;
    let question = `overwrite ${quote(e.dstPath)}? `;
    // As cp: root is not asked about a file it cannot write (an immutable one: EPERM).
    if (typeOf(st.mode) !== S_IFDIR && !this.writesAnyFile && this.b.canWrite(e.dstDir, e.dstName) < 0) {
      const octal = (st.mode & 0o7777).toString(8).padStart(4, "0");
      question = this.replacesUnwritable || this.o.removeDestination
        ? `replace ${quote(e.dstPath)}, overriding mode ${octal} (${modeString(st.mode)})? `
        : `unwritable ${quote(e.dstPath)} (mode ${octal}, ${modeString(st.mode)}); try anyway? `;
    }
    return ask(this.b, question, () => this.cancelled);
  }

  /**
   * Whether e's destination (`st`, maybe from its chunk's batch) has other
   * names now, where this run may have unlinked one since: as cp sees it when
   * it gets there. A name of SOURCE's hard-link group is replaced by its
   * link anyway, as cp's link replaces it (not with -l or -s, where cp keeps
   * no groups: `linkable` false). A dry run counts what it would have
   * unlinked.
   */
  private hasOtherNames(e: Entry, st: Stat, linkable = this.linkable(e)): boolean {
    if (this.o.dryRun) {
      const key = `${st.dev}:${st.ino}`;
      const unlinked = this.dryRunUnlinked.get(key) ?? 0;
      if (st.nlink - unlinked <= 1 && !linkable) return false;
      this.dryRunUnlinked.set(key, unlinked + 1);
      return true;
    }
    if (linkable) return true;
    const now = this.b.stat(e.dstDir, e.dstName, false);
    return typeof now !== "number" && now.nlink > 1;
  }

  /**
   * --dry-run, an earlier operand's copy of one name not made: what the real
   * run would do meeting it. -n keeps it, and so does -u unless SOURCE is
   * newer than that copy would be; -i asks, and a yes is refused.
   */
  private wouldMeetJustCreated(e: Entry): void {
    const earlier = this.dryRunMade.get(this.dryRunKey(e.dstPath, e.dstDir));
    const newer = this.o.update === "older" && (earlier ? !this.keepsNewer(e, earlier) : e.stat.mtimeSec * 1000 > Date.now());
    if (this.o.noClobber || (this.o.update === "older" && !newer)) {
      this.skipped(e, this.o.noClobber ? "exists" : "newer");
      return;
    }
    if (!this.confirmed(e, e.stat)) {
      this.declined(e);
      return;
    }
    // An earlier directory operand's copy (`a/x c/x D`, a/x a directory) is refused as the directory it is.
    if (earlier && typeOf(earlier.mode) === S_IFDIR) this.report.fail(`cannot overwrite directory ${quote(e.dstPath)} with non-directory`, { op: "overwrite", path: e.dstPath });
    else this.refuseOverJustCreated(e, earlier);
  }

  /** An earlier operand's copy of one name (`a/f b/f D`) is not overwritten, nor written through where it is a symlink, in cp's words. */
  private refuseOverJustCreated(e: Entry, there: Stat | undefined): void {
    // cp's words for a symlink where it would write through it: not where it backs the link up or links anew.
    const through = this.o.backup === "none" && !this.o.link && !this.o.symbolicLink;
    this.report.fail(there && typeOf(there.mode) === S_IFLNK && through
      ? `will not copy ${quote(e.srcPath)} through just-created symlink ${quote(e.dstPath)}`
      : `will not overwrite just-created ${quote(e.dstPath)} with ${quote(e.srcPath)}`, { op: "overwrite", path: e.dstPath });
  }

  /**
   * --dry-run of operands merged into one directory (`a/. b/. D`): a name an
   * earlier operand's copy would have made is met as the real run meets
   * it, not as DEST is now. A file there is kept by -n, and by -u unless
   * SOURCE is newer; else replaced, listed against what it would be (rsync's
   * letters, -b's backup and what is removed first); -l and -s are refused
   * as over a file that is there; a directory there is in the way. False
   * where no earlier copy would have made the name (DEST's entry, if any,
   * would still be there), or what would be there decides beyond its stat
   * (--checksum, --attributes-only, --skip-unchanged's attributes): DEST is
   * looked at as it is.
   */
  private wouldMeetEarlier(e: Entry): boolean {
    const o = this.o;
    const made = this.dryRunMade.get(this.dryRunKey(e.dstPath, e.dstDir));
    if (made === undefined || o.checksum || o.attributesOnly) return false;
    // --skip-unchanged: a file whose data would be left is left (or given attributes: DEST decides that, as it is).
    if (this.leavesUnchanged && typeOf(made.mode) === S_IFREG && typeOf(e.stat.mode) === S_IFREG && made.size === e.stat.size && sameTimes(e.stat, made, o.modifyWindow)) {
      if (made.mode !== e.stat.mode || made.uid !== e.stat.uid || made.gid !== e.stat.gid) return false;
      this.report.counts.unchanged++;
      this.skipped(e, "unchanged");
      return true;
    }
    const dir = typeOf(made.mode) === S_IFDIR;
    const type = typeOf(e.stat.mode);
    const keep = this.keepsNewer(e, made);
    if (keep || o.noClobber) this.skipped(e, keep ? "newer" : "exists");
    else if (!this.confirmed(e, made)) this.declined(e);
    else if (dir) this.report.fail(`cannot overwrite directory ${quote(e.dstPath)} with non-directory`, { op: "overwrite", path: e.dstPath });
    else {
      e.was = made;
      e.backs = o.backup !== "none" && !e.noBackup;
      const replaces = o.force || o.removeDestination || e.backs || (o.link && o.interactive) || (!e.follow && type !== S_IFREG);
      if ((o.link || o.symbolicLink) && !replaces) {
        if (!o.symbolicLink || this.symlinkPlaceable(e)) this.linkFailed(e, o.link ? "hard link" : "symbolic link", -this.b.errno.EEXIST);
        return true;
      }
      const remade = type === S_IFLNK || (type !== S_IFREG && !o.readSpecialFiles);
      e.removes = !e.backs && (o.removeDestination || (remade && !o.link && !o.symbolicLink));
      this.wouldCopy(e);
    }
    return true;
  }

  /** What a copy of SOURCE's `stat` would be: its type and size, its attributes where they are preserved, else this run's. */
  private wouldBe(stat: Stat): Stat {
    const { preserve } = this.o;
    const now = Date.now();
    return {
      ...stat,
      mode: preserve.mode ? stat.mode : stat.mode & ~this.o.umask,
      uid: preserve.ownership ? stat.uid : this.euid,
      gid: preserve.ownership ? stat.gid : this.egid,
      ...(!preserve.timestamps && { mtimeSec: Math.floor(now / 1000), mtimeNsec: (now % 1000) * 1e6 }),
    };
  }

  /** -i's no; a question the run's stop cut short had no answer, and skipped nothing. */
  private declined(e: Entry): void {
    if (!this.cancelled) this.skipped(e, "declined");
  }

  // ------------------------------------------------------------ -b

  /**
   * gnulib's source_is_dst_backup: SOURCE's last component is DEST's plus
   * the simple suffix, and DEST's simple backup name (followed) is SOURCE's inode.
   */
  private destroysSource(e: Entry): boolean {
    // A numbered backup takes a new name (f.~1~), never SOURCE's: cp asks only of the others.
    if (this.o.backup === "numbered") return false;
    const suffix = ENCODER.encode(this.o.backupSuffix);
    const src = e.srcPath;
    let end = src.length;
    while (end > 1 && src[end - 1] === SLASH) end--;
    const base = src.subarray(src.lastIndexOf(SLASH, end - 1) + 1, end);
    const expected = concat(e.dstName, suffix);
    if (base.length !== expected.length || !base.every((byte, i) => byte === expected[i])) return false;
    const st = this.b.stat(e.dstDir, expected, true);
    return typeof st !== "number" && st.dev === e.stat.dev && st.ino === e.stat.ino;
  }

  /**
   * -b: what is under e's name goes to its backup name (replacing an older
   * backup); false when reported. Where a complete copy is about to be
   * renamed over it (`replaced`), as a hard link, so that the name is
   * never empty; otherwise (--inplace writes into the name) renamed there.
   */
  private backUp(e: Entry, replaced: boolean): boolean {
    const b = this.b;
    e.backs = false;
    // Another user's entry in a sticky directory: its name could not be
    // taken over, nor a backup linked beside it removed again. Refused
    // before anything is made, in cp's words (its rename to the backup fails).
    if (this.stickyForeign(e)) {
      this.report.fail(`cannot backup ${quote(e.dstPath)}: ${this.why(b.errno.EPERM)}`, { op: "backup", path: e.dstPath, errno: b.errno.EPERM });
      return false;
    }
    const kept = replaced
      ? linkAsBackup(b, e.dstDir, e.dstName, this.o.backup, this.o.backupSuffix, () => this.temps.next(e.dstDir))
      : renameToBackup(b, e.dstDir, e.dstName, this.o.backup, this.o.backupSuffix);
    // Gone meanwhile: nothing to keep.
    if (kept === -b.errno.ENOENT) return true;
    if (typeof kept === "number") {
      this.report.fail(`cannot backup ${quote(e.dstPath)}: ${this.why(-kept)}`, { op: "backup", path: e.dstPath, errno: -kept });
      return false;
    }
    const { name, linked } = kept instanceof Uint8Array ? { name: kept, linked: false } : kept;
    e.backupPath = backupPathOf(e, name);
    e.backupName = name;
    e.backupLinked = linked;
    return true;
  }

  /**
   * --inplace: what is there removed before the file is made under its name;
   * false, said in cp's words, where it cannot be: then the file there would
   * be opened and written into, under every other name it has.
   */
  private removedFirst(e: Entry): boolean {
    const r = this.b.remove(e.dstDir, e.dstName, false);
    if (r >= 0 || r === -this.b.errno.ENOENT) return true;
    this.report.fail(`cannot remove ${quote(e.dstPath)}: ${this.why(-r)}`, { op: "remove", path: e.dstPath, errno: -r });
    return false;
  }

  /**
   * Another user's entry in a sticky directory, where a symlink, fifo or
   * device would replace it: refused before anything is made, in cp's words
   * (its unlink of the entry fails; -l and -s, made aside and renamed as
   * cp's are, keep the rename's). With -b, backUp says it as cp does.
   */
  private cannotRemoveForeign(e: Entry): boolean {
    if (this.madeUnderItsName(e) || e.backs || !this.stickyForeign(e)) return false;
    this.report.fail(`cannot remove ${quote(e.dstPath)}: ${this.why(this.b.errno.EPERM)}`, { op: "remove", path: e.dstPath, errno: this.b.errno.EPERM });
    return true;
  }

  /** Whether e's destination is another user's entry in a sticky directory not this user's either (so not for this user to rename or remove). */
  private stickyForeign(e: Entry): boolean {
    if (this.euid === 0) return false;
    const dir = this.b.fstat(e.dstDir);
    if (typeof dir === "number" || (dir.mode & 0o1000) === 0 || dir.uid === this.euid) return false;
    const there = this.b.stat(e.dstDir, e.dstName, false);
    return typeof there !== "number" && there.uid !== this.euid;
  }

  /**
   * -b, the copy not renamed onto its name after all: what was there goes
   * back from its backup name, as cp's "unbackup" puts it back, so that a
   * failure does not leave the name empty. Not over anything another run
   * has put there since; `ours`: the file this run made under the name
   * (--inplace), which it goes back over, as cp's rename back replaces it,
   * while the name still holds that file.
   */
  private restoreBackup(e: Entry, ours?: Stat | number): void {
    if (!e.backupName) return;
    const b = this.b;
    let over = false;
    if (ours !== undefined && !e.backupLinked) {
      const there = b.stat(e.dstDir, e.dstName, false);
      // Another program's file there now (moved in meanwhile): it stays, and so does the backup.
      if (typeof ours === "number" || (typeof there !== "number" && (there.dev !== ours.dev || there.ino !== ours.ino))) return;
      over = typeof there !== "number";
    }
    // A link: what was there never left its name.
    const r = e.backupLinked ? b.remove(e.dstDir, e.backupName, false) : b.rename(e.dstDir, e.backupName, e.dstDir, e.dstName, over);
    if (r < 0) this.report.fail(`cannot un-backup ${quote(e.dstPath)}: ${this.why(-r)}`, { op: "backup", path: e.dstPath, errno: -r });
    // Back under its name: a copy made in its place after all backs it up again.
    else e.backs = true;
    e.backupName = undefined;
    e.backupPath = undefined;
    e.backupLinked = undefined;
  }

  // ------------------------------------------------------------ -l and -s

  /**
   * -l: e becomes a hard link to its source, or to what the source names
   * when it is a symlink that is followed (-L, -H, or -l's default). Made
   * aside and renamed over what is there, like a copy.
   */
  private hardLink(e: Entry): boolean {
    const make = (to: Name) => this.b.makeLink(e.srcDir, e.srcName, e.dstDir, to, e.follow);
    e.linkTarget = e.srcPath;
    return this.placeLink(e, "hard link", make, () => this.report.count("hardlinks"));
  }

  /**
   * -s: e becomes a symlink to its source's name as cp names it. A relative
   * name means the same only from the current directory, so, as cp, only
   * a link made there (whichever way DEST names it) may hold one.
   */
  private symbolicLink(e: Entry): boolean {
    const b = this.b;
    if (!this.symlinkPlaceable(e)) return false;
    // As cp -s -p: the link gets SOURCE's times; nothing else (owner, mode, xattrs) is set on it.
    const make = (to: Name) => {
      const made = b.makeSymlink(e.srcPath, e.dstDir, to, typeOf(e.stat.mode) === S_IFDIR);
      if (made < 0 || !this.o.preserve.timestamps) return made;
      const timed = b.setTimesAt(e.dstDir, to, e.stat);
      if (timed < 0 && timed !== -b.errno.EOPNOTSUPP && timed !== -b.errno.ENOTSUP && timed !== -b.errno.EPERM) {
        b.remove(e.dstDir, to, false);
        return timed;
      }
      return 0;
    };
    e.linkTarget = e.srcPath;
    return this.placeLink(e, "symbolic link", make, () => this.report.count("symlinks"));
  }

  /**
   * Whether -s may make e's link where it goes, else says why not: a
   * relative SOURCE only into the current directory (which a directory a
   * dry run would make, and so has no descriptor of, cannot be).
   */
  private symlinkPlaceable(e: Entry): boolean {
    const b = this.b;
    if (pathSyntax(b.pathRules).isAbsolute(Buffer.from(e.srcPath).toString("latin1"))) return true;
    const here = b.stat(b.cwd, DOT, true);
    const there = e.dstDir < 0 ? -b.errno.ENOENT : b.fstat(e.dstDir);
    if (typeof here !== "number" && typeof there !== "number" && here.dev === there.dev && here.ino === there.ino) return true;
    this.report.fail(`${quoteIfNeeded(e.dstPath)}: can make relative symbolic links only in current directory`, { path: e.dstPath });
    return false;
  }

  private linkFailed(e: Entry, what: string, errno: number): false {
    this.report.fail(`cannot create ${what} ${quote(e.dstPath)} to ${quote(e.srcPath)}: ${this.why(-errno)}`, { op: "create", path: e.dstPath, errno: -errno });
    return false;
  }

  /** Makes a link under e's name: directly where madeUnderItsName says, else aside and renamed over what is there. */
  private placeLink(e: Entry, what: string, make: (name: Name) => number, count: () => void): boolean {
    const b = this.b;
    let name = this.madeUnderItsName(e) ? e.dstName : this.temps.next(e.dstDir);
    let made = make(name);
    // Another run into the same DEST made it first: replaced as anywhere else.
    if (made === -b.errno.EEXIST && name === e.dstName && e.dstFresh) {
      name = this.temps.next(e.dstDir);
      made = make(name);
    }
    if (made < 0) return this.linkFailed(e, what, made);
    if (name !== e.dstName && e.backs && !this.backUp(e, true)) {
      b.remove(e.dstDir, name, false);
      return false;
    }
    if (name !== e.dstName) {
      const renamed = e.dstFresh || e.was === undefined ? this.renameWhereNothingWas(e.dstDir, name, e.dstDir, e.dstName, e.dstPath, e) : b.rename(e.dstDir, name, e.dstDir, e.dstName, !this.o.noClobber);
      // Also after a success: rename() does nothing when both names are one inode already.
      b.remove(e.dstDir, name, false);
      if (renamed === RACE_BACKUP_FAILED) return false;
      if (renamed === -b.errno.EEXIST && this.o.noClobber) {
        this.skipped(e, "exists");
        this.restoreBackup(e);
        return false;
      }
      if (renamed < 0) {
        // Said first, as cp says it before its "cannot un-backup".
        const failed = this.linkFailed(e, what, renamed);
        this.restoreBackup(e);
        return failed;
      }
    }
    count();
    this.listed(e, undefined, what === "hard link" ? "hardlink" : "symlink");
    return true;
  }

  // ------------------------------------------------------------ hard links

  /** Links e to the first copy of its inode, or copies it when that is not possible. */
  private linkOrCopy(e: Entry, slot: number): void {
    const b = this.b;
    const E = b.errno;
    const target = this.links!.wait(slot);
    if (this.cancelled) return;
    // The first copy failed: a name left in place (-u, unchanged) stays as it is.
    const copyOrKeep = () =>
      e.keep ? e.keep()
      : e.refusedUnlessLinked ? this.symlinkPlaceable(e) && this.linkFailed(e, "symbolic link", -E.EEXIST)
      : this.o.symbolicLink ? this.symbolicLink(e)
      : this.copyByType(e, undefined);
    if (!target) {
      copyOrKeep();
      return;
    }
    // --attributes-only: a file there, another inode than the first copy,
    // keeps its data and gets the attributes; linked to that copy (made
    // empty where its name was new) it would lose it. Not one moved to its
    // backup name (-b) or removed first (--remove-destination): nothing is
    // there to keep, and the name is linked, as cp links it.
    if (this.backsUpKept(e)) e.backs = true;
    if (this.o.attributesOnly && e.was !== undefined && typeOf(e.was.mode) === S_IFREG && !e.backs && !this.o.removeDestination) {
      const first = b.stat(target.rootFd, target.path, false);
      if (typeof first === "number" || first.dev !== e.was.dev || first.ino !== e.was.ino) {
        this.copyByType(e, e.was);
        return;
      }
    }
    const r = this.linkTo(target, e);
    if (r === BACKUP_FAILED) return;
    if (r === FIRST_REPLACED) {
      copyOrKeep();
      return;
    }
    if (r === LINKED_ALREADY) {
      this.alreadyLinked(e, target);
      return;
    }
    if (r === 0) {
      this.linkListed(e, target);
      return;
    }
    // -b: the link not renamed onto the name after all, what was there goes
    // back from its backup name (after the message, as cp's un-backup).
    if (r === -E.EEXIST && this.o.noClobber) {
      this.skipped(e, "exists");
      this.restoreBackup(e);
      return;
    }
    // Past the filesystem's links per inode, or on another filesystem (a mount in DEST): made apart, and said (cp fails there).
    if (r === -E.EMLINK || r === -E.EXDEV) this.report.warn(`cannot create hard link ${quote(e.dstPath)}: ${this.why(-r)}; ${e.keep ? "left as it is" : this.o.symbolicLink ? "a symbolic link of its own made instead" : "copied instead"}`, { op: "link", path: e.dstPath, errno: -r });
    else {
      this.report.fail(`cannot create hard link ${quote(e.dstPath)}: ${this.why(-r)}`, { op: "create", path: e.dstPath, errno: -r });
      this.restoreBackup(e);
      return;
    }
    // Copied instead: backed up again by the copy.
    this.restoreBackup(e);
    copyOrKeep();
  }

  /**
   * -b: a name left in place (-u, unchanged) that becomes a link of the
   * first copy is replaced all the same: kept under its backup name, as any
   * file replaced is.
   */
  private backsUpKept(e: Entry): boolean {
    return e.keep !== undefined && !e.dstFresh && this.o.backup !== "none" && !e.noBackup && !this.destroysSource(e);
  }

  /** Whether two open directories are one (--parents opens each operand's DEST directory apart). */
  private sameDirectory(a: number, b: number): boolean {
    const [x, y] = [this.b.fstat(a), this.b.fstat(b)];
    return typeof x !== "number" && typeof y !== "number" && x.dev === y.dev && x.ino === y.ino;
  }

  /** A name made a link to the first copy of its inode: counted and listed (--itemize: `=> name`). */
  private linkListed(e: Entry, target: LinkTarget): void {
    this.report.count("hardlinks");
    if (this.o.listItems) e.linkTarget = this.linkedPath(e, target);
    this.listed(e, undefined, "hardlink");
  }

  /**
   * A name that is a link of the first copy already (a second run): with
   * --skip-unchanged or --checksum, where it holds SOURCE's data, left as an
   * unchanged name is, with nothing of its own to set or tell: its
   * attributes are its inode's, which the first name set (a dry run told
   * them there), so a dry run and a real run list it alike (`hf`, blanks).
   * Where -u keeps it, as kept; else listed as the link it is, as cp lists
   * it. Not given SOURCE's attributes where its data is not SOURCE's: -u
   * kept the first name, newer, and SOURCE's older mtime on it would make
   * the next quick check take it for SOURCE's.
   */
  private alreadyLinked(e: Entry, target: LinkTarget): void {
    // Kept by -u itself, as it would be were it the first name: listed as kept, with blanks.
    const keptNewer = e.was !== undefined && e.keep !== undefined && this.keepsNewer(e, e.was);
    if (this.leavesUnchanged && keptNewer) {
      e.linkedAlready = true;
      e.keep!();
    } else if (this.leavesUnchanged && e.was && this.holdsSourceData(e, e.was)) {
      e.linkedAlready = true;
      this.report.counts.unchanged++;
      this.skipped(e, "unchanged");
    } else this.linkListed(e, target);
  }

  /**
   * --dry-run: what linkOrCopy would do with a name waiting for the first
   * copy of its inode, which a dry run publishes as soon as it claims it:
   * a name of that copy already stays so, another is made a link to it
   * (or kept, when the first copy was not made).
   */
  private wouldLink(e: Entry, slot: number): void {
    const target = this.links!.wait(slot);
    if (!target) {
      if (e.keep) e.keep();
      else this.wouldCopy(e);
      return;
    }
    const first = this.firstCopyStat(target);
    const here = e.dstFresh ? -this.b.errno.ENOENT : this.b.stat(e.dstDir, e.dstName, false);
    const linked = typeof first !== "number" && typeof here !== "number" && first.dev === here.dev && first.ino === here.ino;
    if (linked) {
      this.alreadyLinked(e, target);
      return;
    }
    if (this.backsUpKept(e)) {
      e.backupPath = backupPathOf(e, backupName(this.b, e.dstDir, e.dstName, this.o.backup, this.o.backupSuffix));
    }
    this.linkListed(e, target);
  }

  /**
   * The first copy's path as e's names DEST (its DEST path up to the job's
   * destination, then the table's path below it, in the OS's separators),
   * for --itemize's " => name", as rsync's. undefined where that cannot be
   * told: a copy below another operand's destination.
   */
  private linkedPath(e: Entry, target: LinkTarget): Uint8Array | undefined {
    if (target.rootFd !== e.rootFd && !this.sameDirectory(target.rootFd, e.rootFd)) return undefined;
    const sep = this.separator;
    const isSep = (byte: number | undefined) => byte === SLASH || byte === sep;
    // e.dstPath ends with e.dstRel, its separators the OS's, maybe doubled (DEST given as "d//").
    let shown = e.dstPath.length;
    for (let rel = e.dstRel.length - 1; rel >= 0; rel--) {
      if (e.dstRel[rel] === SLASH) {
        if (!isSep(e.dstPath[shown - 1])) return undefined;
        while (isSep(e.dstPath[shown - 1])) shown--;
      } else if (e.dstPath[--shown] !== e.dstRel[rel]) {
        return undefined;
      }
    }
    if (shown < 0) return undefined;
    const prefix = shown;
    const out = new Uint8Array(prefix + target.path.length);
    out.set(e.dstPath.subarray(0, prefix));
    out.set(sep === SLASH ? target.path : target.path.map((byte) => (byte === SLASH ? sep : byte)), prefix);
    return out;
  }

  /**
   * Makes e a hard link to the first copy, reached as atFirstCopy reaches
   * it: never through a symlink, so never to anything outside DEST.
   */
  private linkTo(target: LinkTarget, e: Entry): number {
    const b = this.b;
    return this.atFirstCopy(target, (dir, last) => {
      const copy = target.copy;
      const first = copy || !e.dstFresh ? b.stat(dir, last, false) : undefined;
      // Only a name gone or holding another inode says the first copy was
      // replaced; another failure (EIO, ENOMEM) is this link's failure.
      if (copy && typeof first === "number" && first !== -b.errno.ENOENT) return first;
      if (copy && (typeof first !== "object" || first.dev !== copy.dev || first.ino !== copy.ino)) return FIRST_REPLACED;
      if (!e.dstFresh) {
        const here = b.stat(e.dstDir, e.dstName, false);
        if (typeof here !== "number" && typeof first === "object" && here.dev === first.dev && here.ino === first.ino) return LINKED_ALREADY;
      }
      // linkat() fails with ENOENT when the inode it found lost its last name
      // meanwhile: another run into the same DEST renamed its copy over the
      // target, which names that copy now. Linked again, to it.
      const link = (name: Name) => {
        let r = b.makeLink(dir, last, e.dstDir, name);
        for (let tries = 1; r === -b.errno.ENOENT && tries < LINK_TRIES; tries++) r = b.makeLink(dir, last, e.dstDir, name);
        // Not under a temporary name: the rename and removal after it would be refused as well.
        return r === -b.errno.EPERM && name === e.dstName ? this.linkPastAttributes(dir, last, e, r, this.linkedPath(e, target) ?? e.dstPath) : r;
      };
      let name = this.madeUnderItsName(e) ? e.dstName : this.temps.next(e.dstDir);
      let r = link(name);
      // Another run into the same DEST made it first: replaced as anywhere else.
      if (r === -b.errno.EEXIST && name === e.dstName && e.dstFresh) {
        name = this.temps.next(e.dstDir);
        r = link(name);
      }
      // Another run renamed its copy over the first between the look above
      // and the link, which then names their data: undone, copied anew.
      const linked = r === 0 && copy ? b.stat(e.dstDir, name, false) : undefined;
      if (typeof linked === "number" || (linked && copy && (linked.dev !== copy.dev || linked.ino !== copy.ino))) {
        b.remove(e.dstDir, name, false);
        return typeof linked === "number" && linked !== -b.errno.ENOENT ? linked : FIRST_REPLACED;
      }
      if (r < 0 || name === e.dstName) return r;
      if (e.backs && !this.backUp(e, true)) {
        b.remove(e.dstDir, name, false);
        return BACKUP_FAILED;
      }
      const renamed = e.dstFresh || e.was === undefined ? this.renameWhereNothingWas(e.dstDir, name, e.dstDir, e.dstName, e.dstPath, e) : b.rename(e.dstDir, name, e.dstDir, e.dstName, !this.o.noClobber);
      // Also after a success: rename() does nothing when both names are
      // already links to one inode (another run into the same DEST linked
      // to this copy first), and the temporary name would stay.
      b.remove(e.dstDir, name, false);
      return renamed === RACE_BACKUP_FAILED ? BACKUP_FAILED : renamed;
    });
  }

  /**
   * A link refused (EPERM) to a first copy whose attribute word is set:
   * macOS refuses a new name to an immutable or append-only file (uchg,
   * schg, uappnd), which the first copy is made once in place. The word is
   * taken off for the link and set again, as it is on every name of the inode.
   */
  private linkPastAttributes(dir: number, last: Name, e: Entry, refused: number, firstPath: Uint8Array): number {
    const b = this.b;
    const attributes = b.attributes;
    if (!attributes) return refused;
    const first = b.stat(dir, last, false);
    const word = typeof first === "number" ? 0 : (first.attributes ?? 0) & attributes.kept;
    if (word === 0 || typeof first === "number") return refused;
    const cleared = attributes.setAt(dir, last, (first.attributes ?? 0) & ~word);
    const r = cleared < 0 ? refused : b.makeLink(dir, last, e.dstDir, e.dstName);
    // Set again whatever came of it (a refusal may have cleared some flags); said where it cannot be.
    const restored = attributes.setAt(dir, last, first.attributes ?? 0);
    if (restored < 0) this.report.fail(`preserving flags for ${quote(firstPath)}: ${this.why(-restored)}`, { op: "chflags", path: firstPath, errno: -restored });
    return r;
  }

  /** `part` of `dir` opened through the symlink it is, where that leads to a directory a kept symlink led the copy into; else `refused`. */
  private throughKeptSymlink(dir: number, part: Name, refused: number): number {
    const b = this.b;
    const entered = this.entered;
    if (!entered || (refused !== -b.errno.ENOTDIR && refused !== -b.errno.ELOOP)) return refused;
    const fd = b.openDir(dir, part, true);
    if (fd < 0) return refused;
    const st = b.fstat(fd);
    if (typeof st !== "number" && entered.holdsSurely(st.dev, st.ino)) return fd;
    b.close(fd);
    return refused;
  }

  /** What DEST holds under the first copy's name, not following symlinks (a dry run's link check). */
  private firstCopyStat(target: LinkTarget): Stat | number {
    return this.atFirstCopy(target, (dir, last) => this.b.stat(dir, last, false));
  }

  /**
   * Calls `use` with the first copy's directory and name. That directory is
   * found from the copy's root one directory at a time without following
   * symlinks, so a directory in DEST swapped for a symlink cannot lead
   * anywhere outside it; with --keep-directory-symlink, a symlink is followed
   * where the directory it leads to now is one a kept symlink led the copy
   * into (entered). A negated errno if it cannot be opened.
   */
  private atFirstCopy<T>(target: LinkTarget, use: (dir: number, last: Name) => T): T | number {
    const b = this.b;
    const parts: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i <= target.path.length; i++) {
      if (i === target.path.length || target.path[i] === SLASH) {
        if (i > start) parts.push(target.path.subarray(start, i));
        start = i + 1;
      }
    }
    const last = parts.pop();
    if (!last) return -b.errno.EINVAL;
    let dir = target.rootFd;
    const opened: number[] = [];
    try {
      for (const part of parts) {
        // A directory this user may write and search but not read (a drop box): opened to name entries in.
        const next = openDestinationDir(b, dir, part, false);
        dir = next >= 0 ? next : this.throughKeptSymlink(dir, part, next);
        if (dir < 0) return dir;
        opened.push(dir);
      }
      return use(dir, last);
    } finally {
      for (const fd of opened) b.close(fd);
    }
  }
}
