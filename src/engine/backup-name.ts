// The name a file is kept under by -b (gnulib's backup_file_rename), for the
// copier (what a copy replaces) and the planner (`-bfl f f`, which links f
// under that name).

import type { Backend, Name } from "../../ffi/index.ts";
import type { Backup } from "../options.ts";

const DOT = new Uint8Array([0x2e]);
const TILDE = new Uint8Array([0x7e]);
const ENCODER = new TextEncoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** N of a numbered backup's name, PREFIX then N (no leading 0) then "~"; 0 for any other name. */
function backupNumber(name: string, prefix: string): number {
  if (name.length < prefix.length + 2 || !name.startsWith(prefix) || !name.endsWith("~")) return 0;
  const digits = name.slice(prefix.length, -1);
  return /^[1-9][0-9]*$/.test(digits) ? Number(digits) : 0;
}

/**
 * The highest N of NAME.~N~ in the directory `dir` (0: none), or a negated
 * errno when it cannot be listed. In a directory that ignores case the
 * names are compared as it compares them: there `D.~1~` is `d.~1~`, and is
 * what backing up `D` would replace. Listed through a descriptor of its
 * own, so that no other listing of it is disturbed.
 */
function highestBackup(b: Backend, dir: number, prefix: Name): number {
  const folding = b.caseFolding?.ignoresCase(dir) ? b.caseFolding : undefined;
  const key = folding ? (name: Name) => folding.key(name) : (name: Name) => Buffer.from(name).toString("latin1");
  const prefixKey = key(prefix);
  const fd = b.openDir(dir, DOT, false);
  if (fd < 0) return fd;
  let highest = 0;
  try {
    for (;;) {
      const entries = b.readDir(fd);
      if (typeof entries === "number") return entries;
      if (entries.length === 0) return highest;
      for (const entry of entries) highest = Math.max(highest, backupNumber(key(entry.name), prefixKey));
    }
  } finally {
    b.close(fd);
  }
}

const numbered = (prefix: Name, n: number) => concat(prefix, ENCODER.encode(`${n}~`));

/**
 * The backup name of `name` in the directory `dir`: NAME.~N~ one above the
 * highest there (numbered, or existing where one is), else NAME plus the
 * suffix; a negated errno when the directory cannot be listed.
 */
export function backupName(b: Backend, dir: number, name: Name, control: Backup, suffix: string): Name | number {
  if (control === "numbered" || control === "existing") {
    const prefix = concat(name, ENCODER.encode(".~"));
    const highest = highestBackup(b, dir, prefix);
    if (highest < 0) return highest;
    if (control === "numbered" || highest > 0) return numbered(prefix, highest + 1);
  }
  return concat(name, ENCODER.encode(suffix));
}

/** gnulib's longest backup name where names may have 255 bytes: one less (check_extension). */
const SHORTENED_MAX = 254;

/** How many taken numbers a backup tries past before it gives up (names made as fast as it renames). */
const NUMBER_TRIES = 100;

/**
 * Renames `name` in `dir` to its backup name: that name, or a negated errno.
 * A numbered backup never replaces what has its name: where the name is
 * taken after all (made since the listing, or not matched by it), the next
 * number is tried, as gnulib's backup_file_rename retries with
 * RENAME_NOREPLACE. A simple backup replaces the one before it, as cp's does.
 */
export function renameToBackup(b: Backend, dir: number, name: Name, control: Backup, suffix: string): Name | number {
  let backup = backupName(b, dir, name, control, suffix);
  if (typeof backup === "number") return backup;
  const prefix = concat(name, ENCODER.encode(".~"));
  let n = control === "numbered" || control === "existing" ? backupNumber(Buffer.from(backup).toString("latin1"), Buffer.from(prefix).toString("latin1")) : 0;
  let shortened = false;
  for (let tries = 0; ; tries++) {
    let r = b.rename(dir, name, dir, backup, n === 0);
    // A filesystem that cannot rename without replacing (some network and
    // FUSE ones): the name the listing found free, as gnulib falls back.
    if (r === -b.errno.EINVAL && n > 0) r = b.rename(dir, name, dir, backup, true);
    if (r === -b.errno.ENAMETOOLONG && control !== "simple" && !shortened) {
      // Too long for the directory: NAME~ instead, NAME cut to 253 bytes
      // if need be, as gnulib's check_extension shortens it on a filesystem
      // of 255-byte names (-b and -S; --backup=simple fails, as cp's does).
      shortened = true;
      backup = concat(name.subarray(0, Math.min(name.length, SHORTENED_MAX - 1)), TILDE);
      n = 0;
      continue;
    }
    if (r !== -b.errno.EEXIST || n === 0 || tries === NUMBER_TRIES) return r < 0 ? r : backup;
    backup = numbered(prefix, ++n);
  }
}
