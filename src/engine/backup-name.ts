// The name a file is kept under by -b (gnulib's backup_file_rename), for the
// copier (what a copy replaces) and the planner (`-bfl f f`, which links f
// under that name).

import type { Backend, Name } from "../../ffi/index.ts";
import type { Backup } from "../options.ts";

const DOT = new Uint8Array([0x2e]);
const ENCODER = new TextEncoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** N of a numbered backup's name, PREFIX then N (no leading 0) then "~"; 0 for any other name. */
function backupNumber(name: Uint8Array, prefix: Uint8Array): number {
  if (name.length < prefix.length + 2 || name[name.length - 1] !== 0x7e) return 0;
  for (let i = 0; i < prefix.length; i++) if (name[i] !== prefix[i]) return 0;
  if (name[prefix.length] === 0x30) return 0;
  let n = 0;
  for (let i = prefix.length; i < name.length - 1; i++) {
    const digit = name[i]! - 0x30;
    if (digit < 0 || digit > 9) return 0;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * The backup name of `name` in the directory `dir`: NAME.~N~ one above the
 * highest there (numbered, or existing where one is), else NAME plus the
 * suffix; a negated errno when the directory cannot be listed. It is listed
 * through a descriptor of its own, so that no other listing of it is disturbed.
 */
export function backupName(b: Backend, dir: number, name: Name, control: Backup, suffix: string): Name | number {
  if (control === "numbered" || control === "existing") {
    const fd = b.openDir(dir, DOT, false);
    if (fd < 0) return fd;
    const prefix = concat(name, ENCODER.encode(".~"));
    let highest = 0;
    try {
      for (;;) {
        const entries = b.readDir(fd);
        if (typeof entries === "number") return entries;
        if (entries.length === 0) break;
        for (const entry of entries) {
          const n = backupNumber(entry.name, prefix);
          if (n > highest) highest = n;
        }
      }
    } finally {
      b.close(fd);
    }
    if (control === "numbered" || highest > 0) return concat(prefix, ENCODER.encode(`${highest + 1}~`));
  }
  return concat(name, ENCODER.encode(suffix));
}
