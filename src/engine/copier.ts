// Copies entries, one worker's share of the run. Every operation is relative
// to an open directory handle, with symlinks in SOURCE followed only when the
// options say so and never in DEST. Regular files are written under a
// temporary name and renamed into place complete, with their metadata.

import {
  type Backend,
  type Name,
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
import type { EngineOptions } from "../options.ts";
import type { CopyJob } from "../plan.ts";
import { quote } from "../quote.ts";
import { emptyCounts, type Counts } from "./counts.ts";
import type { DirFinish, DirWork, Output } from "./messages.ts";
import { joinPath, splitPath, toBytes } from "./paths.ts";

/** Where an entry is and where it goes. */
interface Place {
  srcDir: number;
  srcName: Name;
  dstDir: number;
  dstName: Name;
  /** For messages: the containing directories' paths... */
  srcParentPath: Uint8Array;
  dstParentPath: Uint8Array;
  /** ...or, when known already, the entry's own. */
  srcPath?: Uint8Array;
  dstPath?: Uint8Array;
  /** Follow the entry itself if it is a symlink (-L, or -H on the command line). */
  follow: boolean;
  /** Nothing can exist at the destination: its directory was just created. */
  dstFresh: boolean;
}

/** An entry to copy, with what it was when listed. */
interface Entry extends Place {
  stat: Stat;
}

export interface DirResult {
  children: DirWork[];
  finish: DirFinish | undefined;
}

const typeOf = (mode: number) => mode & S_IFMT;

export class Copier {
  counts: Counts = emptyCounts();
  output: Output = { out: [], errors: [], warnings: [] };
  private tempSerial = 0;

  constructor(
    private readonly b: Backend,
    private readonly o: EngineOptions,
    private readonly workerIndex: number,
  ) {}

  /** Hands over what was counted and said since the last call. */
  drain(): { counts: Counts; output: Output } {
    const result = { counts: this.counts, output: this.output };
    this.counts = emptyCounts();
    this.output = { out: [], errors: [], warnings: [] };
    return result;
  }

  // ------------------------------------------------------------ reporting

  private why(errno: number): string {
    return this.b.strerror(errno);
  }

  private fail(message: string): void {
    this.output.errors.push(message);
    this.counts.errors++;
  }

  private warn(message: string): void {
    this.output.warnings.push(message);
  }

  private srcPathOf(e: Place): Uint8Array {
    return e.srcPath ?? joinPath(e.srcParentPath, e.srcName);
  }

  private dstPathOf(e: Place): Uint8Array {
    return e.dstPath ?? joinPath(e.dstParentPath, e.dstName);
  }

  private listed(e: Place): void {
    if (this.o.verbose) this.output.out.push(`${quote(this.srcPathOf(e))} -> ${quote(this.dstPathOf(e))}`);
  }

  private tempName(): Name {
    return toBytes(`.blit-${this.o.runId}-${this.workerIndex}-${(this.tempSerial++).toString(36)}.tmp`);
  }

  // ------------------------------------------------------------ top-level jobs

  /** A command-line operand. Directories come back as a DirResult to schedule. */
  runJob(job: CopyJob): DirResult {
    const b = this.b;
    const srcPath = toBytes(job.src);
    const dstPath = toBytes(job.dst);
    const stat = b.stat(b.cwd, srcPath, job.followSrc);
    if (typeof stat === "number") {
      this.fail(`cannot stat ${quote(job.src)}: ${this.why(-stat)}`);
      return { children: [], finish: undefined };
    }
    const { dir, base } = splitPath(job.dst);
    const dstDir = b.openDir(b.cwd, toBytes(dir), true);
    if (dstDir < 0) {
      const what = typeOf(stat.mode) === S_IFDIR ? "directory" : "regular file";
      this.fail(`cannot create ${what} ${quote(job.dst)}: ${this.why(-dstDir)}`);
      return { children: [], finish: undefined };
    }
    const entry: Entry = {
      srcDir: b.cwd,
      srcName: srcPath,
      dstDir,
      dstName: toBytes(base),
      srcParentPath: new Uint8Array(0),
      dstParentPath: new Uint8Array(0),
      srcPath,
      dstPath,
      stat,
      follow: job.followSrc,
      dstFresh: false,
    };
    if (typeOf(stat.mode) === S_IFDIR) {
      const result = this.copyDirectory(entry, undefined, undefined);
      if (result.finish) result.finish.alsoClose.push(dstDir);
      else b.close(dstDir);
      return result;
    }
    this.copyNonDirectory(entry);
    b.close(dstDir);
    return { children: [], finish: undefined };
  }

  /** A directory found inside the tree. */
  runDir(work: DirWork): DirResult {
    const place: Place = {
      srcDir: work.srcParent,
      srcName: work.srcName,
      dstDir: work.dstParent,
      dstName: work.dstName,
      srcParentPath: new Uint8Array(0),
      dstParentPath: new Uint8Array(0),
      srcPath: work.srcPath,
      dstPath: work.dstPath,
      follow: this.o.dereference === "always",
      dstFresh: work.dstFresh,
    };
    return this.copyDirectory(place, { dev: work.expectDev, ino: work.expectIno }, work.ancestors);
  }

  // ------------------------------------------------------------ directories

  /**
   * Opens the source directory, checks it is the one that was listed
   * (`expect`), creates or reuses the destination, copies the entries that
   * are not directories and returns the ones that are, for the pool.
   */
  private copyDirectory(e: Place, expect: { dev: number; ino: bigint } | undefined, ancestors: string[] | undefined): DirResult {
    const b = this.b;
    const E = b.errno;
    const none: DirResult = { children: [], finish: undefined };
    const srcPath = this.srcPathOf(e);
    const dstPath = this.dstPathOf(e);

    const srcFd = b.openDir(e.srcDir, e.srcName, e.follow);
    if (srcFd < 0) {
      this.fail(`cannot open directory ${quote(srcPath)}: ${this.why(-srcFd)}`);
      return none;
    }
    const stat = b.fstat(srcFd);
    if (typeof stat === "number") {
      b.close(srcFd);
      this.fail(`cannot stat ${quote(srcPath)}: ${this.why(-stat)}`);
      return none;
    }
    if (expect && (stat.dev !== expect.dev || stat.ino !== expect.ino)) {
      b.close(srcFd);
      this.fail(`${quote(srcPath)} was replaced while being copied; skipped`);
      return none;
    }
    // Following symlinks (-L) can lead back to a directory above this one, on
    // either side of the copy; copying it would never end.
    const identity = `${stat.dev}:${stat.ino}`;
    if (ancestors?.includes(identity)) {
      b.close(srcFd);
      this.fail(`cannot copy cyclic symbolic link ${quote(srcPath)}`);
      return none;
    }

    // Created private and writable: the final mode comes once it is filled.
    let created = false;
    const made = b.makeDir(e.dstDir, e.dstName, 0o700);
    if (made === 0) {
      created = true;
    } else if (made === -E.EEXIST && !e.dstFresh) {
      const existing = b.stat(e.dstDir, e.dstName, false);
      if (typeof existing !== "number" && typeOf(existing.mode) !== S_IFDIR) {
        b.close(srcFd);
        this.fail(`cannot overwrite non-directory ${quote(dstPath)} with directory ${quote(srcPath)}`);
        return none;
      }
    } else {
      b.close(srcFd);
      this.fail(`cannot create directory ${quote(dstPath)}: ${this.why(-made)}`);
      return none;
    }
    const dstFd = b.openDir(e.dstDir, e.dstName, false);
    if (dstFd < 0) {
      b.close(srcFd);
      this.fail(`cannot open directory ${quote(dstPath)}: ${this.why(-dstFd)}`);
      return none;
    }
    this.counts.directories++;
    this.listed(e);

    const entries = b.readDir(srcFd);
    const children: DirWork[] = [];
    const finish: DirFinish = { srcFd, dstFd, stat, created, dstPath, alsoClose: [] };
    if (typeof entries === "number") {
      this.fail(`cannot read directory ${quote(srcPath)}: ${this.why(-entries)}`);
      return { children, finish };
    }
    const followInside = this.o.dereference === "always";
    let childAncestors: string[] | undefined;
    if (followInside) {
      const dstStat = b.fstat(dstFd);
      childAncestors = [...(ancestors ?? []), identity];
      if (typeof dstStat !== "number") childAncestors.push(`${dstStat.dev}:${dstStat.ino}`);
    }
    for (const { name } of entries) {
      const childStat = b.stat(srcFd, name, followInside);
      if (typeof childStat === "number") {
        this.fail(`cannot stat ${quote(joinPath(srcPath, name))}: ${this.why(-childStat)}`);
        continue;
      }
      if (typeOf(childStat.mode) === S_IFDIR) {
        children.push({
          srcParent: srcFd,
          dstParent: dstFd,
          srcName: name,
          dstName: name,
          srcPath: joinPath(srcPath, name),
          dstPath: joinPath(dstPath, name),
          expectDev: childStat.dev,
          expectIno: childStat.ino,
          dstFresh: created,
          ancestors: childAncestors,
        });
        continue;
      }
      this.copyNonDirectory({
        srcDir: srcFd,
        srcName: name,
        dstDir: dstFd,
        dstName: name,
        srcParentPath: srcPath,
        dstParentPath: dstPath,
        stat: childStat,
        follow: followInside,
        dstFresh: created,
      });
    }
    return { children, finish };
  }

  /** Applies a directory's metadata once everything inside is written, then closes it. */
  finishDirectory(f: DirFinish): void {
    const b = this.b;
    const { preserve, umask } = this.o;
    const st = f.stat;
    if (preserve.ownership) this.chown(f.dstPath, (uid, gid) => b.chownFd(f.dstFd, uid, gid), st);
    if (f.created || preserve.mode) {
      const mode = preserve.mode ? st.mode & 0o7777 : st.mode & 0o777 & ~umask;
      const r = b.chmodFd(f.dstFd, mode);
      if (r < 0) this.fail(`setting permissions for ${quote(f.dstPath)}: ${this.why(-r)}`);
    }
    if (preserve.timestamps) {
      const r = b.setTimesFd(f.dstFd, st);
      if (r < 0) this.fail(`preserving times for ${quote(f.dstPath)}: ${this.why(-r)}`);
    }
    b.close(f.srcFd);
    b.close(f.dstFd);
    for (const fd of f.alsoClose) b.close(fd);
  }

  // ------------------------------------------------------------ everything else

  private copyNonDirectory(e: Entry): void {
    const b = this.b;
    let existing: Stat | undefined;
    if (!e.dstFresh) {
      const st = b.stat(e.dstDir, e.dstName, false);
      if (typeof st !== "number") {
        if (typeOf(st.mode) === S_IFDIR) {
          this.fail(`cannot overwrite directory ${quote(this.dstPathOf(e))} with non-directory`);
          return;
        }
        if (this.o.noClobber) {
          this.counts.skipped++;
          return;
        }
        if (st.dev === e.stat.dev && st.ino === e.stat.ino) {
          this.fail(`${quote(this.srcPathOf(e))} and ${quote(this.dstPathOf(e))} are the same file`);
          return;
        }
        if (typeOf(st.mode) === S_IFREG) {
          if (!this.o.force) {
            const writable = b.canWrite(e.dstDir, e.dstName);
            if (writable < 0) {
              this.fail(`cannot open ${quote(this.dstPathOf(e))} for writing: ${this.why(-writable)} (use -f to replace it)`);
              return;
            }
          }
          // cp writes into the file it finds, so that file's mode stays.
          existing = st;
        }
      }
    }
    switch (typeOf(e.stat.mode)) {
      case S_IFREG:
        return this.copyFile(e, existing);
      case S_IFLNK:
        return this.copySymlink(e);
      case S_IFIFO:
      case S_IFCHR:
      case S_IFBLK:
      case S_IFSOCK:
        return this.copySpecial(e);
      default:
        this.fail(`${quote(this.srcPathOf(e))}: unknown file type; skipped`);
    }
  }

  /** chown, falling back as cp does: a non-root user keeps the group if it may. */
  private chown(path: Uint8Array, apply: (uid: number, gid: number) => number, st: Stat): void {
    const E = this.b.errno;
    const r = apply(st.uid, st.gid);
    if (r === 0) return;
    if (r === -E.EPERM || r === -E.EINVAL) {
      apply(-1 >>> 0, st.gid);
      return;
    }
    this.warn(`failed to preserve ownership for ${quote(path)}: ${this.why(-r)}`);
  }

  private copyFile(e: Entry, existing: Stat | undefined): void {
    const b = this.b;
    const E = b.errno;
    const { preserve, umask } = this.o;
    const srcFd = b.openRead(e.srcDir, e.srcName, e.follow);
    if (srcFd < 0) {
      this.fail(`cannot open ${quote(this.srcPathOf(e))} for reading: ${this.why(-srcFd)}`);
      return;
    }
    const st = b.fstat(srcFd);
    if (typeof st === "number" || typeOf(st.mode) !== S_IFREG) {
      b.close(srcFd);
      this.fail(`${quote(this.srcPathOf(e))} changed while being copied; skipped`);
      return;
    }
    const temp = this.tempName();
    const dstFd = b.createFile(e.dstDir, temp, 0o600);
    if (dstFd < 0) {
      b.close(srcFd);
      this.fail(`cannot create regular file ${quote(this.dstPathOf(e))}: ${this.why(-dstFd)}`);
      return;
    }
    const abandon = (message: string) => {
      b.close(srcFd);
      b.close(dstFd);
      b.remove(e.dstDir, temp, false);
      this.fail(message);
    };

    const outcome = b.copyData(srcFd, dstFd, { reflink: this.o.reflink, sizeHint: st.size });
    if (!outcome.ok) {
      const src = quote(this.srcPathOf(e));
      const dst = quote(this.dstPathOf(e));
      const reason = this.why(outcome.errno);
      if (outcome.stage === "clone") abandon(`failed to clone ${dst} from ${src}: ${reason}`);
      else if (outcome.stage === "read") abandon(`error reading ${src}: ${reason}`);
      else abandon(`error writing ${dst}: ${reason}`);
      return;
    }

    // Order matters: chown clears setuid/setgid, so chmod follows it; times last.
    if (preserve.ownership) this.chown(this.dstPathOf(e), (uid, gid) => b.chownFd(dstFd, uid, gid), st);
    const mode = preserve.mode ? st.mode & 0o7777
      : existing ? existing.mode & 0o7777
      : st.mode & 0o777 & ~umask;
    const chmod = b.chmodFd(dstFd, mode);
    if (chmod < 0) {
      abandon(`setting permissions for ${quote(this.dstPathOf(e))}: ${this.why(-chmod)}`);
      return;
    }
    if (preserve.timestamps) {
      const r = b.setTimesFd(dstFd, st);
      if (r < 0) {
        abandon(`preserving times for ${quote(this.dstPathOf(e))}: ${this.why(-r)}`);
        return;
      }
    }
    b.close(srcFd);
    b.close(dstFd);

    const renamed = b.rename(e.dstDir, temp, e.dstDir, e.dstName, !this.o.noClobber);
    if (renamed < 0) {
      b.remove(e.dstDir, temp, false);
      if (renamed === -E.EEXIST && this.o.noClobber) {
        this.counts.skipped++;
        return;
      }
      this.fail(`cannot create regular file ${quote(this.dstPathOf(e))}: ${this.why(-renamed)}`);
      return;
    }
    this.counts.files++;
    this.counts.bytes += outcome.bytes;
    this.counts.methods[outcome.method]++;
    this.listed(e);
  }

  private copySymlink(e: Entry): void {
    const b = this.b;
    const E = b.errno;
    const target = b.readLink(e.srcDir, e.srcName);
    if (typeof target === "number") {
      this.fail(`cannot read symbolic link ${quote(this.srcPathOf(e))}: ${this.why(-target)}`);
      return;
    }
    // Into a fresh directory the link goes straight to its name; over an
    // existing entry it is made aside and renamed, so the swap is atomic.
    const name = e.dstFresh ? e.dstName : this.tempName();
    const made = b.makeSymlink(target, e.dstDir, name);
    if (made < 0) {
      this.fail(`cannot create symbolic link ${quote(this.dstPathOf(e))}: ${this.why(-made)}`);
      return;
    }
    if (this.o.preserve.ownership) this.chown(this.dstPathOf(e), (uid, gid) => b.chownAt(e.dstDir, name, uid, gid), e.stat);
    if (this.o.preserve.timestamps) {
      const r = b.setTimesAt(e.dstDir, name, e.stat);
      if (r < 0 && r !== -E.EOPNOTSUPP) this.warn(`preserving times for ${quote(this.dstPathOf(e))}: ${this.why(-r)}`);
    }
    if (name !== e.dstName && !this.commitAside(e, name)) return;
    this.counts.symlinks++;
    this.listed(e);
  }

  private copySpecial(e: Entry): void {
    const b = this.b;
    const st = e.stat;
    const name = e.dstFresh ? e.dstName : this.tempName();
    const made = b.makeNode(e.dstDir, name, st.mode & (S_IFMT | 0o777), st.rdevMajor, st.rdevMinor);
    if (made < 0) {
      this.fail(`cannot create special file ${quote(this.dstPathOf(e))}: ${this.why(-made)}`);
      return;
    }
    const { preserve, umask } = this.o;
    if (preserve.ownership) this.chown(this.dstPathOf(e), (uid, gid) => b.chownAt(e.dstDir, name, uid, gid), st);
    const mode = preserve.mode ? st.mode & 0o7777 : st.mode & 0o777 & ~umask;
    const chmod = b.chmodAt(e.dstDir, name, mode);
    if (chmod < 0) this.warn(`setting permissions for ${quote(this.dstPathOf(e))}: ${this.why(-chmod)}`);
    if (preserve.timestamps) b.setTimesAt(e.dstDir, name, st);
    if (name !== e.dstName && !this.commitAside(e, name)) return;
    this.counts.specials++;
    this.listed(e);
  }

  /** Renames an entry made under a temporary name onto its real name. */
  private commitAside(e: Place, temp: Name): boolean {
    const b = this.b;
    const renamed = b.rename(e.dstDir, temp, e.dstDir, e.dstName, !this.o.noClobber);
    if (renamed === 0) return true;
    b.remove(e.dstDir, temp, false);
    if (renamed === -b.errno.EEXIST && this.o.noClobber) {
      this.counts.skipped++;
      return false;
    }
    this.fail(`cannot create ${quote(this.dstPathOf(e))}: ${this.why(-renamed)}`);
    return false;
  }
}
