// --delete: once a directory is copied, what its destination holds that the
// source directory does not is removed, rsync's --delete, only in
// directories this run copied. Everything goes through descriptors: a
// directory to remove is opened without following a symlink and emptied
// through that descriptor, so a directory swapped for a symlink (to
// somewhere outside DEST) is removed as the symlink it now is, never
// followed. An entry is removed only when the source directory, asked
// again by name, says it is not there (ENOENT), or has it excluded: a
// listing that failed part way, or an entry made since, never leads to a
// removal; nor does one the directory's listing gave this run (ListedNames)
// and SOURCE has lost since, renamed away after it was copied.

import { type Backend, type Name, S_IFDIR, S_IFMT } from "../../ffi/index.ts";
import type { EngineOptions, FilterRule } from "../options.ts";
import { quote } from "../quote.ts";
import type { Filter } from "./filter.ts";
import { joinPath } from "./paths.ts";
import { isDevice, kindOf, type Reporter, VANISHED } from "./report.ts";
import type { EnteredDirectories } from "./entered-dirs.ts";
import { backupName, mayBeBackup, renameToBackup } from "./backup-name.ts";
import { isLeftover, isTempName, removeLeftover } from "./temp-names.ts";

const DOT = new Uint8Array([0x2e]);
const DOT_DOT = new Uint8Array([0x2e, 0x2e]);

/**
 * The names a directory's SOURCE listing gave, for --delete: what this run
 * copied there, merged into or left unchanged is not removed when SOURCE no
 * longer has it by the time the directory is pruned (renamed away while
 * the rest was copied), as rsync keeps what its file list holds. Packed,
 * each name after its length in two bytes, they take about the bytes of the
 * names themselves (2 MiB for 100,000 names of 20 bytes), held while the
 * directory is open and sent to whichever worker finishes it.
 */
export class ListedNames {
  private bytes = new Uint8Array(0);
  private used = 0;

  add(names: Name[]): void {
    let need = this.used;
    for (const name of names) need += 2 + name.length;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2, 4096));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    for (const name of names) {
      this.bytes[this.used] = name.length >> 8;
      this.bytes[this.used + 1] = name.length & 0xff;
      this.bytes.set(name, this.used + 2);
      this.used += 2 + name.length;
    }
  }

  /** A buffer of their own: a view would carry its whole buffer to another thread. */
  take(): Uint8Array {
    return this.bytes.slice(0, this.used);
  }
}

/** A name as a string that tells every byte apart, for a Map's key. */
function latin1(name: Name): string {
  return Buffer.from(name.buffer, name.byteOffset, name.length).toString("latin1");
}

export class Pruner {
  private readonly suffix: Uint8Array;
  /** Paths in messages are joined with the OS's separator. */
  private readonly separator: number;

  constructor(
    private readonly b: Backend,
    private readonly o: EngineOptions,
    private readonly report: Reporter,
    private readonly filter: Filter,
    /**
     * deletions, --max-delete: removals so far, by every worker of the run;
     * entered, --keep-directory-symlink: the directories kept symlinks led
     * the copy into, and those above them, never removed as extra.
     */
    private readonly shared: { deletions?: Int32Array; entered?: EnteredDirectories },
    /** The rules of DEST's per-directory files in a directory (`rel` below SOURCE) before `inherited`; false when they cannot be read. */
    private readonly ownRules?: (dirFd: number, dirPath: Uint8Array, rel: Uint8Array, inherited: FilterRule[] | undefined) => FilterRule[] | undefined | false,
    /** Told of each chunk of a listing, as the copy's own listings are (the worker collects garbage by them). */
    private readonly listed?: (entries: number) => void,
  ) {
    this.suffix = new TextEncoder().encode(o.backupSuffix);
    this.separator = b.pathRules.separator.charCodeAt(0);
  }

  /**
   * Removes what dstFd holds and srcFd lacks. `rel`: the directory below its
   * SOURCE (undefined for SOURCE itself), for the filter: an excluded name
   * is left, as rsync leaves it without --delete-excluded. `listed`: what
   * its listing gave (ListedNames), in the parts the tasks that read it took.
   */
  prune(srcFd: number, dstFd: number, srcPath: Uint8Array, dstPath: Uint8Array, rel: Uint8Array | undefined, merged: FilterRule[] | undefined, listed: Uint8Array[] | undefined): void {
    const b = this.b;
    // A descriptor of its own: dstFd's listing position is not at the start.
    const listFd = b.openDir(dstFd, DOT, false);
    if (listFd < 0) {
      this.report.fail(`cannot read directory ${quote(dstPath)}: ${b.strerror(-listFd)}; nothing deleted in it`, { op: "opendir", path: dstPath, errno: -listFd });
      return;
    }
    const doomed: { name: Name; isDir: boolean; id: string; mode: number }[] = [];
    // Where DEST's directory ignores case, SOURCE's `Foo` was copied into DEST's `foo`: asked by key, not by bytes.
    const folding = b.caseFolding?.ignoresCase(dstFd) ? b.caseFolding : undefined;
    let sourceKeys: Set<string> | null | undefined;
    /** SOURCE has the name in another case or form, which this DEST's directory takes for the same. */
    const foldedInSource = (name: Name): boolean => {
      if (!folding) return false;
      if (sourceKeys === undefined) sourceKeys = this.keysOf(srcFd, folding.key);
      return sourceKeys === null || sourceKeys.has(folding.key(name));
    };
    let listedKeys: Map<string, Name> | undefined;
    for (;;) {
      const entries = b.readDir(listFd);
      if (typeof entries !== "number") this.listed?.(entries.length);
      if (typeof entries === "number") {
        this.report.fail(`cannot read directory ${quote(dstPath)}: ${b.strerror(-entries)}; nothing deleted in it`, { op: "readdir", path: dstPath, errno: -entries });
        b.close(listFd);
        return;
      }
      if (entries.length === 0) break;
      // -b: a backup blit keeps (NAME~, NAME.~N~) is not SOURCE's to remove, as rsync protects its backups under --backup.
      // Nor another entry's xattrs (macOS's ._NAME on FAT), which go with it.
      const names = entries.map((entry) => entry.name).filter((name) => !isTempName(name) && !mayBeBackup(name, this.o.backup, this.suffix) && !b.sidecars?.holds(listFd, name));
      const there = b.statMany(listFd, names, false);
      // As the copy judged SOURCE's entries: through symlinks under -L.
      const inSource = b.statMany(srcFd, names, this.o.dereference === "always");
      for (let i = 0; i < names.length; i++) {
        const st = there[i]!;
        const src = inSource[i]!;
        const below = () => (rel ? joinPath(rel, names[i]!) : names[i]!);
        if (typeof st === "number") {
          // Gone meanwhile, as asked. Otherwise it stays, said where SOURCE lacks it and no rule keeps it.
          const said = st !== -b.errno.ENOENT && src === -b.errno.ENOENT && !this.kept(below(), false, merged) && !this.kept(below(), true, merged) && !foldedInSource(names[i]!);
          if (said) this.cannotStat(joinPath(dstPath, names[i]!, this.separator), st);
          continue;
        }
        const isDir = (st.mode & S_IFMT) === S_IFDIR;
        const srcIsDir = typeof src !== "number" && (src.mode & S_IFMT) === S_IFDIR;
        // SOURCE's entry left out by a filter is not there for DEST's to
        // stand for, as rsync's sender never lists it: DEST's is then judged
        // by its own type (`--exclude=cache/` keeps no file named cache).
        // Of one type, the rules say the same of both: kept either way.
        const inCopy = typeof src !== "number" && (this.filter.empty || srcIsDir === isDir || !this.filter.excludes(below(), srcIsDir, merged));
        if (inCopy || (typeof src === "number" && src !== -b.errno.ENOENT)) continue;
        if (typeof src === "number" && foldedInSource(names[i]!)) continue;
        if (this.kept(below(), isDir, merged)) continue;
        // Copied from a name SOURCE has lost since: kept, and said, as a source that vanished during the copy is.
        // Not told from one the filter left out, whose type is not known any more: kept too.
        if (listed && src === -b.errno.ENOENT) {
          listedKeys ??= this.keysListed(listed, folding && ((name) => folding.key(name)));
          const gone = listedKeys.get(folding ? folding.key(names[i]!) : latin1(names[i]!));
          // -L: a dangling symlink SOURCE still has, whose copy failed (`cannot stat`, said then), has not vanished.
          if (gone && this.o.dereference === "always" && typeof b.stat(srcFd, gone, false) !== "number") continue;
          if (gone) {
            const path = joinPath(srcPath, gone, this.separator);
            this.report.warn(`${VANISHED}${quote(path)}`, { op: "delete", path, errno: b.errno.ENOENT });
            this.report.counts.vanished++;
            continue;
          }
        }
        // What was copied through a kept symlink is in it.
        if (isDir && this.shared.entered?.has(st.dev, st.ino)) continue;
        doomed.push({ name: names[i]!, isDir, id: `${st.dev}:${st.ino}`, mode: st.mode });
      }
    }
    b.close(listFd);
    // SOURCE inside DEST (`blit -aT --delete dst/sub dst`): the directory holding it is not SOURCE's counterpart to remove.
    const holdingSource = doomed.some((d) => d.isDir) ? this.directoriesAbove(srcFd) : new Set<string>();
    for (const { name, isDir, id, mode } of doomed) {
      const path = joinPath(dstPath, name, this.separator);
      const below = rel ? joinPath(rel, name) : name;
      if (holdingSource.has(id)) this.report.fail(`not deleting ${quote(path)}: the source is inside it`, { op: "delete", path });
      else if (isDir) this.removeTree(dstFd, name, path, below, merged);
      else this.removeEntry(dstFd, name, path, false, mode);
    }
  }

  /**
   * What is in the way of an entry SOURCE has as another type (a directory
   * where a file goes, a file or symlink where a directory goes) goes, as
   * rsync --delete makes way for it, by the rules above: true when nothing
   * is left under the name. `rel`: the entry below SOURCE, for the filter.
   */
  makeWay(dir: number, name: Name, path: Uint8Array, rel: Uint8Array, isDir: boolean, merged: FilterRule[] | undefined): boolean {
    return isDir ? this.removeTree(dir, name, path, rel, merged) : this.removeEntry(dir, name, path, false);
  }

  /**
   * Excluded by SOURCE's rules, or by DEST's own per-directory files (rsync's
   * receiver reads those). A rule of DEST's files that matches first decides
   * alone, as in rsync's receiver: its include is not overruled by an
   * exclude further down that the chain with SOURCE's files reaches.
   */
  private kept(rel: Uint8Array, isDir: boolean, merged: FilterRule[] | undefined): boolean {
    const byDest = merged === undefined ? undefined : this.filter.decides(rel, isDir, merged, true);
    if (byDest?.read) return byDest.exclude;
    return this.filter.excludes(rel, isDir, merged) || byDest?.exclude === true;
  }

  /**
   * The keys of SOURCE's names in the directory srcFd, listed through a
   * descriptor of its own; null when it cannot be listed (then nothing is
   * taken as missing from it).
   */
  private keysOf(srcFd: number, key: (name: Name) => string): Set<string> | null {
    const b = this.b;
    const fd = b.openDir(srcFd, DOT, false);
    if (fd < 0) return null;
    const keys = new Set<string>();
    try {
      for (;;) {
        const entries = b.readDir(fd);
        if (typeof entries !== "number") this.listed?.(entries.length);
        if (typeof entries === "number") return null;
        if (entries.length === 0) return keys;
        for (const entry of entries) keys.add(key(entry.name));
      }
    } finally {
      b.close(fd);
    }
  }

  /** What a listing gave (ListedNames), by the key DEST's names are looked up with. */
  private keysListed(listed: Uint8Array[], key: ((name: Name) => string) | undefined): Map<string, Name> {
    const keys = new Map<string, Name>();
    for (const part of listed) {
      for (let at = 0; at + 2 <= part.length; ) {
        const end = at + 2 + ((part[at]! << 8) | part[at + 1]!);
        const name = part.subarray(at + 2, end);
        keys.set(key ? key(name) : latin1(name), name);
        at = end;
      }
    }
    return keys;
  }

  /** dev:ino of a directory and of every one above it, up to "/", found through "..". */
  private directoriesAbove(fd: number): Set<string> {
    const b = this.b;
    const found = new Set<string>();
    let dir = fd;
    for (;;) {
      const st = b.fstat(dir);
      const id = typeof st === "number" ? undefined : `${st.dev}:${st.ino}`;
      if (id === undefined || found.has(id)) break;
      found.add(id);
      const up = b.openDir(dir, DOT_DOT, false);
      if (dir !== fd) b.close(dir);
      if (up < 0) return found;
      dir = up;
    }
    if (dir !== fd) b.close(dir);
    return found;
  }

  /** An entry of DEST's listing that cannot be stat'ed (on Windows, a name it cannot open, `a*b`): kept, and said. */
  private cannotStat(path: Uint8Array, errno: number): void {
    this.report.fail(`cannot stat ${quote(path)}: ${this.b.strerror(-errno)}; not deleted`, { op: "delete", path, errno: -errno });
  }

  /**
   * Removes one entry (a directory only when empty; with -b a file is
   * renamed to its backup name, so a directory that held one stays); lists
   * it for -v as rm -v does, and for --itemize and --json as what it was
   * (`mode`, looked at here where the caller did not).
   */
  private removeEntry(dir: number, name: Name, path: Uint8Array, isDir: boolean, mode?: number): boolean {
    const b = this.b;
    if (this.o.listItems && !isDir && mode === undefined) {
      const st = b.stat(dir, name, false);
      if (typeof st !== "number") mode = st.mode;
    }
    // --max-delete holds even when more appeared to delete after the dry run counted them.
    const deletions = this.shared.deletions;
    if (deletions && this.o.maxDelete !== undefined && Atomics.add(deletions, 0, 1) >= this.o.maxDelete) {
      this.report.fail(`not deleting ${quote(path)}: more than --max-delete=${this.o.maxDelete} would be deleted`, { op: "delete", path });
      return false;
    }
    // -b: a file is renamed to its backup name instead, as rsync's --delete --backup keeps it.
    const backs = !isDir && this.o.backup !== "none";
    const backup = !backs ? undefined : this.o.dryRun ? backupName(b, dir, name, this.o.backup, this.o.backupSuffix) : renameToBackup(b, dir, name, this.o.backup, this.o.backupSuffix);
    if (backup === -b.errno.ENOENT) return true;
    if (typeof backup === "number") {
      this.report.fail(`cannot backup ${quote(path)}: ${b.strerror(-backup)}`, { op: "backup", path, errno: -backup });
      return false;
    }
    let r = this.o.dryRun || backup ? 0 : b.remove(dir, name, isDir);
    // Emptied as a directory, swapped since for a symlink (or a file): that goes, as what it is now, never followed.
    if (isDir && r === -b.errno.ENOTDIR) {
      r = b.remove(dir, name, false);
      isDir = false;
    }
    if (r === -b.errno.ENOENT) return true;
    // Not empty: it holds what the filter protects (or what was put there meanwhile), kept with it, as rsync keeps it.
    if (isDir && r === -b.errno.ENOTEMPTY) return false;
    if (r < 0) {
      this.report.fail(`cannot remove ${quote(path)}: ${b.strerror(-r)}`, { op: "delete", path, errno: -r });
      return false;
    }
    this.report.counts.deleted++;
    if (this.o.listItems) {
      const kind = isDir ? "directory" : mode === undefined ? "file" : kindOf(mode);
      this.report.item({ action: "deleted", kind, ...(mode !== undefined && isDevice(mode) && { device: true }), src: undefined, dst: path, size: 0 });
    }
    if (this.o.verbose) {
      // path is name after its directory and the separator the OS writes (`\` on Windows).
      const backupPath = backup && Buffer.concat([path.subarray(0, path.length - name.length), backup]);
      this.report.list(`removed ${isDir ? "directory " : ""}${quote(path)}${backupPath ? ` (backup: ${quote(backupPath)})` : ""}`);
    }
    return true;
  }

  /**
   * Empties a directory through a descriptor opened without following a
   * symlink, then removes it, unless something in it stays (an excluded
   * entry, a backup, what could not be removed): a dry run then says what
   * the real run does. One that is no longer a directory (swapped for a
   * symlink) is removed as what it is now. True when it is gone.
   */
  private removeTree(dir: number, name: Name, path: Uint8Array, rel: Uint8Array, merged: FilterRule[] | undefined): boolean {
    const b = this.b;
    const fd = b.openDir(dir, name, false);
    if (fd === -b.errno.ENOTDIR || fd === -b.errno.ELOOP) return this.removeEntry(dir, name, path, false);
    if (fd < 0) {
      if (fd !== -b.errno.ENOENT) this.report.fail(`cannot remove ${quote(path)}: ${b.strerror(-fd)}`, { op: "delete", path, errno: -fd });
      return fd === -b.errno.ENOENT;
    }
    // -x: a filesystem mounted in DEST is left whole, as rsync -x leaves it;
    // a directory above it then stays, quietly, as one holding an excluded name.
    // (rsync says `cannot delete non-empty directory` of that one.)
    if (this.o.oneFileSystem && !this.sameFilesystem(dir, fd)) {
      b.close(fd);
      return false;
    }
    const lockedMode = this.unlock(fd);
    // Its own per-directory files keep what they exclude, as rsync's receiver
    // reads them in a directory it deletes; unreadable, nothing in it goes.
    const own = this.ownRules ? this.ownRules(fd, path, rel, merged) : merged;
    const unread = own === false;
    if (own !== false) merged = own;
    let kept = unread;
    while (!unread) {
      const entries = b.readDir(fd);
      if (typeof entries !== "number") this.listed?.(entries.length);
      // Removed while it was read (another run's --delete): gone, as asked.
      if (entries === -b.errno.ENOENT) break;
      if (typeof entries === "number") {
        this.report.fail(`cannot read directory ${quote(path)}: ${b.strerror(-entries)}`, { op: "readdir", path, errno: -entries });
        kept = true;
        break;
      }
      if (entries.length === 0) break;
      // Backups stay here too (rsync's protect filter holds in every directory), and a live run's temporary
      // files, left to it; a dead run's go as the copy's clean-up removes them (not listed, counted or backed up).
      const names = entries.map((entry) => entry.name).filter((name) => !mayBeBackup(name, this.o.backup, this.suffix) && !this.staysAsTemporary(fd, name));
      if (names.length < entries.length) kept = true;
      const stats = b.statMany(fd, names, false);
      for (let i = 0; i < names.length; i++) {
        const st = stats[i]!;
        const childRel = joinPath(rel, names[i]!);
        if (typeof st === "number") {
          if (st !== -b.errno.ENOENT) {
            kept = true;
            if (!this.kept(childRel, false, merged) && !this.kept(childRel, true, merged)) this.cannotStat(joinPath(path, names[i]!, this.separator), st);
          }
          continue;
        }
        const isDir = (st.mode & S_IFMT) === S_IFDIR;
        // Excluded: kept, and so is every directory above it.
        if (this.kept(childRel, isDir, merged)) {
          kept = true;
          continue;
        }
        const childPath = joinPath(path, names[i]!, this.separator);
        // -b: a file is renamed to its backup name, and so stays.
        const gone = isDir ? this.removeTree(fd, names[i]!, childPath, childRel, merged) : this.removeEntry(fd, names[i]!, childPath, false, st.mode) && this.o.backup === "none";
        if (!gone) kept = true;
      }
    }
    if (lockedMode === undefined) {
      b.close(fd);
      return !kept && this.removeEntry(dir, name, path, true);
    }
    // Made writable to be emptied: its mode back if it stays.
    const gone = !kept && this.removeEntry(dir, name, path, true);
    if (!gone) b.modes?.chmodFd(fd, lockedMode);
    b.close(fd);
    return gone;
  }

  /**
   * Whether `name` is a temporary file that stays: a live run's (this one's
   * too), left to it. A dead run's is removed here, as the copy's clean-up
   * removes one (not listed, counted or backed up); a dry run leaves it.
   */
  private staysAsTemporary(dir: number, name: Name): boolean {
    const b = this.b;
    if (!isTempName(name)) return false;
    if (!isLeftover(name, this.o.runId, b.inUse && ((n: Name) => b.inUse!(dir, n)))) return true;
    return this.o.dryRun || !removeLeftover(b, dir, name);
  }

  private sameFilesystem(a: number, b: number): boolean {
    const sa = this.b.fstat(a);
    const sb = this.b.fstat(b);
    return typeof sa !== "number" && typeof sb !== "number" && sa.dev === sb.dev;
  }

  /**
   * A directory read-only to its owner (this user, not root) is made
   * writable to be emptied, as rsync's --delete makes it: the mode it had,
   * put back if something in it stays, or undefined.
   */
  private unlock(fd: number): number | undefined {
    const b = this.b;
    const uid = b.identity()?.uid;
    if (this.o.dryRun || uid === undefined || uid === 0 || !b.modes) return undefined;
    const st = b.fstat(fd);
    if (typeof st === "number" || (st.mode & 0o200) !== 0 || st.uid !== uid) return undefined;
    const mode = st.mode & 0o7777;
    return b.modes.chmodFd(fd, mode | 0o200) === 0 ? mode : undefined;
  }
}
