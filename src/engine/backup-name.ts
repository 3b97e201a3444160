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

/**
 * N of a numbered backup's name, PREFIX then N (no leading 0) then "~"; 0
 * for any other name. A bigint, as gnulib counts in the digits themselves:
 * past 2^53 a number would repeat one there, or be written as 1e+21.
 */
function backupNumber(name: string, prefix: string): bigint {
  if (name.length < prefix.length + 2 || !name.startsWith(prefix) || !name.endsWith("~")) return 0n;
  const digits = name.slice(prefix.length, -1);
  return /^[1-9][0-9]*$/.test(digits) ? BigInt(digits) : 0n;
}

/**
 * The highest N of NAME.~N~ in the directory `dir` (0: none). In a
 * directory that ignores case the names are compared as it compares them:
 * there `D.~1~` is `d.~1~`, and is what backing up `D` would replace.
 * Listed through a descriptor of its own, so that no other listing of it
 * is disturbed. One that cannot be listed (a drop box, mode 1733) is taken
 * for one without numbered backups, as gnulib's numbered_backup takes it:
 * NAME.~1~ then, or the next number free (placeBackup).
 */
function highestBackup(b: Backend, dir: number, prefix: Name): bigint {
  const folding = b.caseFolding?.ignoresCase(dir) ? b.caseFolding : undefined;
  const key = folding ? (name: Name) => folding.key(name) : (name: Name) => Buffer.from(name).toString("latin1");
  const prefixKey = key(prefix);
  const fd = b.openDir(dir, DOT, false);
  if (fd < 0) return 0n;
  let highest = 0n;
  try {
    for (;;) {
      const entries = b.readDir(fd);
      if (typeof entries === "number" || entries.length === 0) return highest;
      for (const entry of entries) {
        const n = backupNumber(key(entry.name), prefixKey);
        if (n > highest) highest = n;
      }
    }
  } finally {
    b.close(fd);
  }
}

const numbered = (prefix: Name, n: bigint) => concat(prefix, ENCODER.encode(`${n}~`));

/** gnulib's longest backup name where names may have 255 bytes: one less (check_extension). */
const SHORTENED_MAX = 254;

/** NAME~, NAME cut to 253 bytes if need be: what gnulib's check_extension makes of a backup name too long. */
const shortened = (name: Name) => concat(name.subarray(0, Math.min(name.length, SHORTENED_MAX - 1)), TILDE);

/**
 * Whether a name may be one of -b's backups under `control` (the ones
 * --delete keeps): NAME with the suffix (simple, existing) and, wherever a
 * backup name too long is shortened (not simple), any NAME~, which also
 * holds every NAME.~N~.
 */
export function mayBeBackup(name: Name, control: Backup, suffix: Name): boolean {
  const endsWith = (end: Name) => name.length > end.length && end.every((byte, i) => name[name.length - end.length + i] === byte);
  if (control === "none") return false;
  return (control !== "numbered" && endsWith(suffix)) || (control !== "simple" && endsWith(TILDE));
}

/**
 * A backup's name, and whether a numbered one was meant (it never replaces
 * what has its name, shortened or not, as gnulib renames it with
 * RENAME_NOREPLACE).
 */
function choose(b: Backend, dir: number, name: Name, control: Backup, suffix: string): { name: Name; numbered: boolean; cut: boolean } {
  let backup: Name | undefined;
  if (control === "numbered" || control === "existing") {
    const prefix = concat(name, ENCODER.encode(".~"));
    const highest = highestBackup(b, dir, prefix);
    if (control === "numbered" || highest > 0n) backup = numbered(prefix, highest + 1n);
  }
  const meantNumbered = backup !== undefined;
  backup ??= concat(name, ENCODER.encode(suffix));
  // Longer than 254 bytes: NAME~, as cp's gnulib shortens it (-b, -S; --backup=simple is left to fail, as cp's).
  const cut = control !== "simple" && backup.length > SHORTENED_MAX;
  return { name: cut ? shortened(name) : backup, numbered: meantNumbered, cut };
}

/**
 * The backup name of `name` in the directory `dir`: NAME.~N~ one above the
 * highest there (numbered, or existing where one is), else NAME plus the
 * suffix, shortened as cp shortens one too long.
 */
export function backupName(b: Backend, dir: number, name: Name, control: Backup, suffix: string): Name {
  return choose(b, dir, name, control, suffix).name;
}

/** How many taken numbers a backup tries past before it gives up (names made as fast as it renames). */
const NUMBER_TRIES = 100;

/**
 * Renames `name` in `dir` to its backup name: that name, or a negated errno.
 * A numbered backup never replaces what has its name: where the name is
 * taken after all (made since the listing, or not matched by it), the next
 * number is tried, as gnulib's backup_file_rename retries with
 * RENAME_NOREPLACE; one shortened to NAME~ fails then (EEXIST), as cp's
 * does, rather than replace an older backup. A simple backup replaces the
 * one before it, as cp's does.
 */
export function renameToBackup(b: Backend, dir: number, name: Name, control: Backup, suffix: string): Name | number {
  return placeBackup(b, control, choose(b, dir, name, control, suffix), name, (backup, replace) => b.rename(dir, name, dir, backup, replace));
}

/** Errors of a hard link that say the filesystem (or its rules, protected_hardlinks) will not make one here. */
const NO_LINK = ["EPERM", "EACCES", "EMLINK", "EOPNOTSUPP", "ENOTSUP", "ENOSYS", "EXDEV"] as const;

/**
 * What is under `name` in `dir` kept under its backup name too, before a
 * complete copy is renamed over it: a hard link made there (through
 * `aside()`, a temporary name, where it replaces an older backup), so that
 * `name` never holds nothing, even in a run killed between the two steps
 * (cp renames it away first). As renameToBackup where the filesystem makes
 * no hard links. The backup's name, and whether it is a link (the old
 * entry is still under `name` then), or a negated errno.
 */
export function linkAsBackup(b: Backend, dir: number, name: Name, control: Backup, suffix: string, aside: () => Name): { name: Name; linked: boolean } | number {
  const noLink = new Set<number>(NO_LINK.map((code) => b.errno[code]));
  let linking = true;
  const link = (backup: Name, replace: boolean): number => {
    if (!replace) return b.makeLink(dir, name, dir, backup);
    const temp = aside();
    const made = b.makeLink(dir, name, dir, temp);
    if (made < 0) return made;
    const moved = b.rename(dir, temp, dir, backup, true);
    // Also after a success: rename() does nothing where the backup name is already a link to the same file.
    b.remove(dir, temp, false);
    return moved;
  };
  const placed = placeBackup(b, control, choose(b, dir, name, control, suffix), name, (backup, replace) => {
    if (linking) {
      const r = link(backup, replace);
      if (!noLink.has(-r)) return r;
      linking = false;
    }
    return b.rename(dir, name, dir, backup, replace);
  });
  return typeof placed === "number" ? placed : { name: placed, linked: linking };
}

/** Puts what is under `name` at its chosen backup name with `put(backup, replace)`, trying the next number where one is taken. */
function placeBackup(b: Backend, control: Backup, chosen: ReturnType<typeof choose>, name: Name, put: (backup: Name, replace: boolean) => number): Name | number {
  let backup = chosen.name;
  const prefix = concat(name, ENCODER.encode(".~"));
  // The number in the name, 0 where it is not NAME.~N~ (shortened, or not numbered).
  let n = chosen.numbered && !chosen.cut ? backupNumber(Buffer.from(backup).toString("latin1"), Buffer.from(prefix).toString("latin1")) : 0n;
  let cut = chosen.cut;
  for (let tries = 0; ; tries++) {
    const r = put(backup, !chosen.numbered);
    // Too long even so (a filesystem of shorter names): NAME~, once.
    if (r === -b.errno.ENAMETOOLONG && control !== "simple" && !cut) {
      cut = true;
      backup = shortened(name);
      n = 0n;
      continue;
    }
    if (r !== -b.errno.EEXIST || n === 0n || tries === NUMBER_TRIES) return r < 0 ? r : backup;
    backup = numbered(prefix, ++n);
  }
}
