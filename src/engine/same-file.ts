// cp's rule for a SOURCE and an existing DEST that may be one file (coreutils'
// same_file_ok, as cp 9.1 applies it), written once for the planner (the
// operands) and the copier (every entry, and the operands again as they are
// copied). It only decides; the callers look (stat) and act.

import { type Stat, S_IFLNK, S_IFMT } from "../../ffi/index.ts";

/**
 * `copy`: go on (backups, replacing, the other checks); `same`: refused,
 * "'a' and 'b' are the same file"; `done`: nothing to do, and no error
 * (a hard link that is there already, two names of one symlink).
 */
export type SameFileVerdict = "copy" | "same" | "done";

/** What is known of the pair, the rest looked up only when the rule needs it. */
export interface SameFilePair {
  /** SOURCE as it is copied: followed when the options follow it. */
  src: Stat;
  /** DEST as cp looks at it first: its own entry when `destEntryFirst` says so, else followed. */
  dst: Stat;
  /** SOURCE's own entry, not followed (undefined when it cannot be looked at). */
  srcEntry(): Stat | undefined;
  /** DEST's own entry, not followed. */
  dstEntry(): Stat | undefined;
  /** SOURCE followed. */
  srcFollowed(): Stat | undefined;
  /** DEST followed (undefined when it dangles or loops). */
  dstFollowed(): Stat | undefined;
  /** SOURCE and DEST are one directory entry: the same name in the same directory. */
  sameName(): boolean;
}

export interface SameFileRules {
  /** Symlinks are never followed in SOURCE (-P, -d, -r without -H or -L). */
  neverFollow: boolean;
  /** -l */
  link: boolean;
  /** -s */
  symbolicLink: boolean;
  /** -b with a CONTROL other than none */
  backup: boolean;
  /** --remove-destination */
  removeDestination: boolean;
}

const isLink = (st: Stat) => (st.mode & S_IFMT) === S_IFLNK;
const oneInode = (a: Stat, b: Stat) => a.dev === b.dev && a.ino === b.ino;

/**
 * Whether cp looks at DEST's own entry (not through a symlink) before the
 * rule: when what it makes replaces the entry instead of writing through it
 * (a link, a backup, --remove-destination, or a SOURCE that is not read as a
 * regular file).
 */
export function destEntryFirst(rules: SameFileRules, srcReadAsFile: boolean): boolean {
  return !srcReadAsFile || rules.link || rules.symbolicLink || rules.backup || rules.removeDestination;
}

export function sameFile(pair: SameFilePair, rules: SameFileRules): SameFileVerdict {
  const { src, dst } = pair;
  const sameInode = oneInode(src, dst);
  // A hard link that is there already.
  if (sameInode && rules.link) return "done";

  // The two entries (not followed), and whether they are one inode.
  let srcEntry: Stat;
  let dstEntry: Stat;
  let sameEntryInode: boolean;
  if (rules.neverFollow) {
    srcEntry = src;
    dstEntry = dst;
    sameEntryInode = sameInode;
    if (isLink(src) && isLink(dst)) {
      // Two symlinks: distinct links are copied (a backup keeps the one
      // there), one name twice is refused, two names of one link leave
      // nothing to do unless a backup is asked for.
      if (pair.sameName()) return "same";
      if (rules.backup) return "copy";
      return sameInode ? "done" : "copy";
    }
  } else {
    if (!sameInode) return "copy";
    const s = pair.srcEntry();
    const d = pair.dstEntry();
    if (s === undefined || d === undefined) return "copy";
    srcEntry = s;
    dstEntry = d;
    sameEntryInode = oneInode(s, d);
    // Two symlinks to one file: fine when DEST goes before SOURCE is read.
    if (isLink(s) && isLink(d) && rules.removeDestination) return "copy";
  }

  if (rules.backup) {
    // Moving DEST aside keeps what was there, unless DEST is SOURCE's own
    // entry, or a followed symlink SOURCE would dangle once the file it
    // names went to its backup name.
    if (!sameEntryInode) return !rules.neverFollow && isLink(srcEntry) && !isLink(dstEntry) ? "same" : "copy";
    return pair.sameName() ? "same" : "copy";
  }

  if (rules.removeDestination) {
    // DEST is removed, not written through: a symlink may go, and so may
    // another name of SOURCE's inode (SOURCE keeps it).
    if (isLink(dstEntry)) return "copy";
    if (sameEntryInode && dstEntry.nlink > 1 && !pair.sameName()) return "copy";
  }

  if (!isLink(srcEntry) && !isLink(dstEntry)) {
    if (!oneInode(srcEntry, dstEntry)) return "copy";
    if (rules.link) return "done";
  }

  // -s makes a new symlink where one is.
  if (rules.symbolicLink && isLink(dstEntry)) return "copy";

  if (rules.neverFollow) {
    // A symlink and the file it names: the same file, unless they are not.
    const s = isLink(srcEntry) ? pair.srcFollowed() : srcEntry;
    const d = isLink(dstEntry) ? pair.dstFollowed() : dstEntry;
    if (s === undefined || d === undefined || !oneInode(s, d)) return "copy";
    // -l: linking what is there already; a symlink DEST is replaced.
    if (rules.link) return isLink(dstEntry) ? "copy" : "done";
  }
  return "same";
}
